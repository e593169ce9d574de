"""Floating-point operations of the assignment's models, counted by hand (multiply-add = 2 FLOPs).

Training is counted as 3× the forward pass (forward, and two products in the backward pass).
The benchmarks compare measured speed with these counts; the pipeline uses them to start the
longest runs first when several train at once.
"""

from .sizes import GATES, LENET5_WIDTHS

TRAINING_FACTOR = 3


def lenet5_forward_flops(widths=LENET5_WIDTHS) -> int:
    c1, c2, fc = widths
    conv1 = 28 * 28 * c1 * (5 * 5 * 1)
    conv2 = 14 * 14 * c2 * (5 * 5 * c1)
    fc1 = 7 * 7 * c2 * fc
    fc2 = fc * 10
    return 2 * (conv1 + conv2 + fc1 + fc2)


def rnn_forward_flops(cell: str, hidden: int, steps: int = 28, inputs: int = 28) -> int:
    per_step = GATES[cell] * (inputs + hidden) * hidden
    return 2 * (steps * per_step + hidden * 10)


def forward_flops(params: dict) -> int:
    if params["model"] == "lenet5":
        return lenet5_forward_flops(tuple(params.get("widths", LENET5_WIDTHS)))
    return rnn_forward_flops(params["cell"], params["hidden_size"])


def run_flops(params: dict) -> int:
    """A whole run: every epoch's training samples and the evaluations (the curve subset after
    every epoch but the last, all test images after the last)."""
    from .training import evaluated_images

    samples = params["epochs"] * TRAINING_FACTOR * params["samples_per_epoch"] + evaluated_images(params)
    return samples * forward_flops(params)
