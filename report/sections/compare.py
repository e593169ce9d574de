"""Section 5: CNN versus RNN on the same MNIST data and budget."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from experiments.sizes import LENET5_WIDTHS, lenet5_parameters, narrowed_lenet5, rnn_parameters

from ..stats.claims import Claim, fmt, fmt_p, fmt_spread, observation, power_caveat
from ..errors import MkreportError
from ..stats.findings import accuracy_cell, seconds
from ..results.runs import RunSpec, format_rate, seeded
from ..stats.statistics import WELCH, compare
from ..stats.summary import ACCURACY_COLUMNS, ConfigSummary, accuracy_columns, best, by_config, seed_count
from .rnn import budget

TITLE = "CNN versus RNN"
READS = ("rnn",)
ALSO_READS = ("cnn",)  # the CIFAR10 result, as context, when that section is built


def runs(config: dict) -> list[RunSpec]:
    """LeNet5 on MNIST with the RNN section's budget and seeds, for a fair comparison; and, with
    size_matched, the same network narrowed to the parameter count of the largest RNN configuration."""
    compare = config["compare"]
    base = {"model": "lenet5", "optimizer": compare["optimizer"], "learning_rate": compare["learning_rate"],
            **budget(config)}
    label = f"lenet5, {compare['optimizer']}, lr={format_rate(compare['learning_rate'])}"
    grid = [(label, base)]
    if compare["size_matched"]:
        largest = max(rnn_parameters(cell, hidden) for cell in config["rnn"]["cells"]
                      for hidden in config["rnn"]["hidden_sizes"])
        widths = narrowed_lenet5(largest)
        if widths != LENET5_WIDTHS:  # an RNN as large as LeNet5: the "narrowed" one would be the same network
            grid.append((f"{label}, narrowed to {'/'.join(map(str, widths))}", {**base, "widths": list(widths)}))
    return seeded("compare", grid, config["rnn"]["seeds"], "mnist")


def _row(name: str, summary: ConfigSummary, thresholds) -> dict:
    done = summary.done
    parameters = done[0]["parameters"] if done else 0
    epoch_seconds = float(np.mean([e["train_seconds"] for r in done for e in r["metrics"]])) if done else math.nan
    # the last epoch's evaluation (all test images), already traced: batched inference
    inference_ms = (float(np.mean([r["metrics"][-1]["eval_seconds"] / r["metrics"][-1]["test_images"]
                                   for r in done])) * 1000 if done else math.nan)
    reach = {}
    for threshold in thresholds:
        hit = summary.first_reaching(threshold)
        reach[f"{threshold:g}"] = f"{hit[1]:,} (epoch {hit[0]})" if hit else "not reached"
    return {"name": name, "summary": summary, "accuracy": accuracy_cell(summary), "parameters": f"{parameters:,}",
            "epoch_seconds": seconds(epoch_seconds), "total_seconds": seconds(summary.total_train_seconds()),
            "inference_ms": f"{inference_ms:.3f} ms", "reach": reach,
            "reach_samples": {f"{t:g}": (hit[1] if (hit := summary.first_reaching(t)) else None) for t in thresholds},
            "parameters_raw": parameters, "epoch_seconds_raw": epoch_seconds, "inference_ms_raw": inference_ms}


def summarize(records: dict, analysis, settings: dict) -> dict:
    cnns = by_config(records["compare"])
    cnn = next(c for c in cnns if "widths" not in c.params)
    narrow = next((c for c in cnns if "widths" in c.params), None)
    rnn = best(by_config(records["rnn"]))
    if rnn is None:
        raise MkreportError("no RNN configuration finished; the comparison needs one (`mkreport rnn`)")
    thresholds = settings["accuracy_thresholds"]
    named = [("LeNet5 (CNN)", cnn)]
    if narrow:
        named.append((f"LeNet5 narrowed to {lenet5_parameters(narrow.params['widths']):,} parameters", narrow))
    named.append((f"{rnn.label} (best RNN)", rnn))
    rows = [_row(name, summary, thresholds) for name, summary in named]
    cifar = None
    if records.get("cnn"):
        cifar_best = best(by_config(records["cnn"]))
        if cifar_best:
            cifar = {"label": cifar_best.label, "accuracy": accuracy_cell(cifar_best)}
    params = records["compare"][0]["params"]
    claims = cnn_versus_rnn(cnn, rnn, rows[0], rows[-1])
    if narrow:
        claims += size_matched_claims(narrow, rnn, rows[1], rows[-1], by_config(records["rnn"]))
    elif settings["size_matched"]:
        largest = max(rnn_parameters(r["params"]["cell"], r["params"]["hidden_size"]) for r in records["rnn"])
        claims.append(observation(f"No narrowed LeNet5 was trained: the largest RNN configuration has {largest:,} "
                                  f"parameters, at least LeNet5's {lenet5_parameters():,}, so LeNet5 cannot be "
                                  "narrowed to its size."))
    return {
        "curves": [replace(summary, label=name) for name, summary in named],
        "samples_per_epoch": params["samples_per_epoch"],
        "rows": rows, "thresholds": [f"{t:g}" for t in thresholds],
        "cifar": cifar, "claims": claims,
        "samples_seen": params["epochs"] * params["samples_per_epoch"],
        "seeds": seed_count(records["compare"]), "narrow": bool(narrow),
        "tables": {"models": {
            "columns": ["model", *ACCURACY_COLUMNS, "parameters", "train_seconds_per_interval",
                        "train_seconds_total", "inference_ms_per_image",
                        *(f"samples_to_reach_{t:g}" for t in thresholds)],
            "rows": [[row["name"], *accuracy_columns(row["summary"]), row["parameters_raw"], row["epoch_seconds_raw"],
                      row["summary"].total_train_seconds(), row["inference_ms_raw"],
                      *row["reach_samples"].values()] for row in rows]}},
    }


def size_matched_claims(narrow, rnn, narrow_row: dict, rnn_row: dict, rnn_configs) -> list[Claim]:
    """The narrowed LeNet5 against the best RNN: architecture with size held (nearly) equal."""
    size, target = narrow_row["parameters_raw"], rnn_row["parameters_raw"]
    largest = max(rnn_configs, key=lambda c: rnn_parameters(c.params["cell"], c.params["hidden_size"]))
    off = size / target - 1 if target else math.nan
    match = (f"The narrowed LeNet5 ({'/'.join(map(str, narrow.params['widths']))} maps and units) has {size:,} "
             f"parameters, {off:+.1%} against the best RNN's {target:,}")
    match += (": the two are matched in size within ±20 %." if abs(off) <= 0.2 else
              f" — it was matched to the grid's largest RNN ({largest.label}), not to the best one, so the size "
              "match does not hold for this comparison.")
    claims = [observation(match)]
    values = {"narrowed LeNet5": narrow.final_values(), f"{rnn.label} (best RNN)": rnn.final_values()}
    comparison = compare(*values.values())
    a, b = narrow.final()[0], rnn.final()[0]
    if comparison.verdict == "one seed":
        claims.append(Claim(f"At that size, LeNet5 reached {fmt(a)} and the best RNN {fmt(b)}; with one seed "
                            "the two cannot be separated.", "one-seed", values))
    elif comparison.verdict == "tie":
        claims.append(Claim(f"At that size, LeNet5 ({fmt_spread(narrow.spread())}) and the best RNN "
                            f"({fmt_spread(rnn.spread())}) are tied within seed noise ({WELCH}, {fmt_p(comparison)})."
                            + power_caveat(*values.values()),
                            "tie", values, comparison.test, comparison.p_value, "tie"))
    else:
        better = "the narrowed LeNet5" if a > b else "the best RNN"
        claims.append(Claim(f"At that size, {better} reached the higher test accuracy ({max(a, b):.3f} against "
                            f"{min(a, b):.3f}; {WELCH}, {fmt_p(comparison)}).", "difference", values,
                            comparison.test, comparison.p_value, "difference"))
    return claims


def cnn_versus_rnn(cnn, rnn, cnn_row: dict, rnn_row: dict) -> list[Claim]:
    """LeNet5 against the best RNN on MNIST, tested against seed noise, then what each costs."""
    cnn_values, rnn_values = cnn.final_values(), rnn.final_values()
    if not (cnn_values and rnn_values):
        return [observation("One of the two models has no finished run, so no comparison is drawn.")]
    values = {"LeNet5 (CNN)": cnn_values, f"{rnn.label} (best RNN)": rnn_values}
    cnn_acc, rnn_acc = cnn.final()[0], rnn.final()[0]
    comparison = compare(cnn_values, rnn_values)
    best_rnn = f"the best RNN ({rnn.label})"
    if comparison.verdict == "one seed":
        claim = Claim(f"LeNet5 reached {fmt(cnn_acc)} and {best_rnn} {fmt(rnn_acc)}; with one seed the two "
                      "cannot be separated.", "one-seed", values)
    elif comparison.verdict == "tie":
        claim = Claim(f"With the same data, budget and seeds, LeNet5 ({fmt_spread(cnn.spread())}) and {best_rnn} "
                      f"({fmt_spread(rnn.spread())}) are tied within seed noise ({WELCH}, {fmt_p(comparison)})."
                      + power_caveat(cnn_values, rnn_values),
                      "tie", values, comparison.test, comparison.p_value, "tie")
    else:
        better, worse = ("LeNet5", best_rnn) if cnn_acc >= rnn_acc else (best_rnn, "LeNet5")
        claim = Claim(f"With the same data, budget and seeds, {better} reached the higher test accuracy "
                      f"({max(cnn_acc, rnn_acc):.3f} against {min(cnn_acc, rnn_acc):.3f} for {worse}; {WELCH}, "
                      f"{fmt_p(comparison)}).", "difference", values, comparison.test, comparison.p_value, "difference")
    cost = observation(
        f"LeNet5 has {cnn_row['parameters_raw'] / rnn_row['parameters_raw']:.1f}× the parameters "
        f"of the RNN and took {cnn_row['epoch_seconds_raw'] / rnn_row['epoch_seconds_raw']:.1f}× its "
        f"training time per evaluation interval; inference per image was "
        f"{cnn_row['inference_ms_raw']:.3f} ms against {rnn_row['inference_ms_raw']:.3f} ms.")
    return [claim, cost]


def figures(summary: dict) -> dict[str, bytes]:
    from ..output import figures as draw

    return {"curves": draw.learning_curves(summary["curves"], metrics=("test_accuracy", "train_loss"),
                                           x_label="training samples seen", x_scale=summary["samples_per_epoch"])}
