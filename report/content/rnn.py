"""Section 4: an RNN on MNIST, cell × hidden size."""
from __future__ import annotations

from .. import figures, findings
from ..summary import best, summarize
from .common import accuracy_cell, diverged_notes, seconds

CELL_NAMES = {"rnn": "basic RNN", "lstm": "LSTM", "gru": "GRU"}


def build(ws, sink) -> dict:
    records = ws.run_records("rnn")
    summaries = summarize(records)
    config = ws.config["rnn"]
    top = best(summaries)
    parameters = {r["label"]: r["parameters"] for r in records if r["parameters"]}
    return {
        "curves": sink.add("rnn_curves", figures.learning_curves(
            summaries, x_label="training samples seen", x_scale=config["samples_per_epoch"])),
        "rows": [{"label": s.label, "accuracy": accuracy_cell(s), "status": s.status,
                  "parameters": f"{parameters.get(s.label, 0):,}",
                  "train_time": seconds(s.total_train_seconds())} for s in summaries],
        "best": {"label": top.label, "accuracy": accuracy_cell(top)} if top else None,
        "effects": findings.rnn_cell_effect(summaries, CELL_NAMES),
        "seed_report": findings.rnn_seed_report(summaries, CELL_NAMES),
        "notes": diverged_notes(summaries),
        "seeds": len(config["seeds"]), "epochs": config["epochs"],
        "samples_per_epoch": config["samples_per_epoch"],
        "samples_seen": config["epochs"] * config["samples_per_epoch"],
        "batch_size": config["batch_size"], "learning_rate": f"{config['learning_rate']:g}",
        "test_samples": min(config["test_samples"], len(ws.dataset("mnist").x_test)),
        "curve_test_samples": min(config["curve_test_samples"], config["test_samples"], len(ws.dataset("mnist").x_test)),
        "train_size": len(ws.dataset("mnist").x_train),
        "records": records,
    }
