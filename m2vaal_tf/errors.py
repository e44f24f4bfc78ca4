"""Errors that are the user's to fix: the command line prints their message on one line and exits 2."""


class UserError(Exception):
    """A problem with the user's flags, files or data, explained in the message."""


class ConfigError(UserError):
    """A flag value that is invalid on its own or for the data set."""


class DataError(UserError):
    """A data set that is missing, corrupt or malformed."""


class OracleError(UserError):
    """An oracle that cannot be reached, refuses the run's credentials, or answered something the
    run cannot use; nothing is recorded until it is fixed. `status`: the server's HTTP status, if any."""
    status = None
