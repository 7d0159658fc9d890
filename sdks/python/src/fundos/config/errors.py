"""The configuration package's one error type."""

from __future__ import annotations

EXIT_FAILURE = 1
"""The operation failed (a database error while writing; nothing was changed)."""
EXIT_BAD_INPUT = 2
"""The input is wrong: a bad address, configuration, password, schema version, service."""


class ConfigError(Exception):
    """A one-line message that names the source (file or URL, never a password) and, for a
    configuration fault, the field; and the exit status it means."""

    def __init__(self, message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code
