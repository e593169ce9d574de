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
    claim = FileClaim("cnn", kind, tuple(configs), configs[0] if kind == "best" else value, "1", "a claim")
    return check(claim, GRID, lambda c: outcome(c, 0.128))


@pytest.mark.parametrize("kind, configs, value, expected", [
    ("test_accuracy", ["adam, lr=0.001"], 0.536, "agrees"),
    ("test_accuracy", ["adam, lr=0.001"], 0.30, "differs"),
    ("test_accuracy", ["sgd, lr=0.001"], 0.5, "agrees"),             # one seed, the identical number
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
    claim = FileClaim("cnn", "best", ("a",), "a", "1", "a is best")
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
    assert claims.budgets["cnn"]["epochs"] == 5 and claims.slug == "earlier_report"


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
    # the smoke build's CIFAR10 budget is not the earlier report's: every such verdict says so; its RNN
    # budget is not stated, so those claims are checked
    cnn = [c for c in checks if c["section"] == "cnn"]
    assert len(cnn) == 8 and all(c["verdict"] == "not comparable" and "trained with another budget" in c["text"]
                                 for c in cnn)
    assert all(c["verdict"] != "not comparable" for c in checks if c["section"] == "rnn" and "best" not in c["text"])
    assert (output / "tables" / "cnn_claims_earlier_report.csv").exists()


# --- verdicts a grader can defend (issue 37) ---------------------------------------------------------------

def _file(tmp_path, body, labels=None):
    path = tmp_path / "claims.toml"
    path.write_text(body)
    return read_claims_file(path, labels or LABELS)


def _checks(claims_file, grid, section="cnn"):
    from report.stats.checks import check_all

    return check_all(claims_file.for_section(section), grid, lambda c: outcome(c, 0.128), 0.128,
                     claims_file.budgets.get(section, {}), claims_file.compare_anyway)


def test_an_identical_number_agrees_even_at_zero_spread(tmp_path):
    grid = by_config(records("adam, lr=0.01", [0.100, 0.100]) + records("adam, lr=0.001", [0.50, 0.52]))
    claims = _file(tmp_path, '[[claim]]\nsection = "cnn"\nconfig = "adam, lr=0.01"\ntest_accuracy = 0.10\n',
                   {"cnn": ["adam, lr=0.01", "adam, lr=0.001"]})
    assert _checks(claims, grid)[0].verdict == "agrees"


def test_a_number_far_from_ours_never_agrees_with_two_noisy_seeds(tmp_path):
    grid = by_config(records("adam, lr=0.001", [0.2475, 0.3175]) + records("adam, lr=0.0001", [0.20, 0.25]))
    claims = _file(tmp_path, '[[claim]]\nsection = "cnn"\nconfig = "adam, lr=0.001"\ntest_accuracy = 0.4625\n',
                   {"cnn": ["adam, lr=0.001", "adam, lr=0.0001"]})
    found = _checks(claims, grid)[0]
    assert found.verdict != "agrees" and found.verdict.startswith(("differs", "not resolved (n = 2)"))
    low, high = found.details["range"]
    assert 0 <= low <= high <= 1 and f"[{low:.3f}, {high:.3f}]" in found.text


def test_the_farther_number_never_gets_the_friendlier_verdict_when_our_spreads_differ(tmp_path):
    """LSTM-256 0.9533 against ours 0.683 ± 0.010 once differed while GRU-256 0.9595 against 0.669 ± 0.028 agreed."""
    grid = by_config(records("lstm, 256 units", [0.676, 0.690]) + records("gru, 256 units", [0.649, 0.689])
                     + records("rnn, 256 units", [0.60, 0.62]))
    labels = {"rnn": ["lstm, 256 units", "gru, 256 units", "rnn, 256 units"]}
    claims = _file(tmp_path, '[[claim]]\nsection = "rnn"\nconfig = "lstm, 256 units"\ntest_accuracy = 0.9533\n'
                             '[[claim]]\nsection = "rnn"\nconfig = "gru, 256 units"\ntest_accuracy = 0.9595\n', labels)
    near, far = _checks(claims, grid, "rnn")
    friendliness = {"agrees": 2, "not resolved": 1, "differs": 0}
    assert friendliness[far.verdict.split(" (")[0]] <= friendliness[near.verdict.split(" (")[0]]
    assert near.verdict == far.verdict == "differs"
    assert all(0 <= bound <= 1 for c in (near, far) for bound in c.details["range"])


def test_another_budget_is_not_comparable_naming_both_budgets(tmp_path):
    body = ('[budget.cnn]\nepochs = 5\nsamples_per_epoch = 10000\n'
            '[[claim]]\nsection = "cnn"\nconfig = "adam, lr=0.001"\ntest_accuracy = 0.536\n')
    grid = by_config(records("adam, lr=0.001", [0.53, 0.54], {"epochs": 2}) + records("sgd, lr=0.01", [0.1, 0.1], {"epochs": 2}))
    found = _checks(_file(tmp_path, body), grid)[0]
    assert found.verdict == "not comparable" and "theirs: 5 epochs, 10,000 samples an epoch" in found.text
    assert "ours: 2 epochs, 100 samples an epoch" in found.text
    anyway = _checks(_file(tmp_path, "compare_anyway = true\n" + body), grid)[0]
    assert anyway.verdict == "agrees"


def test_gru_is_the_best_cell_and_lstm_above_gru_at_256_units_are_written_and_checked(tmp_path):
    rnn = by_config([r for cell, hidden, values in (
        ("gru", 64, [0.960, 0.962, 0.961]), ("gru", 256, [0.975, 0.977, 0.976]), ("lstm", 256, [0.965, 0.967, 0.966]),
        ("rnn", 256, [0.930, 0.935, 0.932]))
        for r in records(f"{cell}, {hidden} units", values, {"cell": cell, "hidden_size": hidden})])
    labels = {"rnn": {c.label: c.params for c in rnn}}
    body = ('[[claim]]\nnumber = "4.1"\nsection = "rnn"\nbest = "GRU"\ngroup = { cell = "gru" }\n'
            'text = "GRU is the best cell"\n'
            '[[claim]]\nnumber = "4.2"\nsection = "rnn"\nabove = ["lstm, 256 units", "gru, 256 units"]\n'
            'text = "LSTM is above GRU at 256 units"\n'
            '[[claim]]\nnumber = "4.3"\nsection = "rnn"\nbest = "LSTM"\ngroup = { cell = "lstm" }\n'
            'among = { hidden_size = 256 }\n')
    claims = _file(tmp_path, body, labels)
    assert claims.claims[0].configs == ("gru, 64 units", "gru, 256 units")
    best, above, lstm = _checks(claims, rnn, "rnn")
    assert best.verdict == "agrees" and best.text.startswith("GRU is the best cell; ours: gru, 256 units is our best")
    assert above.verdict == "differs" and "gru, 256 units is above lstm, 256 units beyond seed noise" in above.text
    assert lstm.verdict == "differs" and lstm.details["number"] == "4.3"


def test_a_trend_and_an_equivalence_are_checked_as_pairwise_families(tmp_path):
    rnn = by_config([r for hidden, values in ((64, [0.90, 0.91, 0.905]), (128, [0.93, 0.94, 0.935]),
                                              (256, [0.95, 0.96, 0.955]))
                     for r in records(f"lstm, {hidden} units", values, {"cell": "lstm", "hidden_size": hidden})])
    labels = {"rnn": [c.label for c in rnn]}
    body = ('[[claim]]\nsection = "rnn"\ntrend = "rises"\nconfig = ["lstm, 64 units", "lstm, 128 units", "lstm, 256 units"]\n'
            '[[claim]]\nsection = "rnn"\nequivalent = ["lstm, 128 units", "lstm, 256 units"]\n')
    trend, same = _checks(_file(tmp_path, body, labels), rnn, "rnn")
    assert trend.verdict == "agrees" and same.verdict == "differs"


@pytest.mark.parametrize("content, says", [
    ('title = "t"\n\n[[claim]]\nnumber = "7b"\nsection = "cnn"\nconfig = "adam, lr=0.002"\ntest_accuracy = 0.5\n',
     "claim 7b (line 3)"),
    ('[[claim]]\nnumber = "2"\nsection = "cnn"\nabove = ["adam, lr=0.001"]\n', "claim 2 (line 1): above"),
    ('[[claim]]\nsection = "cnn"\nbest = "Adam"\ngroup = { optimizer = "rmsprop" }\n', "matches no configuration"),
    ('[budget.cnn]\nepochs = 0\n[[claim]]\nsection = "cnn"\nbest = "adam, lr=0.001"\n', "epochs = 0"),
])
def test_errors_name_the_claims_number_and_line(tmp_path, content, says):
    with pytest.raises(ConfigError) as error:
        _file(tmp_path, content, {"cnn": {"adam, lr=0.001": {"optimizer": "adam"}, "sgd, lr=0.01": {"optimizer": "sgd"}}})
    assert says in str(error.value)
