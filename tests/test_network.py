"""LeNet5 as settings (issue 25): the network's shape, its validation, its grid axes, and every
section's use of it."""
import pytest

from experiments.network import (DEFAULT_NETWORK, ShapeError, describe, feature_sides, narrowed, network_of,
                                 parameters)
from report.config import load_config
from report.errors import ConfigError
from report.sections import BY_NAME
from tests.conftest import run_cli

CLASSIC = {"conv_filters": [6, 16], "fc_units": [120, 84], "activation": "tanh", "padding": "valid", "dropout": 0.0}
CLASSIC_SETS = ["cnn.conv_filters=[6,16]", "cnn.fc_units=[120,84]", 'cnn.activation="tanh"', 'cnn.padding="valid"',
                "cnn.dropout=0.0"]


@pytest.mark.parametrize("network, shape", [
    (DEFAULT_NETWORK, (28, 28, 1)),
    (CLASSIC, (28, 28, 1)),
    (CLASSIC, (32, 32, 3)),
    (dict(DEFAULT_NETWORK, conv_filters=[8], fc_units=[]), (28, 28, 1)),
    (dict(DEFAULT_NETWORK, conv_filters=[4, 4, 4, 4], padding="same"), (32, 32, 3)),
])
def test_the_parameter_count_by_formula_is_keras_count(network, shape):
    from experiments.models import build_lenet5

    model = build_lenet5(network, shape)
    assert parameters(network, shape) == model.count_params()
    conv_names = [layer.name for layer in model.layers if layer.name.startswith("conv")]
    assert conv_names == [f"conv{i}" for i in range(1, len(network["conv_filters"]) + 1)]
    assert any(layer.name.startswith("dropout") for layer in model.layers) == bool(network["dropout"] and
                                                                                  network["fc_units"])


def test_the_default_network_is_the_assignments_and_keeps_its_parameter_count():
    assert parameters(DEFAULT_NETWORK) == 3_274_634   # conv 32 → conv 64 → fc 1024 on 28×28 grey, as before
    assert describe(DEFAULT_NETWORK) == ("conv 5×5/32 → pool → conv 5×5/64 → pool → fc 1024 → dropout 0.5 → fc 10; "
                                         "ReLU, same padding")
    assert describe(CLASSIC) == "conv 5×5/6 → pool → conv 5×5/16 → pool → fc 120 → fc 84 → fc 10; tanh, valid padding"


def test_a_shape_that_does_not_fit_names_the_layer():
    with pytest.raises(ShapeError, match="conv3 gets a 4×4 input"):
        feature_sides(dict(CLASSIC, conv_filters=[6, 16, 32]), 28)
    assert feature_sides(CLASSIC, 28) == [(24, 12), (8, 4)]
    with pytest.raises(ShapeError, match="pool4 gets a 1×1 input"):
        feature_sides(dict(DEFAULT_NETWORK, conv_filters=[4, 4, 4, 4]), 14)


def test_narrowing_scales_every_width_and_keeps_the_rest():
    target = 20_000   # the classic network has 44,426
    narrow = narrowed(CLASSIC, target)
    assert narrow["activation"] == "tanh" and narrow["padding"] == "valid" and len(narrow["fc_units"]) == 2
    assert all(a <= b for a, b in zip(narrow["conv_filters"] + narrow["fc_units"], [6, 16, 120, 84]))
    assert abs(parameters(narrow) - target) / target < 0.1


# ---------------------------------------------------------------- the config

BAD_SETTINGS = [
    (["cnn.padding=\"valid\"", "cnn.conv_filters=[6,16,32]"], "conv3 gets a 4×4 input, smaller than its 5×5 kernel"),
    (["cnn.conv_filters=[8,8,8,8]", "cnn.padding=\"valid\""], "does not fit CIFAR10's 28×28 images: conv3"),
    (["data.cifar10=\"rgb\"", "cnn.padding=\"valid\"", "cnn.conv_filters=[6,16,32]"],
     "does not fit CIFAR10's 32×32 images: pool3 gets a 1×1 input"),   # 32 → 28 → 14 → 10 → 5 → 1
    (["cnn.activation=\"sigmoid\""], "cnn.activation = 'sigmoid' is not allowed: expected one of \"relu\", \"tanh\""),
    (["cnn.dropout=1.0"], "cnn.dropout = 1.0 is not allowed: expected a dropout rate from 0 up to"),
    (["cnn.fc_units=[0]"], "cnn.fc_units = [0] is not allowed"),
    (["cnn.conv_filters=[]"], "cnn.conv_filters = [] is not allowed"),
    (["cnn.conv_filters=[1,2,3,4,5]"], "a list of 1–4 whole numbers"),
    (["cnn.padding=\"full\""], "cnn.padding = 'full' is not allowed"),
    (["cnn.dropout=[0.5,0.5]"], "distinct values on an axis"),
    (["cnn.fc_units=[[120,84],[120,84]]"], "distinct values on an axis"),
    (["data.train_per_class=100"], "applies to data.cifar10 = \"rgb\" only"),
    (["data.cifar10=\"colour\""], "data.cifar10 = 'colour' is not allowed"),
    (["data.cifar10=\"rgb\"", "data.test_per_class=1001"], "data.test_per_class = 1001 is not allowed: expected at most 1,000"),
]


@pytest.mark.parametrize("sets, message", BAD_SETTINGS)
def test_a_bad_network_or_data_setting_is_one_error_naming_it(sets, message):
    with pytest.raises(ConfigError) as error:
        load_config(None, "smoke", sets)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_bad_network_setting_exits_2_with_one_line_before_anything_trains(tmp_path):
    result = run_cli("cnn", "--profile", "smoke", "--output", tmp_path / "out", "--set", 'cnn.padding="valid"',
                     "--set", "cnn.conv_filters=[6,16,32]")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        'mkreport: cnn.conv_filters = [6, 16, 32] with cnn.padding = "valid" does not fit CIFAR10\'s 28×28 images: '
        'conv3 gets a 4×4 input, smaller than its 5×5 kernel with padding "valid"']
    assert not (tmp_path / "out" / "store").exists()


# ---------------------------------------------------------------- runs, labels and keys

def test_the_default_network_adds_nothing_to_a_runs_params():
    """Default settings keep today's params, so the keys of stored default runs keep their meaning."""
    for spec in BY_NAME["cnn"].runs(load_config(None, "smoke")) + BY_NAME["compare"].runs(load_config(None, "smoke")):
        assert not {"activation", "padding", "dropout", "input_shape"} & set(spec.params)
        assert "conv_filters" not in spec.params or "narrowed" in spec.label


def test_a_network_setting_reaches_the_params_of_cnn_and_compare_runs():
    config = load_config(None, "smoke", CLASSIC_SETS)
    for spec in BY_NAME["cnn"].runs(config):
        assert network_of(spec.params) == CLASSIC and spec.dataset == "cifar10"
        assert "tanh" not in spec.label   # one network: the section's text names it, the labels do not
    compare = BY_NAME["compare"].runs(config)
    assert network_of(compare[0].params) == CLASSIC
    narrow = [spec for spec in compare if "narrowed" in spec.label]
    assert all(network_of(spec.params)["activation"] == "tanh" for spec in narrow)


def test_a_dropout_axis_trains_each_value_under_its_own_label():
    config = load_config(None, "smoke", ["cnn.dropout=[0.0,0.5]", 'cnn.optimizers=["adam"]', "cnn.learning_rates=[1e-3]"])
    runs = BY_NAME["cnn"].runs(config)
    assert [spec.label for spec in runs] == ["adam, lr=0.001, dropout 0", "adam, lr=0.001, dropout 0.5"]
    assert [spec.params.get("dropout", 0.5) for spec in runs] == [0.0, 0.5]
    assert len({spec.run_id for spec in runs}) == 2
    # the comparison trains the first value of each axis
    assert network_of(BY_NAME["compare"].runs(config)[0].params)["dropout"] == 0.0


def test_an_fc_axis_and_an_activation_axis_make_a_product():
    config = load_config(None, "smoke", ["cnn.fc_units=[[120,84],[1024]]", 'cnn.activation=["relu","tanh"]',
                                         'cnn.optimizers=["adam"]', "cnn.learning_rates=[1e-3]"])
    labels = [spec.label for spec in BY_NAME["cnn"].runs(config)]
    assert labels == ["adam, lr=0.001, fc 120/84, relu", "adam, lr=0.001, fc 120/84, tanh",
                      "adam, lr=0.001, fc 1024, relu", "adam, lr=0.001, fc 1024, tanh"]


def test_colour_cifar10_is_its_own_dataset_and_input_shape():
    config = load_config(None, "smoke", ['data.cifar10="rgb"', "data.train_per_class=100", "data.test_per_class=20"])
    spec = BY_NAME["cnn"].runs(config)[0]
    assert spec.dataset == "cifar10-rgb-100-20" and spec.params["input_shape"] == [32, 32, 3]
    assert BY_NAME["compare"].runs(config)[0].dataset == "mnist"
    assert "input_shape" not in BY_NAME["compare"].runs(config)[0].params


def test_the_network_settings_change_the_plan_speed_group():
    from report.training.plan import architecture

    default = BY_NAME["cnn"].runs(load_config(None, "smoke"))[0].params
    classic = BY_NAME["cnn"].runs(load_config(None, "smoke", CLASSIC_SETS))[0].params
    assert architecture(default) != architecture(classic)


# ---------------------------------------------------------------- whole builds (smoke profile)

def coloured_batches(folder, per_batch=100):
    """An extracted cifar-10-batches-py/ folder in the official format whose classes differ in colour
    (each class its own mean R, G, B, plus noise), so that a smoke build learns something."""
    import pickle

    import numpy as np

    rng = np.random.default_rng(5)
    palette = rng.integers(30, 226, (10, 3))
    batches = folder / "cifar-10-batches-py"
    batches.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        labels = np.arange(per_batch) % 10
        planes = palette[labels][:, :, None] + rng.normal(0, 25, (per_batch, 3, 1024))
        rows = np.clip(planes, 0, 255).astype(np.uint8).reshape(per_batch, 3072)
        (batches / name).write_bytes(pickle.dumps({b"data": rows, b"labels": labels.tolist()}))
    return folder


def _store_arrays(output, section):
    import numpy as np

    return np.load(next((output / "store" / section).glob("*.npz")))


@pytest.mark.slow
def test_the_classic_lenet5_builds_every_section_and_passes_check(tmp_path, data_dir):
    """The 2025 text's network: conv 6 → conv 16 → fc 120 → fc 84, tanh, valid padding, no dropout."""
    output = tmp_path / "out"
    # every section, on smaller grids than the smoke profile's: the network is what is tested here
    small = ['cnn.optimizers=["adam"]', "cnn.learning_rates=[1e-2]", 'rnn.cells=["gru"]', "rnn.hidden_sizes=[64]",
             "compare.size_matched=false"]
    sets = [arg for setting in CLASSIC_SETS + small for arg in ("--set", setting)]
    env = {"MKREPORT_CACHE_DIR": str(tmp_path / "cache")}
    run_cli("all", "--profile", "smoke", "--output", output, *sets, env=env, check=True)
    visualize = _store_arrays(output, "visualize")
    assert visualize["conv1_trained"].shape == (6, 5, 5)          # six first-layer filters
    assert visualize["maps_conv2"].shape[2:] == (8, 8)           # valid padding: 28 → 24 → 12 → 8
    deconvnet = _store_arrays(output, "deconvnet")
    assert deconvnet["pool1_projections"].shape[0] == 6           # every conv1 map (fewer than feature_maps)
    html = (output / "report.html").read_text()
    assert "conv 5×5/6 → pool → conv 5×5/16 → pool → fc 120 → fc 84 → fc 10; tanh, valid padding" in html
    assert "This network uses tanh, not ReLU" in html and "After tanh, conv1" in html
    assert "exactly zero" not in html   # a ReLU sentence on a tanh network would be false
    run_cli("check", "--profile", "smoke", "--output", output, *sets, env=env, check=True)


@pytest.mark.slow
def test_colour_cifar10_and_a_dropout_axis_build_every_section_and_pass_check(tmp_path, data_dir):
    """A small archive in the official format, extracted into a data folder beside the real MNIST."""
    import json
    import os

    folder = coloured_batches(tmp_path / "data")
    os.symlink(data_dir / "mnist.npz", folder / "mnist.npz")
    output = tmp_path / "out"
    sets = [arg for setting in ['data.cifar10="rgb"', "cnn.dropout=[0.0,0.5]", 'cnn.optimizers=["adam"]',
                                "cnn.learning_rates=[1e-3]", "cnn.seeds=[0,1]", 'rnn.cells=["gru"]',
                                "rnn.hidden_sizes=[64]", "compare.size_matched=false"] for arg in ("--set", setting)]
    env = {"MKREPORT_CACHE_DIR": str(tmp_path / "cache"), "MKREPORT_DATA_DIR": str(folder)}
    run_cli("all", "--profile", "smoke", "--output", output, *sets, env=env, check=True)
    visualize = _store_arrays(output, "visualize")
    assert visualize["conv1_trained"].shape == (32, 5, 5, 3)      # colour filters, drawn in colour
    assert visualize["images"].shape[1:] == (32, 32, 3)
    deconvnet = _store_arrays(output, "deconvnet")
    assert deconvnet["pool1_projections"].shape[-1] == 3 and deconvnet["occlusion_images"].shape[-1] == 3
    claims = json.loads((output / "claims.json").read_text())["claims"]
    ranking = [c for c in claims if c["section"] == "cnn" and c.get("family")
               and c["family"]["name"] == "the CIFAR10 grid"]
    assert len(ranking) == 1 and set(ranking[0]["values"]) == {"adam, lr=0.001, dropout 0", "adam, lr=0.001, dropout 0.5"}
    assert ranking[0]["seeds"] == {"adam, lr=0.001, dropout 0": 2, "adam, lr=0.001, dropout 0.5": 2}
    assert ranking[0]["verdict"] in ("better", "not resolved") and ranking[0]["test"]   # one tested pair
    html = (output / "report.html").read_text()
    assert "CIFAR10 in colour" in html and "Each filter is shown in colour" in html
    records = [json.loads(p.read_text())["record"] for p in (output / "store" / "cnn").glob("*.json")]
    assert {r["dataset"] for r in records} == {"cifar10-rgb"}
    run_cli("check", "--profile", "smoke", "--output", output, *sets, env=env, check=True)


@pytest.mark.parametrize("name", ["classic-lenet5-rgb.toml", "dropout-ablation.toml"])
def test_the_example_configs_load_and_plan_what_they_say(name):
    from tests.conftest import REPO

    config = load_config(REPO / "examples" / name, "quick")
    runs = BY_NAME["cnn"].runs(config)
    if name.startswith("classic"):
        assert {spec.dataset for spec in runs} == {"cifar10-rgb-1000-100"}
        assert all(network_of(spec.params) == CLASSIC for spec in runs)
    else:
        assert sorted({spec.label for spec in runs}) == ["adam, lr=0.001, dropout 0", "adam, lr=0.001, dropout 0.25",
                                                         "adam, lr=0.001, dropout 0.5"]
        assert len(runs) == 3 * 3   # a value the file sets wins over the profile: three seeds


def test_a_layer_whose_every_field_reaches_the_padding_uses_every_position():
    """Four same-padded conv layers on 28×28: after pool3 and pool4 no position's receptive field lies inside
    the image; the deconvnet then takes all positions (and the report says so) rather than none."""
    import numpy as np

    from experiments.deconvnet import conv_stack, inside_positions
    from experiments.models import build_lenet5
    from report.sections.deconvnet import usable_positions

    model = build_lenet5(dict(DEFAULT_NETWORK, conv_filters=[4, 4, 4, 4]))
    stack = conv_stack(model, "pool4")
    activations = np.zeros((2, 1, 1, 4))
    assert not inside_positions(stack, 1, 1, 28).any()
    assert usable_positions(stack, activations, 28).all()
    pool2 = conv_stack(model, "pool2")
    assert usable_positions(pool2, np.zeros((2, 7, 7, 4)), 28).sum() == inside_positions(pool2, 7, 7, 28).sum() > 0
