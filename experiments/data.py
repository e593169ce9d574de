"""Find, download, decode and cache the two datasets; nothing here knows about Keras.

A dataset is 28×28 uint8 images and int labels 0–9. Its ``checksum`` is the SHA-256 of the
decoded arrays, so the zip, the folder tree and the converted official archive of the same
images give the same checksum (and the same results-store keys).
"""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .files import atomic_file, file_sha256
from .errors import DataError

NUM_CLASSES = 10
IMAGE_SIDE = 28
RGB_SIDE = 32      # the official CIFAR-10 images, kept in colour for [data] cifar10 = "rgb"
MIN_SPLIT = 1  # an empty split cannot train or test anything (an empty training split would loop forever)
CIFAR_TRAIN_PER_CLASS = 1000
CIFAR_TEST_PER_CLASS = 100
CIFAR_CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer",
                     "dog", "frog", "horse", "ship", "truck")


@dataclass(frozen=True)
class Download:
    """An official file, checked against its published SHA-256 after download."""

    url: str
    sha256: str
    filename: str


# The same mirrors and hashes keras.datasets uses.
DOWNLOADS = {
    "mnist": Download("https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
                      "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1", "mnist.npz"),
    "cifar10": Download("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                        "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                        "cifar-10-python.tar.gz"),
}


@dataclass(frozen=True)
class Dataset:
    name: str
    x_train: np.ndarray  # (N, 28, 28) uint8, or (N, 32, 32, 3) for colour CIFAR10
    y_train: np.ndarray  # (N,) int64
    x_test: np.ndarray
    y_test: np.ndarray
    checksum: str        # SHA-256 of the decoded arrays
    source: str          # where the images came from, for the provenance appendix


def cache_dir() -> Path:
    """Where downloads and decoded copies live: $MKREPORT_CACHE_DIR, else the XDG user cache."""
    if os.environ.get("MKREPORT_CACHE_DIR"):
        return Path(os.environ["MKREPORT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mkreport"


def keras_cache_dir() -> Path:
    """Where keras.datasets keeps its downloads: $KERAS_HOME/datasets, else ~/.keras/datasets."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "datasets"


def search_dirs(data_dir: Path | None) -> list[Path]:
    """--data-dir (or $MKREPORT_DATA_DIR, which click maps onto it), then the mkreport cache, then
    the Keras cache: a place to look (users of Keras often have the files), never to download to."""
    dirs = [Path(data_dir)] if data_dir else []
    return dirs + [cache_dir(), keras_cache_dir()]


# The official CIFAR-10 archive under the names it has in a data folder and in Keras's cache.
OFFICIAL_CIFAR_NAMES = ("cifar-10-python.tar.gz", "cifar-10-batches-py.tar.gz")


def arrays_checksum(*arrays: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(str(array.dtype).encode() + str(array.shape).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _checked_labels(labels: np.ndarray, where: str) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{where}: labels must be a 1-D array of integers")
    if labels.size and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise DataError(f"{where}: labels out of range (found {labels.min()}…{labels.max()}, expected 0–9)")
    return labels.astype(np.int64)


def _checked_images(images: np.ndarray, where: str) -> np.ndarray:
    if images.dtype != np.uint8 or images.shape[1:] not in ((IMAGE_SIDE, IMAGE_SIDE), (RGB_SIDE, RGB_SIDE, 3)):
        raise DataError(f"{where}: images must be uint8 of shape (N, 28, 28) or (N, 32, 32, 3), found "
                        f"{images.dtype} {images.shape}")
    return images


def _checked_own_inputs(inputs: np.ndarray, where: str) -> np.ndarray:
    """A user's inputs: uint8 images (scaled by mkreport) or numbers of any shape (passed as they are)."""
    if inputs.dtype == np.uint8:
        if inputs.ndim not in (3, 4):
            raise DataError(f"{where}: uint8 images must be of shape (N, H, W) or (N, H, W, C), found {inputs.shape}")
        return inputs
    if inputs.ndim < 2 or not (np.issubdtype(inputs.dtype, np.floating) or np.issubdtype(inputs.dtype, np.integer)):
        raise DataError(f"{where}: inputs must be uint8 images or numbers of shape (N, …), found "
                        f"{inputs.dtype} {inputs.shape}")
    if not np.all(np.isfinite(inputs)):
        raise DataError(f"{where}: the inputs hold a value that is not a finite number (NaN or infinite)")
    return inputs


def _checked_own_targets(targets: np.ndarray, where: str) -> np.ndarray:
    """A user's labels or targets: numbers, one row per input (the run's task checks the rest)."""
    if targets.ndim < 1 or not (np.issubdtype(targets.dtype, np.number) or targets.dtype == bool):
        raise DataError(f"{where}: labels must be an array of numbers, one per input, found "
                        f"{targets.dtype} {targets.shape}")
    return targets.astype(np.int64) if targets.dtype == bool else targets


def _make(name, x_train, y_train, x_test, y_test, source, any_shape: bool = False) -> Dataset:
    """any_shape: a user's loader, for a task of its own (experiments/tasks.py checks its labels against
    the run's task): uint8 images of any side and channel count, or numeric features of any shape."""
    if any_shape:
        x_train, x_test = (_checked_own_inputs(x, f"{source} ({split})") for x, split in
                           ((x_train, "train"), (x_test, "test")))
        y_train, y_test = (_checked_own_targets(y, f"{source} ({split})") for y, split in
                           ((y_train, "train"), (y_test, "test")))
    else:
        x_train = _checked_images(x_train, f"{source} (train)")
        x_test = _checked_images(x_test, f"{source} (test)")
        y_train = _checked_labels(y_train, f"{source} (train)")
        y_test = _checked_labels(y_test, f"{source} (test)")
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise DataError(f"{source}: number of images and labels differ")
    for split, images, labels in (("train", x_train, y_train), ("test", x_test, y_test)):
        if len(images) < MIN_SPLIT:
            raise DataError(f"{source}: the {split} split has {len(images)} image(s); it must not be empty")
        if any_shape:
            continue
        absent = sorted(set(range(NUM_CLASSES)) - set(np.unique(labels).tolist()))
        if absent:  # the report's chance level and per-class figures assume all ten classes
            raise DataError(f"{source}: the {split} split has no image of class {', '.join(map(str, absent))}; "
                            f"all {NUM_CLASSES} classes are needed")
    return Dataset(name, x_train, y_train, x_test, y_test,
                   arrays_checksum(x_train, y_train, x_test, y_test), source)


# ---------------------------------------------------------------- MNIST

def read_mnist_npz(path: Path) -> Dataset:
    """The mnist.npz that keras.datasets.mnist caches; read without pickle."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = {"x_train", "y_train", "x_test", "y_test"} - set(archive.files)
            if missing:
                raise DataError(f"{path}: not an MNIST archive (missing {', '.join(sorted(missing))})")
            arrays = [archive[key] for key in ("x_train", "y_train", "x_test", "y_test")]
    except DataError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"{path}: corrupt or truncated MNIST archive ({error})") from None
    return _make("mnist", *arrays, source=str(path))


# ---------------------------------------------------------------- the course's CIFAR10 subset

def _decode_png(data: bytes, where: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.mode != "L" or image.size != (IMAGE_SIDE, IMAGE_SIDE):
                raise DataError(f"{where}: expected a 28×28 8-bit grayscale PNG, found mode "
                                f"{image.mode} size {image.size[0]}×{image.size[1]}")
            return np.asarray(image, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise DataError(f"{where}: not a readable PNG ({error})") from None


def _split_entries(names: list[str], where: str) -> dict[str, list[tuple[int, str]]]:
    """Group 'CIFAR10/<Split>/<class>/Image<n>.png' names by split, as (class, name), sorted."""
    splits: dict[str, list[tuple[int, str]]] = {"Train": [], "Test": []}
    for name in names:
        parts = name.replace("\\", "/").split("/")
        if name.startswith("/") or ".." in parts or (len(parts) > 0 and ":" in parts[0]):
            raise DataError(f"{where}: entry {name!r} leaves its folder; refusing the archive")
        if not name.lower().endswith(".png"):
            continue
        if len(parts) < 4 or parts[-3] not in splits:
            continue
        label_text = parts[-2]
        if not label_text.isdigit() or not 0 <= int(label_text) < NUM_CLASSES:
            raise DataError(f"{where}: {name}: class folder {label_text!r} is not a label 0–9")
        splits[parts[-3]].append((int(label_text), name))
    for split, entries in splits.items():
        if not entries:
            raise DataError(f"{where}: no images under CIFAR10/{split}/<class>/")
        entries.sort()
    return splits


def _decode_splits(splits, read_bytes, where) -> list[np.ndarray]:
    arrays = []
    for split in ("Train", "Test"):
        entries = splits[split]
        images = np.stack([_decode_png(read_bytes(name), f"{where}: {name}") for _, name in entries])
        arrays += [images, np.array([label for label, _ in entries], dtype=np.int64)]
    return arrays


def read_cifar_zip(path: Path) -> Dataset:
    try:
        with zipfile.ZipFile(path) as archive:
            splits = _split_entries(archive.namelist(), str(path))
            arrays = _decode_splits(splits, archive.read, str(path))
    except DataError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as error:
        raise DataError(f"{path}: corrupt or truncated zip ({error})") from None
    return _make("cifar10", *arrays, source=str(path))


def read_cifar_folder(path: Path) -> Dataset:
    root = Path(path)
    names = [p.relative_to(root.parent).as_posix() for p in root.rglob("*.png")]
    splits = _split_entries(names, str(root))
    arrays = _decode_splits(splits, lambda name: (root.parent / name).read_bytes(), str(root))
    return _make("cifar10", *arrays, source=str(root))


def _to_course_image(row: np.ndarray) -> np.ndarray:
    """One official CIFAR-10 row (3072 bytes, R,G,B planes of 32×32) → 28×28 grayscale."""
    from PIL import Image

    gray = Image.fromarray(_to_rgb_image(row), "RGB").convert("L")  # ITU-R 601-2 luma
    return np.asarray(gray.resize((IMAGE_SIDE, IMAGE_SIDE), Image.BILINEAR), dtype=np.uint8)


def _to_rgb_image(row: np.ndarray) -> np.ndarray:
    """One official CIFAR-10 row → (32, 32, 3) uint8, as it is."""
    return row.reshape(3, RGB_SIDE, RGB_SIDE).transpose(1, 2, 0)


def _first_per_class(batches, per_class: int | None, convert) -> tuple[np.ndarray, np.ndarray]:
    """The first per_class images of each class (None: every image), class by class."""
    chosen_rows, chosen_labels, counts = [], [], [0] * NUM_CLASSES
    for data, labels in batches:
        for row, label in zip(data, labels):
            if per_class is None or counts[label] < per_class:
                counts[label] += 1
                chosen_rows.append(row)
                chosen_labels.append(label)
    order = np.argsort(chosen_labels, kind="stable")  # class by class, like the course's folders
    images = np.stack([convert(chosen_rows[i]) for i in order])
    return images, np.asarray(chosen_labels, dtype=np.int64)[order]


BATCH_ROWS = 10_000    # every official batch holds 10,000 images


class _CheckedArray(np.ndarray):
    """What a batch's pickle rebuilds its array as: its state is checked before NumPy allocates it — a shape
    of at most one batch's bytes, and those bytes all in the file (an array pickled without its data would
    otherwise be uninitialised memory, and a forged shape a MemoryError)."""

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) != 5:
            raise pickle.UnpicklingError("an array in an unknown pickle layout")
        _version, shape, dtype, _fortran, raw = state
        if not isinstance(shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape):
            raise pickle.UnpicklingError(f"an array of shape {shape!r}")
        items = int(np.prod(shape, dtype=object))
        size = items * np.dtype(dtype).itemsize
        if size > BATCH_ROWS * 3 * RGB_SIDE * RGB_SIDE:
            raise pickle.UnpicklingError(f"an array of shape {shape} ({size:,} bytes), more than a batch holds")
        if not isinstance(raw, (bytes, bytearray)) or len(raw) != size:
            raise pickle.UnpicklingError(f"an array of shape {shape} whose {size:,} bytes are not in the file")
        super().__setstate__(state)


class _ArraysOnly(pickle.Unpickler):
    """The official batches are pickled dicts of bytes, lists and one NumPy array. Only what that
    needs may be loaded: a pickle naming anything else (a function to call) is refused, so an
    extracted batches folder, whose files no published hash covers, is read safely."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing {module}.{name}: a CIFAR-10 batch holds only arrays")
        if (module, name) == ("numpy", "ndarray"):
            return _CheckedArray
        return super().find_class(module, name)


def _read_batch(stream, where: str) -> tuple[np.ndarray, np.ndarray]:
    entry = _ArraysOnly(stream, encoding="bytes").load()
    if not isinstance(entry, dict) or b"data" not in entry or b"labels" not in entry:
        raise DataError(f"{where}: not a CIFAR-10 batch (no data and labels)")
    data = np.array(entry[b"data"], dtype=np.uint8)    # a plain array, copied out of the checked one
    if data.ndim != 2 or data.shape[1] != 3 * RGB_SIDE * RGB_SIDE:
        raise DataError(f"{where}: rows of {data.shape[1:]} bytes, expected 3072 (32×32 RGB)")
    labels = entry[b"labels"]
    if not isinstance(labels, list) or not all(isinstance(label, int) for label in labels):
        raise DataError(f"{where}: labels must be a list of integers")
    if len(labels) != len(data):
        raise DataError(f"{where}: {len(labels):,} labels for {len(data):,} images")
    labels = np.asarray(labels, dtype=np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise DataError(f"{where}: labels out of range (found {labels.min()}…{labels.max()}, expected 0–9)")
    return data, labels


BATCH_NAMES = ([f"data_batch_{i}" for i in range(1, 6)], ["test_batch"])


def official_batches(source: Path) -> tuple[list, list]:
    """(train batches, test batches) of the official archive (a .tar.gz) or its extracted
    cifar-10-batches-py/ folder."""
    def from_tar(tar, name):
        stream = tar.extractfile(f"cifar-10-batches-py/{name}")
        if stream is None:
            raise DataError(f"{source}: {name} is missing")
        return _read_batch(stream, f"{source}: {name}")

    def from_folder(name):
        if not (source / name).is_file():
            raise DataError(f"{source}: {name} is missing")
        with open(source / name, "rb") as stream:
            return _read_batch(stream, f"{source / name}")

    try:
        if Path(source).is_dir():
            return tuple([from_folder(name) for name in names] for names in BATCH_NAMES)
        with tarfile.open(source, "r:gz") as tar:
            return tuple([from_tar(tar, name) for name in names] for names in BATCH_NAMES)
    except DataError:
        raise
    except (tarfile.TarError, OSError, EOFError, KeyError, pickle.UnpicklingError, gzip.BadGzipFile,
            ValueError, TypeError, MemoryError, OverflowError) as error:
        raise DataError(f"{source}: corrupt or truncated CIFAR-10 batches ({error})") from None


def convert_official_cifar(source: Path) -> Dataset:
    """The official batches → the course subset (first 1,000/100 per class, grey, 28×28)."""
    train, test = official_batches(source)
    x_train, y_train = _first_per_class(train, CIFAR_TRAIN_PER_CLASS, _to_course_image)
    x_test, y_test = _first_per_class(test, CIFAR_TEST_PER_CLASS, _to_course_image)
    return _make("cifar10", x_train, y_train, x_test, y_test,
                 source=f"{_origin(source)} (converted: grayscale, 28×28, first 1,000/100 per class)")


def rgb_cifar(source: Path, train_per_class: int | None, test_per_class: int | None) -> Dataset:
    """The official batches in colour, 32×32: every image, or the first N per class of each split."""
    train, test = official_batches(source)
    x_train, y_train = _first_per_class(train, train_per_class, _to_rgb_image)
    x_test, y_test = _first_per_class(test, test_per_class, _to_rgb_image)
    taken = ("all images" if train_per_class is None and test_per_class is None else
             f"first {train_per_class or 'all'}/{test_per_class or 'all'} per class")
    return _make(rgb_name(train_per_class, test_per_class), x_train, y_train, x_test, y_test,
                 source=f"{_origin(source)} (colour, 32×32, {taken})")


def _origin(source: Path) -> str:
    """The official URL for the archive, the folder's path for an extracted one."""
    return str(source) if Path(source).is_dir() else DOWNLOADS["cifar10"].url


RGB_NAME = "cifar10-rgb"


def rgb_name(train_per_class: int | None = None, test_per_class: int | None = None) -> str:
    """The dataset's name says every choice that picks its images: 'cifar10-rgb' (the whole split) or
    'cifar10-rgb-1000-100' (per class, train and test; 0: all of that split)."""
    if train_per_class is None and test_per_class is None:
        return RGB_NAME
    return f"{RGB_NAME}-{train_per_class or 0}-{test_per_class or 0}"


def parse_rgb_name(name: str) -> tuple[int | None, int | None]:
    rest = name[len(RGB_NAME):]
    if not rest:
        return None, None
    train, test = (int(part) or None for part in rest.lstrip("-").split("-"))
    return train, test


# ---------------------------------------------------------------- download and decoded cache

class DownloadMeter:
    """A download's bytes and rate on stderr. On a terminal one line rewritten in place (at most every
    0.2 s); elsewhere (logs, CI) a line when it starts and one when it ends, never a stream of updates."""

    INTERVAL = 0.2

    def __init__(self, name: str, total: int | None, stream=None, clock=time.monotonic):
        self.name, self.total, self.clock = name, total, clock
        self.stream = stream if stream is not None else sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = self.shown = clock()
        self.received = 0
        if not self.live:
            self._say(f"downloading {name}" + (f" ({_megabytes(total)})" if total else "") + "…\n")

    def add(self, count: int) -> None:
        self.received += count
        now = self.clock()
        if self.live and now - self.shown >= self.INTERVAL:
            self.shown = now
            of = f" of {_megabytes(self.total)} ({self.received / self.total:.0%})" if self.total else ""
            self._say(f"\rdownloading {self.name}: {_megabytes(self.received)}{of}, {self._rate(now)}")

    def done(self) -> None:
        now = self.clock()
        line = f"downloaded {self.name}: {_megabytes(self.received)} in {now - self.started:.1f} s ({self._rate(now)})"
        self._say(f"\r{line}\033[K\n" if self.live else f"{line}\n")  # \033[K: clear the rest of the live line

    def _rate(self, now: float) -> str:
        return f"{_megabytes(self.received / max(now - self.started, 1e-9))}/s"

    def _say(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def _megabytes(count: float) -> str:
    return f"{count / 1e6:.1f} MB"


def download_file(spec: Download, destination: Path, stream=None, clock=time.monotonic) -> Path:
    """Fetch spec.url to destination atomically, refusing a file whose SHA-256 differs; the progress
    goes to stream (default stderr), see DownloadMeter."""
    digest = hashlib.sha256()
    with atomic_file(destination) as out, urllib.request.urlopen(spec.url, timeout=60) as response:
        length = response.headers.get("Content-Length")
        meter = DownloadMeter(spec.filename, int(length) if length and length.isdigit() else None, stream, clock)
        for block in iter(lambda: response.read(1 << 18), b""):
            digest.update(block)
            out.write(block)
            meter.add(len(block))
        meter.done()
        if digest.hexdigest() != spec.sha256:  # raised inside the block: nothing is renamed into place
            raise DataError(f"download of {spec.url} has SHA-256 {digest.hexdigest()}, expected "
                            f"{spec.sha256}; not using it")
    return destination


def _cached_decode(source_file: Path, decode, variant: str = "") -> Dataset:
    """Decode once; later loads read the decoded arrays keyed by the source file's SHA-256 and the
    variant (which images of it, in what form)."""
    tag = f"{variant}-" if variant else ""
    cached = cache_dir() / "decoded" / f"{source_file.name}-{tag}{file_sha256(source_file)[:20]}.npz"
    if cached.exists():
        try:
            with np.load(cached, allow_pickle=False) as archive:
                dataset = Dataset(str(archive["name"]), archive["x_train"], archive["y_train"],
                                  archive["x_test"], archive["y_test"], str(archive["checksum"]),
                                  str(archive["source"]))
            # the arrays must still be the ones their checksum (and so every run key) names
            if arrays_checksum(dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test) == dataset.checksum:
                return dataset
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
            pass  # a damaged cache entry is rebuilt below
    dataset = decode(source_file)
    try:
        with atomic_file(cached) as out:
            np.savez(out, name=dataset.name, x_train=dataset.x_train, y_train=dataset.y_train,
                     x_test=dataset.x_test, y_test=dataset.y_test, checksum=dataset.checksum,
                     source=dataset.source)
    except OSError as error:  # the cache only saves time: without it, decode again next time
        _warn_once(f"cannot write the decoded-data cache {cached.parent} ({error.strerror or error}); "
                   "going on without it (set MKREPORT_CACHE_DIR to a writable folder to keep it)")
    return dataset


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        print(f"mkreport: warning: {message}", file=sys.stderr, flush=True)


def _missing(filename: str, dirs: list[Path], spec: Download, error: Exception | None) -> DataError:
    where = ", ".join(str(d) for d in dirs)
    why = (f"and downloading {spec.url} failed ({error})" if error is not None else
           "and nothing is downloaded when a data folder is given or the command only reads")
    return DataError(f"{filename} not found in {where}, {why}. "
                     f"Put {filename} in one of those folders, or pass --data-dir / set MKREPORT_DATA_DIR.")


def _checked_archive(path: Path, spec: Download) -> Path:
    """An official archive found on disk is used only when its SHA-256 is the published one:
    its batches are Python pickles, never unpickled from an unchecked file."""
    actual = file_sha256(path)
    if actual != spec.sha256:
        raise DataError(f"{path} has SHA-256 {actual}, expected {spec.sha256} (the published "
                        f"{spec.filename}); delete it or replace it with the official file")
    return path


def _download_to_cache(spec: Download, filename: str, dirs: list[Path], download: bool) -> Path:
    if not download:
        raise _missing(filename, dirs, spec, None)
    try:
        return download_file(spec, cache_dir() / spec.filename)
    except (urllib.error.URLError, OSError) as error:
        raise _missing(filename, dirs, spec, error) from None


def load_mnist(data_dir: Path | None = None, download: bool = True) -> Dataset:
    """From --data-dir, else the mkreport cache, else the Keras cache, else downloaded (only
    without a data folder). An npz is read without pickle, so a found one needs no hash check."""
    dirs = search_dirs(data_dir)
    for folder in dirs:
        if (folder / "mnist.npz").is_file():
            return read_mnist_npz(folder / "mnist.npz")
    spec = DOWNLOADS["mnist"]
    path = _download_to_cache(spec, "mnist.npz", dirs, download and data_dir is None)
    dataset = read_mnist_npz(path)
    return Dataset(**{**dataset.__dict__, "source": f"{spec.url} (downloaded to {path})"})


def load_cifar10(data_dir: Path | None = None, download: bool = True) -> Dataset:
    """The course subset from each folder in turn (--data-dir, the mkreport cache, the Keras cache):
    CIFAR10.zip, a CIFAR10/ folder, the official archive (hash-checked, then converted) or its extracted
    cifar-10-batches-py/ folder; else the official archive downloaded (only without a data folder)."""
    dirs = search_dirs(data_dir)
    spec = DOWNLOADS["cifar10"]
    for folder in dirs:
        if (folder / "CIFAR10.zip").is_file():
            return _cached_decode(folder / "CIFAR10.zip", read_cifar_zip)
        if (folder / "CIFAR10").is_dir():
            return read_cifar_folder(folder / "CIFAR10")
        found = _official_source(folder, spec)
        if found is not None:
            return _from_official(found, convert_official_cifar)
    archive = _download_to_cache(spec, "CIFAR10.zip (or a CIFAR10/ folder, or cifar-10-python.tar.gz)", dirs,
                                 download and data_dir is None)
    return _cached_decode(archive, convert_official_cifar)


def load_cifar10_rgb(name: str, data_dir: Path | None = None, download: bool = True) -> Dataset:
    """Colour CIFAR10 (name: see rgb_name) from the official archive (hash-checked) or its extracted
    cifar-10-batches-py/ folder in one of the folders load_cifar10 searches; else downloaded."""
    per_class = parse_rgb_name(name)
    dirs = search_dirs(data_dir)
    spec = DOWNLOADS["cifar10"]

    def decode(source):
        return rgb_cifar(source, *per_class)

    for folder in dirs:
        found = _official_source(folder, spec)
        if found is not None:
            return _from_official(found, decode, name)
    archive = _download_to_cache(spec, "cifar-10-python.tar.gz (or its extracted cifar-10-batches-py/ folder)",
                                 dirs, download and data_dir is None)
    return _cached_decode(archive, decode, name)


def _official_source(folder: Path, spec: Download) -> Path | None:
    """The official archive in a folder (refused unless its SHA-256 is the published one), or its
    extracted batches folder (read with a pickle reader that loads arrays only)."""
    for filename in OFFICIAL_CIFAR_NAMES:
        if (folder / filename).is_file():
            return _checked_archive(folder / filename, spec)
    if (folder / "cifar-10-batches-py").is_dir():
        return folder / "cifar-10-batches-py"
    return None


def _from_official(source: Path, decode, variant: str = "") -> Dataset:
    return decode(source) if source.is_dir() else _cached_decode(source, decode, variant)


def load_dataset(name: str, data_dir: Path | None = None, download: bool = True, code: str | None = None) -> Dataset:
    """A dataset by name: "mnist", "cifar10" (the course subset), a colour CIFAR10 (rgb_name), or — for a
    run of a user's own section (code: its module's file) — what the function of that module named
    `name` returns. download=False for commands that only read (status, check, render, plan)."""
    if name.startswith(RGB_NAME):
        return load_cifar10_rgb(name, data_dir, download)
    if name in LOADERS:
        return LOADERS[name](data_dir, download)
    if code is None:
        raise DataError(f"unknown dataset {name!r}: not mnist, cifar10 or cifar10-rgb, and no section module names it")
    return own_dataset(name, code, data_dir)


def built_in(name: str) -> bool:
    """Whether mkreport loads this dataset itself (else it is a loader function of a user's section)."""
    return name in LOADERS or name.startswith(RGB_NAME)


def own_dataset(name: str, code: str, data_dir: Path | None) -> Dataset:
    """A user's loader: name(data_dir) in the section's module returns (x_train, y_train, x_test, y_test):
    uint8 images (N, H, W) or (N, H, W, C), or numeric features of any shape; labels (classes) or targets
    that the run's task checks (experiments/tasks.py)."""
    from .own_code import function

    try:
        loader = function(code, name, "data loader")
    except (AttributeError, ImportError) as error:
        raise DataError(str(error)) from None
    try:
        arrays = loader(data_dir)
    except Exception as error:   # the user's code: whatever it raises is said in one line, naming it
        raise DataError(f"{name}() of {Path(code).name} failed: {type(error).__name__}: {error}") from None
    if not isinstance(arrays, (tuple, list)) or len(arrays) != 4:
        raise DataError(f"{Path(code).name}: {name}() must return (x_train, y_train, x_test, y_test)")
    x_train, y_train, x_test, y_test = (np.asarray(a) for a in arrays)
    return _make(name, x_train, y_train, x_test, y_test, source=f"{name}() of {Path(code).name}", any_shape=True)


LOADERS = {"mnist": load_mnist, "cifar10": load_cifar10}
