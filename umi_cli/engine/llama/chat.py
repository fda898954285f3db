"""Render a GGUF's own chat template (``tokenizer.chat_template``) with Jinja2.

Uses llama-cpp-python's formatter, which mirrors Hugging Face transformers (sandboxed Jinja2,
``tojson`` without ASCII escaping, ``raise_exception``, ``strftime_now``), so templates with tool
calling such as Qwen2.5's render as they do in transformers.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

import jinja2
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from umi_cli.errors import UmiError


@lru_cache(maxsize=16)
def _formatter(
    template: str, bos: str, eos: str, add_generation_prompt: bool
) -> Jinja2ChatFormatter:
    return Jinja2ChatFormatter(
        template=template,
        bos_token=bos,
        eos_token=eos,
        add_generation_prompt=add_generation_prompt,
    )


def render_chat(
    template: str,
    messages: list[dict[str, Any]],
    *,
    bos_token: str,
    eos_token: str,
    add_generation_prompt: bool = True,
    tools: list[dict[str, Any]] | None = None,
    model_name: str = "model",
) -> str:
    """The prompt text for ``messages`` (and optional OpenAI-style ``tools``)."""
    try:
        formatter = _formatter(template, bos_token, eos_token, add_generation_prompt)
        rendered = formatter(messages=cast(Any, messages), tools=cast(Any, tools))
        return str(rendered.prompt)
    except jinja2.TemplateError as exc:
        raise UmiError(f"the chat template of {model_name} failed to render: {exc}") from None
    except ValueError as exc:  # raise_exception() inside the template
        raise UmiError(f"the chat template of {model_name} rejected the messages: {exc}") from None
