"""`python -m benchmarks --statistics --frontier [--grids N]`: what "which is best" can buy with 2–3 seeds,
measured over whole families of procedures at once, so that a target can be read against what is possible.

The report's procedure (report/stats/best.py) is one point of a trade-off: pooling the seed variance gives
power where the configurations' spreads are alike, and a noisy configuration judged at the pool is set
aside too often where they are not. This module computes, vectorized over many grids, the same multiple
comparisons with the best (balanced grids, every seed shared: config + seed by two-way least squares,
df = (k − 1)(b − 1); test_statistics checks it against best_set grid by grid) for

- `pooled`: every comparison at the pooled variance — the most power any MCB has where spreads are alike
  (the ceiling), with seeds as blocks and one-way;
- `flag F, bound L`: a configuration whose own variance exceeds the others' pool by the F test at level F
  is judged at its own variance over the F quantile at level L (the report: F = L = 0.25);
- `moderated d0`: every configuration at (d0 · pool + (b − 1) · own) / (d0 + b − 1), a fixed-prior shrinkage
  of its own variance, the critical value calibrated by simulation so that a true best is set aside exactly
  α of the time where spreads are alike (one-way).

Measures, as in benchmarks/statistics.py: `null` (a true best set aside, all equal), `unequal` (the worst of
nine set aside, all equal with sds 0.5–2), `power` (2-sd gap, 3 seeds: the better one sets a given other
aside), `set_size` (how many could be the best there).

The same for `--resolve`'s rounds (report.stats.sequential.adaptive_rounds, one-way, from 3 seeds up to 10):
each rule at the level calibrated for it (all equal, ever set aside 5 %), then `unequal` (the worst of nine
ever set aside), and at 2- and 3-sd gaps `named` (the better one named the single best) and `runs` (extra runs).
"""
from __future__ import annotations

import numpy as np

from .statistics import CONFIGS

ALPHA = 0.05


def grids(rng, count: int, seeds: int, gap: float, unequal: bool) -> np.ndarray:
    """count × CONFIGS × seeds values, the same scenarios as benchmarks.statistics._grid (no seed effect)."""
    sds = np.roll(np.linspace(0.5, 2.0, CONFIGS), 4) if unequal else np.ones(CONFIGS)
    means = np.zeros(CONFIGS)
    means[0] = gap
    return means[None, :, None] + sds[None, :, None] * rng.normal(0, 1, (count, CONFIGS, seeds))


def set_aside(x: np.ndarray, flag: float = 0.0, bound: float = 0.25, blocked: bool = True) -> np.ndarray:
    """MCB on every grid of x (grids × configurations × seeds): True where a configuration is set aside.
    flag 0: every comparison at the pool."""
    from scipy import stats

    from report.stats.best import dunnett_quantile

    _, k, b = x.shape
    means = x.mean(2)
    ss = ((x - means[:, :, None]) ** 2).sum(2)
    own = ss / (b - 1)
    if blocked:
        residual = x - means[:, :, None] - x.mean(1)[:, None, :] + x.mean((1, 2))[:, None, None]
        df = (k - 1) * (b - 1)
        variance = (residual ** 2).sum((1, 2)) / df
    else:
        df = k * (b - 1)
        variance = ss.sum(1) / df
    extra = np.zeros_like(own)
    if flag > 0:
        others = (k - 1) * (b - 1)
        pool = (ss.sum(1)[:, None] - ss) / others
        noisy = own / pool > stats.f.ppf(1 - flag, b - 1, others)
        larger = own / stats.f.ppf(1 - bound, b - 1, others)
        extra = np.where(noisy, np.maximum(0.0, larger - variance[:, None]) / b, 0.0)
    se = np.sqrt(variance[:, None, None] * 2 / b + extra[:, :, None] + extra[:, None, :])
    d = dunnett_quantile(k - 1, round(float(df), 2), ALPHA)
    return _beyond(means, se, d)


def _beyond(means: np.ndarray, se: np.ndarray, critical: float) -> np.ndarray:
    """[grid, i]: some j is above i by more than critical · se[grid, i, j]."""
    excess = (means[:, None, :] - means[:, :, None]) - critical * se
    diagonal = np.arange(means.shape[1])
    excess[:, diagonal, diagonal] = -np.inf
    return (excess > 0).any(2)


def _moderated_statistic(x: np.ndarray, d0: float) -> tuple[np.ndarray, np.ndarray]:
    _, k, b = x.shape
    means = x.mean(2)
    ss = ((x - means[:, :, None]) ** 2).sum(2)
    pool = ss.sum(1) / (k * (b - 1))
    moderated = (d0 * pool[:, None] + ss) / (d0 + b - 1)
    return means, np.sqrt((moderated[:, :, None] + moderated[:, None, :]) / b)


def moderated(d0: float, seeds: int, count: int, seed: int):
    """The moderated-variance MCB with its critical value calibrated on all-equal grids of equal spreads."""
    means, se = _moderated_statistic(grids(np.random.default_rng(seed + 100), 2 * count, seeds, 0.0, False), d0)
    t = (means[:, None, :] - means[:, :, None]) / se
    diagonal = np.arange(CONFIGS)
    t[:, diagonal, diagonal] = -np.inf
    critical = float(np.quantile(t.max(2).ravel(), 1 - ALPHA))

    def procedure(x):
        return _beyond(*_moderated_statistic(x, d0), critical)
    return procedure


def measure(procedure, count: int, seed: int) -> dict:
    row = {}
    for seeds in (2, 3):
        rng = np.random.default_rng(seed)
        row[f"null ({seeds} seeds)"] = float(procedure(seeds)(grids(rng, count, seeds, 0.0, False)).mean())
        rng = np.random.default_rng(seed + 1)
        row[f"unequal ({seeds} seeds)"] = float(procedure(seeds)(grids(rng, count, seeds, 0.0, True)).mean(0).max())
    below = procedure(3)(grids(np.random.default_rng(seed + 2), count, 3, 2.0, False))
    row["power"] = float(below[:, 1].mean())
    row["set_size"] = float((CONFIGS - below.sum(1)).mean())
    return row


def frontier(count: int = 20000, seed: int = 0) -> list[tuple[str, dict]]:
    rows = [("pooled, seeds as blocks (the ceiling)", measure(lambda b: set_aside, count, seed)),
            ("pooled, one-way", measure(lambda b: lambda x: set_aside(x, blocked=False), count, seed))]
    for flag, bound in ((0.25, 0.25), (0.05, 0.25), (0.1, 0.25), (0.1, 0.5), (0.25, 0.5)):
        name = f"flag {flag}, bound {bound}" + (" (the report)" if (flag, bound) == (0.25, 0.25) else "")
        rows.append((name, measure(lambda b, f=flag, L=bound: lambda x: set_aside(x, f, L), count, seed)))
    for d0 in (8, 4, 2):
        rows.append((f"moderated d0 = {d0}, calibrated", measure(lambda b, d=d0: moderated(d, b, count, seed),
                                                                  count, seed)))
    return rows


SEQUENTIAL_RULES = (("pooled (no flag)", 0.0, 0.25), ("flag 0.25, bound 0.25 (the report)", 0.25, 0.25),
                    ("flag 0.25, bound 0.5", 0.25, 0.5), ("flag 0.5, bound 0.75", 0.5, 0.75))


def sequential_frontier(count: int = 10000, seed: int = 0) -> list[tuple[str, dict]]:
    from report.stats.sequential import MAX_SEEDS, adaptive_rounds, calibrate

    def values(gap: float, unequal: bool, offset: int) -> np.ndarray:
        return grids(np.random.default_rng(seed + offset), count, MAX_SEEDS, gap, unequal)

    rows = []
    for name, flag, bound in SEQUENTIAL_RULES:
        level = calibrate(values(0.0, False, 10), 3, ALPHA, flag, bound)
        row = {"level": level,
               "unequal": float(adaptive_rounds(values(0.0, True, 11), 3, level, flag, bound)[0].mean(0).max())}
        for gap in (2, 3):
            aside, extra = adaptive_rounds(values(float(gap), False, 11 + gap), 3, level, flag, bound)
            row[f"named ({gap} sd)"] = float((~aside[:, 0] & aside[:, 1:].all(1)).mean())
            row[f"runs ({gap} sd)"] = float(extra.mean())
        rows.append((name, row))
    return rows


def table(rows: list[tuple[str, dict]]) -> str:
    keys = list(rows[0][1])
    lines = ["| procedure | " + " | ".join(keys) + " |", "| --- |" + " --- |" * len(keys)]
    for name, row in rows:
        lines.append(f"| {name} | " + " | ".join(f"{row[key]:.4f}" if key == "level" else f"{row[key]:.1f}"
                                                  if key.startswith(("runs", "set_size")) else f"{row[key]:.3f}"
                                                  for key in keys) + " |")
    return "\n".join(lines)
