"""What the visualize and deconvnet analyses read: the best stored CIFAR10 LeNet5 and its test images.

`inputs` is the AnalysisInputs (results.workspace) a section's analysis is handed."""
from __future__ import annotations

import numpy as np

from ..errors import Unavailable
from ..stats.summary import best, best_seed_record, by_config


def best_run(cnn_records: list[dict]) -> dict:
    """The best seed of the best configuration of the CIFAR10 grid."""
    top = best(by_config(cnn_records))
    if top is None:
        states = sorted({r["state"] for r in cnn_records})
        raise Unavailable(f"No CIFAR10 LeNet5 run trained to the end (the grid's {len(cnn_records)} runs: "
                          f"{', '.join(states)}), so there is no trained network to show here.")
    return best_seed_record(top)


def load(inputs, record: dict, snapshot_epoch: int | None = None):
    """The stored LeNet5 of a run, built from the run's own network settings; with snapshot_epoch, its
    conv layers as they were after that epoch."""
    from experiments.models import build_model
    from experiments.network import conv_layer_names, network_of

    arrays = inputs.arrays("cnn", record)
    model = build_model(record["params"])
    model.set_weights([arrays[name] for name in sorted(arrays) if name.startswith("weight_")])
    if snapshot_epoch is not None:
        for layer in conv_layer_names(network_of(record["params"])):
            model.get_layer(layer).set_weights([arrays[f"snapshot_{layer}_kernel"][snapshot_epoch],
                                                arrays[f"snapshot_{layer}_bias"][snapshot_epoch]])
    return model, arrays


def test_inputs(inputs, record: dict) -> tuple[np.ndarray, np.ndarray]:
    """The run's test images as the network reads them, and their labels."""
    from experiments.training import fixed_test_subset, to_inputs

    dataset = inputs.dataset(record["dataset"])
    rows = fixed_test_subset(dataset, record["params"]["test_samples"])
    return to_inputs(dataset.x_test[rows], "lenet5"), dataset.y_test[rows]
