"""A computed sentence of the report and what it rests on; every one is also written to claims.json.

The sections build their sentences as Claim objects: the template prints `claim.text`, the build
writes the same objects to output/claims.json, so the two cannot disagree.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .statistics import Spread, spread

# kinds: best, not-resolved, difference, equivalent, trend, one-seed, learned, chance, collapsed, diverged, failed,
#        earlier-report, observation (a fact of one network, not a comparison across seeds)


@dataclass
class Claim:
    text: str
    kind: str
    values: dict[str, list[float]] = field(default_factory=dict)  # label → per-seed final test accuracy
    test: str | None = None
    p_value: float | None = None
    verdict: str | None = None
    details: dict = field(default_factory=dict)                   # e.g. the earlier report's number
    df: float | None = None                                       # the test's degrees of freedom
    p_adjusted: float | None = None                               # adjusted within its family
    family: dict | None = None                                    # {"name", "size"}: the comparisons it is one of

    @property
    def labels(self) -> list[str]:
        return list(self.values)

    def as_json(self, section: str) -> dict:
        p_value = self.p_value if self.p_value is not None and math.isfinite(self.p_value) else None
        return {"section": section, "text": self.text, "kind": self.kind, "labels": self.labels,
                "values": self.values, "seeds": {label: len(v) for label, v in self.values.items()},
                "test": self.test, "df": self.df if self.df is None or math.isfinite(self.df) else None,
                "p_value": p_value, "p_adjusted": self.p_adjusted, "family": self.family,
                "verdict": self.verdict or self.kind, **({"details": self.details} if self.details else {})}


def observation(text: str) -> Claim:
    return Claim(text, "observation")


def count(n: int, word: str) -> str:
    """'1 seed', '3 seeds', '15 batches': the report never prints 'seed(s)'; '2 seeds, up to 4 where
    --resolve added seeds' for a seed count with added seeds."""
    most = getattr(n, "most", None)
    extra = f", up to {most} where --resolve added seeds" if most is not None and most > n else ""
    if n == 1:
        return f"1 {word}{extra}"
    last = word.split(" ")[-1]
    plural = last + "es" if last.endswith(("tch", "sh", "ss", "x")) else last + "s"   # batches, epochs
    return f"{n:,} " + " ".join([*word.split(" ")[:-1], plural]) + extra


def fmt_p(value: float) -> str:
    """'= 0.012', '< 0.001': the one format of a p-value (never 'p = 0.000')."""
    return "< 0.001" if value < 0.001 else f"= {value:.3f}"


def fmt(value: float) -> str:
    return f"{value:.3f}" if math.isfinite(value) else "n/a"


def fmt_spread(s: Spread, show_n: bool = True) -> str:
    """'0.512 ± 0.010 (n=3)' with the sample std; '0.512 (n=1)' with one seed; the one format of a
    mean over seeds in tables and sentences (show_n=False where the table says n elsewhere)."""
    if s.n == 0 or not math.isfinite(s.mean):
        return "n/a"
    return f"{fmt(s.mean)}" + (f" ± {s.std:.3f}" if s.n > 1 else "") + (f" (n={s.n})" if show_n else "")


def fmt_interval(s: Spread, within: tuple[float, float] | None = (0.0, 1.0)) -> str:
    """The 95 % interval of the mean, shown within 0…1 (an accuracy cannot leave that range); within None:
    as it is (an error in the targets' units)."""
    if s.n <= 1:
        return "one seed: no interval"
    low, high = (s.low, s.high) if within is None else (max(within[0], s.low), min(within[1], s.high))
    return f"[{low:.3f}, {high:.3f}]"


def describe(label: str, values) -> str:
    return f"{label} ({fmt_spread(spread(values))})"


def earlier_table(claims: list[Claim]) -> dict:
    """The checked claims as a table of data (tables/<section>_claims_<file>.csv)."""
    return {"columns": ["number", "claim", "theirs", "ours", "verdict", "why"],
            "rows": [[c.details["number"], c.details["claim"], c.details["theirs"], c.details["ours"], c.verdict,
                      c.details["why"]] for c in claims]}
