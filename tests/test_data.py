import hashlib
import io
import json
import os
import pickle
import subprocess
import sys
import tarfile
import zipfile

import numpy as np
import pytest
from PIL import Image

from experiments import data
from report.errors import DataError
from tests.conftest import REPO


def png(array, mode="L") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format="PNG")
    return buffer.getvalue()


def tiny_images(train_per_class=2, test_per_class=1):
    rng = np.random.default_rng(1)
    entries = {}
    for split, count in (("Train", train_per_class), ("Test", test_per_class)):
        for label in range(10):
            for n in range(count):
                entries[f"CIFAR10/{split}/{label}/Image{n:05d}.png"] = rng.integers(0, 256, (28, 28), dtype=np.uint8)
    return entries


def write_zip(path, entries):
    with zipfile.ZipFile(path, "w") as archive:
        for name, value in entries.items():
            archive.writestr(name, value if isinstance(value, bytes) else png(value))
    return path


def test_real_cifar_subset_matches_its_readme(data_dir):
    dataset = data.load_cifar10(data_dir)
    assert dataset.x_train.shape == (10_000, 28, 28) and dataset.x_test.shape == (1_000, 28, 28)
    assert np.bincount(dataset.y_train).tolist() == [1000] * 10
    assert np.bincount(dataset.y_test).tolist() == [100] * 10
    assert dataset.x_train.mean() == pytest.approx(122.95, abs=0.01)
    assert dataset.x_train.std() == pytest.approx(60.67, abs=0.01)


def test_real_mnist_matches_its_readme(data_dir):
    dataset = data.load_mnist(data_dir)
    assert dataset.x_train.shape == (60_000, 28, 28) and dataset.x_test.shape == (10_000, 28, 28)
    assert dataset.x_train.mean() == pytest.approx(33.318, abs=0.001)


def test_zip_and_folder_give_the_same_data_and_checksum(tmp_path):
    entries = tiny_images()
    (tmp_path / "zipdir").mkdir()
    zipped = data.load_cifar10(write_zip(tmp_path / "zipdir" / "CIFAR10.zip", entries).parent)
    for name, array in entries.items():
        target = tmp_path / "folderdir" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(png(array))
    folder = data.load_cifar10(tmp_path / "folderdir")
    assert zipped.checksum == folder.checksum
    np.testing.assert_array_equal(zipped.x_train, folder.x_train)
    assert zipped.y_train.tolist() == sorted([k for k in range(10)] * 2)
    first = entries["CIFAR10/Train/0/Image00000.png"]
    np.testing.assert_array_equal(zipped.x_train[0], first)


def test_decoded_copy_is_cached_and_reused(tmp_path):
    (tmp_path / "d").mkdir()
    write_zip(tmp_path / "d" / "CIFAR10.zip", tiny_images())
    first = data.load_cifar10(tmp_path / "d")
    cached = list((data.cache_dir() / "decoded").glob("CIFAR10.zip-*.npz"))
    assert cached
    second = data.load_cifar10(tmp_path / "d")
    assert second.checksum == first.checksum


def official_cifar_archive(path, per_batch=30):
    """A small cifar-10-python.tar.gz in the official layout: pickled dicts of 3072-byte rows."""
    rng = np.random.default_rng(2)
    with tarfile.open(path, "w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            rows = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
            labels = [int(v) for v in rng.integers(0, 10, per_batch)]
            if name == "test_batch":  # a known image: constant colour (R, G, B) = (200, 100, 50)
                rows[0] = np.concatenate([np.full(1024, 200), np.full(1024, 100), np.full(1024, 50)])
            payload = pickle.dumps({b"data": rows, b"labels": labels})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return path


def archive_in_a_data_folder(tmp_path):
    """The official-format archive the tests write, and a data folder holding a copy of it."""
    archive = official_cifar_archive(tmp_path / "official.tar.gz")
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "cifar-10-python.tar.gz").write_bytes(archive.read_bytes())
    return archive, folder


def point_download_at(monkeypatch, name, path, sha256=None):
    digest = sha256 or hashlib.sha256(path.read_bytes()).hexdigest()
    spec = data.Download(path.as_uri(), digest, data.DOWNLOADS[name].filename)
    monkeypatch.setitem(data.DOWNLOADS, name, spec)
    return spec


def test_cifar_download_is_converted_to_the_course_subset(tmp_path, monkeypatch):
    archive = official_cifar_archive(tmp_path / "official.tar.gz")
    spec = point_download_at(monkeypatch, "cifar10", archive)
    dataset = data.load_cifar10(None)  # no data folder given: downloaded
    assert dataset.x_train.shape[1:] == (28, 28) and dataset.x_train.dtype == np.uint8
    assert len(dataset.x_train) == 150 and len(dataset.x_test) == 30  # fewer than 1,000/100 per class exist
    assert list(dataset.y_train) == sorted(dataset.y_train)  # class by class, like the course's folders
    assert spec.url in dataset.source and "converted" in dataset.source  # the report says which source
    assert (data.cache_dir() / "cifar-10-python.tar.gz").is_file()
    luma = round(200 * 0.299 + 100 * 0.587 + 50 * 0.114)
    constant = [img for img in dataset.x_test if img.max() - img.min() <= 1]
    assert constant and abs(int(constant[0][14, 14]) - luma) <= 1


def test_mnist_download_from_the_mirror_format(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    source = tmp_path / "mirror.npz"
    np.savez(source, x_train=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8), y_train=np.arange(20) % 10,
             x_test=rng.integers(0, 256, (10, 28, 28), dtype=np.uint8), y_test=np.arange(10))
    point_download_at(monkeypatch, "mnist", source)
    dataset = data.load_mnist(None)
    assert len(dataset.x_train) == 20 and (data.cache_dir() / "mnist.npz").is_file()


def test_download_with_wrong_checksum_is_refused(tmp_path, monkeypatch):
    source = tmp_path / "mirror.npz"
    np.savez(source, x_train=np.zeros((1, 28, 28), np.uint8), y_train=[0], x_test=np.zeros((1, 28, 28), np.uint8), y_test=[0])
    point_download_at(monkeypatch, "mnist", source, sha256="0" * 64)
    with pytest.raises(DataError, match="SHA-256"):
        data.load_mnist(None)
    assert not (data.cache_dir() / "mnist.npz").exists()


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_a_download_shows_bytes_and_rate_on_a_terminal_and_two_lines_elsewhere(tmp_path):
    payload = bytes(range(256)) * 4096 * 3  # 3.1 MB: twelve blocks of 256 KiB
    source = tmp_path / "big.bin"
    source.write_bytes(payload)
    spec = data.Download(source.as_uri(), hashlib.sha256(payload).hexdigest(), "big.bin")
    ticks = iter(range(1000))
    clock = lambda: next(ticks) * 0.5  # every reading half a second later: each block is shown
    terminal = FakeTerminal()
    data.download_file(spec, tmp_path / "cache" / "big.bin", stream=terminal, clock=clock)
    shown = terminal.getvalue()
    assert (tmp_path / "cache" / "big.bin").read_bytes() == payload
    updates = shown.split("\r")[1:-1]
    assert len(updates) == 12 and updates[0] == "downloading big.bin: 0.3 MB of 3.1 MB (8%), 0.5 MB/s"
    assert shown.endswith("\rdownloaded big.bin: 3.1 MB in 6.5 s (0.5 MB/s)\033[K\n")

    log = io.StringIO()  # not a terminal: a start line and an end line, nothing rewritten
    data.download_file(spec, tmp_path / "cache2" / "big.bin", stream=log)
    lines = log.getvalue().splitlines()
    assert lines[0] == "downloading big.bin (3.1 MB)…" and lines[1].startswith("downloaded big.bin: 3.1 MB in ")
    assert len(lines) == 2 and "\r" not in log.getvalue()


def test_offline_and_absent_names_the_file_and_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setitem(data.DOWNLOADS, "mnist", data.Download("http://127.0.0.1:9/mnist.npz", "0" * 64, "mnist.npz"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError) as error:
        data.load_mnist(tmp_path / "empty")
    message = str(error.value)
    assert "mnist.npz not found" in message and str(tmp_path / "empty") in message and "MKREPORT_DATA_DIR" in message


@pytest.mark.parametrize("damage, expected", [
    ("garbage", "corrupt or truncated zip"),
    ("truncated", "corrupt or truncated zip"),
    ("wrong size", "28×28"),
    ("wrong mode", "grayscale"),
    ("bad label", "not a label 0–9"),
    ("escaping path", "leaves its folder"),
    ("not a png", "not a readable PNG"),
])
def test_bad_cifar_archives(tmp_path, damage, expected):
    folder = tmp_path / "d"
    folder.mkdir()
    entries = tiny_images()
    path = folder / "CIFAR10.zip"
    if damage == "wrong size":
        entries["CIFAR10/Train/3/Image00000.png"] = np.zeros((32, 32), np.uint8)
    if damage == "wrong mode":
        entries["CIFAR10/Train/3/Image00000.png"] = png(np.zeros((28, 28, 3), np.uint8), "RGB")
    if damage == "bad label":
        entries["CIFAR10/Train/12/Image00000.png"] = np.zeros((28, 28), np.uint8)
    if damage == "escaping path":
        entries["CIFAR10/Train/../../../evil.png"] = np.zeros((28, 28), np.uint8)
    if damage == "not a png":
        entries["CIFAR10/Train/3/Image00000.png"] = b"this is text"
    write_zip(path, entries)
    if damage == "garbage":
        path.write_bytes(b"PK\x03\x04 not really a zip")
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DataError, match=expected):
        data.load_cifar10(folder)
    assert not (tmp_path / "evil.png").exists() and not (folder.parent.parent / "evil.png").exists()


@pytest.mark.parametrize("damage, expected", [
    ("truncated", "corrupt or truncated"),
    ("labels out of range", "labels out of range"),
    ("missing key", "missing x_test"),
    ("pickled object", "corrupt or truncated"),
])
def test_bad_mnist_files(tmp_path, damage, expected):
    path = tmp_path / "mnist.npz"
    arrays = {"x_train": np.zeros((4, 28, 28), np.uint8), "y_train": np.arange(4),
              "x_test": np.zeros((2, 28, 28), np.uint8), "y_test": np.arange(2)}
    if damage == "labels out of range":
        arrays["y_train"] = np.array([0, 1, 2, 12])
    if damage == "missing key":
        del arrays["x_test"]
    if damage == "pickled object":  # np.load must not unpickle it
        arrays["y_test"] = np.array([{"evil": 1}, {"evil": 2}], dtype=object)
    np.savez(path, **arrays)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataError, match=expected):
        data.load_mnist(tmp_path)


def test_offline_without_a_data_folder_says_the_download_failed(monkeypatch):
    monkeypatch.setitem(data.DOWNLOADS, "mnist", data.Download("http://127.0.0.1:9/mnist.npz", "0" * 64, "mnist.npz"))
    with pytest.raises(DataError, match="downloading http://127.0.0.1:9/mnist.npz failed"):
        data.load_mnist(None)


def test_an_explicit_data_folder_never_downloads(tmp_path, monkeypatch):
    source = tmp_path / "mirror.npz"
    np.savez(source, x_train=np.zeros((1, 28, 28), np.uint8), y_train=[0], x_test=np.zeros((1, 28, 28), np.uint8), y_test=[0])
    point_download_at(monkeypatch, "mnist", source)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="nothing is downloaded when a data folder is given"):
        data.load_mnist(tmp_path / "empty")
    with pytest.raises(DataError, match="nothing is downloaded"):
        data.load_mnist(None, download=False)  # status, check, render and plan only read
    assert not (data.cache_dir() / "mnist.npz").exists()


def test_a_tampered_official_archive_in_the_cache_is_refused_before_unpickling(tmp_path, monkeypatch):
    archive = official_cifar_archive(tmp_path / "official.tar.gz")
    point_download_at(monkeypatch, "cifar10", archive, sha256="1" * 64)
    data.cache_dir().mkdir(parents=True)
    cached = data.cache_dir() / "cifar-10-python.tar.gz"
    cached.write_bytes(archive.read_bytes())
    monkeypatch.setattr(data, "_read_batch", lambda *a, **k: pytest.fail("unpickled an unchecked archive"))
    with pytest.raises(DataError) as error:
        data.load_cifar10(None)
    assert str(cached) in str(error.value) and "1" * 64 in str(error.value)


def test_an_empty_training_split_is_an_error_not_an_endless_loop(tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((0, 28, 28), np.uint8), y_train=np.zeros(0, np.uint8),
             x_test=np.zeros((5, 28, 28), np.uint8), y_test=np.arange(5, dtype=np.uint8))
    with pytest.raises(DataError, match="train split has 0 image"):
        data.load_mnist(tmp_path)


def test_the_official_archive_in_a_data_folder_is_used_after_its_hash_matches(tmp_path, monkeypatch):
    archive, folder = archive_in_a_data_folder(tmp_path)
    point_download_at(monkeypatch, "cifar10", archive)
    assert len(data.load_cifar10(folder).x_train) == 150
    point_download_at(monkeypatch, "cifar10", archive, sha256="2" * 64)
    with pytest.raises(DataError) as error:
        data.load_cifar10(folder)
    assert str(folder / "cifar-10-python.tar.gz") in str(error.value) and "2" * 64 in str(error.value)


@pytest.mark.slow
def test_mnist_is_found_in_the_keras_cache_even_with_a_data_folder(tmp_path, data_dir):

    home = tmp_path / "home"
    (home / ".keras" / "datasets").mkdir(parents=True)
    (home / ".keras" / "datasets" / "mnist.npz").symlink_to(data_dir / "mnist.npz")
    only_cifar = tmp_path / "data"
    only_cifar.mkdir()
    (only_cifar / "CIFAR10.zip").symlink_to(data_dir / "CIFAR10.zip")
    env = {k: v for k, v in os.environ.items() if k != "KERAS_HOME"}
    env.update(HOME=str(home), MKREPORT_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run([sys.executable, "-m", "report", "rnn", "--profile", "smoke", "--data-dir", str(only_cifar),
                             "--set", 'rnn.cells=["gru"]', "--set", "rnn.hidden_sizes=[64]",
                             "--output", str(tmp_path / "out")], capture_output=True, text=True, env=env, cwd=REPO)
    assert result.returncode == 0, result.stderr
    record = json.loads(next((tmp_path / "out" / "store" / "rnn").glob("*.json")).read_text())["record"]
    assert record["data_source"] == str(home / ".keras" / "datasets" / "mnist.npz")


def test_a_dataset_without_one_of_the_ten_classes_is_refused():
    images = np.zeros((20, 28, 28), np.uint8)
    labels = np.arange(20) % 9          # no class 9
    with pytest.raises(DataError, match="no image of class 9"):
        data._make("cifar10", images, labels, images, np.arange(20) % 10, "CIFAR10.zip")


def test_a_decoded_cache_whose_arrays_were_changed_is_decoded_again(tmp_path, monkeypatch):
    """A zeroed cache entry must not train runs under the real data's keys."""
    monkeypatch.setenv("MKREPORT_CACHE_DIR", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    source = tmp_path / "mnist.npz"
    np.savez(source, x_train=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8), y_train=np.arange(20) % 10,
             x_test=rng.integers(0, 256, (10, 28, 28), dtype=np.uint8), y_test=np.arange(10))
    first = data._cached_decode(source, data.read_mnist_npz)
    cached = next((tmp_path / "cache" / "decoded").glob("*.npz"))
    with np.load(cached) as archive:
        entries = {name: archive[name] for name in archive.files}
    entries["x_train"] = np.zeros_like(entries["x_train"])   # the checksum field still says the real data's
    np.savez(cached, **entries)
    again = data._cached_decode(source, data.read_mnist_npz)
    assert again.checksum == first.checksum and np.array_equal(again.x_train, first.x_train)


# ---------------------------------------------------------------- CIFAR10 in colour ([data] cifar10 = "rgb")

def extracted_batches(folder, per_batch=30):
    """The official archive's cifar-10-batches-py/ folder, extracted into folder."""
    archive = official_cifar_archive(folder.parent / f"{folder.name}.tar.gz", per_batch)
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    return folder


def test_colour_cifar10_from_the_extracted_batches_keeps_32x32_rgb(tmp_path):
    folder = extracted_batches(tmp_path / "data")
    dataset = data.load_dataset("cifar10-rgb", folder)
    assert dataset.x_train.shape == (150, 32, 32, 3) and dataset.x_test.shape == (30, 32, 32, 3)
    assert dataset.name == "cifar10-rgb" and "colour, 32×32, all images" in dataset.source
    constant = [img for img in dataset.x_test if (img == img[0, 0]).all()]   # the known test image
    assert constant and constant[0][5, 7].tolist() == [200, 100, 50]
    course = data.load_dataset("cifar10", folder)   # the same batches converted to the course's grey subset
    assert course.x_train.shape[1:] == (28, 28) and course.checksum != dataset.checksum


def test_a_balanced_colour_subset_takes_the_first_images_of_each_class(tmp_path):
    folder = extracted_batches(tmp_path / "data")
    dataset = data.load_dataset(data.rgb_name(3, 1), folder)
    assert dataset.name == "cifar10-rgb-3-1" and "first 3/1 per class" in dataset.source
    assert np.bincount(dataset.y_train, minlength=10).tolist() == [3] * 10
    assert np.bincount(dataset.y_test, minlength=10).max() == 1
    assert data.parse_rgb_name("cifar10-rgb-3-0") == (3, None)
    assert data.parse_rgb_name("cifar10-rgb") == (None, None)


def test_colour_cifar10_from_the_official_archive_is_hash_checked_and_cached_apart(tmp_path, monkeypatch):
    archive, folder = archive_in_a_data_folder(tmp_path)
    point_download_at(monkeypatch, "cifar10", archive)
    colour = data.load_dataset("cifar10-rgb", folder)
    grey = data.load_dataset("cifar10", folder)
    assert colour.x_train.shape[1:] == (32, 32, 3) and grey.x_train.shape[1:] == (28, 28)
    cached = sorted(p.name for p in (data.cache_dir() / "decoded").glob("*.npz"))
    assert len(cached) == 2 and any("cifar10-rgb" in name for name in cached)   # one decoded copy per variant
    point_download_at(monkeypatch, "cifar10", archive, sha256="3" * 64)
    with pytest.raises(DataError, match="3" * 64):
        data.load_dataset("cifar10-rgb", folder)


def test_colour_cifar10_is_downloaded_when_no_folder_has_it(tmp_path, monkeypatch):
    archive = official_cifar_archive(tmp_path / "official.tar.gz")
    spec = point_download_at(monkeypatch, "cifar10", archive)
    with pytest.raises(DataError, match="cifar-10-python.tar.gz .*nothing is downloaded"):
        data.load_dataset("cifar10-rgb", tmp_path / "empty", download=False)
    dataset = data.load_dataset("cifar10-rgb", None)
    assert dataset.x_train.shape[1:] == (32, 32, 3) and spec.url in dataset.source


def test_a_batch_file_that_would_run_code_is_refused(tmp_path):
    """An extracted batches folder has no published hash: its pickles are read by a loader that
    builds arrays only, so a pickle naming a function is refused, never called."""
    folder = extracted_batches(tmp_path / "data")
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    (folder / "cifar-10-batches-py" / "data_batch_3").write_bytes(pickle.dumps({b"data": Payload(), b"labels": []}))
    with pytest.raises(DataError, match="refusing posix.system|refusing os.system"):
        data.load_dataset("cifar10-rgb", folder)
    assert not marker.exists()
