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

import hashlib
import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from experiments.checksums import file_sha256
from .errors import MkreportError

# A result's state. done and diverged are finished results; failed is retried by the next run.
DONE, DIVERGED, FAILED = "done", "diverged", "failed"
FINISHED = (DONE, DIVERGED)


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def make_key(*parts) -> str:
    return hashlib.sha256(canonical_json(list(parts)).encode()).hexdigest()[:24]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


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
        """A generated file of the report (metrics.csv, report.html, a figure), written atomically."""
        path = self.output / name
        atomic_write_bytes(path, data.encode() if isinstance(data, str) else data)
        return path

    # ------------------------------------------------------------ reading
    def load(self, section: str, key: str) -> Stored | None:
        """The stored record, None if there is none; CorruptResult if it fails its checksum."""
        path = self.record_path(section, key)
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
            # The size is checked here, the full checksum when the arrays are read (load_arrays):
            # status and warm runs then never hash hundreds of megabytes of weights.
            arrays = self.arrays_path(section, key)
            if not arrays.is_file() or arrays.stat().st_size != record["arrays_bytes"]:
                raise CorruptResult(f"{arrays}: missing or truncated")
        return Stored(key, path, record)

    def load_arrays(self, stored: Stored) -> dict[str, np.ndarray]:
        path = self.arrays_path(stored.record["section"], stored.key)
        if not path.is_file() or file_sha256(path) != stored.record.get("arrays_sha256"):
            raise CorruptResult(f"{path}: missing or checksum mismatch (edited or damaged)")
        try:
            with np.load(path, allow_pickle=False) as archive:
                return {name: archive[name] for name in archive.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
            raise CorruptResult(f"{path}: cannot be read ({error})") from None

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

