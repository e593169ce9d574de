"""Comparisons that answer one question each, with their error controlled as a family.

A family is every comparison behind one sentence: a grid's ranking, one optimizer's learning rates,
the cells at one hidden size, LeNet5 against the RNN grid. Within it:

- the seed variance is pooled over the family's configurations (same model family and budget), which
  gives the t-test the degrees of freedom of the whole grid instead of ≈1–4 per pair; a configuration
  whose seeds did not vary (it collapsed, or one seed) adds none. When a Brown-Forsythe (Levene) test
  says the spreads differ, each pair falls back to Welch's test;
- "could be the best" is Hsu's multiple comparisons with the best with Bonferroni-adjusted one-sided
  t quantiles over the family's k − 1 comparisons: a configuration is set aside only when another is
  above it beyond seed noise, and a single best is named only when every other one is set aside. The
  simultaneous guarantee holds for the configuration picked by its sample mean (no winner's curse);
- a pair is *better* (adjusted test separates it), *equivalent within ±margin* (two one-sided tests at
  the adjusted α put the whole difference inside the margin) or *not resolved*, with the difference
  the data could have detected (80 % power at the adjusted α) said in numbers.

`python -m benchmarks --statistics` simulates grids through these functions and prints the
family-wise false-claim rate and the power of this procedure and of the ones it replaced.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

ALPHA = 0.05
POWER = 0.80
# Equivalence margin: one accuracy point. About two binomial standard errors of a 10,000-image test
# set at 90 % accuracy (2 × 0.003), half of one for 1,000 images at 50 % (0.016): a difference below
# it is within what re-drawing the test set moves, and below what a report would rank on.
MARGIN = 0.01
# A pair whose own seeds vary more than the family's pooled spread at this F-test level uses Welch's test.
# Looser than ALPHA on purpose: with 2–3 seeds a real difference in spread is rarely significant, and
# judging a noisy pair by its quieter neighbours is what lets false claims through (the benchmark's
# unequal-variance scenario).
FLAG = 0.25


@dataclass(frozen=True)
class Pooled:
    """The seed variance pooled over a family, or None where each pair uses Welch's test."""

    variance: float
    df: int

    @property
    def name(self) -> str:
        return f"t-test with the seed variance pooled over the family (df = {self.df})"


WELCH = "Welch's t-test"


def pooled_variance(samples: dict[str, list[float]]) -> Pooled | None:
    """The family's pooled seed variance, or None (Welch per pair) when fewer than two groups have
    spread, the pooled variance is zero, or the spreads differ (Brown-Forsythe p < ALPHA)."""
    groups = [np.asarray(v, float) for v in samples.values() if len(v) >= 2 and np.std(v) > 0]
    if len(groups) < 2:
        return None
    df = sum(len(g) - 1 for g in groups)
    variance = sum(((g - g.mean()) ** 2).sum() for g in groups) / df
    if variance <= 0:
        return None
    if sum(len(g) for g in groups) > len(groups) * 2:  # Brown-Forsythe needs more than 2 values a group
        from scipy import stats

        if stats.levene(*groups, center="median").pvalue < ALPHA:
            return None
    return Pooled(float(variance), df)


def _se_df(a: np.ndarray, b: np.ndarray, pooled: Pooled | None) -> tuple[float, float]:
    """Standard error of mean(a) − mean(b), and its degrees of freedom."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if pooled is not None:
        own_df = len(a) + len(b) - 2
        own = (a.var(ddof=1) * (len(a) - 1) + b.var(ddof=1) * (len(b) - 1)) / own_df
        from scipy import stats

        # the pooled error holds unless the pair's own seeds vary beyond what the family's spread allows
        # (an F test at FLAG): then its own error, Welch's, so a noisy pair is not judged by quieter ones
        if own <= pooled.variance * stats.f.ppf(1 - FLAG, own_df, pooled.df):
            return math.sqrt(pooled.variance * (1 / len(a) + 1 / len(b))), float(pooled.df)
    se = math.sqrt(va + vb)
    if se < 1e-12:  # identical seeds (up to rounding in the mean): no spread to test against
        return 0.0, math.nan
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))  # Welch–Satterthwaite
    return se, df


@dataclass(frozen=True)
class PairVerdict:
    """One comparison of a family: a (the first) against b."""

    a: str
    b: str
    difference: float            # mean(a) − mean(b)
    verdict: str                 # "better" (a above b), "worse", "equivalent", "not resolved", "zero spread", "one seed"
    test: str | None = None
    df: float | None = None
    p_value: float | None = None     # two-sided, raw
    p_adjusted: float | None = None  # Bonferroni over the family's size
    detectable: float | None = None  # the smallest difference detected with 80 % power at the adjusted α
    se: float | None = None          # standard error of the difference


def compare_pair(a, b, family_size: int, pooled: Pooled | None = None, labels=("a", "b"),
                 alpha: float = ALPHA, margin: float = MARGIN) -> PairVerdict:
    """a against b inside a family of family_size comparisons: better / equivalent / not resolved."""
    from scipy import stats

    a, b = np.asarray(list(a), float), np.asarray(list(b), float)
    difference = float(a.mean() - b.mean()) if len(a) and len(b) else math.nan
    if len(a) < 2 or len(b) < 2:
        return PairVerdict(*labels, difference, "one seed")
    se, df = _se_df(a, b, pooled)
    if se == 0:  # no seed varied on either side: nothing to test, no p-value to invent
        return PairVerdict(*labels, difference, "zero spread")
    test = pooled.name if pooled is not None else WELCH
    level = alpha / max(1, family_size)
    t = difference / se
    p = float(2 * stats.t.sf(abs(t), df))
    adjusted = min(1.0, p * max(1, family_size))
    detectable = float((stats.t.ppf(1 - level / 2, df) + stats.t.ppf(POWER, df)) * se)
    if adjusted < alpha:
        verdict = "better" if difference > 0 else "worse"
    else:
        # two one-sided tests: is the whole difference inside ±margin at the adjusted level?
        upper = stats.t.ppf(1 - level, df) * se
        verdict = "equivalent" if difference - upper > -margin and difference + upper < margin else "not resolved"
    return PairVerdict(*labels, difference, verdict, test, df, p, adjusted, detectable, se)


@dataclass
class BestSet:
    """Which configurations of a family could be the best: every pair compared, Holm-adjusted."""

    candidates: list[str]                      # could be the best, highest mean first
    set_aside: dict[str, str]                  # label → why it is not ranked (one seed, no finished run)
    below: dict[str, PairVerdict] = field(default_factory=dict)  # label → the comparison that sets it below
    test: str | None = None
    df: float | None = None
    size: int = 0                              # comparisons in the family: every pair
    detectable: float | None = None            # the median over pairs of the difference detectable at 80 % power

    @property
    def best(self) -> str | None:
        return self.candidates[0] if len(self.candidates) == 1 and self.size else None


def holm(p_values: dict) -> dict:
    """Holm's step-down adjustment: controls the family-wise error at α for any dependence."""
    ordered = sorted(p_values, key=p_values.get)
    adjusted, running = {}, 0.0
    for rank, key in enumerate(ordered):
        running = max(running, min(1.0, p_values[key] * (len(ordered) - rank)))
        adjusted[key] = running
    return adjusted


def best_set(samples: dict[str, list[float]], alpha: float = ALPHA) -> BestSet:
    """Which configurations could be the best. Every pair is tested (pooled variance where the
    spreads allow, else Welch) and the p-values Holm-adjusted over all pairs; a configuration is
    set aside only when another is above it beyond seed noise, and a single best is named only when
    every other is set aside. Under a grid of equal configurations, the chance of setting any one
    aside is at most α. A configuration with fewer than two seeds is set aside by name, unranked."""
    set_aside = {label: ("one seed" if len(v) == 1 else "no finished run") for label, v in samples.items() if len(v) < 2}
    ranked = {label: list(v) for label, v in samples.items() if len(v) >= 2}
    order = sorted(ranked, key=lambda label: -float(np.mean(ranked[label])))
    if len(order) < 2:
        return BestSet(order, set_aside)
    pooled = pooled_variance(ranked)
    pairs = [(high, low) for i, high in enumerate(order) for low in order[i + 1:]]
    verdicts = {pair: compare_pair(ranked[pair[0]], ranked[pair[1]], len(pairs), pooled, pair, alpha)
                for pair in pairs}
    tested = {pair: v.p_value for pair, v in verdicts.items() if v.p_value is not None}
    adjusted = holm(tested)
    below = {}
    for pair, v in verdicts.items():
        if pair in adjusted:
            verdicts[pair] = v = replace(v, p_adjusted=adjusted[pair])
            if adjusted[pair] < alpha and v.difference > 0 and pair[1] not in below:
                below[pair[1]] = v
    candidates = [label for label in order if label not in below]
    found = [v for v in verdicts.values() if v.test]
    # what a typical pair of the family could have detected (a Welch pair of two seeds could detect little)
    detectable = float(np.median([v.detectable for v in found])) if found else None
    return BestSet(candidates, set_aside, below, found[0].test if found else None,
                   found[0].df if found else None, len(pairs), detectable)
