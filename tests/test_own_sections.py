"""Sections of your own (issue 26): found through [report] sections or an entry point, with a config
table of their own, trained through mkreport's training path, written by `mkreport new-section`."""
import csv
import json

import pytest

from report.config import load_config, section_names
from report.errors import ConfigError
from report.sections import SECTIONS, discover
from tests.conftest import copy_build, run_cli

TINY = '''
from report.sections import kit

TITLE = "Tiny"
CONFIG = """
[{name}]
widths = [2, 3]    # hidden units
rate = 0.01
epochs = 1
batch_size = 32
samples_per_epoch = 64
test_samples = 50
log_every_steps = 1
seeds = [0]
"""
CHECKS = {{"rate": kit.number(1e-6, 1.0)}}


def build_model(params):
    import keras
    from keras import layers

    inputs = keras.Input((28, 28, 1))
    return keras.Model(inputs, layers.Dense(10)(layers.Dense(params["width"])(layers.Flatten()(inputs))))


def runs(config):
    table = config["{name}"]
    return kit.grid("{name}", [(f"width {{w}}", kit.train_params(table, model="build_model", width=w, optimizer="sgd",
                                                                learning_rate=table["rate"])) for w in table["widths"]],
                    table["seeds"], "mnist")


def summarize(records, analysis, settings):
    return kit.summary(records["{name}"], what="width")


def figures(summary):
    return kit.figures(summary)
'''


def student_folder(tmp_path, name="tiny", source=TINY, sections=None):
    """A student's folder: mkreport.toml listing the sections, and sections/<name>.py."""
    folder = tmp_path / "student"
    (folder / "sections").mkdir(parents=True)
    (folder / "sections" / f"{name}.py").write_text(source.format(name=name))
    listed = sections or [s.name for s in SECTIONS] + [name]
    (folder / "mkreport.toml").write_text(f"[report]\nsections = {json.dumps(listed)}\n")
    return folder


def sections_of(folder, monkeypatch, sets=()):
    import sys

    for name in [p.stem for p in (folder / "sections").glob("*.py")]:
        monkeypatch.delitem(sys.modules, name, raising=False)   # each test's own module of that name
    monkeypatch.syspath_prepend(str(folder / "sections"))
    config_file = folder / "mkreport.toml"
    return discover(section_names(config_file, sets), config_file)


def test_a_listed_module_beside_the_config_is_a_section_in_the_listed_order(tmp_path, monkeypatch):
    folder = student_folder(tmp_path, sections=["tiny", "cnn", "rnn", "compare"])
    sections = sections_of(folder, monkeypatch)
    assert [s.name for s in sections] == ["tiny", "cnn", "rnn", "compare"]
    tiny = sections[0]
    assert tiny.source == (folder / "sections" / "tiny.py").resolve()
    config = load_config(folder / "mkreport.toml", "smoke", sections=sections)
    assert config["tiny"]["widths"] == [2, 3] and config["tiny"]["rate"] == 0.01
    runs = tiny.runs(config)
    assert [r.label for r in runs] == ["width 2", "width 3"] and {r.code for r in runs} == {str(tiny.source)}


def test_the_module_source_is_part_of_its_runs_keys_and_of_no_other(tmp_path, monkeypatch):
    from report.results.runs import run_key

    folder = student_folder(tmp_path)
    sections = sections_of(folder, monkeypatch)
    config = load_config(folder / "mkreport.toml", "smoke", sections=sections)
    tiny = next(s for s in sections if s.name == "tiny")
    before = [run_key(spec, "data") for spec in tiny.runs(config)]
    cnn_before = [run_key(spec, "data") for spec in sections[0].runs(config)]
    with open(tiny.source, "a") as module:
        module.write("\n# an edit\n")
    assert [run_key(spec, "data") for spec in tiny.runs(config)] != before
    assert [run_key(spec, "data") for spec in sections[0].runs(config)] == cnn_before


@pytest.mark.parametrize("sets, message", [
    (["tiny.widths=[2, 2.5]"], "tiny.widths = [2, 2.5] is not allowed: expected a non-empty list, each a whole number"),
    (["tiny.rate=2.0"], "tiny.rate = 2.0 is not allowed: expected a finite number ≥ 1e-06 and ≤ 1"),
    (["tiny.depth=3"], "unknown key tiny.depth; known keys of [tiny]: widths, rate"),
    (['tiny.epochs="one"'], "tiny.epochs = 'one' is not allowed: expected a whole number"),
    (["nosuch.key=1"], "unknown section [nosuch]"),
])
def test_a_sections_own_table_is_validated_as_strictly_as_mkreports(tmp_path, monkeypatch, sets, message):
    folder = student_folder(tmp_path)
    sections = sections_of(folder, monkeypatch)
    with pytest.raises(ConfigError) as error:
        load_config(folder / "mkreport.toml", "smoke", sets, sections=sections)
    assert message in str(error.value)


@pytest.mark.parametrize("source, message", [
    ("import no_such_package\n" + TINY, "section tiny ([report] sections) cannot be imported: ModuleNotFoundError"),
    ("raise RuntimeError('broken on import')\n", "cannot be imported: RuntimeError: broken on import"),
    ("TITLE = 'x'\n", "section tiny ([report] sections) lacks runs, summarize, figures"),
    (TINY.replace('CONFIG = """', 'CONFIG = """\n[other]\nx = 1\n'),
     "section tiny's CONFIG may hold only [tiny] and [profiles.<profile>.tiny] tables"),
    (TINY.replace('CHECKS = {{"rate"', 'CHECKS = {{"speed"'), "section tiny's CHECKS names speed, which its CONFIG does not set"),
    (TINY.replace("rate = 0.01", "rate = 0.01\nempty = []"), "tiny.empty: a default must be a number, text"),
])
def test_a_section_that_fails_to_import_or_declares_a_bad_table_is_one_error_naming_it(tmp_path, monkeypatch,
                                                                                     source, message):
    folder = student_folder(tmp_path, source=source)
    with pytest.raises(ConfigError) as error:
        load_config(folder / "mkreport.toml", "smoke", sections=sections_of(folder, monkeypatch))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_listed_section_must_bring_what_it_reads_and_be_listed_once(tmp_path, monkeypatch):
    folder = student_folder(tmp_path, sections=["visualize", "tiny"])
    with pytest.raises(ConfigError, match="section visualize reads section cnn, which .report. sections does not list"):
        sections_of(folder, monkeypatch)
    with pytest.raises(ConfigError, match="is not allowed: expected a list of distinct section names"):
        section_names(None, ['report.sections=["tiny", "tiny"]'])


def installed_package(tmp_path, body="from report.sections import kit\n", name="grid"):
    """A package declaring a section as an entry point, installed the way pip leaves one (a dist-info
    folder beside the module), on a folder the test puts on the path."""
    site = tmp_path / "site"
    (site / "mkreport_extra-1.0.dist-info").mkdir(parents=True)
    (site / "mkreport_extra-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: mkreport-extra\nVersion: 1.0\n")
    (site / "mkreport_extra-1.0.dist-info" / "entry_points.txt").write_text(
        f"[mkreport.sections]\n{name} = mkreport_extra_{name}\n")
    (site / f"mkreport_extra_{name}.py").write_text(body)
    return site


def test_an_installed_section_appears_without_any_config(tmp_path, monkeypatch):
    monkeypatch.delitem(__import__("sys").modules, "mkreport_extra_grid", raising=False)
    site = installed_package(tmp_path, TINY.format(name="mkreport_extra_grid"))
    monkeypatch.syspath_prepend(str(site))
    sections = discover()
    assert [s.name for s in sections] == [s.name for s in SECTIONS] + ["mkreport_extra_grid"]
    assert load_config(None, "smoke", sections=sections)["mkreport_extra_grid"]["widths"] == [2, 3]


def test_an_installed_section_that_fails_to_import_is_one_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.delitem(__import__("sys").modules, "mkreport_extra_grid", raising=False)
    site = installed_package(tmp_path, "raise ImportError('needs torch')\n")
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(ConfigError) as error:
        discover()
    assert str(error.value) == ("section grid (entry point grid of mkreport-extra) cannot be imported: "
                                "ImportError: needs torch")


def test_an_installed_section_is_planned_by_the_cli_with_no_config(tmp_path, data_dir):
    site = installed_package(tmp_path, TINY.format(name="mkreport_extra_grid"))
    result = run_cli("status", "--profile", "smoke", "--output", tmp_path / "out", env={"PYTHONPATH": str(site)})
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["mkreport_extra_grid", "width", "2", "seed", "0", "missing"] in rows


# ---------------------------------------------------------------- new-section, end to end

def test_new_section_writes_a_section_refuses_to_overwrite_and_checks_its_name(tmp_path):
    from report.sections.scaffold import write_section

    written = write_section("dropout", tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "mkreport.toml", "sections/dropout.py", "sections/templates/sections/dropout.html"]
    with pytest.raises(ConfigError, match="mkreport.toml exists"):
        write_section("other", tmp_path)
    for bad, message in (("cnn", "taken by mkreport"), ("json", "installed module"), ("Drop-out", "lower-case"),
                         ("status", "taken by mkreport")):
        with pytest.raises(ConfigError, match=message):
            write_section(bad, tmp_path / "elsewhere")
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.slow
def test_new_section_builds_into_the_report_and_an_edit_retrains_only_its_runs(smoke_build, tmp_path):
    """In a folder outside the checkout: new-section, then a smoke build with the written config. The
    five sections' runs come from a copy of the shared smoke build (same config, same keys)."""
    student = tmp_path / "student"
    student.mkdir()
    env = {"MKREPORT_CACHE_DIR": str(smoke_build["cache"])}
    run_cli("new-section", "dropout", cwd=student, env=env, check=True)
    output = copy_build(smoke_build, tmp_path)
    built = run_cli("all", "--config", "mkreport.toml", "--profile", "smoke", "--output", output, cwd=student,
                    env=env, check=True)
    assert "trained 6 run(s), reused 20" in built.stdout   # two dropout rates × three seeds; nothing else
    html = (output / "report.html").read_text()
    assert 'id="sec-dropout"' in html and "6. Dropout" in html and "sections/dropout.py" in html

    rows = list(csv.DictReader((output / "metrics.csv").open()))
    assert {row["config"] for row in rows if row["section"] == "dropout"} == {"dropout 0", "dropout 0.5"}
    claims = json.loads((output / "claims.json").read_text())["claims"]
    ranked = [c for c in claims if c["section"] == "dropout" and c.get("family")]
    assert ranked and set(ranked[0]["values"]) == {"dropout 0", "dropout 0.5"} and ranked[0]["seeds"] == {
        "dropout 0": 3, "dropout 0.5": 3}
    assert list((output / "tensorboard" / "dropout").glob("*/events.out.tfevents.*"))
    assert (output / "tables" / "dropout_grid.csv").is_file()
    appendix = html.split('id="sec-provenance"')[1]
    assert "<td>dropout</td>" in appendix   # its runs and training time in the provenance table
    run_cli("check", "--output", output, cwd=student, env=env, check=True)

    with open(student / "sections" / "dropout.py", "a") as module:
        module.write("\n# an edit: the section's runs are now stale, and only they\n")
    status = run_cli("status", "--output", output, cwd=student, env=env, check=True).stdout.splitlines()
    assert status[-1] == "20 done, 6 stale"   # its six runs are in status, and only they are stale
    assert sum(line.startswith("dropout ") and line.endswith("stale") for line in status) == 6
    again = run_cli("dropout", "--output", output, cwd=student, env=env, check=True)
    assert "trained 6 run(s), reused 0" in again.stdout


def test_an_unknown_command_is_no_section_either_and_writes_nothing(tmp_path):
    result = run_cli("nosuch", "--output", tmp_path / "out")
    assert result.returncode == 2 and not (tmp_path / "out").exists()
    assert result.stderr.strip().splitlines() == [
        "mkreport: no such command or section 'nosuch': the commands are all, check, claims, cnn, compare, deconvnet, "
        "new-section, notes, plan, render, rnn, status, tensorboard, visualize; this config's sections are cnn, "
        "visualize, deconvnet, rnn, compare"]


def test_a_profile_in_a_sections_config_sets_its_budgets_and_only_them(tmp_path, monkeypatch):
    source = TINY.replace('seeds = [0]\n"""', 'seeds = [0]\n\n[profiles.smoke.{name}]\nsamples_per_epoch = 32\n"""')
    folder = student_folder(tmp_path, source=source)
    sections = sections_of(folder, monkeypatch)
    assert load_config(folder / "mkreport.toml", "smoke", sections=sections)["tiny"]["samples_per_epoch"] == 32
    assert load_config(folder / "mkreport.toml", "full", sections=sections)["tiny"]["samples_per_epoch"] == 64
    bad = student_folder(tmp_path / "b", source=TINY.replace('seeds = [0]\n"""',
                                                              'seeds = [0]\n\n[profiles.smoke.{name}]\nrate = 0.5\n"""'))
    with pytest.raises(ConfigError, match="a profile may change only budgets .* not tiny.rate"):
        load_config(bad / "mkreport.toml", "smoke", sections=sections_of(bad, monkeypatch))


LOADER = TINY.replace('''table["seeds"], "mnist")''', '''table["seeds"], "stripes")


def stripes(data_dir):
    """Ten classes of 12×12 images: class k has a bright row k."""
    import numpy as np

    def split(n):
        labels = np.arange(n) % 10
        images = np.zeros((n, 12, 12), np.uint8)
        images[np.arange(n), labels + 1] = 255
        return images, labels

    return (*split(200), *split(50))''').replace("keras.Input((28, 28, 1))", "keras.Input((12, 12, 1))")


def test_a_sections_own_data_loader_is_a_dataset_with_its_own_checksum(tmp_path, monkeypatch):
    from experiments.data import load_dataset
    from experiments.errors import DataError
    from report.results.workspace import Workspace

    folder = student_folder(tmp_path, source=LOADER)
    sections = sections_of(folder, monkeypatch)
    tiny = next(s for s in sections if s.name == "tiny")
    dataset = load_dataset("stripes", None, code=str(tiny.source))
    assert dataset.x_train.shape == (200, 12, 12) and dataset.source == "stripes() of tiny.py"
    ws = Workspace(load_config(folder / "mkreport.toml", "smoke", sections=sections), tmp_path / "out", None,
                   [tiny], download=False)
    planned = ws.planned()
    assert [spec.dataset for spec, _ in planned] == ["stripes", "stripes"] and len({key for _, key in planned}) == 2
    with pytest.raises(DataError, match="tiny.py has no function nosuch"):
        load_dataset("nosuch", None, code=str(tiny.source))
    with pytest.raises(DataError, match="unknown dataset 'nosuch'"):
        load_dataset("nosuch", None)


@pytest.mark.parametrize("change, message", [
    (('model="build_model"', 'model="build_modle"'), "names model 'build_modle', which is neither lenet5, rnn nor a function of tiny.py"),
    (('table["seeds"], "mnist")', 'table["seeds"], "mnits")'), "names dataset 'mnits', which is neither"),
    (('kit.grid("{name}"', 'kit.grid("other"'), "names section 'other'; a section's runs carry its own name ('tiny')"),
])
def test_a_run_naming_a_model_or_dataset_that_does_not_exist_is_refused_before_training(tmp_path, monkeypatch,
                                                                                          change, message):
    folder = student_folder(tmp_path, source=TINY.replace(*change))
    sections = sections_of(folder, monkeypatch)
    config = load_config(folder / "mkreport.toml", "smoke", sections=sections)
    with pytest.raises(ConfigError) as error:
        next(s for s in sections if s.name == "tiny").runs(config)
    assert message in str(error.value)


@pytest.mark.slow
def test_a_sections_own_model_and_data_train_alike_in_worker_processes_and_on_ray(tmp_path, monkeypatch):
    """--jobs 2 (worker processes) and --executor ray: each imports the section's module by its path, trains
    its own model on its own data, and gets the same numbers; the default template shows the section."""
    pytest.importorskip("ray")
    from report.pipeline import build_report
    from report.results.workspace import Workspace
    from report.training.execute import Executor

    folder = student_folder(tmp_path, source=LOADER)
    sections = sections_of(folder, monkeypatch)
    tiny = [s for s in sections if s.name == "tiny"]
    config = load_config(folder / "mkreport.toml", "smoke", sections=sections)
    results = []
    for executor, output in ((Executor(jobs=2), tmp_path / "jobs"), (Executor("ray"), tmp_path / "ray")):
        ws = Workspace(config, output, None, tiny)
        built = build_report(ws, executor=executor)
        assert built.tally.trained == 2 and built.tally.failed == []
        records = ws.records("tiny")
        assert {r["parameters"] for r in records} == {144 * 2 + 2 + 2 * 10 + 10, 144 * 3 + 3 + 3 * 10 + 10}
        assert all(r["data_source"] == "stripes() of tiny.py" for r in records)
        results.append({r["key"]: [{k: v for k, v in m.items() if not k.endswith("_seconds")} for m in r["metrics"]]
                        for r in records})
    assert results[0] == results[1] and len(results[0]) == 2
    html = (tmp_path / "jobs" / "report.html").read_text()   # no template of its own: mkreport's default shows it
    assert "1. Tiny" in html and "Final accuracies of every configuration" in html and "<td>width 3</td>" in html
    assert (tmp_path / "jobs" / "figures" / "tiny_curves.png").is_file()


def test_a_config_that_lists_its_sections_imports_no_installed_section_it_does_not_name(tmp_path, monkeypatch):
    monkeypatch.delitem(__import__("sys").modules, "mkreport_extra_grid", raising=False)
    monkeypatch.syspath_prepend(str(installed_package(tmp_path, "raise ImportError('needs torch')\n")))
    folder = student_folder(tmp_path)
    assert [s.name for s in sections_of(folder, monkeypatch)][-1] == "tiny"   # the broken package is not imported
    (folder / "mkreport.toml").write_text('[report]\nsections = ["cnn", "grid"]\n')
    with pytest.raises(ConfigError, match="section grid .entry point grid of mkreport-extra. cannot be imported"):
        sections_of(folder, monkeypatch)


def test_notes_init_with_the_config_writes_a_note_for_a_sections_own_too(tmp_path):
    folder = student_folder(tmp_path)
    result = run_cli("notes", "--init", "--config", "mkreport.toml", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert (folder / "notes" / "tiny.md").is_file() and (folder / "notes" / "cnn.md").is_file()


def test_an_exception_in_a_sections_own_function_is_the_users_one_line_with_the_traceback_in_logs(tmp_path):
    """Issue 38: never "internal error" for the user's code; mkreport's own errors and sections pass as they are."""
    import types

    from report.errors import MkreportError, UserCodeError
    from report.sections import Section

    source = tmp_path / "mine.py"
    source.write_text("")
    module = types.ModuleType("mine")
    module.__file__ = str(source)
    module.figures = lambda summary: summary["curves"]
    module.summarize = lambda records, analysis, settings: (_ for _ in ()).throw(MkreportError("said by mkreport"))
    own = Section("mine", module, own=True)
    with pytest.raises(UserCodeError) as raised:
        own.call("figures", {}, logs=tmp_path / "output")
    log = tmp_path / "output" / "logs" / "section-mine.log"
    assert str(raised.value) == f"section mine: your figures() (mine.py) raised KeyError: 'curves'; its traceback: {log}"
    assert raised.value.exit_code == 1 and "Traceback" in log.read_text() and "KeyError" in log.read_text()
    with pytest.raises(MkreportError, match="^said by mkreport$"):
        own.call("summarize", {}, None, {})
    with pytest.raises(KeyError):   # a section of mkreport's: a bug of mkreport's, not the user's
        Section("mine", module).call("figures", {})


def test_a_sections_runs_that_raises_is_one_line_exit_1_never_internal_error(tmp_path):
    source = TINY.replace('    table = config["{name}"]\n', '    table = config["{name}"]\n    1 / 0\n')
    folder = student_folder(tmp_path, source=source, sections=["tiny"])
    result = run_cli("status", "--config", folder / "mkreport.toml", "--output", tmp_path / "out")
    assert result.returncode == 1 and "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert "section tiny: your runs() (tiny.py) raised ZeroDivisionError: division by zero" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "ZeroDivisionError" in (tmp_path / "out" / "logs" / "section-tiny.log").read_text()


def test_a_budget_key_missing_from_a_sections_table_is_a_config_error_and_an_empty_grid_says_nothing():
    from report.errors import ConfigError
    from report.sections import kit

    with pytest.raises(ConfigError, match="lacks the budget keys batch_size, samples_per_epoch"):
        kit.train_params({"epochs": 1}, model="build_model")
    assert kit.summary([])["claims"] == [] and kit.summary([])["rows"] == []
