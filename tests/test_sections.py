"""The section design: a section is one module, a new one is added without editing mkreport,
an analysis is recomputed when its code changes, and experiments/ never imports report/."""
import re
from pathlib import Path

import pytest

from report.pipeline import build_report
from report.config import load_config
from report.sections import SECTIONS, Section
from report.results.workspace import Workspace
from tests.conftest import REPO, copy_build
from tests.toy_section import toy

TOY_TEMPLATES = Path(toy.__file__).parent / "templates"


def test_every_section_module_has_the_parts_in_the_design():
    for section in SECTIONS:
        for part in ("TITLE", "runs", "summarize", "figures"):
            assert hasattr(section.module, part), (section.name, part)
        assert (REPO / "templates" / "sections" / f"{section.name}.html").is_file()
    assert [s.name for s in SECTIONS] == ["cnn", "visualize", "deconvnet", "rnn", "compare"]


def test_experiments_import_nothing_from_report():
    pattern = re.compile(r"^\s*(from|import)\s+report\b", re.MULTILINE)
    offenders = [p.name for p in (REPO / "experiments").glob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


@pytest.mark.slow
def test_a_sixth_section_from_outside_mkreport_trains_its_own_model_into_the_report(smoke_build, tmp_path, monkeypatch):
    from report.sections import own_section

    monkeypatch.setenv("MKREPORT_CACHE_DIR", str(smoke_build["cache"]))
    output = copy_build(smoke_build, tmp_path)
    sections = SECTIONS + (own_section(toy, "the test"),)
    ws = Workspace(load_config(None, "smoke", sections=sections), output, smoke_build["data_dir"], sections=sections)
    built = build_report(ws)
    assert built.tally.trained == 2 and built.sections[-1] == "toy"   # its two runs; the five sections' are reused
    records = ws.records("toy")
    assert {r["label"] for r in records} == {"width 4", "width 8"}
    assert [r["parameters"] for r in sorted(records, key=lambda r: r["params"]["width"])] == [
        784 * 4 + 4 + 4 * 10 + 10, 784 * 8 + 8 + 8 * 10 + 10]   # the perceptron its build_model makes
    html = (output / "report.html").read_text()
    assert 'id="sec-toy"' in html and "6. A toy section" in html
    assert "The toy section counted 9 configurations and 9 runs." in html
    toy_html = html.split('id="sec-toy"')[1].split("</section>")[0]
    assert "width 4" in toy_html and "with a single seed per width, nothing separates it" in toy_html
    assert (output / "figures" / "toy_bars.png").read_bytes().startswith(b"\x89PNG")
    assert (output / "figures" / "toy_curves.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_editing_an_analysis_code_recomputes_it_and_only_it(smoke_build, tmp_path, monkeypatch):
    monkeypatch.setenv("MKREPORT_CACHE_DIR", str(smoke_build["cache"]))
    output = copy_build(smoke_build, tmp_path)
    before = {p.name for p in (output / "store" / "visualize").glob("*.json")}
    deconvnet_before = {p.name for p in (output / "store" / "deconvnet").glob("*.json")}
    original = Section.analysis_code_hash

    def edited(section):
        return "edited-" + original(section) if section.name == "visualize" else original(section)

    monkeypatch.setattr(Section, "analysis_code_hash", edited)
    ws = Workspace(load_config(None, "smoke"), output, smoke_build["data_dir"], SECTIONS)
    built = build_report(ws)
    assert built.tally.trained == 0
    after = {p.name for p in (output / "store" / "visualize").glob("*.json")}
    assert len(after - before) == 1  # a new visualize result under the new key
    assert {p.name for p in (output / "store" / "deconvnet").glob("*.json")} == deconvnet_before


def test_analysis_code_hash_covers_the_module_and_the_experiments_it_names():
    visualize = next(s for s in SECTIONS if s.name == "visualize")
    assert "experiments.visualize" in visualize.module.ANALYSIS_CODE
    assert visualize.analysis_code_hash() != next(s for s in SECTIONS if s.name == "deconvnet").analysis_code_hash()


@pytest.mark.slow
def test_deconvnet_top_activations_never_reach_into_the_padding(smoke_build):
    """Every projected activation of the stored analysis sits where its receptive field lies inside the image."""
    import numpy as np

    from experiments.deconvnet import conv_stack, field_bounds
    from experiments.models import build_lenet5

    arrays = np.load(next((smoke_build["output"] / "store" / "deconvnet").glob("*.npz")))
    model = build_lenet5()
    for layer in ("pool1", "pool2"):
        stack = conv_stack(model, layer)
        positions = arrays[f"{layer}_positions"].reshape(-1, 2)
        assert len(positions) == 16 * 9
        for row, col in positions:
            top, bottom, left, right = field_bounds(stack, int(row), int(col))
            assert top >= 0 and left >= 0 and bottom <= 27 and right <= 27, (layer, row, col)


@pytest.mark.slow
def test_a_render_redraws_only_the_figures_whose_inputs_changed(smoke_build, tmp_path, monkeypatch):
    monkeypatch.setenv("MKREPORT_CACHE_DIR", str(smoke_build["cache"]))
    output = copy_build(smoke_build, tmp_path)
    (output / "figures" / ".rnn.key").unlink()  # as if the RNN section's inputs had changed
    drawn = []
    for section in SECTIONS:
        original = section.module.figures

        def figures(summary, name=section.name, original=original):
            drawn.append(name)
            return original(summary)

        monkeypatch.setattr(section.module, "figures", figures)
    ws = Workspace(load_config(None, "smoke"), output, smoke_build["data_dir"], SECTIONS, download=False)
    build_report(ws, train=False)
    assert drawn == ["rnn"]
    assert (output / "figures" / ".rnn.key").is_file()
