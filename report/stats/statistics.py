"""Seed-to-seed statistics behind every sentence that compares configurations.

Each configuration is trained with several seeds; its final test accuracies are a small sample.
- spread: mean, sample standard deviation (ddof = 1) and a 95 % Student-t confidence interval;
- comparisons of configurations are made in families (report/stats/families.py);
- a seed learned when it is above chance by three binomial standard deviations of the test set
  (CHANCE_MARGIN); a seed that did not is a different event from seed noise, counted apart
  (learned_values): "learned in k of n seeds" with its interval, accuracy over the seeds that learned.
scipy.stats does the t-distribution arithmetic: a kept library beats a hand-written t table.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95
CHANCE = 0.10          # ten balanced classes
CHANCE_MARGIN = 3      # binomial standard deviations above chance that count as "learned"


@dataclass(frozen=True)
class Spread:
    mean: float
    std: float          # sample standard deviation (ddof = 1); nan with one value
    low: float          # 95 % confidence interval of the mean; nan with one value
    high: float
    n: int


def spread(values) -> Spread:
    values = np.asarray(list(values), dtype=float)
    n = len(values)
    if n == 0:
        return Spread(math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(values.mean())
    if n == 1:
        return Spread(mean, math.nan, math.nan, math.nan, 1)
    from scipy import stats

    std = float(values.std(ddof=1))
    if std == 0:
        return Spread(mean, 0.0, mean, mean, n)
    low, high = stats.t.interval(CONFIDENCE, n - 1, loc=mean, scale=std / math.sqrt(n))
    return Spread(mean, std, float(low), float(high), n)


def chance_threshold(test_images: int, chance: float = CHANCE) -> float:
    """Accuracy above which one run is better than guessing: chance plus three binomial std."""
    return chance + CHANCE_MARGIN * math.sqrt(chance * (1 - chance) / max(1, test_images))


def learned_values(samples: dict, threshold: float | None, higher_is_better: bool = True):
    """Split each configuration's seeds into those that learned (above threshold) and those that did
    not. Returns (kept: label → the learned values, of the same form as given — a list or a dict seed →
    value —, learned: label → (seeds that learned, seeds), unranked: label → "never learned" for a
    configuration none of whose seeds learned). threshold None (or lower is better): every seed counts."""
    kept, learned, unranked = {}, {}, {}
    for label, sample in samples.items():
        items = list(sample.items()) if isinstance(sample, dict) else list(enumerate(sample))
        good = [(seed, v) for seed, v in items if threshold is None or not higher_is_better or v > threshold]
        learned[label] = (len(good), len(items))
        if items and not good:
            unranked[label] = "never learned"
            continue
        kept[label] = dict(good) if isinstance(sample, dict) else [v for _, v in good]
    return kept, learned, unranked


def share_interval(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Clopper–Pearson interval of the share of seeds that learn, from k of n."""
    from scipy import stats

    interval = stats.binomtest(k, n).proportion_ci(confidence, method="exact")
    return float(interval.low), float(interval.high)
