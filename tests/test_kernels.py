"""TensorFlow's CPU kernels (issue 36): chosen by measurement or by the config, in every run's key where they
are not TensorFlow's own, and really in force inside the process that trains."""
import json

import pytest

from experiments.kernels import check, in_force
from report.config import load_config
from report.results.workspace import Workspace, status_rows
from report.sections import BY_NAME, SECTIONS
from report.training.cpu_kernels import _cache_path, choose, pick
from report.training.execute import Executor, train_missing
from tests.conftest import run_cli
from tests.test_resume import fake_result


def test_the_faster_kernels_are_taken_only_where_they_are_clearly_faster():
    assert pick({"default": "eigen", "onednn": 607.0, "eigen": 345.0}) == "onednn"
    assert pick({"default": "eigen", "onednn": 360.0, "eigen": 345.0}) is None      # within 10 %: TensorFlow's own
    assert pick({"default": "onednn", "onednn": 300.0, "eigen": 345.0}) == "eigen"
    assert pick({"default": "eigen", "eigen": 345.0}) is None                       # no oneDNN on this platform


def test_an_explicit_setting_overrides_the_measured_choice_and_smoke_does_not_measure(tmp_path):
    config_file = tmp_path / "k.toml"
    _cache_path().parent.mkdir(parents=True, exist_ok=True)
    _cache_path().write_text(json.dumps({"default": "eigen", "onednn": 607.0, "eigen": 345.0}))
    config_file.write_text("")
    assert choose(load_config(config_file, "quick")) == "onednn"          # auto: the cached measurement
    assert choose(load_config(config_file, "smoke")) is None              # smoke: TensorFlow's own
    config_file.write_text('[report]\ncpu_kernels = "eigen"\n')
    assert choose(load_config(config_file, "quick")) == "eigen"
    config_file.write_text('[report]\ncpu_kernels = "default"\n')
    assert choose(load_config(config_file, "quick")) is None


def test_a_run_trained_with_other_kernels_is_stale(tmp_path, data_dir, monkeypatch):
    config_file = tmp_path / "grid.toml"
    config_file.write_text('[cnn]\noptimizers = ["adam"]\nlearning_rates = [0.01]\nseeds = [0]\n')
    monkeypatch.setattr("experiments.training.train_run",
                        lambda params, seed, data, on_epoch=None, code=None: fake_result(params))
    ws = Workspace(load_config(config_file, "smoke"), tmp_path / "output", data_dir, SECTIONS)
    train_missing(ws, [BY_NAME["cnn"]], executor=Executor(jobs=1))
    assert {r["state"] for r in status_rows(ws) if r["section"] == "cnn"} == {"done"}
    ws.kernels = "onednn"
    assert {r["state"] for r in status_rows(ws) if r["section"] == "cnn"} == {"stale"}
    assert all(spec.params["cpu_kernels"] == "onednn" for spec, _ in ws.planned([BY_NAME["cnn"]]))


def test_a_process_whose_tensorflow_runs_other_kernels_refuses_the_run():
    kernels = in_force()
    other = "eigen" if kernels == "onednn" else "onednn"
    assert check({"cpu_kernels": kernels}) == kernels and check({}) == kernels
    with pytest.raises(RuntimeError, match=f"this run is for TensorFlow's {other} CPU kernels"):
        check({"cpu_kernels": other})


@pytest.mark.slow
@pytest.mark.parametrize("kernels, executor", [("onednn", ["--jobs", "2"]), ("eigen", ["--jobs", "1"]),
                                               ("onednn", ["--executor", "ray"])],
                         ids=["workers", "in-process", "ray"])
def test_the_kernels_reach_the_process_that_trains_and_give_the_same_numbers_twice(tmp_path, data_dir, kernels,
                                                                                     executor):
    """Read from inside the training process (TensorFlow's IsMklEnabled, stored with the run): in worker
    processes (--jobs 2), in the command's own process (--jobs 1) and in Ray's workers (a runtime_env)."""
    if "ray" in executor:
        pytest.importorskip("ray")
    config = tmp_path / "one.toml"
    config.write_text(f'[report]\ncpu_kernels = "{kernels}"\n[cnn]\noptimizers = ["adam"]\nlearning_rates = [1e-3]\n'
                      "seeds = [0, 1]\n")
    runs = []
    for force in ([], ["--force"]):
        run_cli("cnn", "--profile", "smoke", "--config", config, "--output", tmp_path / "out", "--data-dir", data_dir,
                *executor, *force, env={"MKREPORT_CACHE_DIR": str(tmp_path / "cache")}, check=True)
        records = [json.loads(p.read_text())["record"] for p in sorted((tmp_path / "out" / "store" / "cnn").glob("*.json"))]
        runs.append({r["seed"]: r for r in records})
    assert {r["cpu_kernels"] for r in runs[0].values()} == {kernels}
    assert all(r["params"]["cpu_kernels"] == kernels for r in runs[0].values())
    for seed, first in runs[0].items():
        same = [{k: v for k, v in epoch.items() if not k.endswith("seconds")} for epoch in first["metrics"]]
        again = [{k: v for k, v in epoch.items() if not k.endswith("seconds")} for epoch in runs[1][seed]["metrics"]]
        assert same == again
