"""Parameter counts of the assignment's models by formula (equal to Keras's count_params), so a
run can be sized before any model is built — e.g. a LeNet5 narrowed to an RNN's size."""
from __future__ import annotations

from .data import NUM_CLASSES

LENET5_WIDTHS = (32, 64, 1024)   # conv1 maps, conv2 maps, fc units
ROW, STEPS = 28, 28              # an MNIST image read as 28 steps of 28 pixels
GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def lenet5_parameters(widths=LENET5_WIDTHS) -> int:
    conv1, conv2, fc = widths
    return ((5 * 5 * 1 + 1) * conv1 + (5 * 5 * conv1 + 1) * conv2 + (7 * 7 * conv2 + 1) * fc
            + (fc + 1) * NUM_CLASSES)


def rnn_parameters(cell: str, hidden: int) -> int:
    # Keras's GRU keeps two bias vectors per gate (reset_after=True): one more bias per gate
    biases = 2 if cell == "gru" else 1
    return GATES[cell] * hidden * (ROW + hidden + biases) + (hidden + 1) * NUM_CLASSES


def narrowed_lenet5(target: int) -> tuple[int, int, int]:
    """LeNet5's widths scaled by one factor, the scale whose parameter count is closest to target."""
    best = None
    for step in range(1, 1001):
        scale = step / 1000
        widths = tuple(max(1, round(w * scale)) for w in LENET5_WIDTHS)
        error = abs(lenet5_parameters(widths) - target)
        if best is None or error < best[0]:
            best = (error, widths)
    return best[1]
