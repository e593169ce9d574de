"""What every section's sentences share: chance level, number formats, lists of names, notes.

The sentences themselves are computed in each section's module (report/sections/), from the
stored numbers; nothing here is written by hand for one result.
"""
from __future__ import annotations

import math
from dataclasses import replace

from .claims import Claim, describe, fmt, fmt_spread
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

def ranking(configs, what: str = "configuration", family: str | None = None,
            threshold: float | None = None) -> Claim | None:
    """Which configurations could be the best, one family against seed noise; seeds at or below
    threshold never learned and are counted apart."""
    return ranking_of({c.label: c.final_by_seed() for c in configs if c.done}, what, family, threshold)


def _plural(phrase: str, count: int) -> str:
    """'configuration' → 'configurations', 'Adam learning rate' → 'Adam learning rates', 'cell at 64 units'
    → 'cells at 64 units' (the noun before ' at ' is the head)."""
    if count == 1:
        return phrase
    head, at, rest = phrase.partition(" at ")
    words = head.split(" ")
    words[-1] = words[-1][:-1] + "ies" if words[-1].endswith("y") else words[-1] + "s"
    return " ".join(words) + at + rest


def _is(count: int) -> str:
    return "is" if count == 1 else "are"


def _unranked_words(result) -> str:
    """' X never learned (0 of 3 seeds above chance) and is not ranked. Y has a single finished seed …'"""
    words = ""
    for reason in ("never learned", "one seed", "no finished run"):
        labels = [label for label, why in result.unranked.items() if why == reason]
        if not labels:
            continue
        if reason == "never learned":
            words += f" {names(labels)} never learned (no seed above chance) and {_is(len(labels))} not ranked."
        elif reason == "one seed":
            learned_one = [label for label in labels if result.learned.get(label, (1, 1))[1] > 1]
            plain = [label for label in labels if label not in learned_one]
            if plain:
                words += (f" {names(plain)} {'has' if len(plain) == 1 else 'have'} a single finished seed and "
                          f"{_is(len(plain))} not ranked.")
            if learned_one:
                words += f" {names(learned_one)} learned in a single seed and {_is(len(learned_one))} not ranked."
        else:
            words += f" {names(labels)} {'has' if len(labels) == 1 else 'have'} no finished run."
    partial = [f"{label} ({k} of {n} seeds)" for label, (k, n) in result.learned.items()
               if 1 < k < n and label not in result.unranked]
    if partial:
        words += f" Compared over the seeds that learned: {names(partial)}."
    return words


def ranking_of(samples: dict, what: str, family: str | None = None, threshold: float | None = None,
               higher_is_better: bool = True, measure: str = "", margin: float | None = None) -> Claim | None:
    """"Which is best" over labelled per-seed values (lists, or dicts seed → value), by multiple
    comparisons with the best (report/stats/best.py): the best, the best or within the margin of it,
    the set that could be the best, or no ranking where fewer than two configurations have two seeds.
    measure: the metric's words where it is not accuracy ("mean absolute error"); margin: the equivalence
    margin in the metric's units (None: the accuracy margin; 0: none — a metric whose units the report
    cannot judge)."""
    from .best import best_set, within_margin
    from .families import MARGIN

    if not samples:
        return None
    values = {label: list(v.values()) if isinstance(v, dict) else list(v) for label, v in samples.items()}
    result = best_set(samples, threshold=threshold, higher_is_better=higher_is_better)
    sequence = None
    if all(isinstance(v, dict) for v in samples.values()):
        from .sequential import sequential_best

        sequence = sequential_best(samples, threshold, higher_is_better)
        if sequence is not None:
            result = sequence.result
    name = family or f"ranking of every {what}"
    by = f" by {measure}" if measure else ""
    # where lower is better (an error), "above" would read wrong: a better one has a lower error
    better = "above" if higher_is_better else f"with a lower {measure or 'value'}"
    aside = _unranked_words(result)
    family_json = {"name": name, "size": len(result.candidates) + len(result.below),
                   "comparisons": result.comparisons}
    highest = "highest" if higher_is_better else "lowest"
    if not result.tested:
        ranked = result.candidates
        if len(ranked) >= 2:   # every comparison had zero spread on both sides: no p-value to invent
            listed = names(describe(label, values[label]) for label in ranked)
            return Claim(f"No {what} is tested against another: every seed of each reached the same value "
                         f"({listed}), so there is no seed noise to test a difference against; no ranking is "
                         f"claimed.{aside}", "observation", values, verdict="zero spread", family=family_json)
        finished = {label: v for label, v in values.items() if v}
        if len(finished) == 1:
            label = next(iter(finished))
            return Claim(f"Only {describe(label, finished[label])} finished.{aside}", "observation", values)
        if not finished:
            return Claim(f"No {what} finished.", "observation", values)
        leader = max(finished, key=lambda label: (1 if higher_is_better else -1) * sum(finished[label]) / len(finished[label]))
        mean = sum(finished[leader]) / len(finished[leader])
        never = {label: why for label, why in result.unranked.items() if why == "never learned"}
        aside = _unranked_words(replace(result, unranked=never, learned={})) if never else ""
        if ranked:
            single = [label for label in finished if label not in ranked and label not in never]
            # a configuration with more seeds of which one learned did not have "a single finished seed"
            learned_one = [label for label in single if result.learned.get(label, (1, 1))[1] > 1]
            plain = [label for label in single if label not in learned_one]
            parts = ([f"{names(plain)} {'has' if len(plain) == 1 else 'have'} a single finished seed"] if plain else []) \
                + ([f"{names(learned_one)} learned in a single seed"] if learned_one else [])
            alone = f" ({'; '.join(parts)})" if parts else ""
            why = (f"only {ranked[0]} has more than one{' learned' if threshold is not None else ''} seed{alone}, "
                   "so nothing is ranked")
        else:
            why = f"with a single seed per {what}, nothing separates it from the others: no ranking is claimed"
        return Claim(f"The {highest} final value{by}, {fmt(mean)}, is that of {leader}; but {why}.{aside}", "one-seed",
                     values, family={"name": name, "size": 0})
    test = (f"multiple comparisons with the best: one-sided Dunnett, {result.comparisons} "
            f"comparison{'s' if result.comparisons > 1 else ''} each, α = 0.05; {result.test}")
    if sequence is not None:
        aside = _rounds_words(sequence) + aside
        test = (f"sequential multiple comparisons with the best over {len(sequence.looks)} looks, each at "
                f"α′ = {sequence.level:.4f} so that the best is set aside at most 5 % over the whole sequence; "
                f"one-sided Dunnett, {result.comparisons} comparison{'s' if result.comparisons > 1 else ''} each; "
                f"{result.test}")
    details = {"candidates": result.candidates,
               "below": {label: {"above_it": s.above, "beyond_noise_by": round(s.margin, 6), "test": s.comparison.test,
                                 "df": s.comparison.df} for label, s in result.below.items()},
               "learned": {label: list(kn) for label, kn in result.learned.items()},
               "unranked": result.unranked, "within": result.within, "dunnett_quantile": result.quantile}
    if sequence is not None:
        details["sequential"] = {"level": sequence.level, "stopped": sequence.stop_reason(),
                                 "looks": [{"seeds": look.seeds, "set_aside": look.set_aside,
                                            "candidates": look.candidates} for look in sequence.looks]}
    common = dict(test=test, details=details, df=result.df, family=family_json)
    top = result.candidates[0]
    ranked = len(result.candidates) + len(result.below)
    if result.best:
        return Claim(f"The best {what}{by} is {describe(top, values[top])}: every other {what} has one "
                     f"{better} {'it ' if higher_is_better else 'than it '}beyond seed noise, so none of them can be the best "
                     f"({test}).{aside}", "best", values,
                     verdict="best", **common)
    count = len(result.candidates)
    others = [label for label in result.candidates if label != top]
    listed = names(describe(label, values[label]) for label in others) if len(others) <= 4 else names(others)
    pronoun = "it" if ranked - count == 1 else "each"
    beaten = (f"another is above {pronoun}" if higher_is_better
              else f"another has a lower {measure or 'value'} than {pronoun}")
    rest = (f"; the other {ranked - count} {_is(ranked - count)} not the best ({beaten} beyond seed noise)"
            if ranked > count else "")
    if within_margin(result, MARGIN if margin is None else margin):
        return Claim(f"The {what} with the {highest} mean{by}, {describe(top, values[top])}, is the best or within "
                     f"{result.within:.3f} of it; {listed} could also be the best{rest} ({test}).{aside}",
                     "within-margin", values, verdict="within margin", **common)
    if count == ranked:
        lead = (f"Neither {what} is separated from the other: both could be the best" if ranked == 2 else
                f"No {what} is set aside: all {ranked} could be the best{by}")
    else:
        everyone = names(describe(label, values[label]) for label in result.candidates) if count <= 4 else \
            names(result.candidates)
        lead = f"{count} of the {ranked} {_plural(what, ranked)} could be the best{by}: {everyone}{rest}"
    seeds = min(result.learned[label][0] for label in result.candidates)
    unseen = (f" With {seeds} seeds a side, a {what} less than {result.detectable:.3f} "
              f"{'below' if higher_is_better else 'above'} the best would "
              f"likely not be set aside." if result.detectable else "")
    return Claim(f"{lead} ({test}): the data do not resolve which is best.{unseen}{aside}",
                 "not-resolved", values, verdict="not resolved", **common)


STOPPED = {"resolved": "they stopped when a single best was named",
           "within margin": "they stopped when the top was within the equivalence margin of the best",
           "max seeds": "they stopped with every configuration that could be the best at the most seeds allowed",
           "open": "they stopped before the question was decided (the time budget, or not run to the end)"}


def _rounds_words(sequence) -> str:
    """' More seeds went only where the question was open (--resolve): 2 rounds, 5 runs …'"""
    last, first = sequence.looks[-1].seeds, sequence.looks[0].seeds
    grown = [f"{label} {first[label]} → {last[label]}" for label in last if last[label] > first[label]]
    return (f" More seeds went only where the question was open (--resolve): {sequence.rounds} "
            f"round{'s' if sequence.rounds != 1 else ''}, {sequence.added_runs} run{'s' if sequence.added_runs != 1 else ''} "
            f"(seeds: {names(grown)}); {STOPPED[sequence.stop_reason()]}.")


def still_learning(configs, threshold: float | None = None) -> dict[str, float]:
    """label → how much its mean test accuracy rose over the last evaluation interval, for each
    configuration that learned and rose by more than the equivalence margin: its curve has not levelled."""
    from .families import MARGIN

    rising = {}
    for config in configs:
        _, mean, _ = config.curve("test_accuracy")
        learned = threshold is None or (len(mean) and mean[-1] > threshold)
        if len(mean) >= 2 and learned and mean[-1] - mean[-2] > MARGIN:
            rising[config.label] = float(mean[-1] - mean[-2])
    return rising


def draft_claim(configs, rising: dict[str, float], what: str = "configuration") -> Claim:
    """A draft's words where its budget is too small to rank: the curves still rise."""
    from .families import MARGIN

    steepest = sorted(rising, key=rising.get, reverse=True)
    shown = names(f"{label} by {rising[label]:.3f}" for label in steepest[:4]) + (" …" if len(steepest) > 4 else "")
    return Claim(f"Draft budget: too small to rank these {_plural(what, 2)}. The test accuracy of {len(rising)} of "
                 f"{len(configs)} was still rising by more than {MARGIN} per evaluation at the end ({shown}), so "
                 "an order at this budget is of how fast they learn, not of where they end; the full profile "
                 "(mkreport all) ranks them.", "observation",
                 {c.label: c.final_values() for c in configs}, verdict="draft budget", details={"rising": rising})


def standing(label: str, best: Claim | None) -> str:
    """What a ranking claim said of a configuration's learned seeds ('' where it says nothing)."""
    details = best.details if best is not None else {}
    if label in details.get("below", {}):
        return "its learned seeds are below the best"
    if details.get("candidates") == [label] and best.kind == "best":
        return "over its learned seeds it is the best"
    if label in details.get("candidates", []):
        return "over its learned seeds it could be the best"
    return "it is not ranked" if label in details.get("unranked", {}) else ""


def partly_learned(label: str, by_seed: dict, threshold: float, best: Claim | None = None) -> Claim:
    """'X learned in 2 of 3 seeds (seed 1 at 0.100 stayed at or below 0.128; 95 % interval …); its
    learned seeds are below the best.' — a seed that never learned is counted apart from seed noise."""
    from .statistics import share_interval

    below = [f"seed {seed} at {value:.3f}" for seed, value in by_seed.items() if value <= threshold]
    n = len(by_seed)
    k = n - len(below)
    low, high = share_interval(k, n)
    said = standing(label, best)
    return Claim(f"{label} learned in {k} of {n} seeds ({names(below)} stayed at or below {threshold:.3f}; 95 % "
                 f"interval of the share of seeds that learn: {low:.2f}–{high:.2f})" + (f"; {said}" if said else "")
                 + ".", "learned", {label: list(by_seed.values())}, verdict="some seeds",
                 details={"learned": k, "seeds": n, "share_interval": [low, high]})


def accuracy_cell(summary, metric: str = "test_accuracy") -> str:
    """'0.512 ± 0.010 (n=3)', or what happened instead of a number."""
    s = summary.spread(metric)
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
