import json
import re
import shutil

import pytest

from report.training.execute import Executor, longest_first
from experiments.training import evaluated_images
from report.training.plan import Speed, architecture, speed_from_records
from report.results.runs import RunSpec
from tests.conftest import run_cli


def record(wall, samples, train_seconds, eval_seconds, test_images):
    return {"wall_seconds": wall, "params": {"samples_per_epoch": samples},
            "metrics": [{"train_seconds": t, "eval_seconds": e, "test_images": n}
                        for t, e, n in zip(train_seconds, eval_seconds, test_images)]}


def test_speed_from_stored_runs_separates_fixed_and_per_sample_costs():
    # epoch 1 includes 2 s of tracing; later epochs: 1,000 samples in 1 s, a test image in 1 ms
    # (100 after epochs 1 and 2, all 400 after the last)
    runs = [record(wall=2 + 3 * 1.0 + 0.6 + 0.5, samples=1000, train_seconds=[3.0, 1.0, 1.0],
                   eval_seconds=[0.1, 0.1, 0.4], test_images=[100, 100, 400])]
    speed = speed_from_records(runs)
    assert speed.per_train == pytest.approx(1e-3) and speed.per_eval == pytest.approx(1e-3)
    assert speed.fixed == pytest.approx(2.5)
    params = {"epochs": 10, "samples_per_epoch": 2000, "test_samples": 400, "curve_test_samples": 100}
    assert evaluated_images(params) == 9 * 100 + 400
    assert speed.run_seconds(params) == pytest.approx(2.5 + 10 * 2.0 + 1.3)


def test_wall_time_with_several_workers_packs_the_longest_runs_first():
    from report.training.plan import Estimate, pack

    assert pack([1.0, 4.0, 3.0, 6.0], 1) == 14.0 and pack([1.0, 4.0, 3.0, 6.0], 2) == 7.0  # 6 + 1 beside 4 + 3
    assert Estimate({"a": (1.0, 10), "b": (None, 10)}, 2).left() is None


def test_several_runs_start_longest_first_and_never_more_workers_than_runs():
    budget = {"epochs": 2, "samples_per_epoch": 100, "test_samples": 100, "curve_test_samples": 100, "batch_size": 128,
              "optimizer": "adam"}
    small = RunSpec("rnn", "rnn, 64 units", 0, {"model": "rnn", "cell": "rnn", "hidden_size": 64, **budget}, "mnist")
    large = RunSpec("rnn", "lstm, 256 units", 0, {"model": "rnn", "cell": "lstm", "hidden_size": 256, **budget}, "mnist")
    assert [spec.label for spec, _ in longest_first([(small, "k1"), (large, "k2")])] == ["lstm, 256 units", "rnn, 64 units"]
    assert Executor(jobs=4).workers(3) == 3 and Executor(jobs=2).workers(5) == 2
    assert Executor().workers(1) == 1


def test_architecture_ignores_what_does_not_change_speed():
    a = {"model": "lenet5", "optimizer": "sgd", "learning_rate": 0.1, "batch_size": 64}
    assert architecture(a) == architecture(dict(a, learning_rate=1e-4, epochs=7))
    assert architecture(a) != architecture(dict(a, batch_size=32))
    assert architecture(a) != architecture(dict(a, optimizer="adam"))  # Adam's update costs LeNet5 a quarter of a step
    assert architecture(a) != architecture(dict(a, precision="bfloat16"))


def test_equal_runs_start_one_of_each_architecture_first():
    budget = {"model": "lenet5", "batch_size": 64, "epochs": 2, "samples_per_epoch": 100, "test_samples": 100,
              "curve_test_samples": 100, "learning_rate": 0.1}
    grid = [(RunSpec("cnn", f"{optimizer} {seed}", seed, dict(budget, optimizer=optimizer), "cifar10"), "k")
            for optimizer in ("sgd", "adam", "adagrad") for seed in (0, 1)]
    assert [spec.label for spec, _ in longest_first(grid)] == ["sgd 0", "adam 0", "adagrad 0", "sgd 1", "adam 1", "adagrad 1"]


def test_a_run_is_costed_by_its_own_architectures_finished_runs():
    from report.training.plan import AFTER_TRAINING_SECONDS, Estimate

    sgd, adam = ("lenet5", "sgd"), ("lenet5", "adam")
    estimate = Estimate({"s0": (None, 100, sgd), "s1": (None, 100, sgd), "a0": (None, 100, adam),
                         "a1": (None, 100, adam)}, workers=1)
    estimate.finished("s0", 4.0)
    assert estimate.left() == pytest.approx(12.0 + AFTER_TRAINING_SECONDS)  # no Adam run yet: all at SGD's speed
    estimate.finished("a0", 5.0)
    assert estimate.left() == pytest.approx(9.0 + AFTER_TRAINING_SECONDS)  # s1 at 4 s, a1 at 5 s


def test_no_speed_without_runs():
    assert speed_from_records([]) is None
    assert Speed(1, 0, 0).run_seconds({"epochs": 5, "samples_per_epoch": 1, "test_samples": 1,
                                            "curve_test_samples": 1}) == 1


@pytest.mark.slow
def test_plan_lists_reused_runs_and_estimates_new_ones(smoke_build, tmp_path):
    output = tmp_path / "output"
    shutil.copytree(smoke_build["output"], output)
    env = {"MKREPORT_CACHE_DIR": str(smoke_build["cache"])}
    common = ["--profile", "smoke", "--output", output, "--data-dir", smoke_build["data_dir"]]
    result = run_cli("plan", *common, env=env, check=True)
    assert "plan: 0 run(s) to train, 20 reused" in result.stdout
    config = tmp_path / "more.toml"
    config.write_text("[rnn]\nhidden_sizes = [64, 128, 256, 32]\n")
    result = run_cli("plan", *common, "--config", config, env=env, check=True)
    lines = [line for line in result.stdout.splitlines() if line.startswith("train")]
    assert len(lines) == 3 and all("32 units" in line and "≈" in line for line in lines)
    assert "3 run(s) to train, 20 reused; ≈" in result.stdout


@pytest.mark.slow
def test_numbers_do_not_depend_on_how_many_runs_train_at_once(smoke_build, tmp_path):
    """The smoke build trained one run per core; here one at a time, in this process: the same
    keys and, since every run uses one thread either way, exactly the same numbers."""
    output = tmp_path / "output"
    env = {"MKREPORT_CACHE_DIR": str(smoke_build["cache"])}
    common = ["--profile", "smoke", "--data-dir", smoke_build["data_dir"]]
    assert "2 at a time" in smoke_build["stderr"]
    assert re.search(r"^    \w+/[^/]+/seed=\d  epoch \d/\d+  loss", smoke_build["stderr"], re.MULTILINE)
    result = run_cli("cnn", *common, "--output", output, "--jobs", "1", env=env)
    assert result.returncode == 0, result.stderr
    assert "at a time" not in result.stderr and "trained 9 run(s)" in result.stdout
    serial = json.loads(run_cli("status", *common, "--output", output, "--json", env=env, check=True).stdout)
    parallel = json.loads(run_cli("status", *common, "--output", smoke_build["output"], "--json", env=env,
                                  check=True).stdout)
    parallel_paths = {r["key"]: r["path"] for r in parallel}
    compared = 0
    for row in serial:
        if row["section"] != "cnn":
            continue
        assert row["state"] == "done" and row["key"] in parallel_paths  # same keys: same config, data, code
        ours = json.loads(open(row["path"]).read())["record"]
        theirs = json.loads(open(parallel_paths[row["key"]]).read())["record"]
        assert ours["threads"] == theirs["threads"] == 1
        drop = ("train_seconds", "eval_seconds")
        assert [{k: v for k, v in m.items() if k not in drop} for m in ours["metrics"]] == \
            [{k: v for k, v in m.items() if k not in drop} for m in theirs["metrics"]]
        compared += 1
    assert compared == 9


def test_one_estimate_for_plan_and_progress_rescales_as_runs_finish():
    from report.training.plan import AFTER_TRAINING_SECONDS, Estimate

    estimate = Estimate({"a": (10.0, 100), "b": (10.0, 100), "c": (20.0, 200)}, workers=1)
    assert estimate.left() == pytest.approx(40.0 + AFTER_TRAINING_SECONDS)
    estimate.finished("a", 20.0)  # twice as slow as estimated: the rest is rescaled
    assert estimate.left() == pytest.approx(60.0 + AFTER_TRAINING_SECONDS)
    assert estimate.left({"b": 5.0}) == pytest.approx(55.0 + AFTER_TRAINING_SECONDS)  # b has run 5 s


def test_without_estimates_the_time_left_comes_from_flops_after_the_first_run():
    from report.training.plan import AFTER_TRAINING_SECONDS, Estimate

    estimate = Estimate({"small": (None, 100), "large": (None, 300)}, workers=2)
    assert estimate.left() is None
    estimate.finished("small", 3.0)  # 0.03 s per FLOP unit
    assert estimate.left() == pytest.approx(9.0 + AFTER_TRAINING_SECONDS)


def test_the_profile_benchmark_reads_every_form_of_time_left():
    """benchmarks --profiles checks the printed estimates against the clock: it must read them as printed."""
    from benchmarks.__main__ import LEFT, seconds_of
    from report.training.progress import format_duration

    for seconds in (7, 59, 62, 600, 3599, 3900):
        line = f"[3/9] cnn/sgd  (4s elapsed, ≈{format_duration(seconds)} left)"
        expected = seconds if seconds < 3600 else seconds // 60 * 60  # hours are printed to the minute
        assert seconds_of(LEFT.search(line)) == expected


def test_a_run_of_an_unseen_model_costs_the_measured_overhead_plus_its_flops_at_its_models_speed():
    """What finished runs spent outside their epochs is a fixed cost for every run; the FLOP rate comes
    from the closest kin: the same architecture, else the same model (an LSTM of another size), else all."""
    from report.training.plan import AFTER_TRAINING_SECONDS, Estimate

    lstm256, lstm64, lenet = ("rnn", "lstm", 256), ("rnn", "lstm", 64), ("lenet5", None)
    estimate = Estimate({"big": (None, 1000, lstm256), "small": (None, 100, lstm64), "cnn": (None, 500, lenet),
                         "cnn2": (None, 500, lenet)}, workers=1)
    estimate.finished("big", 12.0, overhead=2.0)  # 10 s in epochs for 1000 FLOPs
    # small: 2 s fixed + 100 × 0.01; the LeNet5 runs: no LeNet5 finished, so all runs' rate: 2 + 500 × 0.01
    assert estimate.left() == pytest.approx(3.0 + 7.0 + 7.0 + AFTER_TRAINING_SECONDS)
    estimate.finished("cnn", 4.5, overhead=2.0)  # LeNet5 turns FLOPs into seconds five times faster
    assert estimate.left() == pytest.approx(3.0 + 4.5 + AFTER_TRAINING_SECONDS)


def test_a_run_is_costed_with_the_test_images_it_really_evaluates():
    from experiments.training import as_evaluated, evaluated_images

    params = {"epochs": 3, "test_samples": 1_000_000, "curve_test_samples": 500_000}
    clipped = as_evaluated(params, 10_000)
    assert clipped["test_samples"] == 10_000 and clipped["curve_test_samples"] == 10_000
    assert evaluated_images(clipped) == 3 * 10_000
    assert as_evaluated({"epochs": 1, "test_samples": 200}, 10_000)["test_samples"] == 200


@pytest.mark.slow
def test_plan_measures_without_printing_tensorflows_lines(tmp_path, data_dir):
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    config = tmp_path / "small.toml"
    config.write_text('[cnn]\noptimizers = ["adam"]\nlearning_rates = [1e-3]\n'
                      '[rnn]\ncells = ["gru"]\nhidden_sizes = [64]\n[compare]\nsize_matched = false\n')
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["MKREPORT_CACHE_DIR"] = str(tmp_path / "cache")
    result = subprocess.run([sys.executable, "-m", "report", "plan", "--profile", "smoke", "--config", str(config),
                             "--data-dir", str(data_dir), "--output", str(tmp_path / "output")],
                            capture_output=True, text=True, env=env, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "≈" in result.stdout
    assert not [line for line in result.stderr.splitlines() if "0000 00:" in line or "cuda" in line.lower()]
