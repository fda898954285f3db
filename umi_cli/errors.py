"""Errors a user can cause: one clear line, a non-zero exit code, no traceback."""

from __future__ import annotations

#: The exit code of a run cancelled by Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


class UmiError(Exception):
    """A failure the user can fix; the message is one line naming what and how to fix it.

    ``exit_code`` is 1 for runtime failures; usage errors use :class:`UsageError` (2).
    """

    exit_code = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(UmiError):
    """Bad flag, argument or input file given on the command line (exit code 2)."""

    exit_code = 2


class ConfigError(UmiError):
    """A YAML file we read (catalog, tool spec) is invalid; message names file and field."""
