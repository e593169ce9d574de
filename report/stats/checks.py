"""Someone else's claims (a claims file: report/claims_file.py) checked against this build's runs.

Each check is a Claim of kind "earlier-report" whose text is the sentence the report prints and whose
verdict is one of:
- agrees / differs — a number agrees when it lies inside our 95 % prediction interval for one more run,
  mean ± t(0.975, n−1) · std · √(1 + 1/n) (the range one seed of ours would fall in: a weak check at 2–3
  seeds); "learns" agrees when every named configuration learned (or did not) as the report defines
  it; "best" agrees when the configuration is our single best (report/stats/families.py);
- not resolved — "best" for a configuration among those that could be our best;
- not comparable — the configuration has no finished run here, or one seed where a spread is needed.
"""
from __future__ import annotations

import math

from .claims import Claim, fmt_spread
from .best import best_set
from .statistics import spread

PREDICTION = 0.95
NOT_COMPARABLE = "not comparable"


def check(claim, configs, outcome) -> Claim:
    """One FileClaim against the section's ConfigSummary list; outcome(config) → learned / some seeds /
    chance / diverged / failed."""
    by_label = {c.label: c for c in configs}
    samples = {c.label: c.final_values() for c in configs if c.done}
    values = {label: samples.get(label, []) for label in claim.configs}
    if claim.kind == "test_accuracy":
        verdict, ours, why = _number(claim.value, samples.get(claim.configs[0], []))
    elif claim.kind == "learns":
        verdict, ours, why = _learns(claim, by_label, outcome)
    else:
        verdict, ours, why = _best(claim.configs[0], samples)
        values = samples
    text = f"{claim.text}; ours: {ours} — {verdict}: {why}."
    return Claim(text, "earlier-report", values, verdict=verdict,
                 details={"number": claim.number, "claim": claim.text, "earlier": _theirs(claim), "ours": ours,
                          "why": why})


def _theirs(claim) -> str:
    if claim.kind == "test_accuracy":
        return f"{claim.value:.4g}"
    if claim.kind == "learns":
        return "learns" if claim.value else "does not learn"
    return "best"


def _number(earlier: float, values: list[float]) -> tuple[str, str, str]:
    s = spread(values)
    if s.n == 0:
        return NOT_COMPARABLE, "no finished run", "this build has no finished run of it"
    if s.n < 2:
        return NOT_COMPARABLE, fmt_spread(s), "one seed gives no range to compare with"
    from scipy import stats

    half = stats.t.ppf(0.5 + PREDICTION / 2, s.n - 1) * s.std * math.sqrt(1 + 1 / s.n)
    inside = abs(earlier - s.mean) <= half
    return ("agrees" if inside else "differs"), fmt_spread(s), \
        f"{'inside' if inside else 'outside'} our 95 % range for one run, [{s.mean - half:.3f}, {s.mean + half:.3f}]"


def _learns(claim, by_label, outcome) -> tuple[str, str, str]:
    found = {label: outcome(by_label[label]) for label in claim.configs if label in by_label}
    if len(found) < len(claim.configs) or any(o in ("diverged", "failed") for o in found.values()):
        return NOT_COMPARABLE, "; ".join(f"{k}: {v}" for k, v in found.items()) or "no run", \
            "not every configuration has finished runs here"
    ours = "; ".join(f"{label}: {result}" for label, result in found.items())
    wrong = [label for label, result in found.items() if (result == "learned") != claim.value]
    if wrong:
        return "differs", ours, (f"{', '.join(wrong)} did not learn in every seed" if claim.value else
                                 f"{', '.join(wrong)} learned in every seed")
    return "agrees", ours, ("every seed learned (above chance by three binomial std)" if claim.value else
                            "no configuration learned in every seed")


def _best(wanted: str, samples: dict[str, list[float]]) -> tuple[str, str, str]:
    if wanted not in samples:
        return NOT_COMPARABLE, "no finished run", "this build has no finished run of it"
    ours = fmt_spread(spread(samples[wanted]))
    result = best_set(samples)
    if not result.tested or wanted in result.unranked:
        return NOT_COMPARABLE, ours, "one seed cannot rank configurations"
    if result.best == wanted:
        return "agrees", ours, "it is our best beyond seed noise"
    if wanted in result.candidates:
        return "not resolved", ours, ("our seeds do not separate it from "
                                      + ", ".join(c for c in result.candidates if c != wanted))
    return "differs", ours, f"the configurations that could be our best are {', '.join(result.candidates)}"
