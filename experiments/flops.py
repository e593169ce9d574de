"""Floating-point operations of the assignment's models, counted by hand (multiply-add = 2 FLOPs).

Training is counted as 3× the forward pass (forward, and two products in the backward pass).
The benchmarks compare measured speed with these counts; the pipeline uses them to start the
longest runs first when several train at once.
"""

from . import network
from .sizes import GATES

TRAINING_FACTOR = 3


def rnn_forward_flops(cell: str, hidden: int, steps: int = 28, inputs: int = 28) -> int:
    per_step = GATES[cell] * (inputs + hidden) * hidden
    return 2 * (steps * per_step + hidden * 10)


def forward_flops(params: dict) -> int:
    """LeNet5's and the RNNs' by formula; 0 for a model of a user's own section (not counted: its runs
    are timed by measurement instead)."""
    if params["model"] == "lenet5":
        return network.forward_flops(network.network_of(params), network.input_shape(params))
    if params["model"] == "rnn":
        return rnn_forward_flops(params["cell"], params["hidden_size"])
    return 0


def run_flops(params: dict) -> int:
    """A whole run: every epoch's training samples and the evaluations (the curve subset after
    every epoch but the last, all test images after the last)."""
    from .training import evaluated_images

    samples = params["epochs"] * TRAINING_FACTOR * params["samples_per_epoch"] + evaluated_images(params)
    return samples * forward_flops(params)
