"""The seed noise of one family of configurations, and the pairwise comparisons a sentence prints.

A *family* is every comparison behind one sentence: a grid's "which is best" (report/stats/best.py),
the cells at one hidden size, one cell's hidden-size steps, LeNet5 against the RNN grid. Its error model
(ErrorModel) gives every comparison of the family its standard error, degrees of freedom and the name
of the test it used:

- **Pooled seed variance.** The configurations of a family share a model family and a budget, so
  their seed variance is pooled: the t-tests get the grid's degrees of freedom instead of 1–4 per pair.
  Every configuration with two or more seeds adds to the pool; one whose seeds are all equal adds its
  degrees of freedom and no spread (zero spread is decided by equality of the values, never by a
  floating-point std being above zero).
- **A noisy configuration keeps its own variance**: when its seeds vary beyond the pool of the others
  (an F test at the FLAG level), its comparisons use the smallest variance its seeds allow at that level
  (its own over the F test's critical ratio), at the pool's degrees of freedom; the others keep the pool,
  which it still joins (leaving it out would bias the pool low). `python -m benchmarks --statistics`
  measured this against its own variance as it is (less power) and against Welch's test for the noisy one,
  which cannot separate a 0.2 gap from two seeds; with no flag, a noisy best is set aside 10 % of the time.
- **Seeds as blocks where they are shared.** A seed fixes the initial weights and the data order, and
  the configurations of a grid train with the same seeds; where the design shares seeds (known seed
  ids, a connected config × seed layout), the pooled configurations are fitted as config + seed (a
  randomized block design, least squares, so a seed missing from one configuration is allowed) and the
  seed effect leaves the error. Decided by the design, not by a test of the seed effect.

compare_pairs() tests exactly the pairs a sentence prints as one family, Holm-adjusted: a pair is
*better* (its adjusted p < α), *equivalent within ±margin* (two one-sided tests at α / pairs), or
*not resolved*, with the difference it could have detected (80 % power) in numbers.

The values of a configuration are a list (seeds unknown: one-way) or a dict seed → value.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ALPHA = 0.05
POWER = 0.80
# Equivalence margin: one accuracy point. About two binomial standard errors of a 10,000-image test
# set at 90 % accuracy (2 × 0.003), half of one for 1,000 images at 50 % (0.016): a difference below
# it is within what re-drawing the test set moves, and below what a report would rank on.
MARGIN = 0.01
# A configuration whose seeds vary more than the others' pool at this F-test level keeps its own variance.
# Looser than ALPHA on purpose: with 2–3 seeds a real difference in spread is rarely significant, and
# judging a noisy configuration by its quieter neighbours is what lets false claims through
# (`python -m benchmarks --statistics`, unequal spreads).
FLAG = 0.25
# How a noisy configuration's comparisons use its own variance: "bound" (the smallest variance its seeds
# allow at the FLAG level — its own over the F test's critical ratio — where that exceeds the pool, at the
# pool's degrees of freedom), "max" (its own variance as it is) or "welch" (its own variance and degrees of
# freedom). The benchmark compares the three.
NOISY_RULE = "bound"


def values_of(sample) -> np.ndarray:
    return np.asarray(list(sample.values() if isinstance(sample, dict) else sample), float)


def seeds_of(sample) -> tuple | None:
    return tuple(sample) if isinstance(sample, dict) else None


def sum_of_squares(values: np.ndarray) -> float:
    """Σ (x − mean)², exactly 0 where every value is the same (np.std of three 0.1s is 1.4e-17, not 0)."""
    if len(values) < 2 or np.all(values == values[0]):
        return 0.0
    return float(((values - values.mean()) ** 2).sum())


@dataclass(frozen=True)
class Comparison:
    """mean(a) − mean(b) and its standard error, degrees of freedom and the test that used them."""

    a: str
    b: str
    difference: float
    se: float
    df: float
    test: str | None     # None: no spread on either side, nothing to test


class ErrorModel:
    """Means and the seed noise of one family's configurations (module docstring)."""

    def __init__(self, samples: dict, flag: float | None = None, noisy_rule: str | None = None):
        flag = FLAG if flag is None else flag                 # read at call time: the benchmark varies them
        noisy_rule = noisy_rule or NOISY_RULE
        self.values = {label: values_of(v) for label, v in samples.items()}
        self.seeds = {label: seeds_of(v) for label, v in samples.items()}
        self.n = {label: len(v) for label, v in self.values.items()}
        self.noisy_rule = noisy_rule
        usable = [label for label, n in self.n.items() if n >= 2]
        self.means = {label: float(v.mean()) for label, v in self.values.items() if len(v)}
        ss = {label: sum_of_squares(self.values[label]) for label in usable}
        self.pooled = usable
        self.blocked = False
        self.variance, self.df, self._mean_variance = 0.0, 0, {}
        if usable and not self._fit_blocks(ss):
            self.df = sum(self.n[label] - 1 for label in usable)
            self.variance = sum(ss.values()) / self.df
            self._mean_variance = {label: 1 / self.n[label] for label in usable}
        self.own = {label: ss[label] / (self.n[label] - 1) for label in usable}   # each one's own seed variance
        self.noisy, self.larger = set(), {}
        if flag > 0 and self.variance > 0:
            from scipy import stats

            for label in usable:
                others = [o for o in usable if o != label]
                df = sum(self.n[o] - 1 for o in others)
                pool = sum(ss[o] for o in others) / df if df else 0.0
                critical = stats.f.ppf(1 - flag, self.n[label] - 1, df)
                if pool > 0 and self.own[label] / pool > critical:
                    self.noisy.add(label)
                    # the smallest variance its seeds allow at the FLAG level: above the pool, by as much
                    # as the F test says it must be ("max" takes its own variance as it is)
                    self.larger[label] = self.own[label] if noisy_rule == "max" else self.own[label] / critical

    def _fit_blocks(self, ss: dict) -> bool:
        """config + seed by least squares over the pooled configurations, where the design shares seeds
        and leaves a residual to test against (else one-way)."""
        seeds = [self.seeds[label] for label in self.pooled]
        if len(self.pooled) < 2 or any(s is None for s in seeds):
            return False
        ids = sorted({seed for s in seeds for seed in s}, key=repr)
        if len(ids) < 2 or sum(len(s) for s in seeds) == len(ids):   # no seed shared: one-way
            return False
        k, b = len(self.pooled), len(ids)
        rows, y = [], []
        for i, label in enumerate(self.pooled):
            for seed, value in zip(self.seeds[label], self.values[label]):
                row = np.zeros(k + b - 1)
                row[i] = 1
                if ids.index(seed):
                    row[k + ids.index(seed) - 1] = 1
                rows.append(row)
                y.append(value)
        x, y = np.array(rows), np.array(y)
        df = len(y) - k - b + 1
        if df < 1 or np.linalg.matrix_rank(x) < k + b - 1:   # a seed layout that does not connect
            return False
        inverse = np.linalg.inv(x.T @ x)
        beta = inverse @ x.T @ y
        residuals = y - x @ beta
        rss = float((residuals ** 2).sum())
        if rss <= 1e-12 * max(1e-300, sum(ss.values())):
            return False   # the seeds explain every difference exactly (made-up data): nothing left to test
        self.blocked, self.df, self.variance = True, df, rss / df
        average_seed = np.zeros(k + b - 1)
        average_seed[k:] = 1 / b
        self._contrast = {}
        for i, label in enumerate(self.pooled):
            c = average_seed.copy()
            c[i] = 1
            self._contrast[label] = c
            self.means[label] = float(c @ beta)     # the mean over every seed of the design
        self._inverse = inverse
        self._mean_variance = {label: float(c @ inverse @ c) for label, c in self._contrast.items()}
        return True

    @property
    def pooled_test(self) -> str:
        how = "seeds as blocks, " if self.blocked else ""
        return f"t-test, {how}seed variance pooled over {len(self.pooled)} configurations (df = {self.df})"

    def compare(self, a: str, b: str) -> Comparison:
        """mean(a) − mean(b) with its error; both need two or more seeds."""
        difference = self.means[a] - self.means[b]
        if self.variance <= 0 and self.own.get(a, 0) == 0 and self.own.get(b, 0) == 0:
            return Comparison(a, b, difference, 0.0, math.nan, None)
        if (a not in self.noisy and b not in self.noisy) or self.noisy_rule != "welch":
            if self.blocked:
                c = self._contrast[a] - self._contrast[b]
                pooled = self.variance * float(c @ self._inverse @ c)
            else:
                pooled = self.variance * (1 / self.n[a] + 1 / self.n[b])
            # a noisy configuration's own variance where it exceeds the pool, at the pool's df
            extra = sum(max(0.0, self.larger[label] - self.variance) / self.n[label] for label in (a, b)
                        if label in self.noisy)
            se = math.sqrt(pooled + extra)
            if se < 1e-12:
                return Comparison(a, b, difference, 0.0, math.nan, None)
            noisy = [label for label in (a, b) if label in self.noisy]
            test = self.pooled_test + (f", {' and '.join(noisy)} with {'their' if len(noisy) > 1 else 'its'} own "
                                       "larger variance" if noisy else "")
            return Comparison(a, b, difference, se, float(self.df), test)
        parts = [self._part(label) for label in (a, b)]
        se = math.sqrt(sum(v for v, _ in parts))
        if se < 1e-12:
            return Comparison(a, b, difference, 0.0, math.nan, None)
        df = se ** 4 / sum(v ** 2 / d for v, d in parts)   # Welch–Satterthwaite
        noisy = " and ".join(label for label in (a, b) if label in self.noisy)
        return Comparison(a, b, difference, se, df,
                          f"Welch's t-test, {noisy} with {'their' if ' and ' in noisy else 'its'} own seed variance "
                          f"(df = {df:.1f})")

    def _part(self, label: str) -> tuple[float, float]:
        """(variance of the label's mean, its degrees of freedom)."""
        if label in self.noisy:
            return self.own[label] / self.n[label], self.n[label] - 1
        return self.variance * self._mean_variance[label], self.df


@dataclass(frozen=True)
class PairVerdict:
    """One comparison of a pairwise family: a (the first) against b."""

    a: str
    b: str
    difference: float            # mean(a) − mean(b), in the metric's units
    verdict: str                 # "better" (a above b), "worse", "equivalent", "not resolved", "zero spread", "one seed"
    test: str | None = None
    df: float | None = None
    p_value: float | None = None     # two-sided, raw
    p_adjusted: float | None = None  # Holm over the family's pairs
    detectable: float | None = None  # the smallest difference detected with 80 % power at α / pairs
    se: float | None = None


def holm(p_values: dict) -> dict:
    """Holm's step-down adjustment: controls the family-wise error at α for any dependence."""
    ordered = sorted(p_values, key=p_values.get)
    adjusted, running = {}, 0.0
    for rank, key in enumerate(ordered):
        running = max(running, min(1.0, p_values[key] * (len(ordered) - rank)))
        adjusted[key] = running
    return adjusted


def compare_pairs(samples: dict, pairs: list[tuple[str, str]], alpha: float = ALPHA, margin: float = MARGIN,
                  higher_is_better: bool = True, model: ErrorModel | None = None) -> dict[tuple, PairVerdict]:
    """Exactly these pairs as one family: each better / worse / equivalent within ±margin / not
    resolved, Holm-adjusted over the pairs that could be tested. samples may hold more configurations
    than the pairs name: they all inform the pooled variance."""
    from scipy import stats

    model = model or ErrorModel(samples)
    sign = 1 if higher_is_better else -1
    found, tested = {}, {}
    for a, b in pairs:
        if model.n.get(a, 0) < 2 or model.n.get(b, 0) < 2:
            difference = model.means[a] - model.means[b] if a in model.means and b in model.means else math.nan
            found[(a, b)] = PairVerdict(a, b, difference, "one seed")
            continue
        c = model.compare(a, b)
        if c.test is None:
            found[(a, b)] = PairVerdict(a, b, c.difference, "zero spread")
            continue
        tested[(a, b)] = c
    m = max(1, len(tested))
    p_raw = {pair: float(2 * stats.t.sf(abs(c.difference) / c.se, c.df)) for pair, c in tested.items()}
    adjusted = holm(p_raw)
    for pair, c in tested.items():
        detectable = float((stats.t.ppf(1 - alpha / m / 2, c.df) + stats.t.ppf(POWER, c.df)) * c.se)
        if adjusted[pair] < alpha:
            verdict = "better" if sign * c.difference > 0 else "worse"
        else:
            upper = stats.t.ppf(1 - alpha / m, c.df) * c.se   # two one-sided tests at α / pairs
            verdict = "equivalent" if c.difference - upper > -margin and c.difference + upper < margin else "not resolved"
        found[pair] = PairVerdict(*pair, c.difference, verdict, c.test, c.df, p_raw[pair], adjusted[pair],
                                  detectable, c.se)
    return {pair: found[pair] for pair in pairs}
