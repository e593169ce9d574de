"""Training runs as plain data: what each section trains, the key of each run, and its state."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..stats.states import CORRUPT, MISSING, STALE
from .store import CorruptResult, Store, make_key


@dataclass(frozen=True)
class RunSpec:
    section: str  # the report section that owns it, and its store folder
    label: str    # the configuration, as shown in tables: "adam, lr=0.001"
    seed: int
    params: dict  # everything experiments.training.train_run reads
    dataset: str
    keep_weights: bool = False  # store final weights and conv snapshots: later sections read them
    code: str | None = None     # a user's section module (a file): its model builder and data loader
    code_sha256: str | None = None   # that file's content when the run was planned: its key, and what trains

    @property
    def run_id(self) -> str:
        return f"{self.section}/{self.label}/seed={self.seed}"


def optimizer_label(params: dict) -> str:
    """How a configuration's optimizer is named in labels: 'adam', 'momentum 0.9', 'rmsprop, momentum 0.5'."""
    name = params["optimizer"]
    if "momentum" not in params:
        return name
    return f"momentum {params['momentum']:g}" if name == "momentum" else f"{name}, momentum {params['momentum']:g}"


def optimizer_grid(section: dict) -> list[dict]:
    """Each optimizer of a config table with each momentum value where one applies (momentum,
    nesterov, rmsprop); the others once, with no momentum in their params: no duplicate runs."""
    from experiments.names import TAKES_MOMENTUM

    return [{"optimizer": name, **({"momentum": m} if name in TAKES_MOMENTUM else {})}
            for name in section["optimizers"]
            for m in (section["momentum"] if name in TAKES_MOMENTUM else [None])]


def cifar10_dataset(config: dict) -> str:
    """The CIFAR10 the config asks for, by the dataset name that says which images (experiments/data.py)."""
    data = config["data"]
    if data["cifar10"] == "course":
        return "cifar10"
    from experiments.data import rgb_name

    return rgb_name(data["train_per_class"] or None, data["test_per_class"] or None)


def cnn_input_side(config: dict) -> int:
    return 32 if config["data"]["cifar10"] == "rgb" else 28


def cnn_input(config: dict) -> dict:
    """The input shape as a run parameter: only when it is not 28×28 grey, so those runs keep their keys."""
    return {"input_shape": [32, 32, 3]} if config["data"]["cifar10"] == "rgb" else {}


def network_grid(table: dict) -> list[tuple[dict, str]]:
    """Every network a [cnn] table names (the product of its axes), each with the words its labels
    add: the settings that vary over the grid ('dropout 0', 'fc 120/84, tanh'); '' for one network."""
    import itertools

    from experiments.network import NETWORK_KEYS, alternatives, setting_label

    axes = {key: alternatives(key, table[key]) for key in NETWORK_KEYS}
    varying = [key for key in NETWORK_KEYS if len(axes[key]) > 1]
    grid = []
    for values in itertools.product(*axes.values()):
        network = dict(zip(NETWORK_KEYS, values))
        grid.append((network, ", ".join(setting_label(key, network[key]) for key in varying)))
    return grid


def format_rate(value: float) -> str:
    return f"{value:g}"


def with_precision(precision: str) -> dict:
    """The precision as a run parameter: only when it is not float32, so float32 runs keep their keys."""
    return {} if precision == "float32" else {"precision": precision}


def precision_label(precision: str) -> str:
    return "" if precision == "float32" else f", {precision}"


def seeded(section: str, configurations: list[tuple[str, dict]], seeds: list[int], dataset: str,
           keep_weights: bool = False) -> list[RunSpec]:
    """One run per (label, params) configuration and seed, configuration by configuration."""
    return [RunSpec(section, label, seed, params, dataset, keep_weights)
            for label, params in configurations for seed in seeds]


@lru_cache(maxsize=1)
def training_code_hash() -> str:
    """Changes when any code a run imports changes (every module of experiments/: models, training,
    data, sizes, …), so old results become stale."""
    package = resources.files("experiments")
    sources = sorted((entry.name, entry.read_text(encoding="utf-8")) for entry in package.iterdir()
                     if entry.name.endswith(".py"))
    return make_key("training-code", sources)


@lru_cache(maxsize=1)
def framework_versions() -> dict[str, str]:
    """The versions that compute a run's numbers. Part of every key: an upgrade of TensorFlow, Keras
    or NumPy makes the stored runs stale (status says so) and the next build retrains them. Read
    from the packages' metadata: importing TensorFlow here would cost seconds."""
    from importlib import metadata

    versions = {}
    for name in ("tensorflow", "keras", "numpy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def run_key(spec: RunSpec, data_checksum: str) -> str:
    """Everything that decides a run's numbers: its section, params and seed, the data, the code,
    the framework versions, and the thread count (sums in another order round differently)."""
    from experiments.training import THREADS_PER_RUN

    parts = [spec.section, spec.params, spec.seed, data_checksum, training_code_hash(), framework_versions(),
             THREADS_PER_RUN]
    if spec.code:   # a user's section: its module builds the model, so its source decides the numbers too
        from experiments.files import file_sha256

        parts.append(spec.code_sha256 or file_sha256(spec.code))
    return make_key("run", *parts)


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

