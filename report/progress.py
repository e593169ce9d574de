"""One line per epoch while training: which run of how many, metrics, estimated time left."""
from __future__ import annotations

import sys
import time


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """Estimates time left from the epochs trained so far in this process."""

    def __init__(self, total_runs: int, total_epochs: int, stream=None):
        self.total_runs, self.total_epochs = total_runs, total_epochs
        self.run_index, self.epochs_done = 0, 0
        self.started = time.perf_counter()
        self.stream = stream or sys.stderr

    def say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def start_run(self, run_id: str) -> None:
        self.run_index += 1
        self.say(f"[{self.run_index}/{self.total_runs}] {run_id}")

    def epoch(self, epochs: int, metrics: dict) -> None:
        self.epochs_done += 1
        elapsed = time.perf_counter() - self.started
        left = elapsed / self.epochs_done * (self.total_epochs - self.epochs_done)
        self.say(f"    epoch {metrics['epoch']}/{epochs}  loss {metrics['train_loss']:.4f}  "
                 f"train acc {metrics['train_accuracy']:.3f}  test acc {metrics['test_accuracy']:.3f}  "
                 f"≈{format_duration(left)} left")

    def skip_epochs(self, count: int) -> None:
        """A run that ended early (diverged or failed) no longer counts towards the estimate."""
        self.total_epochs -= count
