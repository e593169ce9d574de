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


def build(profile: str, section_records: dict[str, list[dict]], analysis_keys: dict[str, str]) -> dict:
    """section_records: section → its current run records; analysis_keys: section → its analysis key."""

    datasets = {}
    for records in section_records.values():
        for record in records:
            datasets[record["dataset"]] = (record["data_checksum"], record["data_source"])
    sections = []
    for name, records in section_records.items():
        wall = sum(r["wall_seconds"] for r in records)
        devices = sorted({r.get("device", "CPU") for r in records})
        precisions = sorted({r["params"].get("precision", "float32") for r in records})
        sections.append({"name": name, "runs": len(records), "wall": f"{wall:.1f} s",
                         "key": make_key("section", sorted(r["key"] for r in records)),
                         "devices": ", ".join(devices), "precision": ", ".join(precisions)})
    for name, key in analysis_keys.items():
        sections.append({"name": name, "runs": 0, "wall": "n/a", "key": key, "devices": "CPU", "precision": "float32"})
    return {"versions": package_versions(), "commit": git_commit(), "cpu": cpu_name(),
            "cores": os.cpu_count(), "python": platform.python_version(),
            "datasets": [{"name": n, "checksum": c, "source": s} for n, (c, s) in sorted(datasets.items())],
            "sections": sections, "profile": profile}
