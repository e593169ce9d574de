"""Exit codes and messages of the command line, for input that is wrong before any training."""
import pytest

from tests.conftest import run_cli

COMMANDS = ["all", "cnn", "visualize", "deconvnet", "rnn", "compare", "render", "check", "status"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0 and "--output" in result.stdout and "--profile" in result.stdout


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and "mkreport, version" in result.stdout


@pytest.mark.parametrize("args, expected", [
    (["all", "--profile", "huge"], "'huge' is not one of"),
    (["nosuch"], "no such command or section 'nosuch'"),
    (["all", "--frobnicate"], "No such option"),
])
def test_bad_usage_exits_2(args, expected):
    result = run_cli(*args)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr


def test_bad_config_exits_2_and_writes_nothing(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[cnn]\nlearning_rates = [-0.1]\n")
    result = run_cli("all", "--config", config, "--output", tmp_path / "out")
    assert result.returncode == 2
    assert "cnn.learning_rates" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_missing_config_file_exits_2(tmp_path):
    result = run_cli("status", "--config", tmp_path / "absent.toml")
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_output_that_is_a_file_exits_2(tmp_path):
    (tmp_path / "file").write_text("x")
    result = run_cli("all", "--output", tmp_path / "file")
    assert result.returncode == 2 and "is a file" in result.stderr


def test_unwritable_output_exits_2(tmp_path):
    # /proc refuses new folders even to root, so this holds whoever runs the tests
    result = run_cli("all", "--output", "/proc/mkreport-output")
    assert result.returncode == 2 and "not writable" in result.stderr


def test_missing_data_exits_1_with_one_line(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("all", "--profile", "smoke", "--data-dir", empty, "--output", tmp_path / "out",
                     env={"MKREPORT_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "CIFAR10.zip" in lines[0] and "Traceback" not in result.stderr
