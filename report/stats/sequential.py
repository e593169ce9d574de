"""Seeds where the question is open: multiple comparisons with the best over looks (`--resolve`).

A grid starts with its configured seeds (look 0). While "which is best" is open, each round trains one
more seed for every configuration that could still be the best, and the question is asked again (the
next look). A configuration set aside at a look stays set aside; the sequence stops when one
configuration is left (named the best), when the top is within the equivalence margin of the best, or
when every candidate has MAX_SEEDS seeds (or the time budget of the command is spent).

Asking at α at every look would set the true best aside more often than α over the sequence, so every
look is tested at one calibrated level α′ < α (Pocock 1977's constant boundary, applied to Hsu's
multiple comparisons with the best; arms dropped between looks as in Magirr, Jaki & Whitehead 2012).
look_level() computes α′ by simulation for the design's number of configurations, first-look seeds and
MAX_SEEDS: all configurations equal (each one a true best), the rounds as --resolve runs them (a seed for
each configuration that could still be the best) and the error model each look uses, α′ such that a given
configuration is ever set aside α of the time. Deterministic: a fixed generator seed.

The seeds a round adds are numbered from FIRST_ROUND_SEED (round r: FIRST_ROUND_SEED + r − 1), so the
looks are read back from the stored runs alone: a plain build after `--resolve` uses every seed and
the same sequential verdict, for mkreport's sections and a section of your own alike.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from .best import BestSet, best_set, within_margin
from .families import ALPHA, MARGIN

FIRST_ROUND_SEED = 1000
MAX_SEEDS = 10           # the most seeds a configuration gets; the levels are calibrated for this many
CALIBRATION_GRIDS = 20000


def is_round_seed(seed) -> bool:
    return isinstance(seed, int) and seed >= FIRST_ROUND_SEED


# α′ of the designs a grid usually has (2–12 configurations, 2–5 first seeds, MAX_SEEDS), as look_level
# computes them (tests/test_resolve.py recomputes some): a render then costs nothing for them; others are
# computed on first use (a few seconds).
LEVELS = {
    (2, 2): 0.01171, (2, 3): 0.01451, (2, 4): 0.01724, (2, 5): 0.02023,
    (3, 2): 0.01167, (3, 3): 0.01457, (3, 4): 0.01706, (3, 5): 0.01998,
    (4, 2): 0.01208, (4, 3): 0.01448, (4, 4): 0.01749, (4, 5): 0.02022,
    (5, 2): 0.01241, (5, 3): 0.01489, (5, 4): 0.01777, (5, 5): 0.02092,
    (6, 2): 0.01286, (6, 3): 0.01547, (6, 4): 0.01826, (6, 5): 0.02137,
    (7, 2): 0.01304, (7, 3): 0.01562, (7, 4): 0.0182, (7, 5): 0.02117,
    (8, 2): 0.01337, (8, 3): 0.01573, (8, 4): 0.01853, (8, 5): 0.02167,
    (9, 2): 0.01316, (9, 3): 0.01563, (9, 4): 0.01833, (9, 5): 0.02135,
    (10, 2): 0.01323, (10, 3): 0.01574, (10, 4): 0.01831, (10, 5): 0.0215,
    (11, 2): 0.01333, (11, 3): 0.016, (11, 4): 0.01876, (11, 5): 0.02189,
    (12, 2): 0.01375, (12, 3): 0.01636, (12, 4): 0.01905, (12, 5): 0.0221,
}


@lru_cache(maxsize=64)
def look_level(configs: int, first: int, last: int = MAX_SEEDS, alpha: float = ALPHA) -> float:
    """α′: the level of every look of a design with `configs` configurations, `first` seeds at look 0
    and up to `last`, such that a configuration equal to the best is ever set aside α of the time —
    simulated as `--resolve` runs: each round a seed for every configuration that could still be the best,
    each look the report's error model (a pooled variance; a configuration whose seeds vary beyond the
    others' keeps the larger variance they allow, report/stats/families.py)."""
    first = max(2, first)
    if configs < 2 or last <= first:
        return alpha
    if last == MAX_SEEDS and alpha == ALPHA and (configs, first) in LEVELS:
        return LEVELS[(configs, first)]
    return calibrated_level(configs, first, last, alpha)


def calibrated_level(configs: int, first: int, last: int = MAX_SEEDS, alpha: float = ALPHA) -> float:
    """look_level's simulation (LEVELS holds its results for the usual designs)."""
    values = np.random.default_rng(20261207).normal(0.0, 1.0, (CALIBRATION_GRIDS, configs, last))

    return calibrate(values, first, alpha)


def calibrate(values: np.ndarray, first: int, alpha: float = ALPHA, flag: float | None = None,
              bound: float | None = None) -> float:
    """The level at which a configuration of these all-equal grids is ever set aside α of the time over the
    rounds (adaptive_rounds: the report's error model, or another flag and bound for the benchmark)."""
    low, high = alpha / (values.shape[2] - first + 1), alpha     # Bonferroni over the looks is always safe
    for _ in range(14):
        middle = math.sqrt(low * high)
        ever = adaptive_rounds(values, first, middle, flag, bound)[0].mean()
        low, high = (middle, high) if ever <= alpha else (low, middle)
    return round(low, 5)


def _quantiles(comparisons: int, dfs: np.ndarray, level: float, span: tuple[int, int]) -> np.ndarray:
    """Dunnett's quantile at each df, interpolated in 1/df between six exact ones over the design's span
    of dfs (the same six at every look: computed once per level). Smooth in 1/df: the error is far below
    what moves α′ at the precision it is rounded to."""
    from .best import dunnett_quantile

    anchors = np.unique(np.geomspace(span[0], span[1], 6).round())
    exact = np.array([dunnett_quantile(comparisons, float(v), level) for v in anchors])
    if len(anchors) == 1:
        return np.full(len(dfs), exact[0])
    return np.interp(1 / dfs, (1 / anchors)[::-1], exact[::-1])


def adaptive_rounds(values: np.ndarray, first: int, level: float, flag: float | None = None,
                    bound: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The rounds of `--resolve` on simulated grids (grid × configuration × seed values, one-way), vectorized:
    from `first` seeds, a seed for every configuration that could still be the best, each look at `level`,
    until one is left or the candidates have every seed. A configuration whose seeds vary beyond the others'
    pool by the F test at `flag` (report/stats/families.py FLAG; 0: never) is judged at the smallest variance
    its seeds allow at `bound` (FLAG). Returns ([grid, configuration] ever set aside, [grid] extra runs)."""
    from scipy import stats

    from .families import FLAG

    flag = FLAG if flag is None else flag
    bound = FLAG if bound is None else bound
    grids, configs, last = values.shape
    extra = np.zeros(grids)
    seeds = np.full((grids, configs), first)
    aside = np.zeros((grids, configs), bool)
    open_ = np.ones(grids, bool)
    # the F quantiles at flag and bound for (one configuration's df, the others' df): every pair that can occur
    one, rest = np.meshgrid(np.arange(1, last), np.arange(configs * (last - 1) + 1), indexing="ij")
    flagged = stats.f.ppf(1 - flag, one, np.maximum(rest, 1)) if flag > 0 else np.full(one.shape, np.inf)
    bounded = stats.f.ppf(1 - bound, one, np.maximum(rest, 1))
    while True:
        used = np.arange(last)[None, None, :] < seeds[:, :, None]
        means = (values * used).sum(2) / seeds
        ss = (((values - means[:, :, None]) ** 2) * used).sum(2)
        df = (seeds - 1).sum(1)
        pool = ss.sum(1) / df
        others_df = df[:, None] - (seeds - 1)
        others = (ss.sum(1)[:, None] - ss) / others_df
        own = ss / (seeds - 1)
        noisy = own / others > flagged[seeds - 2, others_df]
        variance = np.where(noisy, np.maximum(pool[:, None], own / bounded[seeds - 2, others_df]), pool[:, None])
        se = np.sqrt(variance[:, :, None] / seeds[:, :, None] + variance[:, None, :] / seeds[:, None, :])
        d = _quantiles(configs - 1, df, level, (configs * (first - 1), configs * (last - 1)))
        excess = means[:, None, :] - means[:, :, None] - d[:, None, None] * se
        excess[:, np.arange(configs), np.arange(configs)] = -np.inf
        aside |= (excess > 0).any(2) & open_[:, None]
        candidates = ~aside
        open_ &= ~((candidates.sum(1) <= 1) | ((seeds >= last) | aside).all(1))
        if not open_.any():
            return aside, extra
        added = candidates & (seeds < last) & open_[:, None]
        seeds += added
        extra += added.sum(1)


@dataclass(frozen=True)
class Look:
    """One look of the sequence: the seeds each configuration had, what it set aside, what was left."""

    seeds: dict[str, int]
    set_aside: list[str]
    candidates: list[str]


@dataclass
class Sequential:
    """The sequence's answer: the last look's BestSet with every configuration set aside at any look."""

    result: BestSet
    looks: list[Look]
    level: float            # α′ of every look
    first: int              # seeds a configuration had at look 0 (the fewest)

    @property
    def rounds(self) -> int:
        return len(self.looks) - 1

    @property
    def added_runs(self) -> int:
        return sum(self.looks[-1].seeds[label] - self.looks[0].seeds[label] for label in self.looks[0].seeds)

    @property
    def one_seed(self) -> list[str]:
        """Configurations with a single (learned) seed: not ranked yet, so not set aside either."""
        return [label for label, why in self.result.unranked.items() if why == "one seed"]

    def stop_reason(self, margin: float = MARGIN) -> str:
        """Why the sequence ended where it did: resolved, within the margin, at MAX_SEEDS, or open."""
        if self.one_seed:
            return "open"       # a configuration with one seed could be the best: it gets the next seed
        if self.result.best:
            return "resolved"
        if within_margin(self.result, margin):
            return "within margin"
        if all(self.looks[-1].seeds.get(label, 0) >= MAX_SEEDS for label in self.result.candidates):
            return "max seeds"
        return "open"


def _look(samples: dict, last_round_seed: int | None) -> dict:
    """Each configuration's seeds up to a look: its configured ones and the rounds' up to last_round_seed."""
    return {label: {seed: value for seed, value in v.items()
                    if not is_round_seed(seed) or (last_round_seed is not None and seed <= last_round_seed)}
            for label, v in samples.items()}


def sequential_best(samples: dict, threshold: float | None = None, higher_is_better: bool = True,
                    alpha: float = ALPHA, force: bool = False) -> Sequential | None:
    """The sequence of looks in samples (label → {seed: value}); None where no round added a seed
    (the fixed design's best_set holds) unless force (`--resolve` deciding whether to start)."""
    round_seeds = sorted({seed for v in samples.values() for seed in v if is_round_seed(seed)})
    if not round_seeds and not force:
        return None
    first = min((sum(1 for seed in v if not is_round_seed(seed)) for v in samples.values()), default=0)
    level = look_level(len(samples), first, MAX_SEEDS, alpha)
    aside, looks, result = {}, [], None
    for last in [None, *round_seeds]:
        at_look = _look(samples, last)
        result = best_set(at_look, alpha=level, threshold=threshold, higher_is_better=higher_is_better)
        new = [label for label in result.below if label not in aside]
        aside.update({label: result.below[label] for label in new})
        candidates = [label for label in result.candidates if label not in aside]
        looks.append(Look({label: len(v) for label, v in at_look.items()}, new, candidates))
    ranked = [label for label in [*result.candidates, *result.below] if label in result.means]
    candidates = [label for label in sorted(ranked, key=lambda label: -(1 if higher_is_better else -1)
                                            * result.means[label]) if label not in aside]
    final = replace(result, candidates=candidates, below=aside)
    if final.within is not None and candidates and candidates[0] != (result.candidates or [None])[0]:
        final.within = None     # Hsu's bound is about the top mean, which was set aside earlier: not said
    return Sequential(final, looks, level, first)


def round_candidates(sequence: Sequential, max_seeds: int = MAX_SEEDS) -> list[str]:
    """The configurations the next round gives a seed: those that could still be the best, below max_seeds."""
    last = sequence.looks[-1].seeds
    return [label for label in [*sequence.result.candidates, *sequence.one_seed]
            if last.get(label, 0) < min(max_seeds, MAX_SEEDS)]

