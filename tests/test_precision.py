"""bfloat16 as a config key: its own run keys and labels where the CPU has it, refused where it has not."""
import json

import pytest

from report import config as config_module
from report.config import check_machine, load_config
from report.errors import ConfigError
from report.sections import BY_NAME
from tests.conftest import run_cli


def test_bfloat16_is_a_run_parameter_and_float32_keys_do_not_change():
    float32 = load_config(None, "smoke")
    bf16 = load_config(None, "smoke", ['cnn.precision="bfloat16"'])
    plain, mixed = BY_NAME["cnn"].runs(float32)[0], BY_NAME["cnn"].runs(bf16)[0]
    assert "precision" not in plain.params and mixed.params["precision"] == "bfloat16"
    assert mixed.label.endswith(", bfloat16") and plain.label == mixed.label[: -len(", bfloat16")]


def test_bfloat16_is_refused_on_a_cpu_without_it(monkeypatch):
    monkeypatch.setattr(config_module, "native_bfloat16", lambda: False)
    config = load_config(None, "smoke", ['rnn.precision="bfloat16"'])
    with pytest.raises(ConfigError, match="no native bfloat16"):
        check_machine(config, gpus=[])
    check_machine(config, gpus=["0"])  # a GPU does bfloat16
    check_machine(load_config(None, "smoke"), gpus=[])  # float32 everywhere


@pytest.mark.slow
def test_a_bfloat16_run_trains_and_is_stored_under_its_own_key(tmp_path, data_dir):
    if not config_module.native_bfloat16():
        pytest.skip("this CPU has no native bfloat16")
    common = ["--profile", "smoke", "--data-dir", data_dir, "--output", tmp_path / "out",
              "--set", 'cnn.optimizers=["adam"]', "--set", "cnn.learning_rates=[1e-3]"]
    env = {"MKREPORT_CACHE_DIR": str(tmp_path / "cache")}
    run_cli("cnn", *common, env=env, check=True)
    result = run_cli("cnn", *common, "--set", 'cnn.precision="bfloat16"', env=env, check=True)
    assert "trained 1 run(s)" in result.stdout  # the float32 run is not reused for bfloat16
    records = [json.loads(p.read_text())["record"] for p in (tmp_path / "out" / "store" / "cnn").glob("*.json")]
    assert sorted(r["label"] for r in records) == ["adam, lr=0.001", "adam, lr=0.001, bfloat16"]
    assert len({r["key"] for r in records}) == 2
    assert "bfloat16" in (tmp_path / "out" / "report.html").read_text()
