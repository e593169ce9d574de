"""LeNet5's shape as plain settings, without Keras: what a run's params may say about the network,
the size of every layer on a given input, the parameter count, a narrowed copy and a description.

A LeNet5 is: for each entry of conv_filters, a 5×5 convolution (that many feature maps) and a 2×2
max-pool; then for each entry of fc_units a dense layer followed by dropout; then 10 logits.
activation applies to every conv and dense layer; padding to every convolution. The defaults are the
assignment's TF-era network; a run's params hold a setting only where it differs from its default,
so the default network's params (and keys) stay as they were before these settings existed.
"""
from __future__ import annotations

from .data import NUM_CLASSES

KERNEL, POOL = 5, 2
DEFAULT_NETWORK = {"conv_filters": [32, 64], "fc_units": [1024], "activation": "relu", "padding": "same",
                   "dropout": 0.5}
NETWORK_KEYS = tuple(DEFAULT_NETWORK)
ACTIVATIONS = ("relu", "tanh")
PADDINGS = ("same", "valid")
DEFAULT_INPUT = [28, 28, 1]          # the course's grayscale CIFAR10 and MNIST: side, side, channels


class ShapeError(ValueError):
    """A network that does not fit its input: the message names the layer."""


def alternatives(key: str, value) -> list:
    """A network setting's values in a config: one, or several when it is a grid axis (a list of them;
    for the list-valued conv_filters and fc_units, a list of lists)."""
    if key in ("conv_filters", "fc_units"):
        is_axis = isinstance(value, list) and bool(value) and all(isinstance(v, list) for v in value)
    else:
        is_axis = isinstance(value, list)
    return value if is_axis else [value]


def setting_label(key: str, value) -> str:
    """How one setting is named in a configuration's label: 'conv 6/16', 'fc 120/84', 'tanh', …"""
    if key == "conv_filters":
        return "conv " + "/".join(map(str, value))
    if key == "fc_units":
        return "fc " + "/".join(map(str, value)) if value else "no fc"
    if key == "padding":
        return f"{value} padding"
    if key == "dropout":
        return f"dropout {value:g}"
    return str(value)


def network_of(params: dict) -> dict:
    """A run's network settings, defaults filled in."""
    return {key: params.get(key, default) for key, default in DEFAULT_NETWORK.items()}


def non_default(network: dict) -> dict:
    """The settings that differ from the default network: what goes into a run's params."""
    return {key: value for key, value in network.items() if value != DEFAULT_NETWORK[key]}


def input_shape(params: dict) -> tuple[int, int, int]:
    return tuple(params.get("input_shape", DEFAULT_INPUT))


def conv_layer_names(network: dict) -> list[str]:
    return [f"conv{i}" for i in range(1, len(network["conv_filters"]) + 1)]


def pool_layer_names(network: dict) -> list[str]:
    return [f"pool{i}" for i in range(1, len(network["conv_filters"]) + 1)]


def feature_sides(network: dict, side: int) -> list[tuple[int, int]]:
    """(side after conv i, side after pool i) for every conv layer, on a side×side input.
    ShapeError naming the first layer whose input is smaller than its window."""
    sides = []
    for index in range(1, len(network["conv_filters"]) + 1):
        if network["padding"] == "valid":
            if side < KERNEL:
                raise ShapeError(f"conv{index} gets a {side}×{side} input, smaller than its {KERNEL}×{KERNEL} "
                                 "kernel with padding \"valid\"")
            side = side - KERNEL + 1
        if side < POOL:
            raise ShapeError(f"pool{index} gets a {side}×{side} input, smaller than its {POOL}×{POOL} window")
        conv_side, side = side, side // POOL
        sides.append((conv_side, side))
    return sides


def parameters(network: dict, shape=tuple(DEFAULT_INPUT)) -> int:
    """The parameter count, equal to Keras's count_params (tests/test_network.py)."""
    side, _, channels = shape
    count, previous = 0, channels
    for filters in network["conv_filters"]:
        count += (KERNEL * KERNEL * previous + 1) * filters
        previous = filters
    flat = feature_sides(network, side)[-1][1] ** 2 * previous
    for units in network["fc_units"]:
        count += (flat + 1) * units
        flat = units
    return count + (flat + 1) * NUM_CLASSES


def forward_flops(network: dict, shape=tuple(DEFAULT_INPUT)) -> int:
    """Multiply-adds of one forward pass, counted as 2 FLOPs each."""
    side, _, channels = shape
    total, previous = 0, channels
    for filters, (conv_side, _) in zip(network["conv_filters"], feature_sides(network, side)):
        total += conv_side * conv_side * filters * KERNEL * KERNEL * previous
        previous = filters
    flat = feature_sides(network, side)[-1][1] ** 2 * previous
    for units in [*network["fc_units"], NUM_CLASSES]:
        total += flat * units
        flat = units
    return 2 * total


def narrowed(network: dict, target: int, shape=tuple(DEFAULT_INPUT)) -> dict:
    """The network with every width (conv maps, fc units) scaled by one factor: the scale whose
    parameter count is closest to target."""
    best = None
    for step in range(1, 1001):
        scale = step / 1000
        candidate = dict(network, conv_filters=[max(1, round(w * scale)) for w in network["conv_filters"]],
                         fc_units=[max(1, round(w * scale)) for w in network["fc_units"]])
        error = abs(parameters(candidate, shape) - target)
        if best is None or error < best[0]:
            best = (error, candidate)
    return best[1]


def widths_text(network: dict) -> str:
    """'32/64/1024': the conv maps then the fc units."""
    return "/".join(map(str, [*network["conv_filters"], *network["fc_units"]]))


def describe(network: dict) -> str:
    """'conv 5×5/32 → pool → conv 5×5/64 → pool → fc 1024 → dropout 0.5 → fc 10; ReLU, same padding'."""
    parts = []
    for filters in network["conv_filters"]:
        parts += [f"conv {KERNEL}×{KERNEL}/{filters}", "pool"]
    for units in network["fc_units"]:
        parts.append(f"fc {units}")
        if network["dropout"]:
            parts.append(f"dropout {network['dropout']:g}")
    parts.append(f"fc {NUM_CLASSES}")
    activation = {"relu": "ReLU", "tanh": "tanh"}[network["activation"]]
    return " → ".join(parts) + f"; {activation}, {network['padding']} padding"
