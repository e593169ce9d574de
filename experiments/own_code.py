"""A section of the user's own brings its model builder and data loader in its module (a file):
they are found here by the file's path, in whichever process trains the run (this one, a --jobs
worker, a Ray task on this machine), so nothing but the path travels with the run."""
from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

BUILT_IN_MODELS = ("lenet5", "rnn")


# path → the SHA-256 of the source its runs were planned (and keyed) with: the bytes this process imports
# must be those, else the run fails — a file edited during a build never trains under the old key.
EXPECTED: dict[str, str] = {}


def expect(path: str | None, sha256: str | None) -> None:
    if path and sha256:
        EXPECTED[str(path)] = sha256


def load_module(path: str):
    """The module at path, imported once per process under a name of its own, from the bytes that were
    hashed (read once, checked against EXPECTED, compiled from those bytes)."""
    name = f"mkreport_own_{Path(path).stem}_{abs(hash(str(path))) % 10**8}"
    if name not in sys.modules:
        source = Path(path).read_bytes()
        _check(path, hashlib.sha256(source).hexdigest())
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        module.__mkreport_sha256__ = hashlib.sha256(source).hexdigest()
        sys.modules[name] = module
        try:
            exec(compile(source, str(path), "exec"), module.__dict__)
        except BaseException:
            del sys.modules[name]
            raise
    _check(path, getattr(sys.modules[name], "__mkreport_sha256__", None))
    return sys.modules[name]


def _check(path: str, found: str | None) -> None:
    wanted = EXPECTED.get(str(path))
    if wanted is not None and found is not None and found != wanted:
        raise RuntimeError(f"{Path(path).name} changed after its runs were planned (its content is not what "
                           "their keys hold); this run is not trained — run the command again to plan with the "
                           "new file")


def function(path: str, name: str, what: str):
    """A function of the module at path, or one error naming the module and what was looked for."""
    found = getattr(load_module(path), name, None)
    if not callable(found):
        raise AttributeError(f"{Path(path).name} has no function {name}() (the {what} its runs name)")
    return found
