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
MAX_SEEDS: all configurations equal (each one a true best), a seed for every configuration at every look
(dropping the set-aside ones only removes competitors of the best, which the benchmark checks), α′ such
that a given configuration is ever set aside α of the time. Deterministic: a fixed generator seed.

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


@lru_cache(maxsize=64)
def look_level(configs: int, first: int, last: int = MAX_SEEDS, alpha: float = ALPHA) -> float:
    """α′: the level of every look of a design with `configs` configurations, `first` seeds at look 0
    and up to `last`, such that a configuration equal to the best is ever set aside α of the time."""
    from .best import dunnett_quantile

    first = max(2, first)
    if configs < 2 or last <= first:
        return alpha
    rng = np.random.default_rng(20261207)
    values = rng.normal(0.0, 1.0, (CALIBRATION_GRIDS, configs, last))
    looks = range(first, last + 1)
    statistics = []   # per look: for each grid and configuration, (max of the others − its mean) / se
    for n in looks:
        x = values[:, :, :n]
        means = x.mean(axis=2)
        variance = ((x - means[:, :, None]) ** 2).sum(axis=(1, 2)) / (configs * (n - 1))
        ordered = np.sort(means, axis=1)
        top = np.where(means == ordered[:, -1:], ordered[:, -2:-1], ordered[:, -1:])
        statistics.append((top - means) / np.sqrt(variance * 2 / n)[:, None])

    def ever_set_aside(level: float) -> float:
        ever = np.zeros((CALIBRATION_GRIDS, configs), bool)
        for n, t in zip(looks, statistics):
            ever |= t > dunnett_quantile(configs - 1, float(configs * (n - 1)), level)
        return float(ever.mean())

    low, high = alpha / len(looks), alpha     # Bonferroni over the looks is always safe
    for _ in range(14):
        middle = math.sqrt(low * high)
        low, high = (middle, high) if ever_set_aside(middle) <= alpha else (low, middle)
    return round(low, 5)


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

