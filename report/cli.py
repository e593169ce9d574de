"""The `mkreport` command: options become arguments to one function each; exit codes live in main()."""
from __future__ import annotations

import functools
import json
import os
import signal
import sys
import tempfile
from pathlib import Path

import click

from . import __version__
from .errors import USER_ERRORS, ConfigError, Interrupted, MkreportError, NoResults
from .sections import SECTIONS

INTERRUPTED = Interrupted.exit_code
TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process that SIGTERM ended


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


_stdout_closed = False


def say(text: str) -> None:
    """A line on standard output. When the reader has gone (`| head`), the command goes on and says so
    once on stderr: click would otherwise end it at once with status 1 and no word."""
    global _stdout_closed
    if _stdout_closed:
        return
    try:
        click.echo(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_closed = True
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        click.echo("mkreport: standard output was closed (a pipe such as `| head` ended); going on without it",
                   err=True)


def rerun(ws, command: str) -> str:
    """`mkreport <command>` with the options that reproduce this folder's build: the advice every
    "has no results" message ends with."""
    import shlex

    options = ws.settings.options()
    if ws.store.output != Path("output"):
        options += ["--output", str(ws.store.output)]
    return " ".join(["mkreport", command, *map(shlex.quote, options)])


def advice(ws, error: Exception) -> str:
    """An error's text, with the command that fixes it when it names one."""
    if isinstance(error, NoResults):
        return f"{error}; run `{rerun(ws, error.command)}` first"
    return str(error)


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


def common_options(command, writes: bool = True, download: bool = True, refuses_other_settings: bool = False):
    """--config, --profile, --set, --data-dir, --notes, --templates, --output on every command.
    writes: it writes into --output; download: it may fetch a dataset that is not on disk (only
    commands that train); refuses_other_settings: `render`, which must not silently replace a
    folder's report with one built from other settings than the folder's (without --force)."""
    @click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
                  help="TOML file overriding the shipped defaults key by key [default: as recorded in --output].")
    @click.option("--profile", type=click.Choice(["full", "quick", "smoke"]), default=None,
                  help="Training budget: full (the assignment's), quick, or smoke (CI) "
                       "[default: as recorded in --output, else full].")
    @click.option("--set", "sets", multiple=True, metavar="SECTION.KEY=VALUE",
                  help="Override one config key with a TOML value, e.g. --set cnn.epochs=3 (repeatable).")
    @click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), envvar="MKREPORT_DATA_DIR",
                  help="Folder holding CIFAR10.zip and mnist.npz [env: MKREPORT_DATA_DIR].")
    @click.option("--notes", type=click.Path(path_type=Path, file_okay=False),
                  help="Folder of your Markdown notes (intro.md, <section>.md, conclusion.md).")
    @click.option("--templates", type=click.Path(path_type=Path, file_okay=False),
                  help="Folder of templates or report.css replacing the shipped ones of the same name.")
    @click.option("--claims", "claims_file", type=click.Path(path_type=Path, dir_okay=False),
                  help="TOML file of claims someone else reported, checked against this build "
                       "(examples/earlier-report.toml); none drops a recorded one.")
    @click.option("--output", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
                  help="Folder for stored results and the report.")
    @functools.wraps(command)
    def wrapper(config_file, profile, sets, data_dir, notes, templates, claims_file, output, **kwargs):
        from .results import recorded
        from .config import load_config
        from .results.workspace import Workspace

        given = recorded.Settings(profile, recorded.absolute(config_file), tuple(sets), recorded.absolute(data_dir),
                                  _path_option(notes), _path_option(templates), _path_option(claims_file))
        previous = recorded.read(output)
        settings, differs_from = recorded.merge(given, previous)
        recorded.refused(settings, output)
        # render's --force: render even from other settings than the folder's (not passed on)
        force_other_settings = kwargs.pop("force", False) if refuses_other_settings else False
        taken = [name for name in recorded.OPTIONS
                 if getattr(given, name) in (None, ()) and getattr(settings, name) not in (None, ())]
        if previous is not None and taken:
            click.echo(f"using {settings.describe(taken)}, as recorded in {output}", err=True)
        from .config import section_names
        from .sections import discover

        # a received folder's record may name a config inside that folder, but the code of the sections that
        # config lists runs only when the user names the config on this command line
        from_record = (given.config is None and settings.config is not None
                       and Path(output).resolve() in Path(settings.config).resolve().parents)
        sections = discover(section_names(settings.config, settings.sets), settings.config,
                            allow_code=None if from_record else True, record=output / recorded.RECORD)
        wanted = getattr(command, "section_name", None)   # `mkreport NAME` for a section of the user's own
        if wanted and wanted not in {section.name for section in sections}:
            raise ConfigError(f"no such command or section {wanted!r}: the commands are "
                              f"{', '.join(sorted(cli.commands))}; this config's sections are "
                              f"{', '.join(section.name for section in sections)}")
        config = load_config(settings.config, settings.profile or "full", settings.sets, sections)
        if differs_from is not None:
            if refuses_other_settings and not force_other_settings and not _same_results(differs_from, config,
                                                                                          sections):
                raise ConfigError(f"{output} was built with {differs_from.describe()}; rendering it with "
                                  f"{settings.describe()} would replace its report with other results. Leave out "
                                  "the options to use the recorded ones, or pass --force to render anyway")
            click.echo(f"{output} was built with {differs_from.describe()}; now using {settings.describe()}",
                       err=True)
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
        ws.kernels = choose(config, measure=writes and download, say=lambda line: click.echo(line, err=True),
                            output=output)
        if writes and download:
            request(ws.kernels)
        try:
            return command(ws, **kwargs)
        except NoResults as error:
            raise MkreportError(advice(ws, error)) from None
    return wrapper


def rendering_options(command):
    command = common_options(command, writes=True, download=False, refuses_other_settings=True)
    return click.option("--force", is_flag=True,
                        help="Render even when --output was built with another profile or config.")(command)


def reading_options(command):
    return common_options(command, writes=False, download=False)


def build_options(command):
    command = click.option("--force", is_flag=True, help="Retrain even when a result is stored.")(command)
    command = click.option("--jobs", type=click.IntRange(min=1), default=None,
                           help="Train this many runs at once, in separate processes [default: one per core]. "
                                "Each run uses one thread, so its numbers do not depend on this.")(command)
    command = click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
                           help="Run the training runs here, or as Ray tasks (pip install -e '.[ray]').")(command)
    command = click.option("--address", default=None,
                           help="With --executor ray: the Ray cluster to join (default: start a local one).")(command)
    command = click.option("--cpus-per-run", type=click.IntRange(min=1), default=None,
                           help="With --executor ray: CPUs each run reserves on the cluster [default: 1]. Every run "
                                "trains with one thread, so its numbers (and key) do not depend on this.")(command)
    command = click.option("--gpus-per-run", type=click.FloatRange(min=0, min_open=True), default=None,
                           help="With --executor ray: GPUs each run asks for (Ray gives none to a task that "
                                "does not ask).")(command)
    command = click.option("--fail-fast", is_flag=True, help="Stop at the first run that fails.")(command)
    command = click.option("--verbose", is_flag=True,
                           help="Show TensorFlow's own log lines on the terminal, not only in OUTPUT/logs/.")(command)
    command = click.option("--resolve", is_flag=False, flag_value="unlimited", default=None, metavar="[BUDGET]",
                           help="Where \"which is best\" is open, train one more seed for each configuration "
                                "that could still be the best, round by round, until it is decided, max_seeds, "
                                "or BUDGET (\"30m\", \"90s\", \"2h\") is spent [default: [report] resolve].")(command)

    @functools.wraps(command)
    def wrapper(ws, force, fail_fast, jobs, executor, address, cpus_per_run, gpus_per_run, verbose, resolve):
        from .config import parse_budget
        from .training.execute import Executor

        budget = resolve if resolve is not None else ws.config["report"]["resolve"] or None
        if budget is not None:
            ws.resolve = parse_budget(budget)
            if ws.resolve is None:
                raise ConfigError(f"--resolve {budget!r}: a time budget such as 30m, 90s or 2h, or none for no limit")

        if executor == "ray":
            from .training.ray_executor import check_available

            check_available()
        elif address or cpus_per_run or gpus_per_run:
            raise ConfigError("--address, --cpus-per-run and --gpus-per-run go with --executor ray")
        return command(ws, force, fail_fast, Executor(executor, jobs, address, cpus_per_run, gpus_per_run,
                                                      quiet_native_logs=not verbose))
    return wrapper


class Commands(click.Group):
    """mkreport's commands; any other name is taken as a section of the user's own (`mkreport dropout`),
    found once the config is read (an unknown name is then one error listing commands and sections)."""

    def get_command(self, ctx, name):
        found = super().get_command(ctx, name)
        if found is None and name.isidentifier():
            return _own_section_command(name)
        return found


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mkreport")
def cli():
    """Train every experiment of the assignment and render output/report.html and report.pdf."""


def _nothing_changed(ws) -> bool:
    """The report in --output was made from exactly what this command would make it from."""
    from .results.recorded import read_raw
    from .output.uptodate import is_up_to_date

    if is_up_to_date(ws, read_raw(ws.store.output)):
        say(f"report is up to date: {ws.store.output / 'report.html'} and report.pdf "
                   "(nothing it is made from has changed)")
        return True
    return False


def _build(ws, names, force, fail_fast, strict, executor):
    from .build import build_report
    from .training.logs import FOLDER, native_stderr_to

    if not force and ws.resolve is None and _nothing_changed(ws):   # --resolve may have rounds to train
        return
    with ws.store.lock(), native_stderr_to(ws.store.output / FOLDER / "mkreport.log", executor.quiet_native_logs):
        built = build_report(ws, names, strict=strict, force=force, fail_fast=fail_fast, executor=executor)
    tally = built.tally
    if tally.interrupted:
        raise Interrupted(f"interrupted; {tally.trained + tally.reused} finished run(s) are kept in the store "
                          f"({tally.trained} trained now); run the same command to train the rest")
    if built.html:
        say(f"trained {tally.trained} run(s), reused {tally.reused}; wrote {built.html} and {built.pdf}")
    for name, why in built.missing.items():
        click.echo(f"not in the report yet: {name} ({advice(ws, why)})", err=True)
    if tally.failed:
        raise MkreportError(f"{len(tally.failed)} run(s) failed: " + ", ".join(tally.failed))


@cli.command("all")
@common_options
@build_options
def all_command(ws, force, fail_fast, executor):
    """Train every section that is not stored yet, then render the report."""
    _build(ws, None, force, fail_fast, strict=True, executor=executor)


def _section_command(section):
    @common_options
    @build_options
    def command(ws, force, fail_fast, executor):
        _build(ws, [section.name], force, fail_fast, strict=False, executor=executor)
    command.__doc__ = (f"Run (or reuse) the section '{section.title}' and what it reads, "
                       "then re-render the report with every section that has results.")
    return cli.command(section.name)(command)


for _section in SECTIONS:
    _section_command(_section)


def _own_section_command(name: str):
    def build(ws, force, fail_fast, executor):
        _build(ws, [name], force, fail_fast, strict=False, executor=executor)

    build.section_name = name   # checked against the config's sections before anything is written
    command = common_options(build_options(build))
    command.__doc__ = f"Run (or reuse) your section '{name}' and what it reads, then re-render the report."
    return click.command(name)(command)


@cli.command("claims")
@click.argument("table", type=click.Path(path_type=Path))
@click.option("--test-size", type=click.IntRange(min=1), default=None,
              help="Test items behind each value: with --classes, a seed at chance never learned.")
@click.option("--classes", type=click.IntRange(min=2), default=None, help="Classes of the task (chance = 1/K).")
@click.option("--json", "as_json", is_flag=True, help="The claims as claims.json writes them.")
def claims(table, test_size, classes, as_json):
    """The report's tested sentences for a CSV of per-seed results (config, seed, value[, group][,
    higher_is_better]) that came from anywhere; trains nothing."""
    from .results_table import read_table, table_claims

    groups, higher = read_table(table)
    found = table_claims(groups, higher, test_size, classes)
    if as_json:
        click.echo(json.dumps([claim.as_json(group) for group, claim in found], indent=1))
        return
    shown = None
    for group, claim in found:
        if group != shown and len(groups) > 1:
            click.echo(f"{group}:")
        shown = group
        click.echo(("  " if len(groups) > 1 else "") + claim.text)


@cli.command("new-section")
@click.argument("name")
@click.option("--dir", "folder", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              show_default=True, help="Where to write sections/NAME.py, its template and mkreport.toml.")
def new_section(name, folder):
    """Write a working section of your own: a module, its template and a config that adds it to the report."""
    from .sections.scaffold import write_section

    written = write_section(name, folder)
    for path in written:
        say(f"wrote {path}")
    config = next(path for path in written if path.suffix == ".toml")
    say(f"build it: mkreport all --config {config} --profile smoke   (then: mkreport {name} --config {config})")


@cli.command()
@rendering_options
def render(ws):
    """Re-render the report from stored results; trains nothing."""
    from .build import build_report
    from .training.logs import FOLDER, native_stderr_to

    if _nothing_changed(ws):
        return
    with ws.store.lock(), native_stderr_to(ws.store.output / FOLDER / "mkreport.log"):
        built = build_report(ws, train=False)
    say(f"wrote {built.html} and {built.pdf}")


@cli.command()
@reading_options
@click.option("--force", is_flag=True, help="Plan as if nothing were stored.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Estimate for this many runs at once [default: one per core].")
@click.option("--resolve", is_flag=True,
              help="Also, per grid whose \"which is best\" is open: --resolve's first round and its expected cost.")
def plan(ws, force, jobs, resolve):
    """List the runs a build would train and reuse, with a time estimate from a short measurement."""
    from .training.execute import Executor
    from .training.plan import describe, make_plan

    from experiments.data import cache_dir

    from .training.logs import native_stderr_to

    # TensorFlow's start-up lines while measuring go beside the measurements, not to the terminal
    log = cache_dir() / "speed" / "measure.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        quiet = os.access(log.parent, os.W_OK)
    except OSError:
        quiet = False
    from experiments.kernels import request

    from .training.cpu_kernels import choose, describe as kernels_line

    ws.kernels = choose(ws.config, measure=True, say=lambda line: click.echo(line, err=True), output=ws.store.output,
                        keep=False)   # plan trains nothing: the folder's choice is made by its first build
    request(ws.kernels)   # the speeds below are measured with the kernels the runs will use
    with native_stderr_to(log, quiet):
        plan = make_plan(ws, force=force, measure=True)
    say(describe(plan, Executor(jobs=jobs).workers(len(plan.to_train)), verbose=True))
    say(kernels_line(ws.config, ws.kernels))
    if resolve:
        from .training.resolve import plan_lines

        for line in plan_lines(ws, ws.sections, ws.config["report"]["max_seeds"], Executor(jobs=jobs).workers(9)):
            say(line)


@cli.command()
@reading_options
def check(ws):
    """Validate a built report; exit 1 with a list of problems."""
    from .output.check import check_report

    problems = check_report(ws, functools.partial(rerun, ws))
    if problems:
        for problem in problems:
            click.echo(f"problem: {problem}", err=True)
        raise MkreportError(f"the report has {len(problems)} problem(s)")
    say(f"report OK: {ws.store.output / 'report.html'} and report.pdf")


@cli.command()
@reading_options
@click.option("--json", "as_json", is_flag=True, help="Also give each run's key and stored path.")
def status(ws, as_json):
    """One row per run: section, config, seed and state (done, missing, failed, diverged, stale, corrupt)."""
    from .results.workspace import status_rows

    rows = status_rows(ws)
    if as_json:
        say(json.dumps(rows, indent=1))
        return
    width = max(len(r["config"]) for r in rows)
    for row in rows:
        say(f"{row['section']:<10} {row['config']:<{width}}  seed {row['seed']:<3} {row['state']}")
    counts = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    say(", ".join(f"{n} {state}" for state, n in sorted(counts.items())))


@cli.command()
@click.option("--output", type=click.Path(path_type=Path, file_okay=False), default=Path("output"), show_default=True,
              help="The output folder whose runs to show.")
@click.option("--serve", is_flag=True, help="Start TensorBoard on them instead of printing the command.")
def tensorboard(output, serve):
    """Explore every run in TensorBoard: curves, and the HParams table of each grid."""
    import shlex
    import shutil

    folder = output / "tensorboard"
    if not folder.is_dir():
        raise MkreportError(f"{folder} does not exist yet; build the report first (`mkreport all --output {output}`)")
    command = ["tensorboard", "--logdir", str(folder)]
    if not serve:
        say(" ".join(shlex.quote(part) for part in command))
        return
    if shutil.which("tensorboard") is None:
        raise MkreportError("the tensorboard command is not on PATH (pip install tensorboard)")
    os.execvp(command[0], command)


@cli.command()
@click.option("--init", is_flag=True, help="Write an empty note, with a one-line hint, for every note not there yet.")
@click.option("--notes", "folder", type=click.Path(path_type=Path, file_okay=False), default=Path("notes"),
              show_default=True, help="The notes folder.")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="A config whose [report] sections (your own among them) get a note each.")
def notes(init, folder, config_file):
    """Your own words in the report: Markdown notes per section, an introduction and a conclusion."""
    from .config import section_names
    from .output.notes import init_notes, note_names
    from .sections import discover

    sections = [s.name for s in discover(section_names(config_file), config_file)] if config_file else \
        [s.name for s in SECTIONS]
    names = note_names(sections)
    if init:
        written = init_notes(folder, sections)
        say(f"wrote {len(written)} note(s) in {folder}; fill in what you want in the report "
                   "(a note left as it is, or deleted, is not shown)")
        return
    for name, purpose in names.items():
        path = folder / f"{name}.md"
        say(f"{'present' if path.is_file() else 'absent ':<8} {path}  — {purpose}")


class Terminated(KeyboardInterrupt):
    """SIGTERM (a `timeout`, a CI cancel, `kill`): handled like Ctrl-C, with exit status 143."""


KEPT = ("every finished run and analysis is kept in the store (`mkreport status` lists them); "
        "run the same command to go on from there")
_terminating = False  # set by SIGTERM: the exit status is 143 however the interruption surfaces


def _on_sigterm(signum, frame):
    global _terminating
    _terminating = True
    raise Terminated()


def _stop(message: str, code: int):
    click.echo(f"mkreport: {message}", err=True)
    if code in (INTERRUPTED, TERMINATED):
        # Interrupted: every result is already stored atomically and the output lock released. Leave
        # at once, so that no thread of a stopped worker pool can hold the interpreter's exit.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main(argv=None) -> int:
    """Entry point: one line per error, never a traceback; exit 0 / 1 / 2 / 130 / 143."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        cli.main(args=argv, prog_name="mkreport", standalone_mode=False)
    except click.exceptions.Abort:  # click's form of KeyboardInterrupt, and so of SIGTERM (Terminated)
        if _terminating:
            _stop(f"terminated; {KEPT}", TERMINATED)
        _stop(f"interrupted; {KEPT}", INTERRUPTED)
    except click.ClickException as error:
        error.show()
        sys.exit(2 if isinstance(error, click.UsageError) else error.exit_code)
    except Terminated:
        _stop(f"terminated; {KEPT}", TERMINATED)
    except KeyboardInterrupt:
        _stop(f"interrupted; {KEPT}", INTERRUPTED)
    except Interrupted as error:
        _stop(("terminated" + str(error)[len("interrupted"):]) if _terminating else str(error),
              TERMINATED if _terminating else INTERRUPTED)
    except USER_ERRORS as error:
        _stop(str(error), error.exit_code)
    except OSError as error:  # the file system said no (a name too long, a device gone): name the file
        from .results.store import ADVICE

        where = f"{error.filename}: " if error.filename else ""
        _stop(f"{where}{error.strerror or error} — {ADVICE.get(error.errno, 'check it and run the same command again')}", 1)
    except Exception as error:  # a bug in mkreport: still one line; MKREPORT_DEBUG=1 shows the traceback
        if os.environ.get("MKREPORT_DEBUG"):
            raise
        _stop(f"internal error: {type(error).__name__}: {error} (set MKREPORT_DEBUG=1 for the traceback)", 1)
    sys.exit(0)
