"""A student's first hour: notes are found where `notes --init` puts them, and words render without --force."""
import shutil

import pytest

from tests.conftest import run_cli


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
