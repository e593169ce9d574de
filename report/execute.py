"""Train every planned run that has no finished result, here, in worker processes or on Ray;
each result is stored the moment its run ends."""
from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .progress import Progress
from .runs import RunSpec, run_state, training_code_hash
from .store import DONE, FAILED, FINISHED


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


@dataclass
class RunTally:
    trained: int = 0
    reused: int = 0
    failed: list[str] = field(default_factory=list)
    interrupted: bool = False


def _run_record(spec: RunSpec, dataset, result: dict | None, error: str | None, wall: float) -> dict:
    record = {"run_id": spec.run_id, "label": spec.label, "seed": spec.seed, "params": spec.params,
              "dataset": spec.dataset, "data_checksum": dataset.checksum, "data_source": dataset.source,
              "train_images": len(dataset.x_train),
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


def longest_first(todo: list) -> list:
    """Runs in decreasing order of their floating-point work, so that when several train at once
    the last to start are short ones and no core idles at the end waiting for a long run."""
    from experiments.flops import run_flops

    return sorted(todo, key=lambda item: -run_flops(item[0].params))


def train_missing(ws, sections, force: bool = False, fail_fast: bool = False,
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
