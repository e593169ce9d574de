"""Nothing changed → nothing done: a fingerprint of everything a report is made from.

A build records, beside its settings, the stat (size, modification time) of every file it was
made from — mkreport's own code and templates, the data files, every stored result, the notes and
the user's templates — and the resolved config. When a later `mkreport all` or `render` finds the
same fingerprint and both reports in place, it says so and stops: no TensorFlow, no matplotlib,
no re-written PDF. Any change falls through to the normal build, which verifies every checksum.
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict
from pathlib import Path

DATA_NAMES = ("CIFAR10.zip", "CIFAR10", "mnist.npz", "cifar-10-python.tar.gz")


def _stats(folder: Path | None, pattern: str = "**/*") -> list:
    if folder is None or not Path(folder).is_dir():
        return []
    return sorted([str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns]
                  for p in Path(folder).glob(pattern) if p.is_file())


@functools.lru_cache(maxsize=1)
def code_hash() -> str:
    """The content of mkreport's own code, templates and defaults (a changed line re-renders)."""
    import experiments
    import templates

    digest = hashlib.sha256()
    for package in (Path(__file__).parent, Path(experiments.__file__).parent, Path(templates.__file__).parent):
        for path in sorted(package.rglob("*")):
            if path.suffix in (".py", ".html", ".css", ".toml") and path.is_file():
                digest.update(str(path.relative_to(package.parent)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def fingerprint(ws) -> dict:
    from experiments.data import search_dirs

    from . import __version__
    from .notes import notes_folder

    data = []
    for folder in search_dirs(ws.data_dir):
        for name in DATA_NAMES:
            path = Path(folder) / name
            if path.exists():
                data.append([str(path), _stats(path) if path.is_dir() else _stat(path)])
    templates = ws.settings.templates or ws.config["report"]["templates_dir"] or None
    return {"version": __version__, "code": code_hash(), "settings": {**asdict(ws.settings), "sets": list(ws.settings.sets)},
            "config": json.dumps(ws.config, sort_keys=True, default=str), "data": data,
            "store": _stats(ws.store.root), "notes": _stats(notes_folder(ws.settings, ws.config), "*.md"),
            "templates": _stats(Path(templates) if templates else None),
            "tensorboard": _stats(ws.store.output / "tensorboard", "**/mkreport-key"),
            "reports": [_stat(ws.store.output / name) for name in ("report.html", "report.pdf")]}


def _stat(path: Path) -> list | None:
    return [path.stat().st_size, path.stat().st_mtime_ns] if path.is_file() else None


def is_up_to_date(ws, recorded: dict | None) -> bool:
    if not recorded or "fingerprint" not in recorded:
        return False
    try:
        return fingerprint(ws) == recorded["fingerprint"]
    except OSError:
        return False
