"""Claims to check, from a file: what someone else reported (an earlier report, a classmate's table, a
paper), one claim a table, each checked against this build's stored runs (report/stats/checks.py).
The format, every kind and how each verdict is decided: docs/claims.md.

    title = "Earlier report (hand-made, one seed per configuration)"   # the heading of the check
    source = "assignment2.pdf, 2019"                                   # shown under it
    compare_anyway = false          # true: check numbers even where the budgets differ

    [budget.cnn]                    # what the claimant trained with (each key optional)
    epochs = 5
    samples_per_epoch = 10000
    batch_size = 64
    test_samples = 1000             # their test set: the binomial noise of their numbers
    seeds = 1                       # runs behind each of their numbers

    [[claim]]
    number = "3a"                   # how the source numbers it (default: its position)
    section = "cnn"
    config = "adam, lr=0.001"       # a configuration label as the report's tables print it
    test_accuracy = 0.536           # or train_accuracy, test_loss, train_loss

Other kinds: `learns = true|false` (config: one label or a list, each said per configuration);
`best = "GRU"` with `group = {cell = "gru"}` or a list of labels (a single label needs no group), and
optionally `among = {hidden_size = 256}` or a list (the set it is best of; default: every configuration
of the section); `above = ["A", "B"]` (A above B); `trend = "rises"|"falls"` with `config` a list in the
axis's order; `equivalent = ["A", "B"]`. A bad file is one ConfigError naming the claim's number and
line, before anything trains.
"""
from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

TOP_KEYS = {"title", "source", "claim", "budget", "compare_anyway"}
NUMBERS = ("test_accuracy", "train_accuracy", "test_loss", "train_loss")
KINDS = (*NUMBERS, "learns", "best", "above", "trend", "equivalent")
CLAIM_KEYS = {"section", "config", *KINDS, "group", "among", "number", "text"}
BUDGET_KEYS = {"epochs": int, "samples_per_epoch": int, "batch_size": int, "test_samples": int, "seeds": int}
MAX_BYTES = 1_000_000
MAX_CLAIMS = 500       # a report of a whole course has dozens; thousands would take minutes to lay out
MAX_TEXT = 2_000        # characters of one claim's own text


@dataclass(frozen=True)
class FileClaim:
    section: str
    kind: str                 # one of KINDS
    configs: tuple[str, ...]  # the labels it is about (best: the group's; above/equivalent: the pair; trend: in order)
    value: object             # the number, true/false, "rises"/"falls", the group's name for best
    number: str
    text: str
    among: tuple[str, ...] = ()   # best: the set it is the best of (empty: every configuration)
    line: int = 0


@dataclass(frozen=True)
class ClaimsFile:
    title: str
    source: str
    claims: tuple[FileClaim, ...]
    path: str
    budgets: dict = field(default_factory=dict)   # section → the claimant's budget
    compare_anyway: bool = False

    def for_section(self, name: str) -> list[FileClaim]:
        return [claim for claim in self.claims if claim.section == name]

    @property
    def slug(self) -> str:
        """The file's name as a table name: tables/<section>_claims_<slug>.csv."""
        return re.sub(r"[^a-z0-9]+", "_", Path(self.path).stem.lower()).strip("_") or "file"


def read_claims_file(path: Path, labels: dict) -> ClaimsFile:
    """The file's claims, each validated against labels (section → the configuration labels this build
    plans, or label → params where groups by key are to be resolved): an unknown key, a section or label
    that does not exist (the closest ones named), a number outside its range or a claim of no kind is a
    ConfigError naming the claim's number and line."""
    where = f"claims file {path}"
    try:
        if Path(path).exists() and not Path(path).is_file():
            raise ConfigError(f"{where} is not a regular file")
        if Path(path).is_file() and Path(path).stat().st_size > MAX_BYTES:
            raise ConfigError(f"{where} is larger than 1 MB")
        text = Path(path).read_text(encoding="utf-8-sig")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError(f"{where} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{where} cannot be read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: not valid TOML ({error})") from None
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}; a claims file holds title, source, "
                          "compare_anyway, [budget.<section>] and [[claim]] tables")
    tables = data.get("claim", [])
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{where}: no [[claim]] tables")
    if len(tables) > MAX_CLAIMS:   # each is checked and drawn as a row of the report: bounded render time
        raise ConfigError(f"{where} has {len(tables):,} claims; at most {MAX_CLAIMS} are checked")
    lines = [number for number, line in enumerate(text.splitlines(), start=1) if line.strip().startswith("[[claim]]")]
    labels = {section: (found if isinstance(found, dict) else dict.fromkeys(found, {}))
              for section, found in labels.items()}
    claims = tuple(_claim(table, index, lines[index - 1] if index <= len(lines) else 0, where, labels)
                   for index, table in enumerate(tables, start=1))
    budgets = _budgets(data.get("budget", {}), where, labels)
    if not isinstance(data.get("compare_anyway", False), bool):
        raise ConfigError(f"{where}: compare_anyway must be true or false")
    return ClaimsFile(str(data.get("title", "Claims checked")), str(data.get("source", "")), claims, str(path),
                      budgets, data.get("compare_anyway", False))


def _budgets(tables, where: str, labels: dict) -> dict:
    if not isinstance(tables, dict):
        raise ConfigError(f"{where}: budget must be tables [budget.<section>]")
    for section, budget in tables.items():
        if section not in labels or not isinstance(budget, dict):
            raise ConfigError(f"{where}: [budget.{section}] names no section of this build "
                              f"(one of {', '.join(sorted(labels))})")
        for key, value in budget.items():
            if key not in BUDGET_KEYS:
                raise ConfigError(f"{where}: [budget.{section}] has the unknown key {key!r} "
                                  f"(one of {', '.join(BUDGET_KEYS)})")
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{where}: [budget.{section}] {key} = {value!r} is not a whole number ≥ 1")
    return tables


def _labels(value, here: str, kind: str) -> tuple[str, ...]:
    found = tuple(value) if isinstance(value, list) else (value,)
    if not found or not all(isinstance(v, str) for v in found):
        raise ConfigError(f"{here}: {kind} takes a configuration label or a list of labels")
    twice = sorted({label for label in found if found.count(label) > 1})
    if twice:
        raise ConfigError(f"{here}: {kind} names {twice[0]!r} twice; each configuration once")
    return found


def _select(value, here: str, key: str, known: dict) -> tuple[str, ...]:
    """A list of labels, or a table of params that picks every configuration whose params match."""
    if isinstance(value, dict):
        chosen = tuple(label for label, params in known.items()
                       if all(params.get(k) == v for k, v in value.items()))
        if not chosen:
            raise ConfigError(f"{here}: {key} = {value!r} matches no configuration of this build")
        return chosen
    return _labels(value, here, key)


def _claim(table: dict, index: int, line: int, where: str, labels: dict) -> FileClaim:
    number = str(table.get("number", index))
    here = f"{where}, claim {number} (line {line})" if line else f"{where}, claim {number}"
    unknown = set(table) - CLAIM_KEYS
    if unknown:
        raise ConfigError(f"{here}: unknown key {sorted(unknown)[0]!r}; a claim has section, one of "
                          f"{', '.join(KINDS)}, and config, group or among as its kind needs (docs/claims.md)")
    section = table.get("section")
    if section not in labels:
        raise ConfigError(f"{here}: section {section!r} is not one whose configurations can be checked "
                          f"(one of {', '.join(sorted(labels))})")
    known = labels[section]
    kinds = [k for k in KINDS if k in table]
    if len(kinds) != 1:
        raise ConfigError(f"{here}: say exactly one of {', '.join(KINDS)}")
    kind = kinds[0]
    value, among = table[kind], ()
    value = tuple(value) if isinstance(value, list) else value   # a claim is hashable: checks key on it
    if kind in NUMBERS or kind in ("learns", "trend"):
        if "config" not in table:
            raise ConfigError(f"{here}: a {kind} claim names its configuration in config")
        configs = _labels(table["config"], here, "config")
        if kind in NUMBERS and len(configs) != 1:
            raise ConfigError(f"{here}: a {kind} claim is about one configuration")
        if kind == "trend" and (value not in ("rises", "falls") or len(configs) < 2):
            raise ConfigError(f"{here}: trend = \"rises\" or \"falls\", with config a list of two or more labels "
                              "in the axis's order")
    elif kind == "best":
        if "config" in table:
            raise ConfigError(f"{here}: a best claim names its configuration in best (a group in group), without config")
        if not isinstance(value, str):
            raise ConfigError(f"{here}: best = a label, or a group's name with group = {{key = value}} or a list")
        configs = _select(table["group"], here, "group", known) if "group" in table else (value,)
        among = _select(table["among"], here, "among", known) if "among" in table else ()
    else:   # above, equivalent: a pair
        configs = _labels(list(value) if isinstance(value, tuple) else value, here, kind)
        if len(configs) != 2:
            raise ConfigError(f"{here}: {kind} = [\"A\", \"B\"] names two configurations")
    for label in (*configs, *among):
        if label not in known:
            close = difflib.get_close_matches(str(label), list(known), n=3, cutoff=0.5)
            raise ConfigError(f"{here}: {section} has no configuration {label!r}"
                              + (f"; the closest: {', '.join(repr(c) for c in close)}" if close else ""))
    if kind in NUMBERS:
        top = 1 if "accuracy" in kind else 100
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= top:
            raise ConfigError(f"{here}: {kind} = {value!r} is not a number between 0 and {top}")
    if kind == "learns" and not isinstance(value, bool):
        raise ConfigError(f"{here}: learns = {value!r} must be true or false")
    text = str(table.get("text") or _default_text(kind, configs, value))
    if len(text) > MAX_TEXT:
        raise ConfigError(f"{here}: its text has {len(text):,} characters; at most {MAX_TEXT:,}")
    return FileClaim(section, kind, configs, value, number, text, among, line)


def _default_text(kind: str, configs: tuple[str, ...], value) -> str:
    if kind == "best":
        return f"{value} is the best"
    if kind == "learns":
        many = len(configs) > 1
        verb = ("learn" if many else "learns") if value else ("do not learn" if many else "does not learn")
        return f"{' and '.join(configs)} {verb}"
    if kind == "above":
        return f"{configs[0]} is above {configs[1]}"
    if kind == "equivalent":
        return f"{configs[0]} and {configs[1]} are equivalent"
    if kind == "trend":
        return f"the value {value} from {configs[0]} to {configs[-1]}"
    return f"{configs[0]} reaches a {kind.replace('_', ' ')} of {value:g}"
