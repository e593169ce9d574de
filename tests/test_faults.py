"""What a user sees when something is off: one line naming the file and the fix, the right exit status."""
import os
import signal
import subprocess
import sys
import time

import pytest

from report.config import load_config
from tests.conftest import REPO, copy_build, run_cli


def test_a_config_with_a_byte_order_mark_is_read(tmp_path):
    config = tmp_path / "bom.toml"
    config.write_bytes("\ufeff[report]\nauthor = \"Ada\"\n".encode("utf-8"))
    assert load_config(config, "smoke")["report"]["author"] == "Ada"


def test_report_date_may_be_a_toml_date(tmp_path):
    config = tmp_path / "date.toml"
    config.write_text("[report]\ndate = 2026-12-01\n")
    assert load_config(config, "smoke")["report"]["date"] == "2026-12-01"
    assert load_config(None, "smoke", ["report.date=2026-12-01"])["report"]["date"] == "2026-12-01"


@pytest.mark.parametrize("content, says", [
    ("", "not a build record"),
    ("[1, 2]", "not a build record"),
    ('{"settings": {"profile": 3}}', "profile is not a string"),
    ('{"settings": {"sets": "cnn.epochs=1"}}', "sets is not a list of strings"),
    ('{"fingerprint": null}', "missing 'settings'"),
])
def test_a_damaged_build_record_is_named_not_ignored(tmp_path, content, says):
    output = tmp_path / "output"
    output.mkdir()
    (output / "mkreport-build.json").write_text(content)
    result = run_cli("status", "--output", output)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr and "mkreport-build.json" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_sigterm_during_the_render_exits_143(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    (output / "claims.json").unlink()   # not up to date: the render has work to do
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", MKREPORT_CACHE_DIR=str(smoke_build["cache"]))
    process = subprocess.Popen([sys.executable, "-m", "report", "render", "--output", str(output)],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=REPO)
    seen = []
    deadline = time.time() + 60
    while not any("summarizing" in line or "writing report" in line for line in seen):
        assert time.time() < deadline and process.poll() is None, "".join(seen)
        seen.append(process.stderr.readline())
    process.send_signal(signal.SIGTERM)
    rest = process.stderr.read()
    assert process.wait(timeout=60) == 143, rest
    assert "terminated" in rest and "run the same command" in rest


@pytest.mark.slow
def test_a_build_whose_cnn_runs_all_diverged_still_renders_saying_so(tmp_path, data_dir):
    config = tmp_path / "diverging.toml"
    config.write_text('[cnn]\noptimizers = ["sgd"]\nlearning_rates = [1e6]\n'
                      '[rnn]\ncells = ["gru"]\nhidden_sizes = [64]\n[compare]\nsize_matched = false\n')
    result = run_cli("all", "--profile", "smoke", "--config", config, "--data-dir", data_dir,
                     "--output", tmp_path / "output", env={"MKREPORT_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "output" / "report.html").read_text()
    assert html.count("No CIFAR10 LeNet5 run trained to the end") == 2   # the visualize and deconvnet sections
    assert "diverged" in html
    check = run_cli("check", "--output", tmp_path / "output", env={"MKREPORT_CACHE_DIR": str(tmp_path / "cache")})
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("content", ['{"fixed": "x", "per_train": 1, "per_eval": 1}', '{"fixed": 1}', "[]",
                                     '{"fixed": NaN, "per_train": 1, "per_eval": 1}', "not json"])
def test_a_tampered_speed_cache_is_measured_again_not_a_crash(tmp_path, content):
    from report.training.plan import _read_speed

    path = tmp_path / "speed.json"
    path.write_text(content)
    assert _read_speed(path) is None
    path.write_text('{"fixed": 1.5, "per_train": 0.001, "per_eval": 0.0001}')
    assert _read_speed(path).fixed == 1.5


def test_an_rnn_as_large_as_lenet5_gets_no_narrowed_copy_of_lenet5():
    from report.sections import BY_NAME

    config = load_config(None, "smoke", ["rnn.hidden_sizes=[4096]"])
    runs = BY_NAME["compare"].runs(config)
    assert runs and not any("narrowed" in spec.label or "conv_filters" in spec.params for spec in runs)
    config = load_config(None, "smoke", ["rnn.hidden_sizes=[64]"])
    assert any("conv_filters" in spec.params for spec in BY_NAME["compare"].runs(config))


@pytest.mark.parametrize("make, says", [
    (lambda o: ((o / "store").mkdir(), (o / "store" / "cnn").write_text("x")), "store/cnn is a file"),
    (lambda o: (o / ".mkreport.lock").mkdir(), ".mkreport.lock is a folder"),
    (lambda o: (o / "logs").write_text("x"), "logs is a file"),
    (lambda o: (o / "tensorboard").write_text("x"), "tensorboard is a file"),
])
def test_a_file_where_a_folder_belongs_is_named_before_any_work(tmp_path, make, says):
    output = tmp_path / "output"
    output.mkdir()
    make(output)
    result = run_cli("all", "--profile", "smoke", "--output", output)
    assert result.returncode == 2 and says in result.stderr and "internal error" not in result.stderr


def test_a_path_too_long_is_one_line_not_an_internal_error(tmp_path):
    result = run_cli("all", "--profile", "smoke", "--output", tmp_path / ("x" * 300))
    assert result.returncode != 0 and "too long" in result.stderr and "internal error" not in result.stderr


def test_a_closed_standard_output_does_not_stop_the_command(tmp_path):
    env = dict(os.environ, MKREPORT_CACHE_DIR=str(tmp_path / "cache"))
    process = subprocess.Popen([sys.executable, "-m", "report", "notes", "--notes", str(tmp_path / "notes")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    process.stdout.close()   # the reader is gone before mkreport writes (what `| head -0` does)
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 0, stderr
    assert "standard output was closed" in stderr


class _Terminal:
    """A stream that says it is a terminal and keeps what was written."""

    def __init__(self):
        self.text = ""

    def isatty(self):
        return True

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_on_a_terminal_passing_news_rewrites_one_line_and_lasting_lines_stay():
    from report.training.progress import Console

    terminal = _Terminal()
    console = Console(terminal)
    console.status("[1/3] cnn/adam/seed=0")
    console.status("    epoch 1/2  loss 2.2")
    console.say("    cnn/adam/seed=0  done in 1.0s")
    console.close()
    lines = terminal.text.split("\n")
    assert len([line for line in lines if line]) == 1          # one lasting line; the news was rewritten
    assert terminal.text.count("\r\033[K") >= 3 and terminal.text.rstrip("\n").endswith("done in 1.0s")


def test_elsewhere_passing_news_is_a_line_at_most_a_minute_and_lasting_lines_all_stay():
    import io

    from report.training.progress import Console

    stream = io.StringIO()
    console = Console(stream)
    console.status("    epoch 1/2  loss 2.2")
    console.status("    epoch 2/2  loss 2.1")      # within the minute: no line
    console.say("done")
    console.close()
    assert stream.getvalue() == "    epoch 1/2  loss 2.2\ndone\n"


def test_a_build_without_a_terminal_prints_no_heartbeat_and_a_handful_of_lines_a_run(monkeypatch):
    import io

    import report.training.progress as progress

    monkeypatch.setattr(progress, "HEARTBEAT", 0.05)
    stream = io.StringIO()
    tracker = progress.Progress(3, progress.Console(stream))
    for index in range(3):
        run_id = f"cnn/adam/seed={index}"
        with tracker.console.phase("training", announce=False):
            tracker.start_run(run_id)
            for epoch in (1, 2, 3):
                tracker.epoch(3, {"epoch": epoch, "train_loss": 1.0, "train_accuracy": 0.5, "test_accuracy": 0.5}, run_id)
                time.sleep(0.1)     # two heartbeats' worth of silence
        tracker.finished(run_id, None, 0.3)
    tracker.console.close()
    lines = stream.getvalue().splitlines()
    assert not [line for line in lines if "… training" in line]
    assert [line.split("  ")[0] for line in lines if line.startswith("[")] == [f"[{i}/3] cnn/adam/seed={i - 1}"
                                                                               for i in (1, 2, 3)]
    assert len(lines) <= 3 * 2 + 1     # a start and an end a run, and one progress line in this minute
