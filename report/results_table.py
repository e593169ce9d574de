"""`mkreport claims TABLE.csv`: the report's tested sentences for per-seed results that came from
anywhere (another tool, a classmate's spreadsheet, a paper's appendix), without training anything.

    config,seed,value[,group][,higher_is_better]
    "adam, lr=0.001",0,0.531
    "adam, lr=0.001",1,0.509

One row per configuration and seed. `group` splits the rows into separate families (each its own "which
is best"); `higher_is_better` (true/false, one value per group; default true) says whether a larger value
is better. With --test-size N and --classes K a seed at or below chance (1/K plus three binomial standard
deviations of N test items) never learned and is counted apart; without them every seed counts.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

from .errors import ConfigError
from .stats.claims import Claim

REQUIRED = ("config", "seed", "value")
OPTIONAL = ("group", "higher_is_better")
TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no"}
MAX_BYTES = 10_000_000


def read_table(path: Path) -> tuple[dict[str, dict[str, dict]], dict[str, bool]]:
    """group → config → seed → value, and group → higher_is_better. Any problem is one ConfigError
    naming the file, the line and the fix."""
    where = f"results table {path}"
    try:
        if not Path(path).is_file():
            raise ConfigError(f"{where} does not exist or is not a file")
        if Path(path).stat().st_size > MAX_BYTES:
            raise ConfigError(f"{where} is larger than {MAX_BYTES // 1_000_000} MB")
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{where} cannot be read: {error}") from None
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ConfigError(f"{where} lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                          f"(its first line must name {', '.join(REQUIRED)}; optional: {', '.join(OPTIONAL)})")
    unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise ConfigError(f"{where} has the unknown column {unknown[0]!r} (columns: {', '.join(REQUIRED + OPTIONAL)})")
    groups: dict[str, dict[str, dict]] = {}
    higher: dict[str, bool] = {}
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        label, group = row["config"], row.get("group") or "all"
        if not label:
            raise ConfigError(f"{where}, line {line}: the config is empty")
        try:
            value = float(row["value"])
        except ValueError:
            raise ConfigError(f"{where}, line {line}: value {row['value']!r} is not a number") from None
        if not math.isfinite(value):
            raise ConfigError(f"{where}, line {line}: value {row['value']!r} is not a finite number")
        seed = row["seed"]
        if not seed:
            raise ConfigError(f"{where}, line {line}: the seed is empty")
        seed = int(seed) if seed.lstrip("-").isdigit() else seed
        flag = (row.get("higher_is_better") or "true").lower()
        if flag not in TRUE | FALSE:
            raise ConfigError(f"{where}, line {line}: higher_is_better must be true or false, not {flag!r}")
        if higher.setdefault(group, flag in TRUE) != (flag in TRUE):
            raise ConfigError(f"{where}, line {line}: group {group!r} has both higher_is_better true and false")
        seeds = groups.setdefault(group, {}).setdefault(label, {})
        if seed in seeds:
            raise ConfigError(f"{where}, line {line}: {label!r} has seed {seed} twice")
        seeds[seed] = value
    rows = sum(len(seeds) for configs in groups.values() for seeds in configs.values())
    if rows < 2:
        raise ConfigError(f"{where} has {rows} row{'s' if rows != 1 else ''} of results; a comparison needs at "
                          "least two configurations")
    return groups, higher


def table_claims(groups: dict, higher: dict, test_size: int | None = None,
                 classes: int | None = None) -> list[tuple[str, Claim]]:
    """(group, claim) for every group: which is best, and which configurations learned only in some
    seeds or in none (with --test-size and --classes)."""
    from .stats.findings import names, partly_learned, ranking_of
    from .stats.statistics import chance_threshold

    if (test_size is None) != (classes is None):
        raise ConfigError("--test-size and --classes go together: the chance level needs both")
    found = []
    for group, samples in groups.items():
        threshold = chance_threshold(test_size, 1 / classes) if test_size and higher[group] else None
        best = ranking_of(samples, "configuration", family=None if group == "all" else group, threshold=threshold,
                          higher_is_better=higher[group])
        found.append((group, best))
        if threshold is None:
            continue
        never = [label for label, seeds in samples.items() if all(v <= threshold for v in seeds.values())]
        for label, seeds in samples.items():
            if label not in never and any(v <= threshold for v in seeds.values()):
                found.append((group, partly_learned(label, seeds, threshold, best)))
        if never:
            found.append((group, Claim(f"{names(never)} never learned: no seed above {threshold:.3f} (chance "
                                       f"{1 / classes:.3f} plus three binomial standard deviations of "
                                       f"{test_size:,} test items).", "chance",
                                       {label: list(samples[label].values()) for label in never})))
    return found
