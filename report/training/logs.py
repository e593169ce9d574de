"""TensorFlow's native log lines (its C++ start-up lines, the CUDA probe on a machine without a GPU)
go to files under output/logs/, not to the terminal: the terminal shows mkreport's own lines.
A run's lines go to <run>.log, a worker process's start-up (importing TensorFlow) to workers.log,
the main process's (analyses) to mkreport.log.

They are written below Python, to file descriptor 2, so Python's sys.stderr cannot filter them:
the descriptor itself is pointed at a log file, and Python's stderr at a copy of the terminal.
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
from pathlib import Path

from ..errors import LOGS

FOLDER = LOGS


def run_log(output: Path, run_id: str) -> Path:
    """output/logs/<run>.log, the run id made a file name: cnn/adam, lr=0.001/seed=0 → cnn__adam_lr=0.001__seed=0."""
    name = re.sub(r"[^A-Za-z0-9=._-]+", "_", run_id.replace("/", "__").replace(", ", "_"))
    return Path(output) / FOLDER / f"{name}.log"


def point_fd2_at(path: Path) -> None:
    """This process's native stderr (and Python's) appends to path from now on: for a worker process."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
    os.dup2(log, 2)
    os.close(log)


@contextlib.contextmanager
def native_stderr_to(path: Path, enabled: bool = True):
    """Within the block, what is written to file descriptor 2 below Python goes to path, while
    Python's sys.stderr (mkreport's progress and messages) still reaches the terminal."""
    if not enabled:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    terminal = os.dup(2)
    python_stderr = sys.stderr
    sys.stderr = os.fdopen(os.dup(terminal), "w", buffering=1, encoding=getattr(python_stderr, "encoding", None),
                           errors="backslashreplace")
    point_fd2_at(path)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(terminal, 2)
        os.close(terminal)
        sys.stderr.close()
        sys.stderr = python_stderr
