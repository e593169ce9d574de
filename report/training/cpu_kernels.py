"""Which CPU kernels a build's runs use: `[report] cpu_kernels`, or ("auto") the faster on this machine.

"auto" measures LeNet5 once per machine (each kernel set in a fresh process, ≈ 30 s; cached beside the
speed measurements, per CPU and TensorFlow version) and takes the other kernels than TensorFlow's own
choice only where they train at least FASTER times as fast: on an AVX2-only CPU oneDNN (1.5–1.8×),
on an AVX-512 one TensorFlow's own choice already is oneDNN. The smoke profile does not measure (its
runs take seconds). The choice is a run parameter (`cpu_kernels`) only where it differs from
TensorFlow's own, so runs trained as before keep their keys; experiments/kernels.py applies it.
"""
from __future__ import annotations

import json
from pathlib import Path

from experiments.kernels import KERNELS, measure_both

FASTER = 1.10
NAMES = {"onednn": "oneDNN", "eigen": "Eigen"}


def _cache_path():
    """Per machine (as plan.py's speed cache) and TensorFlow version."""
    import os
    import platform
    from importlib import metadata

    from experiments.data import cache_dir

    from ..results.store import make_key

    try:
        version = metadata.version("tensorflow")
    except metadata.PackageNotFoundError:
        version = "?"
    key = make_key("kernels", platform.processor(), platform.machine(), os.cpu_count(), version)
    return cache_dir() / "speed" / f"cpu-kernels-{key[:16]}.json"


def measured(measure: bool = False, say=None) -> dict | None:
    """{"default": …, "onednn": samples/s, "eigen": samples/s} for this machine, cached; measured now
    only where `measure`."""
    path = _cache_path()
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    if not measure:
        return None
    if say:
        say("measuring which CPU kernels train LeNet5 faster on this machine (once, ≈30 s)…")
    found = measure_both()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(found))
    except OSError:
        pass   # an unwritable cache measures again next time; the choice is the same
    return found


def pick(found: dict) -> str | None:
    """The other kernels than TensorFlow's own where they are FASTER times as fast; else None."""
    default = found.get("default")
    other = "eigen" if default == "onednn" else "onednn"
    if found.get(other) and found.get(default) and found[other] >= FASTER * found[default]:
        return other
    return None


RECORD = "cpu-kernels.json"   # in the output folder: what "auto" chose there, kept for its later commands


def choose(config: dict, measure: bool = False, say=None, output=None, keep: bool = True) -> str | None:
    """The kernels this build's runs ask for; None: TensorFlow's own choice (no parameter). "auto" keeps
    what it chose for an output folder (so a re-measurement within noise never makes its runs stale, and a
    command that does not measure finds them); `measure` (and `keep`): a training command, which records it."""
    setting = config["report"]["cpu_kernels"]
    if setting in KERNELS:
        return setting
    if setting == "default" or config["profile"] == "smoke":
        return None
    record = Path(output) / RECORD if output is not None else None
    try:
        return json.loads(record.read_text())["kernels"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    found = measured(measure, say)
    kernels = pick(found) if found else None
    if measure and keep and record is not None and found:
        try:
            record.parent.mkdir(parents=True, exist_ok=True)
            record.write_text(json.dumps({"kernels": kernels, "measured": found}) + "\n")
        except OSError:
            pass
    return kernels if kernels in KERNELS else None


def describe(config: dict, kernels: str | None) -> str:
    """One line for `mkreport plan`: the kernels and why."""
    setting = config["report"]["cpu_kernels"]
    if setting in KERNELS:
        return f"CPU kernels: {NAMES[kernels]} ([report] cpu_kernels)"
    found = measured()
    if setting == "default" or not found:
        return "CPU kernels: TensorFlow's own choice" + (" (the smoke profile does not measure)"
                                                           if setting == "auto" and config["profile"] == "smoke" else "")
    speeds = ", ".join(f"{NAMES[k]} {found[k]:.0f}" for k in KERNELS if found.get(k))
    chosen = NAMES.get(kernels or found.get("default"), "TensorFlow's own choice")
    return (f"CPU kernels: {chosen} (measured on this machine, LeNet5 samples/s: {speeds}; "
            f"TensorFlow's own choice here: {NAMES.get(found.get('default'), 'not known')})")
