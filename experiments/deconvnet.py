"""Zeiler & Fergus's deconvnet: project one feature-map activation back to pixel space.

The network below the chosen layer must be a stack of Conv2D (odd kernel, stride 1, "same" or
"valid" padding, ReLU or tanh) and MaxPooling2D(2) layers; whatever follows that layer is ignored.
Going down, each max-pool is undone by unpooling with the switches recorded in the forward
pass, each conv by rectifying the signal and filtering it with the transposed filters (no
biases): Zeiler & Fergus (2014), section 2.1. The rectification is always a ReLU, as in the paper;
on a tanh network that is not the network's own non-linearity (the report says so).
"""
from __future__ import annotations

import numpy as np


def conv_stack(model, layer_name: str) -> list:
    """The model's layers from its input up to and including layer_name, checked for the rules above."""
    import keras

    if layer_name not in [layer.name for layer in model.layers]:
        raise ValueError(f"the model has no layer {layer_name!r}")
    stack = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.layers.Conv2D):
            kernel = layer.kernel_size
            if (layer.strides != (1, 1) or layer.padding not in ("same", "valid") or kernel[0] % 2 == 0
                    or kernel[1] % 2 == 0 or layer.dilation_rate != (1, 1)
                    or layer.activation not in (keras.activations.relu, keras.activations.tanh)):
                raise ValueError(f"layer {layer.name}: the deconvnet needs Conv2D with an odd kernel, "
                                 "stride 1, 'same' or 'valid' padding and ReLU or tanh")
        elif isinstance(layer, keras.layers.MaxPooling2D):
            if layer.pool_size != (2, 2) or layer.strides != (2, 2) or layer.padding != "valid":
                raise ValueError(f"layer {layer.name}: the deconvnet needs MaxPooling2D(2)")
        else:
            raise ValueError(f"layer {layer.name} ({type(layer).__name__}) comes before {layer_name!r}; "
                             "the deconvnet handles only Conv2D and MaxPooling2D below the projected layer")
        stack.append(layer)
        if layer.name == layer_name:
            return stack
    raise ValueError(f"the model has no layer {layer_name!r}")


def pool_switches(x: np.ndarray) -> np.ndarray:
    """For each 2×2 window of x (N, H, W, C): which of its 4 cells held the maximum (0..3)."""
    n, h, w, c = x.shape
    windows = x[:, : h // 2 * 2, : w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c)
    return windows.transpose(0, 1, 3, 5, 2, 4).reshape(n, h // 2, w // 2, c, 4).argmax(axis=-1)


def unpool(signal: np.ndarray, switches: np.ndarray, shape: tuple) -> np.ndarray:
    """Place each value at the position its switch names; everything else is zero."""
    n, hp, wp, c = signal.shape
    cells = np.zeros((n, hp, wp, c, 4), dtype=signal.dtype)
    np.put_along_axis(cells, switches[..., None], signal[..., None], axis=-1)
    out = np.zeros(shape, dtype=signal.dtype)
    out[:, : hp * 2, : wp * 2] = cells.reshape(n, hp, wp, c, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(n, hp * 2, wp * 2, c)
    return out


def transposed_filter(signal: np.ndarray, kernel: np.ndarray, padding: str = "same") -> np.ndarray:
    """Filter with the transposed filters of a stride-1 convolution (its input gradient): 'same' keeps
    the side, 'valid' widens it by the kernel's side less one, back to the convolution's input."""
    import tensorflow as tf

    n, h, w, _ = signal.shape
    grow = 0 if padding == "same" else kernel.shape[0] - 1
    return tf.nn.conv2d_transpose(signal.astype(np.float32), kernel.astype(np.float32),
                                  output_shape=(n, h + grow, w + grow, kernel.shape[2]), strides=1,
                                  padding=padding.upper()).numpy()


def forward(stack, images: np.ndarray):
    """Activations after every layer, and the switches of every pool."""
    outputs, switches = [], {}
    x = images.astype(np.float32)
    for layer in stack:
        if not hasattr(layer, "kernel"):
            switches[layer.name] = pool_switches(x)
        x = np.asarray(layer(x))
        outputs.append(x)
    return outputs, switches


def backproject(stack, signal: np.ndarray, switches: dict, input_shape: tuple) -> np.ndarray:
    """Take signal (activations of the stack's last layer) down to input space."""
    for layer, below in zip(reversed(stack), reversed(_input_shapes(stack, input_shape))):
        if hasattr(layer, "kernel"):
            signal = transposed_filter(np.maximum(signal, 0), np.asarray(layer.kernel), layer.padding)
        else:
            signal = unpool(signal, switches[layer.name], below)
    return signal


def _input_shapes(stack, input_shape: tuple) -> list[tuple]:
    """The shape entering each layer of the stack."""
    shapes, (n, h, w, c) = [], input_shape
    for layer in stack:
        shapes.append((n, h, w, c))
        if hasattr(layer, "kernel"):
            c = layer.filters
            if layer.padding == "valid":
                h, w = h - layer.kernel_size[0] + 1, w - layer.kernel_size[1] + 1
        else:
            h, w = h // 2, w // 2
    return shapes


def strongest(activations: np.ndarray, channel: int) -> np.ndarray:
    """Keep only each image's strongest activation of one feature map; zero everything else."""
    n = activations.shape[0]
    flat = activations[..., channel].reshape(n, -1)
    where = flat.argmax(axis=1)
    kept = np.zeros_like(activations)
    rows, cols = np.unravel_index(where, activations.shape[1:3])
    kept[np.arange(n), rows, cols, channel] = flat[np.arange(n), where]
    return kept


def keep_at(activations: np.ndarray, channel: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Keep only the activation of one feature map at one given position per image; zero everything else."""
    n = activations.shape[0]
    kept = np.zeros_like(activations)
    kept[np.arange(n), rows, cols, channel] = activations[np.arange(n), rows, cols, channel]
    return kept


def project(model, layer_name: str, images: np.ndarray, channel: int, positions=None) -> np.ndarray:
    """One activation of feature map `channel` in `layer_name` per image, in pixel space: the image's
    strongest, or the one at positions = (rows, cols), one position per image.

    images: (N, H, W, C) float32. Returns an array of the images' shape.
    """
    stack = conv_stack(model, layer_name)
    outputs, switches = forward(stack, images)
    if not 0 <= channel < outputs[-1].shape[-1]:
        raise ValueError(f"layer {layer_name} has {outputs[-1].shape[-1]} feature maps; no channel {channel}")
    kept = strongest(outputs[-1], channel) if positions is None else keep_at(outputs[-1], channel, *positions)
    return backproject(stack, kept, switches, images.shape)


def field_bounds(stack, row: int, col: int) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), inclusive, of the input pixels that can affect output position
    (row, col) of the stack's last layer; outside 0…side−1 where the field reaches into the padding."""
    top, bottom, left, right = row, row, col, col
    for layer in reversed(stack):
        if hasattr(layer, "kernel"):
            half = layer.kernel_size[0] // 2
            if layer.padding == "valid":   # output r reads input r … r + kernel − 1: no offset, no padding
                top, bottom, left, right = top, bottom + 2 * half, left, right + 2 * half
            else:
                top, bottom, left, right = top - half, bottom + half, left - half, right + half
        else:
            top, bottom, left, right = 2 * top, 2 * bottom + 1, 2 * left, 2 * right + 1
    return top, bottom, left, right


def receptive_field(stack, row: int, col: int, side: int) -> tuple[slice, slice]:
    """Input rows and columns that can affect output position (row, col), clipped to the image."""
    top, bottom, left, right = field_bounds(stack, row, col)
    return slice(max(0, top), min(side, bottom + 1)), slice(max(0, left), min(side, right + 1))


def inside_positions(stack, height: int, width: int, side: int) -> np.ndarray:
    """(height, width) bool: output positions whose whole receptive field lies inside a side×side
    image, so that the zero padding at the border plays no part in their activation."""
    inside = np.zeros((height, width), dtype=bool)
    for row in range(height):
        for col in range(width):
            top, bottom, left, right = field_bounds(stack, row, col)
            inside[row, col] = top >= 0 and left >= 0 and bottom < side and right < side
    return inside
