"""Build a report: plan → train what is missing → analyse → summarize → draw → write.

build_report is the one call the commands make; each output file has one writer here
(metrics.csv, figures/) or in render.write_report (report.html, report.pdf).
"""
from __future__ import annotations

import base64
import csv
import io
import json
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .output import provenance
from .errors import USER_ERRORS, NoResults
from .training.execute import Executor, RunTally, train_missing
from experiments.tasks import metric_key

from .results.recorded import RECORD, record_json
from .results.runs import run_state
from .stats.states import CORRUPT, STALE
from .sections import with_dependencies
from .results.workspace import Workspace

CSV_COLUMNS = ("section", "config", "seed", "state", "epoch", "samples_seen", "train_loss",
               "train_accuracy", "test_loss", "test_accuracy", "train_seconds", "metric", "train_metric", "test_metric")
# the last three: the metric a run's task is scored by (accuracy for mkreport's own) and its values, so a
# regression's mean absolute error has its columns too (its accuracy columns are empty)


@dataclass
class Built:
    tally: RunTally
    html: Path | None = None
    pdf: Path | None = None
    sections: list[str] = field(default_factory=list)
    missing: dict[str, Exception] = field(default_factory=dict)  # section → why it is not in the report


def build_report(ws: Workspace, names=None, *, train: bool = True, strict: bool = True, force: bool = False,
                 fail_fast: bool = False, executor: Executor = Executor(), stream=None) -> Built:
    """Train and analyse the named sections (all by default) and what they read, then render
    every section that has results. strict: every section must have them (`all`, `render`).
    train=False: nothing is trained (`render`); analyses whose runs are current are computed or reused.
    Every phase is announced on stream."""
    from .training.progress import Console

    console = Console(stream)
    try:
        return _build(ws, names, train, strict, force, fail_fast, executor, console)
    finally:
        console.close()


def _build(ws, names, train, strict, force, fail_fast, executor, console) -> Built:
    started = time.monotonic()   # the appendix says how long this command took to write the report
    from .training import log_warnings
    from .training.logs import FOLDER as LOGS

    chosen = with_dependencies([s.name for s in ws.sections] if names is None else names, ws.sections)
    tally = RunTally()
    logs_before = log_warnings.log_sizes(ws.store.output / LOGS)
    if train:
        from .training.plan import describe, make_plan

        # a time from the first line: runs of a shape nothing stored or cached knows are measured first
        # (seconds, cached per machine), except in the smoke profile, whose runs take less than that
        plan = make_plan(ws, chosen, force=force, measure=ws.config["profile"] != "smoke")
        workers = executor.workers(len(plan.to_train))
        if plan.to_train:
            console.say(describe(plan, workers))
        with console.phase("training", announce=False):
            tally = train_missing(ws, chosen, force, fail_fast, console, executor, plan.estimate(workers))
        if tally.interrupted or (fail_fast and tally.failed):
            return Built(tally)
        if ws.resolve is not None:
            resolve(ws, chosen, fail_fast, executor, console, tally)
            if tally.interrupted or (fail_fast and tally.failed):
                return Built(tally)
    # every section whose runs are current gets its analysis (stored ones are reused), so that
    # neither `render` nor rerunning one section hands in a report with a section missing
    for section in ws.sections:
        try:
            ws.analysis(section, compute=True, force=force and train and section in chosen, console=console)
        except NoResults:
            if train and section in chosen:
                raise
    with console.phase("summarizing the sections and drawing their figures"):
        parts, missing = summarize_sections(ws, strict)
        lost = [name for name in missing if name in sections_in(ws.store.output / "report.html")]
        if lost:
            raise NoResults(f"the new report would lack {', '.join(lost)}, which the report in "
                            f"{ws.store.output} has ({missing[lost[0]]}); report.html and report.pdf are kept as "
                            "they were, every run is stored", "all")
        if not parts:
            ws.store.write_output("metrics.csv", metrics_csv(ws))
            raise NoResults("no section has results yet", "all")
    from .output.uptodate import fingerprint, words

    words_read = words(ws)  # before they are read: an edit during the render is seen by the next build
    # the report, claims.json, metrics.csv, tables and figures: one set, put in place together or not at all
    with console.phase("writing report.html and report.pdf"), ws.store.output_set():
        ws.store.write_output("metrics.csv", metrics_csv(ws))
        ws.store.write_output("claims.json", claims_json(parts))
        html, pdf = write(ws, parts, warn=console.say, started=started)
    export_tensorboard(ws, parts)
    for line in log_warnings.summary_lines(log_warnings.find(ws.store.output / LOGS, logs_before), ws.store.output / LOGS):
        console.say(line)
    ws.record_checksums()
    # the record's own write changes no input; what it fingerprints is what this report was made from
    ws.store.write_output(RECORD, record_json(ws.settings, fingerprint(ws, words_read)
                                              if not missing and not tally.failed else None, ws.store.output))
    return Built(tally, html, pdf, [part["name"] for part in parts], missing)


def resolve(ws: Workspace, chosen: list, fail_fast: bool, executor: Executor, console, tally: RunTally) -> None:
    """--resolve: more seeds where a section's "which is best" is open, within one budget for all."""
    from .training.resolve import resolvable, resolve_section

    started = time.monotonic()
    for section in chosen:
        name = section.name
        if not resolvable(ws, section):
            continue
        outcome = resolve_section(ws, section, ws.resolve, ws.config["report"]["max_seeds"], console, executor,
                                  fail_fast, started, tally)
        console.say(f"resolve {name}: {outcome.reason}"
                    + (f" after {outcome.rounds} round(s), {outcome.runs} run(s)" if outcome.rounds else ""))
        if tally.interrupted or (fail_fast and tally.failed):
            return


def sections_in(report_html: Path) -> set[str]:
    """The sections a written report.html shows (its <section id="sec-NAME">)."""
    import re

    try:
        return set(re.findall(r'<section id="sec-([\w-]+)"', report_html.read_text(encoding="utf-8")))
    except OSError:
        return set()


def export_tensorboard(ws: Workspace, parts: list[dict]) -> None:
    """Every section's runs as TensorBoard events, with the conv1 filters of the best CIFAR10 run."""
    from .output import tensorboard_export
    from .results import trained_lenet

    records = {part["name"]: part["records"][part["name"]] for part in parts}
    best_filters = None
    if any(r["state"] == "done" for r in records.get("cnn", [])):
        best = trained_lenet.best_run(records["cnn"])
        best_filters = (best, ws.store.load_arrays(ws.store.load("cnn", best["key"]))["snapshot_conv1_kernel"])
    tensorboard_export.export(ws.store.output, records, best_filters)


def summarize_sections(ws: Workspace, strict: bool) -> tuple[list[dict], dict[str, str]]:
    """Each section with results: its records, analysis, summary and figures."""
    parts, missing = [], {}
    for section in ws.sections:
        try:
            records = ws.records_read_by(section)
            analysis = ws.analysis(section)
            if analysis is not None and analysis.record.get("unavailable"):
                parts.append({"name": section.name, "title": section.title, "section": section, "records": records,
                              "analysis": analysis, "summary": {"unavailable": analysis.record["unavailable"]},
                              "figures": {}, "figures_key": None})
                continue
            # draft: the quick profile, a draft of the results on small budgets (the sections say where it cannot
            # rank); smoke only checks that the pipeline runs, and says every kind of sentence to show it does
            summary = section.summarize(records, analysis, dict(section.settings(ws.config),
                                                                draft=ws.config["profile"] == "quick"),
                                        logs=ws.store.output)
            if ws.claims and ws.claims.for_section(section.name):
                summary = dict(summary, **checked_claims(ws.claims, section.name, records[section.name], summary))
        except USER_ERRORS as error:
            if strict:
                raise
            missing[section.name] = error
            continue
        key = figures_key(ws, section, records, analysis)
        figures = cached_figures(ws, section.name, key)
        if figures is None:
            try:
                figures = section.figures(summary, logs=ws.store.output)
            except USER_ERRORS as error:
                if strict:
                    raise
                missing[section.name] = error
                continue
        parts.append({"name": section.name, "title": section.title, "section": section, "records": records,
                      "analysis": analysis, "summary": summary, "figures": figures, "figures_key": key})
    return parts, missing


def checked_claims(claims, section_name: str, records: list[dict], summary: dict) -> dict:
    """The claims file's claims about one section, checked against its runs: the summary's `earlier`
    (the sentences), its heading with the tally and both budgets, and its table
    (tables/<section>_claims_<file>.csv)."""
    from .stats.checks import budget_of, budget_words, check_all, tally
    from .stats.claims import earlier_table
    from .stats.findings import outcome
    from .stats.statistics import chance_threshold
    from .stats.summary import by_config, images_tested

    threshold = chance_threshold(images_tested(records))
    configs = by_config(records)
    theirs = claims.budgets.get(section_name, {})
    checks = check_all(claims.for_section(section_name), configs, lambda config: outcome(config, threshold),
                       threshold, theirs, claims.compare_anyway)
    heading = {"title": claims.title, "source": claims.source, "tally": tally(checks),
               "budgets": {"theirs": budget_words(theirs), "ours": budget_words(budget_of(configs))}}
    return {"earlier": checks, "earlier_heading": heading,
            "tables": {**summary.get("tables", {}), f"claims_{claims.slug}": earlier_table(checks)}}


def figures_key(ws: Workspace, section, records: dict, analysis) -> str:
    """What a section's figures are drawn from: its runs and analysis, its settings and mkreport's code."""
    from .results.store import make_key
    from .output.uptodate import code_hash

    return make_key("figures", section.name, {name: sorted(r["key"] for r in rs) for name, rs in records.items()},
                    analysis.key if analysis else None, section.settings(ws.config), code_hash())


def cached_figures(ws: Workspace, section_name: str, key: str) -> dict[str, bytes] | None:
    """The section's PNGs from the last build when they were drawn from the same inputs: a render after
    one changed section re-draws only that section's figures."""
    folder = ws.store.output / "figures"
    try:
        recorded = json.loads((folder / f".{section_name}.key").read_text())
        if recorded["key"] != key:
            return None
        return {name: (folder / f"{section_name}_{name}.png").read_bytes() for name in recorded["figures"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write(ws: Workspace, parts: list[dict], warn=None, started: float | None = None) -> tuple[Path, Path]:
    """Figures and tables, then report.html and report.pdf, from the summarized sections.

    report.html embeds its figures (data: URIs) and its stylesheet, so it shows everything when
    sent alone; the PNGs stay in figures/ and every table's numbers in tables/<name>.csv."""
    from markupsafe import Markup

    from .output.notes import note_names, notes_folder, read_notes
    from .output.render import templates_folder, write_report

    folder = notes_folder(ws.settings, ws.config)
    notes = {name: Markup(html) for name, html in
             read_notes(folder, note_names(s.name for s in ws.sections), warn).items()}
    if folder is not None and warn:
        warn(f"your notes: {len(notes)} from {folder}")
    contexts = []
    for number, part in enumerate(parts, start=1):
        embedded = {}
        for name, png in part["figures"].items():
            ws.store.write_output(f"figures/{part['name']}_{name}.png", png)
            embedded[name] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        if part["figures_key"]:
            ws.store.write_output(f"figures/.{part['name']}.key",
                                  json.dumps({"key": part["figures_key"], "figures": sorted(part["figures"])}))
        for name, table in part["summary"].get("tables", {}).items():
            ws.store.write_output(f"tables/{part['name']}_{name}.csv", table_csv(table))
        contexts.append({"name": part["name"], "title": part["title"], "number": number,
                         "data": part["summary"], "figures": embedded, "notes": notes.get(part["name"]),
                         "figure_files": {name: f"figures/{part['name']}_{name}.png" for name in part["figures"]}})
    run_records = {part["name"]: part["records"][part["name"]] for part in parts if part["records"][part["name"]]}
    analysis_keys = {part["name"]: part["analysis"].key for part in parts if part["analysis"]}
    keys = sorted(r["key"] for records in run_records.values() for r in records) + sorted(analysis_keys.values())
    report = ws.config["report"]
    context = {
        "title": report["title"], "author": report["author"], "course": report["course"],
        "date": report["date"] or date.today().isoformat(), "profile": ws.config["profile"], "sections": contexts,
        "notes": notes, "provenance": provenance.build(ws.config["profile"], run_records, analysis_keys,
                                                          time.monotonic() - started if started else None),
        "build_keys": " ".join(keys), "appendix_number": len(contexts) + 1,
    }
    extra = [part["section"].templates for part in parts if part["section"].templates]
    # report.md: the same report with its figures by relative path, for a repository page on GitHub
    linked = dict(context, sections=[dict(c, figures=c["figure_files"]) for c in contexts])
    return write_report(ws.store, context, templates_folder(ws.settings, ws.config), extra, warn, linked)


def table_csv(table: dict) -> str:
    """{"columns": [...], "rows": [[...], ...]} → CSV text; numbers as numbers, missing ones empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table["columns"])
    for row in table["rows"]:
        writer.writerow(["" if isinstance(v, float) and v != v else v for v in row])
    return out.getvalue()


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
            metric = metric_key(epoch)
            writer.writerow([spec.section, spec.label, spec.seed, record["state"]]
                            + [epoch.get(c, "") for c in CSV_COLUMNS[4:-3]]
                            + [metric, epoch[f"train_{metric}"], epoch[f"test_{metric}"]])
        if not record["metrics"]:
            writer.writerow([spec.section, spec.label, spec.seed, record["state"]] + [""] * 10)
    return out.getvalue()
