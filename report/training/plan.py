"""What a build will train and how long it should take, before it starts.

Time per run = fixed cost (building and tracing the model) + epochs × (training samples ×
seconds per training sample + test samples × seconds per evaluated sample). The three numbers
come, per architecture, from runs already stored in this output folder, else from a short
measurement (`mkreport plan` measures; `mkreport all` only uses what is known), cached per machine.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import time
from dataclasses import dataclass, replace

from experiments.flops import run_flops
from experiments.training import as_evaluated, evaluated_images

from ..results.runs import run_state, training_code_hash
from ..results.store import make_key
from ..stats.states import FINISHED


def architecture(params: dict) -> tuple:
    """What decides the speed of a training step: the model, its size, the batch size and the optimizer
    (Adam's update of LeNet5's 3.3 M weights makes a step a quarter slower than plain SGD's), not the
    learning rate or the budget."""
    from experiments.network import NETWORK_KEYS

    shape = tuple(repr(params.get(key)) for key in (*NETWORK_KEYS, "input_shape"))   # LeNet5's settings
    return (params["model"], params.get("cell"), params.get("hidden_size"), shape,
            params["batch_size"], params.get("optimizer"), params.get("precision", "float32"), params.get("cpu_kernels"))


@dataclass
class Speed:
    fixed: float        # seconds per run outside the epochs' steps (build, tracing)
    per_train: float    # seconds per training sample
    per_eval: float     # seconds per evaluated test sample

    def run_seconds(self, params: dict) -> float:
        return (self.fixed + params["epochs"] * params["samples_per_epoch"] * self.per_train
                + evaluated_images(params) * self.per_eval)


def record_speed(record: dict) -> Speed | None:
    """One stored run's costs: its later epochs give the per-sample costs (the first also traces the
    model); what the run spent beyond those rates is its fixed cost (building and tracing the model)."""
    metrics, params = record["metrics"], record["params"]
    steady = metrics[1:] or metrics
    if not steady:
        return None
    per_train = sum(m["train_seconds"] for m in steady) / (len(steady) * params["samples_per_epoch"])
    per_eval = sum(m["eval_seconds"] for m in steady) / max(1, sum(m["test_images"] for m in steady))
    spent = sum(params["samples_per_epoch"] * per_train + m["test_images"] * per_eval for m in metrics)
    return Speed(max(0.0, record["wall_seconds"] - spent), per_train, per_eval)


def speed_from_records(records: list[dict]) -> Speed | None:
    """From stored runs of one architecture: the median of each cost."""
    speeds = [speed for speed in map(record_speed, records) if speed is not None]
    if not speeds:
        return None
    return Speed(*(statistics.median(getattr(s, name) for s in speeds) for name in ("fixed", "per_train", "per_eval")))


def _cache_path(arch: tuple):
    from importlib.metadata import version

    from experiments.data import cache_dir

    # the measurement depends on TensorFlow's version; read from its metadata, since importing
    # TensorFlow here would cost seconds in a process that may not train at all
    key = make_key("speed", list(arch), platform.processor(), platform.machine(), os.cpu_count(),
                   version("tensorflow"), training_code_hash())
    return cache_dir() / "speed" / f"{key}.json"


def measure_speed(params: dict, data, code: str | None = None, batches: int = 6) -> Speed:
    """Build and trace the model once (fixed cost), then time a few training and evaluation batches,
    with the thread count and precision the run will train with."""
    from experiments.training import THREADS_PER_RUN, precision_policy, use_threads

    use_threads(THREADS_PER_RUN)  # as every run trains
    with precision_policy(params.get("precision", "float32")):  # as the run will train
        return _timed(params, data, batches, code)


def _timed(params: dict, data, batches: int, code: str | None = None) -> Speed:
    from experiments.training import EVAL_BATCH, compiled_model, to_inputs

    size = params["batch_size"]
    x = to_inputs(data.x_train[: size * batches], params["model"])
    y = data.y_train[: size * batches]
    started = time.perf_counter()
    model = compiled_model(params, code)
    model.fit(x[:size], y[:size], batch_size=size, verbose=0)
    model.evaluate(x[:size], y[:size], batch_size=EVAL_BATCH, verbose=0)
    fixed = time.perf_counter() - started
    started = time.perf_counter()
    model.fit(x, y, batch_size=size, verbose=0, shuffle=False)
    per_train = (time.perf_counter() - started) / len(x)
    started = time.perf_counter()
    model.evaluate(x, y, batch_size=EVAL_BATCH, verbose=0)
    per_eval = (time.perf_counter() - started) / len(x)
    return Speed(fixed, per_train, per_eval)


@dataclass
class Plan:
    to_train: list    # (spec, key, estimated seconds or None)
    reused: list      # (spec, key)

    def estimate(self, workers: int) -> Estimate:
        """The same numbers, for the progress line to re-estimate as runs finish."""
        return Estimate({spec.run_id: (seconds, run_flops(spec.params), architecture(spec.params))
                         for spec, _, seconds in self.to_train}, workers)


def _groups(arch: tuple | None) -> list:
    """From the closest kin of a run to the farthest: its architecture, its model (and cell), any run."""
    return ([arch, arch[:2]] if arch is not None else []) + ["any"]


# Besides training, measured on the 2-core CI machine: a worker process starts (imports TensorFlow)
# in ≈ 4 s; importing TensorFlow for the analyses, the analyses, figures and PDF after training ≈ 14 s.
WORKER_START_SECONDS = 4.0
AFTER_TRAINING_SECONDS = 14.0


def pack(seconds: list[float], workers: int, start: float = 0.0) -> float:
    """Time until the last of these runs ends when `workers` take them longest first."""
    loads = [start] * max(1, workers)
    for value in sorted(seconds, reverse=True):
        loads[loads.index(min(loads))] += value
    return max(loads) if seconds else 0.0


class Estimate:
    """Time left in a build, one model for the plan and the progress lines: each run's estimated seconds
    (from stored runs of its shape, or a cached measurement), scaled by how the runs that finished
    compared with theirs. A run with no estimate costs the fixed seconds of finished runs (building
    and tracing a model: about 1 s for every model here) plus its FLOPs at the speed per FLOP of the
    finished runs of its architecture (model, size, batch, optimizer), else of its model (LeNet5, or
    one RNN cell), else of all: a basic RNN turns FLOPs into seconds at another rate than LeNet5.
    Runs are packed onto the workers longest first; then the analyses and the render."""

    def __init__(self, runs: dict[str, tuple], workers: int, clock=time.perf_counter):
        """runs: run_id → (estimated seconds or None, FLOPs[, architecture])."""
        self.runs = {run_id: (*value, None)[:3] for run_id, value in runs.items()}
        self.workers = max(1, workers)
        self.actual: dict[str, float] = {}
        self.overhead: dict[str, float] = {}
        self.clock, self.started = clock, None  # when the first run started: workers' start-up is no inefficiency

    def run_started(self) -> None:
        if self.started is None:
            self.started = self.clock()

    def finished(self, run_id: str, seconds: float, overhead: float = 0.0) -> None:
        """overhead: the run's fixed seconds, those its steady per-sample speed does not explain (record_speed)."""
        self.actual[run_id] = seconds
        self.overhead[run_id] = min(max(0.0, overhead), seconds)

    def _run_seconds(self) -> dict[str, float] | None:
        done = [(self.actual[r], self.overhead[r], *self.runs[r]) for r in self.actual if r in self.runs]
        with_estimate = [(actual, estimate) for actual, _, estimate, _, _ in done if estimate]
        scale = sum(a for a, _ in with_estimate) / sum(e for _, e in with_estimate) if with_estimate else 1.0
        fixed = statistics.median(overhead for _, overhead, _, _, _ in done) if done else 0.0
        per_flop: dict[object, list[float]] = {}  # seconds per FLOP in the epochs: by architecture, model, all
        for actual, overhead, _, flops, arch in done:
            for group in _groups(arch):
                per_flop.setdefault(group, []).append((actual - overhead) / max(flops, 1))
        seconds = {}
        for run_id, (estimate, flops, arch) in self.runs.items():
            if run_id in self.actual:
                continue
            if estimate is not None:
                seconds[run_id] = estimate * scale
            elif done:
                group = next(g for g in _groups(arch) if g in per_flop)
                seconds[run_id] = fixed + flops * statistics.fmean(per_flop[group])
            else:
                return None
        return seconds

    def left(self, running: dict[str, float] | None = None) -> float | None:
        """Seconds until the report is written; running: run_id → seconds it has been training."""
        seconds = self._run_seconds()
        if seconds is None:
            return None
        running = running or {}
        remaining = [max(0.0, value - running.get(run_id, 0.0)) for run_id, value in seconds.items()]
        start = 0.0 if self.actual or running else WORKER_START_SECONDS * (self.workers > 1)
        return pack(remaining, self.workers, start) / self._efficiency(running) + AFTER_TRAINING_SECONDS

    def _efficiency(self, running: dict[str, float]) -> float:
        """The share of the workers' wall time since the first run started that went into runs (storing
        results and handing over work take the rest): the remaining runs will see about the same."""
        if not self.actual or self.started is None:
            return 1.0
        wall = (self.clock() - self.started) * self.workers
        busy = sum(self.actual.values()) + sum(running.values())
        if wall <= 0:
            return 1.0
        return min(1.0, max(0.25, busy / wall))


def describe(plan: Plan, workers: int, verbose: bool = False) -> str:
    """The plan as `mkreport plan` and the start of a build show it."""
    from .progress import format_duration

    lines = []
    if verbose:
        lines += [f"train   {spec.run_id:<45} " + (f"≈{format_duration(seconds)}" if seconds is not None else "?")
                  for spec, _, seconds in plan.to_train]
        lines += [f"reuse   {spec.run_id}" for spec, _ in plan.reused]
    total = plan.estimate(workers).left() if plan.to_train else None
    estimate = (f"≈{format_duration(total)} in all" + (f", {workers} at a time" if workers > 1 else "")
                if total is not None else
                "time estimated once the first run has finished (no run of these shapes is stored or measured; "
                "`mkreport plan` measures)")
    lines.append(f"plan: {len(plan.to_train)} run(s) to train, {len(plan.reused)} reused; {estimate}")
    return "\n".join(lines)


def make_plan(ws, sections=None, force: bool = False, measure: bool = False) -> Plan:
    to_train, reused, by_arch = [], [], {}
    planned = ws.planned(sections)
    for spec, key in planned:
        state, stored = run_state(ws.store, spec, key)
        if state in FINISHED and not force:
            reused.append((spec, key))
            by_arch.setdefault(architecture(spec.params), []).append(stored.record)
        else:
            to_train.append((spec, key))
    # costed as they will run: a test_samples above the test split's size evaluates the split
    to_train = [(replace(spec, params=as_evaluated(spec.params, len(ws.dataset(spec.dataset, spec.code).x_test))), key)
                for spec, key in to_train]
    speeds = {}
    for spec, _ in to_train:
        arch = architecture(spec.params)
        if arch in speeds:
            continue
        speeds[arch] = speed_from_records(by_arch.get(arch, []))
        if speeds[arch] is None:
            speeds[arch] = _cached_or_measured(ws, spec, measure)
    return Plan([(spec, key, speeds[architecture(spec.params)].run_seconds(spec.params)
                  if speeds[architecture(spec.params)] else None) for spec, key in to_train], reused)


def _cached_or_measured(ws, spec, measure: bool) -> Speed | None:
    try:
        path = _cache_path(architecture(spec.params))
    except ImportError:  # no TensorFlow installed (its metadata is missing): nothing to measure with
        return None
    cached = _read_speed(path)
    if cached is not None or not measure:
        return cached
    speed = measure_speed(spec.params, ws.dataset(spec.dataset, spec.code), spec.code)
    from experiments.files import atomic_file

    try:
        with atomic_file(path) as out:
            out.write(json.dumps({"fixed": speed.fixed, "per_train": speed.per_train,
                                  "per_eval": speed.per_eval}).encode())
    except OSError as error:  # the cache only saves time: the measurement is used all the same
        import sys

        print(f"warning: cannot keep the speed measurement in {path.parent} ({error.strerror or error}); "
              "set MKREPORT_CACHE_DIR to a writable folder to keep it", file=sys.stderr)
    return speed


def _read_speed(path) -> Speed | None:
    """A cached measurement, or None when there is none or it is not three finite seconds ≥ 0."""
    import math

    try:
        values = json.loads(path.read_text())
        speed = Speed(**values)
    except (OSError, ValueError, TypeError):
        return None
    fields = (speed.fixed, speed.per_train, speed.per_eval)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0 for v in fields):
        return speed
    return None
