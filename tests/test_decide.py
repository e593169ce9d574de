"""Claims that decide: multiple comparisons with the best, seeds as blocks, seeds that never learned
counted apart, pairwise families — each piece against a hand computation, and every sentence kind driven
through the sections' own summaries (stored records made here, two or three seeds) and `mkreport claims`."""
import json
import math

import numpy as np
import pytest

from report.stats.best import best_set, dunnett_quantile
from report.stats.families import MARGIN, ErrorModel, compare_pairs, holm, sum_of_squares
from report.stats.statistics import chance_threshold, learned_values

from .conftest import run_cli

# The full build's CIFAR10 grid (3 seeds each; benchmarks/statistics.py keeps its means and sds).
ADAM = [0.531, 0.509, 0.531]
ADAGRAD = [0.276, 0.322, 0.358]


def cnn_records(grid: dict[tuple[str, float], list[float]], test_images: int = 1000) -> list[dict]:
    """Stored CIFAR10 run records, as the store holds them, for (optimizer, rate) → per-seed accuracy."""
    from report.results.runs import format_rate

    return [{"label": f"{optimizer}, lr={format_rate(rate)}", "seed": seed, "state": "done", "error": None,
             "params": {"model": "lenet5", "optimizer": optimizer, "learning_rate": rate, "epochs": 1,
                        "samples_per_epoch": 100, "batch_size": 10, "test_samples": test_images},
             "metrics": [{"epoch": 1, "test_accuracy": acc, "train_accuracy": acc, "train_loss": 1.0,
                          "train_seconds": 1.0, "eval_seconds": 0.1, "test_images": test_images}]}
            for (optimizer, rate), values in grid.items() for seed, acc in enumerate(values)]


def cnn_claims(grid):
    from report.sections import cnn

    return cnn.summarize({"cnn": cnn_records(grid)}, None, {})["claims"]


def first(claims, kind):
    return next(c for c in claims if c.kind == kind)


# --- the pieces, against hand computations ------------------------------------------------------------

def test_dunnett_quantile_matches_the_published_table_and_student_t_for_one_comparison():
    from scipy import stats

    assert dunnett_quantile(1, 10.0) == pytest.approx(stats.t.ppf(0.95, 10), abs=1e-5)
    # Dunnett (1955) one-sided 5 % table: 8 comparisons, df ∞ → 2.38; 2 comparisons, df 20 → 2.03; 8, df 20 → 2.56
    assert dunnett_quantile(8, math.inf) == pytest.approx(2.38, abs=0.01)
    assert dunnett_quantile(2, 20.0) == pytest.approx(2.03, abs=0.01)
    assert dunnett_quantile(8, 20.0) == pytest.approx(2.56, abs=0.01)


def test_dunnett_quantile_agrees_with_scipys_dunnett_test():
    """A sample whose one-sided Dunnett statistic equals our quantile has scipy's p ≈ 0.05."""
    from scipy import stats

    rng = np.random.default_rng(0)
    base = [rng.normal(0, 1, 4) for _ in range(4)]
    base = [b - b.mean() for b in base]                        # every mean 0, the same pooled variance
    pooled = sum(((b - b.mean()) ** 2).sum() for b in base) / (4 * 3)
    d = dunnett_quantile(3, 12.0)
    shift = d * math.sqrt(pooled * 2 / 4)
    samples = [base[1] + shift, base[2], base[3]]            # the first treatment sits exactly at d
    result = stats.dunnett(*samples, control=base[0], alternative="greater", random_state=1)
    assert result.pvalue[0] == pytest.approx(0.05, abs=0.004)


def test_holm_against_a_hand_computation():
    adjusted = holm({"a": 0.01, "b": 0.04, "c": 0.03})
    # sorted 0.01·3 = 0.03, 0.03·2 = 0.06, max(0.06, 0.04·1) = 0.06
    assert adjusted == pytest.approx({"a": 0.03, "c": 0.06, "b": 0.06})


def test_seeds_as_blocks_give_the_two_way_anova_residual_and_its_df():
    values = {"a": {0: 0.50, 1: 0.56, 2: 0.53}, "b": {0: 0.40, 1: 0.47, 2: 0.41}, "c": {0: 0.45, 1: 0.49, 2: 0.46}}
    y = np.array([list(v.values()) for v in values.values()])   # configs × seeds
    residual = y - y.mean(axis=1, keepdims=True) - y.mean(axis=0, keepdims=True) + y.mean()
    hand = (residual ** 2).sum() / ((3 - 1) * (3 - 1))
    model = ErrorModel(values, flag=0.0)
    assert model.blocked and model.df == 4 and model.variance == pytest.approx(hand)
    c = model.compare("a", "b")
    assert c.se == pytest.approx(math.sqrt(hand * 2 / 3)) and c.difference == pytest.approx(y[0].mean() - y[1].mean())
    assert "seeds as blocks" in c.test and "(df = 4)" in c.test
    one_way = ErrorModel({label: list(v.values()) for label, v in values.items()}, flag=0.0)
    assert not one_way.blocked and one_way.df == 6   # seeds unknown: one-way


def test_the_detectable_difference_against_a_hand_computation():
    from scipy import stats

    values = {"a": [0.50, 0.52, 0.51], "b": [0.45, 0.47, 0.44]}
    v = compare_pairs(values, [("a", "b")])[("a", "b")]
    pooled = (sum_of_squares(np.array(values["a"])) + sum_of_squares(np.array(values["b"]))) / 4
    se = math.sqrt(pooled * 2 / 3)
    assert v.se == pytest.approx(se) and v.df == 4
    assert v.detectable == pytest.approx((stats.t.ppf(0.975, 4) + stats.t.ppf(0.8, 4)) * se)


def test_zero_spread_is_equality_of_the_values_not_a_float_std_above_zero():
    """np.std([0.1, 0.1, 0.1]) is 1.4e-17; and two real seeds that are equal still count their df."""
    assert np.std([0.1, 0.1, 0.1]) > 0 and sum_of_squares(np.array([0.1, 0.1, 0.1])) == 0.0
    model = ErrorModel({"gru": [0.956, 0.956], "lstm": [0.96, 0.962], "rnn": [0.93, 0.936]}, flag=0.0)
    assert model.df == 3   # GRU's equal seeds are a seed of evidence each, not dropped
    assert model.variance == pytest.approx((0.002 ** 2 / 2 + 0.006 ** 2 / 2) / 3)


def test_a_collapsed_configuration_does_not_shrink_the_pool_it_is_counted_apart():
    samples = {"adam": dict(enumerate(ADAM)), "sgd": {0: 0.39, 1: 0.40, 2: 0.38}, "collapsed": {0: 0.1, 1: 0.1, 2: 0.1}}
    kept, learned, unranked = learned_values(samples, chance_threshold(1000))
    assert "collapsed" not in kept and unranked == {"collapsed": "never learned"} and learned["collapsed"] == (0, 3)
    result = best_set(samples, threshold=chance_threshold(1000))
    assert result.best == "adam" and result.unranked == {"collapsed": "never learned"}
    assert ErrorModel(kept).df == 2   # adam + sgd, blocked: 6 values − 2 configs − 3 seeds + 1


def test_a_noisy_configuration_uses_its_own_larger_variance_and_the_claim_names_that_test():
    values = {"a": [0.50, 0.501, 0.502], "b": [0.49, 0.491, 0.492], "c": [0.48, 0.481, 0.482],
              "noisy": [0.30, 0.55, 0.45]}
    model = ErrorModel(values)
    assert model.noisy == {"noisy"}
    c = model.compare("a", "noisy")
    assert "noisy with its own larger variance" in c.test and c.df == model.df
    from scipy import stats

    others = sum(sum_of_squares(np.array(values[k])) for k in "abc") / 6
    bound = model.own["noisy"] / stats.f.ppf(0.75, 2, 6)   # the smallest variance its seeds allow at 25 %
    assert model.own["noisy"] / others > stats.f.ppf(0.75, 2, 6) and model.larger["noisy"] == pytest.approx(bound)
    assert c.se == pytest.approx(math.sqrt(model.variance / 3 + bound / 3))
    assert "own" not in model.compare("a", "b").test   # the quiet pair keeps the pool


def test_mcb_sets_aside_only_what_another_is_above_and_never_says_below():
    values = {"top": [0.60, 0.61, 0.62], "close": [0.595, 0.605, 0.615], "far": [0.40, 0.41, 0.42]}
    result = best_set(values)
    assert result.candidates == ["top", "close"] and set(result.below) == {"far"}
    d = dunnett_quantile(2, result.df)
    assert result.quantile == pytest.approx(d)
    assert result.below["far"].margin == pytest.approx(0.20 - d * result.below["far"].comparison.se)


# --- every sentence kind, through the sections' summaries --------------------------------------------------

def test_the_real_grid_names_adam_the_best_and_one_noisy_configuration_does_not_silence_it():
    claims = cnn_claims({("adam", 1e-3): ADAM, ("adagrad", 1e-2): ADAGRAD, ("sgd", 1e-2): [0.39, 0.40, 0.38]})
    best = first(claims, "best")
    assert best.text.startswith("The best configuration is adam, lr=0.001")
    assert "could be the best" not in best.text


def test_a_seed_that_stayed_at_chance_is_counted_apart_and_said_learned_in_k_of_n():
    grid = {("adam", 1e-3): ADAM, ("adagrad", 1e-2): [0.276, 0.100, 0.358], ("sgd", 1e-2): [0.39, 0.40, 0.38]}
    claims = cnn_claims(grid)
    assert first(claims, "best").text.startswith("The best configuration is adam, lr=0.001")
    partial = next(c for c in claims if c.verdict == "some seeds")
    assert partial.text.startswith("adagrad, lr=0.01 learned in 2 of 3 seeds (seed 1 at 0.100")
    assert "its learned seeds are below the best" in partial.text


def test_could_be_the_best_and_not_the_best():
    claims = cnn_claims({("adam", 1e-3): [0.52, 0.50, 0.53], ("adam", 1e-4): [0.51, 0.53, 0.50],
                         ("sgd", 1e-2): [0.30, 0.31, 0.29]})
    claim = first(claims, "not-resolved")
    assert "2 of the 3 configurations could be the best" in claim.text
    assert "the other 1 is not the best" in claim.text and "sgd, lr=0.01 is below" not in claim.text
    assert claim.details["below"]["sgd, lr=0.01"]["above_it"] in ("adam, lr=0.001", "adam, lr=0.0001")


def test_within_the_margin_of_the_best_is_said_only_where_the_bound_is_that_tight():
    tight = {("adam", 1e-3): [0.5210, 0.5230, 0.5220], ("adam", 1e-4): [0.5205, 0.5225, 0.5215],
             ("sgd", 1e-2): [0.3000, 0.3020, 0.3010]}
    claim = next(c for c in cnn_claims(tight) if c.family and c.family["name"] == "the CIFAR10 grid")
    assert claim.kind == "within-margin"
    assert claim.text.startswith("The configuration with the highest mean, adam, lr=0.001 (")
    assert "is the best or within" in claim.text
    within = claim.details["within"]
    assert 0 < within < MARGIN and f"within {within:.3f} of it" in claim.text
    loose = {("adam", 1e-3): [0.50, 0.54, 0.52], ("adam", 1e-4): [0.53, 0.49, 0.52], ("sgd", 1e-2): [0.30, 0.31, 0.29]}
    assert not any(c.kind == "within-margin" for c in cnn_claims(loose))


def test_a_configuration_that_never_learned_is_not_ranked():
    claims = cnn_claims({("adam", 1e-3): ADAM, ("adam", 1e-2): [0.1, 0.1, 0.1], ("sgd", 1e-2): [0.39, 0.40, 0.38]})
    best = first(claims, "best")
    assert "adam, lr=0.01 never learned (no seed above chance) and is not ranked" in best.text
    assert "adam, lr=0.01" not in best.details["below"] and "adam, lr=0.01" not in best.details["candidates"]


def test_pairwise_better_equivalent_and_not_resolved_through_the_rnn_section():
    from report.sections.rnn import cell_claims

    from .test_statistics import configs, records

    def cells(values):
        return configs(*(records(f"{cell}, 128 units", v, {"cell": cell, "hidden_size": 128})
                         for cell, v in values.items()))

    better = first(cell_claims(cells({"rnn": [0.930, 0.936, 0.933], "lstm": [0.968, 0.972, 0.970]})), "difference")
    assert "LSTM is above basic RNN" in better.text and better.details["pairs"][0]["verdict"] == "worse"
    same = cell_claims(cells({"lstm": [0.9700, 0.9702, 0.9701], "gru": [0.9701, 0.9703, 0.9702]}))[0]
    assert same.kind == "equivalent" and "LSTM and GRU are equivalent within ±0.01" in same.text
    open_ = cell_claims(cells({"lstm": [0.95, 0.97], "gru": [0.94, 0.975]}))[0]
    assert open_.kind == "not-resolved" and "LSTM against GRU: not resolved" in open_.text
    assert "would go unseen" in open_.text


def test_a_trend_over_hidden_sizes_uses_holm_not_bonferroni():
    """Raw p 0.045 and 0.025: Holm separates both steps (adjusted 0.0498 each); the old code judged each step
    by Bonferroni (0.090 for the first: 'not resolved') and said Holm in the sentence."""
    from report.sections.rnn import size_trend

    from .test_statistics import configs, records

    sizes = configs(*(records(f"lstm, {h} units", v, {"cell": "lstm", "hidden_size": h})
                      for h, v in ((64, [0.900, 0.904, 0.896]), (128, [0.9155, 0.9075, 0.9115]),
                                   (256, [0.9215, 0.9255, 0.9295]))))
    verdicts = compare_pairs({c.label: c.final_by_seed() for c in sizes},
                             [("lstm, 128 units", "lstm, 64 units"), ("lstm, 256 units", "lstm, 128 units")])
    raw = [v.p_value for v in verdicts.values()]
    assert 0.025 < raw[0] < 0.05 and raw[1] < 0.025 and min(raw) * 2 < 0.05 < max(raw) * 2
    claim = size_trend("LSTM", sizes)
    assert claim.kind == "trend" and "rises with every step" in claim.text and "Holm over 2 steps" in claim.text
    for step in claim.details["p_adjusted"].values():     # never "equivalent (adjusted p = 0.048)"
        assert step < 0.05


def test_one_seed_and_zero_spread_sentences():
    one = cnn_claims({("adam", 1e-3): [0.52], ("sgd", 1e-2): [0.30]})
    assert first(one, "one-seed").text.endswith("no ranking is claimed.")
    flat = cnn_claims({("adam", 1e-3): [0.5, 0.5], ("sgd", 1e-2): [0.3, 0.3]})
    claim = next(c for c in flat if c.verdict == "zero spread")
    assert "no ranking is claimed" in claim.text and "could be the best" not in claim.text


# --- mkreport claims ----------------------------------------------------------------------------------

def _table(tmp_path, rows, header="config,seed,value"):
    path = tmp_path / "results.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _grid_rows(adagrad=ADAGRAD):
    grid = {"adam, lr=0.001": ADAM, "adagrad, lr=0.01": adagrad, "sgd, lr=0.01": [0.392, 0.401, 0.383],
            "adam, lr=0.0001": [0.441, 0.452, 0.430], "adagrad, lr=0.001": [0.300, 0.290, 0.310]}
    return [f'"{label}",{seed},{value}' for label, values in grid.items() for seed, value in enumerate(values)]


def test_mkreport_claims_names_adam_the_best_with_and_without_a_seed_at_chance(tmp_path):
    result = run_cli("claims", _table(tmp_path, _grid_rows()), "--test-size", 1000, "--classes", 10, check=True)
    assert result.stdout.startswith("The best configuration is adam, lr=0.001")
    collapsed = _table(tmp_path, _grid_rows([0.276, 0.100, 0.358]))
    result = run_cli("claims", collapsed, "--test-size", 1000, "--classes", 10, check=True)
    assert result.stdout.startswith("The best configuration is adam, lr=0.001")
    assert "adagrad, lr=0.01 learned in 2 of 3 seeds" in result.stdout
    claims = json.loads(run_cli("claims", collapsed, "--test-size", 1000, "--classes", 10, "--json", check=True).stdout)
    assert claims[0]["kind"] == "best" and claims[0]["details"]["learned"]["adagrad, lr=0.01"] == [2, 3]


def test_mkreport_claims_on_nine_equal_configurations_names_no_best_and_no_pair(tmp_path):
    rng = np.random.default_rng(3)
    rows = [f"c{i},{seed},{0.5 + rng.normal(0, 0.01):.4f}" for i in range(9) for seed in range(3)]
    result = run_cli("claims", _table(tmp_path, rows), check=True)
    assert "The best configuration" not in result.stdout and "could be the best" in result.stdout
    assert not any(f"c{i} is above" in result.stdout for i in range(9))


def test_mkreport_claims_lower_is_better_and_groups(tmp_path):
    rows = ["a,0,0.10,mae,false", "a,1,0.11,mae,false", "a,2,0.12,mae,false",
            "b,0,0.30,mae,false", "b,1,0.31,mae,false", "b,2,0.29,mae,false",
            "a,0,0.9,acc,true", "a,1,0.91,acc,true", "b,0,0.90,acc,true", "b,1,0.92,acc,true"]
    result = run_cli("claims", _table(tmp_path, rows, "config,seed,value,group,higher_is_better"), check=True)
    mae = result.stdout.split("acc:")[0]
    assert "mae:" in mae and "The best configuration is a (0.110" in mae   # the lowest error


@pytest.mark.parametrize("rows, header, message", [
    (["a,0,0.5", "b,0,0.4"], "config,seed", "lacks the column value"),
    (["a,0,high", "b,0,0.4"], "config,seed,value", "line 2: value 'high' is not a number"),
    (["a,0,0.5"], "config,seed,value", "has 1 row of results"),
    (["a,0,0.5", "a,0,0.4"], "config,seed,value", "'a' has seed 0 twice"),
])
def test_mkreport_claims_bad_input_is_one_line_and_exit_2(tmp_path, rows, header, message):
    result = run_cli("claims", _table(tmp_path, rows, header))
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def _two_epoch_records(grid, rise):
    records = cnn_records(grid)
    for record in records:
        last = record["metrics"][0]
        record["metrics"] = [dict(last, epoch=1, test_accuracy=last["test_accuracy"] - rise), dict(last, epoch=2)]
    return records


def test_a_draft_whose_curves_still_rise_says_it_is_too_small_to_rank_and_only_then():
    """Issue 36: the quick profile ranked how fast configurations learn (basic RNN above LSTM and GRU)."""
    from report.sections import cnn

    grid = {("adam", 1e-3): ADAM, ("adam", 1e-4): [0.41, 0.43, 0.42], ("sgd", 1e-2): [0.25, 0.26, 0.24]}
    rising = cnn.summarize({"cnn": _two_epoch_records(grid, 0.05)}, None, {"draft": True})["claims"]
    draft = first(rising, "observation")
    assert draft.verdict == "draft budget" and draft.text.startswith("Draft budget: too small to rank these configurations.")
    assert "The test accuracy of 3 of 3 was still rising by more than 0.01" in draft.text
    assert not any(c.kind in ("best", "not-resolved", "within-margin") for c in rising)
    level = cnn.summarize({"cnn": _two_epoch_records(grid, 0.005)}, None, {"draft": True})["claims"]
    assert first(level, "best").text.startswith("The best configuration is adam, lr=0.001")   # curves level: ranked
    full = cnn.summarize({"cnn": _two_epoch_records(grid, 0.05)}, None, {})["claims"]
    assert first(full, "best") and not any(c.verdict == "draft budget" for c in full)      # not a draft: ranked


def _compare_records(rise):
    """A LeNet5 on MNIST and two RNN configurations, two evaluations each; the RNNs' last rose by `rise`."""
    def runs(label, params, finals, rise):
        return [{"label": label, "seed": seed, "state": "done", "error": None, "parameters": 1000,
                 "params": {"optimizer": "adam", "learning_rate": 1e-3, "epochs": 2, "samples_per_epoch": 100,
                            "batch_size": 10, **params},
                 "metrics": [{"epoch": epoch, "test_accuracy": acc - (rise if epoch == 1 else 0),
                              "train_accuracy": acc, "train_loss": 1.0, "train_seconds": 1.0, "eval_seconds": 0.1,
                              "test_images": 1000} for epoch in (1, 2)]}
                for seed, acc in enumerate(finals)]
    return {"compare": runs("lenet5, adam, lr=0.001", {"model": "lenet5"}, [0.99, 0.989], 0.0),
            "rnn": runs("rnn, 256 units", {"model": "rnn", "cell": "rnn", "hidden_size": 256}, [0.84, 0.83], rise)
            + runs("lstm, 256 units", {"model": "rnn", "cell": "lstm", "hidden_size": 256}, [0.80, 0.81], rise)}


def test_a_draft_that_cannot_rank_the_rnns_does_not_call_its_top_rnn_the_best():
    """Issue 36: the quick profile's comparison named the basic RNN "the best RNN" (the full build: an LSTM)."""
    from report.sections import compare

    settings = {"accuracy_thresholds": [0.95], "size_matched": False}
    draft = compare.summarize(_compare_records(0.1), None, {**settings, "draft": True})
    assert draft["role"] == "top RNN of this draft"
    assert draft["claims"][0].text.startswith("The RNN set beside LeNet5 is rnn, 256 units, the highest mean of the "
                                              "RNN grid at this draft budget, which is too small to rank that grid")
    assert not any("best RNN" in c.text for c in draft["claims"])
    assert "the top RNN of this draft, rnn, 256 units" in draft["claims"][1].text
    for summary in (compare.summarize(_compare_records(0.1), None, settings),              # not a draft
                    compare.summarize(_compare_records(0.0), None, {**settings, "draft": True})):   # levelled
        assert summary["role"] == "best RNN" and "the best RNN, rnn, 256 units" in summary["claims"][0].text
        assert not any("draft" in c.text for c in summary["claims"])
