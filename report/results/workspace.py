"""One invocation's config, results store and datasets: what is planned, what is stored for it.

Every question "which runs does this config want, and which of them have a current result?"
is answered here, for the build, `status`, `plan` and `check` alike.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError, NoResults, Unavailable
from ..stats.states import CORRUPT, DONE, STALE
from .runs import RunSpec, index_by_run, run_key, run_state
from .store import CorruptResult, Store, make_key


CHECKSUMS = "data-checksums.json"   # in the output folder: each dataset's checksum as its build trained on it


def data_id(name: str, code: str | None) -> str:
    """A dataset's name in CHECKSUMS: a user's loader by its module's file name too."""
    return name if code is None else f"{name} ({Path(code).name})"


@dataclass(frozen=True)
class Analysis:
    """A section's cached computation over stored runs, as read back from the store."""

    key: str
    record: dict
    arrays: dict[str, np.ndarray]


@dataclass(frozen=True)
class AnalysisInputs:
    """What a section's analysis is handed, and all it may read: the current run records of the
    sections it reads, a run's stored arrays, and a dataset."""

    records: dict[str, list[dict]]                         # section → current run records
    arrays: Callable[[str, dict], dict[str, np.ndarray]]   # (section, record) → the run's stored arrays
    dataset: Callable[[str], object]                       # name → experiments.data.Dataset


def _distinct(specs: list[RunSpec]) -> list[RunSpec]:
    """A section's runs, each once and with a seed a run can have (a section of one's own makes its own
    list): the same run twice would count one stored result as two seeds."""
    from ..stats.sequential import FIRST_ROUND_SEED

    seen = set()
    for spec in specs:
        if isinstance(spec.seed, bool) or not isinstance(spec.seed, int) or not 0 <= spec.seed < FIRST_ROUND_SEED:
            raise ConfigError(f"run {spec.run_id}: seed {spec.seed!r} is not a whole number from 0 to "
                              f"{FIRST_ROUND_SEED - 1} (from {FIRST_ROUND_SEED} on are the seeds --resolve adds)")
        if spec.run_id in seen:
            raise ConfigError(f"section {spec.section} plans run {spec.run_id} twice (its runs() lists it twice: "
                              "one stored result would count as two seeds)")
        seen.add(spec.run_id)
    return specs


class Workspace:
    """Each dataset is loaded at most once per invocation."""

    def __init__(self, config: dict, output: Path, data_dir: Path | None, sections,
                 download: bool = True, settings=None):
        """sections: the report's (report.sections.SECTIONS, or with the user's own).
        download=False: a dataset that is not on disk is an error naming it (commands that only read).
        settings: the command-line settings (recorded.Settings) the build is recorded with."""
        from .recorded import Settings

        self.config, self.data_dir, self.download = config, data_dir, download
        self.settings = settings or Settings(profile=config["profile"])
        self.store = Store(output)
        self.claims = None   # a claims_file.ClaimsFile to check against this build, set by the CLI
        self.resolve = None  # --resolve: its budget in seconds (inf: none), set by the CLI
        self.kernels = None  # the CPU kernels the runs ask for ("onednn", "eigen"; None: TensorFlow's), set by the CLI
        self.sections = tuple(sections)
        self._by_name = {section.name: section for section in self.sections}
        self._datasets = {}
        self.data_from_record = set()   # datasets whose checksum came from CHECKSUMS (not on this machine)

    def section(self, name: str):
        return self._by_name[name]

    def dataset(self, name: str, code: str | None = None):
        """A dataset by name; code: the module of a user's section whose loader the name may be."""
        if (name, code) not in self._datasets:
            from experiments.data import load_dataset

            self._datasets[(name, code)] = load_dataset(name, self.data_dir, self.download, code)
        return self._datasets[(name, code)]

    def planned(self, sections=None) -> list[tuple[RunSpec, str]]:
        """(spec, key) of every training run the given sections own, in report order. A run whose params
        hold a key that nothing reads is refused (it would be hashed into the key, and ignored)."""
        from experiments.names import RUN_PARAMS

        from .rounds import with_rounds

        specs = with_rounds(_distinct([spec for section in (self.sections if sections is None else sections)
                                       for spec in section.runs(self.config, logs=self.store.output)]),
                            self.store.output)
        if self.kernels is not None:   # a parameter only where they are not TensorFlow's own: old keys hold
            from dataclasses import replace

            specs = [replace(spec, params={**spec.params, "cpu_kernels": self.kernels}) for spec in specs]
        for spec in specs:
            if spec.code:   # a user's section: its own builder reads its params
                continue
            unknown = sorted(set(spec.params) - RUN_PARAMS)
            if unknown:
                raise ConfigError(f"run {spec.run_id}: params {', '.join(unknown)} are read by nothing "
                                  f"(a run's params may hold {', '.join(sorted(RUN_PARAMS))})")
        planned = [(spec, run_key(spec, self.checksum(spec.dataset, spec.code))) for spec in specs]
        self._check_tasks(specs)
        return planned

    def _check_tasks(self, specs) -> None:
        """A user's runs: the task each names fits its data (labels, classes), before anything trains.
        Data not on this machine (a received folder, read-only commands) is not checked."""
        from experiments import tasks

        checked = set()
        for spec in specs:
            data = self._datasets.get((spec.dataset, spec.code)) if spec.code else None
            if data is None:
                continue
            try:
                task = tasks.of(spec.params)
                if (spec.dataset, spec.code, task) not in checked:
                    tasks.check_data(task, data.x_train, data.y_train, data.x_test, data.y_test, data.source)
                    checked.add((spec.dataset, spec.code, task))
            except tasks.TaskError as error:
                raise ConfigError(f"run {spec.run_id}: {error}") from None

    def checksum(self, name: str, code: str | None = None) -> str:
        """The dataset's checksum (what a run's key holds). A command that only reads (status, check,
        render) on a folder whose data is not on this machine (a received one) takes the checksum its
        build recorded (CHECKSUMS): what is stored is judged against the data it was trained on."""
        from experiments.errors import DataError

        try:
            return self.dataset(name, code).checksum
        except DataError:
            recorded = None if self.download else self.recorded_checksums().get(data_id(name, code))
            if recorded is None:
                raise
            self.data_from_record.add(data_id(name, code))
            return recorded

    def recorded_checksums(self) -> dict[str, str]:
        import json

        try:
            found = json.loads((self.store.output / CHECKSUMS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str)} \
            if isinstance(found, dict) else {}

    def record_checksums(self) -> None:
        """After a build: the checksum of every dataset it loaded, beside those of earlier builds."""
        import json

        loaded = {data_id(name, code): dataset.checksum for (name, code), dataset in self._datasets.items()}
        if loaded:
            merged = {**self.recorded_checksums(), **loaded}
            self.store.write_output(CHECKSUMS, json.dumps(merged, indent=1, sort_keys=True) + "\n")

    def records(self, section_name: str) -> list[dict]:
        """Current records of a section's runs; MkreportError naming the command if any is missing."""
        records = []
        for spec, key in self.planned([self.section(section_name)]):
            state, stored = run_state(self.store, spec, key)
            if stored is None or state in (STALE, CORRUPT):
                raise NoResults(f"section {section_name} has no current results ({spec.run_id} is {state})",
                                section_name)
            records.append(stored.record)
        return records

    def records_read_by(self, section) -> dict[str, list[dict]]:
        """Its own runs' records and those of the sections it reads (and, where built, also reads)."""
        records = {name: self.records(name) for name in (section.name, *section.reads)}
        for name in section.also_reads:
            try:
                records[name] = self.records(name)
            except NoResults:
                pass  # shown as "not built" by the section
        return records

    def analysis_key(self, section, records: dict[str, list[dict]]) -> str:
        inputs = sorted(r["key"] for name in section.reads for r in records[name])
        return make_key("analysis", section.name, section.settings(self.config), inputs,
                        section.analysis_code_hash())

    def analysis(self, section, compute: bool = False, force: bool = False, console=None) -> Analysis | None:
        """A section's stored analysis for the current results it reads; computed when `compute`.
        None for sections without one; MkreportError naming the command when it is missing."""
        if not section.has_analysis:
            return None
        records = self.records_read_by(section)
        key = self.analysis_key(section, records)
        try:
            stored = None if force else self.store.load(section.name, key)
        except CorruptResult:
            stored = None  # recomputed below, or reported missing
        if stored is not None:
            try:
                return Analysis(stored.key, stored.record, self.store.load_arrays(stored))
            except CorruptResult:
                if not compute:
                    raise
        if not compute:
            raise NoResults(f"section {section.name} has no current results", section.name)
        import contextlib

        with console.phase(f"analysing {section.name}") if console else contextlib.nullcontext():
            inputs = AnalysisInputs(records, lambda name, record: self.store.load_arrays(self.store.load(name, record["key"])),
                                    self.dataset)
            try:
                record, arrays = section.call("analyse", inputs, section.settings(self.config), logs=self.store.output)
            except Unavailable as why:  # stored like a result: the section says it, render finds it
                record, arrays = {"unavailable": str(why)}, {}
        self.store.save(section.name, key, dict(record, state=DONE), arrays)
        return Analysis(key, self.store.load(section.name, key).record, arrays)


def status_rows(ws: Workspace) -> list[dict]:
    """One row per planned run: section, config, seed, state, key, path."""
    planned = ws.planned()
    older = index_by_run(ws.store, {spec.section for spec, _ in planned})
    rows = []
    for spec, key in planned:
        state, stored = run_state(ws.store, spec, key, older)
        path = stored.path if stored is not None and state != STALE else ws.store.record_path(spec.section, key)
        rows.append({"section": spec.section, "config": spec.label, "seed": spec.seed, "state": state,
                     "key": key, "path": str(path)})
    return rows
