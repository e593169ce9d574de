"""What a section of your own imports (docs/sections.md): runs from a grid with the budget of its
config table, the same tested claims as mkreport's sections in one call, and a summary and figures
that the default template shows. mkreport's own sections are built from the same parts.

    from report.sections import kit

    def runs(config):
        table = config["mysection"]
        grid = [(f"width {w}", kit.train_params(table, model="build_model", width=w, optimizer="adam",
                                                learning_rate=1e-3)) for w in table["widths"]]
        return kit.grid("mysection", grid, table["seeds"], "cifar10")

    def summarize(records, analysis, settings):
        return kit.summary(records["mysection"], what="width")

    def figures(summary):
        return kit.figures(summary)
"""
from __future__ import annotations

from ..results.runs import RunSpec, seeded, with_precision
from ..stats.claims import Claim, fmt_interval, fmt_spread, observation   # noqa: F401  (for a section's own sentences)
from ..stats.findings import run_notes
from ..stats.summary import accuracy_columns, by_config, images_tested, seed_count, value_columns
from .config_checks import boolean, choice, listof, number, text, whole   # noqa: F401  (for a section's CHECKS)

BUDGET = ("epochs", "batch_size", "samples_per_epoch", "test_samples", "log_every_steps")
# what each budget key may hold: the bounds of mkreport's own sections (report/config.py LIMITS)
BUDGET_CHECKS = {"epochs": whole(1, 1000), "batch_size": whole(1, 65_536), "samples_per_epoch": whole(1, 10_000_000),
                 "test_samples": whole(1, 1_000_000), "log_every_steps": whole(1, 1_000_000),
                 "curve_test_samples": whole(1, 1_000_000)}
DATASETS = ("cifar10", "mnist")   # or "cifar10-rgb", or the name of a loader function of your module


def train_params(table: dict, **params) -> dict:
    """A run's params: what you name (model — "lenet5", "rnn" or a builder function of your module —,
    optimizer, learning_rate, anything your builder reads) with the budget of your config table
    (epochs, batch_size, samples_per_epoch, test_samples, log_every_steps; curve_test_samples and
    precision where it has them)."""
    missing = [key for key in BUDGET if key not in table]
    if missing:
        from ..errors import ConfigError

        raise ConfigError(f"kit.train_params: the config table lacks the budget keys {', '.join(missing)} (add them "
                          "to the section's CONFIG table, as `mkreport new-section` writes it)")
    budget = {key: table[key] for key in BUDGET}
    budget["curve_test_samples"] = table.get("curve_test_samples", table["test_samples"])
    for key, value in budget.items():
        problem = BUDGET_CHECKS[key](value)
        if problem:
            from ..errors import ConfigError

            raise ConfigError(f"kit.train_params: {key} = {value!r} in the section's config table; it must be "
                              f"{problem}")
    return {**params, **budget, **with_precision(table.get("precision", "float32"))}


def grid(section: str, configurations: list[tuple[str, dict]], seeds: list[int], dataset: str,
         keep_weights: bool = False) -> list[RunSpec]:
    """One run per (label, params) configuration and seed. dataset: "cifar10", "mnist", "cifar10-rgb",
    or the name of a function of your module returning (x_train, y_train, x_test, y_test)."""
    return seeded(section, configurations, seeds, dataset, keep_weights)


def task(kind: str, classes: int | None = None, metric: str | None = None, loss: str | None = None) -> dict:
    """A run's task, for kit.train_params(…, task=kit.task(…)): "classification" with classes = N (2 or
    more; labels 0…N−1), "binary" (labels 0/1; one output — a logit or a sigmoid — or two logits; metric
    "accuracy" or "auc") or "regression" (float targets; loss "mse" or "mae"; metric "mae" or "mse", lower
    is better). Without one, a run is a ten-class classifier scored by accuracy."""
    from experiments import tasks

    try:
        return tasks.make(kind, classes, metric, loss).as_params()
    except tasks.TaskError as error:
        from ..errors import ConfigError

        raise ConfigError(f"kit.task: {error}") from None


def measured(records: list[dict]) -> dict | None:
    """The task the records were trained for, as their runs recorded it (with the test set's chance level
    and whether higher is better); None for a ten-class classifier scored by accuracy."""
    return next((r["task"] for r in records if r.get("task")), None)


def claims(records: list[dict], what: str = "configuration", family: str | None = None) -> list[Claim]:
    """The tested sentences mkreport's sections say of a grid: which configurations learned (above
    chance by three binomial standard deviations; a seed that did not is counted apart), and which is
    or could be the best — multiple comparisons with the best over the seeds that learned, "not
    resolved" where seed noise cannot decide (docs/statistics.md). For a task of your own (kit.task):
    chance is the test set's most frequent class; an error metric ranks lowest first, with no chance rule."""
    from .cnn import grid_claims

    if not records:
        return []   # a section with no runs (its grid is empty): nothing to say
    family = family or f"the {what}s of this section"
    found = measured(records)
    if found is None:
        return grid_claims(by_config(records), images_tested(records), what, family)
    if found["metric"] == "accuracy" and found.get("chance") is not None:
        return grid_claims(by_config(records), images_tested(records), what, family, chance=found["chance"])
    return _metric_claims(by_config(records), found, what, family)


def _metric_claims(configs, found: dict, what: str, family: str) -> list[Claim]:
    """An error metric or AUC: which could be the best by it (no equivalence margin: its units are the
    task's), and which configurations diverged or failed."""
    from experiments.tasks import METRIC_WORDS

    from ..stats.findings import names, ranking_of

    key = f"test_{found['metric']}"
    best = ranking_of({c.label: c.final_by_seed(key) for c in configs if c.done}, what, family,
                      higher_is_better=found["higher_is_better"], measure=METRIC_WORDS[found["metric"]], margin=0.0)
    said = [best] if best else []
    for state, words in (("diverged", "diverged: a loss became non-finite"), ("failed", "failed with an error (see the table)")):
        members = [c for c in configs if c.status == state and not c.done]
        if members:
            said.append(Claim(f"{names(c.label for c in members)} {words}.", state, {c.label: [] for c in members}))
    return said


def summary(records: list[dict], what: str = "configuration", intro: str = "") -> dict:
    """Everything the default template shows: a table of every configuration (mean ± std over seeds,
    95 % interval, train accuracy — or the task's metric —, state), the claims, the learning curves' input,
    the budget, and tables/<section>_grid.csv."""
    from experiments.tasks import METRIC_WORDS

    from .cnn import config_rows

    configs = by_config(records)
    params = records[0]["params"] if records else {}
    found = measured(records)
    metric = found["metric"] if found else "accuracy"
    scored = {} if metric == "accuracy" else {"metric": metric, "metric_words": METRIC_WORDS[metric],
                                              "higher_is_better": found["higher_is_better"]}
    return {
        "intro": intro, "configs": configs, "what": what, **scored,
        "rows": config_rows(configs, metric),
        "claims": claims(records, what),
        "run_notes": run_notes(configs),
        "seeds": seed_count(records), "epochs": params.get("epochs"), "samples_per_epoch": params.get("samples_per_epoch"),
        "test_samples": images_tested(records) if records else 0, "batch_size": params.get("batch_size"),
        "tables": {"grid": {"columns": ["configuration", *value_columns(f"test_{metric}"), f"train_{metric}_mean", "state"],
                            "rows": [[c.label, *accuracy_columns(c, f"test_{metric}"), c.spread(f"train_{metric}").mean,
                                      c.status] for c in configs]}},
    }


def figures(summary: dict) -> dict[str, bytes]:
    """The learning curves of every configuration (mean over seeds, ±1 std band)."""
    from ..output import figures as draw

    metric = summary.get("metric", "accuracy")
    if metric == "accuracy":
        return {"curves": draw.learning_curves(summary["configs"])}
    return {"curves": draw.learning_curves(summary["configs"], (f"train_{metric}", f"test_{metric}", "train_loss"),
                                           loss_cut=None)}
