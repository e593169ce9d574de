"""Issue 13's hostile scenarios, one test each (numbered as in the issue): nothing lost, nothing
wrong, nothing hangs. What a test needs (a damaged file, a dead worker, a full disk) is forced."""
import errno
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from report.errors import ConfigError
from tests.conftest import REPO, copy_build, run_cli


def cli(smoke_build, *args, output, **kwargs):
    return run_cli(*args, "--profile", "smoke", "--output", output, "--data-dir", smoke_build["data_dir"],
                   env={"MKREPORT_CACHE_DIR": str(smoke_build["cache"])}, **kwargs)


def status(smoke_build, output):
    return json.loads(cli(smoke_build, "status", "--json", output=output, check=True).stdout)


@pytest.mark.slow
def test_1_a_flipped_byte_in_stored_weights_is_corrupt_and_only_that_run_is_retrained(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    victim = next(r for r in status(smoke_build, output) if r["section"] == "cnn")
    arrays = Path(victim["path"]).with_suffix(".npz")
    data = bytearray(arrays.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte different
    arrays.write_bytes(bytes(data))
    assert [r["state"] for r in status(smoke_build, output) if r["key"] == victim["key"]] == ["corrupt"]
    result = cli(smoke_build, "cnn", output=output)
    assert result.returncode == 0, result.stderr
    assert "trained 1 run(s), reused 8" in result.stdout
    assert {r["state"] for r in status(smoke_build, output)} == {"done"}


@pytest.mark.slow
def test_1_a_truncated_analysis_is_recomputed_not_a_dead_end(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    arrays = next((output / "store" / "visualize").glob("*.npz"))
    arrays.write_bytes(arrays.read_bytes()[:100])
    result = cli(smoke_build, "all", output=output)
    assert result.returncode == 0, result.stderr
    assert "trained 0 run(s)" in result.stdout
    assert cli(smoke_build, "check", output=output).returncode == 0


@pytest.mark.parametrize("inside", ["templates", "report/sections", "experiments"])
def test_2_an_output_inside_mkreport_is_refused(tmp_path, inside):
    result = run_cli("render", "--output", REPO / inside)
    assert result.returncode == 2 and "inside mkreport's own folder" in result.stderr
    assert not (REPO / inside / "report.pdf").exists() and not (REPO / inside / "store").exists()


def test_2_an_output_that_is_the_datasets_folder_is_refused(tmp_path):
    (tmp_path / "data").mkdir()
    result = run_cli("all", "--data-dir", tmp_path / "data", "--output", tmp_path / "data")
    assert result.returncode == 2 and "datasets folder" in result.stderr


@pytest.mark.slow
def test_3_a_regular_install_builds_the_smoke_report_from_another_folder(tmp_path, data_dir):
    """The wheel, installed into a fresh virtual environment (the heavy dependencies come from this
    interpreter's site-packages, so nothing is downloaded), runs from a folder outside the source.
    Those site-packages are named in a .pth file: `--system-site-packages` would give the base
    interpreter's, which lack them when the tests run in a venv (as the README sets up)."""
    import site

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "wheel"), str(REPO)], check=True, capture_output=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    own_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              capture_output=True, text=True, check=True).stdout.strip()
    # appended after the venv's own folder, and their .pth files (this checkout's editable install) unread
    Path(own_site, "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    wheel = next((tmp_path / "wheel").glob("mkreport_dl-*.whl"))
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True,
                   capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", MKREPORT_CACHE_DIR=str(tmp_path / "cache"))
    where = subprocess.run([str(python), "-c", "import report, report.sections.cnn; print(report.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, env=env, check=True).stdout
    assert str(venv) in where and str(REPO) not in where  # the installed copy, not the source tree
    config = elsewhere / "small.toml"  # a small grid keeps the test short; the code path is the full one
    config.write_text('[cnn]\noptimizers = ["adam"]\nlearning_rates = [1e-3]\n'
                      '[rnn]\ncells = ["gru"]\nhidden_sizes = [64]\n[compare]\nsize_matched = false\n')
    result = subprocess.run([str(venv / "bin" / "mkreport"), "all", "--profile", "smoke", "--config", str(config),
                             "--data-dir", str(data_dir), "--output", "out"], capture_output=True, text=True,
                            cwd=elsewhere, env=env)
    assert result.returncode == 0, result.stderr
    assert (elsewhere / "out" / "report.pdf").is_file()


@pytest.mark.slow
def test_5_a_killed_worker_fails_only_its_run_and_the_grid_goes_on(tmp_path, data_dir):
    output, cache = tmp_path / "output", tmp_path / "cache"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", MKREPORT_CACHE_DIR=str(cache))
    process = subprocess.Popen([sys.executable, "-m", "report", "cnn", "--profile", "smoke", "--output",
                                str(output), "--data-dir", str(data_dir), "--jobs", "2"],
                               stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
    deadline, seen = time.time() + 120, []
    while not any(line.startswith("[2/") for line in seen):  # both workers have started a run
        assert time.time() < deadline, "".join(seen)
        seen.append(process.stderr.readline())
    workers = [pid for pid in _children(process.pid) if b"spawn_main" in _cmdline(pid)]
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)  # what the OOM killer does
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 1 and "Traceback" not in stderr
    assert "1 run(s) failed" in stderr and "restarting the workers" in stderr
    states = [r["state"] for r in json.loads(run_cli("status", "--profile", "smoke", "--json", "--output", output,
                                                     "--data-dir", data_dir, env={"MKREPORT_CACHE_DIR": str(cache)},
                                                     check=True).stdout) if r["section"] == "cnn"]
    assert states.count("failed") == 1 and states.count("done") == 8
    failed = next(p for p in (output / "store" / "cnn").glob("*.json")
                  if json.loads(p.read_text())["record"]["state"] == "failed")
    assert "SIGKILL" in json.loads(failed.read_text())["record"]["error"]


def _children(pid):
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.mark.slow
def test_7_outputs_are_readable_as_the_umask_says(smoke_build):
    mask = os.umask(0)
    os.umask(mask)
    expected = 0o666 & ~mask
    output = smoke_build["output"]
    files = [output / "report.html", output / "report.pdf", output / "metrics.csv", output / "claims.json",
             *(output / "figures").glob("*.png"), *(output / "store").rglob("*.json")]
    assert files and {oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {oct(expected)}


def test_8_an_unwritable_cache_is_skipped_with_one_warning(tmp_path, monkeypatch, capsys, data_dir):
    from experiments import data

    monkeypatch.setenv("MKREPORT_CACHE_DIR", "/proc/mkreport-cache")  # nobody, not even root, can create it
    dataset = data.load_cifar10(data_dir)
    assert len(dataset.x_train) == 10_000
    assert "warning: cannot write the decoded-data cache" in capsys.readouterr().err


@pytest.mark.slow
def test_9_a_folder_where_report_pdf_goes_is_one_line_naming_it(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    (output / "report.pdf").unlink()
    (output / "report.pdf").mkdir()
    result = cli(smoke_build, "render", output=output)
    errors = [line for line in result.stderr.splitlines() if line.startswith("mkreport:")]
    assert result.returncode == 2 and len(errors) == 1 and "Traceback" not in result.stderr  # named before any work
    assert f"{output / 'report.pdf'} is a folder where mkreport writes a file" in errors[0]
    assert "internal error" not in result.stderr
    assert not [p for p in output.iterdir() if p.name.endswith(".tmp")]


def test_9_a_full_disk_names_the_file_and_what_to_do(tmp_path, monkeypatch):
    from report.results.store import OutputError, atomic_write_bytes

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OutputError, match=r"cannot write .*metrics.csv: No space left on device — the disk is full"):
        atomic_write_bytes(tmp_path / "metrics.csv", b"x")
    assert list(tmp_path.iterdir()) == []  # the temporary file is gone


@pytest.mark.slow
def test_10_sigterm_exits_143_with_one_line_and_keeps_finished_runs(tmp_path, data_dir):
    output = tmp_path / "output"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", MKREPORT_CACHE_DIR=str(tmp_path / "cache"))
    process = subprocess.Popen([sys.executable, "-m", "report", "cnn", "--profile", "smoke", "--output", str(output),
                                "--data-dir", str(data_dir), "--jobs", "2"], stderr=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
    deadline = time.time() + 120
    while "done in" not in process.stderr.readline():
        assert time.time() < deadline
    process.send_signal(signal.SIGTERM)  # to the main process only, as `timeout` sends it
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143
    assert "Traceback" not in stderr and "leaked semaphore" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("mkreport: terminated")
    assert list((output / "store" / "cnn").glob("*.json"))


def test_11_a_data_folder_that_does_not_exist_is_an_error_naming_it(tmp_path):
    result = run_cli("status", "--data-dir", tmp_path / "nowhere", "--output", tmp_path / "out")
    assert result.returncode == 2 and str(tmp_path / "nowhere") in result.stderr
    assert not (tmp_path / "out").exists()


def test_12_status_on_a_missing_folder_creates_nothing(tmp_path, data_dir):
    result = run_cli("status", "--profile", "smoke", "--data-dir", data_dir, "--output", tmp_path / "typo")
    assert result.returncode == 0 and "missing" in result.stdout
    assert not (tmp_path / "typo").exists()


def test_13_a_fifo_in_the_store_is_corrupt_not_a_hang(tmp_path):
    from report.results.store import CorruptResult, Store

    store = Store(tmp_path)
    store.save("cnn", "k1", {"state": "done"}, {"w": np.zeros(3)})
    fifo = store.record_path("cnn", "k2")
    os.mkfifo(fifo)
    with pytest.raises(CorruptResult, match="not a regular file"):
        store.load("cnn", "k2")
    (tmp_path / "store" / "cnn" / "k1.npz").unlink()
    (tmp_path / "store" / "cnn" / "k1.npz").symlink_to("/dev/zero")
    with pytest.raises(CorruptResult):
        store.load("cnn", "k1")


@pytest.mark.parametrize("toml, key", [("[cnn]\nepochs = 1000000\n", "cnn.epochs"),
                                       ("[rnn]\nsamples_per_epoch = 100000000000\n", "rnn.samples_per_epoch"),
                                       ("[rnn]\nhidden_sizes = [64, 1000000]\n", "rnn.hidden_sizes")])
def test_14_absurd_budgets_are_refused_before_anything_trains(tmp_path, toml, key):
    config = tmp_path / "absurd.toml"
    config.write_text(toml)
    result = run_cli("plan", "--config", config, "--output", tmp_path / "out")
    assert result.returncode == 2 and key in result.stderr and "at most" in result.stderr


def test_15_long_words_wrap_and_titles_have_cjk_and_emoji_fonts():
    css = (REPO / "templates" / "report.css").read_text()
    assert "overflow-wrap: break-word" in css and "Noto Sans CJK" in css and "Noto Color Emoji" in css


@pytest.mark.slow
def test_16_check_finds_results_the_config_no_longer_has(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    fewer = tmp_path / "fewer.toml"
    fewer.write_text("[cnn]\nlearning_rates = [1e-2, 1e-3]\n")
    result = cli(smoke_build, "check", "--config", fewer, output=output)
    assert result.returncode == 1 and "the current config no longer has" in result.stderr


# --- issue 39, D2: files are read only where they are ---------------------------------------------------------

def test_a_note_linked_to_a_file_outside_its_folder_is_refused_before_anything_trains(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the TA's private key")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "intro.md").symlink_to(secret)
    from report.output.notes import check_notes, read_notes

    with pytest.raises(ConfigError, match="link to a file outside the notes folder"):
        check_notes(notes)
    with pytest.raises(ConfigError, match="link to a file outside the notes folder"):
        read_notes(notes, ["intro"])
    result = run_cli("all", "--profile", "smoke", "--notes", notes, "--output", tmp_path / "out")
    assert result.returncode == 2 and "intro.md is a link to a file outside the notes folder" in result.stderr
    assert "training" not in result.stderr and not (tmp_path / "out" / "report.html").exists()


def test_a_note_linked_inside_its_folder_is_read():
    import tempfile
    from pathlib import Path

    from report.output.notes import read_notes

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "draft.md").write_text("Our words.")
        (Path(folder) / "intro.md").symlink_to(Path(folder) / "draft.md")
        assert "Our words." in read_notes(Path(folder), ["intro"])["intro"]


@pytest.mark.parametrize("name", ["report.css", "sections/own-default.html"])
def test_a_template_linked_to_a_file_outside_its_folder_is_refused(tmp_path, name):
    from report.output.render import check_templates, template_environment

    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2")
    templates = tmp_path / "templates"
    (templates / "sections").mkdir(parents=True)
    (templates / name).symlink_to(secret)
    with pytest.raises(ConfigError, match="link to a file outside the templates folder"):
        check_templates(templates)
    with pytest.raises(ConfigError, match="link to a file outside the templates folder"):
        template_environment(templates).get_template(name)


# --- issue 39, D1: code runs only from the sections a config lists -------------------------------------------

def _booby_trapped_folder(tmp_path, sections):
    folder = tmp_path / "student"
    (folder / "sections").mkdir(parents=True)
    for name in ("difflib", "jinja2", "scipy"):
        (folder / "sections" / f"{name}.py").write_text(
            f"import pathlib\npathlib.Path({str(tmp_path / 'ran')!r}).write_text('{name}')\n")
    (folder / "mkreport.toml").write_text(f"[report]\nsections = {sections!r}\n".replace("'", '"'))
    return folder


def test_a_sections_folder_beside_a_config_that_lists_only_mkreports_sections_runs_nothing(tmp_path, data_dir):
    folder = _booby_trapped_folder(tmp_path, ["cnn", "visualize", "deconvnet", "rnn", "compare"])
    result = run_cli("status", "--profile", "smoke", "--config", folder / "mkreport.toml", "--output", tmp_path / "out",
                     "--data-dir", data_dir)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "ran").exists()


def test_a_listed_section_is_loaded_from_its_file_and_its_folder_shadows_nothing(tmp_path, monkeypatch):
    import sys

    from report.sections import discover

    folder = _booby_trapped_folder(tmp_path, ["cnn"])
    toy = (REPO / "tests" / "toy_section" / "toy.py").read_text()
    (folder / "sections" / "toy.py").write_text("import difflib\nimport scipy\n" + toy)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in ("difflib", "scipy", "toy"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    sections = discover(["cnn", "toy"], folder / "mkreport.toml")
    assert [s.name for s in sections] == ["cnn", "toy"] and not (tmp_path / "ran").exists()
    assert sys.path[-1] == str((folder / "sections").resolve())


@pytest.mark.parametrize("name", ["json", "csv", "email", "report"])
def test_a_section_named_like_a_standard_module_is_refused(tmp_path, name):
    from report.sections import discover

    folder = _booby_trapped_folder(tmp_path, [name])
    (folder / "sections" / f"{name}.py").write_text("TITLE = 'x'\n")
    with pytest.raises(ConfigError, match="would shadow it"):
        discover([name], folder / "mkreport.toml")


def test_a_received_record_naming_a_config_with_a_section_of_its_own_runs_none_of_its_code(tmp_path, data_dir):
    """D1: a folder whose mkreport-build.json names `evil.toml` inside it ran out/sections/evil.py on `status`."""
    out = tmp_path / "out"
    (out / "sections").mkdir(parents=True)
    (out / "sections" / "evil.py").write_text(
        f"import pathlib\npathlib.Path({str(tmp_path / 'ran')!r}).write_text('evil')\n")
    (out / "evil.toml").write_text('[report]\nsections = ["cnn", "evil"]\n')
    (out / "mkreport-build.json").write_text(json.dumps({"settings": {"config": "evil.toml", "profile": "smoke"}}))
    result = run_cli("status", "--output", out, "--data-dir", data_dir)
    assert result.returncode == 2 and not (tmp_path / "ran").exists()
    assert "runs only when you name its config yourself" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_received_records_absolute_notes_outside_its_folder_are_not_read(smoke_build, tmp_path):
    """D2: a received record with "notes": "/elsewhere" had the notes read into the report."""
    output = copy_build(smoke_build, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "intro.md").write_text("SECRET-FROM-ELSEWHERE")
    record = json.loads((output / "mkreport-build.json").read_text())
    record["settings"]["notes"] = str(elsewhere)
    (output / "mkreport-build.json").write_text(json.dumps(record))   # as written in the student's folder
    result = cli(smoke_build, "render", output=output)
    assert result.returncode == 2 and "was written in another folder and names notes" in result.stderr
    assert "SECRET" not in (output / "report.html").read_text()
    given = cli(smoke_build, "render", "--notes", "none", "--force", output=output)
    assert given.returncode == 0, given.stderr
    assert "SECRET" not in (output / "report.html").read_text()


def test_a_local_record_keeps_its_absolute_paths(tmp_path):
    from report.results import recorded

    output = tmp_path / "out"
    output.mkdir()
    notes = tmp_path / "notes"
    (output / recorded.RECORD).write_text(json.dumps({"settings": {"notes": str(notes)},
                                                      "written_in": str(output.resolve())}))
    assert recorded.read(output).notes == str(notes)
    (output / recorded.RECORD).write_text(json.dumps({"settings": {"notes": str(notes)}, "written_in": "/else"}))
    assert recorded.read(output).notes == recorded.REFUSED + str(notes)
