"""Section 1: LeNet5 on CIFAR10, an optimizer × learning-rate grid."""
from __future__ import annotations

import math

import numpy as np

from ..stats import earlier_report
from ..stats.claims import Claim, earlier_table, fmt_interval, fmt_spread
from ..stats.findings import OPTIMIZER_NAMES, accuracy_cell, names, outcome, ranking, run_notes
from ..results.runs import RunSpec, format_rate, precision_label, seeded, with_precision
from ..stats.statistics import chance_threshold
from ..stats.summary import ACCURACY_COLUMNS, accuracy_columns, by_config, images_tested, seed_count

TITLE = "Training LeNet5 on CIFAR10"
LN_10 = math.log(10)        # cross-entropy of a uniform guess over ten classes
COLLAPSE_TOLERANCE = 0.01   # a train loss this close to ln 10: the output is a constant uniform guess


def runs(config: dict) -> list[RunSpec]:
    section = config["cnn"]
    budget = {k: section[k] for k in ("epochs", "batch_size", "samples_per_epoch", "test_samples", "log_every_steps")}
    budget["curve_test_samples"] = section["test_samples"]  # 1,000 test images: all of them every epoch
    precision = with_precision(section["precision"])
    grid = [(f"{optimizer}, lr={format_rate(rate)}{precision_label(section['precision'])}",
             {"model": "lenet5", "optimizer": optimizer, "learning_rate": rate, **budget, **precision})
            for optimizer in section["optimizers"] for rate in section["learning_rates"]]
    return seeded("cnn", grid, section["seeds"], "cifar10", keep_weights=True)


def summarize(records: dict, analysis, settings: dict) -> dict:
    own = records["cnn"]
    configs = by_config(own)
    test_images = images_tested(own)
    threshold = chance_threshold(test_images)
    optimizers = list(dict.fromkeys(r["params"]["optimizer"] for r in own))
    rates = list(dict.fromkeys(r["params"]["learning_rate"] for r in own))
    by_params = {(s.params["optimizer"], s.params["learning_rate"]): s for s in configs}
    table = np.full((len(optimizers), len(rates)), np.nan)
    cells = np.empty(table.shape, dtype=object)
    for i, optimizer in enumerate(optimizers):
        for j, rate in enumerate(rates):
            s = by_params[(optimizer, rate)].spread()
            table[i, j] = s.mean
            cells[i, j] = fmt_spread(s, show_n=False) if s.n else by_params[(optimizer, rate)].status
    params = own[0]["params"]
    return {
        "configs": configs,
        "heatmap": {"table": table, "rows": optimizers, "columns": [f"lr={r:g}" for r in rates], "cells": cells},
        "rows": [{"label": s.label, "accuracy": accuracy_cell(s), "interval": fmt_interval(s.spread()),
                  "train_accuracy": fmt_spread(s.spread("train_accuracy"), show_n=False),
                  "status": s.status} for s in configs],
        "claims": [claim for claim in [ranking(configs, family="the CIFAR10 grid")] if claim] + outcome_claims(configs, threshold, test_images)
        + rate_claims(configs),
        "earlier": (earlier := earlier_report.cnn_claims(configs, lambda config: outcome(config, threshold))),
        "tables": {
            "grid": {"columns": ["configuration", "optimizer", "learning_rate", *ACCURACY_COLUMNS,
                                 "train_accuracy_mean", "state"],
                     "rows": [[c.label, c.params["optimizer"], c.params["learning_rate"], *accuracy_columns(c),
                               c.spread("train_accuracy").mean, c.status] for c in configs]},
            "earlier_report": earlier_table(earlier)},
        "run_notes": run_notes(configs),
        "seeds": seed_count(own), "epochs": params["epochs"],
        "samples_per_epoch": params["samples_per_epoch"], "test_samples": test_images,
        "batch_size": params["batch_size"], "log_every_steps": params.get("log_every_steps", "—"),
    }


def outcome_claims(configs, threshold: float, test_images: int) -> list[Claim]:
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
                            f"deviations of {test_images:,} test images): {names(values['learned'])}.",
                            "learned", values["learned"]))
    for config in groups.get("some seeds", []):
        below = [f"seed {r['seed']} at {r['metrics'][-1]['test_accuracy']:.3f}" for r in config.done
                 if r["metrics"][-1]["test_accuracy"] <= threshold]
        claims.append(Claim(f"{config.label} learned in some seeds only: {names(below)} "
                            f"{'is' if len(below) == 1 else 'are'} not above {threshold:.3f}.",
                            "learned", {config.label: config.final_values()}, verdict="some seeds"))
    if groups.get("chance"):
        claims.append(Claim(f"{names(values['chance'])} stayed at chance level (10%) in every seed.",
                            "chance", values["chance"]))
        flat = [c for c in groups["chance"] if loss_stayed_at_ln10(c)]
        if flat:
            one = len(flat) == 1
            who = ("It" if one else "All of them") if len(flat) == len(groups["chance"]) else \
                f"Of these, {names(c.label for c in flat)}"
            claims.append(Claim(
                f"{who} kept a train loss flat at ln 10 ≈ 2.303 after the first epoch in every seed — the loss "
                f"of a network that gives every class probability 1/10: {'its' if one else 'their'} output is a "
                "constant, uniform guess.", "collapsed",
                {c.label: c.final_values() for c in flat}))
    for kind, text in (("diverged", "diverged: a loss became non-finite or exceeded 100 × ln 10"),
                       ("failed", "failed with an error (see the table)")):
        if groups.get(kind):
            claims.append(Claim(f"{names(c.label for c in groups[kind])} {text}.", kind,
                                {c.label: [] for c in groups[kind]}))
    return claims


def loss_stayed_at_ln10(config) -> bool:
    """Every done seed's train loss, from the second epoch on (or its only one), within tolerance of ln 10."""
    curves = [[epoch["train_loss"] for epoch in r["metrics"]] for r in config.done]
    return bool(curves) and all(abs(loss - LN_10) < COLLAPSE_TOLERANCE
                                for curve in curves for loss in (curve[1:] or curve))


def rate_claims(configs) -> list[Claim]:
    """For each optimizer: its best learning rate, tested against seed noise."""
    claims = []
    groups: dict[str, list] = {}
    for config in configs:
        groups.setdefault(config.params["optimizer"], []).append(config)
    for name, members in groups.items():
        if len(members) < 2:
            continue
        claim = ranking(members, f"{OPTIMIZER_NAMES[name]} learning rate", family=f"{name}'s learning rates")
        if claim is None:
            claims.append(Claim(f"{OPTIMIZER_NAMES[name].capitalize()} produced no finished run.", "failed",
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
