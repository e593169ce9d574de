"""Section 2: inside the trained LeNet5 — filters, feature maps, activation statistics."""
from __future__ import annotations

import numpy as np

from experiments.data import CIFAR_CLASS_NAMES

from ..results import trained_lenet
from ..stats.claims import observation

TITLE = "Inside the trained network"
READS = ("cnn",)
ANALYSIS_CODE = ("experiments.visualize", "experiments.models", "report.results.trained_lenet",
                 "report.stats.summary", "report.stats.statistics")  # these pick the network shown


def runs(config: dict) -> list:
    return []


def _strongest_input_slice(kernel: np.ndarray) -> np.ndarray:
    """conv2 kernel (5, 5, in, out) → (out, 5, 5): each filter at its strongest input channel."""
    strongest = np.abs(kernel).sum(axis=(0, 1)).argmax(axis=0)
    return np.stack([kernel[:, :, strongest[j], j] for j in range(kernel.shape[-1])])


def analyse(inputs, settings: dict):
    from experiments.visualize import activations, layer_statistics, one_image_per_class

    record = trained_lenet.best_run(inputs.records["cnn"])
    model, arrays = trained_lenet.load(inputs, record)
    x_test, y_test = trained_lenet.test_inputs(inputs, record)
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


def _filter_change(initial: np.ndarray, trained: np.ndarray) -> float:
    return float(np.linalg.norm(trained - initial) / max(np.linalg.norm(initial), 1e-12))


def sentences(statistics: dict, change: dict) -> list[str]:
    out = []
    for layer, stats in statistics.items():
        dead = stats["dead_maps"]
        text = (f"After ReLU, {stats['zero_fraction']:.1%} of {layer}'s activations over the test set are exactly zero "
                f"(mean {stats['mean']:.3f}, largest {stats['max']:.3f}); ")
        maps = np.array(stats["map_zero_fraction"])
        text += (f"its feature maps range from {maps.min():.1%} to {maps.max():.1%} zeros, and "
                 + (f"{len(dead)} of {len(maps)} never fire on any test image (dead: {', '.join(map(str, dead))})."
                    if dead else f"none of its {len(maps)} maps is dead."))
        out.append(text)
    layers = list(statistics)
    if len(layers) == 2:
        a, b = (statistics[name]["zero_fraction"] for name in layers)
        out.append(f"{layers[1] if b > a else layers[0]} is the sparser layer.")
    out.append("Training moved the filters by " + ", ".join(
        f"{value:.0%} of their initial norm in {layer}" for layer, value in change.items()) + ".")
    return out


def edge_sentence(initial: np.ndarray, trained: np.ndarray) -> str:
    """The assignment's question — do the first-layer filters look like Gabor filters (edge detectors)? —
    answered by a measure, against the same measure at initialisation."""
    from experiments.visualize import EDGE_LIKE, edge_like_count

    k, j, n = edge_like_count(trained), edge_like_count(initial), len(trained)
    return (f"{k} of {n} conv1 filters are edge-like by this measure (a fitted Gabor explains at least "
            f"{EDGE_LIKE:.0%} of the filter's energy), against {j} at initialisation.")


def summarize(records: dict, analysis, settings: dict) -> dict:
    record, arrays = analysis.record, analysis.arrays
    change = {layer: _filter_change(arrays[f"{layer}_init"], arrays[f"{layer}_trained"]) for layer in ("conv1", "conv2")}
    stats = record["statistics"]
    return {
        "run": record["run"], "arrays": arrays, "statistics": stats,
        "table": [{"layer": layer, "mean": f"{s['mean']:.4f}", "std": f"{s['std']:.4f}", "min": f"{s['min']:.4f}",
                   "max": f"{s['max']:.4f}", "zeros": f"{s['zero_fraction']:.1%}", "dead": len(s["dead_maps"]),
                   "maps": len(s["map_zero_fraction"])} for layer, s in stats.items()],
        "claims": [observation(text) for text in sentences(stats, change)]
        + [observation(edge_sentence(arrays["conv1_init"], arrays["conv1_trained"]))],
        "tables": {"activations": {
            "columns": ["layer", "mean", "std", "min", "max", "zero_fraction", "dead_maps", "maps"],
            "rows": [[layer, s["mean"], s["std"], s["min"], s["max"], s["zero_fraction"], len(s["dead_maps"]),
                      len(s["map_zero_fraction"])] for layer, s in stats.items()]}},
        "classes": ", ".join(CIFAR_CLASS_NAMES[k] for k in record["labels"]),
        "maps_shown": arrays["maps_conv1"].shape[1], "conv2_shown": len(arrays["conv2_trained"]),
        "test_images": record["test_images"],
    }


def figures(summary: dict) -> dict[str, bytes]:
    from ..output import figures as draw

    arrays = summary["arrays"]
    conv1_init, conv1_trained = draw.shared_scale(arrays["conv1_init"], arrays["conv1_trained"])
    conv2_init, conv2_trained = draw.shared_scale(arrays["conv2_init"], arrays["conv2_trained"])
    n2 = summary["conv2_shown"]
    cols2 = min(8, n2)
    images, maps1, maps2 = arrays["images"], arrays["maps_conv1"], arrays["maps_conv2"]
    gap = np.full((28, 3), np.nan)
    # one row per image: the input, its conv1 maps, its conv2 maps (14×14, upsampled to 28×28)
    rows = [np.concatenate([draw.mosaic(images[i][None, None]), gap, draw.mosaic(maps1[i][None]), gap,
                            draw.mosaic(maps2[i].repeat(2, axis=1).repeat(2, axis=2)[None])], axis=1)
            for i in range(len(images))]
    feature_maps = np.concatenate([np.concatenate([row, np.full((3, row.shape[1]), np.nan)]) for row in rows])
    return {
        "conv1_filters": draw.image_panels(
            [("conv1 at initialisation", draw.filter_mosaic(conv1_init, 8, normalise=False)),
             ("conv1 trained", draw.filter_mosaic(conv1_trained, 8, normalise=False))], cmap="gray", vmin=0, vmax=1),
        "conv2_filters": draw.image_panels(
            [("conv2 at initialisation", draw.filter_mosaic(conv2_init, cols2, normalise=False)),
             ("conv2 trained", draw.filter_mosaic(conv2_trained, cols2, normalise=False))],
            cmap="gray", height=1.0 + 0.5 * -(-n2 // cols2), vmin=0, vmax=1),
        "feature_maps": draw.image_panels(
            [("input | conv1 maps | conv2 maps (upsampled ×2)", feature_maps)], width=7.5,
            height=0.55 * len(images) + 0.6),
        "histograms": draw.histograms(
            [(f"{layer} activations", np.array(s["histogram_counts"]), np.array(s["histogram_edges"]))
             for layer, s in summary["statistics"].items()]),
    }
