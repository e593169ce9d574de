"""One command's settings → its Workspace: the options given, merged with what the output folder recorded,
the config and sections they name, every check that must pass before anything trains, and the CPU kernels.
The command line (report.cli) and the Python API (report.api) both open their workspace here."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from .errors import ConfigError


def tell(line: str) -> None:
    """A line for the user about how the command runs (standard error, as the command line prints it)."""
    print(line, file=sys.stderr, flush=True)


def open_workspace(config_file, profile, sets, data_dir, notes, templates, claims_file, output: Path, *,
                   writes: bool = True, download: bool = True, refuses_other_settings: bool = False,
                   force_other_settings: bool = False, section: str | None = None, commands=()):
    """The Workspace of one command. writes: it writes into output; download: it may fetch a dataset
    (commands that train); refuses_other_settings: `render`, which must not replace a folder's report
    with one built from other settings unless force_other_settings; section: a section of the user's own
    named as the command (commands: the command names, for the message when there is no such one)."""
    from .config import load_config
    from .results import recorded
    from .results.workspace import Workspace

    output = Path(output)

    given = recorded.Settings(profile, recorded.absolute(config_file), tuple(sets), recorded.absolute(data_dir),
                              _path_option(notes), _path_option(templates), _path_option(claims_file))
    previous = recorded.read(output)
    settings, differs_from = recorded.merge(given, previous)
    recorded.refused(settings, output)
    taken = [name for name in recorded.OPTIONS
             if getattr(given, name) in (None, ()) and getattr(settings, name) not in (None, ())]
    if previous is not None and taken:
        tell(f"using {settings.describe(taken)}, as recorded in {output}")
    from .config import section_names
    from .sections import discover

    # a received folder's record may name a config inside that folder, but the code of the sections that
    # config lists runs only when the user names the config on this command line
    from_record = (given.config is None and settings.config is not None
                   and Path(output).resolve() in Path(settings.config).resolve().parents)
    sections = discover(section_names(settings.config, settings.sets), settings.config,
                        allow_code=None if from_record else True, record=output / recorded.RECORD)
    if section and section not in {found.name for found in sections}:
        raise ConfigError(f"no such command or section {section!r}: the commands are "
                          f"{', '.join(commands)}; this config's sections are "
                          f"{', '.join(found.name for found in sections)}")
    config = load_config(settings.config, settings.profile or "full", settings.sets, sections)
    if differs_from is not None:
        if refuses_other_settings and not force_other_settings and not _same_results(differs_from, config,
                                                                                      sections):
            raise ConfigError(f"{output} was built with {differs_from.describe()}; rendering it with "
                              f"{settings.describe()} would replace its report with other results. Leave out "
                              "the options to use the recorded ones, or pass --force to render anyway")
        tell(f"{output} was built with {differs_from.describe()}; now using {settings.describe()}")
    if writes and download:  # a command that trains
        from .config import check_machine
        from .training.devices import visible_gpus

        check_machine(config, visible_gpus())
    _check_words(settings, given, config, output)
    data_dir = Path(settings.data_dir) if settings.data_dir else None
    if data_dir is not None and not data_dir.is_dir() and given.data_dir is None and not download:
        data_dir = None   # the recorded data folder of a received build: a reading command does without it
    if data_dir is not None and not data_dir.is_dir():
        raise ConfigError(f"the data folder {data_dir} (--data-dir or MKREPORT_DATA_DIR) does not exist")
    _refuse_dangerous(output, data_dir)
    output = _writable_output(output) if writes else _readable_output(output)
    ws = Workspace(config, output, data_dir, sections, download=download, settings=settings)
    ws.claims = _claims(settings, config, sections)
    from .training.cpu_kernels import choose

    from experiments.kernels import request

    # before anything imports TensorFlow in this process: it reads the choice once, at import
    ws.kernels = choose(config, measure=writes and download, say=tell, output=output)
    if writes and download:
        request(ws.kernels)
    return ws


def build_settings(ws, resolve: str | None, kind: str = "local", jobs: int | None = None, address=None,
                   cpus_per_run=None, gpus_per_run=None, verbose: bool = False, option: str = "--resolve"):
    """What a training command adds to its workspace: the --resolve budget (else [report] resolve), and
    the Executor, checked (Ray installed; its options only with it). option: how resolve is named to the user."""
    from .config import parse_budget
    from .training.execute import Executor

    budget = resolve if resolve is not None else ws.config["report"]["resolve"] or None
    if budget is not None:
        ws.resolve = parse_budget(budget)
        if ws.resolve is None:
            raise ConfigError(f"{option} {budget!r}: a time budget such as 30m, 90s or 2h, or none for no limit")
    if kind == "ray":
        from .training.ray_executor import check_available

        check_available()
    elif address or cpus_per_run or gpus_per_run:
        raise ConfigError("--address, --cpus-per-run and --gpus-per-run go with --executor ray")
    return Executor(kind, jobs, address, cpus_per_run, gpus_per_run, quiet_native_logs=not verbose)


def _writable_output(output: Path) -> Path:
    """The output folder exists and is writable, or the user is told so before any work starts."""
    if output.exists() and not output.is_dir():
        raise ConfigError(f"--output {output} is a file, not a folder")
    try:
        output.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=output):
            pass
    except OSError as error:
        raise ConfigError(f"--output {output} is not writable ({error.strerror or error})") from None
    _check_layout(output)
    return output


# What mkreport keeps in an output folder: folders (and the store's section folders), and files.
FOLDERS = ("store", "logs", "tensorboard", "figures", "tables")
FILES = (".mkreport.lock", "report.html", "report.pdf", "report.md", "claims.json", "metrics.csv",
         "mkreport-build.json")


def _check_layout(output: Path) -> None:
    """A file where mkreport keeps a folder, or a folder where it writes a file, is named before any
    work starts (it would otherwise fail a build half-way, after training)."""
    folders = [output / name for name in FOLDERS]
    if (output / "store").is_dir():
        folders += [path for path in (output / "store").iterdir() if not path.name.startswith(".")]
    for path in folders:
        if path.exists() and not path.is_dir():
            raise ConfigError(f"{path} is a file where mkreport keeps a folder; move it away and run the "
                              "same command again")
    for path in (output / name for name in FILES):
        if path.is_dir():
            raise ConfigError(f"{path} is a folder where mkreport writes a file; move it away and run the "
                              "same command again")


def _readable_output(output: Path) -> Path:
    """status, check and plan read an output folder; they never create or write one."""
    if output.exists() and not output.is_dir():
        raise ConfigError(f"--output {output} is a file, not a folder")
    return output


def _refuse_dangerous(output: Path, data_dir: Path | None) -> None:
    """A report written into mkreport's own folders would replace its templates or code, and one
    written into the datasets folder would mix with the data: both are refused."""
    import experiments
    import templates

    target = output.resolve()
    for package in (Path(__file__).parent, Path(experiments.__file__).parent, Path(templates.__file__).parent):
        package = package.resolve()
        if target == package or package in target.parents:
            raise ConfigError(f"--output {output} is inside mkreport's own folder {package}; "
                              "choose a folder outside it (the default is ./output)")
    if data_dir is not None and target == data_dir.resolve():
        raise ConfigError(f"--output {output} is the datasets folder; choose another folder")


def _path_option(value: Path | None) -> str | None:
    """--notes / --templates / --claims as recorded: an absolute path, or "none" (drop a recorded one)."""
    from .results.recorded import absolute

    if value is not None and str(value) == "none":
        return "none"
    return absolute(value)


def _same_results(recorded_settings, config: dict, sections) -> bool:
    """Whether a config differs from the recorded build's only in its words ([report]: title, author,
    notes, templates): such a render swaps no result and needs no --force."""
    from .config import load_config

    try:
        before = load_config(recorded_settings.config, recorded_settings.profile or "full", recorded_settings.sets,
                             sections)
    except ConfigError:  # the recorded config file is gone or changed: cannot tell
        return False
    return {k: v for k, v in before.items() if k != "report"} == {k: v for k, v in config.items() if k != "report"}


def _claims(settings, config: dict, sections):
    """The claims file to check (--claims, else [report] claims_file), read and validated against the
    configurations this config plans, before anything trains; None without one."""
    from .claims_file import read_claims_file

    path = None if settings.claims == "none" else settings.claims or config["report"]["claims_file"]
    if not path:
        return None
    labels = {section.name: {spec.label: spec.params for spec in section.runs(config)} for section in sections}
    return read_claims_file(Path(path), {name: found for name, found in labels.items() if found})


def _check_words(settings, given, config: dict, output: Path) -> None:
    """The notes and templates folders exist and every template parses, before anything trains."""
    from .output.notes import check_notes, notes_folder
    from .output.render import check_templates, templates_folder

    for option, folder in (("notes", notes_folder(settings, config)), ("templates", templates_folder(settings, config))):
        if folder is not None and not folder.is_dir():
            recorded_here = getattr(given, option) is None and getattr(settings, option) is not None
            raise ConfigError(f"the {option} folder {folder} does not exist"
                              + (f" (recorded in {output}; pass --{option} DIR for another, or --{option} none "
                                 f"to build without it)" if recorded_here else ""))
    check_templates(templates_folder(settings, config))
    check_notes(notes_folder(settings, config))
