"""The `mkreport` command: options become arguments to one function each; exit codes live in main()."""
from __future__ import annotations

import functools
import json
import os
import sys
import tempfile
from pathlib import Path

import click

from . import __version__
from .errors import USER_ERRORS, ConfigError, Interrupted, MkreportError
from .sections import SECTIONS

INTERRUPTED = Interrupted.exit_code


def _check_output(output: Path) -> Path:
    """The output folder exists and is writable, or the user is told so before any work starts."""
    if output.exists() and not output.is_dir():
        raise ConfigError(f"--output {output} is a file, not a folder")
    try:
        output.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=output):
            pass
    except OSError as error:
        raise ConfigError(f"--output {output} is not writable ({error.strerror or error})") from None
    return output


def common_options(command):
    """--config, --profile, --data-dir, --output, --force on every command that builds."""
    @click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
                  help="TOML file overriding the shipped defaults key by key.")
    @click.option("--profile", type=click.Choice(["full", "quick", "smoke"]), default="full",
                  show_default=True, help="Training budget: full (the assignment's), quick, or smoke (CI).")
    @click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), envvar="MKREPORT_DATA_DIR",
                  help="Folder holding CIFAR10.zip and mnist.npz [env: MKREPORT_DATA_DIR].")
    @click.option("--output", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
                  help="Folder for stored results and the report.")
    @functools.wraps(command)
    def wrapper(config_file, profile, data_dir, output, **kwargs):
        from .config import load_config
        from .workspace import Workspace

        config = load_config(config_file, profile)
        return command(Workspace(config, _check_output(output), data_dir), **kwargs)
    return wrapper


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
                           help="With --executor ray: CPUs each run asks for (default: this machine's cores).")(command)
    command = click.option("--fail-fast", is_flag=True, help="Stop at the first run that fails.")(command)

    @functools.wraps(command)
    def wrapper(ws, force, fail_fast, jobs, executor, address, cpus_per_run):
        from .execute import Executor

        if executor == "ray":
            from .ray_executor import check_available

            check_available()
        elif address or cpus_per_run:
            raise ConfigError("--address and --cpus-per-run go with --executor ray")
        return command(ws, force, fail_fast, Executor(executor, jobs, address, cpus_per_run))
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mkreport")
def cli():
    """Train every experiment of the assignment and render output/report.html and report.pdf."""


def _build(ws, names, force, fail_fast, strict, executor):
    from .build import build_report

    with ws.store.lock():
        built = build_report(ws, names, strict=strict, force=force, fail_fast=fail_fast, executor=executor)
    tally = built.tally
    if tally.interrupted:
        raise Interrupted(f"interrupted; {tally.trained + tally.reused} finished run(s) are kept in the store "
                          f"({tally.trained} trained now); run the same command to train the rest")
    if built.html:
        click.echo(f"trained {tally.trained} run(s), reused {tally.reused}; wrote {built.html} and {built.pdf}")
    for name, why in built.missing.items():
        click.echo(f"not in the report yet: {name} ({why})", err=True)
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


@cli.command()
@common_options
def render(ws):
    """Re-render the report from stored results; trains nothing."""
    from .build import build_report

    with ws.store.lock():
        built = build_report(ws, train=False)
    click.echo(f"wrote {built.html} and {built.pdf}")


@cli.command()
@common_options
@click.option("--force", is_flag=True, help="Plan as if nothing were stored.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Estimate for this many runs at once [default: one per core].")
def plan(ws, force, jobs):
    """List the runs a build would train and reuse, with a time estimate from a short measurement."""
    from .execute import Executor
    from .plan import describe, make_plan

    plan = make_plan(ws, force=force, measure=True)
    click.echo(describe(plan, Executor(jobs=jobs).workers(len(plan.to_train)), verbose=True))


@cli.command()
@common_options
def check(ws):
    """Validate a built report; exit 1 with a list of problems."""
    from .check import check_report

    problems = check_report(ws)
    if problems:
        for problem in problems:
            click.echo(f"problem: {problem}", err=True)
        raise MkreportError(f"the report has {len(problems)} problem(s)")
    click.echo(f"report OK: {ws.store.output / 'report.html'} and report.pdf")


@cli.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Also give each run's key and stored path.")
def status(ws, as_json):
    """One row per run: section, config, seed and state (done, missing, failed, diverged, stale, corrupt)."""
    from .workspace import status_rows

    rows = status_rows(ws)
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    width = max(len(r["config"]) for r in rows)
    for row in rows:
        click.echo(f"{row['section']:<10} {row['config']:<{width}}  seed {row['seed']:<3} {row['state']}")
    counts = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    click.echo(", ".join(f"{n} {state}" for state, n in sorted(counts.items())))


def main(argv=None) -> int:
    """Entry point: one line per error, never a traceback; exit 0 / 1 / 2 / 130."""
    try:
        cli.main(args=argv, prog_name="mkreport", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("mkreport: interrupted", err=True)
        sys.exit(INTERRUPTED)
    except click.ClickException as error:
        error.show()
        sys.exit(2 if isinstance(error, click.UsageError) else error.exit_code)
    except KeyboardInterrupt:
        click.echo("mkreport: interrupted; every finished run is kept in the store "
                   "(`mkreport status` lists them)", err=True)
        sys.exit(INTERRUPTED)
    except USER_ERRORS as error:
        click.echo(f"mkreport: {error}", err=True)
        sys.exit(error.exit_code)
    except Exception as error:  # a bug in mkreport: still one line; MKREPORT_DEBUG=1 shows the traceback
        if os.environ.get("MKREPORT_DEBUG"):
            raise
        click.echo(f"mkreport: internal error: {type(error).__name__}: {error} "
                   "(set MKREPORT_DEBUG=1 for the traceback)", err=True)
        sys.exit(1)
    sys.exit(0)
