"""mkreport as one Python call, for a notebook or a script: `from report import build`.

    from report import build
    result = build(profile="smoke", output="output")     # trains what is not stored, writes the report
    result.claims                                        # every tested sentence, as claims.json holds them
    result.tables["cnn_grid"]                            # a summary table: a list of dicts (result.dataframe(…))
    result                                               # in Jupyter: the report itself, inline

The command line is a layer over the same two steps (papermill's pattern): session.open_workspace turns
the settings into a Workspace — the same checks, the same one-line errors — and build_sections trains,
analyses and renders. Errors are raised as mkreport's exceptions (report.errors), with the command line's
messages; a second call with nothing changed trains nothing and returns the report as it is.
"""
from __future__ import annotations

import csv
import html as html_text
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Interrupted, MkreportError, NoResults


def nothing_changed(ws, say) -> bool:
    """The report in the output folder was made from exactly what this build would make it from."""
    from .output.uptodate import is_up_to_date
    from .results.recorded import read_raw

    if is_up_to_date(ws, read_raw(ws.store.output)):
        say(f"report is up to date: {ws.store.output / 'report.html'} and report.pdf "
            "(nothing it is made from has changed)")
        return True
    return False


def build_sections(ws, names, force: bool, fail_fast: bool, strict: bool, executor, say):
    """Train, analyse and render (pipeline.build_report) under the folder's lock; None when the report is
    up to date. strict: every section must have results (`all`)."""
    from .pipeline import build_report
    from .training.logs import FOLDER, native_stderr_to

    if not force and ws.resolve is None and nothing_changed(ws, say):   # --resolve may have rounds to train
        return None
    with ws.store.lock(), native_stderr_to(ws.store.output / FOLDER / "mkreport.log", executor.quiet_native_logs):
        built = build_report(ws, names, strict=strict, force=force, fail_fast=fail_fast, executor=executor)
    tally = built.tally
    if tally.interrupted:
        raise Interrupted(f"interrupted; {tally.trained + tally.reused} finished run(s) are kept in the store "
                          f"({tally.trained} trained now); run the same command to train the rest")
    if built.html:
        say(f"trained {tally.trained} run(s), reused {tally.reused}; wrote {built.html} and {built.pdf}")
    return built


@dataclass
class Report:
    """A built report: its files, what was trained for it, and what it says."""

    output: Path
    trained: int = 0
    reused: int = 0
    up_to_date: bool = False                                  # nothing changed: nothing was done
    missing: dict[str, str] = field(default_factory=dict)     # section → why it is not in the report yet

    @property
    def html(self) -> Path:
        return self.output / "report.html"

    @property
    def pdf(self) -> Path:
        return self.output / "report.pdf"

    @property
    def markdown(self) -> Path:
        return self.output / "report.md"

    @property
    def claims(self) -> list[dict]:
        """Every computed sentence with its values and test (claims.json)."""
        return json.loads((self.output / "claims.json").read_text(encoding="utf-8"))["claims"]

    @property
    def tables(self) -> dict[str, list[dict]]:
        """Each summary table (tables/<section>_<name>.csv) as a list of rows, numbers as numbers."""
        return {path.stem: _rows(path) for path in sorted((self.output / "tables").glob("*.csv"))}

    def dataframe(self, table: str):
        """One table as a pandas DataFrame (pandas is not one of mkreport's dependencies: install it)."""
        import pandas

        return pandas.read_csv(self.output / "tables" / f"{table}.csv")

    def _repr_html_(self) -> str:
        """In Jupyter: the report itself, in a frame (its stylesheet stays inside it)."""
        page = html_text.escape(self.html.read_text(encoding="utf-8"), quote=True)
        return (f'<p>mkreport: {self.html} ({self.trained} run(s) trained, {self.reused} reused)</p>'
                f'<iframe srcdoc="{page}" style="width: 100%; height: 720px; border: 1px solid #ccc"></iframe>')


def _rows(path: Path) -> list[dict]:
    def value(text: str):
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text if text != "" else None

    with open(path, newline="", encoding="utf-8") as handle:
        return [{key: value(text) for key, text in row.items()} for row in csv.DictReader(handle)]


def build(config=None, profile: str | None = None, output="output", sections=None, *, data_dir=None,
          notes=None, templates=None, claims=None, sets=(), force: bool = False, jobs: int | None = None,
          fail_fast: bool = False, resolve: str | None = None, executor: str = "local") -> Report:
    """`mkreport all` (or, with sections=["cnn", …], those sections and what they read) as one call.
    config: a TOML file; profile: "full", "quick" or "smoke" (default: as the output folder recorded, else
    full); data_dir: default $MKREPORT_DATA_DIR; sets: ["cnn.epochs=3", …] as --set; resolve: a time budget
    ("30m") as --resolve. Returns the Report; raises report.errors.MkreportError (ConfigError for bad
    settings, …) with the command line's one-line message."""
    from .errors import ConfigError
    from .session import build_settings, open_workspace, tell

    if profile not in (None, "full", "quick", "smoke"):
        raise ConfigError(f"profile {profile!r}: one of full, quick, smoke")
    if isinstance(sets, str):
        sets = [sets]
    if isinstance(sections, str):
        sections = [sections]
    data_dir = data_dir if data_dir is not None else os.environ.get("MKREPORT_DATA_DIR") or None
    config, data_dir, notes, templates, claims = (None if p is None else Path(p)
                                                  for p in (config, data_dir, notes, templates, claims))
    ws = open_workspace(config, profile, tuple(sets), data_dir, notes, templates, claims, Path(output))
    unknown = [name for name in sections or () if name not in {s.name for s in ws.sections}]
    if unknown:
        raise ConfigError(f"no section {unknown[0]!r}; this config's sections are "
                          f"{', '.join(s.name for s in ws.sections)}")
    runner = build_settings(ws, resolve, executor, jobs, option="resolve")
    try:
        built = build_sections(ws, list(sections) if sections else None, force, fail_fast, strict=not sections,
                               executor=runner, say=tell)
    except NoResults as error:
        raise MkreportError(str(error)) from None
    if built is None:
        return Report(ws.store.output, up_to_date=True)
    result = Report(ws.store.output, built.tally.trained, built.tally.reused,
                    missing={name: str(why) for name, why in built.missing.items()})
    if built.tally.failed:
        raise MkreportError(f"{len(built.tally.failed)} run(s) failed: " + ", ".join(built.tally.failed))
    return result
