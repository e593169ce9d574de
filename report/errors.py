"""The errors mkreport turns into one clear line and an exit status (see cli.main)."""
from experiments.errors import DataError


LOGS = "logs"   # the output folder's log files (TensorFlow's lines, runs', a section's traceback)


class MkreportError(Exception):
    """A failure while running: exit status 1."""

    exit_code = 1


class ConfigError(MkreportError):
    """Bad usage or a bad config file: exit status 2."""

    exit_code = 2


class NoResults(MkreportError):
    """Results a command needs are not stored (or not current); `command` is the mkreport command
    that makes them (a section's name, or "all"), which the CLI turns into advice."""

    def __init__(self, message: str, command: str):
        super().__init__(message)
        self.command = command


class Unavailable(MkreportError):
    """What a section cannot show for these results (no CIFAR10 run finished, say): its analysis is
    stored as this sentence and the section is rendered saying it, instead of failing the build."""


class UserCodeError(MkreportError):
    """An exception from a function of a section of the user's own (runs, analyse, summarize, figures):
    the user's to fix, so one line naming the section, the function and the exception, exit 1, with the
    traceback in OUTPUT/logs/section-<name>.log where the output folder is known."""

    def __init__(self, section: str, function: str, source, error: BaseException | None, log=None,
                 returned: str | None = None):
        """error: what it raised; or returned: what is wrong with what it returned."""
        import traceback

        self.section, self.function, self.log = section, function, log
        self.traceback = "".join(traceback.format_exception(error)) if error is not None else ""
        where = f" ({source})" if source else ""
        super().__init__(f"section {section}: your {function}(){where} " +
                         (f"returned {returned}" if returned else f"raised {type(error).__name__}: {error}"))

    def __str__(self) -> str:
        return super().__str__() + (f"; its traceback: {self.log}" if self.log else "")


class Interrupted(MkreportError):
    """Ctrl-C: what finished is kept; exit status 130 like any interrupted shell command."""

    exit_code = 130


# What a user can cause and fix: shown as one line, never as a traceback.
USER_ERRORS = (MkreportError, DataError)

__all__ = ["MkreportError", "ConfigError", "NoResults", "Unavailable", "UserCodeError", "Interrupted", "DataError",
           "USER_ERRORS"]
