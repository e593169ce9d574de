"""`mkreport check`: is the built report complete, current and free of missing values?"""
from __future__ import annotations

import re
from html.parser import HTMLParser

from ..errors import USER_ERRORS

# A number that failed to be computed, as Python or JavaScript would print it.
MISSING_VALUE = re.compile(r"\b(nan|NaN|None|inf|undefined)\b")


class _ReportParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.section_ids, self.text, self.meta = [], set(), [], {}
        self._skip = 0

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

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
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
        target = (root / link).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            problems.append(f"report.md links {link}, which is not a file in {output}; run `{rerun('render')}`")
    return problems


def _image_present(output, src: str) -> bool:
    """An embedded PNG (data: URI) that decodes, or a file beside the report."""
    import base64
    import binascii

    prefix = "data:image/png;base64,"
    if src.startswith(prefix):
        try:
            return base64.b64decode(src[len(prefix):], validate=True).startswith(b"\x89PNG")
        except (binascii.Error, ValueError):
            return False
    return bool(src) and (output / src).is_file()


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
