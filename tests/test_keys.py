"""A stored number is reused only when everything that made it is the same (issue: keys and freshness)."""
import json
import shutil

import pytest

from report.results import runs
from tests.conftest import copy_build, run_cli


def test_editing_any_module_of_experiments_changes_every_run_key(tmp_path, monkeypatch):
    import experiments

    copy = tmp_path / "experiments"
    shutil.copytree(experiments.__path__[0], copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(runs.resources, "files", lambda package: copy)
    runs.training_code_hash.cache_clear()
    before = runs.training_code_hash()
    (copy / "sizes.py").write_text((copy / "sizes.py").read_text() + "\n# an edit\n")
    runs.training_code_hash.cache_clear()
    assert runs.training_code_hash() != before
    runs.training_code_hash.cache_clear()


def test_a_key_covers_the_framework_versions(monkeypatch):
    spec = runs.RunSpec("cnn", "adam, lr=0.001", 0, {"model": "lenet5"}, "cifar10")
    before = runs.run_key(spec, "data")
    monkeypatch.setattr(runs, "framework_versions", lambda: {"tensorflow": "9.9.9", "keras": "9", "numpy": "9"})
    assert runs.run_key(spec, "data") != before


@pytest.mark.slow
def test_a_record_names_the_versions_it_was_trained_with(smoke_build):
    record = json.loads(next((smoke_build["output"] / "store" / "cnn").glob("*.json")).read_text())["record"]
    assert set(record["versions"]) == {"tensorflow", "keras", "numpy"}
    assert record["versions"]["tensorflow"][0].isdigit() and record["threads"] == 1


@pytest.mark.slow
@pytest.mark.parametrize("written", ["claims.json", "metrics.csv", "tables", "figures/cnn_curves.png", "report.pdf"])
def test_an_output_deleted_from_an_up_to_date_build_is_written_again(smoke_build, tmp_path, written):
    output = copy_build(smoke_build, tmp_path)
    env = {"MKREPORT_CACHE_DIR": str(smoke_build["cache"])}
    target = output / written
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    result = run_cli("all", "--output", output, "--data-dir", smoke_build["data_dir"], env=env)
    assert result.returncode == 0, result.stderr
    assert "up to date" not in result.stdout and "trained 0 run(s)" in result.stdout
    assert target.exists()


@pytest.mark.slow
def test_a_store_file_damaged_with_its_old_size_and_time_is_not_up_to_date(smoke_build, tmp_path):
    import os

    output = copy_build(smoke_build, tmp_path)
    env = {"MKREPORT_CACHE_DIR": str(smoke_build["cache"])}
    assert "up to date" in run_cli("all", "--output", output, env=env).stdout
    victim = next((output / "store" / "rnn").glob("*.json"))
    stat = victim.stat()
    data = bytearray(victim.read_bytes())
    data[-3] = ord("0") if data[-3] != ord("0") else ord("1")
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = run_cli("all", "--output", output, "--data-dir", smoke_build["data_dir"], env=env)
    assert "up to date" not in result.stdout and "trained 1 run(s)" in result.stdout, result.stderr


@pytest.mark.slow
def test_a_real_tensorboard_lists_every_sections_hparams_with_their_domains(smoke_build, tmp_path):
    """Served by TensorBoard itself, its HParams dashboard's experiment (what the columns come from)."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    output = smoke_build["output"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(output / "tensorboard"),
                               "--host", "127.0.0.1", "--port", str(port), "--load_fast", "false"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    try:
        experiment, deadline = None, time.time() + 90
        while time.time() < deadline:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/data/plugin/hparams/experiment",
                                                 data=b'{"experimentName": ""}', method="POST",
                                                 headers={"Content-Type": "application/json"})
                experiment = json.loads(urllib.request.urlopen(request, timeout=5).read())
                if experiment.get("hparamInfos"):
                    break
            except OSError:
                pass
            time.sleep(1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert experiment and experiment.get("hparamInfos"), experiment
    domains = {info["name"]: info.get("domainDiscrete", []) for info in experiment["hparamInfos"]}
    assert {"cell", "hidden_size", "optimizer", "learning_rate", "section"} <= set(domains)
    assert set(domains["optimizer"]) >= {"sgd", "adam", "adagrad"}
    assert set(domains["cell"]) == {"rnn", "lstm", "gru"}
