"""What a worker process runs for `--jobs N` or a Ray task: one training run."""
from __future__ import annotations

import os
import time
from pathlib import Path

_DATASETS = {}  # a worker trains several runs; it decodes each dataset once
_EVENTS = None  # a queue to the parent process: run starts and epochs, for its progress lines
_LOGS = None    # the output folder: each run's native log lines go to output/logs/<run>.log


def die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this worker when the process that started it dies, however it dies
    (kill -9 included, which no handler in the parent can catch): a killed `mkreport` leaves no
    TensorFlow worker holding memory. Elsewhere (macOS, Windows) it does nothing."""
    import ctypes
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before the request was in place
        os._exit(1)


def init_worker(events, output=None, gpu_slots=None, parent_pid=None) -> None:
    """ProcessPoolExecutor's initializer: a queue cannot be passed with each task, only at start.
    output: where run logs go; None leaves the worker's stderr on the terminal (--verbose).
    gpu_slots: a queue of GPUs (or None for no GPU), one taken per worker, before TensorFlow loads.
    parent_pid: the mkreport process; the worker dies with it."""
    global _EVENTS, _LOGS
    if parent_pid is not None:
        die_with_parent(parent_pid)
    _EVENTS, _LOGS = events, output
    if gpu_slots is not None:
        from .devices import pin

        pin(gpu_slots.get())  # before TensorFlow loads
    if output is not None:
        from .logs import FOLDER, point_fd2_at

        point_fd2_at(Path(output) / FOLDER / "workers.log")  # TensorFlow's start-up lines
    warm_up()


def warm_up() -> None:
    """Import TensorFlow and Keras before the first run's clock starts: their seconds are the worker's
    start-up, so that no run's time (and no estimate learnt from it) carries them."""
    import keras  # noqa: F401
    import tensorflow  # noqa: F401


def train_in_worker(spec, data_dir, threads: int):
    """A --jobs worker process: decodes each dataset once (from the cache), then trains."""
    from experiments import own_code
    from experiments.data import load_dataset

    own_code.expect(spec.code, spec.code_sha256)   # a loader of the user's module is read from those bytes too

    if _LOGS is not None:
        from .logs import point_fd2_at, run_log

        point_fd2_at(run_log(_LOGS, spec.run_id))

    if (spec.dataset, spec.code) not in _DATASETS:
        _DATASETS[(spec.dataset, spec.code)] = load_dataset(spec.dataset, data_dir, code=spec.code)
    on_epoch = None
    if _EVENTS is not None:
        _EVENTS.put(("start", spec.run_id, os.getpid()))  # the pid tells whose worker died, if one does
        on_epoch = lambda metrics: _EVENTS.put(("epoch", spec.run_id, metrics))  # noqa: E731
    return train_with_data(spec, _DATASETS[(spec.dataset, spec.code)], threads, on_epoch)


def train_with_data(spec, dataset, threads: int, on_epoch=None):
    """One run with `threads` TensorFlow threads. As a Ray task the dataset arrives decoded through
    Ray's object store, so no worker downloads or decodes anything."""
    from experiments import own_code
    from experiments.training import train_run

    from .devices import memory_growth

    memory_growth()
    started = time.perf_counter()
    try:
        own_code.expect(spec.code, spec.code_sha256)
        result = train_run(spec.params, spec.seed, dataset, on_epoch=on_epoch, threads=threads, code=spec.code)
        error = None
    except Exception as exc:
        result, error = None, f"{type(exc).__name__}: {exc}"
    return result, error, time.perf_counter() - started
