"""Someone else's claims (a claims file: report/claims_file.py) checked against this build's runs.

Each check is a Claim of kind "earlier-report" whose text is the sentence the report prints and whose
verdict is agrees, differs, not resolved or not comparable (docs/claims.md says each rule in words):

- a number (test or train accuracy, a loss) is one run of theirs (or the mean of their `seeds` runs): it
  could have been our mean plus seed noise (our seed variance, pooled over the section's configurations)
  plus, for an accuracy, the binomial noise of their test set (at its worst, p = 0.5, so that every claim
  of a section is judged on one scale). It *agrees* when it lies within ±MARGIN of our mean; it *differs*
  when it lies beyond MARGIN by more than that noise allows (a one-sided t-test, Holm over the file's number
  claims of the section); else it is *not resolved*, with the number of our seeds;
- learns / does not learn: per configuration, each seed above chance or not (report/stats/statistics.py);
- best (a configuration, or a group of them): multiple comparisons with the best over the set it is
  claimed the best of (report/stats/best.py): agrees when every configuration that could be our best is in
  the group, differs when none is, not resolved otherwise;
- above, equivalent and trend: the pairwise family of the file's claims of that kind (Holm,
  report/stats/families.compare_pairs);
- not comparable: no finished run here, or the claimant trained with another budget (unless the file
  says compare_anyway).
"""
from __future__ import annotations

import math

from .claims import Claim, fmt, fmt_p, fmt_spread
from .families import MARGIN, ErrorModel, compare_pairs, holm
from .statistics import learned_values, spread

NOT_COMPARABLE = "not comparable"
NUMBERS = ("test_accuracy", "train_accuracy", "test_loss", "train_loss")
ALPHA = 0.05
BUDGET_WORDS = {"epochs": "{} epochs", "samples_per_epoch": "{:,} samples an epoch", "batch_size": "batch {}",
                "test_samples": "{:,} test images", "seeds": "seeds"}
COMPARED = ("epochs", "samples_per_epoch", "batch_size", "test_samples")


def budget_of(configs) -> dict:
    """This build's budget for a section, from its runs' params."""
    params = next((c.params for c in configs), {})
    seeds = max((len(c.records) for c in configs), default=0)
    return {**{key: params[key] for key in COMPARED if key in params}, "seeds": seeds}


def budget_words(budget: dict) -> str:
    from .claims import count

    words = [count(value, "seed") + " a number" if key == "seeds" else BUDGET_WORDS[key].format(value)
             for key, value in budget.items() if key in BUDGET_WORDS]
    return ", ".join(words) or "not stated"


def tally(checks: list[Claim]) -> str:
    """'3 agree, 3 differ, 2 not resolved'."""
    plural = {"agrees": "agree", "differs": "differ"}
    counts: dict[str, int] = {}
    for claim in checks:
        verdict = claim.verdict.split(" (")[0]
        counts[verdict] = counts.get(verdict, 0) + 1
    return ", ".join(f"{n} {plural.get(verdict, verdict) if n > 1 else verdict}" for verdict, n in counts.items())


def check_all(claims, configs, outcome, threshold: float | None = None, theirs: dict | None = None,
              compare_anyway: bool = False) -> list[Claim]:
    """Every claim of one section (FileClaim list) against its ConfigSummary list, each kind as one
    family; outcome(config) → learned / some seeds / chance / diverged / failed; theirs: the claimant's
    budget for this section."""
    ours_budget = budget_of(configs)
    theirs = theirs or {}
    different = {key: (theirs[key], ours_budget[key]) for key in COMPARED
                 if key in theirs and key in ours_budget and theirs[key] != ours_budget[key]}
    found = {}
    scored_by = next((r["task"]["metric"] for c in configs for r in c.records if r.get("task")), "accuracy")
    if scored_by != "accuracy":   # a task of one's own scored by an error or AUC: the file's kinds are accuracies
        for claim in claims:
            found[claim] = (NOT_COMPARABLE, "—", f"this section is scored by {scored_by}, not accuracy: the claims "
                            "file's numbers and rankings are of accuracy", {})
    elif different and not compare_anyway:
        why = ("trained with another budget (theirs: " + budget_words(theirs) + "; ours: "
               + budget_words(ours_budget) + "); compare_anyway = true in the claims file checks them all the same")
        for claim in claims:
            found[claim] = (NOT_COMPARABLE, "—", why, {})
    else:
        remaining = list(claims)
        numbers = [c for c in remaining if c.kind in NUMBERS]
        found.update(_numbers(numbers, configs, {"test_samples": ours_budget.get("test_samples", 1000), **theirs}))
        for claim in remaining:
            if claim.kind == "learns":
                found[claim] = _learns(claim, {c.label: c for c in configs}, outcome)
            elif claim.kind == "best":
                found[claim] = _best(claim, configs, threshold)
        for kind in ("above", "equivalent", "trend"):
            found.update(_pairs([c for c in remaining if c.kind == kind], configs, kind, threshold))
    checks = []
    for claim in claims:
        verdict, ours, why, extra = found[claim]
        values = {label: c.final_values(f"test_{scored_by}") for label in claim.configs for c in configs
                  if c.label == label}
        checks.append(Claim(f"{claim.text}; ours: {ours} — {verdict}: {why}.", "earlier-report", values,
                            verdict=verdict, details={"number": claim.number, "claim": claim.text,
                                                      "theirs": _theirs(claim), "ours": ours, "why": why,
                                                      "kind": claim.kind, **extra}))
    return checks


def check(claim, configs, outcome) -> Claim:
    """One claim alone (its own family)."""
    return check_all([claim], configs, outcome)[0]


def _theirs(claim) -> str:
    if claim.kind in NUMBERS:
        return f"{claim.value:.4g}"
    if claim.kind == "learns":
        return "learns" if claim.value else "does not learn"
    if claim.kind == "best":
        return f"{claim.value} is the best"
    if claim.kind == "trend":
        return claim.value
    return f"{claim.configs[0]} {'above' if claim.kind == 'above' else 'equivalent to'} {claim.configs[1]}"


def _numbers(claims, configs, theirs: dict) -> dict:
    """The file's number claims of one section, one family: agrees within ±MARGIN of our mean, differs
    beyond it by more than their noise and ours allow (Holm), else not resolved."""
    from scipy import stats

    results, tests = {}, {}
    for claim in claims:
        metric = claim.kind
        samples = {c.label: c.final_values(metric) for c in configs if c.done}
        values = samples.get(claim.configs[0], [])
        s = spread(values)
        if s.n == 0:
            results[claim] = (NOT_COMPARABLE, "no finished run", "this build has no finished run of it", {})
            continue
        model = ErrorModel(samples, flag=0.0)    # one-way pool: a run of theirs has its own seed effect
        difference = claim.value - s.mean
        their_runs = theirs.get("seeds", 1)
        binomial = 0.25 / theirs["test_samples"] if "accuracy" in metric else 0.0   # default: this build's test set
        variance = model.variance * (1 / s.n + 1 / their_runs) + binomial / their_runs
        ours = fmt_spread(s)
        if model.df < 1 or variance <= 0:
            results[claim] = ("agrees" if abs(difference) <= MARGIN else "not resolved", ours,
                              f"{'within' if abs(difference) <= MARGIN else 'outside'} ±{MARGIN:.2f} of our mean, and "
                              f"no seed spread here to judge a larger difference (n = {s.n})", {})
            continue
        se = math.sqrt(variance)
        q = float(stats.t.ppf(1 - ALPHA / 2, model.df))
        low, high = max(0.0, s.mean - MARGIN - q * se), s.mean + MARGIN + q * se
        if "accuracy" in metric:
            high = min(1.0, high)
        extra = {"range": [low, high], "se": se, "df": model.df}
        if abs(difference) <= MARGIN:
            results[claim] = ("agrees", ours, f"within ±{MARGIN:.2f} of our mean", extra)
            continue
        tests[claim] = (float(stats.t.sf((abs(difference) - MARGIN) / se, model.df)), ours, s, extra, low, high)
    adjusted = holm({claim: p for claim, (p, *_) in tests.items()})
    for claim, (p, ours, s, extra, low, high) in tests.items():
        extra = dict(extra, p_adjusted=adjusted[claim])
        where = f"a run of theirs would fall in [{low:.3f}, {high:.3f}] (our mean ± {MARGIN:.2f} ± seed and test-set noise)"
        if adjusted[claim] < ALPHA:
            results[claim] = ("differs", ours, f"outside the range {where}; Holm-adjusted p {fmt_p(adjusted[claim])}", extra)
        else:
            results[claim] = (f"not resolved (n = {s.n})", ours,
                              f"more than ±{MARGIN:.2f} from our mean but inside the range {where}", extra)
    return results


def _learns(claim, by_label, outcome) -> tuple:
    found = {label: outcome(by_label[label]) for label in claim.configs if label in by_label}
    if len(found) < len(claim.configs) or any(o in ("diverged", "failed") for o in found.values()):
        return (NOT_COMPARABLE, "; ".join(f"{k}: {v}" for k, v in found.items()) or "no run",
                "not every configuration has finished runs here", {})
    said = {"learned": "learned in every seed", "chance": "stayed at chance in every seed",
            "some seeds": "learned in some seeds only"}
    ours = "; ".join(f"{label}: {said[result]}" for label, result in found.items())
    wrong = [label for label, result in found.items() if result == ("chance" if claim.value else "learned")]
    partial = [label for label, result in found.items() if result == "some seeds"]
    if wrong:
        return "differs", ours, (f"{', '.join(wrong)} stayed at chance in every seed" if claim.value else
                                 f"{', '.join(wrong)} learned in every seed"), {}
    if partial:
        return "not resolved", ours, f"{', '.join(partial)} learned in some seeds and not in others", {}
    return "agrees", ours, (f"{'each' if len(found) > 1 else 'it'} learned in every seed (above chance by three "
                            "binomial std)" if claim.value else
                            f"{'each' if len(found) > 1 else 'it'} stayed at chance in every seed"), {}


def _best(claim, configs, threshold) -> tuple:
    from .best import best_set

    among = set(claim.among) if claim.among else {c.label for c in configs}
    samples = {c.label: c.final_by_seed() for c in configs if c.done and c.label in among}
    group = [label for label in claim.configs if label in samples]
    if not group:
        return NOT_COMPARABLE, "no finished run", "this build has no finished run of it", {}
    result = best_set(samples, threshold=threshold)
    ours = (f"{result.best} is our best" if result.best else
            f"{len(result.candidates)} could be our best: {', '.join(result.candidates)}")
    extra = {"candidates": result.candidates}
    if not result.tested:
        return NOT_COMPARABLE, ours, "our seeds cannot rank these configurations (one seed, or no spread)", extra
    inside = [label for label in result.candidates if label in group]
    if len(inside) == len(result.candidates):
        return "agrees", ours, ("it is our best beyond seed noise" if len(group) == 1 else
                                "every configuration that could be our best is one of the group"), extra
    if not inside:
        return "differs", ours, ("another configuration is above it beyond seed noise" if len(group) == 1 else
                                 "each configuration of the group has one above it beyond seed noise"), extra
    return "not resolved", ours, (f"our seeds do not separate {', '.join(inside)} from "
                                  f"{', '.join(c for c in result.candidates if c not in group)}"), extra


PAIR_VERDICTS = {
    "above": {"better": "agrees", "worse": "differs", "equivalent": "differs", "not resolved": "not resolved"},
    "equivalent": {"equivalent": "agrees", "better": "differs", "worse": "differs", "not resolved": "not resolved"},
}


def _pairs(claims, configs, kind: str, threshold) -> dict:
    """The file's above / equivalent / trend claims of one section: one family (Holm over every pair
    they name), over the seeds that learned."""
    if not claims:
        return {}
    samples = {c.label: c.final_by_seed() for c in configs if c.done}
    kept, _, _ = learned_values(samples, threshold)
    pairs = []
    for claim in claims:
        steps = (list(zip(claim.configs[1:], claim.configs)) if kind == "trend" else [claim.configs])
        pairs += [tuple(step) for step in steps if tuple(step) not in pairs]
    usable = [pair for pair in pairs if pair[0] in kept and pair[1] in kept]
    verdicts = compare_pairs(kept, usable)
    results = {}
    for claim in claims:
        steps = list(zip(claim.configs[1:], claim.configs)) if kind == "trend" else [claim.configs]
        if any(tuple(step) not in verdicts for step in steps):
            results[claim] = (NOT_COMPARABLE, "no finished run of every configuration", "it needs them all", {})
            continue
        found = [verdicts[tuple(step)] for step in steps]
        ours = "; ".join(f"{v.a} {fmt(kept_mean(kept, v.a))} against {v.b} {fmt(kept_mean(kept, v.b))}: {v.verdict}"
                         for v in found)
        extra = {"pairs": [{"a": v.a, "b": v.b, "verdict": v.verdict, "test": v.test, "df": v.df,
                            "p_adjusted": v.p_adjusted} for v in found]}
        if any(v.verdict in ("one seed", "zero spread") for v in found):
            results[claim] = (NOT_COMPARABLE, ours, "one seed or no spread: nothing to test against", extra)
            continue
        if kind == "trend":
            wanted = "better" if claim.value == "rises" else "worse"
            names = [v.verdict for v in found]
            if all(name == wanted for name in names):
                verdict, why = "agrees", f"every step {claim.value} beyond seed noise"
            elif any(name not in (wanted, "not resolved") for name in names):
                verdict, why = "differs", "a step goes the other way or stays within ±0.01"
            else:
                verdict, why = "not resolved", "not every step is separated from seed noise"
        else:
            verdict = PAIR_VERDICTS[kind][found[0].verdict]
            why = {"better": f"{found[0].a} is above {found[0].b} beyond seed noise",
                   "worse": f"{found[0].b} is above {found[0].a} beyond seed noise",
                   "equivalent": f"the two are equivalent within ±{MARGIN:.2f}",
                   "not resolved": "our seeds do not separate them"}[found[0].verdict]
        tests = "; ".join(dict.fromkeys(v.test for v in found if v.test))
        results[claim] = (verdict, ours, f"{why} ({tests}; Holm over the file's {len(usable)} "
                                         f"{kind} comparison{'s' if len(usable) > 1 else ''})", extra)
    return results


def kept_mean(kept: dict, label: str) -> float:
    values = list(kept[label].values())
    return sum(values) / len(values)
