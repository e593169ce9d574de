"""Train one run (one configuration, one seed) and return its history; no files, no CLI.

train_run is the only place a model is fitted, so the results store can hash this file and
models.py to know when stored results came from other training code.
"""
from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from .data import Dataset

EVAL_BATCH = 1000  # evaluation has no backward pass: large batches are faster and change nothing


def to_inputs(images: np.ndarray, model_name: str) -> np.ndarray:
    """uint8 (N, 28, 28) → float32 in [0, 1]; LeNet5 adds a channel axis, the RNN reads rows."""
    x = images.astype(np.float32) / 255.0
    return x[..., None] if model_name == "lenet5" else x


def fixed_test_subset(dataset: Dataset, count: int) -> np.ndarray:
    """The same test images for every run and seed, drawn across all classes."""
    order = np.random.default_rng(0).permutation(len(dataset.x_test))
    return np.sort(order[: min(count, len(order))])


class SampleStream:
    """Training indices: without replacement within a pass over the split, reshuffled per pass."""

    def __init__(self, size: int, seed: int):
        self._size, self._rng = size, np.random.default_rng(seed)
        self._buffer = np.empty(0, dtype=np.int64)

    def take(self, count: int) -> np.ndarray:
        while len(self._buffer) < count:
            self._buffer = np.concatenate([self._buffer, self._rng.permutation(self._size)])
        chosen, self._buffer = self._buffer[:count], self._buffer[count:]
        return chosen


_DETERMINISM_SET = False


def set_determinism(seed: int) -> None:
    """Seeds once per run; op determinism once per process (it cannot be turned off again)."""
    global _DETERMINISM_SET
    import keras
    import tensorflow as tf

    if not _DETERMINISM_SET:
        tf.config.experimental.enable_op_determinism()
        _DETERMINISM_SET = True
    keras.utils.set_random_seed(seed)


def _conv_snapshot(model) -> dict[str, np.ndarray]:
    return {f"{layer}_{part}": value for layer in ("conv1", "conv2")
            for part, value in zip(("kernel", "bias"), model.get_layer(layer).get_weights())}


def train_run(params: dict, seed: int, data: Dataset,
              on_epoch: Callable[[dict], None] | None = None) -> dict:
    """Fit the model params describe; return metrics per epoch, final weights and conv snapshots.

    state is "done", or "diverged" with diverged_epoch when the loss stops being finite; the
    metrics then end with the last finite epoch.
    """
    import keras

    from .models import build_model, make_optimizer

    set_determinism(seed)
    model = build_model(params)
    model.compile(optimizer=make_optimizer(params["optimizer"], params["learning_rate"]),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    x_train = to_inputs(data.x_train, params["model"])
    test_rows = fixed_test_subset(data, params["test_samples"])
    x_test, y_test = to_inputs(data.x_test[test_rows], params["model"]), data.y_test[test_rows]
    stream = SampleStream(len(x_train), seed)
    lenet = params["model"] == "lenet5"
    snapshots = [_conv_snapshot(model)] if lenet else []

    metrics, state, diverged_epoch = [], "done", None
    for epoch in range(1, params["epochs"] + 1):
        rows = stream.take(params["samples_per_epoch"])
        started = time.perf_counter()
        history = model.fit(x_train[rows], data.y_train[rows], batch_size=params["batch_size"],
                            epochs=1, shuffle=False, verbose=0,
                            callbacks=[keras.callbacks.TerminateOnNaN()])
        train_seconds = time.perf_counter() - started
        train_loss = float(history.history["loss"][-1])
        started = time.perf_counter()
        test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=EVAL_BATCH, verbose=0)
        eval_seconds = time.perf_counter() - started
        if not (math.isfinite(train_loss) and math.isfinite(test_loss)):
            state, diverged_epoch = "diverged", epoch
            break
        metrics.append({"epoch": epoch, "train_loss": train_loss,
                        "train_accuracy": float(history.history["accuracy"][-1]),
                        "test_loss": float(test_loss), "test_accuracy": float(test_accuracy),
                        "train_seconds": train_seconds, "eval_seconds": eval_seconds,
                        "samples_seen": epoch * params["samples_per_epoch"]})
        if lenet:
            snapshots.append(_conv_snapshot(model))
        if on_epoch:
            on_epoch(metrics[-1])

    result = {"state": state, "metrics": metrics, "diverged_epoch": diverged_epoch,
              "parameters": int(model.count_params()), "test_rows": len(test_rows),
              "weights": [np.asarray(w) for w in model.get_weights()]}
    if lenet:
        result["snapshots"] = {name: np.stack([s[name] for s in snapshots]) for name in snapshots[0]}
    return result
