"""Section 5: CNN versus RNN on the same MNIST data and budget."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from experiments.network import describe, narrowed, network_of, non_default, parameters, widths_text
from experiments.sizes import rnn_parameters

from ..stats.claims import Claim, fmt, fmt_spread, observation
from ..errors import MkreportError
from ..stats.findings import accuracy_cell, seconds, still_learning
from ..results.runs import RunSpec, format_rate, network_grid, seeded
from ..stats.summary import ACCURACY_COLUMNS, ConfigSummary, accuracy_columns, best, by_config, seed_count
from .rnn import budget

TITLE = "CNN versus RNN"
READS = ("rnn",)
ALSO_READS = ("cnn",)  # the CIFAR10 result, as context, when that section is built
NARROWED = "narrowed to"   # in the label of the size-matched LeNet5


RESOLVE = False   # its LeNet5s serve CNN against RNN, not a "which is best" of their own: --resolve leaves them

def runs(config: dict) -> list[RunSpec]:
    """LeNet5 (the [cnn] network; where [cnn] has network axes, the first value of each) on MNIST with the
    RNN section's budget and seeds, for a fair comparison; and, with size_matched, the same network
    narrowed to the parameter count of the largest RNN configuration."""
    compare = config["compare"]
    network = network_grid(config["cnn"])[0][0]
    base = {"model": "lenet5", "optimizer": compare["optimizer"], "learning_rate": compare["learning_rate"],
            **budget(config)}
    label = f"lenet5, {compare['optimizer']}, lr={format_rate(compare['learning_rate'])}"
    grid = [(label, {**base, **non_default(network)})]
    if compare["size_matched"]:
        largest = max(rnn_parameters(cell, hidden) for cell in config["rnn"]["cells"]
                      for hidden in config["rnn"]["hidden_sizes"])
        narrow = narrowed(network, largest)
        if narrow != network:  # an RNN as large as LeNet5: the "narrowed" one would be the same network
            grid.append((f"{label}, {NARROWED} {widths_text(narrow)}", {**base, **non_default(narrow)}))
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
    cnn = next(c for c in cnns if NARROWED not in c.label)
    narrow = next((c for c in cnns if NARROWED in c.label), None)
    rnn_configs = by_config(records["rnn"])
    rnn = best(rnn_configs)
    if rnn is None:
        raise MkreportError("no RNN configuration finished; the comparison needs one (`mkreport rnn`)")
    # a draft budget whose RNN curves still rise cannot rank the RNN grid: its top mean is not "the best"
    unranked = settings.get("draft", False) and still_learning(rnn_configs)
    role = "top RNN of this draft" if unranked else "best RNN"
    thresholds = settings["accuracy_thresholds"]
    named = [("LeNet5 (CNN)", cnn)]
    if narrow:
        named.append((f"LeNet5 narrowed to {parameters(network_of(narrow.params)):,} parameters", narrow))
    named.append((f"{rnn.label} ({role})", rnn))
    rows = [_row(name, summary, thresholds) for name, summary in named]
    cifar = None
    if records.get("cnn"):
        cifar_best = best(by_config(records["cnn"]))
        if cifar_best:
            cifar = {"label": cifar_best.label, "accuracy": accuracy_cell(cifar_best)}
    params = records["compare"][0]["params"]
    claims = [observation(f"The RNN set beside LeNet5 is {rnn.label}, the highest mean of the RNN grid at this draft "
                          "budget, which is too small to rank that grid (its curves still rise): the full profile "
                          "may set another RNN here.")] if unranked else []
    claims += cnn_versus_rnn(cnn, rnn, rows[0], rows[-1], rnn_configs, role)
    if narrow:
        claims += size_matched_claims(narrow, rnn, rows[1], rows[-1], rnn_configs, role)
    elif settings["size_matched"]:
        largest = max(rnn_parameters(r["params"]["cell"], r["params"]["hidden_size"]) for r in records["rnn"])
        claims.append(observation(f"No narrowed LeNet5 was trained: the largest RNN configuration has {largest:,} "
                                  f"parameters, at least LeNet5's {parameters(network_of(cnn.params)):,}, so LeNet5 cannot be "
                                  "narrowed to its size."))
    return {
        "curves": [replace(summary, label=name) for name, summary in named],
        "samples_per_epoch": params["samples_per_epoch"],
        "rows": rows, "thresholds": [f"{t:g}" for t in thresholds],
        "cifar": cifar, "claims": claims,
        "samples_seen": params["epochs"] * params["samples_per_epoch"],
        "seeds": seed_count(records["compare"]), "narrow": bool(narrow), "role": role,
        "network": describe(network_of(cnn.params)),
        "tables": {"models": {
            "columns": ["model", *ACCURACY_COLUMNS, "parameters", "train_seconds_per_interval",
                        "train_seconds_total", "inference_ms_per_image",
                        *(f"samples_to_reach_{t:g}" for t in thresholds)],
            "rows": [[row["name"], *accuracy_columns(row["summary"]), row["parameters_raw"], row["epoch_seconds_raw"],
                      row["summary"].total_train_seconds(), row["inference_ms_raw"],
                      *row["reach_samples"].values()] for row in rows]}},
    }


def size_matched_claims(narrow, rnn, narrow_row: dict, rnn_row: dict, rnn_configs, role: str = "best RNN") -> list[Claim]:
    """The narrowed LeNet5 against the best RNN: architecture with size held (nearly) equal."""
    size, target = narrow_row["parameters_raw"], rnn_row["parameters_raw"]
    largest = max(rnn_configs, key=lambda c: rnn_parameters(c.params["cell"], c.params["hidden_size"]))
    off = size / target - 1 if target else math.nan
    match = (f"The narrowed LeNet5 ({widths_text(network_of(narrow.params))} maps and units) has {size:,} "
             f"parameters, {off:+.1%} against the {target:,} of the {role}")
    match += (": the two are matched in size within ±20 %." if abs(off) <= 0.2 else
              f" — it was matched to the grid's largest RNN ({largest.label}), not to the {role}, so the size "
              "match does not hold for this comparison.")
    claims = [observation(match)]
    claims.append(against_best_rnn("At that size, the narrowed LeNet5", "narrowed LeNet5", narrow, rnn, rnn_configs,
                                   role))
    return claims


def against_best_rnn(lead: str, name: str, cnn, rnn, rnn_configs, role: str = "best RNN") -> Claim:
    """A LeNet5 against the best RNN. The best RNN was picked by its mean among k configurations, so the
    family is this LeNet5 against every RNN configuration (Holm over the k pairs, which removes the
    winner's curse); the seed variance is pooled over them where the spreads allow."""
    from ..stats.claims import fmt_p
    from ..stats.families import MARGIN, compare_pairs

    rnn_name = f"{rnn.label} ({role})"
    values = {name: cnn.final_values(), rnn_name: rnn.final_values()}
    samples = {name: cnn.final_by_seed(), **{c.label: c.final_by_seed() for c in rnn_configs if c.done}}
    pairs = [(name, c.label) for c in rnn_configs if c.done]
    k = len(pairs)
    verdict = compare_pairs(samples, pairs)[(name, rnn.label)]
    family = {"name": f"{name} against each RNN configuration", "size": k}
    a, b = cnn.final()[0], rnn.final()[0]
    if verdict.verdict == "one seed":
        return Claim(f"{lead} reached {fmt(a)} and the {role} ({rnn.label}) {fmt(b)}; with one seed the two "
                     "cannot be separated.", "one-seed", values, family=family)
    if verdict.verdict == "zero spread":
        return Claim(f"{lead} reached {fmt(a)} and the {role} ({rnn.label}) {fmt(b)}, each identical in every "
                     "seed: with no spread there is no test.", "observation", values, family=family)
    tested = (f"{verdict.test}; Holm over LeNet5 against each of the {k} RNN configurations, for having picked "
              f"the best, adjusted p {fmt_p(verdict.p_adjusted)}")
    pair = f"({fmt_spread(cnn.spread())}) and the {role}, {rnn.label} ({fmt_spread(rnn.spread())})"
    common = dict(test=verdict.test, p_value=verdict.p_value, df=verdict.df, p_adjusted=verdict.p_adjusted,
                  family=family)
    if verdict.verdict in ("better", "worse"):
        higher = "LeNet5" if verdict.verdict == "better" else "the RNN"
        return Claim(f"{lead} {pair}: {higher} is higher beyond seed noise, by {abs(verdict.difference):.3f} "
                     f"({tested}).", "difference", values, verdict=verdict.verdict, **common)
    if verdict.verdict == "equivalent":
        return Claim(f"{lead} {pair} are equivalent within ±{MARGIN:.2f} ({tested}; two one-sided tests).",
                     "equivalent", values, verdict="equivalent", **common)
    seeds = min(len(v) for v in values.values())
    return Claim(f"{lead} {pair} are not resolved: the difference, {verdict.difference:+.3f}, is not separated "
                 f"from seed noise ({tested}); with {seeds} seeds a side, a difference smaller than "
                 f"{verdict.detectable:.3f} would go unseen.", "not-resolved", values, verdict="not resolved", **common)


def cnn_versus_rnn(cnn, rnn, cnn_row: dict, rnn_row: dict, rnn_configs=(), role: str = "best RNN") -> list[Claim]:
    """LeNet5 against the best RNN on MNIST, tested against seed noise, then what each costs."""
    if not (cnn.final_values() and rnn.final_values()):
        return [observation("One of the two models has no finished run, so no comparison is drawn.")]
    claim = against_best_rnn("With the same data, budget and seeds, LeNet5", "LeNet5 (CNN)", cnn, rnn,
                             list(rnn_configs) or [rnn], role)
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
