"""The `mkreport` command: options become arguments to one function each; exit codes live in main()."""
from __future__ import annotations

import functools
import json
import os
import signal
import sys
from pathlib import Path

import click

from . import __version__
from .errors import USER_ERRORS, Interrupted, MkreportError, NoResults
from .sections import SECTIONS

INTERRUPTED = Interrupted.exit_code
TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process that SIGTERM ended


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
        from .session import open_workspace

        # render's --force: render even from other settings than the folder's (not passed on)
        force_other_settings = kwargs.pop("force", False) if refuses_other_settings else False
        wanted = getattr(command, "section_name", None)   # `mkreport NAME` for a section of the user's own
        ws = open_workspace(config_file, profile, sets, data_dir, notes, templates, claims_file, output,
                            writes=writes, download=download, refuses_other_settings=refuses_other_settings,
                            force_other_settings=force_other_settings, section=wanted,
                            commands=sorted(cli.commands))
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
        from .session import build_settings

        return command(ws, force, fail_fast, build_settings(ws, resolve, executor, jobs, address, cpus_per_run,
                                                            gpus_per_run, verbose))
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


def _build(ws, names, force, fail_fast, strict, executor):
    from .api import build_sections

    built = build_sections(ws, names, force, fail_fast, strict, executor, say=say)
    for name, why in (built.missing.items() if built else ()):
        click.echo(f"not in the report yet: {name} ({advice(ws, why)})", err=True)
    if built and built.tally.failed:
        raise MkreportError(f"{len(built.tally.failed)} run(s) failed: " + ", ".join(built.tally.failed))


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
    from .pipeline import build_report
    from .training.logs import FOLDER, native_stderr_to

    from .api import nothing_changed

    if nothing_changed(ws, say):
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
