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
run records (its own and READS / ALSO_READS), `settings` is the section's config table (and `draft`:
True on the quick profile, a draft of the results),
`analysis` is an Analysis (record, arrays) or None, and `inputs` (results.workspace.AnalysisInputs)
holds the records, a run's stored arrays and the datasets: all an analysis may read.

A section of your own (docs/sections.md) is the same kind of module outside mkreport, found through
`[report] sections` in a config (sections/<name>.py beside the config, loaded from that file) or a Python
entry point in the group "mkreport.sections". It may also hold:

    CONFIG = "[name] …"            its config table's defaults, as TOML with comments (and
                                   [profiles.<profile>.<name>] budgets); validated like [cnn]
    CHECKS = {"key": check}        optional: a key's bounds (report.sections.kit.whole, …)
    RESOLVE = False                optional: its runs do not ask "which is best", so --resolve adds no seed

and, beside it, `templates/sections/<name>.html` (else a default template shows its table, claims
and figures). `mkreport new-section NAME` writes one that works.
"""
from __future__ import annotations

import hashlib
import importlib
import re
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType


@dataclass(frozen=True)
class Section:
    name: str
    module: ModuleType
    templates: Path | None = None   # a folder with sections/<name>.html, for sections outside mkreport
    own: bool = False               # a section of the user's own: its module's source is in its runs' keys

    @classmethod
    def from_module(cls, module: ModuleType, templates: Path | None = None, own: bool = False) -> Section:
        return cls(module.__name__.rsplit(".", 1)[-1], module, templates, own)

    @property
    def source(self) -> Path | None:
        """The module's file, for a section of the user's own (its runs name it; their keys hash it)."""
        return Path(self.module.__file__).resolve() if self.own and getattr(self.module, "__file__", None) else None

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

    def call(self, function: str, *args, logs: Path | None = None):
        """The module's function; an exception from a section of the user's own is a UserCodeError
        (mkreport's own errors, and any from mkreport's sections, pass as they are), its traceback
        written to logs/section-<name>.log in the output folder `logs` where given."""
        from ..errors import USER_ERRORS, UserCodeError

        try:
            return getattr(self.module, function)(*args)
        except USER_ERRORS:
            raise
        except Exception as error:
            if not self.own:
                raise
            log = None
            if logs is not None:
                from ..errors import LOGS

                log = Path(logs) / LOGS / f"section-{self.name}.log"
                failure = UserCodeError(self.name, function, self.source and self.source.name, error)
                try:
                    log.parent.mkdir(parents=True, exist_ok=True)
                    log.write_text(failure.traceback, encoding="utf-8")
                except OSError:
                    log = None
            raise UserCodeError(self.name, function, self.source and self.source.name, error, log) from error

    def summarize(self, records: dict, analysis, settings: dict, logs: Path | None = None) -> dict:
        """The section's summary; a section of one's own is held to MAX_SUMMARY_TEXT characters of text in
        all (a 5 MB string took minutes to lay out), said as what its summarize() returned."""
        summary = self.call("summarize", records, analysis, settings, logs=logs)
        if self.own:
            texts = list(_strings(summary))
            total = sum(map(len, texts))
            problem = None if isinstance(summary, dict) else f"{type(summary).__name__}, not a dict"
            if total > MAX_SUMMARY_TEXT:
                longest = max(texts, key=len)
                problem = (f"texts of {total:,} characters (the longest {longest[:30]!r}…, {len(longest):,}); a "
                           f"summary's texts are at most {MAX_SUMMARY_TEXT:,} characters in all (put long material "
                           "in a note or a table)")
            if problem:
                from ..errors import UserCodeError

                raise UserCodeError(self.name, "summarize", self.source and self.source.name, None, returned=problem)
        return summary

    def figures(self, summary: dict, logs: Path | None = None) -> dict[str, bytes]:
        """name → PNG bytes; a section of one's own is held to names that are a file name in figures/ (no
        path: "../x" would write outside the output folder) and to PNG bytes."""
        figures = self.call("figures", summary, logs=logs)
        if self.own:
            problem = None
            if not isinstance(figures, dict):
                problem = f"{type(figures).__name__}, not a dict of name → PNG bytes"
            else:
                for name, png in figures.items():
                    if not isinstance(name, str) or not FIGURE_NAME.fullmatch(name):
                        problem = (f"the figure name {str(name)[:80]!r}: a name is letters, digits, - and _ (at most "
                                   "64), the file's name in figures/")
                    elif not isinstance(png, bytes) or not png.startswith(b"\x89PNG"):
                        problem = (f"figure {name!r} as {type(png).__name__}, not PNG bytes (kit.figures and "
                                   "matplotlib's savefig(format=\"png\") give them)")
                    if problem:
                        break
            if problem:
                from ..errors import UserCodeError

                raise UserCodeError(self.name, "figures", self.source and self.source.name, None, returned=problem)
        return figures

    def runs(self, config: dict, logs: Path | None = None) -> list:
        from dataclasses import replace

        specs = self.call("runs", config, logs=logs)
        if not self.source:
            return specs
        # a run of the user's own section names the module it was planned by: its model builder and data
        # loader are found there, and its key hashes that file, so an edit retrains exactly these runs
        self._check_names(specs)
        from experiments.files import file_sha256

        digest = file_sha256(self.source)
        return [replace(spec, code=str(self.source), code_sha256=digest) for spec in specs]

    def _check_names(self, specs) -> None:
        """Every model and dataset a run names is mkreport's or a function of this module: a typo is one
        error before anything trains, not a failed run per seed."""
        from experiments.data import built_in
        from experiments.own_code import BUILT_IN_MODELS

        from ..errors import ConfigError

        for spec in specs:
            if spec.section != self.name:
                raise ConfigError(f"section {self.name}: run {spec.run_id} names section {spec.section!r}; "
                                  f"a section's runs carry its own name ({self.name!r})")
            model = spec.params.get("model")
            if model not in BUILT_IN_MODELS and not callable(getattr(self.module, str(model), None)):
                raise ConfigError(f"section {self.name}: run {spec.run_id} names model {model!r}, which is neither "
                                  f"lenet5, rnn nor a function of {self.source.name}")
            if not built_in(spec.dataset) and not callable(getattr(self.module, spec.dataset, None)):
                raise ConfigError(f"section {self.name}: run {spec.run_id} names dataset {spec.dataset!r}, which is "
                                  f"neither cifar10, cifar10-rgb, mnist nor a function of {self.source.name}")

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
ENTRY_POINTS = "mkreport.sections"   # the group a package names its sections in, as pytest and MkDocs plugins do
CONTRACT = ("TITLE", "runs", "summarize", "figures")
MAX_SUMMARY_TEXT = 200_000


def _strings(value, depth: int = 0):
    """Every string in a summary (dicts, lists, tuples, a claim's text), to a depth that real summaries have."""
    if isinstance(value, str):
        yield value
    elif depth < 8 and isinstance(value, dict):
        for item in value.values():
            yield from _strings(item, depth + 1)
    elif depth < 8 and isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item, depth + 1)
    elif hasattr(value, "text") and isinstance(getattr(value, "text"), str):
        yield value.text
FIGURE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def own_section(module: ModuleType, where: str) -> Section:
    """A user's module as a Section, its contract checked: one error naming what is missing."""
    from ..errors import ConfigError

    missing = [part for part in CONTRACT if not hasattr(module, part)]
    if missing:
        raise ConfigError(f"section {module.__name__} ({where}) lacks {', '.join(missing)}; a section module "
                          "defines TITLE, runs, summarize and figures (docs/sections.md)")
    title = getattr(module, "TITLE")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise ConfigError(f"section {module.__name__} ({where}): TITLE must be the section's heading, a line of "
                          f"text (up to 200 characters), not {type(title).__name__}" +
                          (f" of {len(title)} characters" if isinstance(title, str) and title.strip() else ""))
    name = module.__name__.rsplit(".", 1)[-1]
    if name in BY_NAME:
        raise ConfigError(f"section {module.__name__} ({where}) has the name of mkreport's own section {name}")
    folder = Path(module.__file__).resolve().parent / "templates" if getattr(module, "__file__", None) else None
    return Section(name, module, folder if folder and folder.is_dir() else None, own=True)


def _guarded_import(name: str, where: str, load):
    """load() (a user's module being imported), with whatever it prints kept from the terminal and any
    exception — sys.exit() and a module-level argparse's exit included — one ConfigError naming the section."""
    import contextlib
    import io

    from ..errors import ConfigError

    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            return load()
    except (Exception, SystemExit) as error:   # a user's module may fail in any way; say which and why, in one line
        if isinstance(error, SystemExit):
            said = printed.getvalue().strip().splitlines()
            why = f"it called sys.exit({error.code!r}) while being imported" + (f" after printing {said[-1][:120]!r}"
                                                                                if said else "")
        else:
            why = f"{type(error).__name__}: {error}"
        raise ConfigError(f"section {name} ({where}) cannot be imported: {why}") from None


def _import(name: str, where: str) -> ModuleType:
    return _guarded_import(name, where, lambda: importlib.import_module(name))


def _listed(name: str, config_file: Path | None) -> Section:
    """A section the config lists by name: sections/<name>.py beside the config, loaded from that file
    alone (its folder goes last on the import path, so a helper module beside it imports but no file there
    shadows a module of Python's or of an installed package), else an importable module of that name."""
    import sys

    from ..errors import ConfigError

    if name in sys.stdlib_module_names or name in ("report", "experiments", "templates"):
        raise ConfigError(f"section {name} ([report] sections) has the name of a standard module of Python or of "
                          "mkreport's own packages, and would shadow it; rename the section")
    folder = (Path(config_file).parent / "sections").resolve() if config_file is not None else None
    path = folder / f"{name}.py" if folder is not None else None
    if path is None or not path.is_file():
        return own_section(_import(name, "[report] sections"), "[report] sections")
    if str(folder) not in sys.path:
        sys.path.append(str(folder))
    where = "[report] sections"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        _guarded_import(name, where, lambda: spec.loader.exec_module(module))
    except ConfigError:
        del sys.modules[name]
        raise
    return own_section(module, where)


def installed_sections(only=None) -> list[Section]:
    """Sections that packages declare as entry points in the group "mkreport.sections"
    (name = module; the section is named after the module): they appear in every report that does
    not list its sections. only: the names a config lists (an installed section it does not name is
    not imported)."""
    from importlib.metadata import entry_points

    from ..errors import ConfigError

    found = []
    for point in entry_points(group=ENTRY_POINTS):
        if only is not None and point.name not in only and point.value.rsplit(".", 1)[-1] not in only:
            continue
        where = f"entry point {point.name} of {point.dist.name if point.dist else 'an installed package'}"
        module = _guarded_import(point.name, where, point.load)
        if not isinstance(module, ModuleType):
            raise ConfigError(f"section {point.name} ({where}) must name a module, not {type(module).__name__}")
        found.append(own_section(module, where))
    return found


def discover(names=(), config_file: Path | None = None, allow_code: bool | None = True,
             record: Path | None = None) -> tuple[Section, ...]:
    """The report's sections in report order. names ([report] sections): exactly these, in this order —
    mkreport's own by name, others from sections/<name>.py beside the config file or as installed modules;
    nothing else of that folder is run. Without names: mkreport's five, then every installed section
    (entry points)."""
    from ..errors import ConfigError

    if not names:
        sections = (*SECTIONS, *installed_sections())
    else:
        installed = {section.name: section for section in installed_sections(only=set(names) - set(BY_NAME))}
        unknown = [name for name in names if name not in BY_NAME and name not in installed]
        if unknown and not allow_code:
            raise ConfigError(f"the build record {record} names section{'s' if len(unknown) > 1 else ''} "
                              f"{', '.join(unknown)} of a config it names; a section's code runs only when you name "
                              f"its config yourself: add --config {config_file}")
        sections = tuple(BY_NAME.get(name) or installed.get(name) or _listed(name, config_file) for name in names)
    seen = set()
    for section in sections:
        if section.name in seen:
            raise ConfigError(f"section {section.name} is listed twice in [report] sections")
        seen.add(section.name)
    for section in sections:
        for need in section.reads:
            if need not in seen:
                raise ConfigError(f"section {section.name} reads section {need}, which [report] sections does not list")
    return sections


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
