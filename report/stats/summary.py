"""Pure functions from stored run records to the numbers the report shows (mean, std, best).

Words used throughout: a *run* is one configuration trained with one seed; a *configuration*
groups the runs that differ only in their seed. A run is *done* when it trained to the end,
*diverged* when its loss stopped being finite; both are *finished* (store.FINISHED: never
retrained), while only done runs count in means and rankings.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .statistics import Spread, spread
from .states import DIVERGED, DONE, FAILED


@dataclass
class ConfigSummary:
    """All seeds of one configuration."""

    label: str
    params: dict
    records: list[dict] = field(default_factory=list)

    @property
    def done(self) -> list[dict]:
        return [r for r in self.records if r["state"] == DONE]

    @property
    def diverged(self) -> list[dict]:
        return [r for r in self.records if r["state"] == DIVERGED]

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.records if r["state"] == FAILED]

    @property
    def status(self) -> str:
        """done when every seed is done; else the worst thing that happened to a seed."""
        if self.failed:
            return FAILED
        if self.diverged:
            return DIVERGED
        return DONE

    def curve(self, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(epochs, mean, std) over the seeds that are done, up to the shortest of them."""
        runs = [r["metrics"] for r in self.done if r["metrics"]]
        if not runs:
            return np.empty(0), np.empty(0), np.empty(0)
        length = min(len(m) for m in runs)
        values = np.array([[epoch[metric] for epoch in m[:length]] for m in runs])
        epochs = np.array([epoch["epoch"] for epoch in runs[0][:length]])
        std = values.std(axis=0, ddof=1) if len(runs) > 1 else np.zeros(length)
        return epochs, values.mean(axis=0), std

    def step_curve(self, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(samples seen, mean, std) of the per-step train points (every log_every_steps batches) over
        the seeds that are done, up to the shortest; empty when the runs recorded none."""
        runs = [r.get("steps") or [] for r in self.done]
        if not runs or not all(runs):
            return np.empty(0), np.empty(0), np.empty(0)
        length = min(len(steps) for steps in runs)
        values = np.array([[point[metric] for point in steps[:length]] for steps in runs])
        seen = np.array([point["samples_seen"] for point in runs[0][:length]], dtype=float)
        std = values.std(axis=0, ddof=1) if len(runs) > 1 else np.zeros(length)
        return seen, values.mean(axis=0), std

    def final_values(self, metric: str = "test_accuracy") -> list[float]:
        """The last epoch's value of every seed that is done, in seed order."""
        return [r["metrics"][-1][metric] for r in self.done if r["metrics"]]

    def final_by_seed(self, metric: str = "test_accuracy") -> dict[int, float]:
        """seed → the last epoch's value, for every seed that is done (the statistics block by seed)."""
        return {r["seed"]: r["metrics"][-1][metric] for r in self.done if r["metrics"]}

    def spread(self, metric: str = "test_accuracy") -> Spread:
        return spread(self.final_values(metric))

    def final(self, metric: str = "test_accuracy") -> tuple[float, float, int]:
        """(mean, sample std, n) of the last epoch's value over seeds that are done; nan, nan, 0 if none."""
        s = self.spread(metric)
        return s.mean, s.std, s.n

    def total_train_seconds(self) -> float:
        """Mean over done seeds of the time spent in training steps."""
        totals = [sum(e["train_seconds"] for e in r["metrics"]) for r in self.done]
        return float(np.mean(totals)) if totals else math.nan

    def first_reaching(self, threshold: float, metric: str = "test_accuracy"):
        """Mean (epoch, samples seen) at which the mean curve first reaches threshold; None if never."""
        epochs, mean, _ = self.curve(metric)
        hits = np.nonzero(mean >= threshold)[0]
        if not len(hits):
            return None
        epoch = int(epochs[hits[0]])
        return epoch, epoch * self.params["samples_per_epoch"]


def by_config(records: list[dict]) -> list[ConfigSummary]:
    """Group run records by configuration, keeping the order in which they are given."""
    groups: dict[str, ConfigSummary] = {}
    for record in records:
        groups.setdefault(record["label"], ConfigSummary(record["label"], record["params"])).records.append(record)
    return list(groups.values())


def best(summaries: list[ConfigSummary]) -> ConfigSummary | None:
    """The configuration with the highest mean final test accuracy over its done seeds."""
    ranked = [s for s in summaries if s.done]
    return max(ranked, key=lambda s: s.final()[0]) if ranked else None


def best_seed_record(summary: ConfigSummary) -> dict:
    return max(summary.done, key=lambda r: r["metrics"][-1]["test_accuracy"])


class SeedCount(int):
    """The configured seeds per configuration; `most`: with the seeds --resolve added to some."""

    most: int

    def __new__(cls, configured: int, most: int):
        count = super().__new__(cls, configured)
        count.most = most
        return count


def seed_count(records: list[dict]) -> SeedCount:
    from .sequential import is_round_seed

    configured = len({r["seed"] for r in records if not is_round_seed(r["seed"])})
    per_config = {}
    for r in records:
        per_config[r["label"]] = per_config.get(r["label"], 0) + 1
    return SeedCount(configured, max(per_config.values(), default=configured))


def images_tested(records: list[dict], last: bool = True) -> int:
    """Test images behind a run's last point (last=True) or its earlier curve points."""
    for record in records:
        metrics = record["metrics"]
        if metrics:
            return metrics[-1 if last or len(metrics) == 1 else 0]["test_images"]
    params = records[0]["params"]
    return params["test_samples"] if last else min(params["test_samples"], params["curve_test_samples"])


def value_columns(metric: str = "test_accuracy") -> list[str]:
    """The columns of accuracy_columns for a metric."""
    return ["seeds_done", f"{metric}_mean", f"{metric}_std", "ci95_low", "ci95_high"]


ACCURACY_COLUMNS = value_columns()


def accuracy_columns(summary: ConfigSummary, metric: str = "test_accuracy") -> list:
    """The numbers behind a table's accuracy (or metric) cell: n, mean, sample std, 95 % interval (nan where undefined)."""
    s = summary.spread(metric)
    return [s.n, s.mean, s.std, s.low, s.high]
