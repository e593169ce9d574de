"""Section 4: an RNN on MNIST (rows as time steps), cell × hidden size."""
from __future__ import annotations

from ..stats import earlier_report
from ..stats.claims import Claim, earlier_table, fmt, fmt_interval, fmt_p, power_caveat
from ..stats.findings import accuracy_cell, ranking, ranking_of, run_notes, seconds
from ..results.runs import RunSpec, precision_label, seeded, with_precision
from ..stats.statistics import WELCH, compare
from ..stats.summary import ACCURACY_COLUMNS, accuracy_columns, by_config, images_tested, seed_count

TITLE = "A recurrent network on MNIST"
CELL_NAMES = {"rnn": "basic RNN", "lstm": "LSTM", "gru": "GRU"}


def budget(config: dict) -> dict:
    """The RNN grid's budget; the compare section trains LeNet5 on MNIST with the same one."""
    section = config["rnn"]
    return {k: section[k] for k in ("epochs", "batch_size", "samples_per_epoch", "test_samples", "curve_test_samples",
                                    "log_every_steps")}


def runs(config: dict) -> list[RunSpec]:
    section = config["rnn"]
    grid = [(f"{cell}, {hidden} units{precision_label(section['precision'])}",
             {"model": "rnn", "cell": cell, "hidden_size": hidden, "optimizer": "adam",
              "learning_rate": section["learning_rate"], **budget(config), **with_precision(section["precision"])})
            for cell in section["cells"] for hidden in section["hidden_sizes"]]
    return seeded("rnn", grid, section["seeds"], "mnist")


def summarize(records: dict, analysis, settings: dict) -> dict:
    own = records["rnn"]
    configs = by_config(own)
    parameters = {r["label"]: r["parameters"] for r in own if r["parameters"]}
    params = own[0]["params"]
    return {
        "configs": configs,
        "rows": [{"label": s.label, "accuracy": accuracy_cell(s), "interval": fmt_interval(s.spread()),
                  "status": s.status,
                  "parameters": f"{parameters.get(s.label, 0):,}",
                  "train_time": seconds(s.total_train_seconds())} for s in configs],
        "claims": [claim for claim in [ranking(configs)] if claim] + cell_claims(configs),
        "earlier": (earlier := earlier_report.rnn_claims(configs)),
        "tables": {
            "grid": {"columns": ["configuration", "cell", "hidden_size", *ACCURACY_COLUMNS, "parameters",
                                 "train_seconds_mean", "state"],
                     "rows": [[c.label, c.params["cell"], c.params["hidden_size"], *accuracy_columns(c),
                               parameters.get(c.label), c.total_train_seconds(), c.status] for c in configs]},
            "earlier_report": earlier_table(earlier)},
        "run_notes": run_notes(configs),
        "seeds": seed_count(own), "epochs": params["epochs"],
        "samples_per_epoch": params["samples_per_epoch"],
        "samples_seen": params["epochs"] * params["samples_per_epoch"],
        "batch_size": params["batch_size"], "log_every_steps": params.get("log_every_steps", "—"), "learning_rate": f"{params['learning_rate']:g}",
        "test_samples": images_tested(own), "curve_test_samples": images_tested(own, last=False),
        "train_size": next((r["train_images"] for r in own if "train_images" in r), None),
    }


def cell_claims(configs) -> list[Claim]:
    """The cells compared over all their seeds and sizes, then each cell's sizes step by step."""
    claims = []
    cells = list(dict.fromkeys(c.params["cell"] for c in configs))
    pooled = {CELL_NAMES[cell]: [v for c in configs if c.params["cell"] == cell for v in c.final_values()]
              for cell in cells}
    if len(cells) > 1 and all(len(c.final_values()) >= 2 for c in configs if c.done):
        claim = ranking_of({cell: values for cell, values in pooled.items() if values},
                           "cell (every seed of every hidden size pooled)")
        if claim:
            claims.append(claim)
    for cell in cells:
        members = sorted((c for c in configs if c.params["cell"] == cell and c.done),
                         key=lambda c: c.params["hidden_size"])
        if len(members) >= 2:
            claims.append(size_trend(CELL_NAMES[cell], members))
    return claims


def size_trend(cell_name: str, members) -> Claim:
    """Does accuracy change from each hidden size to the next, beyond seed noise?"""
    values = {m.label: m.final_values() for m in members}
    times = [m.total_train_seconds() for m in members]
    timing = (f" Training time grows from {times[0]:.1f} s to {times[-1]:.1f} s ({times[-1] / times[0]:.1f}×)."
              if times[0] > 0 else "")
    if any(len(v) < 2 for v in values.values()):
        return Claim(f"For the {cell_name}, test accuracy by hidden size is "
                     + ", ".join(f"{m.params['hidden_size']}: {fmt(m.final()[0])}" for m in members)
                     + "; with one seed the sizes cannot be ordered." + timing, "one-seed", values)
    steps, verdicts, p_values = [], [], {}
    for low, high in zip(members, members[1:]):
        comparison = compare(low.final_values(), high.final_values())
        direction = "higher" if high.final()[0] > low.final()[0] else "lower"
        verdict = direction if comparison.verdict == "difference" else "tied"
        verdicts.append(verdict)
        p_values[f"{low.params['hidden_size']}→{high.params['hidden_size']}"] = comparison.p_value
        steps.append(f"{low.params['hidden_size']} → {high.params['hidden_size']} units: "
                     + (f"{direction} ({fmt(low.final()[0])} → {fmt(high.final()[0])}, {fmt_p(comparison)})"
                        if verdict != "tied" else
                        f"tied within seed noise ({fmt(low.final()[0])} vs {fmt(high.final()[0])}, {fmt_p(comparison)})"))
    if len(set(verdicts)) == 1 and verdicts[0] != "tied":
        kind = "trend"
        lead = f"For the {cell_name}, test accuracy {'rises' if verdicts[0] == 'higher' else 'falls'} with every step in hidden size: "
    else:
        kind = "tie" if all(v == "tied" for v in verdicts) else "difference"
        lead = f"For the {cell_name}, from one hidden size to the next: "
    caveat = power_caveat(*values.values()) if "tied" in verdicts else ""
    return Claim(lead + "; ".join(steps) + "." + caveat + timing, kind, values, WELCH, min(p_values.values()),
                 ", ".join(verdicts), {"p_values": p_values})


def figures(summary: dict) -> dict[str, bytes]:
    from ..output import figures as draw

    return {"curves": draw.learning_curves(summary["configs"], x_label="training samples seen",
                                           x_scale=summary["samples_per_epoch"])}
