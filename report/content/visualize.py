"""Section 2: inside the trained LeNet5 — filters, feature maps, activation statistics."""
from __future__ import annotations

import numpy as np

from experiments.data import CIFAR_CLASS_NAMES

from .. import figures
from ..pipeline import analysis_result


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


def build(ws, sink) -> dict:
    stored = analysis_result(ws, "visualize", compute_if_missing=False)
    record, arrays = stored.record, ws.store.load_arrays(stored)
    n2 = len(arrays["conv2_trained"])
    cols2 = min(8, n2)
    rows2 = -(-n2 // cols2)

    def grid(filters, cols):
        rows = -(-len(filters) // cols)
        padded = np.concatenate([filters, np.zeros((rows * cols - len(filters),) + filters.shape[1:])]) if rows * cols > len(filters) else filters
        return figures.mosaic(padded.reshape(rows, cols, *filters.shape[1:]))

    change = {"conv1": _filter_change(arrays["conv1_init"], arrays["conv1_trained"]),
              "conv2": _filter_change(arrays["conv2_init"], arrays["conv2_trained"])}
    images, maps1, maps2 = arrays["images"], arrays["maps_conv1"], arrays["maps_conv2"]
    gap = np.full((28, 3), np.nan)
    # one row per image: the input, its conv1 maps, its conv2 maps (14×14, upsampled to 28×28)
    rows = [np.concatenate([figures.mosaic(images[i][None, None]), gap, figures.mosaic(maps1[i][None]), gap,
                            figures.mosaic(maps2[i].repeat(2, axis=1).repeat(2, axis=2)[None])], axis=1)
            for i in range(len(images))]
    feature_maps = np.concatenate([np.concatenate([row, np.full((3, row.shape[1]), np.nan)]) for row in rows])
    stats = record["statistics"]
    return {
        "run": record["run"],
        "filters_conv1": sink.add("visualize_conv1_filters", figures.image_panels(
            [("conv1 at initialisation", grid(arrays["conv1_init"], 8)), ("conv1 trained", grid(arrays["conv1_trained"], 8))],
            cmap="gray")),
        "filters_conv2": sink.add("visualize_conv2_filters", figures.image_panels(
            [("conv2 at initialisation", grid(arrays["conv2_init"], cols2)), ("conv2 trained", grid(arrays["conv2_trained"], cols2))],
            cmap="gray", height=1.0 + 0.5 * rows2)),
        "feature_maps": sink.add("visualize_feature_maps", figures.image_panels(
            [("input | conv1 maps | conv2 maps (upsampled ×2)", feature_maps)], width=7.5,
            height=0.55 * len(images) + 0.6)),
        "histograms": sink.add("visualize_histograms", figures.histograms(
            [(f"{layer} activations", np.array(s["histogram_counts"]), np.array(s["histogram_edges"]))
             for layer, s in stats.items()])),
        "table": [{"layer": layer, "mean": f"{s['mean']:.4f}", "std": f"{s['std']:.4f}", "min": f"{s['min']:.4f}",
                   "max": f"{s['max']:.4f}", "zeros": f"{s['zero_fraction']:.1%}", "dead": len(s["dead_maps"]),
                   "maps": len(s["map_zero_fraction"])} for layer, s in stats.items()],
        "sentences": sentences(stats, change),
        "classes": ", ".join(CIFAR_CLASS_NAMES[k] for k in record["labels"]),
        "maps_shown": maps1.shape[1], "conv2_shown": n2, "test_images": record["test_images"],
        "analysis_key": stored.key,
    }
