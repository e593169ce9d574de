"""The report's sections in order: what each trains, what it reads, which command makes it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .runs import RunSpec, cnn_mnist_runs, cnn_runs, rnn_runs


@dataclass(frozen=True)
class Section:
    name: str                                   # the subcommand and the HTML id
    title: str
    runs: Callable[[dict], list[RunSpec]]       # training runs this section owns
    needs: tuple[str, ...] = ()                 # sections whose results it reads
    analysis: str | None = None                 # a cached computation over those results


def _no_runs(config: dict) -> list[RunSpec]:
    return []


SECTIONS = (
    Section("cnn", "Training LeNet5 on CIFAR10", cnn_runs),
    Section("visualize", "Inside the trained network", _no_runs, needs=("cnn",), analysis="visualize"),
    Section("deconvnet", "Visualizing and understanding convolutional networks", _no_runs,
            needs=("cnn",), analysis="deconvnet"),
    Section("rnn", "A recurrent network on MNIST", rnn_runs),
    Section("compare", "CNN versus RNN", cnn_mnist_runs, needs=("rnn",)),
)
BY_NAME = {section.name: section for section in SECTIONS}


def with_dependencies(names) -> list[Section]:
    """The named sections and those they read, in report order."""
    wanted = set()

    def add(name):
        if name not in wanted:
            wanted.add(name)
            for need in BY_NAME[name].needs:
                add(need)

    for name in names:
        add(name)
    return [section for section in SECTIONS if section.name in wanted]
