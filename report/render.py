"""Build the template context from stored results and write report.html and report.pdf."""
from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

from .content import provenance
from .content.common import FigureSink
from .errors import MkreportError
from .sections import SECTIONS


@dataclass
class Rendered:
    html: Path
    pdf: Path
    sections: list[str]
    missing: dict[str, str] = field(default_factory=dict)  # section → why it is not in the report


def template_environment():
    import jinja2

    folder = Path(str(resources.files("templates")))
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def section_context(ws, section, sink) -> dict:
    module = importlib.import_module(f"report.content.{section.name}")
    return module.build(ws, sink)


def build_context(ws, names=None, strict=True) -> tuple[dict, dict, FigureSink]:
    sink = FigureSink(ws.store)
    wanted = [s for s in SECTIONS if names is None or s.name in names]
    contexts, missing = [], {}
    section_records, analysis_keys = {}, {}
    for section in wanted:
        try:
            context = section_context(ws, section, sink)
        except MkreportError as error:
            if strict:
                raise
            missing[section.name] = str(error)
            continue
        for spec_section in {spec.section for spec in section.runs(ws.config)}:
            section_records[spec_section] = [r for r in context.get("records", [])
                                             if r["section"] == spec_section]
        if "analysis_key" in context:
            analysis_keys[section.name] = context["analysis_key"]
        contexts.append({"name": section.name, "title": section.title,
                         "number": len(contexts) + 1, "data": context})
    keys = sorted(r["key"] for records in section_records.values() for r in records)
    keys += sorted(analysis_keys.values())
    context = {
        "title": ws.config["report"]["title"], "author": ws.config["report"]["author"],
        "date": date.today().isoformat(), "profile": ws.config["profile"],
        "sections": contexts, "provenance": provenance.build(ws, section_records, analysis_keys),
        "build_keys": " ".join(keys), "appendix_number": len(contexts) + 1,
    }
    return context, missing, sink


def write_report(ws, context: dict) -> tuple[Path, Path]:
    from weasyprint import HTML

    html = template_environment().get_template("report.html").render(**context)
    html_path = ws.store.write_output("report.html", html)
    started = time.perf_counter()
    pdf = HTML(string=html, base_url=str(ws.store.output.resolve()) + "/").write_pdf()
    ws.store.write_output("report.pdf", pdf)
    context["pdf_seconds"] = time.perf_counter() - started
    return html_path, ws.store.output / "report.pdf"


def render(ws, names=None, strict=True) -> Rendered:
    """strict: every section must have results (mkreport render); else render those that do."""
    context, missing, _ = build_context(ws, names, strict)
    if not context["sections"]:
        raise MkreportError("no section has results yet; run `mkreport all` first")
    html, pdf = write_report(ws, context)
    return Rendered(html, pdf, [s["name"] for s in context["sections"]], missing)
