"""The CLI's one error type: a sentence for the user and the exit status it means."""

from __future__ import annotations

EXIT_FAILURE = 1
"""The run or the request failed."""
EXIT_USAGE = 2
"""The command line, a path or a configuration is wrong: fix it and run again."""


class CliError(Exception):
    """Printed as one line, ``fundos COMMAND: MESSAGE``, then the process exits with
    ``exit_code``. Never shown as a traceback."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(CliError):
    """A mistake on the command line or in a path given there (exit status 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)
