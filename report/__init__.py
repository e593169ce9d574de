"""mkreport: one command from a deep-learning assignment to a reproducible report."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mkreport-dl")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
