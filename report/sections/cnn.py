"""Section 1: LeNet5 on CIFAR10, an optimizer × learning-rate grid."""
from __future__ import annotations


import numpy as np

from ..stats.claims import Claim, fmt_interval, fmt_spread
from ..stats.findings import (accuracy_cell, draft_claim, names, optimizer_words, outcome, partly_learned, ranking,
                               run_notes, still_learning)
from experiments.network import describe, network_of, non_default, widths_text

from ..results.runs import (RunSpec, cifar10_dataset, cnn_input, format_rate, network_grid, optimizer_grid,
                            optimizer_label, precision_label, seeded, with_precision)
from ..stats.statistics import CHANCE, chance_threshold
from ..stats.summary import ACCURACY_COLUMNS, accuracy_columns, by_config, images_tested, seed_count

TITLE = "Training LeNet5 on CIFAR10"
COLLAPSE_SHARE = 0.95       # one class predicted for this share of the test images: the output collapsed


def runs(config: dict) -> list[RunSpec]:
    section = config["cnn"]
    budget = {k: section[k] for k in ("epochs", "batch_size", "samples_per_epoch", "test_samples", "log_every_steps")}
    budget["curve_test_samples"] = section["test_samples"]  # 1,000 test images: all of them every epoch
    precision = with_precision(section["precision"])
    grid = [(f"{optimizer_label(optimizer)}, lr={format_rate(rate)}{', ' + words if words else ''}"
             f"{precision_label(section['precision'])}",
             {"model": "lenet5", **non_default(network), **cnn_input(config), **optimizer, "learning_rate": rate,
              **budget, **precision})
            for network, words in network_grid(section)
            for optimizer in optimizer_grid(section) for rate in section["learning_rates"]]
    return seeded("cnn", grid, section["seeds"], cifar10_dataset(config), keep_weights=True)


def network_words(configs) -> dict[str, str]:
    """label → the network settings that vary over these configurations, as labels name them ('' if none)."""
    from experiments.network import NETWORK_KEYS, setting_label

    networks = {c.label: network_of(c.params) for c in configs}
    varying = [key for key in NETWORK_KEYS if len({repr(n[key]) for n in networks.values()}) > 1]
    return {label: ", ".join(setting_label(key, n[key]) for key in varying) for label, n in networks.items()}


def row_name(config, words: dict[str, str]) -> str:
    """A heatmap row: the optimizer, and the network where the network varies."""
    return optimizer_label(config.params) + (f", {words[config.label]}" if words[config.label] else "")


def summarize(records: dict, analysis, settings: dict) -> dict:
    own = records["cnn"]
    configs = by_config(own)
    test_images = images_tested(own)
    words = network_words(configs)
    optimizers = list(dict.fromkeys(row_name(c, words) for c in configs))
    rates = list(dict.fromkeys(r["params"]["learning_rate"] for r in own))
    by_params = {(row_name(s, words), s.params["learning_rate"]): s for s in configs}
    table = np.full((len(optimizers), len(rates)), np.nan)
    cells = np.empty(table.shape, dtype=object)
    for i, optimizer in enumerate(optimizers):
        for j, rate in enumerate(rates):
            if (optimizer, rate) not in by_params:
                cells[i, j] = ""
                continue
            s = by_params[(optimizer, rate)].spread()
            table[i, j] = s.mean
            cells[i, j] = fmt_spread(s, show_n=False) if s.n else by_params[(optimizer, rate)].status
    params = own[0]["params"]
    return {
        "configs": configs,
        "heatmap": {"table": table, "rows": optimizers, "columns": [f"lr={r:g}" for r in rates], "cells": cells},
        "rows": config_rows(configs),
        "claims": grid_claims(configs, test_images, family="the CIFAR10 grid", draft=settings.get("draft", False))
                  + ([] if settings.get("draft") and still_learning(configs, chance_threshold(test_images))
                     else rate_claims(configs, words, chance_threshold(test_images))),
        "networks": list(dict.fromkeys(describe(network_of(c.params)) for c in configs)),
        "images": images_words(params),
        "tables": {
            "grid": {"columns": ["configuration", "optimizer", "momentum", "learning_rate", "network",
                                 "activation", "padding", "dropout", *ACCURACY_COLUMNS, "train_accuracy_mean", "state"],
                     "rows": [[c.label, c.params["optimizer"], c.params.get("momentum", ""), c.params["learning_rate"],
                               widths_text(network_of(c.params)), *(network_of(c.params)[key] for key in
                                                                    ("activation", "padding", "dropout")),
                               *accuracy_columns(c),
                               c.spread("train_accuracy").mean, c.status] for c in configs]}},
        "run_notes": run_notes(configs),
        "seeds": seed_count(own), "epochs": params["epochs"],
        "samples_per_epoch": params["samples_per_epoch"], "test_samples": test_images,
        "batch_size": params["batch_size"], "log_every_steps": params.get("log_every_steps", "—"),
    }


def config_rows(configs, metric: str = "accuracy") -> list[dict]:
    """A table row per configuration: test accuracy (or the task's metric: mean ± std), its 95 % interval
    (within 0…1 for accuracy and AUC, as it is for an error), train accuracy (metric), state."""
    within = None if metric in ("mae", "mse") else (0.0, 1.0)
    return [{"label": s.label, "accuracy": accuracy_cell(s, f"test_{metric}"),
             "interval": fmt_interval(s.spread(f"test_{metric}"), within),
             "train_accuracy": fmt_spread(s.spread(f"train_{metric}"), show_n=False), "status": s.status}
            for s in configs]


def grid_claims(configs, test_images: int, what: str = "configuration", family: str | None = None,
                draft: bool = False, chance: float = CHANCE) -> list[Claim]:
    """Which configurations could be the best (one family; seeds that never learned counted apart), and
    which learned, in some seeds only, stayed at chance or collapsed. draft: a draft profile's budget,
    where curves that still rise make the ranking one of learning speed: said instead of a ranking."""
    threshold = chance_threshold(test_images, chance)
    rising = still_learning(configs, threshold) if draft else {}
    best = None if rising else ranking(configs, what, family, threshold)
    first = [draft_claim(configs, rising, what)] if rising else [best] if best else []
    return first + outcome_claims(configs, threshold, test_images, best, chance)


def outcome_claims(configs, threshold: float, test_images: int, best: Claim | None = None,
                   chance: float = CHANCE) -> list[Claim]:
    """Which configurations learned in every seed, in some, or stayed at chance (and why, when the
    stored train loss shows the output collapsed to a constant)."""
    groups: dict[str, list] = {}
    for config in configs:
        groups.setdefault(outcome(config, threshold), []).append(config)
    values = {kind: {c.label: c.final_values() for c in members} for kind, members in groups.items()}
    claims = []
    if groups.get("learned"):
        claims.append(Claim(f"{len(groups['learned'])} of {len(configs)} configurations learned in every seed "
                            f"(final test accuracy above {threshold:.3f}: chance plus three binomial standard "
                            f"deviations of {test_images:,} test {'images' if chance == CHANCE else 'examples'}): "
                            f"{names(values['learned'])}.",
                            "learned", values["learned"]))
    for config in groups.get("some seeds", []):
        claims.append(partly_learned(config.label, config.final_by_seed(), threshold, best))
    if groups.get("chance"):
        claims.append(Claim(f"{names(values['chance'])} stayed at chance level ({chance:.0%}"
                            f"{'' if chance == CHANCE else ', the share of the most frequent class'}) in every seed.",
                            "chance", values["chance"]))
        collapsed = {c.label: collapse(c) for c in groups["chance"]}
        flat = [c for c in groups["chance"] if collapsed[c.label]]
        if flat:
            seeds = "; ".join(f"{c.label}: " + ", ".join(f"seed {seed} class {k} for {share:.0%}"
                                                         for seed, k, share in collapsed[c.label]) for c in flat)
            claims.append(Claim(
                f"{names(c.label for c in flat)} collapsed: in every seed the trained network predicts one class "
                f"for at least {COLLAPSE_SHARE:.0%} of the test images ({seeds}).", "collapsed",
                {c.label: c.final_values() for c in flat}))
        for config in groups["chance"]:
            if collapsed[config.label]:
                continue
            loss = loss_path(config)
            shares = class_shares(config)
            if loss is None or shares is None:
                continue   # an older record without these numbers: nothing more is said
            falling = [r["seed"] for r in config.done if loss_falling(r)]
            claims.append(Claim(
                f"{config.label} did not learn within this budget: its train loss went from {loss[0]:.3f} at the first "
                f"logged step to {loss[1]:.3f} at the last (mean over seeds)"
                + (f", still falling in {'every seed' if len(falling) == len(config.done) else _seeds(falling)}"
                   if falling else ", no longer falling")
                + f"; its most frequent predicted class takes {', '.join(f'{s:.0%}' for s in shares)} of the test "
                  "images (by seed)"
                + ".", "not-learned", {config.label: config.final_values()}))
    for kind, text in (("diverged", "diverged: a loss became non-finite or exceeded 100 × ln 10" if chance == CHANCE
                        else "diverged: a loss became non-finite or exceeded a hundred times a uniform guess's"),
                       ("failed", "failed with an error (see the table)")):
        if groups.get(kind):
            claims.append(Claim(f"{names(c.label for c in groups[kind])} {text}.", kind,
                                {c.label: [] for c in groups[kind]}))
    return claims


LOSS_STILL_FALLING = 0.001   # the train loss fell by more than this over the second half of the logged steps


def loss_falling(record: dict) -> bool | None:
    """Whether the run's train loss still fell over the second half of its logged steps (None: too few)."""
    points = [p["train_loss"] for p in record.get("steps") or []] or [m["train_loss"] for m in record["metrics"]]
    if len(points) < 2:
        return None
    return points[-1] < points[len(points) // 2] - LOSS_STILL_FALLING


def seed_collapse(record: dict) -> tuple[int, float] | None:
    """(class, share) when this seed's trained network predicts one class for at least COLLAPSE_SHARE
    of the test images and its train loss had stopped falling. An untrained network also predicts one
    class, but its loss is still falling: that is a network that did not learn within the budget."""
    counts = record.get("prediction_counts")
    if not counts or not sum(counts) or loss_falling(record) is not False:
        return None
    top = max(range(len(counts)), key=counts.__getitem__)
    share = counts[top] / sum(counts)
    return (top, share) if share >= COLLAPSE_SHARE else None


def collapse(config) -> list[tuple[int, int, float]] | None:
    """(seed, class, share) per done seed when every seed collapsed (seed_collapse); None otherwise."""
    found = [(record["seed"], *found) for record in config.done if (found := seed_collapse(record))]
    return found if found and len(found) == len(config.done) else None


def _seeds(seeds: list[int]) -> str:
    return ("seed " if len(seeds) == 1 else "seeds ") + names(str(s) for s in seeds)


def class_shares(config) -> list[float] | None:
    """Per done seed, the share of the test images its most frequent predicted class takes."""
    shares = [max(r["prediction_counts"]) / sum(r["prediction_counts"]) for r in config.done
              if r.get("prediction_counts") and sum(r["prediction_counts"])]
    return shares if shares and len(shares) == len(config.done) else None


def loss_path(config) -> tuple[float, float] | None:
    """Mean over done seeds of the train loss at the first and the last logged step."""
    paths = []
    for record in config.done:
        points = [p["train_loss"] for p in record.get("steps") or []] or [m["train_loss"] for m in record["metrics"]]
        if points:
            paths.append((points[0], points[-1]))
    if not paths:
        return None
    return sum(a for a, _ in paths) / len(paths), sum(b for _, b in paths) / len(paths)


def images_words(params: dict) -> str:
    """Which CIFAR10 the runs trained on, as the section's text says it."""
    if params.get("input_shape") == [32, 32, 3]:
        return "CIFAR10 in colour (the official 32×32 RGB images)"
    return "the course's CIFAR10 subset (28×28 grayscale)"


def rate_claims(configs, words: dict[str, str] | None = None, threshold: float | None = None) -> list[Claim]:
    """For each optimizer (on each network, where the network varies): its best learning rate,
    tested against seed noise."""
    words = words or {c.label: "" for c in configs}
    claims = []
    groups: dict[str, list] = {}
    for config in configs:
        groups.setdefault(row_name(config, words), []).append(config)
    if len(groups) == 1:
        return []   # one optimizer: the grid's ranking already is its learning rates' ranking
    for name, members in groups.items():
        if len(members) < 2:
            continue
        spoken = optimizer_words(members[0].params)
        at = f" at {words[members[0].label]}" if words[members[0].label] else ""
        claim = ranking(members, f"{spoken} learning rate{at}", family=f"{name}'s learning rates",
                        threshold=threshold)
        if claim is None:
            claims.append(Claim(f"{spoken[0].upper() + spoken[1:]}{at} produced no finished run.", "failed",
                                {m.label: [] for m in members}))
        else:
            claims.append(claim)
    return claims


def figures(summary: dict) -> dict[str, bytes]:
    from ..output import figures as draw

    heatmap = summary["heatmap"]
    return {
        "curves": draw.learning_curves(summary["configs"]),
        "heatmap": draw.accuracy_heatmap(heatmap["table"], heatmap["rows"], heatmap["columns"], heatmap["cells"],
                                         "final test accuracy (mean over seeds)"),
    }
