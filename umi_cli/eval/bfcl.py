"""BFCL through umi: the planner decides whether to call, the caller writes the calls.

Systems compared on the same items and the same model:

- ``umi``: planner + caller with constrained decoding (the caller grammar admits only the
  item's functions with schema-valid arguments, one or more ``Action``/``Action Input`` pairs);
- ``umi-free``: the same roles without grammars;
- ``native``: the model's own chat-template tool calling (Qwen/Hermes ``<tool_call>`` blocks),
  what a user would get by prompting the model directly. Needs a ``chat``-format model.

Parallel items are answered by one caller turn that writes several ``Action``/``Action Input``
pairs (the caller is told nothing extra; the grammar allows a newline and another pair after each
call). Irrelevance items are right when no call is made: the planner chooses conclusion or give up,
or the native model answers without a ``<tool_call>``.
"""

from __future__ import annotations

import copy
import inspect
import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from umi_cli.engine.types import CompletionRequest, CompletionStats
from umi_cli.errors import UmiError
from umi_cli.eval.bfcl_data import BfclItem, check
from umi_cli.eval.bfcl_tools import BfclToolset, parse_caller_calls, parse_native_calls
from umi_cli.eval.role_models import LoadedRoles
from umi_cli.tools.grammar import caller_grammar_from_schemas

SYSTEMS = ("umi", "umi-free", "native")

#: Builds the caller grammar of an item (tests pass one that forces a given answer).
GrammarBuilder = Callable[[BfclItem, BfclToolset], str]

NATIVE_STOPS = ("<|im_end|>", "<|endoftext|>")

#: Qwen2.5's default system text and tool block, as its chat template writes them.
QWEN_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
QWEN_TOOLS_HEAD = (
    "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>"
)
QWEN_TOOLS_TAIL = (
    "\n</tools>\n\nFor each function call, return a json object with function name and "
    "arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
    '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
)


def multi_call_grammar(item: BfclItem, toolset: BfclToolset) -> str:
    """The tools layer's caller grammar, allowing further calls after a newline."""
    single = caller_grammar_from_schemas(toolset.schemas())
    head, _, rest = single.partition("\n")
    call_rule = head.replace("root ::=", "one-call ::=", 1)
    return f'root ::= one-call ( "\\n" one-call )*\n{call_rule}\n{rest}'


def with_constraint(roles: LoadedRoles, constrain: bool) -> LoadedRoles:
    """The same roles and models with grammars switched on or off."""
    variant = copy.copy(roles)
    for name in ("planner", "caller", "summarizer", "backbone"):
        role = getattr(roles, name)
        if role is not None:
            changed = copy.copy(role)
            changed.decoding = replace(role.decoding, constrain=constrain)
            setattr(variant, name, changed)
    return variant


class BfclRunner:
    """Predicts and scores BFCL items for each system over one loaded profile."""

    def __init__(self, roles: LoadedRoles, *, grammar: GrammarBuilder | None = None) -> None:
        self.constrained = with_constraint(roles, True)
        self.free = with_constraint(roles, False)
        self.grammar = grammar or multi_call_grammar
        assert roles.caller is not None
        self.native_model = roles.loaded.get("caller")
        self.native_format = roles.caller.prompt_format
        self.decoding = roles.caller.decoding

    def supports(self, system: str) -> bool:
        """``native`` needs a model with a chat template (``format: chat`` in the catalog)."""
        return system != "native" or self.native_format == "chat"

    def run(self, item: BfclItem, system: str) -> dict[str, Any]:
        """One predictions-file record for ``item`` under ``system``."""
        started = time.perf_counter()
        toolset = BfclToolset(item.functions)
        failure = None
        try:
            if system == "native":
                decision, raw, parsed, stats = self._native(item, toolset)
            else:
                roles = self.constrained if system == "umi" else self.free
                decision, raw, parsed, stats = self._umi(item, toolset, roles, system == "umi")
        except UmiError as exc:  # e.g. a prompt that does not fit: scored as wrong
            failure = str(exc)
            decision, raw, parsed, stats = "error", "", [], CompletionStats()
        calls: list[dict[str, Any]] = []
        if failure is not None:
            correct, error = False, failure
        elif any(arguments is None for _name, arguments in parsed):
            correct, error = False, "unparsable call arguments"
        else:
            calls = [toolset.to_bfcl(name, arguments or {}) for name, arguments in parsed]
            correct, error = check(item, calls)
        return {
            "id": f"{system}:{item.id}",
            "item": item.id,
            "category": item.category,
            "system": system,
            "decision": decision,
            "raw": raw,
            "calls": calls,
            "correct": correct,
            "error": error,
            "stats": stats.to_dict(),
            "seconds": round(time.perf_counter() - started, 3),
        }

    def _umi(
        self, item: BfclItem, toolset: BfclToolset, roles: LoadedRoles, constrain: bool
    ) -> tuple[str, str, list[tuple[str, dict[str, Any] | None]], CompletionStats]:
        assert roles.planner and roles.caller
        documents = toolset.documents()
        history = [{"from": "user", "value": item.request}]
        plan = roles.planner.plan(documents, history)
        if plan.output.decision != "caller":
            return plan.output.decision, plan.output.text, [], plan.stats
        history.append({"from": "assistant", "value": plan.output.text})
        grammar_for = (lambda names: self.grammar(item, toolset.only(names))) if constrain else None
        call = roles.caller.call(documents, history, plan.output.text, grammar_for=grammar_for)
        parsed = parse_caller_calls(call.raw)
        if not parsed and call.output.name:  # e.g. no newline before "Action Input:"
            parsed = [(call.output.name, call.output.arguments_dict())]
        return "caller", call.raw, parsed, plan.stats + call.stats

    def _native(
        self, item: BfclItem, toolset: BfclToolset
    ) -> tuple[str, str, list[tuple[str, dict[str, Any] | None]], CompletionStats]:
        model = self.native_model
        prompt = native_prompt(model, item.request, toolset.native_tools())
        done = model.complete(
            CompletionRequest(
                prompt=prompt,
                stop=NATIVE_STOPS,
                max_tokens=self.decoding.max_tokens,
                temperature=self.decoding.temperature,
                top_p=self.decoding.top_p,
                seed=self.decoding.seed,
                slot="native",
            )
        )
        parsed = parse_native_calls(done.text)
        return ("caller" if parsed else "answer"), done.text, parsed, done.stats


def native_prompt(model: Any, request: str, tools: list[dict[str, Any]]) -> str:
    """The chat prompt with tools: the engine's template rendering when it takes ``tools``,
    else Qwen2.5's tool block written into the system message (what its template renders)."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": request}]
    if "tools" in inspect.signature(model.chat_prompt).parameters:
        return model.chat_prompt(messages, tools=tools)
    lines = "".join("\n" + json.dumps(tool, ensure_ascii=False) for tool in tools)
    system = QWEN_SYSTEM + QWEN_TOOLS_HEAD + lines + QWEN_TOOLS_TAIL
    return model.chat_prompt([{"role": "system", "content": system}, *messages])


def accuracy_table(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{system: {category: {"correct", "total", "accuracy"}, ..., "overall": ...}}``."""
    table: dict[str, dict[str, Any]] = {}
    for record in records:
        per_system = table.setdefault(record["system"], {})
        for key in (record["category"], "overall"):
            cell = per_system.setdefault(key, {"correct": 0, "total": 0})
            cell["total"] += 1
            cell["correct"] += int(bool(record["correct"]))
    for per_system in table.values():
        for cell in per_system.values():
            cell["accuracy"] = 100.0 * cell["correct"] / cell["total"]
    return table
