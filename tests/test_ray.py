"""--executor ray: a local Ray instance with 2 CPUs runs the smoke grid; results match the in-process ones."""
import json
import sys

import pytest

from tests.conftest import run_cli


def test_without_ray_installed_the_message_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now fails, as it does without the extra
    from report.errors import ConfigError
    from report.training.ray_executor import check_available

    with pytest.raises(ConfigError, match=r"pip install -e '\.\[ray\]'"):
        check_available()


def test_ray_options_need_the_ray_executor(tmp_path):
    result = run_cli("cnn", "--address", "auto", "--output", tmp_path / "out")
    assert result.returncode == 2 and "go with --executor ray" in result.stderr


@pytest.mark.slow
def test_smoke_grid_on_local_ray_matches_in_process_results(smoke_build, tmp_path):
    pytest.importorskip("ray")
    env = {"MKREPORT_CACHE_DIR": str(smoke_build["cache"])}
    common = ["--profile", "smoke", "--data-dir", smoke_build["data_dir"]]
    config = tmp_path / "grid.toml"  # two cells of each grid keep the test short; same code path as the full grid
    config.write_text("[cnn]\noptimizers = [\"sgd\", \"adam\"]\nlearning_rates = [1e-2]\n"
                      "[rnn]\ncells = [\"lstm\"]\nhidden_sizes = [64, 128]\n[compare]\nsize_matched = false\n")
    output = tmp_path / "output"
    result = run_cli("all", *common, "--config", config, "--output", output, "--executor", "ray",
                     "--cpus-per-run", "2", env=env)   # reserves 2 CPUs; still trains with one thread
    assert result.returncode == 0, result.stderr
    assert "on Ray" in result.stderr and "running" in result.stderr and "queued" in result.stderr
    assert "trained 5 run(s), reused 0" in result.stdout

    ours = json.loads(run_cli("status", *common, "--config", config, "--output", output, "--json",
                              env=env, check=True).stdout)
    serial = {r["key"]: r["path"] for r in json.loads(
        run_cli("status", *common, "--output", smoke_build["output"], "--json", env=env, check=True).stdout)}
    assert len(ours) == 5
    for row in ours:
        assert row["state"] == "done" and row["key"] in serial  # the same keys as the in-process build
        assert json.loads(open(row["path"]).read())["record"]["threads"] == 1
        a = json.loads(open(row["path"]).read())["record"]["metrics"]
        b = json.loads(open(serial[row["key"]]).read())["record"]["metrics"]
        drop = ("train_seconds", "eval_seconds")
        assert [{k: v for k, v in m.items() if k not in drop} for m in a] == \
               [{k: v for k, v in m.items() if k not in drop} for m in b]
