"""Files written and read safely: SHA-256 of a file, and a write that is whole or absent.

The data loaders check archives with file_sha256 and write downloads and the decoded cache with
atomic_file; the results store (report.results.store) writes every output through it too.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _open_beside(path: Path) -> tuple[int, str]:
    """A new temporary file beside `path` (its folder made), readable as the umask says: (handle, its path)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(handle, 0o666 & ~_umask())
    return handle, temporary


def temporary_beside(path: Path, data: bytes) -> Path:
    """data in a temporary file beside `path`, to be renamed onto it later (Store.output_set)."""
    handle, temporary = _open_beside(Path(path))
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
    except BaseException:
        os.unlink(temporary)
        raise
    return Path(temporary)


@contextmanager
def atomic_file(path: Path, sync: bool = False):
    """A binary stream to a temporary file beside `path`, renamed into place when the block ends
    without an error: a killed process leaves the old file or the new one, never half of one.
    The file is readable as the umask says (0644 under 022), not owner-only as mkstemp makes it;
    no temporary file is left behind. sync: fsync before the rename (results that must survive
    a power cut)."""
    path = Path(path)
    handle, temporary = _open_beside(path)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            if sync:
                out.flush()
                os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
