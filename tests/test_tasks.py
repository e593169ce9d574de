"""Any supervised task (issue 38): N classes with chance from the class frequencies, binary heads, regression
ranked by an error metric (lower is better), float features — trained, stated and checked as mkreport's own."""
import json

import numpy as np
import pytest

from experiments import tasks
from experiments.data import Dataset
from report.results.runs import RunSpec
from report.sections import kit
from report.training.workers import train_with_data
from tests.conftest import REPO, run_cli

BUDGET = {"epochs": 2, "batch_size": 10, "samples_per_epoch": 40, "test_samples": 30, "curve_test_samples": 30,
          "log_every_steps": 1}


def features(task_kind: str, classes: int = 3):
    """Made data: 60 rows of 5 float features; labels of the kind (class 0 twice as frequent), or targets."""
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (60, 5)).astype(np.float32)
    if task_kind == "regression":
        y = (x @ np.arange(1, 6) + 50).astype(np.float32)
    else:
        y = np.array([0, 0, *range(1, classes)] * 60)[:60]
    return Dataset("made", x[:40], y[:40], x[40:], y[40:], "0" * 64, "made here")


def train(tmp_path, name: str, head: str, task: dict, data: Dataset):
    module = tmp_path / f"{name}.py"
    module.write_text("import keras\nfrom keras import layers\n\n\ndef build_model(params):\n"
                      "    inputs = keras.Input((5,))\n"
                      "    x = layers.Dense(8, activation='relu')(inputs)\n"
                      f"    return keras.Model(inputs, {head})\n")
    params = {"model": "build_model", "optimizer": "adam", "learning_rate": 1e-2, "task": task, **BUDGET}
    return train_with_data(RunSpec("own", name, 0, params, "made", code=str(module)), data, 1)[:2]


def test_a_task_is_made_from_words_and_a_wrong_one_is_one_line():
    assert tasks.make("binary").as_params() == {"kind": "binary", "classes": 2, "metric": "accuracy"}
    regression = tasks.make("regression", metric="mae")
    assert regression.loss == "mse" and not regression.higher_is_better and not regression.classifies
    for words, problem in ((("classification",), "needs classes"), (("regression", None, "accuracy"), "metric"),
                           (("ranking",), "must be one of"), (("binary", 3), "takes no classes"),
                           (("classification", 3, None, "mae"), "only a regression")):
        with pytest.raises(tasks.TaskError, match=problem):
            tasks.make(*words)
    from report.errors import ConfigError

    with pytest.raises(ConfigError, match="kit.task: .*classes"):
        kit.task("classification", classes=1)


def test_a_three_class_tasks_chance_is_its_most_frequent_class_share():
    task = tasks.make("classification", classes=3)
    assert tasks.chance(task, np.array([0, 0, 0, 1, 2])) == pytest.approx(0.6)
    assert tasks.chance(tasks.Task(), np.arange(100) % 10) == pytest.approx(0.1)   # mkreport's own: 1/10
    assert tasks.chance(tasks.make("regression"), np.zeros(4)) is None


def test_a_three_class_model_on_float_features_trains_and_records_its_chance(tmp_path):
    task = kit.task("classification", classes=3)
    result, error = train(tmp_path, "three", "layers.Dense(3)(x)", task, features("classification"))
    assert error is None
    assert result["task"]["chance"] == pytest.approx(np.mean(features("classification").y_test == 0))
    assert result["task"]["chance"] != pytest.approx(1 / 3)   # class 0 is twice as frequent: not 1/N
    assert len(result["prediction_counts"]) == 3 and "test_accuracy" in result["metrics"][-1]


def test_binary_heads_a_sigmoid_and_two_logits_both_train_as_binary(tmp_path):
    data = features("binary", classes=2)
    for name, head in (("sigmoid", "layers.Dense(1, activation='sigmoid')(x)"), ("logit", "layers.Dense(1)(x)"),
                       ("two", "layers.Dense(2)(x)")):
        result, error = train(tmp_path, name, head, kit.task("binary"), data)
        assert error is None, error
        accuracy = result["metrics"][-1]["test_accuracy"]
        assert 0 <= accuracy <= 1 and sum(result["prediction_counts"]) == 20 and len(result["prediction_counts"]) == 2


def test_a_binary_task_scored_by_auc_records_it_and_needs_one_output(tmp_path):
    data = features("binary", classes=2)
    result, error = train(tmp_path, "auc", "layers.Dense(1)(x)", kit.task("binary", metric="auc"), data)
    assert error is None and 0 <= result["metrics"][-1]["test_auc"] <= 1 and "test_accuracy" not in result["metrics"][-1]
    result, error = train(tmp_path, "auc_two", "layers.Dense(2)(x)", kit.task("binary", metric="auc"), data)
    assert result is None and "needs one output" in error


def test_a_binary_model_with_three_outputs_is_refused_before_training(tmp_path):
    result, error = train(tmp_path, "three_out", "layers.Dense(3)(x)", kit.task("binary"), features("binary", 2))
    assert result is None and "gives 3 outputs per example" in error and "two logits" in error


def test_a_regression_records_its_error_metric_and_no_accuracy(tmp_path):
    result, error = train(tmp_path, "regress", "layers.Dense(1)(x)", kit.task("regression", metric="mae"),
                          features("regression"))
    assert error is None
    last = result["metrics"][-1]
    assert "test_mae" in last and "train_mae" in last and "test_accuracy" not in last
    assert result["prediction_counts"] is None and result["task"]["higher_is_better"] is False
    assert last["test_mae"] > 1   # targets near 50: an untrained MLP is far off (the metric is the real one)


def test_class_labels_that_do_not_fit_the_task_are_one_line(tmp_path):
    data = features("classification", classes=3)
    result, error = train(tmp_path, "two", "layers.Dense(2)(x)", kit.task("classification", classes=2), data)
    assert result is None and "labels out of range" in error and "expected 0–1 for 2 classes" in error


def records(values: dict, metric: str, higher: bool) -> list[dict]:
    """Stored records made by hand: label → per-seed final values of the metric."""
    made = []
    for label, seeds in values.items():
        for seed, value in enumerate(seeds):
            made.append({"label": label, "seed": seed, "state": "done", "params": {**BUDGET},
                         "task": {"kind": "regression", "classes": 0, "metric": metric, "chance": None,
                                  "higher_is_better": higher},
                         "metrics": [{"epoch": 1, f"test_{metric}": value, f"train_{metric}": value, "train_loss": 1.0,
                                      "test_loss": 1.0, "test_images": 30, "samples_seen": 40,
                                      "train_seconds": 0.1}]})
    return made


def test_an_error_metric_names_the_lowest_the_best_and_never_the_highest():
    made = records({"small": [10.0, 10.2, 10.1], "large": [20.0, 20.3, 19.9]}, "mae", higher=False)
    said = kit.claims(made, what="width")
    assert said[0].kind == "best" and said[0].text.startswith("The best width by mean absolute error is small (10.")
    assert "with a lower mean absolute error than it" in said[0].text
    summary = kit.summary(made, what="width")
    assert summary["metric_words"] == "mean absolute error" and summary["rows"][0]["accuracy"].startswith("10.1")
    assert "test_mae_mean" in summary["tables"]["grid"]["columns"]
    # equal up to noise: no single best, and no accuracy words for a metric that is not one
    tied = kit.claims(records({"a": [10.0, 10.4, 9.8], "b": [10.1, 9.9, 10.3]}, "mae", higher=False), what="width")
    assert tied[0].kind == "not-resolved" and "accuracy" not in tied[0].text and "chance" not in tied[0].text


@pytest.mark.slow
def test_three_sections_of_ones_own_build_in_an_empty_folder_with_tested_claims_and_pass_check(tmp_path, data_dir):
    """Done when (issue 38): in an empty folder, a binary classifier on float features (breast cancer), a
    regression ranked by mean absolute error (diabetes) and keras-io's convnet with its softmax head
    unchanged build together with the smoke profile, each with tested claims, and `mkreport check` passes."""
    import shutil

    folder = tmp_path / "my-report"
    (folder / "sections").mkdir(parents=True)
    for example, section in (("breast-cancer", "breast_cancer"), ("diabetes", "diabetes"),
                             ("keras-io-convnet", "mnist_convnet")):
        shutil.copy(REPO / "examples" / example / "sections" / f"{section}.py", folder / "sections")
    (folder / "mkreport.toml").write_text('[report]\nsections = ["breast_cancer", "diabetes", "mnist_convnet"]\n')
    common = ["--config", folder / "mkreport.toml", "--profile", "smoke", "--output", folder / "output",
              "--data-dir", data_dir]
    env = {"MKREPORT_CACHE_DIR": str(tmp_path / "cache")}
    built = run_cli("all", *common, env=env)
    assert built.returncode == 0, built.stderr
    assert run_cli("check", *common, env=env).returncode == 0
    claims = json.loads((folder / "output" / "claims.json").read_text())["claims"]
    said = {section: [c["text"] for c in claims if c["section"] == section]
            for section in ("breast_cancer", "diabetes", "mnist_convnet")}
    assert all(said.values()), said
    # the binary task's chance is its test set's most frequent class, not 10 %
    assert any("chance plus three binomial standard deviations" in text and "above 0.1" not in text
               for text in said["breast_cancer"]), said["breast_cancer"]
    assert said["diabetes"][0].startswith("The") and "by mean absolute error" in said["diabetes"][0]
    html = (folder / "output" / "report.html").read_text()
    assert "test mean absolute error" in html
    logs = "".join(p.read_text(errors="replace") for p in (folder / "output" / "logs").rglob("*.log"))
    assert "from_logits" not in logs and "failed" not in built.stdout


def test_an_error_metrics_interval_is_not_clipped_to_the_range_of_an_accuracy():
    made = records({"small": [40.0, 60.0, 50.0], "large": [150.0, 151.0, 152.0]}, "mae", higher=False)
    row = kit.summary(made, what="width")["rows"][0]
    low, high = (float(x) for x in row["interval"].strip("[]").split(","))
    assert low < 50 < high and high > 1.0


def test_a_claims_file_against_a_section_scored_by_an_error_is_not_comparable_not_a_crash():
    """A TA's claims file speaks of accuracies; a regression section has none: every claim is said to be not
    comparable, with why, and nothing raises."""
    from report.claims_file import FileClaim
    from report.stats.checks import NOT_COMPARABLE, check_all
    from report.stats.summary import by_config

    configs = by_config(records({"small": [10.0, 10.2], "large": [20.0, 20.3]}, "mae", higher=False))
    claims = [FileClaim("diabetes", "test_accuracy", ("small",), 0.9, "1", "small reaches 0.9"),
              FileClaim("diabetes", "best", ("small",), "small", "2", "small is the best")]
    checked = check_all(claims, configs, lambda c: "learned")
    assert [c.verdict for c in checked] == [NOT_COMPARABLE] * 2
    assert all("scored by mae" in c.text for c in checked)
