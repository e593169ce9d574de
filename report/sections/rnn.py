"""Section 4: an RNN on MNIST (rows as time steps), cell × hidden size."""
from __future__ import annotations

from ..stats.claims import Claim, fmt, fmt_interval
from ..stats.findings import accuracy_cell, draft_claim, ranking, run_notes, seconds, still_learning
from ..stats.statistics import chance_threshold
from ..results.runs import RunSpec, format_rate, optimizer_grid, optimizer_label, precision_label, seeded, with_precision
from ..stats.summary import ACCURACY_COLUMNS, accuracy_columns, by_config, images_tested, seed_count

TITLE = "A recurrent network on MNIST"
CELL_NAMES = {"rnn": "basic RNN", "lstm": "LSTM", "gru": "GRU"}


def budget(config: dict) -> dict:
    """The RNN grid's budget; the compare section trains LeNet5 on MNIST with the same one."""
    section = config["rnn"]
    return {k: section[k] for k in ("epochs", "batch_size", "samples_per_epoch", "test_samples", "curve_test_samples",
                                    "log_every_steps")}


def runs(config: dict) -> list[RunSpec]:
    """cell × hidden size × optimizer (with its momentum values) × learning rate. Labels name an optimizer
    or a rate only when the grid has several: the default grid's labels are 'lstm, 128 units'."""
    section = config["rnn"]
    optimizers = optimizer_grid(section)

    def label(cell, hidden, optimizer, rate):
        return (f"{cell}, {hidden} units" + (f", {optimizer_label(optimizer)}" if len(optimizers) > 1 else "")
                + (f", lr={format_rate(rate)}" if len(section["learning_rates"]) > 1 else "")
                + precision_label(section["precision"]))

    grid = [(label(cell, hidden, optimizer, rate),
             {"model": "rnn", "cell": cell, "hidden_size": hidden, **optimizer, "learning_rate": rate,
              **budget(config), **with_precision(section["precision"])})
            for cell in section["cells"] for hidden in section["hidden_sizes"]
            for optimizer in optimizers for rate in section["learning_rates"]]
    return seeded("rnn", grid, section["seeds"], "mnist")


def summarize(records: dict, analysis, settings: dict) -> dict:
    own = records["rnn"]
    configs = by_config(own)
    threshold = chance_threshold(images_tested(own))
    parameters = {r["label"]: r["parameters"] for r in own if r["parameters"]}
    params = own[0]["params"]
    return {
        "configs": configs,
        "rows": [{"label": s.label, "accuracy": accuracy_cell(s), "interval": fmt_interval(s.spread()),
                  "status": s.status,
                  "parameters": f"{parameters.get(s.label, 0):,}",
                  "train_time": seconds(s.total_train_seconds())} for s in configs],
        "claims": grid_words(configs, threshold, settings.get("draft", False)),
        "tables": {
            "grid": {"columns": ["configuration", "cell", "hidden_size", "optimizer", "momentum", "learning_rate",
                                 *ACCURACY_COLUMNS, "parameters", "train_seconds_mean", "state"],
                     "rows": [[c.label, c.params["cell"], c.params["hidden_size"], c.params["optimizer"],
                               c.params.get("momentum", ""), c.params["learning_rate"], *accuracy_columns(c),
                               parameters.get(c.label), c.total_train_seconds(), c.status] for c in configs]}},
        "run_notes": run_notes(configs),
        "seeds": seed_count(own), "epochs": params["epochs"],
        "samples_per_epoch": params["samples_per_epoch"],
        "samples_seen": params["epochs"] * params["samples_per_epoch"],
        "batch_size": params["batch_size"], "log_every_steps": params.get("log_every_steps", "—"), "training": training_words(configs),
        "test_samples": images_tested(own), "curve_test_samples": images_tested(own, last=False),
        "train_size": next((r["train_images"] for r in own if "train_images" in r), None),
    }


def training_words(configs) -> str:
    """'Adam at learning rate 0.001', or the grid's optimizers and rates when they vary."""
    from ..stats.findings import names, optimizer_words

    optimizers = list(dict.fromkeys(optimizer_words(c.params) for c in configs))
    rates = list(dict.fromkeys(format_rate(c.params["learning_rate"]) for c in configs))
    return (f"{names(optimizers)} at learning rate{'s' if len(rates) > 1 else ''} {names(rates)}"
            + (" (a grid axis each)" if len(optimizers) > 1 or len(rates) > 1 else ""))


def _setting(config) -> tuple:
    """Everything but cell and hidden size that tells two configurations apart: the question's context."""
    params = config.params
    return (optimizer_label(params) if "optimizer" in params else "", params.get("learning_rate"))


def grid_words(configs, threshold: float | None, draft: bool) -> list[Claim]:
    """Which configuration is best and the cells and sizes compared; on a draft budget whose curves still
    rise, that it is too small to rank them."""
    rising = still_learning(configs, threshold) if draft else {}
    if rising:
        return [draft_claim(configs, rising)]
    return [claim for claim in [ranking(configs, family="the RNN grid", threshold=threshold)] if claim] \
        + cell_claims(configs, threshold)


def cell_claims(configs, threshold: float | None = None) -> list[Claim]:
    """The cells compared pairwise at each hidden size (and optimizer and rate, where those vary) —
    never seeds of different sizes pooled into one sample — then each cell's sizes step by step; each
    sentence is one family of exactly the pairs it prints."""
    claims = []
    settings = list(dict.fromkeys(_setting(c) for c in configs))
    several = len(settings) > 1
    # every configuration of the grid (one model family, one budget) informs the pooled seed variance
    grid = {c.label: c.final_by_seed() for c in configs if c.done}
    for setting in settings:
        members = [c for c in configs if _setting(c) == setting]
        where = f", {setting[0]}, lr={format_rate(setting[1])}" if several else ""
        cells = list(dict.fromkeys(c.params["cell"] for c in members))
        if len(cells) > 1:
            for size in sorted({c.params["hidden_size"] for c in members}):
                at_size = {CELL_NAMES[c.params["cell"]]: c for c in members
                           if c.params["hidden_size"] == size and c.done}
                if len(at_size) > 1:
                    claims.append(cells_at_size(at_size, f"{size} units{where}", threshold, grid))
        for cell in cells:
            sized = sorted((c for c in members if c.params["cell"] == cell and c.done),
                           key=lambda c: c.params["hidden_size"])
            if len(sized) >= 2:
                claims.append(size_trend(CELL_NAMES[cell] + where, sized, threshold, grid))
    return claims


PAIR_WORDS = {"better": "{a} is above {b}", "worse": "{b} is above {a}",
              "equivalent": "{a} and {b} are equivalent within ±{margin:.2f}",
              "not resolved": "{a} against {b}: not resolved", "zero spread": "{a} and {b}: no spread, not tested",
              "one seed": "{a} against {b}: one seed, not tested"}


def _learned(values: dict, threshold: float | None) -> tuple[dict, str]:
    """The seeds that learned, and words for the configurations where some did not."""
    from ..stats.statistics import learned_values

    kept, learned, _ = learned_values(values, threshold)
    partial = [f"{label} learned in {k} of {n} seeds" for label, (k, n) in learned.items() if k < n]
    return kept, ("; " + "; ".join(partial) + ", compared over those") if partial else ""


def _tested(verdict) -> str:
    """'adjusted p = 0.012', or why the pair was not tested."""
    from ..stats.claims import fmt_p

    return f"adjusted p {fmt_p(verdict.p_adjusted)}" if verdict.p_adjusted is not None else verdict.verdict


def _own_test(verdict, common: str | None) -> str:
    """', basic RNN with its own larger variance' where a pair's test is not the family's pooled one."""
    if not verdict.test or verdict.test == common:
        return ""
    return ", " + (verdict.test[len(common) + 2:] if common and verdict.test.startswith(common + ", ") else verdict.test)


def cells_at_size(at_size: dict, where: str, threshold: float | None = None, grid: dict | None = None) -> Claim:
    """Every pair of cells at one hidden size: one family, Holm over its pairs; the seed variance is
    pooled over grid (label → seed → value: the whole grid), or over these cells alone."""
    from ..stats.families import MARGIN, ErrorModel, compare_pairs

    grid = grid or {c.label: c.final_by_seed() for c in at_size.values()}
    values, partial = _learned(grid, threshold)
    name_of = {c.label: name for name, c in at_size.items()}
    labels = [c.label for c in at_size.values()]
    pairs = [(a, b) for i, a in enumerate(labels) for b in labels[i + 1:] if a in values and b in values]
    model = ErrorModel(values)
    verdicts = compare_pairs(values, pairs, model=model)
    common = model.pooled_test if model.pooled else None
    words = []
    for pair, v in verdicts.items():
        first, second = (v.b, v.a) if v.verdict == "worse" else (v.a, v.b)   # numbers in the sentence's order
        means = f"{fmt(model.means[first])} against {fmt(model.means[second])}"
        unseen = f"; a difference under {v.detectable:.3f} would go unseen" if v.verdict == "not resolved" else ""
        words.append(PAIR_WORDS[v.verdict].format(a=name_of[v.a], b=name_of[v.b], margin=MARGIN)
                     + f" ({means}, {_tested(v)}{_own_test(v, common)}{unseen})")
    found = {v.verdict for v in verdicts.values()}
    kind = ("difference" if found & {"better", "worse"} else "equivalent" if found == {"equivalent"}
            else "not-resolved")
    values_json = {name: list(c.final_by_seed().values()) for name, c in at_size.items()}
    tests = [v.test for v in verdicts.values() if v.test]
    return Claim(f"The cells at {where}, pair by pair: " + "; ".join(words)
                 + f" ({common or 'no test'}; Holm over {len(verdicts)} pairs){partial}.", kind, values_json,
                 "; ".join(dict.fromkeys(tests)) or None,
                 min((v.p_value for v in verdicts.values() if v.p_value is not None), default=None),
                 ", ".join(v.verdict for v in verdicts.values()),
                 {"pairs": [{"a": name_of[v.a], "b": name_of[v.b], "verdict": v.verdict, "difference": v.difference,
                             "test": v.test, "df": v.df, "p_adjusted": v.p_adjusted} for v in verdicts.values()]},
                 df=next((v.df for v in verdicts.values() if v.df is not None), None),
                 p_adjusted=min((v.p_adjusted for v in verdicts.values() if v.p_adjusted is not None), default=None),
                 family={"name": f"cells at {where}", "size": len(verdicts)})


STEP_WORDS = {"better": "higher", "worse": "lower", "equivalent": "equivalent within ±{margin:.2f}",
              "not resolved": "not resolved", "zero spread": "unchanged in every seed, not tested",
              "one seed": "one seed, not tested"}


def size_trend(cell_name: str, members, threshold: float | None = None, grid: dict | None = None) -> Claim:
    """Does accuracy change from each hidden size to the next? The steps are one family (Holm); the seed
    variance is pooled over grid (the whole grid), or over these sizes alone."""
    from ..stats.families import MARGIN, ErrorModel, compare_pairs

    values = {m.label: m.final_values() for m in members}
    times = [m.total_train_seconds() for m in members]
    timing = (f" Training time grows from {times[0]:.1f} s to {times[-1]:.1f} s ({times[-1] / times[0]:.1f}×)."
              if times[0] > 0 else "")
    if any(len(v) < 2 for v in values.values()):
        return Claim(f"For the {cell_name}, test accuracy by hidden size is "
                     + ", ".join(f"{m.params['hidden_size']}: {fmt(m.final()[0])}" for m in members)
                     + "; with one seed the sizes cannot be ordered." + timing, "one-seed", values)
    kept, partial = _learned(grid or {m.label: m.final_by_seed() for m in members}, threshold)
    steps = list(zip(members, members[1:]))
    model = ErrorModel(kept)
    verdicts = compare_pairs(kept, [(high.label, low.label) for low, high in steps], model=model)
    common = model.pooled_test if model.pooled else None
    words, verdict_names = [], []
    for (low, high), v in zip(steps, verdicts.values()):
        verdict_names.append(v.verdict)
        unseen = (f"; a difference under {v.detectable:.3f} would go unseen"
                  if v.verdict == "not resolved" and v.detectable else "")
        words.append(f"{low.params['hidden_size']}→{high.params['hidden_size']} units: "
                     f"{STEP_WORDS[v.verdict].format(margin=MARGIN)} ({fmt(low.final()[0])} → {fmt(high.final()[0])}, "
                     f"{_tested(v)}{_own_test(v, common)}{unseen})")
    if len(set(verdict_names)) == 1 and verdict_names[0] in ("better", "worse"):
        kind = "trend"
        lead = (f"For the {cell_name}, test accuracy {'rises' if verdict_names[0] == 'better' else 'falls'} with "
                "every step in hidden size: ")
    else:
        kind = "not-resolved" if all(v == "not resolved" for v in verdict_names) else "difference"
        lead = f"For the {cell_name}, from one hidden size to the next: "
    adjusted = {f"{low.params['hidden_size']}→{high.params['hidden_size']}": v.p_adjusted
                for (low, high), v in zip(steps, verdicts.values()) if v.p_adjusted is not None}
    tests = list(dict.fromkeys(v.test for v in verdicts.values() if v.test))
    return Claim(lead + "; ".join(words) + f" ({common or 'no test'}; Holm over {len(steps)} steps){partial}."
                 + timing, kind, values, "; ".join(tests) or None,
                 min((v.p_value for v in verdicts.values() if v.p_value is not None), default=None),
                 ", ".join(verdict_names), {"p_adjusted": adjusted,
                                            "steps": [{"a": v.a, "b": v.b, "verdict": v.verdict, "test": v.test,
                                                       "df": v.df} for v in verdicts.values()]},
                 df=next((v.df for v in verdicts.values() if v.df is not None), None),
                 p_adjusted=min(adjusted.values(), default=None),
                 family={"name": f"{cell_name} hidden sizes", "size": len(steps)})


def figures(summary: dict) -> dict[str, bytes]:
    from ..output import figures as draw

    return {"curves": draw.learning_curves(summary["configs"], x_label="training samples seen",
                                           x_scale=summary["samples_per_epoch"])}
