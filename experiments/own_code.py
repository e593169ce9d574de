"""A section of the user's own brings its model builder and data loader in its module (a file):
they are found here by the file's path, in whichever process trains the run (this one, a --jobs
worker, a Ray task on this machine), so nothing but the path travels with the run."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BUILT_IN_MODELS = ("lenet5", "rnn")


def load_module(path: str):
    """The module at path, imported once per process under a name of its own."""
    name = f"mkreport_own_{Path(path).stem}_{abs(hash(str(path))) % 10**8}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]


def function(path: str, name: str, what: str):
    """A function of the module at path, or one error naming the module and what was looked for."""
    found = getattr(load_module(path), name, None)
    if not callable(found):
        raise AttributeError(f"{Path(path).name} has no function {name}() (the {what} its runs name)")
    return found
