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
    jobs: int = 1
    address: str | None = None   # a Ray cluster; None starts a local Ray instance
    cpus_per_run: int | None = None


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
    if todo:
        progress.say(f"training {len(todo)} run(s), reusing {tally.reused}"
                     + (f", {executor.jobs} at a time" if executor.jobs > 1 else "")
                     + (" on Ray" if executor.kind == "ray" else ""))
    if executor.kind == "ray":
        from .ray_executor import train_on_ray

        outcomes = train_on_ray(ws, todo, executor, progress)
    elif executor.jobs > 1:
        outcomes = _train_parallel(ws, todo, executor.jobs, progress)
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


def report_finished(progress, spec, result, wall, extra: str = "") -> None:
    """One line for a run that finished elsewhere (a worker process or a Ray task)."""
    progress.start_run(spec.run_id)
    last = result["metrics"][-1] if result and result["metrics"] else None
    progress.say(f"    {result['state'] if result else 'failed'} in {wall:.1f}s"
                 + (f", test acc {last['test_accuracy']:.3f}" if last else "") + extra)


def _train_parallel(ws, todo, jobs, progress):
    """`jobs` worker processes, each with its share of the cores; results come back as runs end."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    from .workers import train_in_worker

    threads = max(1, (os.cpu_count() or 1) // jobs)
    context = multiprocessing.get_context("spawn")  # TensorFlow does not survive fork
    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    try:
        pending = {executor.submit(train_in_worker, spec, ws.data_dir, threads): (spec, key) for spec, key in todo}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                spec, key = pending.pop(future)
                try:
                    result, error, wall = future.result()
                except Exception as exc:  # the worker itself died
                    result, error, wall = None, f"worker died: {type(exc).__name__}: {exc}", 0.0
                report_finished(progress, spec, result, wall)
                yield spec, key, result, error, wall
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
