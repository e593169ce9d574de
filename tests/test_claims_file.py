"""Claims to check, from a file: every claim gets a verdict; a bad file is one line before training."""
import json

import pytest

from report.claims_file import FileClaim, read_claims_file
from report.errors import ConfigError
from report.stats.checks import check
from report.stats.findings import outcome
from report.stats.summary import by_config
from tests.conftest import REPO, copy_build, run_cli
from tests.test_statistics import records

LABELS = {"cnn": ["adam, lr=0.001", "adam, lr=0.0001", "sgd, lr=0.01"], "rnn": ["gru, 128 units"]}


GRID = by_config(records("adam, lr=0.001", [0.53, 0.54, 0.535]) + records("adam, lr=0.0001", [0.47, 0.48, 0.475])
                 + records("sgd, lr=0.01", [0.11, 0.105, 0.108]) + records("sgd, lr=0.001", [0.5]))


def verdict(kind, configs, value):
    claim = FileClaim("cnn", kind, tuple(configs), value, "1", "a claim")
    return check(claim, GRID, lambda c: outcome(c, 0.128))


@pytest.mark.parametrize("kind, configs, value, expected", [
    ("test_accuracy", ["adam, lr=0.001"], 0.536, "agrees"),
    ("test_accuracy", ["adam, lr=0.001"], 0.30, "differs"),
    ("test_accuracy", ["sgd, lr=0.001"], 0.5, "not comparable"),     # one seed: no range
    ("test_accuracy", ["rmsprop, lr=0.1"], 0.5, "not comparable"),   # not in this build
    ("learns", ["adam, lr=0.001", "adam, lr=0.0001"], True, "agrees"),
    ("learns", ["sgd, lr=0.01"], True, "differs"),
    ("learns", ["sgd, lr=0.01"], False, "agrees"),
    ("best", ["adam, lr=0.001"], None, "agrees"),
    ("best", ["sgd, lr=0.01"], None, "differs"),
])
def test_every_kind_of_claim_gets_a_verdict(kind, configs, value, expected):
    result = verdict(kind, configs, value)
    assert result.verdict == expected and result.kind == "earlier-report" and result.text.startswith("a claim")


def test_a_best_that_the_seeds_cannot_separate_is_not_resolved():
    grid = by_config(records("a", [0.50, 0.55]) + records("b", [0.51, 0.54]))
    claim = FileClaim("cnn", "best", ("a",), None, "1", "a is best")
    assert check(claim, grid, lambda c: "learned").verdict == "not resolved"


@pytest.mark.parametrize("content, says", [
    ('[[claim]]\nsection = "cnn"\nconfig = "adam, lr=0.001"\ntest_accuracy = 0.5\ncolour = 1\n', "unknown key 'colour'"),
    ('[[claim]]\nsection = "cnn"\nconfig = "adam lr=0.001"\ntest_accuracy = 0.5\n', "closest: 'adam, lr=0.001'"),
    ('[[claim]]\nsection = "vision"\nbest = "adam, lr=0.001"\n', "section 'vision'"),
    ('[[claim]]\nsection = "cnn"\nconfig = "adam, lr=0.001"\ntest_accuracy = 53.6\n', "between 0 and 1"),
    ('[[claim]]\nsection = "cnn"\nconfig = "adam, lr=0.001"\n', "exactly one of"),
    ('title = "x"\n', "no [[claim]]"),
])
def test_a_bad_claims_file_is_one_error_naming_the_claim(tmp_path, content, says):
    path = tmp_path / "claims.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match="claims file .*") as error:
        read_claims_file(path, LABELS)
    assert says in str(error.value)


def test_a_bad_claims_file_exits_2_before_anything_trains(tmp_path):
    path = tmp_path / "claims.toml"
    path.write_text('[[claim]]\nsection = "cnn"\nconfig = "adam, lr=0.002"\ntest_accuracy = 0.5\n')
    result = run_cli("all", "--profile", "smoke", "--claims", path, "--output", tmp_path / "output")
    assert result.returncode == 2 and "claim 1" in result.stderr and "training" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("mkreport:")]) == 1


def test_the_shipped_earlier_report_reads_against_the_default_grid():
    from report.config import load_config
    from report.sections import SECTIONS

    config = load_config(None, "full")
    labels = {s.name: [spec.label for spec in s.runs(config)] for s in SECTIONS if s.runs(config)}
    claims = read_claims_file(REPO / "examples" / "earlier-report.toml", labels)
    assert sorted({c.number for c in claims.claims}) == ["1", "2", "3", "4", "5", "6", "7"]


@pytest.mark.slow
def test_a_report_checks_a_claims_file_and_has_no_earlier_numbers_without_one(smoke_build, tmp_path):
    assert "0.536" not in (smoke_build["output"] / "report.html").read_text()
    assert not [c for c in json.loads((smoke_build["output"] / "claims.json").read_text())["claims"]
                if c["kind"] == "earlier-report"]
    output = copy_build(smoke_build, tmp_path)
    result = run_cli("render", "--claims", REPO / "examples" / "earlier-report.toml", "--output", output,
                     env={"MKREPORT_CACHE_DIR": str(smoke_build["cache"])})
    assert result.returncode == 0, result.stderr
    checks = [c for c in json.loads((output / "claims.json").read_text())["claims"] if c["kind"] == "earlier-report"]
    html = (output / "report.html").read_text()
    assert len(checks) == 12 and all(c["text"] in html.replace("&#39;", "'") for c in checks)
    assert all(c["verdict"] in ("agrees", "differs", "not resolved", "not comparable") for c in checks)
