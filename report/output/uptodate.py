"""Nothing changed → nothing done: a fingerprint of everything a report is made from.

A build records, beside its settings, the content (SHA-256) of every file it was made from and
of every file it wrote — mkreport's own code and templates, the data files, every stored result,
the notes and the user's templates, report.html/.pdf, claims.json, metrics.csv, tables/, figures/,
TensorBoard's keys — the resolved config, and the versions of the libraries that train, draw and
render. When a later `mkreport all` or `render` finds the same fingerprint, it says so and stops:
no TensorFlow, no matplotlib, no re-written PDF. Any change, or a missing output, falls through to
the normal build, which verifies every checksum.

Hashing is by content, so a damaged file with its old size and time is caught, and a copied output
folder is still up to date. Each file's hash is kept in output/.mkreport-hashes.json beside its
(size, mtime, ctime, inode): a file whose stat is unchanged is not read again, and no tool resets
ctime, so a same-size, same-mtime edit is read again.
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict
from pathlib import Path

HASH_CACHE = ".mkreport-hashes.json"
# what draws, renders and trains: an upgrade of any of them is a reason to build again
LIBRARIES = ("tensorflow", "keras", "numpy", "scipy", "matplotlib", "jinja2", "weasyprint", "markdown-it-py",
             "tensorboard", "pillow", "pypdf")
OUTPUTS = ("report.html", "report.pdf", "report.md", "claims.json", "metrics.csv")
OUTPUT_FOLDERS = ("tables", "figures")
DATA_NAMES = ("CIFAR10.zip", "CIFAR10", "mnist.npz", "cifar-10-python.tar.gz", "cifar-10-batches-py.tar.gz",
              "cifar-10-batches-py")


class _Hashes:
    """SHA-256 of files, reusing the last hash of a file whose stat has not changed."""

    def __init__(self, cache_path: Path):
        self.path = cache_path
        try:
            self.known = json.loads(cache_path.read_text(encoding="utf-8"))
            assert isinstance(self.known, dict)
        except (OSError, ValueError, AssertionError):
            self.known = {}
        self.used = {}

    def of(self, path: Path) -> str | None:
        from experiments.files import file_sha256

        try:
            stat = path.stat()
        except OSError:
            return None
        key = str(path.resolve())
        signature = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
        entry = self.known.get(key)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == signature:
            digest = entry[1]
        else:
            digest = file_sha256(path)
        self.used[key] = [signature, digest]
        return digest

    def folder(self, folder: Path | None, pattern: str = "**/*") -> list:
        if folder is None or not Path(folder).is_dir():
            return []
        return sorted([str(p.relative_to(folder)), self.of(p)] for p in Path(folder).glob(pattern) if p.is_file())

    def save(self) -> None:
        from experiments.files import atomic_file

        try:
            with atomic_file(self.path) as out:
                out.write(json.dumps(self.used).encode())
        except OSError:
            pass  # the cache only saves time


def library_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@functools.lru_cache(maxsize=1)
def code_hash() -> str:
    """The content of mkreport's own code, templates and defaults (a changed line re-renders)."""
    import experiments
    import templates

    digest = hashlib.sha256()
    for package in (Path(__file__).parents[1], Path(experiments.__file__).parent, Path(templates.__file__).parent):
        for path in sorted(package.rglob("*")):
            if path.suffix in (".py", ".html", ".css", ".toml") and path.is_file():
                digest.update(str(path.relative_to(package.parent)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def words(ws, hashes: _Hashes | None = None) -> dict:
    """The notes and the user's templates, as read now (a build takes them before it renders, so an
    edit made while the PDF is written is not recorded as rendered)."""
    from .notes import notes_folder
    from .render import templates_folder

    hashes = hashes or _Hashes(ws.store.output / HASH_CACHE)
    return {"notes": hashes.folder(notes_folder(ws.settings, ws.config), "*.md"),
            "templates": hashes.folder(templates_folder(ws.settings, ws.config)),
            "claims": hashes.of(Path(ws.claims.path)) if ws.claims else None}


def fingerprint(ws, words_read: dict | None = None) -> dict:
    """Everything the report in ws.store.output is made from and consists of. words_read: the notes
    and templates as the build read them (default: as they are now)."""
    from experiments.data import search_dirs

    from .. import __version__

    output = ws.store.output
    hashes = _Hashes(output / HASH_CACHE)
    data = []
    for folder in search_dirs(ws.data_dir):
        for name in DATA_NAMES:
            path = Path(folder) / name
            if path.exists():
                data.append([str(path), hashes.folder(path) if path.is_dir() else hashes.of(path)])
    own = [[str(section.source), hashes.of(section.source), hashes.folder(section.templates)]
           for section in ws.sections if section.source]   # a user's section: its module builds its runs
    result = {"version": __version__, "code": code_hash(), "own_sections": own, "libraries": library_versions(),
              "settings": {**asdict(ws.settings), "sets": list(ws.settings.sets)},
              "config": json.dumps(ws.config, sort_keys=True, default=str), "data": data,
              "store": hashes.folder(ws.store.root),
              **(words_read if words_read is not None else words(ws, hashes)),
              "tensorboard": hashes.folder(output / "tensorboard", "**/mkreport-key"),
              "outputs": [[name, hashes.of(output / name)] for name in OUTPUTS]
              + [[name, hashes.folder(output / name)] for name in OUTPUT_FOLDERS]}
    hashes.save()
    return result


def is_up_to_date(ws, recorded: dict | None) -> bool:
    if not recorded or "fingerprint" not in recorded:
        return False
    try:
        return fingerprint(ws) == recorded["fingerprint"]
    except OSError:
        return False
