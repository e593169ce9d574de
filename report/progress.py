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
    """Estimates time left from the epochs trained so far (by every worker, when several train)."""

    def __init__(self, total_runs: int, total_epochs: int, stream=None):
        self.total_runs, self.total_epochs = total_runs, total_epochs
        self.run_index, self.epochs_done = 0, 0
        self.started = time.perf_counter()
        self.stream = stream or sys.stderr
        self._announced: set[str] = set()

    def say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def start_run(self, run_id: str) -> None:
        """"[i/n] run" once per run, however many times its start is reported."""
        if run_id in self._announced:
            return
        self._announced.add(run_id)
        self.run_index += 1
        self.say(f"[{self.run_index}/{self.total_runs}] {run_id}")

    def epoch(self, epochs: int, metrics: dict, run_id: str | None = None) -> None:
        """run_id names the run when several train at once, so their lines interleave legibly."""
        self.epochs_done += 1
        elapsed = time.perf_counter() - self.started
        left = elapsed / self.epochs_done * max(0, self.total_epochs - self.epochs_done)
        self.say(f"    {run_id + '  ' if run_id else ''}epoch {metrics['epoch']}/{epochs}  "
                 f"loss {metrics['train_loss']:.4f}  train acc {metrics['train_accuracy']:.3f}  "
                 f"test acc {metrics['test_accuracy']:.3f}  ≈{format_duration(left)} left")

    def finished(self, run_id: str, result: dict | None, wall: float, extra: str = "") -> None:
        """One line for a run that finished elsewhere (a worker process or a Ray task)."""
        self.start_run(run_id)
        last = result["metrics"][-1] if result and result["metrics"] else None
        self.say(f"    {run_id}  {result['state'] if result else 'failed'} in {wall:.1f}s"
                 + (f", test acc {last['test_accuracy']:.3f}" if last else "") + extra)

    def skip_epochs(self, count: int) -> None:
        """A run that ended early (diverged or failed) no longer counts towards the estimate."""
        self.total_epochs -= count
