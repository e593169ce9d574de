"""The appendix: where every number came from."""
from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from ..results.store import make_key

PACKAGES = ("mkreport-dl", "tensorflow", "keras", "numpy", "matplotlib", "jinja2", "weasyprint", "click", "pillow")


def package_versions() -> list[tuple[str, str]]:
    versions = []
    for name in PACKAGES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, "not installed"))
    return versions


def git_commit() -> str:
    """The commit of the source tree mkreport runs from, when that tree is a git checkout."""
    source = Path(__file__).resolve().parents[2]
    try:
        result = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown (git not available)"
    if result.returncode != 0:
        return "unknown (not a git checkout; installed package)"
    return result.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def source_origin(source: str) -> str:
    """A dataset's source as its file's name and where it came from — never the building machine's
    path (a student hands this PDF in)."""
    if source.startswith(("http://", "https://")):
        name = source.split("/")[-1].split(" ")[0]
        return f"{name}, the official download" + (f" {source[source.index('('):]}" if "(" in source else "")
    from experiments.data import cache_dir, keras_cache_dir

    path = Path(source)
    for folder, origin in ((cache_dir(), "mkreport's download cache"), (keras_cache_dir(), "Keras's dataset cache")):
        try:
            if path.resolve().is_relative_to(Path(folder).resolve()):
                return f"{path.name}, from {origin}"
        except OSError:
            pass
    return f"{path.name}, from a local data folder"


def _span(records: list[dict]) -> float | None:
    """Wall-clock seconds from the first run's start to the last run's end (the runs may have trained
    side by side, or in several builds)."""
    from datetime import datetime

    try:
        ends = [datetime.fromisoformat(r["created"]).timestamp() for r in records]
    except (KeyError, ValueError):
        return None
    starts = [end - r["wall_seconds"] for end, r in zip(ends, records)]
    return max(ends) - min(starts) if ends else None


KERNEL_NAMES = {"onednn": "oneDNN", "eigen": "Eigen"}   # the CPU kernels a run's TensorFlow used


def build(profile: str, section_records: dict[str, list[dict]], analysis_keys: dict[str, str],
          command_seconds: float | None = None) -> dict:
    """section_records: section → its current run records; analysis_keys: section → its analysis key;
    command_seconds: how long the command that writes this report had run when it wrote it."""

    datasets = {}
    for records in section_records.values():
        for record in records:
            datasets[record["dataset"]] = (record["data_checksum"], source_origin(record["data_source"]))
    sections = []
    for name, records in section_records.items():
        summed = sum(r["wall_seconds"] for r in records)
        span = _span(records)
        devices = sorted({r.get("device", "CPU") + (f" ({KERNEL_NAMES[r['cpu_kernels']]})" if r.get("cpu_kernels") else "")
                          for r in records})
        precisions = sorted({r["params"].get("precision", "float32") for r in records})
        sections.append({"name": name, "runs": len(records), "wall": f"{summed:.1f} s",
                         "span": f"{span:.1f} s" if span is not None else "n/a",
                         "key": make_key("section", sorted(r["key"] for r in records)),
                         "devices": ", ".join(devices), "precision": ", ".join(precisions)})
    for name, key in analysis_keys.items():
        sections.append({"name": name, "runs": 0, "wall": "n/a", "span": "n/a", "key": key, "devices": "CPU",
                         "precision": "float32"})
    from experiments.network import describe, input_shape, network_of

    networks = {}   # every LeNet5 the runs trained, with its input and the sections that trained it
    for name, records in section_records.items():
        for record in records:
            if record["params"]["model"] == "lenet5":
                side, _, channels = input_shape(record["params"])
                shape = f"{side}×{side} {'colour' if channels == 3 else 'grey'}"
                networks.setdefault((describe(network_of(record["params"])), shape), set()).add(name)
    trained_with = sorted({tuple(sorted(r["versions"].items())) for records in section_records.values()
                           for r in records if r.get("versions")})
    return {"versions": package_versions(), "commit": git_commit(), "cpu": cpu_name(),
            "command_seconds": f"{command_seconds:.0f} s" if command_seconds is not None else "n/a",
            "trained_with": [", ".join(f"{k} {v}" for k, v in versions) for versions in trained_with],
            "cores": os.cpu_count(), "python": platform.python_version(),
            "datasets": [{"name": n, "checksum": c, "source": s} for n, (c, s) in sorted(datasets.items())],
            "sections": sections, "profile": profile,
            "networks": [{"network": n, "input": shape, "sections": ", ".join(sorted(names))}
                         for (n, shape), names in sorted(networks.items())]}
