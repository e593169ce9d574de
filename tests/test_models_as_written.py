"""The model as its user wrote it (issue 38): a softmax head, a compiled model, a Rescaling layer."""
import warnings

import numpy as np

from experiments.data import Dataset
from report.results.runs import RunSpec
from report.training.workers import train_with_data

PARAMS = {"model": "build_model", "optimizer": "adam", "learning_rate": 1e-3, "epochs": 2, "batch_size": 10,
          "samples_per_epoch": 40, "test_samples": 40, "curve_test_samples": 40, "log_every_steps": 1}
HEADER = "import keras\nfrom keras import layers\n\n\ndef build_model(params):\n    inputs = keras.Input((28, 28, 1))\n"


def dataset():
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 255, (60, 28, 28), dtype=np.uint8), np.arange(60) % 10
    return Dataset("made", images, labels, images[:40], labels[:40], "0" * 64, "made here")


def train(tmp_path, name, body, params=PARAMS):
    module = tmp_path / f"{name}.py"
    module.write_text(HEADER + body)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result, error, _ = train_with_data(RunSpec("own", name, 0, params, "made", code=str(module)), dataset(), 1)
    return result, error, [str(w.message) for w in caught]


def test_a_softmax_head_trains_as_its_logits_do_with_no_warning(tmp_path):
    hidden = "    x = layers.Dense(16, activation='relu')(layers.Flatten()(inputs))\n"
    logits, error, _ = train(tmp_path, "logits", hidden + "    return keras.Model(inputs, layers.Dense(10)(x))\n")
    assert error is None
    softmax, error, said = train(tmp_path, "softmax",
                                 hidden + "    return keras.Model(inputs, layers.Dense(10, activation='softmax')(x))\n")
    assert error is None and not [line for line in said if "from_logits" in line]
    accuracy = [[epoch["test_accuracy"] for epoch in run["metrics"]] for run in (logits, softmax)]
    assert accuracy[0] == accuracy[1]
    loss = [[epoch["train_loss"] for epoch in run["metrics"]] for run in (logits, softmax)]
    assert np.allclose(loss[0], loss[1], rtol=1e-5)


def test_a_compiled_models_own_loss_is_the_one_trained(tmp_path):
    body = ("    model = keras.Model(inputs, layers.Dense(10)(layers.Flatten()(inputs)))\n"
            "    cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True)\n"
            "    model.compile(optimizer=keras.optimizers.SGD(1e-3), loss=lambda y, p: 10.0 * cross_entropy(y, p))\n"
            "    return model\n")
    params = {key: value for key, value in PARAMS.items() if key not in ("optimizer", "learning_rate")}
    own, error, _ = train(tmp_path, "compiled", body, params)
    assert error is None
    assert own["metrics"][0]["train_loss"] > 15     # ten times a cross-entropy near ln 10 ≈ 2.3


def test_a_rescaling_layer_that_would_scale_twice_is_refused_before_training(tmp_path):
    body = ("    x = layers.Rescaling(1 / 255)(inputs)\n"
            "    return keras.Model(inputs, layers.Dense(10)(layers.Flatten()(x)))\n")
    result, error, _ = train(tmp_path, "rescaled", body)
    assert result is None and "has a Rescaling layer" in error and "scaled twice; remove the layer" in error
