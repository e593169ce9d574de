"""What a run learns: its task (classification over N classes, binary classification, regression), the
loss that trains it and the metric that decides between configurations.

A run's params may hold `task` (made by report.sections.kit.task); without it a run is mkreport's own kind:
ten classes, accuracy. The task is part of the params, so of the run's key.

- classification: integer labels 0…N−1, every class in the training split; a head of N logits or a
  softmax over N; the metric accuracy. Chance is the share of the test set's most frequent class (what
  always guessing that class scores), not 1/N.
- binary: labels 0/1; one output (a logit, or a sigmoid's probability) or two (as classification over 2);
  the metric accuracy (or auc).
- regression: float targets of any shape; outputs of the targets' shape; the loss mse (or mae), the metric
  mae (or mse), lower is better; no chance level.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("classification", "binary", "regression")
METRICS = {"accuracy": True, "auc": True, "mae": False, "mse": False}   # metric → higher is better
METRIC_WORDS = {"accuracy": "accuracy", "auc": "AUC", "mae": "mean absolute error", "mse": "mean squared error"}
DEFAULT_CLASSES = 10


class TaskError(ValueError):
    """A task, model or dataset that do not fit together: one line naming what does not fit."""


@dataclass(frozen=True)
class Task:
    kind: str = "classification"
    classes: int = DEFAULT_CLASSES       # classification: N; binary: 2; regression: 0
    metric: str = "accuracy"
    loss: str | None = None              # regression: "mse" (default) or "mae"

    @property
    def higher_is_better(self) -> bool:
        return METRICS[self.metric]

    @property
    def classifies(self) -> bool:
        return self.kind != "regression"

    def as_params(self) -> dict:
        return {"kind": self.kind, "classes": self.classes, "metric": self.metric,
                **({"loss": self.loss} if self.loss else {})}


def make(kind: str, classes: int | None = None, metric: str | None = None, loss: str | None = None) -> Task:
    """A task from its words, checked: TaskError names what is wrong."""
    if kind not in KINDS:
        raise TaskError(f"task {kind!r}: it must be one of {', '.join(KINDS)}")
    if kind == "classification":
        if not isinstance(classes, int) or isinstance(classes, bool) or not 2 <= classes <= 100_000:
            raise TaskError(f"a classification task needs classes = a whole number from 2 (found {classes!r})")
    elif classes not in (None, 2 if kind == "binary" else 0):
        raise TaskError(f"a {kind} task takes no classes (found {classes!r})")
    allowed = {"classification": ("accuracy",), "binary": ("accuracy", "auc"), "regression": ("mae", "mse")}[kind]
    metric = metric or allowed[0]
    if metric not in allowed:
        raise TaskError(f"metric {metric!r} for a {kind} task: it must be one of {', '.join(allowed)}")
    if loss is not None and (kind != "regression" or loss not in ("mse", "mae")):
        raise TaskError(f"loss {loss!r}: only a regression task chooses its loss (mse or mae)")
    return Task(kind, {"classification": classes, "binary": 2, "regression": 0}[kind], metric,
                "mse" if kind == "regression" and loss is None else loss)


def of(params: dict) -> Task:
    """The run's task: params["task"] (a dict as Task.as_params gives), else ten classes and accuracy."""
    given = params.get("task")
    if given is None:
        return Task()
    if not isinstance(given, dict) or "kind" not in given:
        raise TaskError(f"task = {given!r}: make it with kit.task(…)")
    return make(given["kind"], given.get("classes") or None, given.get("metric"), given.get("loss"))


def metric_key(metrics: dict) -> str:
    """The metric a run's epoch record holds (test_accuracy for mkreport's own runs)."""
    return next((name for name in METRICS if f"test_{name}" in metrics), "accuracy")


def check_data(task: Task, x_train, y_train, x_test, y_test, source: str) -> None:
    """The labels fit the task: classes 0…N−1 with each in the training split; 0/1; finite floats."""
    for split, labels in (("train", y_train), ("test", y_test)):
        labels = np.asarray(labels)
        if task.classifies:
            if labels.ndim != 1 or not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool):
                raise TaskError(f"{source}: the {split} labels of a {task.kind} task must be a 1-D array of "
                                f"integers, found {labels.dtype} {labels.shape}")
            if labels.size and (labels.min() < 0 or labels.max() >= task.classes):
                raise TaskError(f"{source}: {split} labels out of range (found {labels.min()}…{labels.max()}, "
                                f"expected 0–{task.classes - 1} for {task.classes} classes)")
        elif not np.issubdtype(labels.dtype, np.number) or not np.all(np.isfinite(labels)):
            raise TaskError(f"{source}: the {split} targets of a regression task must be finite numbers, found "
                            f"{labels.dtype}")
    if task.classifies:
        absent = sorted(set(range(task.classes)) - set(np.unique(np.asarray(y_train)).tolist()))
        if absent:
            raise TaskError(f"{source}: the train split has no example of class {', '.join(map(str, absent[:10]))}"
                            f"{' …' if len(absent) > 10 else ''}; all {task.classes} classes of the task are needed")


def chance(task: Task, labels) -> float | None:
    """What always guessing the most frequent class scores on these labels (None: not a classification
    scored by accuracy)."""
    labels = np.asarray(labels)
    if not task.classifies or task.metric != "accuracy" or not labels.size:
        return None
    return float(np.bincount(labels.astype(np.int64), minlength=task.classes).max() / labels.size)


def outputs_of(task: Task, targets_shape: tuple) -> tuple[int, ...]:
    """The output widths a model of this task may end in."""
    if task.kind == "classification":
        return (task.classes,)
    if task.kind == "binary":
        return (1, 2)
    return (int(np.prod(targets_shape)) if targets_shape else 1,)


def check_head(task: Task, model, name: str, targets_shape: tuple = ()) -> None:
    """The model's output fits the task (one line naming the model otherwise)."""
    shape = model.output_shape if isinstance(model.output_shape, tuple) else None
    width = shape[-1] if shape and len(shape) >= 2 else None
    if task.kind == "regression":
        wanted = tuple(targets_shape) or (1,)
        if shape is None or tuple(shape[1:]) not in (wanted, tuple(targets_shape)):
            raise TaskError(f"the model {name!r} gives outputs of shape {shape}; the regression targets have "
                            f"shape {tuple(targets_shape) or '(one number)'} per example: it must end in "
                            f"{wanted[0] if len(wanted) == 1 else wanted} outputs")
        return
    if task.kind == "binary" and task.metric == "auc" and width != 1:
        raise TaskError(f"the model {name!r} gives {width} outputs per example; a binary task scored by AUC "
                        "needs one output (a logit, or a sigmoid's probability)")
    if width not in outputs_of(task, targets_shape):
        need = (f"{task.classes} logits (or a softmax over {task.classes})" if task.kind == "classification"
                else "one output (a logit, or a sigmoid's probability) or two logits")
        unit = "image" if task == Task() else "example"
        raise TaskError(f"the model {name!r} gives {width} outputs per {unit} (its output shape {shape}); "
                        f"the labels are 0–{task.classes - 1}: it must end in {need}")


def head_activation(model) -> str:
    """The activation that ends the model ("softmax", "sigmoid", … ; "" for logits)."""
    last = model.layers[-1] if model.layers else None
    if type(last).__name__ == "Softmax":
        return "softmax"
    return getattr(getattr(last, "activation", None), "__name__", "")


def compile_args(task: Task, model) -> dict:
    """The loss and metric mkreport compiles a model of this task with: the loss takes what the head
    gives (logits, or a softmax's or sigmoid's probabilities), the metric is named as the record keeps it."""
    import keras

    activation = head_activation(model)
    if task.kind == "regression":
        loss = keras.losses.MeanAbsoluteError() if task.loss == "mae" else keras.losses.MeanSquaredError()
        metric = keras.metrics.MeanAbsoluteError(name="mae") if task.metric == "mae" else \
            keras.metrics.MeanSquaredError(name="mse")
        return {"loss": loss, "metrics": [metric]}
    if task.kind == "binary" and model.output_shape[-1] == 1:
        probabilities = activation == "sigmoid"
        loss = keras.losses.BinaryCrossentropy(from_logits=not probabilities)
        metric = keras.metrics.AUC(name="auc", from_logits=not probabilities) if task.metric == "auc" else \
            keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.5 if probabilities else 0.0)
        return {"loss": loss, "metrics": [metric]}
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=activation != "softmax")
    return {"loss": loss, "metrics": ["accuracy"]}


def predicted_classes(task: Task, outputs: np.ndarray, activation: str = "") -> np.ndarray | None:
    """Each example's predicted class (None for regression): what tells a collapse from an untrained net."""
    if not task.classifies:
        return None
    if outputs.ndim == 2 and outputs.shape[1] == 1:   # one output: a sigmoid's probability, or a logit
        return (outputs[:, 0] > (0.5 if activation == "sigmoid" else 0.0)).astype(np.int64)
    return np.argmax(outputs, axis=1)
