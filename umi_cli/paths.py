"""Where umi keeps its files: config, cache, models; XDG on Linux, UMI_HOME overrides all."""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: The repository root when running from a source checkout or an editable install.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The built-in catalog and tool specs inside the package: links to the repository's top-level
#: ``models.yaml`` and ``tool_specs/`` that a wheel build turns into copies.
_BUILTIN = Path(__file__).resolve().parent / "builtin"

_home_override: Path | None = None


def set_home(path: Path | None) -> None:
    """Override the umi home for this process (the global ``--home`` flag)."""
    global _home_override
    _home_override = path


def _umi_home() -> Path | None:
    if _home_override is not None:
        return _home_override
    env = os.environ.get("UMI_HOME")
    return Path(env).expanduser() if env else None


def _platform_dir(xdg_var: str, linux_default: str, mac_sub: str, win_var: str) -> Path:
    if sys.platform == "win32":
        return Path(os.environ.get(win_var, Path.home())) / "umi"
    if sys.platform == "darwin":
        return Path.home() / "Library" / mac_sub / "umi"
    base = os.environ.get(xdg_var)
    return (Path(base) if base else Path.home() / linux_default) / "umi"


def config_dir() -> Path:
    """User configuration: ``models.yaml`` overrides, ``tool_specs/``, REPL history."""
    home = _umi_home()
    if home:
        return home / "config"
    return _platform_dir("XDG_CONFIG_HOME", ".config", "Application Support", "APPDATA")


def cache_dir() -> Path:
    """Large downloadable data: models, conversion scratch."""
    home = _umi_home()
    if home:
        return home / "cache"
    return _platform_dir("XDG_CACHE_HOME", ".cache", "Caches", "LOCALAPPDATA")


def data_dir() -> Path:
    """Records umi keeps for the user: run logs, long-term memory (XDG data home)."""
    home = _umi_home()
    if home:
        return home / "data"
    return _platform_dir("XDG_DATA_HOME", ".local/share", "Application Support", "APPDATA")


def models_dir() -> Path:
    """Where fetched and assembled GGUF files live."""
    return cache_dir() / "models"


def user_catalog_file() -> Path:
    """The user's ``models.yaml`` that adds or overrides catalog entries."""
    return config_dir() / "models.yaml"


def user_tool_specs_dir() -> Path:
    """The user's own tool specs, listed after the built-in ``tool_specs/``."""
    return config_dir() / "tool_specs"


def builtin_catalog_file() -> Path:
    """The catalog shipped with umi (the repository's ``models.yaml``)."""
    return (_BUILTIN / "models.yaml").resolve()


def builtin_tool_specs_dir() -> Path:
    """The tool specs shipped with umi (the repository's ``tool_specs/``)."""
    return (_BUILTIN / "tool_specs").resolve()
