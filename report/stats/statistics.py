"""Seed-to-seed statistics behind every sentence that compares configurations.

Each configuration is trained with several seeds; its final test accuracies are a small sample.
- spread: mean, sample standard deviation (ddof = 1) and a 95 % Student-t confidence interval;
- comparisons of configurations are made in families (report/stats/families.py);
- a configuration learned when every seed is above chance by three binomial standard
  deviations of the test set (CHANCE_MARGIN), so one seed at chance is named, not averaged away.
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


def chance_threshold(test_images: int) -> float:
    """Accuracy above which one run is better than guessing: chance plus three binomial std."""
    return CHANCE + CHANCE_MARGIN * math.sqrt(CHANCE * (1 - CHANCE) / max(1, test_images))
