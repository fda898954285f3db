"""Whether runs are logged, and where: ``--no-log``, ``UMI_NO_LOG``, ``settings.yaml``.

Runs are logged to ``<data dir>/logs.db`` unless one of these turns it off, checked in order:

- the ``--no-log`` flag of ``run``, ``chat`` and ``batch``;
- the environment variable ``UMI_NO_LOG`` set to anything but ``""``, ``0``, ``false``, ``no``;
- ``log: false`` in ``<config dir>/settings.yaml`` (``$UMI_HOME/config/settings.yaml``).

The settings file is shared with other features: keys other than ``log`` are left to them. A
file that is not YAML, not a mapping, or whose ``log`` is not a boolean is a one-line
:class:`~umi_cli.errors.ConfigError` naming the file, the line and the fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from umi_cli import paths
from umi_cli.errors import ConfigError
from umi_cli.inputs import parse_yaml

SETTINGS_FILE = "settings.yaml"
LOG_FILE = "logs.db"
NO_LOG_ENV = "UMI_NO_LOG"
_FALSE_WORDS = ("", "0", "false", "no", "off")


def settings_file() -> Path:
    """The user's ``settings.yaml`` (it may not exist)."""
    return paths.config_dir() / SETTINGS_FILE


def log_file() -> Path:
    """The run log's SQLite file."""
    return paths.data_dir() / LOG_FILE


@dataclass(frozen=True)
class LogSettings:
    """Whether to log (``off_because`` says why not) and the log file."""

    enabled: bool
    path: Path
    off_because: str = ""


def log_settings(no_log: bool = False, environ: Mapping[str, str] | None = None) -> LogSettings:
    """The logging settings of this process; ``no_log`` is the ``--no-log`` flag."""
    env = os.environ if environ is None else environ
    path = log_file()
    if no_log:
        return LogSettings(False, path, "--no-log")
    if env.get(NO_LOG_ENV, "").strip().lower() not in _FALSE_WORDS:
        return LogSettings(False, path, f"{NO_LOG_ENV}={env[NO_LOG_ENV]}")
    source = settings_file()
    if not read_log_setting(source):
        return LogSettings(False, path, f"log: false in {source}")
    return LogSettings(True, path)


def read_log_setting(path: Path) -> bool:
    """The ``log`` value of a settings file (True when the file or the key is absent)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return True
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot read the settings file ({exc}); fix or remove it"
        ) from None
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"{where}: {problem}; write `log: false` or `log: true`") from None
    if data is None:
        return True
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the settings must be a mapping of keys, like `log: false`")
    value = data.get("log", True)
    if not isinstance(value, bool):
        raise ConfigError(
            f"{path}:{_line_of(text, 'log')}: log: must be true or false, got {value!r}"
        )
    return value


def _line_of(text: str, key: str) -> int:
    """The 1-based line where a top-level ``key:`` is written (1 when not found)."""
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return 1
