"""The report's sections, in report order. Each is one module here, holding in this order:

    TITLE = "…"                    the heading
    READS = ("cnn",)               other sections whose runs it reads (they are built first)
    ALSO_READS = ("cnn",)          optional: sections it shows when they happen to be built
    runs(config) -> [RunSpec]      the training runs it owns (store folder = the section's name)
    ANALYSIS_CODE = ("experiments.deconvnet", …)   optional, with analyse:
    analyse(inputs, settings) -> (record, arrays)
                                   a cached computation over stored runs, keyed by what it reads,
                                   its settings and the source of this module and ANALYSIS_CODE
    summarize(records, analysis, settings) -> dict
                                   pure: numbers, tables and sentences from the records
    figures(summary) -> {name: png bytes}
                                   pure drawing from the summary

and its template `templates/sections/<name>.html`, which sees the summary as `d`, the figures'
paths as `fig` and the section's number as `n`. `records` maps a section name to its current
run records (its own and READS / ALSO_READS), `settings` is the section's config table,
`analysis` is an Analysis (record, arrays) or None, and `inputs` (results.workspace.AnalysisInputs)
holds the records, a run's stored arrays and the datasets: all an analysis may read.

To add a section: write the module and the template, and add it to SECTIONS below (or, from
outside mkreport, pass `Section.from_module(module, templates=folder)` to build_report).
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType


@dataclass(frozen=True)
class Section:
    name: str
    module: ModuleType
    templates: Path | None = None   # a folder with sections/<name>.html, for sections outside mkreport

    @classmethod
    def from_module(cls, module: ModuleType, templates: Path | None = None) -> Section:
        return cls(module.__name__.rsplit(".", 1)[-1], module, templates)

    @property
    def title(self) -> str:
        return self.module.TITLE

    @property
    def reads(self) -> tuple[str, ...]:
        return tuple(getattr(self.module, "READS", ()))

    @property
    def also_reads(self) -> tuple[str, ...]:
        return tuple(getattr(self.module, "ALSO_READS", ()))

    @property
    def has_analysis(self) -> bool:
        return hasattr(self.module, "analyse")

    def runs(self, config: dict) -> list:
        return self.module.runs(config)

    def settings(self, config: dict) -> dict:
        return config.get(self.name, {})

    def analysis_code_hash(self) -> str:
        """The source of this module and of every module its analysis names: edit one, recompute."""
        digest = hashlib.sha256()
        for name in (self.module.__name__, *getattr(self.module, "ANALYSIS_CODE", ())):
            spec = importlib.util.find_spec(name)
            digest.update(name.encode() + b"\0" + Path(spec.origin).read_bytes())
        return digest.hexdigest()[:24]


SECTIONS = tuple(Section.from_module(importlib.import_module(f"{__name__}.{name}"))
                 for name in ("cnn", "visualize", "deconvnet", "rnn", "compare"))
BY_NAME = {section.name: section for section in SECTIONS}


def with_dependencies(names, sections=SECTIONS) -> list[Section]:
    """The named sections and those they read, in report order."""
    by_name = {section.name: section for section in sections}
    wanted = set()

    def add(name):
        if name not in wanted:
            wanted.add(name)
            for need in by_name[name].reads:
                add(need)

    for name in names:
        add(name)
    return [section for section in sections if section.name in wanted]
