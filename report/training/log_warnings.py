"""The warnings in a build's logs that a user should act on, said once on the terminal.

TensorFlow's own lines go to output/logs/ (report/logs.py). Most are start-up noise on every machine
(the CUDA probe without a GPU, oneDNN's round-off notice, the CPU-feature notice of a binary that
already uses the CPU's instructions); those are named in NOISE and never summarised. What is left
is grouped by message (numbers made `N`) and counted over the logs: one line per kind of warning.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# start-up lines every TensorFlow process writes, whatever the machine: nothing to act on
NOISE = [re.compile(p) for p in (
    r"All log messages before absl::InitializeLog\(\) is called",
    r"cpu_feature_guard\.cc.*optimized to use available CPU instructions",
    r"^To enable the following instructions: .*rebuild TensorFlow",
    r"oneDNN custom operations are on",
    r"Could not find cuda drivers on your machine",
    r"failed call to cuInit",
    r"Unable to register cu(DNN|FFT|BLAS) factory",
    r"computation placer already registered",
    r"TF-TRT Warning: Could not find TensorRT",
    r"Local rendezvous is aborting with status: OUT_OF_RANGE",  # tf.data's normal end of an epoch
    r"End of sequence",
)]

# warnings whose meaning mkreport can say better than the raw line: (pattern, what it means)
EXPLAINED = [
    (re.compile(r"compiled to use (\S+) instructions, but these aren't available"),
     "this CPU lacks an instruction set this TensorFlow build needs (the runs cannot train here)"),
    (re.compile(r"Allocation of \d+ exceeds \d+% of free system memory"),
     "memory is short: a run allocated more than 10 % of the free memory (fewer --jobs would help)"),
    (re.compile(r"Your input ran out of data"),
     "a run's training data ended before its epochs did"),
    (re.compile(r"Could not (load|find) dynamic library '?lib(cudart|cudnn|cublas)"),
     "a CUDA library was not found: a GPU cannot be used"),
]

# a warning or error line: absl's W/E prefix (W0000 00:00:… file.cc:12]), Python's "SomethingWarning:",
# or a WARNING:/ERROR: prefix
WARNING_LINE = re.compile(r"^(?:[WEF]\d{4} [\d:.]+\s+\d+\s+\S+\]\s*(?P<absl>.*)"
                          r"|.*?(?P<kind>\w*Warning): (?P<python>.*)"
                          r"|(?:WARNING|ERROR):\S*:?\s*(?P<prefixed>.*))$")
SHOWN = 5  # kinds of warnings listed; more are counted


@dataclass
class Found:
    """One kind of warning: what to say, and which logs have it."""
    text: str
    logs: set[str] = field(default_factory=set)


def log_sizes(folder: Path) -> dict[str, int]:
    """The size of every log now, so that a build reads only what it adds (logs are appended to)."""
    return {path.name: path.stat().st_size for path in Path(folder).glob("*.log")} if Path(folder).is_dir() else {}


def message_of(line: str) -> str | None:
    """What a warning line says, numbers made N; None for a line that is no warning, or noise."""
    match = WARNING_LINE.match(line.strip())
    if not match or any(p.search(line) for p in NOISE):
        return None
    for pattern, meaning in EXPLAINED:
        if pattern.search(line):
            return meaning
    text = match.group("absl") or match.group("prefixed") or \
        (f"{match.group('kind')}: {match.group('python')}" if match.group("kind") else "")
    return re.sub(r"\d+(\.\d+)?", "N", text.strip())[:160] or None


def find(folder: Path, since: dict[str, int]) -> list[Found]:
    """The kinds of warnings written to the folder's logs after `since` (log_sizes at the start)."""
    found: dict[str, Found] = {}
    for path in sorted(Path(folder).glob("*.log")) if Path(folder).is_dir() else []:
        with open(path, "rb") as stream:
            stream.seek(min(since.get(path.name, 0), path.stat().st_size))
            added = stream.read().decode("utf-8", "replace")
        for line in added.splitlines():
            message = message_of(line)
            if message:
                found.setdefault(message, Found(message)).logs.add(path.name)
    return sorted(found.values(), key=lambda f: (-len(f.logs), f.text))


def summary_lines(found: list[Found], folder: Path) -> list[str]:
    """One line per kind of warning, with how many logs have it and one to read."""
    if not found:
        return []
    lines = [f"TensorFlow warned ({len(found)} kind(s); the lines are in {folder}/):"]
    for item in found[:SHOWN]:
        where = f"{len(item.logs)} logs" if len(item.logs) > 1 else next(iter(item.logs))
        lines.append(f"    {item.text} ({where}{', e.g. ' + min(item.logs) if len(item.logs) > 1 else ''})")
    if len(found) > SHOWN:
        lines.append(f"    and {len(found) - SHOWN} other kind(s)")
    return lines
