"""What a worker process runs for `--jobs N`: one training run, with its share of the cores."""
from __future__ import annotations

import time

_DATASETS = {}  # a worker trains several runs; it decodes each dataset once


def train_in_worker(spec, data_dir, threads: int):
    """A --jobs worker process: decodes each dataset once (from the cache), then trains."""
    from experiments.data import load_dataset

    if spec.dataset not in _DATASETS:
        _DATASETS[spec.dataset] = load_dataset(spec.dataset, data_dir)
    return train_with_data(spec, _DATASETS[spec.dataset], threads)


def train_with_data(spec, dataset, threads: int):
    """One run on `threads` cores. As a Ray task the dataset arrives decoded through Ray's object
    store, so no worker downloads or decodes anything."""
    import tensorflow as tf

    from experiments.training import train_run

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        pass
    started = time.perf_counter()
    try:
        result = train_run(spec.params, spec.seed, dataset)
        error = None
    except Exception as exc:
        result, error = None, f"{type(exc).__name__}: {exc}"
    return result, error, time.perf_counter() - started
