"""A student's first hour: notes are found where `notes --init` puts them, and words render without --force."""
import shutil

import pytest

from tests.conftest import copy_build, run_cli


@pytest.mark.slow
def test_notes_written_by_init_are_in_the_next_render_and_words_need_no_force(smoke_build, tmp_path):
    folder = tmp_path / "student"
    folder.mkdir()
    shutil.copytree(smoke_build["output"], folder / "output")
    env = {"MKREPORT_CACHE_DIR": str(smoke_build["cache"])}
    assert run_cli("notes", "--init", cwd=folder, env=env).returncode == 0
    (folder / "notes" / "intro.md").write_text("My own introduction, with a *point*.\n")
    result = run_cli("render", cwd=folder, env=env)
    assert result.returncode == 0, result.stderr
    assert "your notes: 1 from" in result.stderr
    assert "My own introduction" in (folder / "output" / "report.html").read_text()

    result = run_cli("render", "--set", 'report.author="Sam"', cwd=folder, env=env)
    assert result.returncode == 0, result.stderr
    assert "<p class=\"author\">Sam</p>" in (folder / "output" / "report.html").read_text()

    result = run_cli("render", "--set", "cnn.learning_rates=[0.5]", cwd=folder, env=env)
    assert result.returncode == 2 and "--force" in result.stderr   # results would change: still refused


@pytest.mark.slow
def test_rerunning_one_section_never_hands_in_half_a_report(smoke_build, tmp_path):
    from report.pipeline import sections_in

    output = copy_build(smoke_build, tmp_path)
    env = {"MKREPORT_CACHE_DIR": str(smoke_build["cache"])}
    common = ["--profile", "smoke", "--data-dir", smoke_build["data_dir"], "--output", output]
    more = tmp_path / "more.toml"
    more.write_text("[cnn]\nlearning_rates = [1e-2, 1e-3, 1e-4, 5e-2]\noptimizers = [\"adam\"]\n")
    result = run_cli("cnn", *common, "--config", more, env=env)
    assert result.returncode == 0, result.stderr
    assert sections_in(output / "report.html") >= {"cnn", "visualize", "deconvnet", "rnn", "compare"}

    before = (output / "report.html").read_bytes()
    other = tmp_path / "other.toml"   # the RNN grid changes too: `mkreport cnn` cannot render it
    other.write_text("[cnn]\nlearning_rates = [1e-2, 5e-2]\noptimizers = [\"adam\"]\n[rnn]\nhidden_sizes = [32]\n")
    result = run_cli("cnn", *common, "--config", other, env=env)
    assert result.returncode == 1 and "would lack rnn" in result.stderr and "are kept" in result.stderr
    assert (output / "report.html").read_bytes() == before


def test_a_users_templates_or_experiments_folder_does_not_replace_mkreports_own(tmp_path):
    import subprocess
    import sys

    (tmp_path / "templates").mkdir()                       # a student's own templates folder
    (tmp_path / "experiments").mkdir()
    (tmp_path / "experiments" / "__init__.py").write_text("raise ImportError('the student experiments')\n")
    script = ("import report, templates, experiments, experiments.data\n"
              "from importlib import resources\n"
              "print(templates.__file__); print(experiments.__file__)\n"
              "print(resources.files('templates').joinpath('report.html').is_file())\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split()
    assert str(tmp_path) not in lines[0] and str(tmp_path) not in lines[1] and lines[2] == "True"


def test_a_run_param_that_nothing_reads_is_refused(tmp_path):
    from report.config import load_config
    from report.errors import ConfigError
    from report.results.runs import RunSpec
    from report.results.workspace import Workspace
    from report.sections import SECTIONS, Section

    class Extra:   # a section whose run carries a key no model or training reads
        __name__ = "extra"
        TITLE = "extra"

        @staticmethod
        def runs(config):
            return [RunSpec("extra", "lenet, weight decay", 0, {"model": "lenet5", "weight_decay": 1e-4}, "cifar10")]

    ws = Workspace(load_config(None, "smoke"), tmp_path / "output", None, (*SECTIONS, Section("extra", Extra)))
    with pytest.raises(ConfigError, match="params weight_decay are read by nothing"):
        ws.planned([ws.section("extra")])


@pytest.mark.slow
def test_a_script_without_a_main_guard_gets_one_clear_error_not_a_restart_loop(tmp_path, data_dir):
    import subprocess
    import sys
    import time

    script = tmp_path / "build.py"
    script.write_text(
        "from pathlib import Path\n"
        "from report.pipeline import build_report\n"
        "from report.config import load_config\n"
        "from report.results.workspace import Workspace\n"
        "from report.sections import SECTIONS\n"
        "from report.training.execute import Executor\n"
        f"ws = Workspace(load_config(None, 'smoke'), Path('out'), Path({str(data_dir)!r}), SECTIONS)\n"
        "build_report(ws, ['cnn'], executor=Executor(jobs=2))\n")
    started = time.time()
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300, env={**__import__("os").environ, "MKREPORT_CACHE_DIR": str(tmp_path / "c")})
    assert result.returncode != 0 and 'if __name__ == "__main__":' in result.stderr
    assert result.stderr.count("restarting the workers") == 0 and time.time() - started < 240
