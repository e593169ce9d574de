"""Claims to check, from a file: what someone else reported (an earlier report, a classmate's table, a
paper), one claim a table, each checked against this build's stored runs (report/stats/checks.py).

    title = "Earlier report (hand-made, one seed per configuration)"   # the heading of the check
    source = "assignment2.pdf, 2019"                                   # shown under it

    [[claim]]
    section = "cnn"
    config = "adam, lr=0.001"      # a configuration label as the report's tables print it
    test_accuracy = 0.536          # or: learns = true / false; or, without config: best = "<label>"

`config` may be a list (every one of them learns, or does not). Optional: `number` (how the source
numbers the claim) and `text` (the claim in the source's words). A bad file is one ConfigError naming
the claim and the problem, before anything trains.
"""
from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

TOP_KEYS = {"title", "source", "claim"}
CLAIM_KEYS = {"section", "config", "test_accuracy", "learns", "best", "number", "text"}


@dataclass(frozen=True)
class FileClaim:
    section: str
    kind: str                 # "test_accuracy", "learns" or "best"
    configs: tuple[str, ...]  # the labels it is about
    value: object             # the number, true/false, or None for best
    number: str
    text: str


@dataclass(frozen=True)
class ClaimsFile:
    title: str
    source: str
    claims: tuple[FileClaim, ...]
    path: str

    def for_section(self, name: str) -> list[FileClaim]:
        return [claim for claim in self.claims if claim.section == name]


def read_claims_file(path: Path, labels: dict[str, list[str]]) -> ClaimsFile:
    """The file's claims, each validated against labels (section → the configuration labels this build
    plans): an unknown key, a section or label that does not exist (the closest ones named), a number
    outside 0…1 or a claim of no kind is a ConfigError."""
    where = f"claims file {path}"
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{where} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{where} cannot be read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: not valid TOML ({error})") from None
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}; a claims file holds title, source and [[claim]] tables")
    tables = data.get("claim", [])
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{where}: no [[claim]] tables")
    claims = tuple(_claim(table, index, where, labels) for index, table in enumerate(tables, start=1))
    return ClaimsFile(str(data.get("title", "Claims checked")), str(data.get("source", "")), claims, str(path))


def _claim(table: dict, index: int, where: str, labels: dict[str, list[str]]) -> FileClaim:
    here = f"{where}, claim {index}"
    unknown = set(table) - CLAIM_KEYS
    if unknown:
        raise ConfigError(f"{here}: unknown key {sorted(unknown)[0]!r}; a claim has "
                          "section, config with test_accuracy or learns, or best (and optionally number, text)")
    section = table.get("section")
    if section not in labels:
        raise ConfigError(f"{here}: section {section!r} is not one whose configurations can be checked "
                          f"(one of {', '.join(sorted(labels))})")
    kinds = [k for k in ("test_accuracy", "learns", "best") if k in table]
    if len(kinds) != 1:
        raise ConfigError(f"{here}: say exactly one of test_accuracy, learns or best")
    kind = kinds[0]
    if kind == "best":
        if "config" in table:
            raise ConfigError(f"{here}: a best claim names its configuration in best, without config")
        configs = (table["best"],)
    else:
        config = table.get("config")
        configs = tuple(config) if isinstance(config, list) else (config,)
        if kind == "test_accuracy" and len(configs) != 1:
            raise ConfigError(f"{here}: a test_accuracy claim is about one configuration")
    for label in configs:
        if not isinstance(label, str) or label not in labels[section]:
            close = difflib.get_close_matches(str(label), labels[section], n=3, cutoff=0.5)
            raise ConfigError(f"{here}: {section} has no configuration {label!r}"
                              + (f"; the closest: {', '.join(repr(c) for c in close)}" if close else ""))
    value = table.get(kind)
    if kind == "test_accuracy" and (isinstance(value, bool) or not isinstance(value, (int, float))
                                    or not 0 <= value <= 1):
        raise ConfigError(f"{here}: test_accuracy = {value!r} is not a number between 0 and 1")
    if kind == "learns" and not isinstance(value, bool):
        raise ConfigError(f"{here}: learns = {value!r} must be true or false")
    text = str(table.get("text") or _default_text(kind, configs, value))
    return FileClaim(section, kind, configs, None if kind == "best" else value, str(table.get("number", index)), text)


def _default_text(kind: str, configs: tuple[str, ...], value) -> str:
    if kind == "best":
        return f"{configs[0]} is the best configuration"
    if kind == "learns":
        many = len(configs) > 1
        verb = ("learn" if many else "learns") if value else ("do not learn" if many else "does not learn")
        return f"{' and '.join(configs)} {verb}"
    return f"{configs[0]} reaches a test accuracy of {value:g}"
