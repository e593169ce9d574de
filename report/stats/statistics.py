"""Seed-to-seed statistics behind every sentence that compares configurations.

Each configuration is trained with several seeds; its final test accuracies are a small sample.
- spread: mean, sample standard deviation (ddof = 1) and a 95 % Student-t confidence interval;
- two configurations differ only when Welch's t-test (two-sided, unequal variances) gives
  p < ALPHA; otherwise they are tied within seed noise. With fewer than two seeds on a side,
  nothing is separated: one seed cannot tell a difference from noise;
- a configuration learned when every seed is above chance by three binomial standard
  deviations of the test set (CHANCE_MARGIN), so one seed at chance is named, not averaged away.
scipy.stats does the t-distribution arithmetic: a kept library beats a hand-written t table.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ALPHA = 0.05
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


@dataclass(frozen=True)
class Comparison:
    verdict: str        # "difference", "tie" or "one seed"
    p_value: float | None
    test: str | None


WELCH = "Welch's t-test, two-sided"


def compare(a, b, alpha: float = ALPHA) -> Comparison:
    """Are two samples of final accuracies separated beyond seed noise?"""
    a, b = np.asarray(list(a), dtype=float), np.asarray(list(b), dtype=float)
    if len(a) < 2 or len(b) < 2:
        return Comparison("one seed", None, None)
    if a.std() == 0 and b.std() == 0:
        # no spread on either side (e.g. both collapsed to exactly chance): the test is undefined;
        # equal values are a tie, unequal ones a difference no seed contradicts
        return Comparison("tie" if a.mean() == b.mean() else "difference", 1.0 if a.mean() == b.mean() else 0.0,
                          WELCH)
    import warnings

    from scipy import stats

    with warnings.catch_warnings():  # nearly equal seeds: scipy warns of precision loss, the p-value stands
        warnings.simplefilter("ignore", RuntimeWarning)
        p = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    return Comparison("difference" if p < alpha else "tie", p, WELCH)


def top_group(samples: dict[str, list[float]], alpha: float = ALPHA) -> tuple[str | None, list[str], dict]:
    """The label with the highest mean, the labels not separated from it (itself first), and the
    comparisons with it. With a single seed anywhere, no ranking: (None, [], {})."""
    samples = {label: list(v) for label, v in samples.items() if len(v)}
    if not samples or any(len(v) < 2 for v in samples.values()):
        return None, [], {}
    top = max(samples, key=lambda label: np.mean(samples[label]))
    comparisons = {label: compare(samples[top], values, alpha) for label, values in samples.items() if label != top}
    tied = [top] + [label for label, c in comparisons.items() if c.verdict == "tie"]
    return top, tied, comparisons


def chance_threshold(test_images: int) -> float:
    """Accuracy above which one run is better than guessing: chance plus three binomial std."""
    return CHANCE + CHANCE_MARGIN * math.sqrt(CHANCE * (1 - CHANCE) / max(1, test_images))
