"""The one kind of error `python -m stackctl` reports as a single line and exit code 1."""


class StackctlError(Exception):
    """Bad input or a failed evaluation: a message for the user, never a traceback."""
