"""The errors mkreport turns into one clear line and an exit status (see cli.main)."""


class MkreportError(Exception):
    """A failure while running: exit status 1."""

    exit_code = 1


class ConfigError(MkreportError):
    """Bad usage or a bad config file: exit status 2."""

    exit_code = 2


class DataError(MkreportError):
    """A dataset that is missing, corrupt or malformed: exit status 1."""

    exit_code = 1


class Interrupted(MkreportError):
    """Ctrl-C: what finished is kept; exit status 130 like any interrupted shell command."""

    exit_code = 130
