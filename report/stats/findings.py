"""What every section's sentences share: chance level, number formats, lists of names, notes.

The sentences themselves are computed in each section's module (report/sections/), from the
stored numbers; nothing here is written by hand for one result.
"""
from __future__ import annotations

import math

from .claims import Claim, describe, fmt, fmt_p, fmt_spread, power_caveat
from .statistics import WELCH, top_group
from .states import DIVERGED, FAILED

# How sentences name the optimizers.
OPTIMIZER_NAMES = {"sgd": "plain gradient descent", "adam": "Adam", "adagrad": "Adagrad"}

def ranking(configs, what: str = "configuration") -> Claim | None:
    """Which configuration is best, tested against seed noise: best, tie, or one seed (no ranking)."""
    return ranking_of({c.label: c.final_values() for c in configs if c.done}, what)


def ranking_of(samples: dict[str, list[float]], what: str) -> Claim | None:
    """ranking() over any labelled samples of final test accuracies."""
    if not samples:
        return None
    top, tied, comparisons = top_group(samples)
    if top is None:
        leader = max(samples, key=lambda label: sum(samples[label]) / len(samples[label]))
        mean = sum(samples[leader]) / len(samples[leader])
        return Claim(f"The highest final test accuracy, {fmt(mean)}, is {leader}'s; but with a single seed per "
                     f"{what}, nothing separates it from the others: no ranking is claimed.", "one-seed", samples)
    p_values = {label: c.p_value for label, c in comparisons.items()}
    if len(samples) == 1:
        return Claim(f"Only {describe(top, samples[top])} finished.", "observation", samples)
    if len(tied) == 1:
        return Claim(f"The best {what} is {describe(top, samples[top])}: every other {what} is below it "
                     f"beyond seed noise ({WELCH}, largest p = {max(p_values.values()):.3f}).",
                     "best", samples, WELCH, max(p_values.values()), "difference", {"p_values": p_values})
    others = [label for label in tied if label != top]
    smallest = min(p_values[label] for label in others)
    details = {"p_values": p_values, "tied": tied}
    if len(tied) == len(samples):
        text = (f"No {what} is separated from the one with the highest mean, {describe(top, samples[top])}: "
                f"all {len(samples)} are tied within seed noise ({WELCH}, α = 0.05, smallest p = {smallest:.3f}).")
    else:
        listed = (names(f"{describe(label, samples[label])}, {fmt_p(comparisons[label])}" for label in others)
                  if len(others) <= 3 else names(others) + f" (smallest p = {smallest:.3f})")
        text = (f"The highest mean is {describe(top, samples[top])}, but {listed} "
                f"{'is' if len(others) == 1 else 'are'} tied with it within seed noise ({WELCH}, α = 0.05): "
                f"the best group is {names(tied)}.")
    text += power_caveat(*(samples[label] for label in tied))
    return Claim(text, "tie", samples, WELCH, smallest, "tie", details)


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
