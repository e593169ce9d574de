import json
import shutil

import pytest

from report.plan import Speed, architecture, speed_from_records
from tests.conftest import run_cli


def record(wall, epochs, samples, test, train_seconds, eval_seconds):
    return {"wall_seconds": wall, "params": {"samples_per_epoch": samples, "test_samples": test, "epochs": epochs},
            "metrics": [{"train_seconds": t, "eval_seconds": e} for t, e in zip(train_seconds, eval_seconds)]}


def test_speed_from_stored_runs_separates_fixed_and_per_sample_costs():
    # epoch 1 includes 2 s of tracing; later epochs: 1,000 samples in 1 s, 100 test samples in 0.1 s
    runs = [record(wall=2 + 3 * 1.1 + 0.5, epochs=3, samples=1000, test=100,
                   train_seconds=[3.0, 1.0, 1.0], eval_seconds=[0.1, 0.1, 0.1])]
    speed = speed_from_records(runs)
    assert speed.per_train == pytest.approx(1e-3) and speed.per_eval == pytest.approx(1e-3)
    assert speed.fixed == pytest.approx(2.5)
    params = {"epochs": 10, "samples_per_epoch": 2000, "test_samples": 100}
    assert speed.run_seconds(params) == pytest.approx(2.5 + 10 * (2.0 + 0.1))


def test_architecture_ignores_what_does_not_change_speed():
    a = {"model": "lenet5", "optimizer": "sgd", "learning_rate": 0.1, "batch_size": 64}
    assert architecture(a) == architecture(dict(a, optimizer="adam", learning_rate=1e-4))
    assert architecture(a) != architecture(dict(a, batch_size=32))


def test_no_speed_without_runs():
    assert speed_from_records([]) is None
    assert Speed(1, 0, 0, "x").run_seconds({"epochs": 5, "samples_per_epoch": 1, "test_samples": 1}) == 1


@pytest.mark.slow
def test_plan_lists_reused_runs_and_estimates_new_ones(smoke_build, tmp_path):
    output = tmp_path / "output"
    shutil.copytree(smoke_build["output"], output)
    env = {"MKREPORT_CACHE_DIR": str(smoke_build["cache"])}
    common = ["--profile", "smoke", "--output", output, "--data-dir", smoke_build["data_dir"]]
    result = run_cli("plan", *common, env=env, check=True)
    assert "plan: 0 run(s) to train, 19 reused" in result.stdout
    config = tmp_path / "more.toml"
    config.write_text("[rnn]\nhidden_sizes = [64, 128, 256, 32]\n")
    result = run_cli("plan", *common, "--config", config, env=env, check=True)
    lines = [line for line in result.stdout.splitlines() if line.startswith("train")]
    assert len(lines) == 3 and all("32 units" in line and "≈" in line for line in lines)
    assert "3 run(s) to train, 19 reused; ≈" in result.stdout


@pytest.mark.slow
def test_jobs_train_in_separate_processes_with_the_same_results(smoke_build, tmp_path):
    """Three runs with --jobs 2 against the serial smoke build's stored results."""
    output = tmp_path / "output"
    env = {"MKREPORT_CACHE_DIR": str(smoke_build["cache"])}
    common = ["--profile", "smoke", "--data-dir", smoke_build["data_dir"]]
    result = run_cli("cnn", *common, "--output", output, "--jobs", "2", env=env)
    assert result.returncode == 0, result.stderr
    assert "2 at a time" in result.stderr and "trained 9 run(s)" in result.stdout
    parallel = json.loads(run_cli("status", *common, "--output", output, "--json", env=env, check=True).stdout)
    serial = json.loads(run_cli("status", *common, "--output", smoke_build["output"], "--json", env=env,
                                check=True).stdout)
    serial_paths = {r["key"]: r["path"] for r in serial}
    for row in parallel:
        if row["section"] != "cnn":
            continue
        assert row["state"] == "done" and row["key"] in serial_paths  # same keys: same config, data, code
        ours = json.loads(open(row["path"]).read())["record"]["metrics"]
        theirs = json.loads(open(serial_paths[row["key"]]).read())["record"]["metrics"]
        for a, b in zip(ours, theirs):  # other thread counts may reorder float sums: equal to 1e-3
            assert a["test_accuracy"] == pytest.approx(b["test_accuracy"], abs=1e-3)
            assert a["train_loss"] == pytest.approx(b["train_loss"], abs=1e-3)
