"""`python -m benchmarks --statistics [--json] [--grids N]`: what the report's sentences claim, measured on
simulated grids put through the functions the report uses (no training, no data).

"Which is best" (9 configurations, normal seed noise of sd 1 unless said):
- scenarios: all equal (`null`), all equal with sds from 0.5 to 2 (`null-unequal`), one configuration
  better by 1, 2 or 3 sds (`gap-1sd` …), a shared seed effect taking 30 % or 60 % of the variance
  (`…-corr0.3`, `…-corr0.6`: a seed fixes the initial weights and the data order of every configuration),
  and `cifar10-collapse`: the full build's CIFAR10 grid (means and seed sds of its nine configurations)
  where each seed of Adagrad 1e-2 stays at chance (0.100) with probability 1/3;
- measures: `best_excluded` (the truly best configuration set aside, or another named the best; where
  all are equal, each of the nine is a true best: with equal spreads the mean of their rates (they are
  exchangeable), with unequal spreads the largest, over three times the grids; the report's guarantee is
  ≤ α = 0.05 for every one), `tie_rate` (anything set aside when all are equal), `power` (the
  truly better c0 sets aside a given other, c1), `named` (c0 named the single best), `set_size` (mean
  size of "could be the best"), and in `cifar10-collapse` `collapsing_kept` (Adagrad 1e-2 among "could be
  the best");
- procedures: `report` (report.stats.best.best_set: multiple comparisons with the best, seeds as blocks,
  seeds that never learned counted apart, a noisy configuration at the smallest variance its seeds allow),
  `mcb-one-way` (the same without blocks), `mcb-noisy-own` (a noisy configuration at its own variance as it
  is), `mcb-noisy-welch` (a noisy configuration by Welch's test), `mcb-no-flag` (every comparison at the
  pool), and `all-pairs-holm` (what
  the report did before: every pair tested two-sidedly, Holm over all 36, every seed counted).

`--resolve` (report.stats.sequential): from 3 seeds, rounds of one more seed for each configuration that could
still be the best (`adaptive`) or for every configuration (`uniform`), each look at the calibrated level, until
decided or 10 seeds (in the seed-sd grids without the margin stop: 0.01 is an accuracy margin);
`best_ever_excluded` (the true best set aside at any look), `named`, `extra_runs`.

Pairwise families (the sentences that say "A is above B"): three configurations, all pairs, and three
hidden-size steps, Holm (report.stats.families.compare_pairs); `family_wise_error` is any "above" said
between two truly equal configurations.

JSON rows keep `scenario`, `seeds`, `procedure`, and `false_claim_rate` (= best_excluded).
"""
from __future__ import annotations

import json

import numpy as np

CONFIGS = 9
CHANCE_THRESHOLD = 0.1285   # chance plus three binomial sds of 1,000 test images: report.stats.statistics
# The full build's CIFAR10 grid (mkreport all, full profile, 3 seeds, 2-core AMD EPYC AVX2, 2026-12-06):
# (label, mean, seed sd) of the final test accuracy; cifar10-collapse draws from these.
CIFAR10_GRID = (("sgd, lr=0.01", 0.254, 0.019), ("sgd, lr=0.001", 0.132, 0.021), ("sgd, lr=0.0001", 0.103, 0.002),
                ("adam, lr=0.01", 0.100, 0.000), ("adam, lr=0.001", 0.524, 0.013), ("adam, lr=0.0001", 0.418, 0.025),
                ("adagrad, lr=0.01", 0.319, 0.041), ("adagrad, lr=0.001", 0.198, 0.004),
                ("adagrad, lr=0.0001", 0.104, 0.004))
COLLAPSING, TRUE_BEST = "adagrad, lr=0.01", "adam, lr=0.001"

# (name, gap in sds, unequal spreads, seed correlation)
SCENARIOS = (("null", 0.0, False, 0.0), ("null-unequal", 0.0, True, 0.0), ("null-corr0.3", 0.0, False, 0.3),
             ("null-corr0.6", 0.0, False, 0.6), ("gap-1sd", 1.0, False, 0.0), ("gap-2sd", 2.0, False, 0.0),
             ("gap-3sd", 3.0, False, 0.0), ("gap-2sd-unequal", 2.0, True, 0.0), ("gap-2sd-corr0.3", 2.0, False, 0.3),
             ("gap-2sd-corr0.6", 2.0, False, 0.6))


def _grid(rng, seeds: int, gap: float, unequal: bool, correlation: float) -> dict[str, dict[int, float]]:
    sds = np.linspace(0.5, 2.0, CONFIGS) if unequal else np.ones(CONFIGS)
    if unequal:
        sds = np.roll(sds, 4)   # the better configuration (c0) has a middling spread, not the smallest
    means = np.zeros(CONFIGS)
    means[0] = gap
    seed_effect = rng.normal(0, 1, seeds)
    noise = rng.normal(0, 1, (CONFIGS, seeds))
    values = means[:, None] + sds[:, None] * (np.sqrt(correlation) * seed_effect + np.sqrt(1 - correlation) * noise)
    return {f"c{i}": dict(enumerate(values[i])) for i in range(CONFIGS)}


def _collapse_grid(rng, seeds: int) -> dict[str, dict[int, float]]:
    grid = {}
    for label, mean, sd in CIFAR10_GRID:
        values = rng.normal(mean, sd, seeds)
        if label == COLLAPSING:
            values = np.where(rng.random(seeds) < 1 / 3, 0.100, values)
        grid[label] = dict(enumerate(np.round(values, 3)))   # accuracies of 1,000 images: three decimals
    return grid


def _report(samples, threshold):
    from report.stats.best import best_set

    result = best_set(samples, threshold=threshold)
    return set(result.below), result.best, result.candidates


def _one_way(samples, threshold):
    return _report({label: list(v.values()) for label, v in samples.items()}, threshold)


def _noisy(rule: str):
    def procedure(samples, threshold):
        import report.stats.families as families

        saved = families.NOISY_RULE
        families.NOISY_RULE = rule
        try:
            return _report(samples, threshold)
        finally:
            families.NOISY_RULE = saved
    return procedure


def _no_flag(samples, threshold):
    import report.stats.families as families

    saved = families.FLAG
    families.FLAG = 0.0
    try:
        return _report(samples, threshold)
    finally:
        families.FLAG = saved


def _all_pairs_holm(samples, threshold):
    """The procedure before MCB: every pair two-sided, Holm over all pairs, one-way, every seed."""
    from report.stats.families import ErrorModel, compare_pairs

    lists = {label: list(v.values()) for label, v in samples.items()}
    order = sorted(lists, key=lambda label: -np.mean(lists[label]))
    pairs = [(a, b) for i, a in enumerate(order) for b in order[i + 1:]]
    verdicts = compare_pairs(lists, pairs, model=ErrorModel(lists))
    below = {v.b for v in verdicts.values() if v.verdict == "better"}
    candidates = [label for label in order if label not in below]
    return below, candidates[0] if len(candidates) == 1 else None, candidates


PROCEDURES = {"report": _report, "mcb-one-way": _one_way, "mcb-noisy-own": _noisy("max"),
              "mcb-noisy-welch": _noisy("welch"), "mcb-no-flag": _no_flag,
              "all-pairs-holm": _all_pairs_holm}


def _row(scenario, seeds, name, grids, counts, null: bool, extra=None) -> dict:
    excluded, named, power, sizes = counts
    return {"scenario": scenario, "seeds": seeds, "procedure": name,
            "best_excluded": excluded / grids, "false_claim_rate": excluded / grids,
            "tie_rate": excluded / grids if null else None,
            "power": None if null else power / grids, "named": None if null else named / grids,
            "set_size": sizes / grids, **(extra or {})}


def simulate(grids: int = 1000, seed: int = 0, procedures=None, only: set | None = None) -> list[dict]:
    """Every best-of row, then the pairwise families' rows; `only`: just these best-of scenarios."""
    rows = []
    for scenario, gap, unequal, correlation in SCENARIOS:
        if only and scenario not in only:
            continue
        for seeds in (2, 3):
            for name, procedure in (procedures or PROCEDURES).items():
                rng = np.random.default_rng(seed)   # every procedure sees the same grids
                excluded = np.zeros(CONFIGS)   # per configuration taken as the true best
                named = power = sizes = ties = 0
                runs = grids * (3 if unequal and gap == 0 else 1)   # a worst case needs more grids to be read
                for _ in range(runs):
                    samples = _grid(rng, seeds, gap, unequal, correlation)
                    below, best, candidates = procedure(samples, None)
                    for i in range(CONFIGS if gap == 0 else 1):
                        excluded[i] += f"c{i}" in below or (best is not None and gap > 0 and best != "c0")
                    ties += bool(below)
                    named += best == "c0"
                    power += "c1" in below
                    sizes += len(candidates)
                # all equal and exchangeable: the mean over the nine is the rate for each (the max of nine noisy
                # estimates would read about one standard error high); unequal spreads: the worst of the nine
                worst = excluded.max() if unequal and gap == 0 else excluded.mean() if gap == 0 else excluded[0]
                row = _row(scenario, seeds, name, runs, (worst, named, power, sizes), gap == 0)
                if gap == 0:
                    row["tie_rate"] = ties / runs
                rows.append(row)
    for seeds in (2, 3) if not only or "cifar10-collapse" in only else ():
        for name, procedure in (procedures or PROCEDURES).items():
            rng = np.random.default_rng(seed)
            excluded = named = kept = sizes = 0
            for _ in range(grids):
                below, best, candidates = procedure(_collapse_grid(rng, seeds), CHANCE_THRESHOLD)
                excluded += TRUE_BEST in below or (best is not None and best != TRUE_BEST)
                named += best == TRUE_BEST
                kept += COLLAPSING in candidates
                sizes += len(candidates)
            rows.append(_row("cifar10-collapse", seeds, name, grids, (excluded, named, 0, sizes), False,
                             {"power": None, "collapsing_kept": kept / grids}))
    return rows if only else rows + adaptive(grids, seed) + pairwise(grids, seed)


def pairwise(grids: int, seed: int) -> list[dict]:
    """Family-wise error of the pairwise sentences under equal means."""
    from report.stats.families import compare_pairs

    rows = []
    for family, k, pairs in (("3 cells, all pairs", 3, [(0, 1), (0, 2), (1, 2)]),
                             ("4 sizes, 3 steps", 4, [(1, 0), (2, 1), (3, 2)])):
        for scenario, unequal, correlation in (("null", False, 0.0), ("null-unequal", True, 0.0),
                                               ("null-corr0.6", False, 0.6)):
            for seeds in (2, 3):
                rng = np.random.default_rng(seed)
                errors = 0
                for _ in range(grids):
                    sds = np.linspace(0.5, 2.0, k) if unequal else np.ones(k)
                    shared = rng.normal(0, 1, seeds)
                    samples = {f"c{i}": dict(enumerate(sds[i] * (np.sqrt(correlation) * shared + np.sqrt(1 - correlation)
                                                                  * rng.normal(0, 1, seeds)))) for i in range(k)}
                    verdicts = compare_pairs(samples, [(f"c{a}", f"c{b}") for a, b in pairs])
                    errors += any(v.verdict in ("better", "worse") for v in verdicts.values())
                rows.append({"scenario": f"pairs: {family}, {scenario}", "seeds": seeds, "procedure": "report (Holm)",
                             "family_wise_error": errors / grids, "false_claim_rate": errors / grids})
    return rows


ADAPTIVE = (("null", 0.0, False), ("null-unequal", 0.0, True), ("gap-2sd", 2.0, False), ("gap-3sd", 3.0, False),
            ("cifar10-collapse", None, False))


def adaptive(grids: int, seed: int, first: int = 3) -> list[dict]:
    """`--resolve` (report.stats.sequential): from `first` seeds, a round adds one seed to every
    configuration that could still be the best (`adaptive`), or to every configuration (`uniform`), until
    a single best is named, the top is within the margin, or MAX_SEEDS; every look at the calibrated α′."""
    from report.stats.families import MARGIN
    from report.stats.sequential import FIRST_ROUND_SEED, MAX_SEEDS, round_candidates, sequential_best

    rows = []
    for scenario, gap, unequal in ADAPTIVE:
        for name in ("adaptive", "uniform"):
            rng = np.random.default_rng(seed)
            excluded = np.zeros(CONFIGS)
            named = extra = 0
            runs = grids * (3 if unequal else 1)
            for _ in range(runs):
                if gap is None:
                    full = {label: rng.normal(mean, sd, MAX_SEEDS) for label, mean, sd in CIFAR10_GRID}
                    full = {label: np.round(np.where((rng.random(MAX_SEEDS) < 1 / 3) & (label == COLLAPSING), 0.100, v), 3)
                            for label, v in full.items()}
                    threshold, best_label, margin = CHANCE_THRESHOLD, TRUE_BEST, MARGIN
                else:
                    grid = _grid(rng, MAX_SEEDS, gap, unequal, 0.0)
                    full = {label: np.array(list(v.values())) for label, v in grid.items()}
                    # in units of the seed sd the report's margin (0.01 of accuracy) means nothing: no margin stop
                    threshold, best_label, margin = None, "c0", 0.0
                seeds_of = {label: list(range(first)) for label in full}
                while True:
                    samples = {label: {s: float(full[label][i])
                                       for i, s in enumerate(seeds)} for label, seeds in seeds_of.items()}
                    sequence = sequential_best(samples, threshold, force=True)
                    if sequence.stop_reason(margin) != "open":
                        break
                    given = round_candidates(sequence) if name == "adaptive" else \
                        [label for label in full if len(seeds_of[label]) < MAX_SEEDS]
                    if not given or not round_candidates(sequence):
                        break
                    round_seed = FIRST_ROUND_SEED + sequence.rounds
                    for label in given:
                        seeds_of[label].append(round_seed)
                    extra += len(given)
                below, best = sequence.result.below, sequence.result.best
                if gap == 0:
                    for i in range(CONFIGS):
                        excluded[i] += f"c{i}" in below
                else:
                    excluded[0] += best_label in below or (best is not None and best != best_label)
                named += best == best_label
            worst = excluded.max() if unequal else excluded.mean() if gap == 0 else excluded[0]
            rows.append({"scenario": f"resolve: {scenario}", "seeds": first, "procedure": name,
                         "best_ever_excluded": worst / runs, "false_claim_rate": worst / runs,
                         "named": None if gap == 0 else named / runs, "extra_runs": extra / runs})
    return rows


def _cell(value) -> str:
    return "" if value is None else f"{value:.3f}"


def table(rows: list[dict]) -> str:
    best = [row for row in rows if "best_excluded" in row]
    lines = ["| scenario | seeds | procedure | best_excluded | tie_rate | power (c0 sets c1 aside) | named | "
             "set_size | collapsing kept |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in best:
        lines.append(f"| {row['scenario']} | {row['seeds']} | {row['procedure']} | {row['best_excluded']:.3f} | "
                     f"{_cell(row['tie_rate'])} | {_cell(row['power'])} | {_cell(row['named'])} | "
                     f"{row['set_size']:.2f} | {_cell(row.get('collapsing_kept'))} |")
    sequential = [row for row in rows if "best_ever_excluded" in row]
    if sequential:
        lines += ["", "| scenario | first seeds | procedure | best ever set aside | named | extra runs |",
                  "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {row['scenario']} | {row['seeds']} | {row['procedure']} | {row['best_ever_excluded']:.3f} | "
                  f"{_cell(row['named'])} | {row['extra_runs']:.1f} |" for row in sequential]
    lines += ["", "| pairwise family | seeds | procedure | family-wise error |", "| --- | --- | --- | --- |"]
    for row in rows:
        if "family_wise_error" in row:
            lines.append(f"| {row['scenario']} | {row['seeds']} | {row['procedure']} | {row['family_wise_error']:.3f} |")
    return "\n".join(lines)


def main(as_json: bool, grids: int, only: str | None = None, procedure: str | None = None,
         frontier: bool = False) -> None:
    """only: comma-separated best-of scenarios (no --resolve or pairwise rows); procedure: one of PROCEDURES."""
    if frontier:
        from .frontier import frontier as measure_frontier, table as frontier_table

        from .frontier import sequential_frontier

        rows, rounds = measure_frontier(grids), sequential_frontier(max(1000, grids // 10))
        print(json.dumps([{"procedure": name, **row} for name, row in rows]
                         + [{"procedure": name, "resolve": True, **row} for name, row in rounds], indent=1)
              if as_json else frontier_table(rows) + "\n\n" + frontier_table(rounds))
        return
    names = set(only.split(",")) if only else None
    unknown = (names or set()) - {s[0] for s in SCENARIOS} - {"cifar10-collapse"}
    if unknown or (procedure and procedure not in PROCEDURES):
        raise SystemExit(f"unknown scenario or procedure: {', '.join(sorted(unknown)) or procedure}")
    rows = simulate(grids, procedures={procedure: PROCEDURES[procedure]} if procedure else None, only=names)
    print(json.dumps(rows, indent=1) if as_json else table(rows))
