"""Build a report: plan → train what is missing → analyse → summarize → draw → write.

build_report is the one call the commands make; each output file has one writer here
(metrics.csv, figures/) or in render.write_report (report.html, report.pdf).
"""
from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import provenance
from .errors import USER_ERRORS, MkreportError
from .execute import Executor, RunTally, train_missing
from .runs import CORRUPT, STALE, run_state
from .sections import with_dependencies
from .workspace import Workspace

CSV_COLUMNS = ("section", "config", "seed", "state", "epoch", "samples_seen", "train_loss",
               "train_accuracy", "test_loss", "test_accuracy", "train_seconds")


@dataclass
class Built:
    tally: RunTally
    html: Path | None = None
    pdf: Path | None = None
    sections: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)  # section → why it is not in the report


def build_report(ws: Workspace, names=None, *, train: bool = True, strict: bool = True, force: bool = False,
                 fail_fast: bool = False, executor: Executor = Executor(), progress_stream=None) -> Built:
    """Train and analyse the named sections (all by default) and what they read, then render
    every section that has results. strict: every section must have them (`all`, `render`).
    train=False: nothing is trained or analysed (`render`)."""
    chosen = with_dependencies([s.name for s in ws.sections] if names is None else names, ws.sections)
    tally = RunTally()
    if train:
        from .plan import describe, make_plan

        plan = make_plan(ws, chosen, force=force)
        if plan.to_train:
            print(describe(plan, executor.workers(len(plan.to_train))), file=progress_stream or sys.stderr,
                  flush=True)
        tally = train_missing(ws, chosen, force, fail_fast, progress_stream, executor)
        if tally.interrupted or (fail_fast and tally.failed):
            return Built(tally)
        for section in chosen:
            ws.analysis(section, compute=True, force=force)
    parts, missing = summarize_sections(ws, strict)
    ws.store.write_output("metrics.csv", metrics_csv(ws))
    if not parts:
        raise MkreportError("no section has results yet; run `mkreport all` first")
    ws.store.write_output("claims.json", claims_json(parts))
    html, pdf = write(ws, parts)
    return Built(tally, html, pdf, [part["name"] for part in parts], missing)


def summarize_sections(ws: Workspace, strict: bool) -> tuple[list[dict], dict[str, str]]:
    """Each section with results: its records, analysis, summary and figures."""
    parts, missing = [], {}
    for section in ws.sections:
        try:
            records = ws.records_read_by(section)
            analysis = ws.analysis(section)
            summary = section.module.summarize(records, analysis, section.settings(ws.config))
        except USER_ERRORS as error:
            if strict:
                raise
            missing[section.name] = str(error)
            continue
        parts.append({"name": section.name, "title": section.title, "section": section, "records": records,
                      "analysis": analysis, "summary": summary, "figures": section.module.figures(summary)})
    return parts, missing


def write(ws: Workspace, parts: list[dict]) -> tuple[Path, Path]:
    """Figures, then report.html and report.pdf, from the summarized sections."""
    from .render import write_report

    contexts = []
    for number, part in enumerate(parts, start=1):
        paths = {}
        for name, png in part["figures"].items():
            paths[name] = f"figures/{part['name']}_{name}.png"
            ws.store.write_output(paths[name], png)
        contexts.append({"name": part["name"], "title": part["title"], "number": number,
                         "data": part["summary"], "figures": paths})
    run_records = {part["name"]: part["records"][part["name"]] for part in parts if part["records"][part["name"]]}
    analysis_keys = {part["name"]: part["analysis"].key for part in parts if part["analysis"]}
    keys = sorted(r["key"] for records in run_records.values() for r in records) + sorted(analysis_keys.values())
    context = {
        "title": ws.config["report"]["title"], "author": ws.config["report"]["author"],
        "date": date.today().isoformat(), "profile": ws.config["profile"], "sections": contexts,
        "provenance": provenance.build(ws.config["profile"], run_records, analysis_keys),
        "build_keys": " ".join(keys), "appendix_number": len(contexts) + 1,
    }
    extra = [part["section"].templates for part in parts if part["section"].templates]
    return write_report(ws.store, context, extra)


def claims_json(parts: list[dict]) -> str:
    """Every computed sentence of the report, with the per-seed values and the test behind it."""
    claims = [claim.as_json(part["name"]) for part in parts
              for claim in (*part["summary"].get("claims", ()), *part["summary"].get("earlier", ()))]
    return json.dumps({"claims": claims}, indent=1, allow_nan=False) + "\n"


def metrics_csv(ws: Workspace) -> str:
    """One row per run per epoch, over every planned run that has a current result."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for spec, key in ws.planned():
        state, stored = run_state(ws.store, spec, key)
        if stored is None or state in (STALE, CORRUPT):
            continue
        record = stored.record
        for epoch in record["metrics"]:
            writer.writerow([spec.section, spec.label, spec.seed, record["state"]]
                            + [epoch[c] for c in CSV_COLUMNS[4:]])
        if not record["metrics"]:
            writer.writerow([spec.section, spec.label, spec.seed, record["state"]] + [""] * 7)
    return out.getvalue()
