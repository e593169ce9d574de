"""The earlier hand-made report (one seed per configuration), checked claim by claim against ours.

Its numbers are constants here, in one place, named as its own. Each check returns a Claim of
kind "earlier-report" whose verdict is agrees, differs, not resolved (our seeds do not separate what it
ranked) or not comparable (our build lacks the configuration, or has one seed where a spread is needed).
An earlier number "agrees" when it lies inside our 95 % prediction interval for one more run:
mean ± t(0.975, n−1) · std · √(1 + 1/n) — the range a single seed of ours would fall in.
"""
from __future__ import annotations

import math

from .claims import Claim, fmt_spread
from .families import best_set
from .statistics import spread

CNN_BEST = ("adam", 1e-3, 0.536)                       # (1) Adam best, at 1e-3, with 0.536
CNN_ADAM = {1e-4: 0.474, 1e-2: 0.305}                   # (2), (3)
CNN_ADAM_RATES = (1e-2, 1e-3, 1e-4)                     # (4) "Adam always works" at these rates
CNN_ONLY_AT_1E2 = ("sgd", "adagrad")                    # (5) work satisfactorily only at 1e-2
RNN_BASIC = {64: 0.8562, 128: 0.8826, 256: 0.8483}      # (6) basic RNN by hidden size
RNN_BEST = ("gru", 128)                                 # (7) best RNN configuration
PREDICTION = 0.95
NOT_COMPARABLE = "not comparable"


def _row(number: str, claim: str, earlier: str, ours: str, verdict: str, values: dict, why: str) -> Claim:
    return Claim(f"Earlier report ({number}): {claim} ({earlier}); ours: {ours} — {verdict}: {why}.",
                 "earlier-report", values, verdict=verdict,
                 details={"number": number, "claim": claim, "earlier": earlier, "ours": ours, "why": why})


def _number(number: str, claim: str, earlier: float, label: str, values: list[float]) -> Claim:
    s = spread(values)
    ours = fmt_spread(s)
    if s.n < 2:
        return _row(number, claim, f"{earlier:.4g}", ours, NOT_COMPARABLE, {label: values},
                    "one seed has no spread to compare a number with" if s.n else "not in this build")
    from scipy import stats

    half = stats.t.ppf(0.5 + PREDICTION / 2, s.n - 1) * s.std * math.sqrt(1 + 1 / s.n)
    inside = abs(earlier - s.mean) <= half
    return _row(number, claim, f"{earlier:.4g}", ours, "agrees" if inside else "differs", {label: values},
                f"{'inside' if inside else 'outside'} our 95 % range for one run, "
                f"[{s.mean - half:.3f}, {s.mean + half:.3f}]")


def _best(number: str, claim: str, earlier: str, wanted: str, samples: dict[str, list[float]]) -> Claim:
    """The earlier report ranked `wanted` first: is it our best beyond seed noise?"""
    ours = fmt_spread(spread(samples.get(wanted, [])))
    if wanted not in samples:
        return _row(number, claim, earlier, "not in this build", NOT_COMPARABLE, samples, "not in this build")
    result = best_set(samples)
    if not result.size:
        return _row(number, claim, earlier, ours, NOT_COMPARABLE, samples, "one seed cannot rank configurations")
    tied = result.candidates
    if result.best == wanted:
        return _row(number, claim, earlier, ours, "agrees", samples, "it is our best beyond seed noise")
    if wanted in tied:
        return _row(number, claim, earlier, ours, "not resolved", samples,
                    "our seeds do not separate it from " + ", ".join(t for t in tied if t != wanted))
    return _row(number, claim, earlier, ours, "differs", samples, f"the configurations that could be our best are {', '.join(tied)}")


def cnn_claims(configs, outcome) -> list[Claim]:
    """Claims (1)–(5). outcome(config) → learned / some seeds / chance / diverged / failed."""
    by_params = {(c.params["optimizer"], c.params["learning_rate"]): c for c in configs}
    samples = {c.label: c.final_values() for c in configs if c.done}

    def label(optimizer, rate):
        config = by_params.get((optimizer, rate))
        return config.label if config else f"{optimizer}, lr={rate:g}"

    claims = [_best("1", "Adam is best, at learning rate 1e-3", f"{CNN_BEST[2]:.3f}",
                    label(CNN_BEST[0], CNN_BEST[1]), samples)]
    for index, (rate, value) in zip(("2", "3"), CNN_ADAM.items()):
        claims.append(_number(index, f"Adam at {rate:g}", value, label("adam", rate),
                              samples.get(label("adam", rate), [])))
    adam = [by_params.get(("adam", rate)) for rate in CNN_ADAM_RATES]
    values = {label("adam", r): samples.get(label("adam", r), []) for r in CNN_ADAM_RATES}
    if any(c is None for c in adam):
        claims.append(_row("4", "Adam always works", "all three rates learn", "rates missing", NOT_COMPARABLE,
                           values, "this build lacks some of 1e-2, 1e-3, 1e-4"))
    else:
        failing = [c.label for c in adam if outcome(c) != "learned"]
        claims.append(_row("4", "Adam always works", "all three rates learn",
                           "; ".join(f"{c.label}: {outcome(c)}" for c in adam),
                           "differs" if failing else "agrees", values,
                           f"{', '.join(failing)} did not learn in every seed" if failing
                           else "every seed at every rate learned"))
    for optimizer in CNN_ONLY_AT_1E2:
        rates = sorted(rate for (opt, rate) in by_params if opt == optimizer)
        values = {by_params[(optimizer, r)].label: samples.get(by_params[(optimizer, r)].label, []) for r in rates}
        name = {"sgd": "Gradient descent", "adagrad": "Adagrad"}[optimizer]  # the earlier report's words
        if 1e-2 not in rates or len(rates) < 2:
            claims.append(_row("5", f"{name} works only at 1e-2", "learns at 1e-2 only", "rates missing",
                               NOT_COMPARABLE, values, "this build lacks 1e-2 or the other rates"))
            continue
        learned = [r for r in rates if outcome(by_params[(optimizer, r)]) == "learned"]
        ours = "learned at " + (", ".join(f"{r:g}" for r in learned) if learned else "no rate")
        claims.append(_row("5", f"{name} works only at 1e-2", "learns at 1e-2 only", ours,
                           "agrees" if learned == [1e-2] else "differs", values,
                           "a rate learns when every seed is above chance by three binomial std"))
    return claims


def rnn_claims(configs) -> list[Claim]:
    """Claims (6) and (7)."""
    samples = {c.label: c.final_values() for c in configs if c.done}
    by_params = {(c.params["cell"], c.params["hidden_size"]): c.label for c in configs}
    claims = []
    for hidden, value in RNN_BASIC.items():
        label = by_params.get(("rnn", hidden), f"rnn, {hidden} units")
        claims.append(_number("6", f"basic RNN, {hidden} units", value, label,
                              samples.get(label, [])))
    wanted = by_params.get(RNN_BEST, f"{RNN_BEST[0]}, {RNN_BEST[1]} units")
    claims.append(_best("7", "the best RNN is the GRU with 128 units", "GRU, 128 units", wanted, samples))
    return claims
