"""Every stored run as TensorBoard event files: output/tensorboard/<section>/<run>/.

Written from the store at build time, so cached runs, runs trained on Ray and runs trained before
this existed all appear. Each run gets its per-evaluation train and test loss and accuracy
(step = training samples seen), its train loss and accuracy every log_every_steps batches,
and its hyperparameters for the HParams dashboard (with the seed
as an hparam and the final test accuracy as the metric); each section folder gets the HParams
experiment config of its grid. The events are written with TensorBoard's own protos and writer
(tensorboard.plugins.hparams, tensorboard.summary.writer): no TensorFlow import at render time.
A run's folder is rewritten only when the stored run behind it changes (its key).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

FOLDER = "tensorboard"
METRICS = {"train/loss": "train_loss", "train/accuracy": "train_accuracy",
           "test/loss": "test_loss", "test/accuracy": "test_accuracy"}
HPARAM_KEYS = ("optimizer", "learning_rate", "cell", "hidden_size", "batch_size", "epochs", "samples_per_epoch")


def run_folder(root: Path, section: str, record: dict) -> Path:
    name = re.sub(r"[^A-Za-z0-9=._-]+", "_", f"{record['label']}_seed={record['seed']}".replace(", ", "_"))
    return root / section / name


def hparams_of(record: dict) -> dict:
    params = record["params"]
    values = {key: params[key] for key in HPARAM_KEYS if key in params}
    if "widths" in params:
        values["widths"] = "/".join(map(str, params["widths"]))
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
    for epoch in record["metrics"]:  # test metrics per evaluation; train ones too where no step points exist
        for tag, key in METRICS.items():
            if not (steps and tag.startswith("train/")):
                events.append(_scalar_event(tag, float(epoch[key]), int(epoch["samples_seen"]), wall))
    for point in steps:  # train loss and accuracy every log_every_steps batches
        for tag in ("train/loss", "train/accuracy"):
            events.append(_scalar_event(tag, float(point[METRICS[tag]]), int(point["samples_seen"]), wall))
    _write(folder, events)
    marker.write_text(record["key"])
    return True


def write_section_config(root: Path, section: str, records: list[dict]) -> None:
    """The HParams experiment config of a section's grid: every hparam with its values, and the metrics."""
    from tensorboard.plugins.hparams import summary_v2

    values: dict[str, set] = {}
    for record in records:
        for key, value in hparams_of(record).items():
            values.setdefault(key, set()).add(value)
    hparams = [summary_v2.HParam(key, summary_v2.Discrete(sorted(found))) for key, found in values.items()]
    metrics = [summary_v2.Metric(tag, display_name=tag) for tag in ("test/accuracy", "test/loss", "train/loss")]
    folder = root / section
    for old in folder.glob("events.out.tfevents.*"):
        old.unlink()
    _write(folder, [_summary_event(summary_v2.hparams_config_pb(hparams, metrics), 0.0)])


def export(output: Path, records_by_section: dict[str, list[dict]]) -> Path:
    """Event files for every section's stored runs (failed runs have no curve and are left out)."""
    root = Path(output) / FOLDER
    for section, records in records_by_section.items():
        finished = [r for r in records if r["metrics"]]
        if not finished:
            continue
        for record in finished:
            write_run(root, section, record)
        write_section_config(root, section, finished)
    return root
