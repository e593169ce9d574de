"""The Python API (issue 38): `from report import build` in a notebook does what `mkreport all` does."""
import pytest

from report.errors import ConfigError
from tests.conftest import run_cli

SMALL = ('[cnn]\noptimizers = ["adam"]\nlearning_rates = [1e-3]\n[rnn]\ncells = ["lstm"]\nhidden_sizes = [64]\n'
         '[compare]\nsize_matched = false\n')


@pytest.mark.slow
def test_build_returns_the_claims_tables_and_report_and_a_second_call_reuses_every_run(tmp_path, data_dir,
                                                                                     monkeypatch):
    from report import build

    monkeypatch.setenv("MKREPORT_CACHE_DIR", str(tmp_path / "cache"))
    config = tmp_path / "small.toml"
    config.write_text(SMALL)
    output = tmp_path / "output"
    first = build(config=config, profile="smoke", output=output, data_dir=data_dir, jobs=2)
    assert first.html == output / "report.html" and first.html.is_file() and first.pdf.is_file()
    assert first.trained == 3 and first.reused == 0 and not first.up_to_date and not first.missing
    sections = {claim["section"] for claim in first.claims}
    assert {"cnn", "rnn", "compare"} <= sections and all(claim["text"] for claim in first.claims)
    grid = first.tables["cnn_grid"]
    assert len(grid) == 1 and grid[0]["configuration"] == "adam, lr=0.001"
    assert isinstance(grid[0]["learning_rate"], float)        # numbers as numbers
    shown = first._repr_html_()
    assert shown.startswith("<p>mkreport: ") and "<iframe srcdoc=" in shown and "&lt;html" in shown

    again = build(config=config, profile="smoke", output=output, data_dir=data_dir)
    assert again.up_to_date and again.trained == 0 and again.claims == first.claims
    retitled = build(config=config, profile="smoke", output=output, data_dir=data_dir,
                     sets=['report.title="Another title"'])
    assert retitled.trained == 0 and retitled.reused == 3 and "Another title" in retitled.html.read_text()


@pytest.mark.parametrize("kwargs, says", [
    ({"profile": "huge"}, "profile 'huge': one of full, quick, smoke"),
    ({"profile": "smoke", "sections": ["cnnn"]}, "no section 'cnnn'"),
    ({"profile": "smoke", "resolve": "soon"}, "resolve 'soon': a time budget"),
])
def test_bad_settings_raise_a_config_error_before_anything_trains(tmp_path, kwargs, says):
    from report import build

    with pytest.raises(ConfigError, match=says):
        build(output=tmp_path / "output", **kwargs)
    assert not (tmp_path / "output" / "store").exists()


def test_an_error_is_the_command_lines_one_line_message(tmp_path):
    from report import build

    missing = tmp_path / "missing.toml"
    with pytest.raises(ConfigError) as error:
        build(config=missing, profile="smoke", output=tmp_path / "output")
    said = run_cli("all", "--config", missing, "--profile", "smoke", "--output", tmp_path / "output")
    said = said.stderr.strip().splitlines()
    assert said[-1] == f"mkreport: {error.value}"


def test_progress_in_a_notebook_is_one_line_rewritten_in_place():
    """A Jupyter or Colab cell's stream (ipykernel's OutStream, not a terminal) gets passing news as one line
    rewritten with a carriage return, with no ANSI escape a notebook would print as text."""
    import io

    from report.training.progress import Console

    OutStream = type("OutStream", (io.StringIO,), {"__module__": "ipykernel.iostream"})
    stream = OutStream()
    console = Console(stream)
    for epoch in range(1, 200):
        console.status(f"epoch {epoch}/199  loss 0.1")
    console.say("done")
    console.close()
    text = stream.getvalue()
    assert "\033" not in text and text.count("\n") == 1 and text.count("\r") >= 199
    assert text.rstrip("\n").rsplit("\r", 1)[-1].strip() == "done"
