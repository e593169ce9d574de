"""Section 5: CNN versus RNN on the same MNIST data and budget."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import figures, findings
from ..errors import MkreportError
from ..summary import ConfigSummary, best, summarize
from .common import accuracy_cell, seconds


def _row(name: str, summary: ConfigSummary, thresholds) -> dict:
    finished = summary.finished
    parameters = finished[0]["parameters"] if finished else 0
    epoch_seconds = float(np.mean([e["train_seconds"] for r in finished for e in r["metrics"]])) if finished else float("nan")
    # the last epoch's evaluation (all test images), already traced: batched inference
    inference_ms = (float(np.mean([r["metrics"][-1]["eval_seconds"] / r["metrics"][-1]["test_images"]
                                   for r in finished])) * 1000 if finished else float("nan"))
    reach = {}
    for threshold in thresholds:
        hit = summary.first_reaching(threshold)
        reach[f"{threshold:g}"] = f"{hit[1]:,} (epoch {hit[0]})" if hit else "not reached"
    return {"name": name, "accuracy": accuracy_cell(summary), "parameters": f"{parameters:,}",
            "epoch_seconds": seconds(epoch_seconds), "total_seconds": seconds(summary.total_train_seconds()),
            "inference_ms": f"{inference_ms:.3f} ms", "reach": reach,
            "parameters_raw": parameters, "epoch_seconds_raw": epoch_seconds, "inference_ms_raw": inference_ms}


def build(ws, sink) -> dict:
    config = ws.config
    cnn_records = ws.run_records("compare")
    rnn_records = ws.run_records("rnn")
    cnn = summarize(cnn_records)[0]
    rnn = best(summarize(rnn_records))
    if rnn is None:
        raise MkreportError("no RNN configuration finished; the comparison needs one (`mkreport rnn`)")
    thresholds = config["compare"]["accuracy_thresholds"]
    cnn_row = _row("LeNet5 (CNN)", cnn, thresholds)
    rnn_row = _row(f"{rnn.label} (best RNN)", rnn, thresholds)
    cifar = None
    try:
        cifar_best = best(summarize(ws.run_records("cnn")))
        if cifar_best:
            cifar = {"label": cifar_best.label, "accuracy": accuracy_cell(cifar_best)}
    except MkreportError:
        cifar = None  # the CIFAR10 section is not built: the table says so
    return {
        "curves": sink.add("compare_curves", figures.learning_curves(
            [replace(cnn, label="LeNet5 (CNN)"), replace(rnn, label=f"{rnn.label} (best RNN)")], metrics=("test_accuracy", "train_loss"), x_label="training samples seen",
            x_scale=config["rnn"]["samples_per_epoch"])),
        "rows": [cnn_row, rnn_row], "thresholds": [f"{t:g}" for t in thresholds],
        "cifar": cifar, "findings": findings.cnn_versus_rnn(cnn, rnn, cnn_row, rnn_row),
        "samples_seen": config["rnn"]["epochs"] * config["rnn"]["samples_per_epoch"],
        "seeds": len(config["rnn"]["seeds"]),
        "records": cnn_records,
    }
