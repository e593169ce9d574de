"""What to do with GPUs: one worker per GPU, each pinned to its own, with memory growth on.

TensorFlow reserves all of a GPU's memory in every process that touches it, so one worker per core
on a GPU machine would leave all but one worker without memory. The GPUs are listed without
importing TensorFlow (nvidia-smi, honouring CUDA_VISIBLE_DEVICES), and each worker is given one
through CUDA_VISIBLE_DEVICES before it imports TensorFlow. Tested with faked device lists; no GPU
was available where this was written.
"""
from __future__ import annotations

import os
import shutil
import subprocess


def visible_gpus() -> list[str]:
    """The GPU indexes this machine offers, as CUDA_VISIBLE_DEVICES names them."""
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [g.strip() for g in listed.split(",") if g.strip() and g.strip() != "-1"]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        result = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in result.stdout.splitlines() if line.strip().isdigit()] if result.returncode == 0 else []


def worker_count(jobs: int | None, cores: int, gpus: list[str], runs: int) -> int:
    """--jobs wins; else one worker per GPU where there are GPUs, else one per core; never more than runs."""
    wanted = jobs or (len(gpus) if gpus else cores)
    return max(1, min(wanted, runs))


def worker_gpu(index: int, gpus: list[str]) -> str | None:
    """The GPU worker `index` is pinned to (round robin when --jobs asks for more workers than GPUs)."""
    return gpus[index % len(gpus)] if gpus else None


def pin(gpu: str | None) -> None:
    """In a worker, before TensorFlow is imported: see only this GPU (or none)."""
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu


def memory_growth() -> None:
    """Let TensorFlow take GPU memory as it needs it, so that several processes can share a GPU.
    On a machine without GPUs this returns at once, without touching TensorFlow."""
    if not visible_gpus():
        return
    import tensorflow as tf

    for device in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(device, True)
        except RuntimeError:  # the runtime already started: the setting cannot change any more
            pass
