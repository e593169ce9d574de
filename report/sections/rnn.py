"""Section 4: an RNN on MNIST (rows as time steps), cell × hidden size."""
from __future__ import annotations

from ..stats.claims import Claim, fmt, fmt_interval
from ..stats.findings import accuracy_cell, ranking, ranking_of, run_notes, seconds
from ..results.runs import RunSpec, precision_label, seeded, with_precision
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
        "claims": [claim for claim in [ranking(configs, family="the RNN grid")] if claim] + cell_claims(configs),
        "tables": {
            "grid": {"columns": ["configuration", "cell", "hidden_size", *ACCURACY_COLUMNS, "parameters",
                                 "train_seconds_mean", "state"],
                     "rows": [[c.label, c.params["cell"], c.params["hidden_size"], *accuracy_columns(c),
                               parameters.get(c.label), c.total_train_seconds(), c.status] for c in configs]}},
        "run_notes": run_notes(configs),
        "seeds": seed_count(own), "epochs": params["epochs"],
        "samples_per_epoch": params["samples_per_epoch"],
        "samples_seen": params["epochs"] * params["samples_per_epoch"],
        "batch_size": params["batch_size"], "log_every_steps": params.get("log_every_steps", "—"), "learning_rate": f"{params['learning_rate']:g}",
        "test_samples": images_tested(own), "curve_test_samples": images_tested(own, last=False),
        "train_size": next((r["train_images"] for r in own if "train_images" in r), None),
    }


def cell_claims(configs) -> list[Claim]:
    """The cells compared at each hidden size (never seeds of different sizes pooled into one sample),
    then each cell's sizes step by step; each comparison is one family."""
    claims = []
    cells = list(dict.fromkeys(c.params["cell"] for c in configs))
    sizes = sorted({c.params["hidden_size"] for c in configs})
    if len(cells) > 1:
        for size in sizes:
            at_size = {CELL_NAMES[c.params["cell"]]: c.final_values() for c in configs
                       if c.params["hidden_size"] == size and c.done}
            claim = ranking_of(at_size, f"cell at {size} units", family=f"cells at {size} units") if len(at_size) > 1 else None
            if claim:
                claims.append(claim)
    for cell in cells:
        members = sorted((c for c in configs if c.params["cell"] == cell and c.done),
                         key=lambda c: c.params["hidden_size"])
        if len(members) >= 2:
            claims.append(size_trend(CELL_NAMES[cell], members))
    return claims


STEP_WORDS = {"better": "higher", "worse": "lower", "equivalent": "equivalent within ±{margin:.2f}",
              "not resolved": "not resolved", "zero spread": "unchanged in every seed, not tested",
              "one seed": "one seed, not tested"}


def size_trend(cell_name: str, members) -> Claim:
    """Does accuracy change from each hidden size to the next? The steps are one family (Holm)."""
    from ..stats.families import MARGIN, compare_pair, holm, pooled_variance

    values = {m.label: m.final_values() for m in members}
    times = [m.total_train_seconds() for m in members]
    timing = (f" Training time grows from {times[0]:.1f} s to {times[-1]:.1f} s ({times[-1] / times[0]:.1f}×)."
              if times[0] > 0 else "")
    if any(len(v) < 2 for v in values.values()):
        return Claim(f"For the {cell_name}, test accuracy by hidden size is "
                     + ", ".join(f"{m.params['hidden_size']}: {fmt(m.final()[0])}" for m in members)
                     + "; with one seed the sizes cannot be ordered." + timing, "one-seed", values)
    pooled = pooled_variance(values)
    steps = list(zip(members, members[1:]))
    tests = {f"{low.params['hidden_size']}→{high.params['hidden_size']}":
             compare_pair(high.final_values(), low.final_values(), len(steps), pooled, (high.label, low.label))
             for low, high in steps}
    adjusted = holm({k: v.p_value for k, v in tests.items() if v.p_value is not None})
    words, verdicts = [], []
    for (low, high), (name, test) in zip(steps, tests.items()):
        verdict = test.verdict
        if verdict in ("better", "worse") and adjusted.get(name, 1.0) >= 0.05:
            verdict = "not resolved"   # Holm's step-down is the family's test; Bonferroni alone is stricter
        verdicts.append(verdict)
        said = STEP_WORDS[verdict].format(margin=MARGIN)
        p = f", adjusted p = {adjusted[name]:.3f}" if name in adjusted else ""
        unseen = (f"; a difference under {test.detectable:.3f} would go unseen"
                  if verdict == "not resolved" and test.detectable else "")
        words.append(f"{name} units: {said} ({fmt(low.final()[0])} → {fmt(high.final()[0])}{p}{unseen})")
    if len(set(verdicts)) == 1 and verdicts[0] in ("better", "worse"):
        kind = "trend"
        lead = f"For the {cell_name}, test accuracy {'rises' if verdicts[0] == 'better' else 'falls'} with every step in hidden size: "
    else:
        kind = "not-resolved" if all(v == "not resolved" for v in verdicts) else "difference"
        lead = f"For the {cell_name}, from one hidden size to the next: "
    test_name = next((t.test for t in tests.values() if t.test), None)
    return Claim(lead + "; ".join(words) + f" ({test_name}, Holm over {len(steps)} steps)." + timing, kind, values,
                 test_name, min((t.p_value for t in tests.values() if t.p_value is not None), default=None),
                 ", ".join(verdicts), {"p_adjusted": adjusted},
                 df=next((t.df for t in tests.values() if t.df is not None), None),
                 p_adjusted=min(adjusted.values(), default=None),
                 family={"name": f"{cell_name} hidden sizes", "size": len(steps)})


def figures(summary: dict) -> dict[str, bytes]:
    from ..output import figures as draw

    return {"curves": draw.learning_curves(summary["configs"], x_label="training samples seen",
                                           x_scale=summary["samples_per_epoch"])}
