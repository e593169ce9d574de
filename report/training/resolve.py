"""`--resolve`: after a section's runs, more seeds only where "which is best" is open.

Round by round: read the section's runs, ask the sequential question (report/stats/sequential.py);
stop when it is decided, when every candidate has max_seeds seeds, or when the next round's estimate
(its runs' mean wall time from the stored seeds, packed onto the workers) would overrun the budget;
else write the round (a seed for each candidate) and train it. The rounds file is written before its
runs train, so a killed round is finished by the next command, and nothing a round trained is lost.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from ..results.rounds import add_round, read_rounds
from ..stats.sequential import FIRST_ROUND_SEED, round_candidates, sequential_best
from ..stats.statistics import chance_threshold
from ..stats.summary import by_config, images_tested
from .execute import RunTally, train_missing
from .plan import pack

REASONS = {"resolved": "resolved: a single best is named",
           "within margin": "the top is the best or within the equivalence margin of it",
           "max seeds": "every configuration that could be the best has max_seeds seeds"}


@dataclass
class Resolved:
    section: str
    reason: str
    rounds: int = 0          # rounds this command trained
    runs: int = 0
    candidates: list | None = None


def resolvable(ws, section) -> bool:
    """A section with a grid of its own (two or more configurations) whose report asks which is best:
    a section whose runs serve another question says RESOLVE = False (compare's two LeNet5s)."""
    return getattr(section.module, "RESOLVE", True) and len({spec.label for spec, _ in ws.planned([section])}) >= 2


def seconds_per_run(configs, label: str) -> float:
    """Mean wall time of a configuration's stored seeds (the round's runs are the same but for the seed)."""
    config = next(c for c in configs if c.label == label)
    walls = [r["wall_seconds"] for r in config.records if r.get("wall_seconds")]
    return sum(walls) / len(walls) if walls else math.nan


def resolve_section(ws, section, budget: float, max_seeds: int, console, executor, fail_fast: bool,
                    started: float, tally: RunTally) -> Resolved:
    """Rounds until decided or out of budget (seconds since `started`); the tally adds what they trained."""
    rounds = runs = 0
    while True:
        records = ws.records(section.name)
        configs = by_config(records)
        samples = {c.label: c.final_by_seed() for c in configs if c.done}
        sequence = sequential_best(samples, chance_threshold(images_tested(records)), force=True)
        reason = sequence.stop_reason()
        candidates = round_candidates(sequence, max_seeds)
        if not sequence.result.candidates and not sequence.one_seed:
            return Resolved(section.name, "nothing to resolve: no configuration learned (above chance) in two seeds")
        if reason == "open" and not candidates:
            reason = "max seeds"
        if reason != "open":
            return Resolved(section.name, REASONS[reason], rounds, runs, sequence.result.candidates)
        workers = executor.workers(len(candidates))
        estimate = pack([seconds_per_run(configs, label) for label in candidates], workers)
        left = budget - (time.monotonic() - started)
        if not estimate <= left:      # also where a candidate has no timed seed (nan)
            ahead = forecast(samples, chance_threshold(images_tested(records)), max_seeds)
            more = sorted(ahead["runs"])[len(ahead["runs"]) // 2]
            why = (f"budget spent: {len(sequence.result.candidates)} configurations could still be the best; "
                   f"the next round ({len(candidates)} runs, about {estimate:.0f} s) would overrun the "
                   f"{max(0.0, left):.0f} s left; about {more} more runs would decide it (the median of 100 "
                   "continuations simulated from the current means and seed spread)")
            if not rounds and not read_rounds(ws.store.output, section.name):
                why = (f"the budget is too small for one round: {len(candidates)} runs, about {estimate:.0f} s "
                       f"(budget {budget:.0f} s); {len(sequence.result.candidates)} configurations could be the best")
            return Resolved(section.name, why, rounds, runs, sequence.result.candidates)
        seed = FIRST_ROUND_SEED + len(read_rounds(ws.store.output, section.name))
        add_round(ws.store, section.name, seed, candidates)
        spent = time.monotonic() - started
        console.say(f"resolve {section.name}: round {sequence.rounds + 1}, seed {seed} for the {len(candidates)} "
                    f"configuration(s) that could still be the best ({', '.join(candidates)}); about "
                    f"{estimate:.0f} s; {spent:.0f} s spent, " + ("no time limit" if math.isinf(budget) else
                                                                   f"{max(0.0, left):.0f} s of the budget left"))
        trained = train_missing(ws, [section], False, fail_fast, console, executor)
        tally.trained += trained.trained
        tally.failed += trained.failed
        rounds, runs = rounds + 1, runs + len(candidates)
        if trained.interrupted or trained.failed:
            tally.interrupted = trained.interrupted
            return Resolved(section.name, "stopped: a run of the round " + ("was interrupted" if trained.interrupted
                                                                            else "failed"), rounds, runs)


def forecast(samples: dict, threshold: float | None, max_seeds: int, simulations: int = 100) -> dict:
    """What resolving would cost from here: the sequence continued `simulations` times with new seeds drawn
    from each configuration's current mean and the family's pooled seed sd (seeded: the same forecast
    for the same results). → {"runs": [extra runs per continuation], "resolved": share decided before
    max_seeds}."""
    import numpy as np

    from ..stats.families import ErrorModel

    model = ErrorModel(samples)
    sd = float(np.sqrt(model.variance)) if model.variance > 0 else 0.0
    rng = np.random.default_rng(35)
    runs, decided = [], 0
    for _ in range(simulations):
        continued = {label: dict(v) for label, v in samples.items()}
        added = 0
        while True:
            sequence = sequential_best(continued, threshold, force=True)
            candidates = round_candidates(sequence, max_seeds)
            if sequence.stop_reason() != "open" or not candidates:
                decided += sequence.stop_reason() in ("resolved", "within margin")
                break
            seed = FIRST_ROUND_SEED + sequence.rounds
            for label in candidates:
                mean = model.means.get(label, float(np.mean(list(samples[label].values()))))
                continued[label][seed] = float(rng.normal(mean, sd))
            added += len(candidates)
        runs.append(added)
    return {"runs": runs, "resolved": decided / simulations}


def plan_lines(ws, sections, max_seeds: int, workers: int) -> list[str]:
    """`mkreport plan --resolve`: per section with a grid, the first round and the expected cost to resolve."""
    import numpy as np

    from ..errors import NoResults
    from .progress import format_duration

    lines = []
    for section in sections:
        if not resolvable(ws, section):
            continue
        try:
            records = ws.records(section.name)
        except NoResults:
            lines.append(f"resolve {section.name}: decided after the grid's runs (none is stored yet)")
            continue
        configs = by_config(records)
        samples = {c.label: c.final_by_seed() for c in configs if c.done}
        threshold = chance_threshold(images_tested(records))
        sequence = sequential_best(samples, threshold, force=True)
        candidates = round_candidates(sequence, max_seeds)
        reason = sequence.stop_reason()
        if reason != "open" or not candidates:
            lines.append(f"resolve {section.name}: nothing to train ({REASONS.get(reason, 'every candidate has max_seeds seeds') if sequence.result.candidates or sequence.one_seed else 'no configuration learned'})")
            continue
        per_run = {label: seconds_per_run(configs, label) for label in candidates}
        first = pack(list(per_run.values()), workers)
        ahead = forecast(samples, threshold, max_seeds)
        median, high = np.percentile(ahead["runs"], [50, 90])
        mean_run = float(np.nanmean(list(per_run.values())))
        lines.append(f"resolve {section.name}: {len(sequence.result.candidates) + len(sequence.one_seed)} of "
                     f"{len(samples)} configurations could still be the best; first round: {len(candidates)} runs "
                     f"({', '.join(candidates)}), ≈{format_duration(first)}; to resolve: about {median:.0f} more runs "
                     f"(90 % within {high:.0f}), ≈{format_duration(mean_run * median / max(1, workers))}; decided "
                     f"before {max_seeds} seeds in {ahead['resolved']:.0%} of 100 continuations simulated from the "
                     "current means and seed spread")
    return lines
