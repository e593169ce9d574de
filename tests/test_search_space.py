"""The assignment's whole search space: momentum optimizers and RNN optimizer/learning-rate axes."""
import csv
import json

import pytest

from report.config import load_config
from report.results.runs import run_key
from report.sections import BY_NAME
from tests.conftest import run_cli

CNN = ['cnn.optimizers=["momentum","rmsprop"]', "cnn.momentum=[0.5,0.9]", "cnn.learning_rates=[0.01]"]


def test_momentum_is_a_grid_axis_only_for_the_optimizers_that_take_it():
    runs = BY_NAME["cnn"].runs(load_config(None, "smoke", CNN))
    assert [r.label for r in runs] == ["momentum 0.5, lr=0.01", "momentum 0.9, lr=0.01",
                                       "rmsprop, momentum 0.5, lr=0.01", "rmsprop, momentum 0.9, lr=0.01"]
    assert len({run_key(r, "data") for r in runs}) == 4
    plain = BY_NAME["cnn"].runs(load_config(None, "smoke", ['cnn.optimizers=["adam","sgd"]', "cnn.momentum=[0.5,0.9]"]))
    assert len(plain) == 6 and not any("momentum" in r.params for r in plain)   # no duplicate runs


def test_the_rnn_grid_gains_optimizer_and_learning_rate_axes():
    default = BY_NAME["rnn"].runs(load_config(None, "smoke"))
    doubled = BY_NAME["rnn"].runs(load_config(None, "smoke", ["rnn.learning_rates=[0.01,0.001]"]))
    assert len(doubled) == 2 * len(default)
    assert default[0].label == "rnn, 64 units"              # today's labels where nothing varies
    assert {r.label for r in doubled} >= {"rnn, 64 units, lr=0.01", "rnn, 64 units, lr=0.001"}


@pytest.mark.slow
def test_a_smoke_build_with_momentum_optimizers_and_two_rnn_rates(tmp_path, data_dir):
    sets = [*CNN, "rnn.learning_rates=[0.01,0.001]", 'rnn.cells=["gru"]', "rnn.hidden_sizes=[64]",
            "compare.size_matched=false"]
    output = tmp_path / "output"
    args = ["all", "--profile", "smoke", "--data-dir", data_dir, "--output", output]
    for item in sets:
        args += ["--set", item]
    result = run_cli(*args, env={"MKREPORT_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr
    assert "trained 7 run(s)" in result.stdout      # 4 CNN, 2 RNN, 1 LeNet5 on MNIST
    html = (output / "report.html").read_text()
    assert "rmsprop, momentum 0.9, lr=0.01" in html and "gru, 64 units, lr=0.001" in html
    grid = list(csv.DictReader((output / "tables" / "cnn_grid.csv").open()))
    assert sorted(row["momentum"] for row in grid) == ["0.5", "0.5", "0.9", "0.9"]
    labels = {label for c in json.loads((output / "claims.json").read_text())["claims"] for label in c["labels"]}
    assert "momentum 0.5, lr=0.01" in labels and "gru, 64 units, lr=0.01" in labels
