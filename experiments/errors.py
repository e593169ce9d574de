"""The one error experiments/ raises for bad input data; report/ maps it to exit status 1."""


class DataError(Exception):
    """A dataset that is missing, corrupt or malformed."""

    exit_code = 1
