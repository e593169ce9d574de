"""Training runs as plain data: what each section trains, the key of each run, and its state."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .store import CorruptResult, Store, make_key

# States `mkreport status` shows besides a stored result's own (done, diverged, failed).
MISSING, STALE, CORRUPT = "missing", "stale", "corrupt"


@dataclass(frozen=True)
class RunSpec:
    section: str  # the store folder: cnn, rnn or cnn_mnist
    label: str    # the configuration, as shown in tables: "adam, lr=0.001"
    seed: int
    params: dict  # everything experiments.training.train_run reads
    dataset: str
    keep_weights: bool = False  # store final weights and conv snapshots: later sections read them

    @property
    def run_id(self) -> str:
        return f"{self.section}/{self.label}/seed={self.seed}"


def format_rate(value: float) -> str:
    return f"{value:g}"


def cnn_runs(config: dict) -> list[RunSpec]:
    section = config["cnn"]
    budget = {k: section[k] for k in ("epochs", "batch_size", "samples_per_epoch", "test_samples")}
    budget["curve_test_samples"] = section["test_samples"]  # 1,000 test images: all of them every epoch
    return [RunSpec("cnn", f"{optimizer}, lr={format_rate(rate)}", seed,
                    {"model": "lenet5", "optimizer": optimizer, "learning_rate": rate, **budget}, "cifar10",
                    keep_weights=True)
            for optimizer in section["optimizers"] for rate in section["learning_rates"]
            for seed in section["seeds"]]


def _rnn_budget(config: dict) -> dict:
    section = config["rnn"]
    return {k: section[k] for k in ("epochs", "batch_size", "samples_per_epoch", "test_samples", "curve_test_samples")}


def rnn_runs(config: dict) -> list[RunSpec]:
    section = config["rnn"]
    return [RunSpec("rnn", f"{cell}, {hidden} units", seed,
                    {"model": "rnn", "cell": cell, "hidden_size": hidden, "optimizer": "adam",
                     "learning_rate": section["learning_rate"], **_rnn_budget(config)}, "mnist")
            for cell in section["cells"] for hidden in section["hidden_sizes"]
            for seed in section["seeds"]]


def cnn_mnist_runs(config: dict) -> list[RunSpec]:
    """LeNet5 on MNIST with the RNN section's budget and seeds, for a fair comparison."""
    compare = config["compare"]
    label = f"lenet5, {compare['optimizer']}, lr={format_rate(compare['learning_rate'])}"
    return [RunSpec("cnn_mnist", label, seed,
                    {"model": "lenet5", "optimizer": compare["optimizer"],
                     "learning_rate": compare["learning_rate"], **_rnn_budget(config)}, "mnist")
            for seed in config["rnn"]["seeds"]]


@lru_cache(maxsize=1)
def training_code_hash() -> str:
    """Changes when the code that trains a model changes, so old results become stale."""
    package = resources.files("experiments")
    sources = [package.joinpath(name).read_text(encoding="utf-8") for name in ("models.py", "training.py")]
    return make_key("training-code", sources)


def run_key(spec: RunSpec, data_checksum: str) -> str:
    return make_key("run", spec.section, spec.params, spec.seed, data_checksum, training_code_hash())


def run_state(store: Store, spec: RunSpec, key: str, older: dict | None = None) -> tuple[str, object]:
    """(state, Stored or None). stale: a result of this run exists, but under another key.

    older maps run_id → a stored record of that run (see index_by_run); without it a missing
    run is reported missing, never stale.
    """
    try:
        stored = store.load(spec.section, key)
    except CorruptResult:
        return CORRUPT, None
    if stored is not None:
        return stored.state, stored
    if older and spec.run_id in older:
        return STALE, older[spec.run_id]
    return MISSING, None


def index_by_run(store: Store, sections) -> dict:
    """run_id → newest stored record of that run, over the given store sections (one scan)."""
    index = {}
    for section in sections:
        for stored in store.records(section):
            run_id = stored.record.get("run_id")
            if run_id and (run_id not in index or stored.record["created"] > index[run_id].record["created"]):
                index[run_id] = stored
    return index

