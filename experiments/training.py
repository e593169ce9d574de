"""Train one run (one configuration, one seed) and return its history; no files, no CLI.

train_run is the only place a model is fitted, so the results store can hash this file and
models.py to know when stored results came from other training code.
"""
from __future__ import annotations

import contextlib
import math
import os
import time
from typing import Callable

import numpy as np

from . import tasks
from .data import Dataset

EVAL_BATCH = 1000  # evaluation has no backward pass: large batches are faster and change nothing
# TensorFlow's thread count changes float sums (results differ at ~1e-5): every run uses the same
# count, so a run's numbers do not depend on how many runs train beside it (`--jobs`).
THREADS_PER_RUN = 1
# A run diverges when a loss is not finite or exceeds 100 × ln 10 (≈ 230): a hundred times the
# cross-entropy of a uniform guess over ten classes. Overflow alone is no test: whether a huge
# loss becomes inf depends on the CPU's instruction set (5e30 stays finite with AVX-512).
DIVERGENCE_LOSS = 100 * math.log(10)


def diverges(loss: float, task: tasks.Task | None = None) -> bool:
    """A classification loss past a hundred times a uniform guess's (100 × ln 10 for ten classes); a
    regression loss only when not finite (its scale is the targets')."""
    if task is not None and not task.classifies:
        return not math.isfinite(loss)
    limit = DIVERGENCE_LOSS if task is None or task.classes == 10 else 100 * math.log(task.classes)
    return not math.isfinite(loss) or loss > limit


def to_inputs(images: np.ndarray, model_name: str) -> np.ndarray:
    """uint8 images → float32 in [0, 1]. The RNN reads grey images as rows (N, 28, 28); every other
    model (LeNet5, a user's own) reads (N, H, W, C): grey images get a channel axis, colour ones are as they are.
    Inputs of any other dtype (a user's float features) are passed as they are, in float32."""
    if images.dtype != np.uint8:
        return images.astype(np.float32)
    x = images.astype(np.float32) / 255.0
    return x[..., None] if model_name != "rnn" and x.ndim == 3 else x


def to_targets(labels: np.ndarray, task: tasks.Task) -> np.ndarray:
    """Integer classes, or float32 regression targets."""
    return labels.astype(np.float32) if not task.classifies else labels.astype(np.int64)


def curve_test_count(params: dict) -> int:
    """Test images evaluated after each epoch but the last (the learning curves)."""
    return min(params["curve_test_samples"], params["test_samples"])


def evaluated_images(params: dict) -> int:
    """Test images a run evaluates in all: the curve subset after each epoch but the last, then all."""
    return (params["epochs"] - 1) * curve_test_count(params) + params["test_samples"]


def as_evaluated(params: dict, test_size: int) -> dict:
    """params with the test counts a run really evaluates on a test split of test_size images
    (a test_samples above the split's size evaluates the whole split): what its cost depends on."""
    clipped = dict(params, test_samples=min(params["test_samples"], test_size))
    if "curve_test_samples" in params:
        clipped["curve_test_samples"] = min(params["curve_test_samples"], test_size)
    return clipped


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


_PROCESS_CONFIGURED = False


def set_determinism(seed: int) -> None:
    """Seeds once per run; op determinism once per process (it cannot be turned off again)."""
    global _PROCESS_CONFIGURED
    import keras
    import tensorflow as tf

    if not _PROCESS_CONFIGURED:
        tf.config.experimental.enable_op_determinism()
        # a process that trains several runs traces a new model for each, which is what
        # TensorFlow's "retracing" warning is about: expected here, so not shown
        tf.get_logger().setLevel("ERROR")
        _PROCESS_CONFIGURED = True
    keras.utils.set_random_seed(seed)


def use_threads(threads: int) -> int:
    """Size TensorFlow's thread pools before its runtime starts; return the size in force."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # the runtime already started in this process: its pools stay as they are
        pass
    return tf.config.threading.get_intra_op_parallelism_threads() or (os.cpu_count() or 1)  # 0: one per core


@contextlib.contextmanager
def precision_policy(precision: str):
    """float32, or bfloat16 compute with float32 variables and loss (Keras's mixed_bfloat16): fast where
    the CPU multiplies bfloat16 natively (AVX512_BF16, AMX). The process's policy is restored after."""
    import keras

    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if precision == "bfloat16" else "float32")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def _conv_snapshot(model) -> dict[str, np.ndarray]:
    """Every conv layer's kernel and bias (conv1, conv2, …): what the filter figures and the
    deconvnet's evolution figure read after each epoch."""
    convs = [layer for layer in model.layers if layer.name.startswith("conv")]
    return {f"{layer.name}_{part}": value for layer in convs
            for part, value in zip(("kernel", "bias"), layer.get_weights())}


def _batches(images: np.ndarray, labels: np.ndarray, model_name: str, epochs: list[np.ndarray], batch_size: int):
    """One tf.data stream of every epoch's batches; a batch never spans two epochs.

    The split stays uint8 in memory and each batch is scaled as it is drawn, exactly as to_inputs
    scales (float32 division by 255): no float copy of the whole split per run. Features of another
    dtype are drawn as they are (float32).
    """
    import tensorflow as tf

    scale = 255.0 if images.dtype == np.uint8 else 1.0
    images, labels = tf.constant(images), tf.constant(labels)
    per_epoch = [tf.data.Dataset.from_tensor_slices(rows).batch(batch_size) for rows in epochs]
    stream = per_epoch[0]
    for more in per_epoch[1:]:
        stream = stream.concatenate(more)

    def draw(rows):
        x = tf.cast(tf.gather(images, rows), tf.float32) / scale
        grey_images = scale == 255.0 and model_name != "rnn" and images.shape.rank == 3
        return (x[..., None] if grey_images else x), tf.gather(labels, rows)

    return _without_autotune(stream.map(draw).prefetch(2))


def _without_autotune(dataset):
    """tf.data's autotuning off. With it on, tearing down a finished iterator stalled for 5–30 s
    whenever two runs shared the 2 cores (measured: ~15% of a full RNN section's wall time);
    the stream is a fixed sequence of small batches, so there is nothing to tune."""
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def _test_batches(images: np.ndarray, labels: np.ndarray):
    """Test images as a tf.data pipeline of our own (given NumPy arrays, Keras builds an autotuned one)."""
    import tensorflow as tf

    return _without_autotune(tf.data.Dataset.from_tensor_slices((images, labels)).batch(EVAL_BATCH))


def _epoch_recorder(model_is_lenet: bool, params: dict, curve_images: int, final_test, on_epoch,
                    task: tasks.Task = tasks.Task()):
    """A Keras callback that keeps per-epoch metrics, times and conv snapshots, and stops on divergence.

    fit evaluates every epoch on the curve subset; when final_test (x, y) is given, the last epoch
    is evaluated again on all of it, and its numbers replace the subset's.
    """
    import keras

    samples_per_epoch, last_epoch = params["samples_per_epoch"], params["epochs"]
    steps_per_epoch = -(-samples_per_epoch // params["batch_size"])

    log_every = params.get("log_every_steps")
    batch_size = params["batch_size"]
    metric = task.metric   # the record keeps train_<metric> and test_<metric>: test_accuracy for mkreport's own

    class EpochRecorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.metrics, self.snapshots, self.diverged_epoch = [], [], None
            self.steps, self._window = [], (0, 0.0, 0.0)  # (batches, loss sum, accuracy sum) since the last point

        def on_train_begin(self, logs=None):
            if model_is_lenet:
                self.snapshots.append(_conv_snapshot(self.model))

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()
            self.eval_started = None
            self.epoch_index, self._epoch_sums = epoch, (0, 0.0, 0.0)

        def on_train_batch_end(self, batch, logs=None):
            """Every log_every_steps batches, the mean train loss and accuracy of those batches. Keras
            reports running means over the epoch; the sums they imply give each window's mean exactly."""
            if not log_every:
                return
            count = batch + 1
            loss_sum, accuracy_sum = float(logs["loss"]) * count, float(logs[metric]) * count
            done, previous_loss, previous_accuracy = self._epoch_sums
            windows, window_loss, window_accuracy = self._window
            windows += count - done
            window_loss += loss_sum - previous_loss
            window_accuracy += accuracy_sum - previous_accuracy
            self._epoch_sums = (count, loss_sum, accuracy_sum)
            if windows >= log_every:
                step = self.epoch_index * steps_per_epoch + count
                self.steps.append({"step": step, "samples_seen": min(step * batch_size, (self.epoch_index + 1) * samples_per_epoch),
                                   "train_loss": window_loss / windows, f"train_{metric}": window_accuracy / windows})
                windows, window_loss, window_accuracy = 0, 0.0, 0.0
            self._window = (windows, window_loss, window_accuracy)

        def on_test_begin(self, logs=None):  # fit's evaluation on the test images starts
            self.eval_started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            ended = time.perf_counter()
            eval_started = self.eval_started or ended
            test = {"test_loss": float(logs.get("val_loss", float("nan"))),
                    f"test_{metric}": float(logs.get(f"val_{metric}", float("nan"))),
                    "eval_seconds": ended - eval_started, "test_images": curve_images}
            if epoch + 1 == last_epoch and final_test is not None and not diverges(test["test_loss"], task):
                started = time.perf_counter()
                loss, value = self.model.evaluate(_test_batches(*final_test), verbose=0)
                test = {"test_loss": float(loss), f"test_{metric}": float(value),
                        "eval_seconds": time.perf_counter() - started, "test_images": len(final_test[1])}
            if diverges(float(logs["loss"]), task) or diverges(test["test_loss"], task):
                self.diverged_epoch = epoch + 1
                self.model.stop_training = True
                return
            self.metrics.append({"epoch": epoch + 1, "train_loss": float(logs["loss"]),
                                 f"train_{metric}": float(logs[metric]), **test,
                                 "train_seconds": eval_started - self.started,
                                 "samples_seen": (epoch + 1) * samples_per_epoch})
            if model_is_lenet:
                self.snapshots.append(_conv_snapshot(self.model))
            if on_epoch:
                on_epoch(self.metrics[-1])

    return EpochRecorder()


def train_run(params: dict, seed: int, data: Dataset,
              on_epoch: Callable[[dict], None] | None = None, threads: int = THREADS_PER_RUN,
              code: str | None = None) -> dict:
    """Fit the model params describe; return metrics per epoch, final weights and conv snapshots.

    One keras.Model.fit call over all epochs (so mkreport adds nothing per step to bare Keras),
    evaluating after every epoch on the first curve_test_samples of the fixed test subset, and
    after the last on all test_samples of it. state is "done", or "diverged" with diverged_epoch
    when a loss diverges (see DIVERGENCE_LOSS); the metrics then end with the last epoch before.
    code: the module file of a user's own section, whose function params["model"] builds the model.
    """


    from .kernels import check

    threads_in_force = use_threads(threads)
    kernels = check(params)   # the kernels this process's TensorFlow uses, as the run's key says
    set_determinism(seed)
    with precision_policy(params.get("precision", "float32")):
        return dict(_fit(params, seed, data, on_epoch, threads_in_force, code), cpu_kernels=kernels)


def compiled_model(params: dict, code: str | None = None, scaled: bool = True, targets_shape: tuple = ()):
    """The run's model, checked and compiled: with the optimizer its params name and the loss of its task
    for the head it has (logits, or a softmax's or sigmoid's probabilities: experiments/tasks.py); a model
    its builder compiled keeps its own optimizer and loss. The metric is the task's (accuracy for
    mkreport's own runs). scaled: mkreport scales the inputs (uint8 images) before the model."""
    from .models import build_model, make_optimizer

    task = tasks.of(params)
    model = build_model(params, code)
    check_model(model, params["model"], task, scaled, targets_shape)
    chosen = tasks.compile_args(task, model)
    if getattr(model, "compiled", False) and getattr(model, "optimizer", None) is not None:
        model.compile(optimizer=model.optimizer, loss=model.loss, metrics=chosen["metrics"])
    else:
        model.compile(optimizer=make_optimizer(params["optimizer"], params["learning_rate"],
                                               params.get("momentum", 0.0)), **chosen)
    return model


def check_model(model, name: str, task: tasks.Task = tasks.Task(), scaled: bool = True,
                targets_shape: tuple = ()) -> None:
    """Before training: outputs that fit the task (ten for mkreport's own runs: the labels are 0–9), and no
    Rescaling layer where mkreport already scales the images (uint8 → [0, 1]): each is one line naming the
    model, and the run is not trained."""
    tasks.check_head(task, model, name, targets_shape)
    scaling = [layer.name for layer in _all_layers(model) if type(layer).__name__ == "Rescaling"]
    if scaling and scaled:
        raise ValueError(f"the model {name!r} has a Rescaling layer ({scaling[0]}), but mkreport already scales "
                         "the images to [0, 1] (uint8 divided by 255) before the model: they would be scaled "
                         "twice; remove the layer")


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):   # a nested Sequential or Model
            yield from _all_layers(layer)


def _fit(params: dict, seed: int, data: Dataset, on_epoch, threads_in_force: int, code: str | None) -> dict:
    import tensorflow as tf

    task = tasks.of(params)
    if code is not None:   # a user's data: its labels must fit the run's task (mkreport's own are checked)
        from .own_code import load_module

        load_module(code)   # first: the module must be the one its runs were keyed with
        tasks.check_data(task, data.x_train, data.y_train, data.x_test, data.y_test, data.source)
    model = compiled_model(params, code, scaled=data.x_train.dtype == np.uint8, targets_shape=data.y_train.shape[1:])
    y_train, y_test = to_targets(data.y_train, task), to_targets(data.y_test, task)
    test_rows = fixed_test_subset(data, params["test_samples"])
    curve_rows = fixed_test_subset(data, curve_test_count(params))
    x_curve, y_curve = to_inputs(data.x_test[curve_rows], params["model"]), y_test[curve_rows]
    final_test = None
    if len(curve_rows) < len(test_rows):  # the curve subset is the start of the same fixed order
        final_test = (to_inputs(data.x_test[test_rows], params["model"]), y_test[test_rows])
    stream = SampleStream(len(data.x_train), seed)
    epochs = [stream.take(params["samples_per_epoch"]) for _ in range(params["epochs"])]
    lenet = params["model"] == "lenet5"
    recorder = _epoch_recorder(lenet, params, len(curve_rows), final_test, on_epoch, task)
    model.fit(_batches(data.x_train, y_train, params["model"], epochs, params["batch_size"]), epochs=params["epochs"],
              steps_per_epoch=-(-params["samples_per_epoch"] // params["batch_size"]),
              validation_data=_test_batches(x_curve, y_curve),
              callbacks=[recorder], shuffle=False, verbose=0)

    # what tells a collapse (one class for every image) from a network that is merely untrained:
    # how the final network's predictions on the final test images spread over the classes
    x_final, y_final = final_test if final_test is not None else (x_curve, y_curve)
    predicted = tasks.predicted_classes(task, model.predict(_test_batches(x_final, y_final), verbose=0),
                                        tasks.head_activation(model))
    result = {"state": "diverged" if recorder.diverged_epoch else "done", "metrics": recorder.metrics,
              "prediction_counts": None if predicted is None else
              np.bincount(predicted, minlength=task.classes).astype(int).tolist(),
              "steps": [point for point in recorder.steps if math.isfinite(point["train_loss"])],
              "diverged_epoch": recorder.diverged_epoch, "parameters": int(model.count_params()),
              "threads": threads_in_force, "weights": [np.asarray(w) for w in model.get_weights()],
              "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU"}
    if "task" in params:   # a task of a user's: the chance level its test set gives (most frequent class)
        result["task"] = dict(task.as_params(), chance=tasks.chance(task, y_final),
                              higher_is_better=task.higher_is_better)
    if lenet:
        snapshots = recorder.snapshots
        result["snapshots"] = {name: np.stack([s[name] for s in snapshots]) for name in snapshots[0]}
    return result
