"""Which configuration of a family is the best: Hsu's multiple comparisons with the best (MCB).

A configuration is set aside as *not the best* only when another one is above it beyond seed noise:
    mean_j − mean_i > d · se_ij   for some j,
where d is the one-sided Dunnett quantile for the family's k − 1 comparisons (Hsu, *Multiple
Comparisons*, 1996, ch. 4; the subset that remains is Gupta's subset selection). The guarantee: whatever
the true means are, the truly best configuration is set aside at most α of the time, so "X is the best"
(every other set aside) is wrong at most α of the time, and "X, Y could be the best" names a set that
holds the best with probability 1 − α. Nothing is said of the order among the configurations set aside.

The same simultaneous intervals bound how far the configuration with the top mean can be from the best:
    μ_top − max_{j≠top} μ_j ≥ min(0, min_j (mean_top − mean_j − d · se_top,j)),
which gives "the top is the best or within 0.007 of it" where the data are that precise.

Seeds that never learned are counted apart (report/stats/statistics.learned_values): a seed at chance
is a different event from seed noise, so the accuracy comparison uses the seeds that learned, and a
configuration that learned in no seed is not ranked.

The error of every comparison is the family's ErrorModel (report/stats/families.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .families import ALPHA, MARGIN, POWER, Comparison, ErrorModel
from .statistics import learned_values


@lru_cache(maxsize=512)
def dunnett_quantile(comparisons: int, df: float, alpha: float = ALPHA, rho: float = 0.5) -> float:
    """One-sided Dunnett quantile d: P(max of `comparisons` t statistics ≤ d) = 1 − α, the statistics
    sharing one variance estimate with `df` degrees of freedom and equicorrelated with rho (0.5: each
    compares one configuration's mean with another's, equal seeds). Deterministic quadrature of
        P = E_S ∫ φ(z) Φ((d·S − √rho·z) / √(1 − rho))^m dz,   S² ~ χ²_df / df,
    Gauss–Hermite over z and a midpoint rule over the quantiles of S; comparisons = 1 gives Student's t."""
    from scipy import optimize, stats

    if comparisons <= 1:
        return float(stats.t.ppf(1 - alpha, df)) if math.isfinite(df) else float(stats.norm.ppf(1 - alpha))
    nodes, weights = np.polynomial.hermite_e.hermegauss(64)
    weights = weights / weights.sum()
    if math.isfinite(df) and df < 1e4:
        u = (np.arange(400) + 0.5) / 400
        s = np.sqrt(stats.chi2.ppf(u, df) / df)
    else:
        s = np.ones(1)

    def coverage(d: float) -> float:
        inner = stats.norm.cdf((d * s[:, None] - math.sqrt(rho) * nodes[None, :]) / math.sqrt(1 - rho))
        return float((inner ** comparisons @ weights).mean())

    return float(optimize.brentq(lambda d: coverage(d) - (1 - alpha), 0.0, 200.0, xtol=1e-6))


@dataclass(frozen=True)
class SetAside:
    """Why a configuration is not the best: `above` is above it beyond seed noise."""

    above: str
    comparison: Comparison
    margin: float          # mean_above − mean − d · se: how far beyond the noise (> 0)


@dataclass
class BestSet:
    """The answer to "which is best" for one family."""

    candidates: list[str]                      # could be the best, best mean first
    unranked: dict[str, str]                   # label → why it is not ranked ("one seed", "never learned", …)
    below: dict[str, SetAside] = field(default_factory=dict)   # label → not the best, and why
    learned: dict[str, tuple[int, int]] = field(default_factory=dict)  # label → (seeds that learned, seeds)
    means: dict[str, float] = field(default_factory=dict)      # over the seeds that learned
    within: float | None = None    # the top is the best or within this of it (None: not bounded)
    comparisons: int = 0           # k − 1: the comparisons each configuration has in the family
    test: str | None = None        # the test of the family's pooled comparisons (or its first)
    df: float | None = None
    quantile: float | None = None  # d at the pooled df
    detectable: float | None = None  # a gap to the best that would be found with 80 % power
    tested: bool = False           # any comparison had seed noise to test against

    @property
    def best(self) -> str | None:
        return self.candidates[0] if len(self.candidates) == 1 and self.tested else None


def best_set(samples: dict, alpha: float = ALPHA, threshold: float | None = None,
             higher_is_better: bool = True) -> BestSet:
    """MCB over the family's configurations (module docstring). samples: label → values (a list, or a
    dict seed → value where seeds are known); threshold: a seed at or below it never learned (None:
    every seed counts); configurations with fewer than two (learned) seeds are not ranked."""
    kept, learned, unranked = learned_values(samples, threshold, higher_is_better)
    sign = 1 if higher_is_better else -1
    model = ErrorModel(kept)
    ranked = sorted((label for label in kept if model.n[label] >= 2), key=lambda label: -sign * model.means[label])
    for label in kept:
        if model.n[label] < 2:
            unranked[label] = "one seed" if model.n[label] == 1 else "no finished run"
    result = BestSet(list(ranked), unranked, learned=learned, means=dict(model.means),
                     comparisons=max(0, len(ranked) - 1))
    if len(ranked) < 2:
        return result
    comparisons = {(a, b): model.compare(a, b) for a in ranked for b in ranked if a != b}
    tested = [c for c in comparisons.values() if c.test]
    if not tested:
        return result
    first = next((c for c in tested if c.test == model.pooled_test), tested[0])
    result.tested, result.test, result.df = True, first.test, first.df
    result.quantile = dunnett_quantile(len(ranked) - 1, round(first.df, 2), alpha)

    def beyond(c: Comparison) -> float:
        """sign · (mean_b − mean_a) − d · se: positive where b is above a beyond seed noise."""
        if c.test is None:     # no seed noise on either side: nothing can be set aside
            return -math.inf
        return -sign * c.difference - dunnett_quantile(len(ranked) - 1, round(c.df, 2), alpha) * c.se

    for label in ranked:
        worst = max((b for b in ranked if b != label), key=lambda b: beyond(comparisons[(label, b)]))
        excess = beyond(comparisons[(label, worst)])
        if excess > 0:
            result.below[label] = SetAside(worst, comparisons[(label, worst)], excess)
    result.candidates = [label for label in ranked if label not in result.below]
    top = ranked[0]
    against_top = [comparisons[(top, b)] for b in ranked if b != top]
    if all(c.test for c in against_top):   # Hsu's lower bound of μ_top − max of the others
        lower = min(sign * c.difference - dunnett_quantile(len(ranked) - 1, round(c.df, 2), alpha) * c.se
                    for c in against_top)
        result.within = -min(0.0, lower)
    from scipy import stats

    ses = [c.se for c in tested]
    result.detectable = float((result.quantile + stats.t.ppf(POWER, first.df)) * float(np.median(ses)))
    return result


def within_margin(result: BestSet, margin: float = MARGIN) -> bool:
    """The top is the best or within the equivalence margin of it, and more than one could be the best."""
    return len(result.candidates) > 1 and result.within is not None and result.within < margin
