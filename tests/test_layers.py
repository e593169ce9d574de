"""The layers of docs/architecture.md, kept honest: each part imports only the parts below it."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What each part may import from mkreport (besides itself and the package root, which holds __version__).
# experiments/ is below everything: the computations know nothing of the report.
ALLOWED = {
    "experiments": set(),
    "report.errors": {"experiments"},
    "report.stats": {"report.errors"},
    "report.results": {"experiments", "report.errors", "report.stats"},
    "report.training": {"experiments", "report.errors", "report.stats", "report.results"},
    "report.output": {"experiments", "report.errors", "report.stats", "report.results"},
    "report.sections": {"experiments", "report.errors", "report.stats", "report.results", "report.output"},
    "report.top": {"experiments", "report.errors", "report.stats", "report.results", "report.training",
                   "report.output", "report.sections"},
}
TOP_MODULES = {"report.cli", "report.api", "report.session", "report.pipeline", "report.config", "report.claims_file", "report.results_table",
               "report.__main__"}


def part_of(module: str) -> str | None:
    """The part a module belongs to; None for modules outside mkreport (and for the root package)."""
    if module == "experiments" or module.startswith("experiments."):
        return "experiments"
    if module == "report.errors":
        return "report.errors"
    if module in TOP_MODULES:
        return "report.top"
    parts = module.split(".")
    if parts[0] == "report" and len(parts) >= 2 and f"report.{parts[1]}" in ALLOWED:
        return f"report.{parts[1]}"
    return None


def imported_modules(source: str, module: str, is_package: bool) -> set[str]:
    """Every module a source imports, anywhere in it (function-level imports count), made absolute."""
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)  # `from . import figures`
    return found


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """`module imports X`, for each import the layers forbid."""
    own = part_of(module)
    if own is None:
        return []
    wrong = []
    for target in sorted(imported_modules(source, module, is_package)):
        theirs = part_of(target)
        if theirs is not None and theirs != own and theirs not in ALLOWED[own]:
            wrong.append(f"{module} imports {target} ({own} may import only {sorted(ALLOWED[own])})")
    return wrong


def project_modules():
    for folder in ("report", "experiments"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            yield ".".join(parts[:-1] if is_package else parts), path, is_package


def test_no_part_imports_one_above_it():
    wrong = [line for module, path, is_package in project_modules()
             for line in violations(module, path.read_text(encoding="utf-8"), is_package)]
    assert wrong == []


@pytest.mark.parametrize("module, source", [
    ("report.stats.fake", "from ..results.store import Store"),             # pure statistics reading the store
    ("report.stats.fake", "def f():\n    from ..output import figures"),    # hidden in a function
    ("report.results.fake", "from ..sections import SECTIONS"),             # the store knowing the sections
    ("report.output.fake", "from report.training import execute"),          # absolute, sideways
    ("experiments.fake", "from report.stats import statistics"),            # the computations reading the report
])
def test_an_upward_import_is_caught(module, source):
    assert violations(module, source)


def test_a_downward_import_passes():
    assert violations("report.sections.fake", "from ..stats.claims import Claim\nfrom ..output import figures") == []


def test_every_module_belongs_to_a_part():
    assert [module for module, _, _ in project_modules() if part_of(module) is None] == ["report"]


def test_stats_imports_without_tensorflow_keras_or_matplotlib():
    """The pure part stays pure: every module of report.stats imports with those three unimportable."""
    modules = [m for m, _, _ in project_modules() if m.startswith("report.stats")]
    script = f"""
import importlib, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('tensorflow', 'keras', 'matplotlib'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
for name in {modules!r}:
    importlib.import_module(name)
print('ok', len({modules!r}))
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
