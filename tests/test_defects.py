"""Issue 39's defects D4–D17, each reproduced as the attack found it: the test failed before its fix."""
import json
import os

import pytest

from report.results import recorded
from tests.conftest import copy_build, run_cli


def test_d5_none_as_recorded_means_none_not_a_folder_named_none(tmp_path):
    """`--notes none` was recorded as the word and read back as OUTPUT/none: every later command failed."""
    output = tmp_path / "output"
    output.mkdir()
    (output / recorded.RECORD).write_text(json.dumps({"settings": {"profile": "smoke", "notes": "none",
                                                                   "templates": "none", "claims": "none"}}))
    settings = recorded.read(output)
    assert (settings.notes, settings.templates, settings.claims) == ("none", "none", "none")
    result = run_cli("render", "--output", output)
    assert "notes folder" not in result.stderr and "templates folder" not in result.stderr and "/none" not in result.stderr


@pytest.mark.slow
def test_status_render_and_check_of_a_received_folder_need_no_dataset(smoke_build, tmp_path):
    """render, status and check keyed every run by the data's checksum, so they needed the datasets: a TA
    could not check a received folder. The build records each dataset's checksum beside its results."""
    output = copy_build(smoke_build, tmp_path)
    checksums = json.loads((output / "data-checksums.json").read_text())
    assert set(checksums) == {"cifar10", "mnist"} and all(len(v) == 64 for v in checksums.values())
    record = json.loads((output / recorded.RECORD).read_text())
    record["settings"]["data_dir"] = str(tmp_path / "the-senders-data")   # not on this machine
    (output / recorded.RECORD).write_text(json.dumps(record))
    env = {"MKREPORT_CACHE_DIR": str(tmp_path / "empty-cache")}
    without = {k: v for k, v in os.environ.items() if k != "MKREPORT_DATA_DIR"}
    rows = json.loads(run_cli("status", "--json", "--output", output, env=env, check=True, base_env=without).stdout)
    assert rows and {row["state"] for row in rows} == {"done"}
    assert run_cli("check", "--output", output, env=env, base_env=without).returncode == 0
    before = (output / "report.html").read_bytes()
    assert run_cli("render", "--force", "--output", output, env=env, base_env=without).returncode == 0
    assert (output / "report.html").read_bytes() != b"" and before
    (output / "data-checksums.json").unlink()     # without the record: the data is needed, said in one line
    result = run_cli("status", "--output", output, env=env, base_env=without)
    assert result.returncode != 0 and "not found" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("note, says", [
    ("$" + "\\sqrt{" * 300 + "x" + "}" * 300 + "$", "nests 300 braces deep"),     # D8: RecursionError after training
    ("$" + "x^{" * 200 + "y" + "}" * 200 + "$", "nests 200 braces deep"),
    ("$" + "{" * 500 + "}" * 500 + "$", "nests 500 braces deep"),
    ("words " + "$x_{i}$ " * 3000, "the notes hold 3,000 formulas"),                   # D9: 107 s to render
    ("$" + "x+" * 30_000 + "x$", "a formula of 60,001 characters"),                    # D9: 142 s
])
def test_d8_d9_math_beyond_the_limits_is_one_line_before_anything_trains(tmp_path, note, says):
    from report.errors import ConfigError
    from report.output.notes import check_notes, read_notes

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "intro.md").write_text(note)
    with pytest.raises(ConfigError, match=says):
        check_notes(notes)
    with pytest.raises(ConfigError, match=says):
        read_notes(notes, ["intro"])
    result = run_cli("all", "--profile", "smoke", "--notes", notes, "--output", tmp_path / "output")
    assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "output" / "store").exists()


def test_math_inside_the_limits_is_drawn(tmp_path):
    from report.output.notes import MAX_FORMULA_DEPTH, MAX_FORMULAS, read_notes

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "intro.md").write_text("$" + "x^{" * MAX_FORMULA_DEPTH + "y" + "}" * MAX_FORMULA_DEPTH + "$ "
                                    + "$a_{i}$ " * (MAX_FORMULAS - 1))
    html = read_notes(notes, ["intro"])["intro"]
    assert html.count("data:image/svg+xml;base64,") == MAX_FORMULAS


@pytest.mark.slow
def test_check_passes_on_a_report_whose_notes_hold_math_and_the_word_nan(smoke_build, tmp_path):
    """`mkreport check` took a formula's data: URI for a file name ("File name too long") and the word NaN
    or "None of" in a note for a missing value; a missing value mkreport printed is still caught."""
    output = copy_build(smoke_build, tmp_path)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "intro.md").write_text("The loss is $-\\sum_i y_i \\log p_i$ and $x^2$. A diverged run gives NaN. "
                                    "None of the seeds was lost.\n")
    env = {"MKREPORT_CACHE_DIR": str(smoke_build["cache"])}
    common = ("--output", output, "--data-dir", smoke_build["data_dir"])
    run_cli("render", "--notes", notes, *common, env=env, check=True)
    assert "data:image/svg+xml;base64," in (output / "report.html").read_text()
    result = run_cli("check", *common, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    html = (output / "report.html").read_text()
    (output / "report.html").write_text(html.replace("</h2>", "</h2><p>accuracy nan</p>", 1))
    result = run_cli("check", *common, env=env)
    assert result.returncode == 1 and "missing value: 'nan'" in result.stdout + result.stderr


@pytest.mark.parametrize("table, says", [
    ("batch_size = 0", "batch_size = 0 in the section's config table; it must be a whole number from 1 to 65,536"),
    ("samples_per_epoch = 0", "samples_per_epoch = 0 in the section's config table; it must be a whole number from 1"),
    ("test_samples = 0", "test_samples = 0 in the section's config table; it must be a whole number from 1"),
])
def test_d16_a_sections_budget_out_of_bounds_is_refused_before_training(tmp_path, table, says):
    """D16: batch_size = 0, samples_per_epoch = 0 and test_samples = 0 were accepted and every run failed."""
    from tests.test_own_sections import TINY, student_folder

    key = table.split(" = ")[0]
    source = "\n".join(table if line.startswith(f"{key} = ") else line for line in TINY.splitlines())
    folder = student_folder(tmp_path, source=source, sections=["tiny"])
    result = run_cli("all", "--profile", "smoke", "--config", folder / "mkreport.toml", "--output", tmp_path / "out")
    assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "store").exists()


@pytest.mark.parametrize("change, says", [
    (('table["seeds"], "mnist")', 'table["seeds"] * 2, "mnist")'),
     "section tiny plans run tiny/width 2/seed=0 twice (its runs() lists it twice"),            # D6
    (('table["seeds"], "mnist")', '[10 ** 20], "mnist")'),
     "seed 100000000000000000000 is not a whole number from 0 to 999"),                         # D16
    (('table["seeds"], "mnist")', '[1000], "mnist")'), "(from 1000 on are the seeds --resolve adds)"),
])
def test_d6_d16_a_run_planned_twice_or_with_a_seed_no_run_can_have_is_refused(tmp_path, change, says):
    from tests.test_own_sections import TINY, student_folder

    folder = student_folder(tmp_path, source=TINY.replace(*change), sections=["tiny"])
    result = run_cli("status", "--profile", "smoke", "--config", folder / "mkreport.toml", "--output", tmp_path / "out")
    assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("content, says", [
    ('[[claim]]\nsection = "cnn"\nconfig = []\nlearns = true\n', "config takes a configuration label or a list"),  # D6
    ('[[claim]]\nsection = "cnn"\nabove = ["sgd, lr=0.01", "sgd, lr=0.01"]\n', "names 'sgd, lr=0.01' twice"),
    ('[[claim]]\nsection = "cnn"\nconfig = ["sgd, lr=0.01", "sgd, lr=0.01"]\nlearns = true\n', "twice"),
    ('[[claim]]\nsection = "cnn"\nlearns = true\nconfig = "sgd, lr=0.01"\n' * 501, "has 501 claims; at most 500"),  # D9
    ('[[claim]]\nsection = "cnn"\nlearns = true\nconfig = "sgd, lr=0.01"\ntext = "' + "x" * 2001 + '"\n',
     "its text has 2,001 characters; at most 2,000"),
])
def test_d6_d9_a_claims_file_naming_nothing_or_one_thing_twice_or_too_much_is_refused(tmp_path, content, says):
    from report.claims_file import read_claims_file
    from report.errors import ConfigError

    path = tmp_path / "claims.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match="claims file") as error:
        read_claims_file(path, {"cnn": ["sgd, lr=0.01", "adam, lr=0.001"]})
    assert says in str(error.value)


def test_d17_a_fifo_given_as_claims_is_refused_not_waited_on(tmp_path):
    from report.claims_file import read_claims_file
    from report.errors import ConfigError

    fifo = tmp_path / "claims.toml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="is not a regular file"):
        read_claims_file(fifo, {"cnn": ["sgd, lr=0.01"]})


@pytest.mark.parametrize("prefix, says", [
    ("import sys\nsys.exit(0)\n", "section tiny ([report] sections) cannot be imported: it called sys.exit(0) while being imported"),
    ("import argparse\nargparse.ArgumentParser().parse_args(['--lr'])\n",
     "cannot be imported: it called sys.exit(2) while being imported after printing"),
    ("", "TITLE must be the section's heading, a line of text (up to 200 characters), not NoneType"),
])
def test_d11_d17_a_section_that_exits_at_import_or_has_no_title_fails_in_one_line(tmp_path, prefix, says):
    """D11: sys.exit(0) at import made `mkreport all` exit 0 with nothing written (a CI check went green); a
    module-level argparse printed its own usage. D17: TITLE = None was printed as a Python repr."""
    from tests.test_own_sections import TINY, student_folder

    source = prefix + TINY if prefix else TINY.replace('TITLE = "Tiny"', "TITLE = None")
    folder = student_folder(tmp_path, source=source, sections=["tiny"])
    result = run_cli("all", "--profile", "smoke", "--config", folder / "mkreport.toml", "--output", tmp_path / "out")
    assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr
    assert "usage:" not in result.stderr.split("mkreport:")[0]          # nothing printed but the one line
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
@pytest.mark.parametrize("returned, says", [
    ('dict([("../../../../tmp/x", next(iter(kit.figures(summary).values())))])',
     "returned the figure name '../../../../tmp/x'"),
    ('dict(curves=b"not a png")', "returned figure 'curves' as bytes, not PNG bytes"),
])
def test_d10_a_figure_name_that_is_not_a_file_name_in_figures_is_refused(tmp_path, data_dir, returned, says):
    from tests.test_own_sections import TINY, student_folder

    source = TINY.replace("    return kit.figures(summary)", f"    return {returned}")
    folder = student_folder(tmp_path, source=source, sections=["tiny"])
    result = run_cli("all", "--profile", "smoke", "--config", folder / "mkreport.toml", "--output", tmp_path / "out",
                     "--data-dir", data_dir, env={"MKREPORT_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 1 and f"section tiny: your figures() (tiny.py) {says}" in result.stderr
    assert not list(tmp_path.rglob("x.png")) and not list((tmp_path / "out").glob("report.*"))


def test_d15_tensorboard_gives_every_label_its_own_folder_and_drops_a_relabelled_runs(tmp_path):
    from report.output.tensorboard_export import _remove_other_runs, run_folder

    root = tmp_path / "tensorboard"
    a, b = {"label": "x y", "seed": 0}, {"label": "x_y", "seed": 0}
    assert run_folder(root, "own", a) != run_folder(root, "own", b)                  # both shown
    assert run_folder(root, "cnn", {"label": "adam, lr=0.001", "seed": 1}).name == "adam_lr=0.001_seed=1"
    old, kept, users = run_folder(root, "own", {"label": "old name", "seed": 0}), run_folder(root, "own", b), root / "own" / "mine"
    for folder in (old, kept, users):
        folder.mkdir(parents=True)
    (old / "mkreport-key").write_text("k1")
    (kept / "mkreport-key").write_text("k2")
    _remove_other_runs(root, {"own": [b]})
    assert not old.exists() and kept.exists() and users.exists()   # a folder mkreport did not write stays


def test_d14_report_md_keeps_text_as_text_and_only_safe_links_and_images():
    from report.output.render import markdown_of

    html = ('<html><head><title>t</title></head><body><h1>A &lt;script&gt;alert(1)&lt;/script&gt;</h1>'
            '<p>claim ![x](/etc/passwd) <a href="javascript:alert(1)">click</a> <a href="https://x.org">ok</a> '
            '<img src="figures/cnn_curves.png" alt="curves"> <img src="/etc/passwd" alt="leak"> '
            '<img src="data:image/svg+xml;base64,PHN2Zz4=" alt="x^2"> <img src="x" onerror="alert(1)"></p></body></html>')
    markdown = markdown_of(html)
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    assert "![x](/etc/passwd)" not in markdown and "!\\[x\\](/etc/passwd)" in markdown   # text, not an image
    assert "![leak]" not in markdown and "javascript:" not in markdown and "onerror" not in markdown
    assert "[ok](https://x.org)" in markdown and "![curves](figures/cnn_curves.png)" in markdown
    assert "![x^2](data:image/svg+xml;base64,PHN2Zz4=)" in markdown and "click" in markdown


def test_d14_report_html_tells_a_browser_to_fetch_nothing_whatever_the_templates_say(tmp_path):
    """A student's report.css with a remote @import, font and background: a TA's browser fetched them."""
    from report.output.render import CSP_META, render_html

    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "report.css").write_text("@import url(https://evil.example/x.css);\n"
                                       "body { background: url(http://evil.example/bg.png); }\n")
    # a user's own report.html, with no <head> at all
    (folder / "report.html").write_text("<style>{% include 'report.css' %}</style><p>{{ title }}</p>")
    html = render_html({"title": "T"}, folder)
    assert html.startswith(CSP_META) and html.index(CSP_META) < html.index("evil.example")


@pytest.mark.slow
def test_d14_the_built_report_puts_its_policy_before_any_stylesheet(smoke_build):
    from report.output.render import CSP_META

    html = (smoke_build["output"] / "report.html").read_text()
    head = html[:html.index("</head>")]
    assert CSP_META in head and head.index(CSP_META) < head.index("<style>")
    assert "default-src 'none'" in CSP_META and "img-src data:" in CSP_META


class _ForgedArray:
    """Pickles as NumPy pickles an array, but with the shape and bytes it is given."""

    def __init__(self, shape, raw):
        self.shape, self.raw = shape, raw

    def __reduce__(self):
        import numpy as np
        from numpy._core.multiarray import _reconstruct

        return (_reconstruct, (np.ndarray, (0,), b"b"), (1, self.shape, np.dtype("uint8"), False, self.raw))


@pytest.mark.parametrize("batch, says", [
    (lambda np: {b"data": np.zeros((20, 3072), np.uint8), b"labels": [10] * 20}, "labels out of range"),
    (lambda np: {b"data": np.zeros((20, 3072), np.uint8), b"labels": [1] * 15}, "15 labels for 20 images"),
    (lambda np: {b"data": _ForgedArray((70_000_000, 3072), b""), b"labels": []}, "more than a batch holds"),
    (lambda np: {b"data": _ForgedArray((20, 3072), b""), b"labels": [1] * 20}, "are not in the file"),
])
def test_d12_a_damaged_or_forged_colour_cifar_batch_is_one_data_error(tmp_path, batch, says):
    """D12: label 10 was an IndexError, a forged 70e6 × 3072 array a MemoryError, 150 labels for 200 rows
    silently truncated, an array pickled without its data trained on as uninitialised memory."""
    import pickle

    import numpy as np

    from experiments import data
    from experiments.errors import DataError
    from tests.test_data import extracted_batches

    folder = extracted_batches(tmp_path / "data")
    (folder / "cifar-10-batches-py" / "data_batch_2").write_bytes(pickle.dumps(batch(np), protocol=4))
    with pytest.raises(DataError, match=says):
        data.load_dataset("cifar10-rgb", folder)


def test_d4_a_section_file_edited_after_its_runs_were_planned_fails_the_run_never_trains_it_under_the_old_key(
        tmp_path, monkeypatch):
    """D4: a module edited during a build (edit, wait, revert) trained 12 runs with the edited network under
    the original source's key. What trains is checked against what was keyed, in the process that trains."""
    import hashlib

    from experiments import own_code
    from report.results.runs import RunSpec
    from report.training.workers import train_with_data

    module = tmp_path / "mine.py"
    module.write_text("def build_model(params):\n    raise AssertionError('the planned source never trains')\n")
    planned = hashlib.sha256(module.read_bytes()).hexdigest()
    module.write_text("def build_model(params):\n    raise AssertionError('the edited source trained')\n")
    monkeypatch.setattr(own_code, "EXPECTED", {})
    spec = RunSpec("mine", "a", 0, {"model": "build_model", "epochs": 1}, "mnist", code=str(module),
                   code_sha256=planned)
    result, error, _ = train_with_data(spec, dataset=None, threads=1)
    assert result is None and "mine.py changed after its runs were planned" in error and "edited" not in error


def test_d4_the_planned_source_is_the_key_and_is_what_loads(tmp_path, monkeypatch):
    import hashlib

    from experiments import own_code
    from report.results.runs import RunSpec, run_key

    module = tmp_path / "mine2.py"
    module.write_text("VALUE = 1\n")
    digest = hashlib.sha256(module.read_bytes()).hexdigest()
    spec = RunSpec("mine", "a", 0, {"model": "x"}, "mnist", code=str(module), code_sha256=digest)
    assert run_key(spec, "data") == run_key(RunSpec("mine", "a", 0, {"model": "x"}, "mnist", code=str(module)), "data")
    monkeypatch.setattr(own_code, "EXPECTED", {})
    own_code.expect(str(module), digest)
    assert own_code.load_module(str(module)).VALUE == 1


def _disk_full_at_the_pdf(monkeypatch):
    """The disk fills when report.pdf is written (ENOSPC, forced); returns the real writer."""
    import errno

    from report.results import store as store_module

    real = store_module.temporary_beside

    def disk_full_at_the_pdf(path, data):
        if path.name == "report.pdf":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(store_module, "temporary_beside", disk_full_at_the_pdf)
    return real


def test_d7_outputs_are_one_set_a_failure_part_way_leaves_the_previous_set_whole(tmp_path, monkeypatch):
    """D7: ENOSPC while writing report.html left claims.json and metrics.csv of the new build beside the old
    report, and `check` said OK."""
    from report.results import store as store_module
    from report.results.store import OutputError, Store

    store = Store(tmp_path)
    for name in ("claims.json", "metrics.csv", "report.html", "report.pdf"):
        store.write_output(name, f"old {name}")
    real = _disk_full_at_the_pdf(monkeypatch)
    with pytest.raises(OutputError, match="report.pdf: No space left on device"):
        with store.output_set():
            for name in ("claims.json", "metrics.csv", "report.html", "report.pdf"):
                store.write_output(name, f"new {name}")
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {
        name: f"old {name}" for name in ("claims.json", "metrics.csv", "report.html", "report.pdf")}  # no temporary
    monkeypatch.setattr(store_module, "temporary_beside", real)
    with store.output_set():
        for name in ("claims.json", "report.pdf"):
            store.write_output(name, f"new {name}")
    assert (tmp_path / "claims.json").read_text() == "new claims.json" and len(list(tmp_path.iterdir())) == 4


@pytest.mark.slow
def test_d7_a_render_that_fails_at_the_pdf_keeps_every_output_of_the_previous_build(smoke_build, tmp_path,
                                                                                    monkeypatch):
    from report import cli

    output = copy_build(smoke_build, tmp_path)
    before = {p.relative_to(output): p.read_bytes() for p in output.rglob("*")
              if p.is_file() and "store" not in p.parts and "tensorboard" not in p.parts and not p.name.startswith(".")}
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "intro.md").write_text("A new introduction changes report.html.\n")
    _disk_full_at_the_pdf(monkeypatch)
    monkeypatch.setenv("MKREPORT_CACHE_DIR", str(smoke_build["cache"]))
    with pytest.raises(SystemExit) as exit_code:
        cli.main(["render", "--notes", str(notes), "--output", str(output), "--data-dir", str(smoke_build["data_dir"])])
    assert exit_code.value.code != 0
    after = {p.relative_to(output): p.read_bytes() for p in output.rglob("*")
             if p.is_file() and "store" not in p.parts and "tensorboard" not in p.parts and not p.name.startswith(".")}
    assert after == before
    assert not [p for p in output.rglob("*.tmp")]


def test_d16_a_model_with_other_than_ten_outputs_fails_its_run_with_one_line(tmp_path, monkeypatch):
    """D16: 11 logits for 10 classes trained "done"."""
    import numpy as np

    from experiments.data import Dataset
    from report.results.runs import RunSpec
    from report.training.workers import train_with_data

    module = tmp_path / "eleven.py"
    module.write_text("def build_model(params):\n    import keras\n    inputs = keras.Input((28, 28, 1))\n"
                      "    return keras.Model(inputs, keras.layers.Dense(11)(keras.layers.Flatten()(inputs)))\n")
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 255, (20, 28, 28), dtype=np.uint8), np.arange(20) % 10
    dataset = Dataset("made", images, labels, images, labels, "0" * 64, "made here")
    params = {"model": "build_model", "optimizer": "adam", "learning_rate": 1e-3, "epochs": 1, "batch_size": 10,
              "samples_per_epoch": 20, "test_samples": 20, "log_every_steps": 1}
    result, error, _ = train_with_data(RunSpec("own", "a", 0, params, "x", code=str(module)), dataset, threads=1)
    assert result is None and "gives 11 outputs per image" in error and "must end in 10 logits" in error


@pytest.mark.slow
def test_d9_a_summary_text_beyond_the_limit_is_the_users_one_line_not_minutes_of_layout(tmp_path, data_dir):
    from tests.test_own_sections import TINY, student_folder

    source = TINY.replace('    return kit.summary(records["{name}"], what="width")',
                          '    return dict(kit.summary(records["{name}"], what="width"), intro="x" * 5_000_000)')
    folder = student_folder(tmp_path, source=source, sections=["tiny"])
    result = run_cli("all", "--profile", "smoke", "--config", folder / "mkreport.toml", "--output", tmp_path / "out",
                     "--data-dir", data_dir, env={"MKREPORT_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 1 and "section tiny: your summarize() (tiny.py) returned texts of 5,00" in result.stderr
    assert "characters in all" in result.stderr
