"""`--resolve` (issue 35): more seeds only where "which is best" is open, at a calibrated per-look level."""
import json

import numpy as np
import pytest

from report.pipeline import resolve
from report.config import load_config, parse_budget
from report.errors import ConfigError
from report.results.rounds import read_rounds
from report.results.workspace import Workspace, status_rows
from report.sections import BY_NAME, SECTIONS
from report.stats.findings import ranking_of
from report.stats.sequential import FIRST_ROUND_SEED, look_level, round_candidates, sequential_best
from report.training.execute import Executor, RunTally, train_missing
from report.training.progress import Console
from tests.conftest import copy_build, run_cli
from tests.test_resume import fake_result

IN_PROCESS = Executor(jobs=1)
# (optimizer, learning rate) → the final test accuracy of seed s: adam at 0.1 and 0.01 within seed noise of
# each other, plain SGD far below both: only the two Adam configurations can be the best
NOISE = [0.004, -0.006, 0.002, -0.001, 0.005, -0.003, 0.0, 0.003, -0.004, 0.001]


def accuracy(params, seed):
    base = {("adam", 0.1): 0.50, ("adam", 0.01): 0.497, ("sgd", 0.1): 0.30, ("sgd", 0.01): 0.25}
    return base[(params["optimizer"], params["learning_rate"])] + NOISE[seed % len(NOISE)]


@pytest.fixture
def open_grid(tmp_path, data_dir, monkeypatch):
    return grid_of(tmp_path, data_dir, monkeypatch, accuracy)


def grid_of(tmp_path, data_dir, monkeypatch, accuracy_of):
    """The CNN grid of four configurations, three seeds each, stored; accuracy_of(params, seed) is each run's."""
    config_file = tmp_path / "grid.toml"
    config_file.write_text('[cnn]\noptimizers = ["sgd", "adam"]\nlearning_rates = [0.1, 0.01]\nseeds = [0, 1, 2]\n')
    trained = []

    def train(params, seed, data, on_epoch=None, code=None):
        trained.append((params["optimizer"], params["learning_rate"], seed))
        return fake_result(params, accuracy=accuracy_of(params, seed))

    monkeypatch.setattr("experiments.training.train_run", train)
    ws = Workspace(load_config(config_file, "smoke"), tmp_path / "output", data_dir, SECTIONS)
    train_missing(ws, [BY_NAME["cnn"]], executor=IN_PROCESS)
    return ws, trained


def test_the_shipped_look_levels_are_what_the_calibration_computes():
    """LEVELS spares a render the simulation for the usual designs: it must hold what the simulation gives."""
    from report.stats.sequential import LEVELS, calibrated_level

    assert calibrated_level(4, 3) == LEVELS[(4, 3)] and calibrated_level(2, 5) == LEVELS[(2, 5)]
    assert look_level(9, 3) == LEVELS[(9, 3)]
    assert all(0.05 / 9 < level < 0.05 for level in LEVELS.values())


def test_the_look_level_is_calibrated_below_alpha_and_above_bonferroni():
    level = look_level(4, 3)
    assert 0.05 / 8 < level < 0.05 and look_level(4, 3) == level   # deterministic
    assert look_level(4, 10) == 0.05        # no look after the first: the fixed design's α
    assert look_level(4, 2) < look_level(4, 3)   # more looks, a stricter level


def test_the_looks_are_read_back_from_the_seeds_and_a_set_aside_configuration_stays_aside():
    samples = {"a": {0: 0.52, 1: 0.50, 2: 0.53, 1000: 0.51, 1001: 0.52},
               "b": {0: 0.51, 1: 0.49, 2: 0.50, 1000: 0.48, 1001: 0.49}, "c": {0: 0.30, 1: 0.31, 2: 0.29}}
    sequence = sequential_best(samples)
    assert [look.seeds for look in sequence.looks] == [{"a": 3, "b": 3, "c": 3}, {"a": 4, "b": 4, "c": 3},
                                                      {"a": 5, "b": 5, "c": 3}]
    assert sequence.looks[0].set_aside == ["c"] and "c" in sequence.result.below
    assert sequence.added_runs == 4 and sequence.level == look_level(3, 3)
    assert sequential_best({k: {s: v for s, v in d.items() if s < FIRST_ROUND_SEED} for k, d in samples.items()}) is None
    claim = ranking_of(samples, "configuration")
    assert "sequential multiple comparisons with the best over 3 looks" in claim.text
    assert "2 rounds, 4 runs (seeds: a 3 → 5 and b 3 → 5)" in claim.text
    assert claim.details["sequential"]["looks"][1]["seeds"] == {"a": 4, "b": 4, "c": 3}


def test_a_configuration_with_one_seed_gets_the_next_one_and_never_learned_does_not():
    samples = {"a": {0: 0.5}, "b": {0: 0.4}, "never": {0: 0.1, 1: 0.1}}
    sequence = sequential_best(samples, threshold=0.13, force=True)
    assert sequence.stop_reason() == "open" and round_candidates(sequence) == ["a", "b"]


def test_resolve_trains_seeds_only_for_the_open_candidates_and_stops_for_its_reason(open_grid):
    ws, trained = open_grid
    trained.clear()
    ws.resolve = float("inf")
    lines = []
    tally = RunTally()
    resolve(ws, [BY_NAME["cnn"]], False, IN_PROCESS, Console(_Lines(lines)), tally)
    rounds = read_rounds(ws.store.output, "cnn")
    assert rounds and all(set(r["labels"]) == {"adam, lr=0.1", "adam, lr=0.01"} for r in rounds)
    assert {(o, s >= FIRST_ROUND_SEED) for o, _, s in trained} == {("adam", True)}   # no SGD seed, no seed twice
    assert len(trained) == len(set(trained)) == 2 * len(rounds) == tally.trained
    said = "".join(lines)
    assert "resolve cnn: round 1, seed 1000 for the 2 configuration(s)" in said
    assert "resolve cnn: " in said and ("within the equivalence margin" in said or "max_seeds" in said
                                        or "a single best is named" in said)
    # status shows the added seeds as ordinary runs; a second --resolve trains nothing new
    rows = status_rows(ws)
    assert sum(1 for r in rows if r["seed"] >= FIRST_ROUND_SEED and r["state"] == "done") == len(trained)
    trained.clear()
    resolve(ws, [BY_NAME["cnn"]], False, IN_PROCESS, Console(_Lines(lines)), RunTally())
    assert trained == []


def test_plan_resolve_shows_the_first_round_and_the_expected_cost_and_nothing_once_decided(open_grid):
    from report.training.resolve import plan_lines, resolvable

    ws, trained = open_grid
    assert resolvable(ws, BY_NAME["cnn"]) and not resolvable(ws, BY_NAME["compare"])   # compare: RESOLVE = False
    [line] = plan_lines(ws, [BY_NAME["cnn"]], 10, 1)
    assert line.startswith("resolve cnn: 2 of 4 configurations could still be the best; first round: 2 runs "
                           "(adam, lr=0.1, adam, lr=0.01)")
    assert "to resolve: about" in line and "continuations simulated" in line
    assert plan_lines(ws, [BY_NAME["cnn"]], 10, 1) == [line]      # seeded: the same forecast twice
    ws.resolve = float("inf")
    resolve(ws, [BY_NAME["cnn"]], False, IN_PROCESS, Console(_Lines([])), RunTally())
    [after] = plan_lines(ws, [BY_NAME["cnn"]], 10, 1)
    assert after.startswith("resolve cnn: nothing to train (")


def test_a_round_cut_short_is_finished_by_the_next_command_without_retraining_a_stored_seed(open_grid, monkeypatch):
    ws, trained = open_grid
    ws.resolve = float("inf")
    calls = []

    def interrupted(params, seed, data, on_epoch=None, code=None):
        calls.append(seed)
        if seed >= FIRST_ROUND_SEED and len(calls) == 2:
            raise KeyboardInterrupt
        return fake_result(params, accuracy=accuracy(params, seed))

    monkeypatch.setattr("experiments.training.train_run", interrupted)
    tally = RunTally()
    resolve(ws, [BY_NAME["cnn"]], False, IN_PROCESS, Console(_Lines([])), tally)
    assert tally.interrupted and read_rounds(ws.store.output, "cnn")[0]["seed"] == FIRST_ROUND_SEED
    stored = {(s.record["label"], s.record["seed"]) for s in ws.store.records("cnn") if s.record["state"] == "done"}
    trained.clear()
    monkeypatch.setattr("experiments.training.train_run",
                        lambda params, seed, data, on_epoch=None, code=None:
                        trained.append((params["optimizer"], params["learning_rate"], seed))
                        or fake_result(params, accuracy=accuracy(params, seed)))
    again = train_missing(ws, [BY_NAME["cnn"]], executor=IN_PROCESS)   # what `mkreport cnn --resolve` does first
    assert again.trained == 1 and again.reused == len(stored)
    assert all((f"{o}, lr={lr:g}", s) not in stored for o, lr, s in trained)


def test_a_budget_too_small_for_one_round_trains_nothing_and_says_so(open_grid):
    ws, trained = open_grid
    trained.clear()
    ws.resolve = 0.0
    lines = []
    resolve(ws, [BY_NAME["cnn"]], False, IN_PROCESS, Console(_Lines(lines)), RunTally())
    assert trained == [] and read_rounds(ws.store.output, "cnn") == []
    assert "the budget is too small for one round: 2 runs" in "".join(lines)


def test_budgets_and_seeds_are_checked_where_they_are_read(tmp_path):
    assert parse_budget("30m") == 1800 and parse_budget("90s") == 90 and parse_budget("2h") == 7200
    assert parse_budget("unlimited") == float("inf") and parse_budget("soon") is None
    for text, problem in (('[cnn]\nseeds = [0, 1000]\n', "from 1000 on are the seeds --resolve adds"),
                          ('[report]\nresolve = "soon"\n', "a time budget for --resolve"),
                          ('[report]\nmax_seeds = 11\n', "from 2 to 10")):
        config_file = tmp_path / "bad.toml"
        config_file.write_text(text)
        with pytest.raises(ConfigError, match=problem):
            load_config(config_file, "smoke")


@pytest.mark.slow
def test_resolve_with_a_budget_of_one_second_on_a_real_build_trains_no_round(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    result = run_cli("rnn", "--profile", "smoke", "--output", output, "--data-dir", smoke_build["data_dir"],
                     "--resolve", "1s", env={"MKREPORT_CACHE_DIR": str(smoke_build["cache"])})
    assert result.returncode == 0, result.stderr
    assert "resolve rnn: the budget is too small for one round" in result.stderr
    assert "trained 0 run(s)" in result.stdout and not (output / "resolve" / "rnn.json").exists()
    planned = run_cli("plan", "--profile", "smoke", "--output", output, "--data-dir", smoke_build["data_dir"],
                      "--resolve", env={"MKREPORT_CACHE_DIR": str(smoke_build["cache"])})
    assert planned.returncode == 0 and "resolve rnn: " in planned.stdout, planned.stderr
    bad = run_cli("rnn", "--profile", "smoke", "--output", output, "--resolve", "soon")
    assert bad.returncode == 2 and "--resolve 'soon'" in bad.stderr and "Traceback" not in bad.stderr


class _Lines:
    """A stream the console writes to, kept as lines."""

    def __init__(self, lines):
        self.lines = lines

    def write(self, text):
        self.lines.append(text)

    def flush(self):
        pass

    def isatty(self):
        return False


def test_the_seed_count_says_where_resolve_added_seeds():
    from report.stats.claims import count
    from report.stats.summary import seed_count

    records = [{"label": label, "seed": seed} for label, seeds in (("a", [0, 1, 1000, 1001]), ("b", [0, 1]))
               for seed in seeds]
    assert count(seed_count(records), "seed") == "2 seeds, up to 4 where --resolve added seeds"
    assert count(seed_count(records[4:]), "seed") == "2 seeds"


def test_a_budget_spent_after_a_round_says_how_many_more_runs_would_decide_it(tmp_path, data_dir, monkeypatch):
    """Issue 35: "budget spent: 3 candidates left, about 40 more runs would be needed"; the live line says the
    round, the candidates, the time spent and the time left of the budget."""
    import types

    from report.training import resolve as resolving

    def noisy(params, seed):   # the two Adam rates 0.01 apart with seed noise of ±0.03: open after a round
        return accuracy(params, seed) + 5 * NOISE[seed % len(NOISE)] + (0.01 if params["learning_rate"] == 0.01 else 0)

    ws, trained = grid_of(tmp_path, data_dir, monkeypatch, noisy)
    clock = [0.0]
    real = resolving.train_missing

    def ten_seconds_a_round(*args, **kwargs):
        clock[0] += 10.0
        return real(*args, **kwargs)

    monkeypatch.setattr(resolving, "pack", lambda seconds, workers: 10.0)
    monkeypatch.setattr(resolving, "train_missing", ten_seconds_a_round)
    monkeypatch.setattr(resolving, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))
    lines = []
    outcome = resolving.resolve_section(ws, BY_NAME["cnn"], 15.0, 10, Console(_Lines(lines)), IN_PROCESS, False,
                                       0.0, RunTally())
    said = "".join(lines)
    assert "resolve cnn: round 1, seed 1000 for the 2 configuration(s)" in said
    assert "about 10 s; 0 s spent, 15 s of the budget left" in said
    assert outcome.rounds == 1 and outcome.reason.startswith("budget spent: 2 configurations could still be the best; "
                                                              "the next round (2 runs, about 10 s) would overrun the "
                                                              "5 s left; about ")
    assert "more runs would decide it (the median of 100 continuations" in outcome.reason, outcome.reason
