"""Sentences from hand-written per-seed values (no training): each kind of claim, and the stats under them."""
import math

import pytest

from report.stats.findings import outcome, ranking
from report.sections.cnn import outcome_claims
from report.sections.compare import cnn_versus_rnn
from report.sections.rnn import size_trend
from report.stats.best import best_set, dunnett_quantile
from report.stats.families import ErrorModel, compare_pairs, holm
from report.stats.statistics import spread
from report.stats.summary import by_config


def records(label, accuracies, params=None, state="done", loss=1.0):
    params = params or {}
    return [{"label": label, "params": {"samples_per_epoch": 100, **params}, "seed": seed, "state": state,
             "error": None, "diverged_epoch": 2 if state == "diverged" else None,
             "metrics": [{"epoch": 1, "test_accuracy": acc, "train_loss": loss, "train_seconds": 1.0,
                          "eval_seconds": 0.1, "test_images": 1000}] if state == "done" else []}
            for seed, acc in enumerate(accuracies)]


def configs(*groups):
    return by_config([r for group in groups for r in group])


def test_sample_std_and_student_interval():
    s = spread([0.50, 0.52])
    assert s.std == pytest.approx(math.sqrt(2) * 0.01)  # ddof = 1, not numpy's default
    # t(0.975, 1) = 12.706: the interval of two seeds is wide
    assert s.high - s.mean == pytest.approx(12.706 * s.std / math.sqrt(2), rel=1e-3)
    assert spread([0.5]).n == 1 and math.isnan(spread([0.5]).std)


def test_clear_difference_is_a_difference_and_names_the_best():
    grid = configs(records("a", [0.60, 0.62, 0.61]), records("b", [0.40, 0.41, 0.42]))
    claim = ranking(grid)
    assert claim.kind == "best" and claim.text.startswith("The best configuration is a")
    assert "multiple comparisons with the best" in claim.text and "1 comparison each" in claim.text
    assert claim.values == {"a": [0.60, 0.62, 0.61], "b": [0.40, 0.41, 0.42]}
    assert claim.family["size"] == 2 and claim.as_json("cnn")["seeds"] == {"a": 3, "b": 3}


def test_overlapping_seeds_are_not_resolved_naming_the_set_that_could_be_best():
    grid = configs(records("lstm, 256 units", [0.962, 0.968]), records("lstm, 128 units", [0.961, 0.963]),
                   records("gru, 256 units", [0.961, 0.963]), records("rnn, 64 units", [0.918, 0.922]))
    claim = ranking(grid)
    assert claim.kind in ("not-resolved", "within-margin")
    assert set(claim.details["candidates"]) == {"lstm, 256 units", "lstm, 128 units", "gru, 256 units"}
    assert "rnn, 64 units" in claim.details["below"] and "tied" not in claim.text
    assert "rnn, 64 units is not the best" in claim.text or "the other 1 is not the best" in claim.text
    assert "below rnn" not in claim.text and claim.family["size"] == 4


def test_nine_nearly_equal_learning_rates_separate_nothing_and_name_no_best():
    import numpy as np

    rng = np.random.default_rng(7)
    grid = configs(*(records(f"adam, lr={1e-3 + i * 1e-5:g}", list(0.52 + rng.normal(0, 0.015, 3))) for i in range(9)))
    claim = ranking(grid)
    # MCB may set one of nine equal configurations aside ("not the best" holds: it is not above the rest);
    # it never names a single best or says one configuration is above another
    assert claim.kind in ("not-resolved", "within-margin") and len(claim.details["candidates"]) >= 7
    assert "best is" not in claim.text and not any(f"{a} is above" in claim.text for a in claim.values)


def test_a_configuration_with_one_seed_is_set_aside_by_name_and_the_rest_still_ranked():
    grid = configs(records("a", [0.60, 0.61, 0.62]), records("b", [0.40, 0.41, 0.42]), records("c", [0.5]))
    claim = ranking(grid)
    assert claim.kind == "best" and "c has a single finished seed and is not ranked" in claim.text


def test_zero_spread_is_said_and_no_p_value_is_invented():
    verdict = compare_pairs({"a": [0.1, 0.1, 0.1], "b": [0.2, 0.2, 0.2]}, [("a", "b")])[("a", "b")]
    assert verdict.verdict == "zero spread" and verdict.p_value is None and verdict.p_adjusted is None


def test_a_grid_where_every_seed_ties_is_ranked_by_nothing_and_prints_no_missing_test():
    """Two configurations whose seeds all reached 0.05 (found by a colour smoke build): no pair can be
    tested, so no sentence may name a test (it once printed 'None, every pair')."""
    claim = ranking(configs(records("dropout 0", [0.05, 0.05]), records("dropout 0.5", [0.05, 0.05])))
    assert claim.verdict == "zero spread" and "None" not in claim.text and "no ranking is claimed" in claim.text
    assert "could be the best" not in claim.text and claim.p_adjusted is None


def test_lenet5_well_above_the_best_rnn_is_resolved_with_the_grids_pooled_variance():
    rnn_grid = configs(*(records(f"lstm, {h} units", [m - 0.002, m + 0.002], {"cell": "lstm", "hidden_size": h})
                         for h, m in ((64, 0.955), (128, 0.96), (256, 0.965))),
                       *(records(f"gru, {h} units", [m - 0.003, m + 0.003], {"cell": "gru", "hidden_size": h})
                         for h, m in ((64, 0.95), (128, 0.958), (256, 0.962))))
    best = max(rnn_grid, key=lambda c: c.final()[0])
    cnn = configs(records("lenet5", [0.990, 0.9901]))[0]
    row = {"parameters_raw": 1, "epoch_seconds_raw": 1.0, "inference_ms_raw": 1.0}
    claim = cnn_versus_rnn(cnn, best, row, row, rnn_grid)[0]
    assert claim.kind == "difference" and "LeNet5 is higher beyond seed noise" in claim.text
    assert claim.verdict == "better" and "Holm over LeNet5 against each of the 6 RNN configurations" in claim.text
    assert claim.family == {"name": "LeNet5 (CNN) against each RNN configuration", "size": 6}
    assert claim.df > 2 and claim.p_adjusted < 0.05     # pooled: the grid's degrees of freedom, not Welch's ≈1


def test_an_rnn_above_lenet5_is_written_worse_not_better_in_claims_json():
    """compare.py once wrote verdict "better" whichever side was higher."""
    rnn_grid = configs(records("lstm, 256 units", [0.990, 0.992, 0.991], {"cell": "lstm", "hidden_size": 256}),
                       records("gru, 256 units", [0.980, 0.982, 0.981], {"cell": "gru", "hidden_size": 256}))
    cnn = configs(records("lenet5", [0.900, 0.902, 0.901]))[0]
    row = {"parameters_raw": 1, "epoch_seconds_raw": 1.0, "inference_ms_raw": 1.0}
    claim = cnn_versus_rnn(cnn, rnn_grid[0], row, row, rnn_grid)[0]
    assert "the RNN is higher" in claim.text and claim.verdict == "worse"
    assert claim.as_json("compare")["verdict"] == "worse"


def test_the_cells_are_compared_at_equal_hidden_size_never_pooled_over_sizes():
    from report.sections.rnn import cell_claims

    grid = configs(*(records(f"{cell}, {h} units", [0.9 + d, 0.91 + d], {"cell": cell, "hidden_size": h})
                     for cell, d in (("lstm", 0.0), ("gru", 0.001)) for h in (64, 128)))
    families = [c.family["name"] for c in cell_claims(grid) if c.family]
    assert "cells at 64 units" in families and "cells at 128 units" in families
    assert not any("every hidden size pooled" in c.text for c in cell_claims(grid))


def test_cells_at_one_size_are_said_pair_by_pair_with_holm_over_exactly_those_pairs():
    from report.sections.rnn import cell_claims

    grid = configs(*(records(f"{cell}, 128 units", values, {"cell": cell, "hidden_size": 128})
                     for cell, values in (("rnn", [0.930, 0.936, 0.933]), ("lstm", [0.968, 0.972, 0.971]),
                                          ("gru", [0.969, 0.971, 0.972]))))
    claim = next(c for c in cell_claims(grid) if c.family["name"] == "cells at 128 units")
    assert "LSTM is above basic RNN" in claim.text and "GRU is above basic RNN" in claim.text
    assert "basic RNN against LSTM" not in claim.text and claim.family["size"] == 3 and "Holm over 3 pairs" in claim.text
    pair = next(p for p in claim.details["pairs"] if {p["a"], p["b"]} == {"LSTM", "GRU"})
    assert pair["verdict"] in ("not resolved", "equivalent") and "LSTM is above GRU" not in claim.text


def test_one_seed_ranks_nothing():
    grid = configs(records("a", [0.9]), records("b", [0.1]))
    claim = ranking(grid)
    assert claim.kind == "one-seed" and "no ranking is claimed" in claim.text
    assert "a single seed per configuration" in claim.text
    assert best_set({"a": [0.9], "b": [0.1]}).best is None
    assert compare_pairs({"a": [0.9], "b": [0.1]}, [("a", "b")])[("a", "b")].verdict == "one seed"


def test_one_configuration_with_three_seeds_among_single_seeds_is_not_called_a_single_seed_each():
    """findings.py once said "a single seed per configuration" when one configuration had three."""
    claim = ranking(configs(records("a", [0.5, 0.51, 0.52]), records("b", [0.4]), records("c", [0.3])))
    assert claim.kind == "one-seed" and "a single seed per" not in claim.text
    assert "only a has more than one seed (b and c have a single finished seed), so nothing is ranked" in claim.text


def test_one_seed_at_chance_is_named_and_not_called_learned():
    grid = configs(records("sgd, lr=0.001", [0.143, 0.108, 0.144]), records("adam, lr=0.001", [0.5, 0.52, 0.51]))
    threshold = 0.128
    assert outcome(grid[0], threshold) == "some seeds"
    claims = outcome_claims(grid, threshold, 1000)
    partial = next(c for c in claims if c.verdict == "some seeds")
    assert "sgd, lr=0.001 learned in 2 of 3 seeds" in partial.text and "seed 1 at 0.108" in partial.text
    assert "95 % interval of the share of seeds that learn: 0.09–0.99" in partial.text   # Clopper–Pearson, 2 of 3
    learned = next(c for c in claims if c.kind == "learned" and c.verdict is None)
    assert learned.labels == ["adam, lr=0.001"]


def _with_predictions(group, counts, losses, constant=True):
    """Prediction counts and logged losses; two evaluations, the same test accuracy in both when constant."""
    for record in group:
        record["prediction_counts"] = counts
        record["steps"] = [{"train_loss": loss} for loss in losses]
        last = record["metrics"][-1]
        record["metrics"] = [dict(last, test_accuracy=last["test_accuracy"] + (0 if constant else 0.002)), last]
    return group


def test_a_collapse_and_a_slow_start_get_different_sentences():
    """Both stay at chance; only the one that predicts one class for every image collapsed."""
    collapsed = _with_predictions(records("adam, lr=0.01", [0.1, 0.1, 0.1], loss=2.3038),
                                  [0, 0, 1000, 0, 0, 0, 0, 0, 0, 0], [2.35, 2.3038, 2.3038])
    slow = _with_predictions(records("sgd, lr=0.0001", [0.102, 0.104, 0.103], loss=2.307),
                             [0, 0, 0, 0, 0, 0, 0, 1000, 0, 0], [2.310, 2.309, 2.306], constant=False)  # one class, loss falling
    claims = outcome_claims(configs(collapsed, slow), 0.128, 1000)
    by_kind = {c.kind: c for c in claims}
    assert "adam, lr=0.01" in by_kind["collapsed"].text and "sgd" not in by_kind["collapsed"].text
    assert "class 2 for 100%" in by_kind["collapsed"].text
    assert by_kind["not-learned"].labels == ["sgd, lr=0.0001"]
    assert "2.310" in by_kind["not-learned"].text and "2.306" in by_kind["not-learned"].text
    assert "collapsed" not in by_kind["not-learned"].text and "still falling in every seed" in by_kind["not-learned"].text


def test_a_flat_loss_at_ln10_alone_is_not_called_a_collapse():
    grid = configs(_with_predictions(records("sgd, lr=0.0001", [0.1, 0.1, 0.1], loss=2.3026),
                                     [100] * 10, [2.3026, 2.3026], constant=False))
    assert [c.kind for c in outcome_claims(grid, 0.128, 1000)] == ["chance", "not-learned"]


def test_a_diverged_member_is_left_out_of_means_and_rankings():
    grid = configs(records("a", [0.3, 0.31]) + records("a", [0.0], state="diverged"), records("b", [0.2, 0.21]))
    assert grid[0].final()[2] == 2
    claim = ranking(grid)
    assert claim.values["a"] == [0.3, 0.31]


def test_size_trend_reports_a_tie_between_two_close_sizes():
    sizes = configs(records("rnn, 64 units", [0.918, 0.922], {"cell": "rnn", "hidden_size": 64}),
                    records("rnn, 128 units", [0.944, 0.948], {"cell": "rnn", "hidden_size": 128}),
                    records("rnn, 256 units", [0.943, 0.947], {"cell": "rnn", "hidden_size": 256}))
    claim = size_trend("basic RNN", sizes)
    assert claim.verdict == "better, not resolved" and claim.family["size"] == 2
    assert "128→256 units: not resolved" in claim.text and "tied" not in claim.text
    assert "Holm over 2 steps" in claim.text


def test_cnn_versus_rnn_with_one_seed_claims_no_difference():
    cnn, rnn = configs(records("lenet", [0.97])), configs(records("lstm", [0.95]))
    row = {"parameters_raw": 10, "epoch_seconds_raw": 1.0, "inference_ms_raw": 0.1}
    claims = cnn_versus_rnn(cnn[0], rnn[0], row, row)
    assert claims[0].kind == "one-seed"


def test_occlusion_sentences_say_where_the_drop_is_and_never_name_object_or_background():
    import numpy as np

    from report.sections.deconvnet import occlusion_claims

    heat = np.full((28, 28), 0.8)
    heat[2:6, 3:7] = 0.2             # the drop sits in the upper-left corner
    flat = np.full((28, 28), 0.6)
    flat[10, 10] = 0.58              # nothing decisive
    claims = occlusion_claims([0, 1], [0.8, 0.6], [heat, flat])
    assert "upper-left corner" in claims[0].text and "to 0.20" in claims[0].text and "2%" in claims[0].text
    assert "no single region" in claims[1].text
    assert not any(word in c.text for c in claims for word in ("object", "background"))


def test_the_frontier_benchmark_computes_the_reports_procedure_grid_by_grid():
    """benchmarks/frontier.py measures families of procedures vectorized; its point for the report's rule
    (flag 0.25, bound 0.25, seeds as blocks) must set aside exactly what best_set sets aside."""
    import numpy as np

    from benchmarks.frontier import grids, set_aside

    for seeds, gap, unequal in ((3, 2.0, False), (2, 0.0, True), (3, 0.0, True)):
        x = grids(np.random.default_rng(seeds), 150, seeds, gap, unequal)
        vectorized = set_aside(x, flag=0.25, bound=0.25)
        for g in range(len(x)):
            below = best_set({f"c{i}": dict(enumerate(x[g, i])) for i in range(x.shape[1])}).below
            assert {f"c{i}" for i in np.flatnonzero(vectorized[g])} == set(below)
        assert vectorized.any()   # the comparison is not between two empty sets
