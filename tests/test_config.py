import pytest

from report.config import BUDGET_KEYS, load_config
from report.errors import ConfigError


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_are_the_assignment_grid():
    config = load_config()
    assert config["cnn"]["optimizers"] == ["sgd", "adam", "adagrad"]
    assert config["cnn"]["learning_rates"] == [1e-2, 1e-3, 1e-4]
    assert config["rnn"]["cells"] == ["rnn", "lstm", "gru"]
    assert config["rnn"]["hidden_sizes"] == [64, 128, 256]
    assert config["rnn"]["epochs"] * config["rnn"]["samples_per_epoch"] >= 100_000
    assert config["profile"] == "full"


@pytest.mark.parametrize("profile", ["quick", "smoke"])
def test_profiles_change_budgets_never_the_grid(profile):
    full, other = load_config(profile="full"), load_config(profile=profile)
    for section in ("cnn", "rnn"):
        for key in full[section]:
            if key not in BUDGET_KEYS:
                assert full[section][key] == other[section][key], (section, key)
    assert other["cnn"]["epochs"] * other["cnn"]["samples_per_epoch"] < full["cnn"]["epochs"] * full["cnn"]["samples_per_epoch"]


def test_user_value_wins_over_profile(tmp_path):
    path = write(tmp_path, "[cnn]\nepochs = 7\nlearning_rates = [0.5]\n")
    config = load_config(path, "smoke")
    assert config["cnn"]["epochs"] == 7
    assert config["cnn"]["learning_rates"] == [0.5]
    assert config["cnn"]["samples_per_epoch"] == load_config(profile="smoke")["cnn"]["samples_per_epoch"]


BAD_CONFIGS = [
    ("[nosuch]\nx = 1\n", "unknown section [nosuch]"),
    ("[cnn]\nmomentum = 0.9\n", "a non-empty list of momentum values"),
    ("[cnn]\nepochs = \"ten\"\n", "cnn.epochs"),
    ("[cnn]\nepochs = 0\n", "cnn.epochs"),
    ("[cnn]\nepochs = 2.5\n", "cnn.epochs"),
    ("[cnn]\nbatch_size = 0\n", "cnn.batch_size"),
    ("[cnn]\nlearning_rates = [0.0]\n", "cnn.learning_rates"),
    ("[cnn]\nlearning_rates = [-1e-3]\n", "cnn.learning_rates"),
    ("[cnn]\nlearning_rates = [inf]\n", "cnn.learning_rates"),
    ("[cnn]\nlearning_rates = [nan]\n", "cnn.learning_rates"),
    ("[cnn]\nlearning_rates = []\n", "cnn.learning_rates"),
    ("[cnn]\nlearning_rates = [0.01, 0.01]\n", "repeated"),
    ("[cnn]\noptimizers = []\n", "cnn.optimizers"),
    ("[cnn]\noptimizers = [\"adam\", \"adam\"]\n", "repeated"),
    ("[cnn]\nseeds = [0.5]\n", "cnn.seeds"),
    ("[cnn]\nseeds = [\"a\"]\n", "cnn.seeds"),
    ("[cnn]\nseeds = [1, 1]\n", "repeated"),
    ("[rnn]\ncells = [\"transformer\"]\n", "rnn.cells"),
    ("[rnn]\nhidden_sizes = [0]\n", "rnn.hidden_sizes"),
    ("[rnn]\nhidden_sizes = [64, 64]\n", "repeated"),
    ("[rnn]\nlearning_rates = [0]\n", "rnn.learning_rates"),
    ("[cnn]\nmomentum = [1.0]\n", "cnn.momentum"),
    ("[cnn]\noptimizers = [\"lbfgs\"]\n", "cnn.optimizers"),
    ("[rnn]\nbatch_size = -3\n", "rnn.batch_size"),
    ("[rnn]\ncurve_test_samples = 0\n", "rnn.curve_test_samples"),
    ("[cnn]\ncurve_test_samples = 100\n", "cnn.curve_test_samples"),
    ("[report]\ntitle = 3\n", "report.title"),
    ("[compare]\naccuracy_thresholds = [1.5]\n", "compare.accuracy_thresholds"),
    ("[visualize]\nfeature_maps_shown = 99\n", "visualize.feature_maps_shown"),
    ("[cnn\nepochs = 1\n", "not valid TOML"),
    ("cnn = 3\n", "[cnn] must be a table"),
]


@pytest.mark.parametrize("text, expected", BAD_CONFIGS)
def test_bad_config_names_the_problem(tmp_path, text, expected):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text))
    assert expected in str(error.value)
    assert error.value.exit_code == 2


def test_missing_and_unreadable_config_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "absent.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(binary)


def test_unknown_profile():
    with pytest.raises(ConfigError, match="unknown profile"):
        load_config(profile="huge")
