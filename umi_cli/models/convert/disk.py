"""Free-space checks before a download or conversion starts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from umi_cli.errors import UmiError


def format_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def require_free_space(needs: dict[Path, int], *, what: str) -> None:
    """Raise UmiError when the file systems holding these folders lack the bytes they need.

    Folders on the same file system have their needs added up.
    """
    by_device: dict[int, tuple[Path, int]] = {}
    for folder, count in needs.items():
        anchor = _existing_parent(folder)
        device = os.stat(anchor).st_dev
        previous = by_device.get(device, (anchor, 0))
        by_device[device] = (previous[0], previous[1] + count)
    for anchor, count in by_device.values():
        free = shutil.disk_usage(anchor).free
        if free < count:
            raise UmiError(
                f"not enough disk space for {what}: it needs {format_bytes(count)} free under "
                f"{anchor}, and {format_bytes(free)} is free; free some space or set UMI_HOME "
                "to a larger disk"
            )
