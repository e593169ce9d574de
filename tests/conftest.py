"""Shared fixtures: the real datasets, a private cache, and one smoke build reused by many tests."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("MKREPORT_DATA_DIR", REPO.parent / "shared" / "datasets")).resolve()
if os.environ.get("MKREPORT_DATA_DIR"):  # absolute, so a command run from another folder finds it too
    os.environ["MKREPORT_DATA_DIR"] = str(DATA_DIR)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """No test reads or writes the user's cache, nor another test's."""
    monkeypatch.setenv("MKREPORT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # not the user's Keras cache either
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")


NO_DATA = ("needs the real datasets: set MKREPORT_DATA_DIR to a folder holding CIFAR10.zip and mnist.npz "
           "(a build downloads them into ~/.cache/mkreport)")
_skipped_for_data: list[str] = []


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real datasets; without them, a test that needs them is skipped (a fresh clone has none).
    CI sets MKREPORT_REQUIRE_DATA=1, where a skip for missing data fails the run."""
    if not (DATA_DIR / "CIFAR10.zip").is_file() or not (DATA_DIR / "mnist.npz").is_file():
        pytest.skip(NO_DATA)
    return DATA_DIR


def pytest_runtest_logreport(report):
    if report.skipped and isinstance(report.longrepr, tuple) and NO_DATA in str(report.longrepr[2]):
        if report.nodeid not in _skipped_for_data:
            _skipped_for_data.append(report.nodeid)


def pytest_terminal_summary(terminalreporter):
    if _skipped_for_data:
        terminalreporter.write_line(f"{len(_skipped_for_data)} real-data tests skipped: {NO_DATA}")


def pytest_sessionfinish(session, exitstatus):
    if _skipped_for_data and os.environ.get("MKREPORT_REQUIRE_DATA") == "1":
        session.exitstatus = 1   # CI runs every real-data test; a skip there means the data went missing


def copy_build(smoke_build, tmp_path) -> Path:
    """A private copy of the shared smoke build's output folder, for a test that changes it."""
    import shutil

    target = tmp_path / "output"
    shutil.copytree(smoke_build["output"], target)
    return target


def run_cli(*args, env=None, cwd=None, check=False, base_env=None) -> subprocess.CompletedProcess:
    """mkreport as a user runs it: a separate process, so exit codes and stderr are real. base_env: the
    environment to start from (default: this process's)."""
    full_env = dict(os.environ if base_env is None else base_env, TF_CPP_MIN_LOG_LEVEL="3", **(env or {}))
    result = subprocess.run([sys.executable, "-m", "report", *map(str, args)], capture_output=True, text=True,
                            env=full_env, cwd=cwd or REPO)
    if check and result.returncode != 0:
        raise AssertionError(f"mkreport {' '.join(map(str, args))} exited {result.returncode}:\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def smoke_build(tmp_path_factory, data_dir):
    """One `mkreport all --profile smoke` on the real data, as a user runs it (TF_CPP_MIN_LOG_LEVEL unset);
    each line of its stderr is kept with the time it arrived. Tests that change the build copy it first."""
    output = tmp_path_factory.mktemp("smoke") / "output"
    cache = tmp_path_factory.mktemp("smoke-cache")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["MKREPORT_CACHE_DIR"] = str(cache)
    process = subprocess.Popen([sys.executable, "-m", "report", "all", "--profile", "smoke", "--output", str(output),
                                "--data-dir", str(data_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env, cwd=REPO)
    timed = [(time.monotonic(), line) for line in iter(process.stderr.readline, "")]
    stdout = process.stdout.read()
    process.wait()
    stderr = "".join(line for _, line in timed)
    if process.returncode != 0:
        raise AssertionError(f"the smoke build exited {process.returncode}:\n{stderr}")
    return {"output": output, "data_dir": data_dir, "cache": cache, "stdout": stdout, "stderr": stderr,
            "timed_stderr": timed}
