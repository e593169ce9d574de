"""The results store: every read and write under --output goes through this module.

Layout under the output folder:
  store/<section>/<key>.json  one record: {"record": {...}, "sha256": <of the record's JSON>}
  store/<section>/<key>.npz   that record's arrays (weights, snapshots, images), checksummed
  metrics.csv, report.html, report.pdf, figures/*.png   written by the renderer

A key is the SHA-256 of everything that determines a result, so results are never
overwritten by different ones: a stale result is simply one whose key is no longer planned.
Every file is written to a temporary name and renamed into place, so a killed process
leaves either the old file or the new one, never half of one.
"""
from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from experiments.files import atomic_file, file_sha256, temporary_beside
from ..errors import MkreportError



def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def make_key(*parts) -> str:
    return hashlib.sha256(canonical_json(list(parts)).encode()).hexdigest()[:24]


ADVICE = {errno.ENOSPC: "the disk is full; free some space and run the same command again",
          errno.EDQUOT: "the disk quota is used up; free some space and run the same command again",
          errno.EROFS: "the file system is read-only; choose another --output",
          errno.EACCES: "permission denied; choose another --output or fix its permissions",
          errno.EPERM: "permission denied; choose another --output or fix its permissions",
          errno.EFBIG: "the file is too large for this file system; choose another --output",
          errno.EISDIR: "a folder stands where this file should be; move it away",
          errno.ENOTDIR: "a file stands where a folder should be; move it away",
          errno.ENAMETOOLONG: "the path is too long; choose a shorter --output"}


class OutputError(MkreportError):
    """A file under --output that could not be written: one line naming it and what to do."""

    def __init__(self, path: Path, error: OSError):
        advice = ADVICE.get(error.errno, "check the folder and run the same command again")
        super().__init__(f"cannot write {path}: {error.strerror or error} — {advice}")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Written whole or not at all (experiments.files.atomic_file), fsynced, readable as the umask
    says so a group share or a web server can read the report. Any OSError becomes an OutputError
    naming the file."""
    try:
        with atomic_file(path, sync=True) as out:
            out.write(data)
    except OSError as error:
        raise OutputError(path, error) from None


def _regular(path: Path) -> bool:
    """A regular file, reached without following a link to anything else."""
    import stat

    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


class CorruptResult(MkreportError):
    """A stored file whose checksum does not match, or that cannot be parsed."""


@dataclass(frozen=True)
class Stored:
    """A record read back from the store, with where it lives."""

    key: str
    path: Path
    record: dict

    @property
    def state(self) -> str:
        return self.record["state"]


class Store:
    def __init__(self, output: Path):
        self.output = Path(output)
        self.root = self.output / "store"
        self._hashes: dict[tuple, str] = {}
        self._staged: list[tuple[Path, Path]] | None = None   # (temporary, place) inside output_set()

    # ------------------------------------------------------------ paths
    def record_path(self, section: str, key: str) -> Path:
        return self.root / section / f"{key}.json"

    def arrays_path(self, section: str, key: str) -> Path:
        return self.root / section / f"{key}.npz"

    # ------------------------------------------------------------ writing
    def save(self, section: str, key: str, record: dict, arrays: dict[str, np.ndarray] | None = None) -> Path:
        """Arrays first, then the record that names their checksum: the record is the commit point."""
        record = dict(record, key=key, section=section)
        if arrays:
            buffer = io.BytesIO()
            np.savez(buffer, **arrays)
            data = buffer.getvalue()
            atomic_write_bytes(self.arrays_path(section, key), data)
            record["arrays_sha256"] = hashlib.sha256(data).hexdigest()
            record["arrays_bytes"] = len(data)
        body = canonical_json(record)
        envelope = {"record": record, "sha256": hashlib.sha256(body.encode()).hexdigest()}
        path = self.record_path(section, key)
        atomic_write_bytes(path, (json.dumps(envelope, indent=1, allow_nan=False) + "\n").encode())
        return path

    def write_output(self, name: str, data: bytes | str) -> Path:
        """A generated file of the report (metrics.csv, report.html, a figure), written atomically; inside
        output_set(), staged and put in place with the rest of the set."""
        path = self.output / name
        data = data.encode() if isinstance(data, str) else data
        if self._staged is not None:
            try:
                self._staged.append((temporary_beside(path, data), path))
            except OSError as error:
                raise OutputError(path, error) from None
        else:
            atomic_write_bytes(path, data)
        return path

    @contextmanager
    def output_set(self):
        """The outputs written inside are one set: each is staged beside its place and all are renamed into
        place when the block ends without an error (a rename needs no space), so a failure part-way — a full
        disk while the PDF is written — leaves the previous report, claims.json and metrics.csv whole."""
        self._staged = []
        try:
            yield
            for temporary, path in self._staged:
                try:
                    os.replace(temporary, path)
                except OSError as error:
                    raise OutputError(path, error) from None
        finally:
            for temporary, _ in self._staged:
                if temporary.exists():
                    temporary.unlink()
            self._staged = None

    # ------------------------------------------------------------ reading
    def load(self, section: str, key: str) -> Stored | None:
        """The stored record, None if there is none; CorruptResult if it or its arrays fail their
        checksum. Only regular files are read: a FIFO or a link to a device is corrupt, not a hang."""
        path = self.record_path(section, key)
        if not path.exists() and not path.is_symlink():
            return None
        if not _regular(path):
            raise CorruptResult(f"{path}: not a regular file")
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise CorruptResult(f"{path}: cannot be read ({error})") from None
        try:
            envelope = json.loads(text)
            record = envelope["record"]
            expected = envelope["sha256"]
            actual = hashlib.sha256(canonical_json(record).encode()).hexdigest()
        except (ValueError, KeyError, TypeError) as error:
            raise CorruptResult(f"{path}: not a complete result ({error})") from None
        if actual != expected or record.get("key") != key:
            raise CorruptResult(f"{path}: checksum mismatch (edited or damaged)")
        if "arrays_sha256" in record:
            # the full checksum, not only the size: a flipped byte must make the run corrupt (and
            # retrained), not block every later analysis. Hashing is ~1 GB/s: a full grid's weights
            # cost `status` a fraction of a second.
            arrays = self.arrays_path(section, key)
            if not _regular(arrays) or arrays.stat().st_size != record["arrays_bytes"]:
                raise CorruptResult(f"{arrays}: missing or truncated")
            if self._arrays_sha256(arrays) != record["arrays_sha256"]:
                raise CorruptResult(f"{arrays}: checksum mismatch (edited or damaged)")
        return Stored(key, path, record)

    def load_arrays(self, stored: Stored) -> dict[str, np.ndarray]:
        """The record's arrays, checked against the checksum it names; {} for a record saved without any."""
        if "arrays_sha256" not in stored.record:
            return {}
        path = self.arrays_path(stored.record["section"], stored.key)
        if not _regular(path) or self._arrays_sha256(path) != stored.record.get("arrays_sha256"):
            raise CorruptResult(f"{path}: missing or checksum mismatch (edited or damaged)")
        try:
            with np.load(path, allow_pickle=False) as archive:
                return {name: archive[name] for name in archive.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
            raise CorruptResult(f"{path}: cannot be read ({error})") from None

    def _arrays_sha256(self, path: Path) -> str:
        """file_sha256, once per file version in this process: a build reads a run many times."""
        info = path.stat()
        version = (str(path), info.st_mtime_ns, info.st_size, info.st_ino)
        if version not in self._hashes:
            self._hashes[version] = file_sha256(path)
        return self._hashes[version]

    def records(self, section: str):
        """Every readable record of a section (corrupt ones skipped), for finding stale runs."""
        folder = self.root / section
        if not folder.is_dir():
            return
        for path in sorted(folder.glob("*.json")):
            try:
                stored = self.load(section, path.stem)
            except CorruptResult:
                continue
            if stored is not None:
                yield stored

    # ------------------------------------------------------------ one writer at a time
    def lock(self, timeout: float = 0):
        """Exclusive use of this output folder; a second mkreport is refused, not interleaved."""
        self.output.mkdir(parents=True, exist_ok=True)
        return _OutputLock(FileLock(str(self.output / ".mkreport.lock")), self.output, timeout)


class _OutputLock:
    def __init__(self, lock: FileLock, output: Path, timeout: float):
        self._lock, self._output, self._timeout = lock, output, timeout

    def __enter__(self):
        try:
            self._lock.acquire(timeout=self._timeout)
        except Timeout:
            raise MkreportError(f"another mkreport is using {self._output}; wait for it to finish "
                                "or use another --output") from None
        return self

    def __exit__(self, *exc):
        self._lock.release()

