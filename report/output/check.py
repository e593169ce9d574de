"""`mkreport check`: is the built report complete, current and free of missing values?"""
from __future__ import annotations

import re
from html.parser import HTMLParser

from ..errors import USER_ERRORS

# A number that failed to be computed, as Python or JavaScript would print it.
MISSING_VALUE = re.compile(r"\b(nan|NaN|None|inf|undefined)\b")


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
NOTE_CLASS = "note-text"   # the user's own words (templates/report.html): "None of them" there is English


class _ReportParser(HTMLParser):
    """The report's images, section ids and meta tags, and the text mkreport wrote (not the user's notes)."""

    def __init__(self):
        super().__init__()
        self.images, self.section_ids, self.text, self.meta = [], set(), [], {}
        self._skip = 0
        self._depth = 0          # open non-void elements
        self._note_depth = None  # the depth at which a note's element opened

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if tag == "section" and attrs.get("id"):
            self.section_ids.add(attrs["id"])
        if tag == "meta" and attrs.get("name"):
            self.meta[attrs["name"]] = attrs.get("content", "")
        if tag in ("style", "script"):
            self._skip += 1
        if tag not in VOID:
            self._depth += 1
            if self._note_depth is None and NOTE_CLASS in (attrs.get("class") or "").split():
                self._note_depth = self._depth

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1
        if tag not in VOID:
            if self._note_depth == self._depth:
                self._note_depth = None
            self._depth -= 1

    def handle_data(self, data):
        if not self._skip and self._note_depth is None:
            self.text.append(data)


def _current_keys(ws) -> set[str]:
    """The keys of every planned run and of every analysis the current results call for."""
    keys = {key for _, key in ws.planned()}
    for section in ws.sections:
        if section.has_analysis:
            try:
                keys.add(ws.analysis_key(section, ws.records_read_by(section)))
            except USER_ERRORS:
                pass
    return keys


def check_report(ws, rerun) -> list[str]:
    """The report's problems, each with its fix; rerun(command) gives the command line to advise."""
    output = ws.store.output
    html_path, pdf_path = output / "report.html", output / "report.pdf"
    problems = [f"{p} is missing" for p in (html_path, pdf_path) if not p.is_file()]
    if problems:
        return problems + [f"run `{rerun('all')}` to build it"]
    parser = _ReportParser()
    parser.feed(html_path.read_text(encoding="utf-8"))

    for section in ws.sections:
        if f"sec-{section.name}" not in parser.section_ids:
            problems.append(f"section {section.name} is not in the report (run `{rerun(section.name)}`)")
    for src in parser.images:
        if not _image_present(output, src):
            problems.append(f"figure {src[:60]!r} in report.html is missing or not a PNG")
    text = " ".join(parser.text)
    for match in sorted(set(MISSING_VALUE.findall(text))):
        problems.append(f"report.html prints a missing value: {match!r}")

    used = set(parser.meta.get("mkreport-keys", "").split())
    current = _current_keys(ws)
    if current - used:
        problems.append(f"report.html was built from other results than the current config's "
                        f"({len(current - used)} current result(s) not in it); run `{rerun('render')}`")
    if used - current:
        problems.append(f"report.html shows {len(used - current)} result(s) the current config no longer has "
                        f"(a run or setting was removed or changed); run `{rerun('render')}`")
    if pdf_path.stat().st_mtime < html_path.stat().st_mtime - 1:
        problems.append(f"report.pdf is older than report.html; run `{rerun('render')}`")
    problems += _check_pdf(pdf_path)
    problems += _check_markdown(output, rerun)
    return problems


def _check_markdown(output, rerun) -> list[str]:
    """report.md is there and every image it links is a file inside the output folder."""
    path = output / "report.md"
    if not path.is_file():
        return [f"{path} is missing; run `{rerun('render')}`"]
    root = output.resolve()
    problems = []
    for link in re.findall(r"!\[[^\]]*\]\(([^)\s]+)", path.read_text(encoding="utf-8")):
        if link.startswith("data:"):      # a note's formula or picture, embedded
            if not _embedded_image(link):
                problems.append(f"report.md embeds an image that does not decode ({link[:40]}…); run `{rerun('render')}`")
            continue
        target = (root / link).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            problems.append(f"report.md links {link}, which is not a file in {output}; run `{rerun('render')}`")
    return problems


# What an embedded image's bytes begin with: a figure (PNG), a note's picture, a note's formula (SVG).
IMAGE_STARTS = {"png": (b"\x89PNG",), "jpeg": (b"\xff\xd8",), "gif": (b"GIF8",),
                "svg+xml": (b"<?xml", b"<svg")}


def _embedded_image(src: str) -> bool:
    """A data: URI of a base64 image whose bytes are of its type."""
    import base64
    import binascii

    match = re.match(r"data:image/([a-z+]+);base64,", src)
    if not match or match.group(1) not in IMAGE_STARTS:
        return False
    try:
        data = base64.b64decode(src[match.end():], validate=True)
    except (binascii.Error, ValueError):
        return False
    return data.lstrip().startswith(IMAGE_STARTS[match.group(1)])


def _image_present(output, src: str) -> bool:
    """An embedded image (data: URI) that decodes, or a file beside the report."""
    if src.startswith("data:"):
        return _embedded_image(src)
    try:
        return bool(src) and (output / src).is_file()
    except OSError:   # a name too long for this file system is no file
        return False


def _check_pdf(path) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        pages = len(reader.pages)
        outline = reader.outline
    except (PdfReadError, OSError, ValueError) as error:
        return [f"report.pdf cannot be read: {error}"]
    problems = []
    if pages < 2:
        problems.append(f"report.pdf has only {pages} page(s)")
    if not outline:
        problems.append("report.pdf has no bookmarks")
    return problems
