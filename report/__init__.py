"""mkreport: one command from a deep-learning assignment to a reproducible report."""
import importlib.util
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def _own(name: str) -> None:
    """Import mkreport's own top-level package `name` (experiments, templates) from beside this one, so a
    folder of that generic name in the user's current or script folder cannot stand in for it."""
    if name in sys.modules and Path(getattr(sys.modules[name], "__file__", "") or "").parent == _ROOT / name:
        return
    spec = importlib.util.spec_from_file_location(name, _ROOT / name / "__init__.py",
                                                  submodule_search_locations=[str(_ROOT / name)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_ROOT = Path(__file__).resolve().parent.parent
for _name in ("experiments", "templates"):
    _own(_name)

try:
    __version__ = version("mkreport-dl")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

from .api import Report, build  # noqa: E402  (the Python API: experiments and templates are found first)

__all__ = ["Report", "build", "__version__"]
