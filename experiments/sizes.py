"""Parameter counts of the RNNs by formula (equal to Keras's count_params), so a run can be sized
before any model is built — e.g. a LeNet5 narrowed to an RNN's size (experiments/network.py)."""
from __future__ import annotations

from .data import NUM_CLASSES

ROW, STEPS = 28, 28              # an MNIST image read as 28 steps of 28 pixels
GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def rnn_parameters(cell: str, hidden: int) -> int:
    # Keras's GRU keeps two bias vectors per gate (reset_after=True): one more bias per gate
    biases = 2 if cell == "gru" else 1
    return GATES[cell] * hidden * (ROW + hidden + biases) + (hidden + 1) * NUM_CLASSES
