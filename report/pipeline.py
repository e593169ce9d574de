"""Load → train what is missing → analyse → write: the one place the commands' work is done."""
from __future__ import annotations

import csv
import io
import os
import platform
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .errors import MkreportError
from .progress import Progress
from .runs import CORRUPT, STALE, RunSpec, index_by_run, run_key, run_state, training_code_hash
from .sections import SECTIONS, with_dependencies
from .store import DONE, FAILED, FINISHED, Store, make_key

CSV_COLUMNS = ("section", "config", "seed", "state", "epoch", "samples_seen", "train_loss",
               "train_accuracy", "test_loss", "test_accuracy", "train_seconds")


class Workspace:
    """One invocation's config, store and datasets (each dataset loaded at most once)."""

    def __init__(self, config: dict, output: Path, data_dir: Path | None):
        self.config, self.data_dir = config, data_dir
        self.store = Store(output)
        self._datasets = {}

    def dataset(self, name: str):
        if name not in self._datasets:
            from experiments.data import load_dataset

            self._datasets[name] = load_dataset(name, self.data_dir)
        return self._datasets[name]

    def planned(self, sections) -> list[tuple[RunSpec, str]]:
        """(spec, key) of every training run the given sections own, in report order."""
        return [(spec, run_key(spec, self.dataset(spec.dataset).checksum))
                for section in sections for spec in section.runs(self.config)]

    def run_records(self, section_name: str) -> list[dict]:
        """Current-key records of a section's runs; MkreportError naming the command if any is missing."""
        section = next(s for s in SECTIONS if s.name == section_name)
        records = []
        for spec, key in self.planned([section]):
            state, stored = run_state(self.store, spec, key)
            if stored is None or state in (STALE, CORRUPT):
                raise MkreportError(f"section {section_name} has no current results "
                                    f"({spec.run_id} is {state}); run `mkreport {section_name}` first")
            records.append(stored.record)
        return records


@dataclass
class RunTally:
    trained: int = 0
    reused: int = 0
    failed: list[str] = field(default_factory=list)
    interrupted: bool = False


def status_rows(ws: Workspace, sections=SECTIONS) -> list[dict]:
    """One row per planned run: section, config, seed, state, key, path."""
    planned = ws.planned(sections)
    older = index_by_run(ws.store, {spec.section for spec, _ in planned})
    rows = []
    for spec, key in planned:
        state, stored = run_state(ws.store, spec, key, older)
        path = stored.path if stored is not None and state not in (STALE,) else ws.store.record_path(spec.section, key)
        rows.append({"section": spec.section, "config": spec.label, "seed": spec.seed, "state": state,
                     "key": key, "path": str(path)})
    return rows


def _run_record(spec: RunSpec, dataset, result: dict | None, error: str | None, wall: float) -> dict:
    record = {"run_id": spec.run_id, "label": spec.label, "seed": spec.seed, "params": spec.params,
              "dataset": spec.dataset, "data_checksum": dataset.checksum, "data_source": dataset.source,
              "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "wall_seconds": wall, "machine": platform.machine(), "error": error,
              "code_hash": training_code_hash()}
    if result is None:
        record.update(state=FAILED, metrics=[], diverged_epoch=None, parameters=None)
    else:
        record.update(state=result["state"], metrics=result["metrics"], device=result["device"],
                      threads=result["threads"],
                      diverged_epoch=result["diverged_epoch"], parameters=result["parameters"])
    return record


def _arrays_to_keep(spec: RunSpec, result: dict) -> dict:
    """Final weights and conv snapshots, for the runs whose later sections read them."""
    if not spec.keep_weights:
        return {}
    arrays = {f"weight_{i:02d}": w for i, w in enumerate(result["weights"])}
    arrays.update({f"snapshot_{name}": value for name, value in result["snapshots"].items()})
    return arrays


@dataclass(frozen=True)
class Executor:
    """Where training runs execute: "local" (this process, or `jobs` worker processes) or "ray"."""

    kind: str = "local"
    jobs: int | None = None      # None: one worker process per core
    address: str | None = None   # a Ray cluster; None starts a local Ray instance
    cpus_per_run: int | None = None

    def workers(self, runs: int) -> int:
        """How many runs train at once here: never more than there are runs."""
        return max(1, min(self.jobs or os.cpu_count() or 1, runs))


def longest_first(todo: list) -> list:
    """Runs in decreasing order of their floating-point work, so that when several train at once
    the last to start are short ones and no core idles at the end waiting for a long run."""
    from experiments.flops import run_flops

    return sorted(todo, key=lambda item: -run_flops(item[0].params))


def train_missing(ws: Workspace, sections, force: bool = False, fail_fast: bool = False,
                  progress_stream=None, executor: Executor = Executor()) -> RunTally:
    """Train every planned run without a finished result; each result is stored the moment it ends."""
    tally = RunTally()
    todo = []
    for spec, key in ws.planned(sections):
        state, _ = run_state(ws.store, spec, key)
        if state in FINISHED and not force:
            tally.reused += 1
        else:
            todo.append((spec, key))
    progress = Progress(len(todo), sum(spec.params["epochs"] for spec, _ in todo), progress_stream)
    workers = executor.workers(len(todo))
    if todo:
        progress.say(f"training {len(todo)} run(s), reusing {tally.reused}"
                     + (f", {workers} at a time" if executor.kind == "local" and workers > 1 else "")
                     + (" on Ray" if executor.kind == "ray" else ""))
    if executor.kind == "ray":
        from .ray_executor import train_on_ray

        outcomes = train_on_ray(ws, longest_first(todo), executor, progress)
    elif workers > 1:
        outcomes = _train_parallel(ws, longest_first(todo), workers, progress)
    else:
        outcomes = _train_serial(ws, todo, progress)
    try:
        for spec, key, result, error, wall in outcomes:
            record = _run_record(spec, ws.dataset(spec.dataset), result, error, wall)
            ws.store.save(spec.section, key, record, _arrays_to_keep(spec, result) if result else {})
            progress.skip_epochs(spec.params["epochs"] - len(record["metrics"]))
            if record["state"] == FAILED:
                progress.say(f"    failed: {error}")
                tally.failed.append(spec.run_id)
                if fail_fast:
                    break
            else:
                tally.trained += 1
                if record["state"] != DONE:
                    progress.say(f"    {record['state']} at epoch {record['diverged_epoch']}")
    except KeyboardInterrupt:
        tally.interrupted = True
    finally:
        outcomes.close()
    return tally


def _train_serial(ws, todo, progress):
    """In this process, with a progress line per epoch."""
    from experiments.training import train_run

    for spec, key in todo:
        progress.start_run(spec.run_id)
        started = time.perf_counter()
        try:
            result = train_run(spec.params, spec.seed, ws.dataset(spec.dataset),
                               on_epoch=lambda m, e=spec.params["epochs"]: progress.epoch(e, m))
            error = None
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # a failing run is stored as failed and the grid goes on
            result, error = None, f"{type(exc).__name__}: {exc}"
        yield spec, key, result, error, time.perf_counter() - started


def _train_parallel(ws, todo, jobs, progress):
    """`jobs` worker processes; their epochs are shown as they end, results stored as runs end."""
    import multiprocessing
    import queue
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    from experiments.training import THREADS_PER_RUN

    from .workers import init_worker, train_in_worker

    context = multiprocessing.get_context("spawn")  # TensorFlow does not survive fork
    events = context.Queue()
    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                   initializer=init_worker, initargs=(events,))
    epochs = {spec.run_id: spec.params["epochs"] for spec, _ in todo}
    ended: set[str] = set()

    def show_events():
        while True:
            try:
                kind, run_id, metrics = events.get_nowait()
            except queue.Empty:
                return
            if run_id in ended:  # a late line from a run already reported finished
                continue
            if kind == "start":
                progress.start_run(run_id)
            else:
                progress.epoch(epochs[run_id], metrics, run_id)

    try:
        pending = {executor.submit(train_in_worker, spec, ws.data_dir, THREADS_PER_RUN): (spec, key)
                   for spec, key in todo}
        while pending:
            done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            show_events()
            for future in done:
                spec, key = pending.pop(future)
                try:
                    result, error, wall = future.result()
                except Exception as exc:  # the worker itself died
                    result, error, wall = None, f"worker died: {type(exc).__name__}: {exc}", 0.0
                ended.add(spec.run_id)
                yield spec, key, result, error, wall  # the caller stores it before the generator resumes
                progress.finished(spec.run_id, result, wall)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def metrics_csv(ws: Workspace, sections=SECTIONS) -> str:
    """One row per run per epoch, over every planned run that has a current result."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for spec, key in ws.planned(sections):
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


def analysis_result(ws: Workspace, name: str, compute_if_missing: bool = True, force: bool = False):
    """The stored result of a cached analysis (visualize, deconvnet); computed when missing."""
    from .analyses import ANALYSES

    analysis = ANALYSES[name]
    inputs = analysis.inputs(ws)
    key = make_key("analysis", name, ws.config[name], inputs["key_parts"], analysis.code_hash())
    stored = None if force else ws.store.load(name, key)
    if stored is None:
        if not compute_if_missing:
            raise MkreportError(f"section {name} has no current results; run `mkreport {name}` first")
        record, arrays = analysis.compute(ws, inputs)
        ws.store.save(name, key, dict(record, state=DONE), arrays)
        stored = ws.store.load(name, key)
    return stored


def build(ws: Workspace, names, force=False, fail_fast=False, progress_stream=None,
          executor: Executor = Executor()) -> RunTally:
    """Train and analyse the named sections (and what they read), then write metrics.csv."""
    sections = with_dependencies(names)
    tally = train_missing(ws, sections, force, fail_fast, progress_stream, executor)
    if not tally.interrupted and not (fail_fast and tally.failed):
        for section in sections:
            if section.analysis:
                analysis_result(ws, section.analysis, force=force)
    ws.store.write_output("metrics.csv", metrics_csv(ws))
    return tally
