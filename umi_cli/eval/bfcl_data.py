"""BFCL (Berkeley Function Calling Leaderboard) items and its AST checker, from `bfcl-eval`.

The package is installed with ``pip install --no-deps bfcl-eval==2026.3.23``. Its checker module
imports ``bfcl_eval.constants.model_config``, which imports every vendor SDK only to build a table
of model settings; the checker reads one flag from that table (``underscore_to_dot``). We put a
small stand-in module under that name into ``sys.modules`` before importing the checker, so the
checker runs with nothing but the standard library.
"""

from __future__ import annotations

import json
import sys
import types
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from umi_cli.errors import UmiError, UsageError

INSTALL_HINT = "pip install --no-deps 'bfcl-eval==2026.3.23'"
DATA_PREFIX = "BFCL_v4_"
#: The name our checker calls the model; the stand-in model table has exactly this entry.
CHECKER_MODEL_NAME = "umi"

#: Single-turn categories scored by the AST checker (or, for irrelevance, by "made no call").
AST_CATEGORIES = (
    "simple_python",
    "multiple",
    "parallel",
    "parallel_multiple",
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
)
IRRELEVANCE_CATEGORIES = ("irrelevance", "live_irrelevance")
CATEGORIES = AST_CATEGORIES + IRRELEVANCE_CATEGORIES
DEFAULT_CATEGORIES = ("simple_python", "multiple", "parallel", "irrelevance")


@dataclass(frozen=True)
class BfclItem:
    """One test entry: the user request, the functions offered, and the accepted answers.

    ``answers`` is BFCL's possible answer (a list of ``{function: {param: [accepted values]}}``),
    ``None`` for irrelevance items, where the right behaviour is to call nothing.
    """

    id: str
    category: str
    request: str
    functions: list[dict[str, Any]]
    answers: list[dict[str, Any]] | None

    @property
    def expects_call(self) -> bool:
        return self.category not in IRRELEVANCE_CATEGORIES


def _data_dir() -> Path:
    try:
        root = resources.files("bfcl_eval")
    except ModuleNotFoundError:
        raise UmiError(f"the BFCL data is not installed; run: {INSTALL_HINT}") from None
    return Path(str(root)) / "data"


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_category(category: str, limit: int | None = None) -> list[BfclItem]:
    """The first ``limit`` items of a category, with their possible answers."""
    if category not in CATEGORIES:
        raise UsageError(
            f"--category {category}: not supported; choose from {', '.join(CATEGORIES)}"
        )
    data_dir = _data_dir()
    entries = _read_jsonl(data_dir / f"{DATA_PREFIX}{category}.json")
    if limit is not None:
        entries = entries[:limit]
    answers: dict[str, Any] = {}
    if category not in IRRELEVANCE_CATEGORIES:
        answer_rows = _read_jsonl(data_dir / "possible_answer" / f"{DATA_PREFIX}{category}.json")
        answers = {row["id"]: row["ground_truth"] for row in answer_rows}
    return [
        BfclItem(
            id=entry["id"],
            category=category,
            request=_request_text(entry["question"]),
            functions=entry["function"],
            answers=answers.get(entry["id"]),
        )
        for entry in entries
    ]


def _request_text(question: list[list[dict[str, str]]]) -> str:
    """The user request of a single-turn item (system text, if any, goes first)."""
    messages = question[0]
    return "\n".join(m["content"] for m in messages if m.get("role") in ("system", "user"))


@cache
def _checker() -> Any:
    """BFCL's ``ast_checker``, imported with the stand-in model table (see module doc)."""
    name = "bfcl_eval.constants.model_config"
    if name not in sys.modules:
        stand_in = types.ModuleType(name)
        stand_in.__doc__ = "umi's stand-in: the checker only reads underscore_to_dot."
        stand_in.MODEL_CONFIG_MAPPING = {  # type: ignore[attr-defined]
            CHECKER_MODEL_NAME: types.SimpleNamespace(underscore_to_dot=False)
        }
        sys.modules[name] = stand_in
    try:
        from bfcl_eval.constants.enums import Language
        from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker
    except ModuleNotFoundError as exc:
        raise UmiError(
            f"the BFCL checker cannot be imported ({exc}); run: {INSTALL_HINT}"
        ) from None

    def check_python(functions: list, output: list, answers: list, category: str) -> dict:
        return ast_checker(
            functions, output, answers, Language.PYTHON, category, CHECKER_MODEL_NAME
        )

    return check_python


def check(item: BfclItem, calls: list[dict[str, dict[str, Any]]]) -> tuple[bool, str]:
    """Score predicted calls (``[{function: {param: value}}]``); returns (correct, error text)."""
    if not item.expects_call:
        return (not calls, "" if not calls else "called a function; none was relevant")
    if not calls:
        return False, "made no call"
    ast_checker = _checker()
    try:
        result = ast_checker(item.functions, calls, item.answers, item.category)
    except Exception as exc:  # the checker trips on some malformed outputs
        return False, f"checker error: {type(exc).__name__}: {exc}"
    return bool(result["valid"]), "; ".join(str(e) for e in result.get("error", []))
