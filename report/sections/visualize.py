"""Section 2: inside the trained LeNet5 — filters, feature maps, activation statistics."""
from __future__ import annotations

import numpy as np

from experiments.data import CIFAR_CLASS_NAMES

from ..results import trained_lenet
from experiments.visualize import SATURATED

from ..stats.claims import observation

TITLE = "Inside the trained network"
READS = ("cnn",)
ANALYSIS_CODE = ("experiments.visualize", "experiments.models", "report.results.trained_lenet",
                 "report.stats.summary", "report.stats.statistics")  # these pick the network shown


def runs(config: dict) -> list:
    return []


def _strongest_input_slice(kernel: np.ndarray) -> np.ndarray:
    """A conv kernel (5, 5, in, out) → (out, 5, 5): each filter at its strongest input channel."""
    strongest = np.abs(kernel).sum(axis=(0, 1)).argmax(axis=0)
    return np.stack([kernel[:, :, strongest[j], j] for j in range(kernel.shape[-1])])


def first_layer_filters(kernel: np.ndarray) -> np.ndarray:
    """conv1's kernel (5, 5, channels, out) → (out, 5, 5) for grey input, (out, 5, 5, 3) for colour:
    a colour network's first filters are shown in colour."""
    return kernel[:, :, 0, :].transpose(2, 0, 1) if kernel.shape[2] == 1 else kernel.transpose(3, 0, 1, 2)


def analyse(inputs, settings: dict):
    from experiments.network import conv_layer_names, network_of
    from experiments.visualize import activations, layer_statistics, one_image_per_class

    record = trained_lenet.best_run(inputs.records["cnn"])
    network = network_of(record["params"])
    layers = conv_layer_names(network)
    model, arrays = trained_lenet.load(inputs, record)
    x_test, y_test = trained_lenet.test_inputs(inputs, record)
    values = activations(model, x_test, layers)
    chosen = one_image_per_class(y_test, settings["images_per_class"])
    kernel1 = arrays["snapshot_conv1_kernel"]
    out = {"conv1_init": first_layer_filters(kernel1[0]), "conv1_trained": first_layer_filters(kernel1[-1]),
           "images": x_test[chosen] if x_test.shape[-1] == 3 else x_test[chosen, :, :, 0]}
    if "conv2" in layers:
        n2 = settings["conv2_filters_shown"]
        kernel2 = arrays["snapshot_conv2_kernel"]
        out["conv2_init"] = _strongest_input_slice(kernel2[0])[:n2]
        out["conv2_trained"] = _strongest_input_slice(kernel2[-1])[:n2]
    for layer, value in zip(layers, values):
        out[f"maps_{layer}"] = value[chosen][..., :settings["feature_maps_shown"]].transpose(0, 3, 1, 2)
    record_out = {"run": {"label": record["label"], "seed": record["seed"], "key": record["key"],
                          "test_accuracy": record["metrics"][-1]["test_accuracy"]},
                  "layers": layers, "activation": network["activation"],
                  "labels": y_test[chosen].tolist(), "test_images": len(x_test),
                  "statistics": {layer: layer_statistics(value, network["activation"])
                                 for layer, value in zip(layers, values)}}
    return record_out, out


def _filter_change(initial: np.ndarray, trained: np.ndarray) -> float:
    return float(np.linalg.norm(trained - initial) / max(np.linalg.norm(initial), 1e-12))


def sentences(statistics: dict, change: dict, activation: str = "relu") -> list[str]:
    out = []
    for layer, stats in statistics.items():
        maps = np.array(stats["map_zero_fraction"])
        if activation == "relu":
            dead = stats["dead_maps"]
            text = (f"After ReLU, {stats['zero_fraction']:.1%} of {layer}'s activations over the test set are exactly "
                    f"zero (mean {stats['mean']:.3f}, largest {stats['max']:.3f}); its feature maps range from "
                    f"{maps.min():.1%} to {maps.max():.1%} zeros, and "
                    + (f"{len(dead)} of {len(maps)} never fire on any test image (dead: {', '.join(map(str, dead))})."
                       if dead else f"none of its {len(maps)} maps is dead."))
        else:   # tanh: no exact zeros to count; how many activations sit in the flat tails instead
            text = (f"After tanh, {layer}'s activations over the test set have mean {stats['mean']:.3f} and standard "
                    f"deviation {stats['std']:.3f}; {stats['saturated_fraction']:.1%} of them are saturated "
                    f"(|a| > {SATURATED}), where the gradient is nearly zero.")
        out.append(text)
    layers = list(statistics)
    if activation == "relu" and len(layers) >= 2:
        sparsest = max(layers, key=lambda name: statistics[name]["zero_fraction"])
        out.append(f"{sparsest} is the {'sparser' if len(layers) == 2 else 'sparsest'} layer.")
    out.append("Training moved the filters by " + ", ".join(
        f"{value:.{0 if value >= 0.1 else 1}%} of their initial norm in {layer}" for layer, value in change.items()) + ".")
    return out


def edge_sentence(initial: np.ndarray, trained: np.ndarray) -> str:
    """The assignment's question — do the first-layer filters look like Gabor filters (edge detectors)? —
    answered by a measure, against the same measure at initialisation."""
    from experiments.visualize import EDGE_LIKE, edge_like_count

    colour = trained.ndim == 4
    if colour:   # (n, 5, 5, 3): each filter measured at its strongest colour channel
        trained, initial = (_strongest_input_slice(k.transpose(1, 2, 3, 0)) for k in (trained, initial))
    k, j, n = edge_like_count(trained), edge_like_count(initial), len(trained)
    return (f"{k} of {n} conv1 filters are edge-like by this measure (a fitted Gabor explains at least "
            f"{EDGE_LIKE:.0%} of the filter's energy{', at its strongest colour channel' if colour else ''}), "
            f"against {j} at initialisation.")


def summarize(records: dict, analysis, settings: dict) -> dict:
    record, arrays = analysis.record, analysis.arrays
    layers, activation = record["layers"], record["activation"]
    shown = [layer for layer in ("conv1", "conv2") if f"{layer}_trained" in arrays]
    change = {layer: _filter_change(arrays[f"{layer}_init"], arrays[f"{layer}_trained"]) for layer in shown}
    stats = record["statistics"]
    return {
        "run": record["run"], "arrays": arrays, "statistics": stats, "layers": layers, "activation": activation,
        "relu": activation == "relu", "colour": arrays["conv1_trained"].ndim == 4,
        "conv1_count": len(arrays["conv1_trained"]), "conv2": "conv2_trained" in arrays,
        "table": [{"layer": layer, "mean": f"{s['mean']:.4f}", "std": f"{s['std']:.4f}", "min": f"{s['min']:.4f}",
                   "max": f"{s['max']:.4f}", "zeros": f"{s['zero_fraction']:.1%}", "dead": len(s["dead_maps"]),
                   "saturated": f"{s.get('saturated_fraction', 0.0):.1%}",
                   "maps": len(s["map_zero_fraction"])} for layer, s in stats.items()],
        "claims": [observation(text) for text in sentences(stats, change, activation)]
        + [observation(edge_sentence(arrays["conv1_init"], arrays["conv1_trained"]))],
        "tables": {"activations": {
            "columns": ["layer", "mean", "std", "min", "max", "zero_fraction", "saturated_fraction", "dead_maps", "maps"],
            "rows": [[layer, s["mean"], s["std"], s["min"], s["max"], s["zero_fraction"], s.get("saturated_fraction", ""),
                      len(s["dead_maps"]), len(s["map_zero_fraction"])] for layer, s in stats.items()]}},
        "classes": ", ".join(CIFAR_CLASS_NAMES[k] for k in record["labels"]),
        "maps_shown": ", ".join(f"{arrays[f'maps_{layer}'].shape[1]} of {layer}" for layer in layers), "conv2_shown": len(arrays["conv2_trained"]) if "conv2_trained" in arrays else 0,
        "conv2_total": len(stats["conv2"]["map_zero_fraction"]) if "conv2" in stats else 0,
        "test_images": record["test_images"],
    }


def _to_side(maps: np.ndarray, side: int) -> np.ndarray:
    """Feature maps (k, s, s) resized to side×side by nearest neighbour, to stand beside the image."""
    index = np.arange(side) * maps.shape[-1] // side
    return maps[:, index][:, :, index]


def figures(summary: dict) -> dict[str, bytes]:
    from ..output import figures as draw

    arrays = summary["arrays"]
    conv1_init, conv1_trained = draw.shared_scale(arrays["conv1_init"], arrays["conv1_trained"])
    cols1 = min(8, len(conv1_init))
    images = arrays["images"]
    side = images.shape[1]
    channel_axis = () if images.ndim == 3 else (3,)
    gap = np.full((side, 3, *(3,) * len(channel_axis)), np.nan)

    def grey(tile):   # a map beside a colour image: the same grey in each channel
        return np.repeat(tile[..., None], 3, axis=-1) if channel_axis else tile

    # one row per image: the input, then each conv layer's first maps (resized to the image's side)
    rows = []
    for i in range(len(images)):
        parts = [draw.mosaic(images[i][None, None])]
        for layer in summary["layers"]:
            parts += [gap, grey(draw.mosaic(_to_side(arrays[f"maps_{layer}"][i], side)[None]))]
        rows.append(np.concatenate(parts, axis=1))
    feature_maps = np.concatenate([np.concatenate([row, np.full((3, *row.shape[1:]), np.nan)]) for row in rows])
    out = {
        "conv1_filters": draw.image_panels(
            [("conv1 at initialisation", draw.filter_mosaic(conv1_init, cols1, normalise=False)),
             ("conv1 trained", draw.filter_mosaic(conv1_trained, cols1, normalise=False))], cmap="gray",
            height=1.0 + 0.5 * -(-len(conv1_init) // cols1), vmin=0, vmax=1),
        "feature_maps": draw.image_panels(
            [("input | " + " | ".join(f"{layer} maps" for layer in summary["layers"]), feature_maps)], width=7.5,
            height=0.55 * len(images) + 0.6),
        "histograms": draw.histograms(
            [(f"{layer} activations", np.array(s["histogram_counts"]), np.array(s["histogram_edges"]))
             for layer, s in summary["statistics"].items()],
            x_label="activation (non-zero values)" if summary["relu"] else "activation"),
    }
    if summary["conv2"]:
        conv2_init, conv2_trained = draw.shared_scale(arrays["conv2_init"], arrays["conv2_trained"])
        n2 = summary["conv2_shown"]
        cols2 = min(8, n2)
        out["conv2_filters"] = draw.image_panels(
            [("conv2 at initialisation", draw.filter_mosaic(conv2_init, cols2, normalise=False)),
             ("conv2 trained", draw.filter_mosaic(conv2_trained, cols2, normalise=False))],
            cmap="gray", height=1.0 + 0.5 * -(-n2 // cols2), vmin=0, vmax=1)
    return out
