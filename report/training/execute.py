"""Train every planned run that has no finished result, here, in worker processes or on Ray;
each result is stored the moment its run ends."""
from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .logs import run_log
from .plan import record_speed
from .progress import Progress
from ..results.runs import RunSpec, framework_versions, run_state, training_code_hash
from ..stats.states import DONE, FAILED, FINISHED


@dataclass(frozen=True)
class Executor:
    """Where training runs execute: "local" (this process, or `jobs` worker processes) or "ray"."""

    kind: str = "local"
    jobs: int | None = None      # None: one worker process per core
    address: str | None = None   # a Ray cluster; None starts a local Ray instance
    cpus_per_run: int | None = None
    gpus_per_run: float | None = None  # with Ray: GPUs each task asks for (Ray hides GPUs from CPU-only tasks)
    quiet_native_logs: bool = True  # TensorFlow's native lines to output/logs/, not the terminal (--verbose: off)
    gpus: tuple[str, ...] | None = None  # None: detected (report.training.devices.visible_gpus)

    def visible_gpus(self) -> list[str]:
        from .devices import visible_gpus

        return list(self.gpus) if self.gpus is not None else visible_gpus()

    def workers(self, runs: int) -> int:
        """How many runs train at once here: --jobs, else one per GPU, else one per core; never more than runs."""
        from .devices import worker_count

        return worker_count(self.jobs, os.cpu_count() or 1, self.visible_gpus(), runs)


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
              "code_hash": training_code_hash(), "versions": framework_versions()}
    if result is None:
        record.update(state=FAILED, metrics=[], diverged_epoch=None, parameters=None)
    else:
        record.update(state=result["state"], metrics=result["metrics"], steps=result.get("steps", []), device=result["device"],
                      prediction_counts=result.get("prediction_counts"),
                      **({"task": result["task"]} if result.get("task") else {}),
                      threads=result["threads"], cpu_kernels=result.get("cpu_kernels"),
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
    the last to start are short ones and no core idles at the end waiting for a long run. Among runs
    of equal work, one of each architecture (model, batch, optimizer) before a second of any: the time
    estimate learns each one's speed from its first run (report/plan.py: Estimate)."""
    from experiments.flops import run_flops

    from .plan import architecture

    seen: dict[tuple, int] = {}
    keyed = []
    for index, item in enumerate(todo):
        params = item[0].params
        arch = architecture(params)
        keyed.append(((-run_flops(params), seen.get(arch, 0), index), item))
        seen[arch] = seen.get(arch, 0) + 1
    return [item for _, item in sorted(keyed, key=lambda pair: pair[0])]


def train_missing(ws, sections, force: bool = False, fail_fast: bool = False,
                  console=None, executor: Executor = Executor(), estimate=None) -> RunTally:
    """Train every planned run without a finished result; each result is stored the moment it ends."""
    tally = RunTally()
    todo, finished = [], set()
    for spec, key in ws.planned(sections):
        state, _ = run_state(ws.store, spec, key)
        if state in FINISHED and not force:
            tally.reused += 1
        else:
            todo.append((spec, key))
            if state in FINISHED:
                finished.add(key)   # --force: only a finished result may replace it
    own_console = console is None
    progress = Progress(len(todo), console, estimate)
    workers = executor.workers(len(todo))
    if todo:
        progress.say(f"training {len(todo)} run(s), reusing {tally.reused}"
                     + (f", {workers} at a time" if executor.kind == "local" and workers > 1 else "")
                     + (" on Ray" if executor.kind == "ray" else ""))
    if executor.kind == "ray":
        from .ray_executor import train_on_ray

        outcomes = train_on_ray(ws, longest_first(todo), executor, progress)
    elif workers > 1:
        outcomes = _train_parallel(ws, longest_first(todo), workers, progress,
                                   ws.store.output if executor.quiet_native_logs else None, executor.visible_gpus())
    else:
        outcomes = _train_serial(ws, todo, progress)
    gpus_expected, on_cpu = bool(executor.visible_gpus()), []
    try:
        for spec, key, result, error, wall in outcomes:
            record = _run_record(spec, ws.dataset(spec.dataset, spec.code), result, error, wall)
            if gpus_expected and result and result["device"] == "CPU":
                on_cpu.append(spec.run_id)
            kept = record["state"] == FAILED and key in finished
            if not kept:   # a forced retrain that failed (or whose worker was killed) keeps the stored result
                ws.store.save(spec.section, key, record, _arrays_to_keep(spec, result) if result else {})
            speed = record_speed(record) if record["metrics"] else None
            progress.run_done(spec.run_id, wall, overhead=speed.fixed if speed else 0.0)
            if record["state"] == FAILED:
                log = run_log(ws.store.output, spec.run_id)
                progress.say(f"    failed: {error}" + (f" (its log: {log})" if log.is_file() else "")
                             + ("; the stored result from before is kept" if kept else ""))
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
        if on_cpu:  # said once: TensorFlow falls back to the CPU without an error
            progress.say(f"warning: GPUs are visible ({', '.join(executor.visible_gpus())}) but {len(on_cpu)} run(s) "
                         f"trained on the CPU, e.g. {on_cpu[0]}: TensorFlow could not use them "
                         f"(its log: {run_log(ws.store.output, on_cpu[0])})")
        if own_console:
            progress.console.close()
    return tally


def _train_serial(ws, todo, progress):
    """In this process, with a progress line per epoch."""
    from experiments import own_code
    from experiments.training import train_run

    from .devices import memory_growth
    from .workers import warm_up

    if todo:
        memory_growth()
        warm_up()
    for spec, key in todo:
        progress.start_run(spec.run_id)
        started = time.perf_counter()
        try:
            own_code.expect(spec.code, spec.code_sha256)
            result = train_run(spec.params, spec.seed, ws.dataset(spec.dataset, spec.code),
                               on_epoch=lambda m, e=spec.params["epochs"]: progress.epoch(e, m), code=spec.code)
            error = None
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # a failing run is stored as failed and the grid goes on
            result, error = None, f"{type(exc).__name__}: {exc}"
        wall = time.perf_counter() - started
        progress.finished(spec.run_id, result, wall)
        yield spec, key, result, error, wall


def _train_parallel(ws, todo, jobs, progress, logs=None, gpus=()):
    """`jobs` worker processes; their epochs are shown as they end, results stored as runs end.

    A worker that dies (the OOM killer's kill -9, a crash) breaks the whole pool: the run it was
    training is stored failed with the signal, the pool is started again and every other run that
    had not finished is trained again. Workers ignore Ctrl-C: the main process stops them, so an
    interrupted build prints one line, not a traceback per worker.
    """
    remaining = list(todo)
    while remaining:
        pool = _WorkerPool(ws, jobs, progress, logs, gpus)
        try:
            finished = yield from pool.train(remaining)
        except BaseException:  # Ctrl-C, SIGTERM, or the caller stopped early (--fail-fast)
            pool.close(wait=False)
            raise
        if pool.broken and not finished and not pool.running:
            # no worker lived long enough to start a run: restarting would fail the same way, forever
            pool.close(wait=False)
            from ..errors import MkreportError

            raise MkreportError("the worker processes died while starting, before any run began. If you call "
                                "mkreport from a Python script, put the call under `if __name__ == \"__main__\":` "
                                "(each worker starts by importing your script); otherwise run with --jobs 1 "
                                "to see the error")
        dead = pool.dead_runs(remaining, finished) if pool.broken else []  # before close() kills the rest
        pool.close(wait=not pool.broken)
        for spec, key in dead:
            finished.add(spec.run_id)
            yield spec, key, None, f"worker died: {pool.death_reason(spec.run_id)}", 0.0
        remaining = [(spec, key) for spec, key in remaining if spec.run_id not in finished]
        if remaining:
            progress.say(f"    a worker died; restarting the workers for {len(remaining)} run(s) not finished")


class _WorkerPool:
    """One ProcessPoolExecutor and what is known about its workers."""

    def __init__(self, ws, jobs, progress, logs=None, gpus=()):
        import multiprocessing
        import signal
        from concurrent.futures import ProcessPoolExecutor

        from .devices import worker_gpu
        from .workers import init_worker

        self.ws, self.progress = ws, progress
        context = multiprocessing.get_context("spawn")  # TensorFlow does not survive fork
        self.events = context.Queue()
        # each worker takes one GPU from this queue as it starts, before it imports TensorFlow
        self.gpu_slots = context.Queue()
        for index in range(jobs):
            self.gpu_slots.put(worker_gpu(index, list(gpus)))
        self.executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=init_worker,
                                            initargs=(self.events, logs, self.gpu_slots, os.getpid()))
        self.processes: dict[int, object] = {}   # pid → Process, kept after the pool forgets them
        self.running: dict[str, int] = {}        # run_id → pid of the worker training it
        self.broken = False
        self._signal = signal

    def _show_events(self, epochs: dict, ended: set) -> None:
        import queue

        while True:
            try:
                kind, run_id, payload = self.events.get_nowait()
            except queue.Empty:
                return
            if run_id in ended:  # a late line from a run already reported finished
                continue
            if kind == "start":
                self.running[run_id] = payload
                self.progress.start_run(run_id)
            else:
                self.progress.epoch(epochs[run_id], payload, run_id)

    def train(self, todo):
        """Yield (spec, key, result, error, wall) as runs end; return the run_ids that ended."""
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        from experiments.training import THREADS_PER_RUN

        from .workers import train_in_worker

        epochs = {spec.run_id: spec.params["epochs"] for spec, _ in todo}
        ended: set[str] = set()
        # Workers start with SIGINT blocked (a spawned process keeps its parent's signal mask), so a Ctrl-C
        # reaches only this process. Blocked, not ignored: a Ctrl-C that arrives while they start is held,
        # and delivered here when the mask is restored, instead of being lost.
        sigmask = getattr(self._signal, "pthread_sigmask", None)
        if sigmask is not None:
            previous = sigmask(self._signal.SIG_BLOCK, {self._signal.SIGINT})
        else:  # no signal masks (Windows): ignore while they start, as before
            previous = self._signal.signal(self._signal.SIGINT, self._signal.SIG_IGN)
        try:
            pending = {self.executor.submit(train_in_worker, spec, self.ws.data_dir, THREADS_PER_RUN): (spec, key)
                       for spec, key in todo}
            self.processes.update(self.executor._processes or {})
        finally:
            if sigmask is not None:
                sigmask(self._signal.SIG_SETMASK, previous)
            else:
                self._signal.signal(self._signal.SIGINT, previous)
        while pending:
            done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            self.processes.update(self.executor._processes or {})
            self._show_events(epochs, ended)
            for future in done:
                spec, key = pending.pop(future)
                try:
                    result, error, wall = future.result()
                except BrokenProcessPool:
                    self.broken = True
                    self._show_events(epochs, ended)
                    return ended
                ended.add(spec.run_id)
                self.running.pop(spec.run_id, None)
                yield spec, key, result, error, wall  # the caller stores it before the generator resumes
                self.progress.finished(spec.run_id, result, wall)
        return ended

    def dead_runs(self, todo, finished: set) -> list:
        """The runs whose worker died by itself (not stopped by the pool after the breakage)."""
        for process in self.processes.values():
            process.join(timeout=10)  # the pool stops the other workers with SIGTERM
        dead = {run_id for run_id, pid in self.running.items()
                if run_id not in finished and self._died(pid)}
        if not dead:  # cannot tell which: fail every run that was training, so the retry makes progress
            dead = {run_id for run_id in self.running if run_id not in finished}
        return [(spec, key) for spec, key in todo if spec.run_id in dead]

    def _died(self, pid: int) -> bool:
        process = self.processes.get(pid)
        code = getattr(process, "exitcode", None)
        return code is not None and code != 0 and code != -self._signal.SIGTERM

    def death_reason(self, run_id: str) -> str:
        process = self.processes.get(self.running.get(run_id))
        code = getattr(process, "exitcode", None)
        if code is not None and code < 0:
            return f"killed by {self._signal.Signals(-code).name} (out of memory?)"
        return f"exit code {code}" if code is not None else "its worker process ended unexpectedly"

    def close(self, wait: bool) -> None:
        """wait: the workers are idle and exit by themselves; else stop them now (after Ctrl-C or a
        breakage nothing they compute is used). Either way the pool's management thread is joined
        here, so that nothing is left for the interpreter's exit to wake (or to hang on)."""
        self.processes.update(self.executor._processes or {})
        self.executor.shutdown(wait=wait, cancel_futures=True)
        for process in list(self.processes.values()):
            if process.is_alive():
                process.kill()
        for process in list(self.processes.values()):
            process.join(timeout=10)
        for queue in (self.events, self.gpu_slots):
            queue.close()
            queue.join_thread()
