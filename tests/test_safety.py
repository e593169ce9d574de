"""Building someone else's folder is safe: templates are sandboxed, nothing is fetched, notes are
bounded, and a killed mkreport leaves no worker behind."""
import base64
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from report.errors import ConfigError
from report.output.notes import read_notes
from report.output.render import pdf_bytes, render_html
from report.results import recorded
from tests.conftest import REPO, copy_build, run_cli

INJECTION = '{{ lipsum.__globals__["os"].popen("touch %s").read() }}'


def test_a_template_cannot_run_a_command(tmp_path):
    marker = tmp_path / "ran"
    folder = tmp_path / "style"
    folder.mkdir()
    (folder / "report.html").write_text(INJECTION % marker)
    with pytest.raises(ConfigError, match="templates may not do"):
        render_html({}, folder)
    assert not marker.exists()


@pytest.mark.slow
def test_render_with_an_injected_template_runs_nothing_and_exits_2(smoke_build, tmp_path):
    output, marker = copy_build(smoke_build, tmp_path), tmp_path / "ran"
    style = output / ".style"
    style.mkdir()
    (style / "report.html").write_text(INJECTION % marker)
    result = run_cli("render", "--templates", style, "--output", output, "--force",
                     env={"MKREPORT_CACHE_DIR": str(smoke_build["cache"])})
    assert result.returncode == 2, result.stderr
    assert "templates may not do" in result.stderr and "Traceback" not in result.stderr
    assert not marker.exists()


def test_a_relative_path_in_a_received_build_record_is_read_inside_that_folder(tmp_path, monkeypatch):
    """A record that names `output/.style` means the folder beside the record, wherever the command runs;
    one that leads outside the record's folder is refused, not followed."""
    output = tmp_path / "received" / "output"
    output.mkdir(parents=True)
    elsewhere = tmp_path / "cwd"
    (elsewhere / "output" / ".style").mkdir(parents=True)   # what the relative path would name from here
    monkeypatch.chdir(elsewhere)
    (output / recorded.RECORD).write_text(json.dumps({"settings": {"templates": ".style", "notes": "notes"}}))
    settings = recorded.read(output)
    assert settings.templates == str((output / ".style").resolve())
    assert settings.notes == str((output / "notes").resolve())
    (output / recorded.RECORD).write_text(json.dumps({"settings": {"templates": "../../cwd/output/.style"}}))
    with pytest.raises(ConfigError, match="outside"):
        recorded.read(output)


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list = []

    def do_GET(self):
        _Recorder.requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    """An HTTP server on 127.0.0.1 that records every request it gets (and answers 404)."""
    _Recorder.requests = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_pdf_renderer_fetches_no_url_a_page_names(tmp_path, local_server):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG not really")
    html = (f"<html><head><style>@import url({local_server}/style.css);</style>"
            f'<link rel="stylesheet" href="{local_server}/link.css"></head><body><p>text</p>'
            f'<img src="{local_server}/t.png"><img src="file://{secret}"><img src="../x.png"></body></html>')
    pdf, refused = pdf_bytes(html, str(tmp_path) + "/")
    assert pdf.startswith(b"%PDF")
    assert _Recorder.requests == []
    assert f"{local_server}/t.png" in refused and f"file://{secret}" in refused
    assert any(url.endswith("style.css") for url in refused)


def test_a_note_embeds_its_own_images_and_leaves_out_every_other(tmp_path, local_server):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "plot.png").write_bytes(b"\x89PNG\r\n\x1a\nmine")
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\nnot mine")
    (notes / "intro.md").write_text(f"![mine](plot.png) ![a](../outside.png) ![b]({outside}) "
                                    f"![c]({local_server}/t.png) ![d](notes.txt)\n")
    (notes / "notes.txt").write_text("text")
    warnings = []
    html = read_notes(notes, ["intro"], warnings.append)["intro"]
    assert html.count("data:image/png;base64,") == 1
    assert base64.b64encode(outside.read_bytes()).decode() not in html
    assert str(tmp_path) not in html and local_server not in html
    assert len(warnings) == 4 and all("intro.md" in w for w in warnings)
    assert _Recorder.requests == []


def test_a_50_mb_note_is_refused_in_under_a_second(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    with open(notes / "intro.md", "wb") as big:
        big.truncate(50_000_000)   # sparse: the size is what is checked, before any reading
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="at most 1 MB"):
        read_notes(notes, ["intro"])
    assert time.perf_counter() - started < 1.0


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        try:
            children = [int(c) for c in Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]
        except OSError:
            children = []
        found += children
        queue += children
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_kill_9_of_mkreport_during_training_leaves_no_worker(tmp_path, data_dir):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", MKREPORT_CACHE_DIR=str(tmp_path / "cache"))
    process = subprocess.Popen([sys.executable, "-m", "report", "cnn", "--profile", "smoke", "--jobs", "2",
                                "--output", str(tmp_path / "output"), "--data-dir", str(data_dir)],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=REPO)
    deadline, seen = time.time() + 120, []
    while not any(line.startswith("[2/") for line in seen):  # both workers are training
        assert time.time() < deadline and process.poll() is None, "".join(seen)
        seen.append(process.stderr.readline())
    workers = _descendants(process.pid)
    assert len(workers) >= 2
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    time.sleep(5)
    assert [pid for pid in workers if _alive(pid)] == []


def test_two_learning_rates_that_print_alike_are_refused_before_training(tmp_path):
    result = run_cli("cnn", "--profile", "smoke", "--set", "cnn.learning_rates=[1e-3,1.000001e-3]",
                     "--output", tmp_path / "output")
    assert result.returncode == 2
    assert "both print as lr=0.001" in result.stderr and "training" not in result.stderr
    assert not (tmp_path / "output" / "store").exists()


def test_a_mistyped_notes_folder_or_a_broken_template_exits_2_before_training(tmp_path):
    result = run_cli("all", "--profile", "smoke", "--notes", tmp_path / "ntoes", "--output", tmp_path / "output")
    assert result.returncode == 2 and "notes folder" in result.stderr and "ntoes" in result.stderr
    style = tmp_path / "style"
    style.mkdir()
    (style / "report.html").write_text("{% if %}")
    result = run_cli("all", "--profile", "smoke", "--templates", style, "--output", tmp_path / "output")
    assert result.returncode == 2 and "report.html, line 1" in result.stderr
    assert "training" not in result.stderr and not (tmp_path / "output" / "store").exists()


def test_a_recorded_notes_folder_that_is_gone_says_how_to_drop_it(tmp_path):
    output = tmp_path / "output"
    output.mkdir()
    (output / recorded.RECORD).write_text(json.dumps({"settings": {"profile": "smoke",
                                                                   "notes": str(tmp_path / "gone")}}))
    result = run_cli("render", "--output", output)
    assert result.returncode == 2 and "--notes none" in result.stderr
    result = run_cli("render", "--notes", "none", "--output", output)
    assert "notes folder" not in result.stderr   # dropped: render goes on (and says what it lacks)


def test_a_note_may_hold_a_github_table(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "intro.md").write_text("| rate | accuracy |\n| --- | --- |\n| 1e-3 | 0.52 |\n")
    html = read_notes(notes, ["intro"])["intro"]
    assert "<table>" in html and "<td>0.52</td>" in html


def test_the_report_pair_is_written_only_when_both_are_made(tmp_path, monkeypatch):
    """A PDF that fails leaves the old report.html and report.pdf, not a new HTML beside an old PDF."""
    from report.output import render
    from report.results.store import Store

    store = Store(tmp_path / "output")
    store.write_output("report.html", "old html")
    store.write_output("report.pdf", b"old pdf")
    monkeypatch.setattr(render, "render_html", lambda *a, **k: "<html>new</html>")
    monkeypatch.setattr(render, "pdf_bytes", lambda *a, **k: (_ for _ in ()).throw(OSError("PDF failed")))
    with pytest.raises(OSError):
        render.write_report(store, {})
    assert (tmp_path / "output" / "report.html").read_text() == "old html"
    assert (tmp_path / "output" / "report.pdf").read_bytes() == b"old pdf"


@pytest.mark.slow
def test_a_note_edited_while_the_report_is_written_is_caught_by_the_next_build(smoke_build, tmp_path, monkeypatch):
    from report.pipeline import build_report
    from report.config import load_config
    from report.output import render
    from report.output.uptodate import is_up_to_date
    from report.results.recorded import Settings, read_raw
    from report.results.workspace import Workspace
    from report.sections import SECTIONS

    monkeypatch.setenv("MKREPORT_CACHE_DIR", str(smoke_build["cache"]))
    output = copy_build(smoke_build, tmp_path)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "intro.md").write_text("first words\n")
    settings = Settings(profile="smoke", data_dir=str(smoke_build["data_dir"]), notes=str(notes))
    ws = Workspace(load_config(None, "smoke"), output, smoke_build["data_dir"], SECTIONS, download=False,
                   settings=settings)
    original = render.write_report

    def edited_meanwhile(*args, **kwargs):
        (notes / "intro.md").write_text("second words, written while the PDF was made\n")
        return original(*args, **kwargs)

    monkeypatch.setattr(render, "write_report", edited_meanwhile)
    build_report(ws, train=False)
    assert "first words" in (output / "report.html").read_text()
    assert not is_up_to_date(ws, read_raw(output))   # the next render takes the second words


def test_a_note_with_math_and_a_table_renders_in_html_and_pdf(tmp_path):
    import base64
    import re

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "intro.md").write_text("The loss falls as $x^2$ does.\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n$$\\frac{1}{n}$$\n")
    html = read_notes(notes, ["intro"])["intro"]
    assert "<table>" in html and html.count('class="math') == 2 and "<script" not in html
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html).group(1))
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    pdf, refused = pdf_bytes(f"<html><body>{html}</body></html>", str(tmp_path) + "/")
    assert pdf.startswith(b"%PDF") and refused == []
