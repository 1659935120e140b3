"""The one kind of error `python -m stackctl` reports as a single line and exit code 1."""


class StackctlError(Exception):
    """Bad input or a failed evaluation: a message for the user, never a traceback."""


class StackFileError(StackctlError):
    """A project or stack file, stack name or `--config` override the CLI itself would refuse
    (or that the offline reader bounds): one message naming the file, line and key, never a
    value."""
