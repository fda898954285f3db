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
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from umi_cli.agent.dialects import CHAT_STOPS
from umi_cli.agent.native_calls import parse_native_calls
from umi_cli.agent.role_base import Role
from umi_cli.agent.roles import Caller, Planner
from umi_cli.engine import Backend, complete, finish
from umi_cli.engine.types import CompletionRequest, CompletionStats
from umi_cli.errors import UmiError
from umi_cli.eval.bfcl_data import BfclItem, check
from umi_cli.eval.bfcl_tools import BfclToolset, parse_caller_calls
from umi_cli.tools.toolbox import Toolbox

Roles = Mapping[str, Role]

SYSTEMS = ("umi", "umi-free", "native")

#: Builds the caller grammar of an item (tests pass one that forces a given answer).
GrammarBuilder = Callable[[BfclItem, BfclToolset], str]


def multi_call_grammar(item: BfclItem, toolset: BfclToolset) -> str:
    """The toolbox's caller grammar over the item's functions, allowing further calls after a
    newline (parallel items)."""
    single = Toolbox([toolset]).caller_grammar()
    head, _, rest = single.partition("\n")
    call_rule = head.replace("root ::=", "one-call ::=", 1)
    return f'root ::= one-call ( "\\n" one-call )*\n{call_rule}\n{rest}'


def with_constraint(roles: Roles, constrain: bool) -> dict[str, Role]:
    """The same roles and models with grammars switched on or off."""
    variant: dict[str, Role] = {}
    for name, role in roles.items():
        changed = copy.copy(role)
        changed.decoding = replace(role.decoding, constrain=constrain)
        variant[name] = changed
    return variant


class BfclRunner:
    """Predicts and scores BFCL items for each system over one loaded profile."""

    def __init__(self, roles: Roles, *, grammar: GrammarBuilder | None = None) -> None:
        self.constrained = with_constraint(roles, True)
        self.free = with_constraint(roles, False)
        self.grammar = grammar or multi_call_grammar
        caller = roles["caller"]
        self.native_model = caller.backend
        self.native_format = caller.dialect.name
        self.decoding = caller.decoding

    def supports(self, system: str) -> bool:
        """``native`` needs a model with a chat template (``format: chat`` in the catalog)."""
        return system != "native" or self.native_format == "chat"

    def run(self, item: BfclItem, system: str) -> dict[str, Any]:
        """One predictions-file record for ``item`` under ``system``."""
        started = time.perf_counter()
        toolset = BfclToolset(item.functions)
        failure = None
        judged = None  # the planner judge's P(yes), when it was asked
        try:
            if system == "native":
                decision, raw, parsed, stats = self._native(item, toolset)
            else:
                roles = self.constrained if system == "umi" else self.free
                decision, raw, parsed, stats, judged = self._umi(
                    item, toolset, roles, system == "umi"
                )
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
            "judge": judged,
        }

    def _umi(
        self, item: BfclItem, toolset: BfclToolset, roles: Roles, constrain: bool
    ) -> tuple[
        str, str, list[tuple[str, dict[str, Any] | None]], CompletionStats, dict[str, float] | None
    ]:
        """Decision, raw text, parsed calls, figures and the planner judge's P(yes)."""
        planner, caller = roles["planner"], roles["caller"]
        assert isinstance(planner, Planner) and isinstance(caller, Caller)
        documents = Toolbox([toolset]).documents()
        history = [{"from": "user", "value": item.request}]
        plan = finish(planner.plan(documents, history))
        judged = plan.output.judge
        if plan.output.decision != "caller":
            return plan.output.decision, plan.output.text, [], plan.stats, judged
        history.append({"from": "assistant", "value": plan.output.text})
        grammar_for = (lambda names: self.grammar(item, toolset.only(names))) if constrain else None
        call = finish(caller.call(documents, history, plan.output.text, grammar_for=grammar_for))
        parsed = parse_caller_calls(call.raw)
        if not parsed and call.output.name:  # e.g. no newline before "Action Input:"
            parsed = [(call.output.name, call.output.arguments_dict())]
        return "caller", call.raw, parsed, plan.stats + call.stats, judged

    def _native(
        self, item: BfclItem, toolset: BfclToolset
    ) -> tuple[str, str, list[tuple[str, dict[str, Any] | None]], CompletionStats]:
        model = self.native_model
        prompt = native_prompt(model, item.request, toolset.native_tools())
        done = complete(
            model,
            CompletionRequest(
                prompt=prompt,
                stop=CHAT_STOPS,
                max_tokens=self.decoding.max_tokens,
                temperature=self.decoding.temperature,
                top_p=self.decoding.top_p,
                seed=self.decoding.seed,
                slot="native",
            ),
        )
        parsed = parse_native_calls(done.text)
        return ("caller" if parsed else "answer"), done.text, parsed, done.stats


def native_prompt(model: Backend, request: str, tools: list[dict[str, Any]]) -> str:
    """The chat prompt with tools, rendered by the model's own chat template."""
    return model.render_chat([{"role": "user", "content": request}], tools=tools)


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
