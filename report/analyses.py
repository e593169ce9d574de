"""Cached computations over the best CIFAR10 LeNet5: the visualize and deconvnet sections.

Each analysis is stored like a training run, keyed by its settings, the best run's key and
its own code, so `mkreport deconvnet` with the CNN section stored trains nothing and, when
nothing changed, computes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Callable

import numpy as np

from .store import make_key
from .summary import best, best_seed_record, summarize


@dataclass(frozen=True)
class Analysis:
    compute: Callable          # (ws, inputs) -> (record, arrays)
    modules: tuple[str, ...]   # experiments/ files whose code determines the result

    def inputs(self, ws) -> dict:
        records = ws.run_records("cnn")
        top = best(summarize(records))
        if top is None:
            from .errors import MkreportError

            raise MkreportError("no CIFAR10 LeNet5 run finished; the network sections need one")
        record = best_seed_record(top)
        return {"key_parts": record["key"], "record": record}

    def code_hash(self) -> str:
        package = resources.files("experiments")
        return make_key("analysis-code", [package.joinpath(m).read_text(encoding="utf-8") for m in self.modules])


def trained_lenet(ws, record: dict, snapshot_epoch: int | None = None):
    """The stored LeNet5 of a run; with snapshot_epoch, its conv layers as they were after that epoch."""
    from experiments.models import build_lenet5

    arrays = ws.store.load_arrays(ws.store.load("cnn", record["key"]))
    model = build_lenet5()
    model.set_weights([arrays[name] for name in sorted(arrays) if name.startswith("weight_")])
    if snapshot_epoch is not None:
        for layer in ("conv1", "conv2"):
            model.get_layer(layer).set_weights([arrays[f"snapshot_{layer}_kernel"][snapshot_epoch],
                                                arrays[f"snapshot_{layer}_bias"][snapshot_epoch]])
    return model, arrays


def _test_inputs(ws, record):
    from experiments.training import fixed_test_subset, to_inputs

    dataset = ws.dataset("cifar10")
    rows = fixed_test_subset(dataset, record["params"]["test_samples"])
    return to_inputs(dataset.x_test[rows], "lenet5"), dataset.y_test[rows]


def _strongest_input_slice(kernel: np.ndarray) -> np.ndarray:
    """conv2 kernel (5, 5, in, out) → (out, 5, 5): each filter at its strongest input channel."""
    strongest = np.abs(kernel).sum(axis=(0, 1)).argmax(axis=0)
    return np.stack([kernel[:, :, strongest[j], j] for j in range(kernel.shape[-1])])


def compute_visualize(ws, inputs):
    from experiments.visualize import activations, layer_statistics, one_image_per_class

    settings, record = ws.config["visualize"], inputs["record"]
    model, arrays = trained_lenet(ws, record)
    x_test, y_test = _test_inputs(ws, record)
    conv1, conv2 = activations(model, x_test)
    chosen = one_image_per_class(y_test, settings["images_per_class"])
    shown = settings["feature_maps_shown"]
    kernel1, kernel2 = arrays["snapshot_conv1_kernel"], arrays["snapshot_conv2_kernel"]
    n2 = settings["conv2_filters_shown"]
    out = {
        "conv1_init": kernel1[0][:, :, 0, :].transpose(2, 0, 1), "conv1_trained": kernel1[-1][:, :, 0, :].transpose(2, 0, 1),
        "conv2_init": _strongest_input_slice(kernel2[0])[:n2], "conv2_trained": _strongest_input_slice(kernel2[-1])[:n2],
        "images": x_test[chosen, :, :, 0],
        "maps_conv1": conv1[chosen][..., :shown].transpose(0, 3, 1, 2),
        "maps_conv2": conv2[chosen][..., :shown].transpose(0, 3, 1, 2),
    }
    record_out = {"run": {"label": record["label"], "seed": record["seed"], "key": record["key"],
                          "test_accuracy": record["metrics"][-1]["test_accuracy"]},
                  "labels": y_test[chosen].tolist(), "test_images": len(x_test),
                  "statistics": {"conv1": layer_statistics(conv1), "conv2": layer_statistics(conv2)}}
    return record_out, out


def _crop(image: np.ndarray, rows: slice, cols: slice, side: int) -> np.ndarray:
    """The receptive field's part of image, zero-padded to side×side where it meets the border."""
    patch = np.zeros((side, side), dtype=np.float32)
    part = image[rows, cols]
    patch[: part.shape[0], : part.shape[1]] = part
    return patch


def _field_side(stack) -> int:
    from experiments.deconvnet import receptive_field

    rows, _ = receptive_field(stack, 10, 10, 10_000)
    return rows.stop - rows.start


def _project_top(model, layer: str, x, activations, channel: int, count: int):
    """The `count` images that excite a map most: projections and image patches, cropped alike."""
    from experiments.deconvnet import conv_stack, project, receptive_field

    stack = conv_stack(model, layer)
    side = _field_side(stack)
    strength = activations[..., channel].reshape(len(x), -1).max(axis=1)
    top = np.argsort(-strength, kind="stable")[:count]
    projections = project(model, layer, x[top], channel)[..., 0]
    crops, patches = [], []
    for index, image in zip(top, projections):
        flat = activations[index, :, :, channel].argmax()
        row, col = np.unravel_index(flat, activations.shape[1:3])
        rows, cols = receptive_field(stack, row, col, x.shape[1])
        crops.append(_crop(image, rows, cols, side))
        patches.append(_crop(x[index, :, :, 0], rows, cols, side))
    return top, np.stack(crops), np.stack(patches)


def compute_deconvnet(ws, inputs):
    from experiments.deconvnet import conv_stack, forward
    from experiments.occlusion import occlusion_map
    from experiments.visualize import one_image_per_class

    settings, record = ws.config["deconvnet"], inputs["record"]
    model, arrays = trained_lenet(ws, record)
    x_test, y_test = _test_inputs(ws, record)
    outputs = forward(conv_stack(model, "pool2"), x_test)[0]
    pooled = {"pool1": outputs[1], "pool2": outputs[3]}
    out, chosen_maps = {}, {}
    for layer, values in pooled.items():
        # the maps that fire most strongly; dead maps would project to nothing
        order = np.argsort(-values.reshape(-1, values.shape[-1]).max(axis=0), kind="stable")
        maps = order[: settings["feature_maps"]]
        chosen_maps[layer] = maps.tolist()
        tops, crops, patches = zip(*(_project_top(model, layer, x_test, values, int(c), settings["top_images"])
                                     for c in maps))
        out[f"{layer}_projections"], out[f"{layer}_patches"] = np.stack(crops), np.stack(patches)
        out[f"{layer}_images"] = np.stack(tops)

    occluded = one_image_per_class(y_test, 1)[: settings["occlusion_images"]]
    grey = float(ws.dataset("cifar10").x_train.mean() / 255.0)
    out["occlusion_images"] = x_test[occluded, :, :, 0]
    out["occlusion_maps"] = np.stack([occlusion_map(model, x_test[i], int(y_test[i]), settings["occlusion_patch"], grey)
                                      for i in occluded])
    probabilities = model.predict(x_test[occluded], verbose=0)

    evolution_maps = chosen_maps["pool2"][: settings["evolution_maps"]]
    epochs = arrays["snapshot_conv1_kernel"].shape[0]
    frames = []
    for epoch in range(epochs):
        snapshot, _ = trained_lenet(ws, record, snapshot_epoch=epoch)
        # the conv stack run eagerly: no predict function to trace for each snapshot
        values = forward(conv_stack(snapshot, "pool2"), x_test)[0][-1]
        frames.append(np.stack([_project_top(snapshot, "pool2", x_test, values, c, 1)[1][0] for c in evolution_maps]))
    out["evolution"] = np.stack(frames, axis=1)  # (maps, epochs, side, side)

    import tensorflow as tf

    true_probability = tf.nn.softmax(probabilities).numpy()[np.arange(len(occluded)), y_test[occluded]]
    record_out = {"run": {"label": record["label"], "seed": record["seed"], "key": record["key"]},
                  "maps": chosen_maps, "evolution_maps": evolution_maps, "epochs": epochs - 1,
                  "occlusion_labels": y_test[occluded].tolist(),
                  "occlusion_unoccluded": true_probability.tolist(),
                  "occlusion_min": [float(m.min()) for m in out["occlusion_maps"]], "grey": grey}
    return record_out, out


ANALYSES = {
    "visualize": Analysis(compute_visualize, ("visualize.py", "models.py")),
    "deconvnet": Analysis(compute_deconvnet, ("deconvnet.py", "occlusion.py", "visualize.py", "models.py")),
}
