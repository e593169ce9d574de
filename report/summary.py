"""Pure functions from stored run records to the numbers the report shows (mean, std, best)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .store import DIVERGED, DONE, FAILED

METRICS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "train_seconds")


@dataclass
class ConfigSummary:
    """All seeds of one configuration."""

    label: str
    params: dict
    seeds: list[int] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)

    @property
    def finished(self) -> list[dict]:
        return [r for r in self.records if r["state"] == DONE]

    @property
    def diverged(self) -> list[dict]:
        return [r for r in self.records if r["state"] == DIVERGED]

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.records if r["state"] == FAILED]

    @property
    def status(self) -> str:
        """done when every seed finished; else the worst thing that happened to a seed."""
        if self.failed:
            return FAILED
        if self.diverged:
            return DIVERGED
        return DONE

    def curve(self, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(epochs, mean, std) over the seeds that finished, up to the shortest of them."""
        runs = [r["metrics"] for r in self.finished if r["metrics"]]
        if not runs:
            return np.empty(0), np.empty(0), np.empty(0)
        length = min(len(m) for m in runs)
        values = np.array([[epoch[metric] for epoch in m[:length]] for m in runs])
        epochs = np.array([epoch["epoch"] for epoch in runs[0][:length]])
        return epochs, values.mean(axis=0), values.std(axis=0)

    def final(self, metric: str = "test_accuracy") -> tuple[float, float, int]:
        """(mean, std, n) of the last epoch's value over seeds that finished; nan, nan, 0 if none."""
        values = [r["metrics"][-1][metric] for r in self.finished if r["metrics"]]
        if not values:
            return math.nan, math.nan, 0
        return float(np.mean(values)), float(np.std(values)), len(values)

    def total_train_seconds(self) -> float:
        """Mean over finished seeds of the time spent in training steps."""
        totals = [sum(e["train_seconds"] for e in r["metrics"]) for r in self.finished]
        return float(np.mean(totals)) if totals else math.nan

    def first_reaching(self, threshold: float, metric: str = "test_accuracy"):
        """Mean (epoch, samples seen) at which the mean curve first reaches threshold; None if never."""
        epochs, mean, _ = self.curve(metric)
        hits = np.nonzero(mean >= threshold)[0]
        if not len(hits):
            return None
        epoch = int(epochs[hits[0]])
        return epoch, epoch * self.params["samples_per_epoch"]


def summarize(records: list[dict]) -> list[ConfigSummary]:
    """Group run records by configuration, keeping the order in which they are given."""
    groups: dict[str, ConfigSummary] = {}
    for record in records:
        group = groups.setdefault(record["label"], ConfigSummary(record["label"], record["params"]))
        group.seeds.append(record["seed"])
        group.states.append(record["state"])
        group.records.append(record)
    return list(groups.values())


def best(summaries: list[ConfigSummary]) -> ConfigSummary | None:
    """The configuration with the highest mean final test accuracy over its finished seeds."""
    ranked = [s for s in summaries if s.finished]
    return max(ranked, key=lambda s: s.final()[0]) if ranked else None


def best_seed_record(summary: ConfigSummary) -> dict:
    return max(summary.finished, key=lambda r: r["metrics"][-1]["test_accuracy"])
