"""What every section's sentences share: chance level, number formats, lists of names, notes.

The sentences themselves are computed in each section's module (report/sections/), from the
stored numbers; nothing here is written by hand for one result.
"""
from __future__ import annotations

import math

from .claims import Claim, describe, fmt, fmt_spread
from .families import best_set
from .states import DIVERGED, FAILED

# How sentences name the optimizers.
OPTIMIZER_NAMES = {"sgd": "plain gradient descent", "momentum": "gradient descent with momentum",
                   "nesterov": "gradient descent with Nesterov momentum", "adam": "Adam", "adagrad": "Adagrad",
                   "rmsprop": "RMSProp"}


def optimizer_words(params: dict) -> str:
    """'Adam', 'gradient descent with momentum 0.9', 'RMSProp with momentum 0.5'."""
    words = OPTIMIZER_NAMES[params["optimizer"]]
    if "momentum" not in params:
        return words
    return f"{words} {params['momentum']:g}" if params["optimizer"] != "rmsprop" else f"{words} with momentum {params['momentum']:g}"

def ranking(configs, what: str = "configuration", family: str | None = None) -> Claim | None:
    """Which configurations could be the best, tested as one family against seed noise."""
    return ranking_of({c.label: c.final_values() for c in configs if c.done}, what, family)


def _p(value: float) -> str:
    """'= 0.012', or '< 0.001' (never 'p = 0.000')."""
    return "< 0.001" if value < 0.001 else f"= {value:.3f}"


def _plural(phrase: str, count: int) -> str:
    """'configuration' → 'configurations', 'Adam learning rate' → 'Adam learning rates', 'cell at 64 units'
    → 'cells at 64 units' (the noun before ' at ' is the head)."""
    if count == 1:
        return phrase
    head, at, rest = phrase.partition(" at ")
    words = head.split(" ")
    words[-1] = words[-1][:-1] + "ies" if words[-1].endswith("y") else words[-1] + "s"
    return " ".join(words) + at + rest


def ranking_of(samples: dict[str, list[float]], what: str, family: str | None = None) -> Claim | None:
    """ranking() over any labelled samples of final test accuracies: best, the set that could be best
    (not resolved), or no test where fewer than two configurations have two seeds."""
    if not samples:
        return None
    result = best_set(samples)
    name = family or f"ranking of every {what}"
    aside = ""
    if result.set_aside:
        aside = (f" {names(result.set_aside)} {'has' if len(result.set_aside) == 1 else 'have'} a single finished "
                 f"seed and {'is' if len(result.set_aside) == 1 else 'are'} not ranked.")
    if len(result.candidates) < 2 and not result.size:
        if len(samples) == 1:
            label = next(iter(samples))
            return Claim(f"Only {describe(label, samples[label])} finished.", "observation", samples)
        leader = max(samples, key=lambda label: sum(samples[label]) / len(samples[label]))
        mean = sum(samples[leader]) / len(samples[leader])
        return Claim(f"The highest final test accuracy, {fmt(mean)}, is that of {leader}; but with a single seed per "
                     f"{what}, nothing separates it from the others: no ranking is claimed.", "one-seed", samples,
                     family={"name": name, "size": 0})
    if result.test is None:   # every pair had zero spread on both sides: no p-value to invent
        listed = names(describe(label, samples[label]) for label in result.candidates)
        return Claim(f"No {what} is tested against another: every seed of each reached the same final test accuracy "
                     f"({listed}), so there is no seed noise to test a difference against; no ranking is claimed.",
                     "observation", samples, verdict="zero spread", family={"name": name, "size": result.size})
    details = {"candidates": result.candidates,
               "below": {label: {"above_it": v.a, "p_adjusted": v.p_adjusted} for label, v in result.below.items()}}
    test = f"{result.test}, every pair, Holm-adjusted over {result.size}"
    family_json = {"name": name, "size": result.size}
    top = result.candidates[0]
    if result.best:
        largest = max(v.p_adjusted for v in result.below.values())
        return Claim(f"The best {what} is {describe(top, samples[top])}: every other {what} is below it beyond "
                     f"seed noise ({test} pairs; largest adjusted p {_p(largest)}).{aside}",
                     "best", samples, test, None, "better", details, df=result.df, p_adjusted=largest,
                     family=family_json)
    count = len(result.candidates)
    ranked = len(samples) - len(result.set_aside)
    listed = names(describe(label, samples[label]) for label in result.candidates) if count <= 4 else \
        names(result.candidates)
    if count == ranked:
        lead = (f"Neither {what} is separated from the other: both could be the best" if ranked == 2 else
                f"No {what} is separated from another: all {ranked} could be the best")
    else:
        lead = f"{count} of the {ranked} {_plural(what, ranked)} could be the best: {listed}; the other {ranked - count} {'is' if ranked - count == 1 else 'are'} below one of them"
    seeds = min(len(samples[label]) for label in result.candidates)
    unseen = (f" With {seeds} seeds a side, a difference smaller than {result.detectable:.3f} would go unseen."
              if result.detectable else "")
    return Claim(f"{lead} ({test} pairs, α = 0.05): the data do not resolve which is best.{unseen}{aside}",
                 "not-resolved", samples, test, None, "not resolved", details, df=result.df, family=family_json)


def accuracy_cell(summary) -> str:
    """'0.512 ± 0.010 (n=3)', or what happened instead of a number."""
    s = summary.spread()
    if s.n == 0:
        return "failed" if summary.status == FAILED else "diverged"
    text = fmt_spread(s)
    notes = []
    if summary.diverged:
        notes.append(f"{len(summary.diverged)} diverged")
    if summary.failed:
        notes.append(f"{len(summary.failed)} failed")
    return text + (" — " + ", ".join(notes) if notes else "")


def seconds(value: float) -> str:
    return f"{value:.1f} s" if math.isfinite(value) else "n/a"


def outcome(summary, threshold: float) -> str:
    """learned (every done seed above threshold), some seeds, chance (none above), diverged or failed."""
    values = summary.final_values()
    if not values:
        return "failed" if summary.status == FAILED else "diverged"
    above = sum(v > threshold for v in values)
    return "learned" if above == len(values) else "chance" if above == 0 else "some seeds"


def names(labels) -> str:
    """'a', 'a and b', 'a, b and c'."""
    labels = list(labels)
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def run_notes(summaries) -> list[str]:
    """One note per run that diverged or failed."""
    notes = []
    for summary in summaries:
        for record in summary.records:
            if record["state"] == DIVERGED:
                notes.append(f"{summary.label}, seed {record['seed']}: diverged at epoch {record['diverged_epoch']}")
            elif record["state"] == FAILED:
                notes.append(f"{summary.label}, seed {record['seed']}: failed — {record['error']}")
    return notes
