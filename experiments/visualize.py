"""What the trained LeNet5 computes: activations of its conv layers and their statistics."""
from __future__ import annotations

import numpy as np

CONV_LAYERS = ("conv1", "conv2")
HISTOGRAM_BINS = 40


def activation_model(model, layer_names=CONV_LAYERS):
    import keras

    return keras.Model(model.inputs, [model.get_layer(name).output for name in layer_names])


def activations(model, images: np.ndarray, layer_names=CONV_LAYERS, batch_size: int = 500) -> list[np.ndarray]:
    """Post-ReLU outputs of each named layer for every image, in batches."""
    probe = activation_model(model, layer_names)
    outputs = probe.predict(images, batch_size=batch_size, verbose=0)
    return outputs if isinstance(outputs, list) else [outputs]


def layer_statistics(values: np.ndarray) -> dict:
    """Mean, std, min, max and fraction of exact zeros over all images, positions and maps;
    per feature map the mean and zero fraction; a histogram of the non-zero values."""
    per_map = values.reshape(-1, values.shape[-1])
    nonzero = per_map[per_map > 0]
    top = float(per_map.max()) if per_map.size else 0.0
    counts, edges = np.histogram(nonzero, bins=HISTOGRAM_BINS, range=(0.0, top if top > 0 else 1.0))
    zero_fraction_per_map = (per_map == 0).mean(axis=0)
    return {
        "mean": float(per_map.mean()), "std": float(per_map.std()),
        "min": float(per_map.min()), "max": top,
        "zero_fraction": float((per_map == 0).mean()),
        "map_zero_fraction": zero_fraction_per_map.tolist(),
        # a map that is zero for every test image and position never fires: a dead filter
        "dead_maps": [int(i) for i in np.nonzero(zero_fraction_per_map == 1.0)[0]],
        "histogram_counts": counts.tolist(), "histogram_edges": edges.tolist(),
    }


def one_image_per_class(labels: np.ndarray, per_class: int) -> np.ndarray:
    """Indices of the first `per_class` images of every class, class by class."""
    return np.concatenate([np.nonzero(labels == k)[0][:per_class] for k in np.unique(labels)])
