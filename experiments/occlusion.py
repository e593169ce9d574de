"""Zeiler & Fergus's occlusion experiment: how the true class's probability drops under a grey square."""
from __future__ import annotations

import numpy as np


def occlusion_map(model, image: np.ndarray, label: int, patch: int, grey: float, stride: int = 1) -> np.ndarray:
    """Probability of `label` with a patch×patch square of value `grey` centred on each position.

    image: (H, W, C) float32. Returns (H // stride, W // stride).
    """
    import tensorflow as tf

    side_h, side_w = image.shape[:2]
    centres = [(r, c) for r in range(0, side_h, stride) for c in range(0, side_w, stride)]
    batch = np.repeat(image[None], len(centres), axis=0)
    half = patch // 2
    for index, (r, c) in enumerate(centres):
        batch[index, max(0, r - half): r - half + patch, max(0, c - half): c - half + patch] = grey
    probabilities = tf.nn.softmax(model.predict(batch, batch_size=256, verbose=0)).numpy()
    return probabilities[:, label].reshape(len(range(0, side_h, stride)), len(range(0, side_w, stride)))
