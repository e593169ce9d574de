"""What a worker process runs for `--jobs N` or a Ray task: one training run."""
from __future__ import annotations

import time

_DATASETS = {}  # a worker trains several runs; it decodes each dataset once
_EVENTS = None  # a queue to the parent process: run starts and epochs, for its progress lines


def init_worker(events) -> None:
    """ProcessPoolExecutor's initializer: a queue cannot be passed with each task, only at start."""
    global _EVENTS
    _EVENTS = events


def train_in_worker(spec, data_dir, threads: int):
    """A --jobs worker process: decodes each dataset once (from the cache), then trains."""
    from experiments.data import load_dataset

    if spec.dataset not in _DATASETS:
        _DATASETS[spec.dataset] = load_dataset(spec.dataset, data_dir)
    on_epoch = None
    if _EVENTS is not None:
        _EVENTS.put(("start", spec.run_id, None))
        on_epoch = lambda metrics: _EVENTS.put(("epoch", spec.run_id, metrics))  # noqa: E731
    return train_with_data(spec, _DATASETS[spec.dataset], threads, on_epoch)


def train_with_data(spec, dataset, threads: int, on_epoch=None):
    """One run with `threads` TensorFlow threads. As a Ray task the dataset arrives decoded through
    Ray's object store, so no worker downloads or decodes anything."""
    from experiments.training import train_run

    started = time.perf_counter()
    try:
        result = train_run(spec.params, spec.seed, dataset, on_epoch=on_epoch, threads=threads)
        error = None
    except Exception as exc:
        result, error = None, f"{type(exc).__name__}: {exc}"
    return result, error, time.perf_counter() - started
