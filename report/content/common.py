"""Helpers every section's context builder uses: figure output and table cells."""
from __future__ import annotations

import math

from ..findings import fmt_acc
from ..store import DIVERGED, FAILED


class FigureSink:
    """Writes figures under output/figures through the store; the template gets their paths."""

    def __init__(self, store):
        self.store, self.written = store, []

    def add(self, name: str, png: bytes) -> str:
        relative = f"figures/{name}.png"
        self.store.write_output(relative, png)
        self.written.append(relative)
        return relative


def accuracy_cell(summary) -> str:
    """'0.512 ± 0.010 (n=3)', or what happened instead of a number."""
    mean, std, n = summary.final()
    if n == 0:
        return "failed" if summary.status == FAILED else "diverged"
    text = f"{fmt_acc(mean, std, n)} (n={n})"
    notes = []
    if summary.diverged:
        notes.append(f"{len(summary.diverged)} diverged")
    if summary.failed:
        notes.append(f"{len(summary.failed)} failed")
    return text + (" — " + ", ".join(notes) if notes else "")


def seconds(value: float) -> str:
    return f"{value:.1f} s" if math.isfinite(value) else "n/a"


def diverged_notes(summaries) -> list[str]:
    notes = []
    for summary in summaries:
        for record in summary.records:
            if record["state"] == DIVERGED:
                notes.append(f"{summary.label}, seed {record['seed']}: diverged at epoch {record['diverged_epoch']}")
            elif record["state"] == FAILED:
                notes.append(f"{summary.label}, seed {record['seed']}: failed — {record['error']}")
    return notes
