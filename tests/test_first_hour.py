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
    from report.build import sections_in

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
