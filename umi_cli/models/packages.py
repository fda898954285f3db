"""GGUF files shipped inside installed Python packages, possibly split into ordered parts.

The packages are located without being imported: their code never runs (they come from
uploaders we cannot vouch for); only their data files are read, and the assembled file is
always checked against the catalog's sha256.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from umi_cli.models.entry import PackagePart, PackageSource


class PartMissing(Exception):
    """A package of the source is not installed, or lacks the part file."""


def _package_dirs(package: str) -> list[Path]:
    """Directories of top-level package ``package`` on sys.path, found without importing it."""
    dirs: list[Path] = []
    if "." not in package:  # find_spec of a dotted name would import the parent package
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.submodule_search_locations:
            dirs.extend(Path(p) for p in spec.submodule_search_locations)
    for entry in sys.path:
        candidate = Path(entry or ".") / Path(*package.split("."))
        if candidate.is_dir() and candidate not in dirs:
            dirs.append(candidate)
    return dirs


def part_file(part: PackagePart) -> Path:
    """The installed file of one part; PartMissing names the package and the fix."""
    dirs = _package_dirs(part.package)
    if not dirs:
        dist = part.package.replace("_", "-")
        raise PartMissing(f"package {part.package} is not installed (pip install {dist})")
    for directory in dirs:
        candidate = directory / part.path
        if candidate.is_file():
            return candidate
    raise PartMissing(f"package {part.package} has no file {part.path}")


def part_files(source: PackageSource) -> list[Path]:
    """All part files of ``source`` in order; PartMissing on the first one absent."""
    return [part_file(part) for part in source.parts]
