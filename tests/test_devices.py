"""The GPU decision, on faked device lists (no GPU where these tests run)."""
import pytest

from report.training import devices
from report.training.execute import Executor


@pytest.mark.parametrize("jobs, cores, gpus, runs, expected", [
    (None, 2, [], 20, 2),            # no GPU: one worker per core
    (None, 16, ["0"], 20, 1),        # one GPU: one worker, whatever the cores
    (None, 16, ["0", "1", "2"], 20, 3),
    (None, 16, ["0", "1"], 1, 1),    # never more workers than runs
    (4, 16, ["0"], 20, 4),           # --jobs wins
])
def test_worker_count(jobs, cores, gpus, runs, expected):
    assert devices.worker_count(jobs, cores, gpus, runs) == expected


def test_each_worker_is_pinned_to_a_gpu_round_robin():
    assert [devices.worker_gpu(i, ["0", "1"]) for i in range(3)] == ["0", "1", "0"]
    assert devices.worker_gpu(0, []) is None


def test_visible_gpus_honour_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert devices.visible_gpus() == ["2", "3"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert devices.visible_gpus() == []
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert devices.visible_gpus() == []


def test_pin_sets_the_one_gpu_a_worker_sees(monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    devices.pin("1")
    import os

    assert os.environ["CUDA_VISIBLE_DEVICES"] == "1"


def test_the_executor_uses_the_gpu_decision():
    assert Executor(gpus=("0",)).workers(10) == 1 and Executor(gpus=()).workers(10) >= 1
    assert Executor(jobs=3, gpus=("0",)).workers(10) == 3


def test_without_gpus_memory_growth_does_not_touch_tensorflow(monkeypatch):
    import sys

    monkeypatch.setattr(devices, "visible_gpus", lambda: [])
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # an import would fail
    devices.memory_growth()
