"""`python -m benchmarks --statistics [--json]`: how often the report's ranking claims something false,
and how often it finds a real best, on simulated grids put through the functions the report uses.

A grid is 9 configurations with normal seed noise (sd 1); scenarios: all equal (`null`), all equal with
unequal spreads (`null-unequal-variance`: sds from 0.5 to 2), and one configuration better by 1, 2 or 4
sds (`gap-1sd` …). A false claim is any configuration set aside from the possible best when it is truly
equal to the best (or better); power is the fraction of grids where the truly better configuration is
separated from one given other (`c1`), the issue's pairwise measure; `best_named` the fraction where it is
named the single best (separated from all eight). Procedures: `report` (report.stats.families.best_set: pooled variance,
multiple comparisons with the best, Bonferroni), `welch-uncorrected` (what the report did before:
the top by mean against each other with an uncorrected two-sided Welch test), `holm-welch` (the same,
Holm-adjusted), `pooled-uncorrected` (pooled variance, no adjustment).
"""
from __future__ import annotations

import json

import numpy as np

CONFIGS = 9
SCENARIOS = (("null", 0.0, False), ("null-unequal-variance", 0.0, True), ("gap-1sd", 1.0, False),
             ("gap-2sd", 2.0, False), ("gap-4sd", 4.0, False))


def _grid(rng, seeds: int, gap: float, unequal: bool) -> dict[str, list[float]]:
    sds = np.linspace(0.5, 2.0, CONFIGS) if unequal else np.ones(CONFIGS)
    means = np.zeros(CONFIGS)
    means[0] = gap
    return {f"c{i}": list(rng.normal(means[i], sds[i], seeds)) for i in range(CONFIGS)}


def _report(samples):
    from report.stats.families import best_set

    result = best_set(samples)
    return set(result.below), result.best


def _top_against_others(samples, test: str, adjust: bool):
    from scipy import stats

    from report.stats.families import pooled_variance

    top = max(samples, key=lambda label: np.mean(samples[label]))
    pooled = pooled_variance(samples) if test == "pooled" else None
    p_values = {}
    for label, values in samples.items():
        if label == top:
            continue
        if pooled is not None:
            se = np.sqrt(pooled.variance * (1 / len(values) + 1 / len(samples[top])))
            p = 2 * stats.t.sf(abs(np.mean(samples[top]) - np.mean(values)) / se, pooled.df)
        else:
            p = stats.ttest_ind(samples[top], values, equal_var=False).pvalue
        p_values[label] = p
    if adjust:  # Holm
        ordered = sorted(p_values, key=p_values.get)
        below, running = set(), 0.0
        for rank, label in enumerate(ordered):
            running = max(running, min(1.0, p_values[label] * (len(ordered) - rank)))
            if running < 0.05:
                below.add(label)
            else:
                break
    else:
        below = {label for label, p in p_values.items() if p < 0.05}
    best = top if len(below) == len(samples) - 1 else None
    return below, best


PROCEDURES = {
    "report": _report,
    "welch-uncorrected": lambda s: _top_against_others(s, "welch", False),
    "holm-welch": lambda s: _top_against_others(s, "welch", True),
    "pooled-uncorrected": lambda s: _top_against_others(s, "pooled", False),
}


def simulate(grids: int = 2000, seed: int = 0) -> list[dict]:
    rows = []
    for scenario, gap, unequal in SCENARIOS:
        for seeds in (2, 3):
            for name, procedure in PROCEDURES.items():
                rng = np.random.default_rng(seed)   # every procedure sees the same grids
                false_claims = found = separated = 0
                for _ in range(grids):
                    samples = _grid(rng, seeds, gap, unequal)
                    below, best = procedure(samples)
                    truly_best = {"c0"} if gap > 0 else set(samples)
                    false_claims += bool(below & truly_best) or (best is not None and best not in truly_best)
                    found += best == "c0" if gap > 0 else 0
                    separated += "c1" in below if gap > 0 else 0
                rows.append({"scenario": scenario, "seeds": seeds, "procedure": name,
                             "false_claim_rate": false_claims / grids,
                             "power": separated / grids if gap > 0 else None,
                             "best_named": found / grids if gap > 0 else None})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| scenario | seeds | procedure | family-wise false-claim rate | power (c0 above c1) | best named |",
             "| --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        power = "" if row["power"] is None else f"{row['power']:.3f}"
        named = "" if row["best_named"] is None else f"{row['best_named']:.3f}"
        lines.append(f"| {row['scenario']} | {row['seeds']} | {row['procedure']} | {row['false_claim_rate']:.3f} "
                     f"| {power} | {named} |")
    return "\n".join(lines)


def main(as_json: bool, grids: int) -> None:
    rows = simulate(grids)
    print(json.dumps(rows, indent=1) if as_json else table(rows))
