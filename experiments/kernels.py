"""TensorFlow's CPU kernels: oneDNN's or its own (Eigen), chosen before TensorFlow is imported.

TensorFlow turns oneDNN on by itself only on CPUs with AVX-512-class features; on an AVX2-only CPU
LeNet5 trains about 1.8× faster with it on (docs/performance.md). TensorFlow reads TF_ENABLE_ONEDNN_OPTS
once, when it is imported, so the choice is the process's: the command sets it before TensorFlow
loads (request), worker processes and Ray tasks get it from there, and a run whose params name the
kernels checks inside its own process that TensorFlow really uses them (check) — its numbers, and so
its key, depend on them (the last digits move).

`python -m experiments.kernels` prints this process's kernels and LeNet5's training speed with them:
what `measure_both` runs once per setting, each in a fresh process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

ENV = "TF_ENABLE_ONEDNN_OPTS"
KERNELS = ("onednn", "eigen")
BATCHES = 40     # timed training steps of LeNet5 (batch 64) after a warm-up: ≈ 5 s on a laptop core


def request(kernels: str | None) -> None:
    """Ask for these kernels in this process and the processes it starts; None: TensorFlow's own choice."""
    if kernels is not None:
        os.environ[ENV] = "1" if kernels == "onednn" else "0"


def in_force() -> str | None:
    """The kernels TensorFlow uses in this process (imports TensorFlow); None where this TensorFlow
    does not say (its private helper moved)."""
    import tensorflow  # noqa: F401

    try:
        from tensorflow.python.util import _pywrap_util_port

        return "onednn" if _pywrap_util_port.IsMklEnabled() else "eigen"
    except (ImportError, AttributeError):
        return None


def check(params: dict) -> str | None:
    """The kernels in force; an error where the run's params name others (TensorFlow was imported in
    this process before the kernels were chosen: a notebook, or a script that imported it first)."""
    kernels = in_force()
    wanted = params.get("cpu_kernels")
    if wanted is not None and kernels is not None and wanted != kernels:
        raise RuntimeError(f"this run is for TensorFlow's {wanted} CPU kernels, but TensorFlow in this process "
                           f"runs with {kernels} ({ENV} is read once, when TensorFlow is imported, and it was "
                           f"imported before mkreport set it): train in worker processes (--jobs 2), or set "
                           f"[report] cpu_kernels = \"{kernels}\"")
    return kernels


# The model kinds of mkreport's sections, as measured: LeNet5 (batch 64) and each RNN cell at 128 units
# (batch 128), the batch sizes of the default config.
MODELS = {"lenet5": ({"model": "lenet5", "optimizer": "adam"}, 64),
          "rnn": ({"model": "rnn", "cell": "rnn", "hidden_size": 128}, 128),
          "lstm": ({"model": "rnn", "cell": "lstm", "hidden_size": 128}, 128),
          "gru": ({"model": "rnn", "cell": "gru", "hidden_size": 128}, 128)}


def model_speed(name: str = "lenet5", batches: int = BATCHES) -> float:
    """Samples per second of one of MODELS (Adam, one thread) trained on random inputs."""
    import numpy as np

    from .models import build_model, make_optimizer
    from .training import THREADS_PER_RUN, use_threads

    use_threads(THREADS_PER_RUN)
    import keras

    params, batch = MODELS[name]
    model = build_model(params)
    model.compile(optimizer=make_optimizer("adam", 1e-3, 0.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    x = rng.random((batch * batches,) + tuple(model.input_shape[1:]), dtype=np.float32)
    y = rng.integers(0, 10, batch * batches)
    model.fit(x[:batch * 5], y[:batch * 5], batch_size=batch, epochs=1, verbose=0)   # tracing, not timed
    started = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    return batch * batches / (time.perf_counter() - started)


def lenet5_speed(batches: int = BATCHES) -> float:
    """Samples per second of the default LeNet5 (Adam, batch 64, one thread) on random images."""
    return model_speed("lenet5", batches)


def measure_both(peak: bool = False, models: tuple = ()) -> dict:
    """TensorFlow's own choice on this machine and LeNet5's speed with each kernel set, each in a fresh
    process: {"default": "eigen", "onednn": 607.0, "eigen": 345.0}; peak: also each one's one-thread fp32
    matmul GFLOP/s ("onednn_peak", …); models (names in MODELS): also theirs ("onednn:gru", …)."""
    found = {}
    for name, value in (("default", None), ("onednn", "1"), ("eigen", "0")):
        env = {k: v for k, v in os.environ.items() if k != ENV}
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
        if value is not None:
            env[ENV] = value
        args = [sys.executable, "-m", "experiments.kernels"] + (["--no-timing"] if value is None else
                                                                (["--peak"] if peak else []) + list(models))
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"measuring TensorFlow's {name} kernels failed: {done.stderr.strip().splitlines()[-1:]}")
        measured = json.loads(done.stdout.strip().splitlines()[-1])
        if name == "default":
            found["default"] = measured["kernels"]
        elif measured["kernels"] == name:     # a platform without oneDNN stays on Eigen: not a choice
            found[name] = measured["samples_per_second"]
            if peak:
                found[f"{name}_peak"] = measured["peak_gflops"]
            for model, speed in measured.get("models", {}).items():
                found[f"{name}:{model}"] = speed
    return found


def matmul_peak_gflops(size: int = 1024, repeats: int = 10, dtype: str = "float32") -> float:
    """One thread's matrix-product speed with these kernels (GFLOP/s): what a fraction of the peak is of.
    The benchmarks use it too (with bfloat16 for --precision)."""
    import tensorflow as tf

    from .training import THREADS_PER_RUN, use_threads

    use_threads(THREADS_PER_RUN)
    a, b = tf.random.normal((size, size), dtype=dtype), tf.random.normal((size, size), dtype=dtype)
    tf.linalg.matmul(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        tf.linalg.matmul(a, b).numpy()
        best = min(best, time.perf_counter() - started)
    return 2 * size ** 3 / best / 1e9

if __name__ == "__main__":
    kernels = in_force()
    speed = None if "--no-timing" in sys.argv else lenet5_speed()
    peak = matmul_peak_gflops() if "--peak" in sys.argv else None
    others = {name: model_speed(name) for name in sys.argv[1:] if name in MODELS and name != "lenet5"}
    print(json.dumps({"kernels": kernels, "samples_per_second": speed, "peak_gflops": peak, "models": others}))
