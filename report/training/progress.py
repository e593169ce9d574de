"""What a build prints while it works: one line per epoch while training (which run of how many,
metrics, estimated time left), each later phase announced with its time, and never a silent stretch."""
from __future__ import annotations

import contextlib
import sys
import threading
import time

from experiments.tasks import metric_key

SHORT = {"accuracy": "acc"}   # the progress line's short name of a metric (mae, mse, auc as they are)

HEARTBEAT = 2.0  # seconds without a line before the console says what it is still doing
# Without a terminal (a log file, CI) passing news is a line at most this often: a full build's log is a
# line per run started and finished, and a progress line a minute, not a heartbeat every 2 seconds.
PROGRESS_EVERY = 60.0


class Console:
    """Lines to the terminal (stderr). While a phase runs on a terminal, the status line says every
    HEARTBEAT seconds of silence what is still under way, so a user never stares at a console that
    says nothing. On a
    terminal, passing news (the heartbeat, a run's start, its epochs) rewrites one status line in
    place, and only what stays worth reading (phases, finished runs, warnings) gets a line of its
    own; elsewhere (a log, CI) passing news is a line at most every PROGRESS_EVERY seconds."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        # a Jupyter or Colab cell shows "\r" as a rewrite of the line too (not ANSI's erase): one updating line
        self.notebook = type(self.stream).__module__.startswith("ipykernel")
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)()) or self.notebook
        self._shown_width = 0
        self._lock = threading.Lock()
        self._last = time.monotonic()
        self._phase: tuple[str, float] | None = None
        self._status_shown = False
        self._news_at = -PROGRESS_EVERY   # when passing news last got a line (no terminal)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)
        self._thread.start()

    def _clear_status(self) -> None:
        if self._status_shown:
            self.stream.write("\r" + " " * self._shown_width + "\r" if self.notebook else "\r\033[K")
            self._status_shown = False

    def say(self, text: str) -> None:
        with self._lock:
            self._clear_status()
            print(text, file=self.stream, flush=True)
            self._last = time.monotonic()

    def status(self, text: str) -> None:
        """Passing news: rewritten in place on a terminal; elsewhere a line at most every PROGRESS_EVERY s."""
        if not self.tty:
            now = time.monotonic()
            if now - self._news_at >= PROGRESS_EVERY:
                self._news_at = now
                self.say(text)
            return
        import shutil

        width = shutil.get_terminal_size((100, 20)).columns - 1
        with self._lock:
            shown = text.strip()[:width]
            if self.notebook:   # overwrite the last status with spaces where the new one is shorter
                self.stream.write("\r" + shown.ljust(self._shown_width))
            else:
                self.stream.write("\r\033[K" + shown)
            self._shown_width = len(shown)
            self.stream.flush()
            self._status_shown = True
            self._last = time.monotonic()

    def _beat(self) -> None:
        while not self._stop.wait(0.25):
            phase = self._phase
            if phase and self.tty and time.monotonic() - self._last >= HEARTBEAT:   # a log gets no heartbeat
                self.status(f"    … {phase[0]} ({time.monotonic() - phase[1]:.0f} s)")

    @contextlib.contextmanager
    def phase(self, text: str, announce: bool = True):
        """Announce `text…`, keep the heartbeat on it, and end with its time."""
        started = time.monotonic()
        if announce:
            self.say(f"{text}…")
        self._phase = (text, started)
        try:
            yield
        finally:
            self._phase = None
        if announce:
            self.say(f"    {text}: {time.monotonic() - started:.1f} s")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        with self._lock:
            self._clear_status()
            self.stream.flush()


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
    """Elapsed and remaining time on every line. Remaining time comes from the plan's estimate
    (plan.Estimate), re-estimated as runs finish; without one, the lines show the elapsed time."""

    def __init__(self, total_runs: int, console: Console | None = None, estimate=None):
        self.total_runs = total_runs
        self.run_index, self.finished_runs = 0, 0
        self.started = time.perf_counter()
        self.console = console or Console()
        self.estimate = estimate
        self._announced: set[str] = set()
        self._running: dict[str, float] = {}  # run_id → when it started

    def timing(self) -> str:
        """'1m02s elapsed, ≈3m10s left' (or how the time left will be known)."""
        now = time.perf_counter()
        elapsed = f"{format_duration(now - self.started)} elapsed"
        if self.estimate is not None:
            left = self.estimate.left({run: now - since for run, since in self._running.items()})
            return elapsed + (f", ≈{format_duration(left)} left" if left is not None else
                              ", time left known once the first run has finished")
        return elapsed

    def run_done(self, run_id: str, seconds: float, overhead: float = 0.0) -> None:
        """A run's result is stored: the estimate learns its real time, and its fixed part (plan.record_speed)."""
        self._running.pop(run_id, None)
        if self.estimate is not None:
            self.estimate.finished(run_id, seconds, overhead)

    def say(self, text: str) -> None:
        self.console.say(text)

    def start_run(self, run_id: str) -> None:
        """"[i/n] run" once per run, however many times its start is reported."""
        if run_id in self._announced:
            return
        self._announced.add(run_id)
        self._running[run_id] = time.perf_counter()
        if self.estimate is not None:
            self.estimate.run_started()
        self.run_index += 1
        line = f"[{self.run_index}/{self.total_runs}] {run_id}  ({self.timing()})"
        self.console.status(line) if self.console.tty else self.console.say(line)   # a log keeps every start

    def epoch(self, epochs: int, metrics: dict, run_id: str | None = None) -> None:
        """run_id names the run when several train at once, so their lines interleave legibly."""
        metric = metric_key(metrics)
        short = SHORT.get(metric, metric)
        self.console.status(f"    {run_id + '  ' if run_id else ''}epoch {metrics['epoch']}/{epochs}  "
                 f"loss {metrics['train_loss']:.4f}  train {short} {metrics[f'train_{metric}']:.3f}  "
                 f"test {short} {metrics[f'test_{metric}']:.3f}  ({self.timing()})")

    def finished(self, run_id: str, result: dict | None, wall: float, extra: str = "") -> None:
        """One line for a run that finished elsewhere (a worker process or a Ray task)."""
        self.start_run(run_id)
        self.finished_runs += 1
        last = result["metrics"][-1] if result and result["metrics"] else None
        self.say(f"    {run_id}  {result['state'] if result else 'failed'} in {wall:.1f}s"
                 + (f", test {SHORT.get(metric_key(last), metric_key(last))} {last['test_' + metric_key(last)]:.3f}"
                    if last else "")
                 + f"  ({self.finished_runs}/{self.total_runs} done, {self.timing()})" + extra)
