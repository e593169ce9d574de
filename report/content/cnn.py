"""Section 1: LeNet5 on CIFAR10, optimizer × learning rate."""
from __future__ import annotations

import numpy as np

from .. import figures, findings
from ..summary import best, summarize
from .common import accuracy_cell, diverged_notes


def build(ws, sink) -> dict:
    records = ws.run_records("cnn")
    summaries = summarize(records)
    config = ws.config["cnn"]
    test_images = min(config["test_samples"], len(ws.dataset("cifar10").x_test))
    threshold = findings.learned_threshold(test_images)
    optimizers, rates = config["optimizers"], config["learning_rates"]
    by_params = {(s.params["optimizer"], s.params["learning_rate"]): s for s in summaries}
    table = np.full((len(optimizers), len(rates)), np.nan)
    cells = np.empty(table.shape, dtype=object)
    for i, optimizer in enumerate(optimizers):
        for j, rate in enumerate(rates):
            summary = by_params[(optimizer, rate)]
            table[i, j] = summary.final()[0]
            mean, std, n = summary.final()
            cells[i, j] = findings.fmt_acc(mean, std, n) if n else summary.status
    top = best(summaries)
    return {
        "curves": sink.add("cnn_curves", figures.learning_curves(summaries)),
        "heatmap": sink.add("cnn_heatmap", figures.accuracy_heatmap(
            table, optimizers, [f"lr={r:g}" for r in rates], cells,
            "final test accuracy (mean over seeds)")),
        "rows": [{"label": s.label, "accuracy": accuracy_cell(s),
                  "train_accuracy": findings.fmt_acc(*s.final("train_accuracy")),
                  "status": s.status} for s in summaries],
        "best": {"label": top.label, "accuracy": accuracy_cell(top)} if top else None,
        "outcomes": findings.grid_outcomes(summaries, threshold),
        "rate_effect": findings.rate_effect(summaries, "optimizer", "learning_rate",
                                            lambda name: {"sgd": "Plain gradient descent", "adam": "Adam",
                                                          "adagrad": "Adagrad"}[name]),
        "seed_report": findings.compare_with_seed_report(summaries, threshold),
        "notes": diverged_notes(summaries),
        "seeds": len(config["seeds"]), "epochs": config["epochs"],
        "samples_per_epoch": config["samples_per_epoch"], "test_samples": test_images,
        "batch_size": config["batch_size"], "threshold": f"{threshold:.3f}",
        "records": records,
    }
