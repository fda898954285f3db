"""ToolBench name standardization, as the α-UMi checkpoints saw it (FORMAT.md §5)."""

from __future__ import annotations

import re

#: API and parameter names that ToolBench renamed to ``is_<name>`` (Python keywords and friends).
RESERVED_NAMES = frozenset({"from", "class", "return", "false", "true", "id", "and"})

#: Longest α-UMi API name; longer names keep their *last* 64 characters.
MAX_NAME_CHARS = 64

_NOT_NAME_CHAR = re.compile(r"[^\u4e00-\u9fa5a-zA-Z0-9_]")
_UNDERSCORE_RUN = re.compile(r"_+")


def standardize(name: str) -> str:
    """Map ``name`` to ToolBench's identifier form: ``"Get Items!"`` -> ``"get_items"``.

    Characters outside ``[A-Za-z0-9_]`` (CJK ideographs kept) become ``_``, runs of ``_`` collapse,
    the result is lowercased and stripped of ``_``; a leading digit gets ``get_`` in front.
    """
    text = _UNDERSCORE_RUN.sub("_", _NOT_NAME_CHAR.sub("_", name)).lower().strip("_")
    if text and text[0].isdigit():
        text = "get_" + text
    return text


def rename_reserved(name: str) -> str:
    """``id`` -> ``is_id`` and the other reserved words; other names unchanged."""
    return "is_" + name if name in RESERVED_NAMES else name


def api_document_name(api_name: str, tool_name: str) -> str:
    """The α-UMi ``Name`` of an API: ``<api>_for_<tool>``, last 64 characters."""
    full = f"{rename_reserved(standardize(api_name))}_for_{standardize(tool_name)}"
    return full[-MAX_NAME_CHARS:]


def parameter_document_name(param_name: str) -> str:
    """The name a parameter has in the α-UMi ``input`` map (standardized, ``is_`` renamed)."""
    return rename_reserved(standardize(param_name))
