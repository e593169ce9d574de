"""The write-up is the user's: a folder that remembers how it was built, notes, templates, --set, tables."""
import csv
import json
import shutil

import pytest

from report.config import SCHEMA, load_config, shipped_defaults
from report.errors import ConfigError
from tests.conftest import copy_build, run_cli


def plain(smoke_build, *args, **kwargs):
    """A command with no option but --output: what the folder recorded must be enough."""
    return run_cli(*args, env={"MKREPORT_CACHE_DIR": str(smoke_build["cache"]), "MKREPORT_DATA_DIR": ""}, **kwargs)


@pytest.mark.slow
def test_a_folder_remembers_its_profile_and_data(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    for command in ("status", "check", "render"):
        result = plain(smoke_build, command, "--output", output)
        assert result.returncode == 0, (command, result.stderr)
        assert f"using profile smoke, as recorded in {output}" in result.stderr
    assert "missing" not in plain(smoke_build, "status", "--output", output).stdout


@pytest.mark.slow
def test_a_folder_remembers_its_config_and_render_keeps_it(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    mine = tmp_path / "mine.toml"
    mine.write_text('[report]\nauthor = "Ada Lovelace"\ncourse = "Deep Learning 101"\n')
    # a config that changes only words ([report]) swaps no result: it renders without --force
    words = plain(smoke_build, "render", "--config", mine, "--output", output)
    assert words.returncode == 0 and "pass --force" not in words.stderr, words.stderr
    result = plain(smoke_build, "render", "--profile", "smoke", "--output", output)  # forgetting --config
    assert result.returncode == 0, result.stderr
    assert f"config {mine}" in result.stderr
    html = (output / "report.html").read_text()
    assert "Ada Lovelace" in html and "Deep Learning 101" in html
    assert plain(smoke_build, "check", "--output", output).returncode == 0


@pytest.mark.slow
def test_advice_names_the_options_of_the_folders_build(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    shutil.rmtree(output / "store" / "rnn")
    result = plain(smoke_build, "render", "--output", output)
    assert result.returncode == 1
    assert f"run `mkreport rnn --profile smoke --data-dir {smoke_build['data_dir'].resolve()}" in result.stderr


@pytest.mark.slow
def test_notes_are_markdown_escaped_and_rerendered_without_training(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    notes = tmp_path / "notes"
    init = run_cli("notes", "--init", "--notes", notes)
    assert init.returncode == 0 and (notes / "cnn.md").is_file() and (notes / "deconvnet-paper.md").is_file()
    (notes / "cnn.md").write_text("Adam beat the others **by far** in our runs.\n\n<script>alert(1)</script>\n")
    (notes / "intro.md").write_text("This is my introduction.\n")
    result = plain(smoke_build, "all", "--notes", notes, "--output", output)
    assert result.returncode == 0 and "trained 0 run(s)" in result.stdout
    html = (output / "report.html").read_text()
    assert "<strong>by far</strong>" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html and "This is my introduction." in html
    assert "mkreport's default text" in html  # the paper summary note was left empty

    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(output / "report.pdf").pages)
    assert "Adam beat the others by far in our runs." in " ".join(text.split())

    (notes / "cnn.md").write_text("A second thought.\n")
    (notes / "deconvnet-paper.md").write_text("My own summary of the paper.\n")
    again = plain(smoke_build, "render", "--output", output)  # the notes folder is recorded
    assert again.returncode == 0, again.stderr
    html = (output / "report.html").read_text()
    assert "A second thought." in html and "by far" not in html and "My own summary of the paper." in html


@pytest.mark.slow
def test_a_stylesheet_in_a_templates_folder_replaces_the_shipped_one(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "report.css").write_text("/* my own style */ body { font-family: serif; }\n")
    result = plain(smoke_build, "render", "--templates", templates, "--force", "--output", output)
    assert result.returncode == 0, result.stderr
    assert "/* my own style */" in (output / "report.html").read_text()

    (templates / "report.css").unlink()
    (templates / "sections").mkdir()
    (templates / "sections" / "cnn.html").write_text("{% if %}broken\n")
    broken = plain(smoke_build, "render", "--output", output)
    assert broken.returncode == 2 and "sections/cnn.html" in broken.stderr
    assert len([line for line in broken.stderr.splitlines() if line.startswith("mkreport:")]) == 1
    assert "Traceback" not in broken.stderr
    missing = plain(smoke_build, "render", "--templates", tmp_path / "nowhere", "--force", "--output", output)
    assert missing.returncode == 2 and "nowhere" in missing.stderr


@pytest.mark.slow
def test_every_table_is_also_a_csv_of_numbers(smoke_build):
    tables = smoke_build["output"] / "tables"
    names = {p.name for p in tables.glob("*.csv")}
    assert {"cnn_grid.csv", "rnn_grid.csv", "compare_models.csv", "visualize_activations.csv"} <= names
    with open(tables / "cnn_grid.csv") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 9 and 0 <= float(rows[0]["test_accuracy_mean"]) <= 1 and float(rows[0]["learning_rate"]) > 0


def every_key():
    defaults = shipped_defaults()
    return [(section, key, defaults[section][key]) for section in SCHEMA for key in SCHEMA[section]]


@pytest.mark.parametrize("section, key, value", every_key())
def test_set_works_for_every_key_the_config_file_accepts(section, key, value):
    text = f"{section}.{key}={json.dumps(value)}"
    assert load_config(None, "smoke", [text])[section][key] == value


@pytest.mark.parametrize("text, message", [("cnn.epochs", "expected section.key=value"),
                                           ("cnn.nosuch=1", "unknown key cnn.nosuch"),
                                           ("cnn.epochs=0", "cnn.epochs = 0 is not allowed"),
                                           ("nosuch.key=1", "unknown section [nosuch]")])
def test_a_bad_set_is_one_clear_error(text, message, tmp_path):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(None, "smoke", [text])
    result = run_cli("plan", "--set", text, "--output", tmp_path / "out")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


def test_set_values_are_toml_and_bare_words_are_strings():
    config = load_config(None, "smoke", ["cnn.learning_rates=[0.01,0.001]", "report.author=Ada"])
    assert config["cnn"]["learning_rates"] == [0.01, 0.001] and config["report"]["author"] == "Ada"
