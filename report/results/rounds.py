"""The seeds `--resolve` added: OUTPUT/resolve/<section>.json lists its rounds, each a seed and the
configurations that got it. The planned runs of a section are its config's runs and these, so every
command (status, render, check, metrics.csv) sees them and a plain build keeps using them; a round is
written before its runs train, so a killed round is trained by the next command.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

FOLDER = "resolve"


def rounds_path(output: Path, section: str) -> Path:
    return Path(output) / FOLDER / f"{section}.json"


def read_rounds(output: Path, section: str) -> list[dict]:
    """[{"seed": 1000, "labels": [...]}, …]; [] where nothing was added (or the file is unreadable:
    the stored runs stay, and status shows them as not planned)."""
    try:
        rounds = json.loads(rounds_path(output, section).read_text(encoding="utf-8"))["rounds"]
        return [{"seed": int(r["seed"]), "labels": [str(label) for label in r["labels"]]} for r in rounds]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def add_round(store, section: str, seed: int, labels: list[str]) -> None:
    rounds = read_rounds(store.output, section) + [{"seed": seed, "labels": list(labels)}]
    store.write_output(f"{FOLDER}/{section}.json", json.dumps({"rounds": rounds}, indent=1) + "\n")


def with_rounds(specs: list, output: Path) -> list:
    """specs and, for each round, a run of each configuration it names, as the configuration's own
    runs are but for the seed; a configuration the config no longer has is left out."""
    first = {}
    for spec in specs:
        first.setdefault((spec.section, spec.label), spec)
    added = []
    for section in dict.fromkeys(spec.section for spec in specs):
        have = {(spec.label, spec.seed) for spec in specs if spec.section == section}
        for round_ in read_rounds(output, section):
            for label in round_["labels"]:
                base = first.get((section, label))
                if base is not None and (label, round_["seed"]) not in have:
                    added.append(replace(base, seed=round_["seed"]))
    return specs + added
