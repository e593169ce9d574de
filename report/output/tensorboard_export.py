"""Every stored run as TensorBoard event files: output/tensorboard/<section>/<run>/.

Written from the store at build time, so cached runs, runs trained on Ray and runs trained before
this existed all appear. Each run gets its per-evaluation train and test loss and accuracy
(step = training samples seen), its train loss and accuracy every log_every_steps batches,
and its hyperparameters for the HParams dashboard (with the seed
as an hparam and the final test accuracy as the metric); the log directory gets one HParams
experiment config with every section's hparams and their domains. The best CIFAR10 LeNet5 run (best configuration, best seed: the
network the visualize section shows) also gets its conv1 filters as an image at initialisation and
after every epoch (the Images tab's step slider). The events are written with TensorBoard's own protos and writer
(tensorboard.plugins.hparams, tensorboard.summary.writer): no TensorFlow import at render time.
A run's folder is rewritten only when the stored run behind it changes (its key).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np

from experiments.tasks import metric_key

FOLDER = "tensorboard"
METRICS = {"train/loss": "train_loss", "train/accuracy": "train_accuracy",
           "test/loss": "test_loss", "test/accuracy": "test_accuracy"}
HPARAM_KEYS = ("optimizer", "momentum", "learning_rate", "cell", "hidden_size", "batch_size", "epochs", "samples_per_epoch")


def run_folder(root: Path, section: str, record: dict) -> Path:
    """<section>/<label>_seed=<seed>, the label's ", " as "_"; a label with other characters than letters,
    digits and =._- gets them as "_" and a hash of the label after "~" (a character no plain name has), so
    two labels never share a folder ("x y" and "x_y")."""
    plain = f"{record['label']}_seed={record['seed']}".replace(", ", "_")
    name = re.sub(r"[^A-Za-z0-9=._-]+", "_", plain)
    if name != plain:
        import hashlib

        name += "~" + hashlib.sha256(record["label"].encode()).hexdigest()[:8]
    return root / section / name


def hparams_of(record: dict) -> dict:
    params = record["params"]
    values = {key: params[key] for key in HPARAM_KEYS if key in params}
    if params["model"] == "lenet5":   # the network's settings, defaults included, as text or numbers
        from experiments.network import network_of

        network = network_of(params)
        values.update(conv_filters="/".join(map(str, network["conv_filters"])),
                      fc_units="/".join(map(str, network["fc_units"])) or "none",
                      activation=network["activation"], padding=network["padding"], dropout=network["dropout"])
    values["seed"] = record["seed"]
    return values


def _write(folder: Path, events) -> None:
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(folder))
    for event in events:
        writer.add_event(event)
    writer.close()


def _scalar_event(tag: str, value: float, step: int, wall_time: float):
    from tensorboard.compat.proto import event_pb2, summary_pb2

    return event_pb2.Event(wall_time=wall_time, step=step,
                           summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)]))


def _summary_event(summary, wall_time: float, step: int = 0):
    from tensorboard.compat.proto import event_pb2

    return event_pb2.Event(wall_time=wall_time, step=step, summary=summary)


def write_run(root: Path, section: str, record: dict) -> bool:
    """The run's folder, unless it already holds this stored run (same key); True when written."""
    from tensorboard.plugins.hparams import summary_v2

    folder = run_folder(root, section, record)
    marker = folder / "mkreport-key"
    if marker.is_file() and marker.read_text() == record["key"]:
        return False
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    wall = 0.0  # fixed times: the same store gives the same event files
    events = [_summary_event(summary_v2.hparams_pb(hparams_of(record), trial_id=record["run_id"]), wall)]
    steps = record.get("steps") or []
    metric = metric_key(record["metrics"][0]) if record["metrics"] else "accuracy"   # a task's own: mae, auc …
    tags = {tag.replace("accuracy", metric): key.replace("accuracy", metric) for tag, key in METRICS.items()}
    for epoch in record["metrics"]:  # test metrics per evaluation; train ones too where no step points exist
        for tag, key in tags.items():
            if not (steps and tag.startswith("train/")):
                events.append(_scalar_event(tag, float(epoch[key]), int(epoch["samples_seen"]), wall))
    for point in steps:  # train loss and the metric every log_every_steps batches
        for tag in ("train/loss", f"train/{metric}"):
            events.append(_scalar_event(tag, float(point[tags[tag]]), int(point["samples_seen"]), wall))
    _write(folder, events)
    marker.write_text(record["key"])
    return True


def write_experiment_config(root: Path, records_by_section: dict[str, list[dict]]) -> None:
    """One HParams experiment for the whole log directory: every hparam of every section with its
    real domain (TensorBoard shows one experiment config per directory it opens; one per section
    folder made it show one section's columns only)."""
    from tensorboard.plugins.hparams import summary_v2

    values: dict[str, set] = {}
    for section, records in records_by_section.items():
        for record in records:
            for key, value in {"section": section, **hparams_of(record)}.items():
                values.setdefault(key, set()).add(value)
    hparams = [summary_v2.HParam(key, summary_v2.Discrete(sorted(found))) for key, found in values.items()]
    metrics = [summary_v2.Metric(tag, display_name=tag) for tag in ("test/accuracy", "test/loss", "train/loss")]
    for old in [*root.glob("events.out.tfevents.*"), *root.glob("*/events.out.tfevents.*")]:
        old.unlink()   # this config, and the per-section ones earlier builds wrote
    _write(root, [_summary_event(summary_v2.hparams_config_pb(hparams, metrics), 0.0)])


FILTERS_TAG = "conv1/filters"
FILTERS_SUFFIX = ".conv1-filters"  # the image's own event file in the run folder, apart from the scalars
TILE, GAP = 6, 2  # each 5×5 filter drawn 30×30 (nearest neighbour), 2 pixels of white between filters


def filter_grid(kernel: np.ndarray, scale: float, cols: int = 8) -> np.ndarray:
    """A conv1 kernel (5, 5, 1, maps) → one uint8 grey image of its filters, `cols` a row; a colour
    network's kernel (5, 5, 3, maps) → one RGB image, each channel on the same scale.

    One scale for every filter and epoch (± scale → black/white, 0 → mid-grey), so filters can be
    compared with each other and across epochs: a filter drawn faint is a small one, not a rescaled one."""
    from .figures import filter_mosaic

    filters = (kernel[:, :, 0, :].transpose(2, 0, 1) if kernel.shape[2] == 1 else kernel.transpose(3, 0, 1, 2)) / scale
    enlarged = np.repeat(np.repeat(filters, TILE, axis=1), TILE, axis=2)  # nearest neighbour
    grid = filter_mosaic(enlarged, cols, pad=GAP, normalise=False)  # NaN between filters
    if grid.ndim == 3:
        grid = np.where(np.isnan(grid).any(axis=-1, keepdims=True), np.nan, grid)
    return np.where(np.isnan(grid), 255, np.clip(np.rint(127.5 + 127.5 * np.nan_to_num(grid)), 0, 255)).astype(np.uint8)


def _png(image: np.ndarray) -> bytes:
    import io

    from PIL import Image  # Pillow comes with matplotlib and WeasyPrint

    buffer = io.BytesIO()
    Image.fromarray(image, mode="L" if image.ndim == 2 else "RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def _image_event(tag: str, image: np.ndarray, step: int, description: str):
    """The images plugin's summary (as tf.summary.image writes it: [width, height, png] strings)."""
    from tensorboard.compat.proto import summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
    from tensorboard.plugins.image import metadata

    tensor = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING, tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=3)]),
        string_val=[str(image.shape[1]).encode(), str(image.shape[0]).encode(), _png(image)])
    value = summary_pb2.Summary.Value(tag=tag, tensor=tensor,
                                      metadata=metadata.create_summary_metadata(display_name=tag, description=description))
    return _summary_event(summary_pb2.Summary(value=[value]), 0.0, step)


def write_filters(root: Path, section: str, record: dict, kernels: np.ndarray) -> None:
    """kernels (epochs + 1, 5, 5, channels, maps): conv1 at initialisation and after each epoch, in the run's
    folder; any other run's filter image in the section is removed (the best run can change)."""
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    folder = run_folder(root, section, record)
    for old in (root / section).glob(f"*/events.out.tfevents.*{FILTERS_SUFFIX}"):
        old.unlink()
    scale = float(np.abs(kernels).max()) or 1.0
    steps = [0] + [int(epoch["samples_seen"]) for epoch in record["metrics"]]
    description = (f"conv1 of {record['label']}, seed {record['seed']} (the best CIFAR10 configuration's best seed) at "
                   f"initialisation and after each epoch; step = training images seen. Grey is 0, white/black ±{scale:.3g} "
                   "(one scale for all filters and epochs).")
    writer = EventFileWriter(str(folder), filename_suffix=FILTERS_SUFFIX)
    for step, kernel in zip(steps, kernels):
        writer.add_event(_image_event(FILTERS_TAG, filter_grid(kernel, scale), step, description))
    writer.close()


def _remove_other_runs(root: Path, finished: dict[str, list[dict]]) -> None:
    """A run folder mkreport wrote (its mkreport-key marker) for a run no longer among the exported ones
    (relabelled, or taken out of the grid) is removed, so TensorBoard shows what the report shows."""
    current = {run_folder(root, section, record) for section, records in finished.items() for record in records}
    for section in finished:
        for folder in (root / section).iterdir() if (root / section).is_dir() else ():
            if folder not in current and (folder / "mkreport-key").is_file():
                shutil.rmtree(folder, ignore_errors=True)


def export(output: Path, records_by_section: dict[str, list[dict]], best_filters: tuple[dict, np.ndarray] | None = None) -> Path:
    """Event files for every section's stored runs (failed runs have no curve and are left out);
    best_filters = (the best CIFAR10 run's record, its conv1 snapshots) adds the filter image."""
    root = Path(output) / FOLDER
    finished = {section: [r for r in records if r["metrics"]] for section, records in records_by_section.items()}
    finished = {section: records for section, records in finished.items() if records}
    for section, records in finished.items():
        for record in records:
            write_run(root, section, record)
    _remove_other_runs(root, finished)
    if finished:
        root.mkdir(parents=True, exist_ok=True)
        write_experiment_config(root, finished)
    if best_filters is not None:
        write_filters(root, "cnn", *best_filters)
    return root
