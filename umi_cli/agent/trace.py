"""Trace files: a run's trajectory in the ToolBench conversation format plus per-step figures.

A trace has the keys of an item of ``toolbench_ood_dev.json`` (``tools``, ``instruction``,
``conversations`` of ``{"from", "value"}`` turns) so ``umi eval`` can score it, and adds
``outcome``, ``answer``, ``attempts``, ``steps``, ``figures`` and ``totals``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from umi_cli.errors import UmiError
from umi_cli.inputs import parse_json

REQUIRED_KEYS = ("tools", "instruction", "conversations")
TURN_KINDS = ("user", "assistant", "caller", "observation", "conclusion")


def write_trace(path: Path | str, trace: dict[str, Any]) -> Path:
    """Write ``trace`` as indented UTF-8 JSON (parent folders are created)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(trace, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UmiError(
            f"{path}: cannot write the trace ({exc.strerror}); pick another --trace path"
        ) from None
    return path


def load_trace(path: Path | str) -> dict[str, Any]:
    """Read a trace file, checking the ToolBench shape; one-line UmiError when it is not one."""
    path = Path(path)
    try:
        data = parse_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UmiError(f"{path}: no such trace file") from None
    except (OSError, ValueError) as exc:
        raise UmiError(f"{path}: not a JSON trace file ({one_line(exc)})") from None
    if not isinstance(data, dict) or any(key not in data for key in REQUIRED_KEYS):
        raise UmiError(f"{path}: a trace needs the keys {', '.join(REQUIRED_KEYS)}")
    for index, turn in enumerate(data["conversations"]):
        if (
            not isinstance(turn, dict)
            or turn.get("from") not in TURN_KINDS
            or not isinstance(turn.get("value"), str)
        ):
            raise UmiError(
                f'{path}: conversations[{index}] must be {{"from": one of '
                f'{", ".join(TURN_KINDS)}, "value": text}}'
            )
    return data


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split())
