"""BFCL through umi: the planner decides whether to call, the caller writes the calls.

Systems compared on the same items and the same model:

- ``umi``: planner + caller with constrained decoding (the caller grammar admits only the
  item's functions with schema-valid arguments, one or more ``Action``/``Action Input`` pairs);
- ``umi-free``: the same roles without grammars;
- ``native``: the model's own chat-template tool calling (Qwen/Hermes ``<tool_call>`` blocks),
  what a user would get by prompting the model directly. Needs a ``chat``-format model.

The ``umi`` systems run in one agent mode (``--mode``: alpha-umi, cmat, moa; see
:mod:`umi_cli.eval.bfcl_modes`); under cmat each record also scores the actor's first, unchecked
proposal, reported as the system ``<system> unchecked``.

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
from umi_cli.agent.moa.settings import MoaSettings
from umi_cli.agent.native_calls import parse_native_calls
from umi_cli.agent.role_base import Role
from umi_cli.engine import Backend, complete
from umi_cli.engine.types import CompletionRequest, CompletionStats
from umi_cli.errors import UmiError
from umi_cli.eval.bfcl_data import BfclItem, check
from umi_cli.eval.bfcl_modes import ModeTurn, mode_turn
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

    def __init__(
        self,
        roles: Roles,
        *,
        grammar: GrammarBuilder | None = None,
        mode: str = "alpha-umi",
        moa: MoaSettings | None = None,
    ) -> None:
        self.turn: ModeTurn = mode_turn(mode, moa)
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
        extra: dict[str, Any] = {}
        try:
            if system == "native":
                decision, raw, parsed, stats = self._native(item, toolset)
            else:
                roles = self.constrained if system == "umi" else self.free
                grammar_for = (
                    (lambda names: self.grammar(item, toolset.only(names)))
                    if system == "umi"
                    else None
                )
                turn = self.turn(roles, item.request, Toolbox([toolset]).documents(), grammar_for)
                decision, raw, stats, judged = turn.decision, turn.raw, turn.stats, turn.judge
                parsed = parse_caller_calls(raw) if decision == "caller" else []
                extra = turn.extra
        except UmiError as exc:  # e.g. a prompt that does not fit: scored as wrong
            failure = str(exc)
            decision, raw, parsed, stats = "error", "", [], CompletionStats()
        calls, correct, error = _scored(item, toolset, parsed, failure)
        unchecked = extra.get("unchecked")
        if unchecked is not None:  # cmat: the actor's first proposal, before the checker
            first = (
                parse_caller_calls(unchecked["raw"]) if unchecked["decision"] == "caller" else []
            )
            unchecked["correct"] = _scored(item, toolset, first, None)[1]
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
            **extra,
        }

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


def _scored(
    item: BfclItem,
    toolset: BfclToolset,
    parsed: list[tuple[str, dict[str, Any] | None]],
    failure: str | None,
) -> tuple[list[dict[str, Any]], bool, str | None]:
    """The BFCL calls read from ``parsed``, whether they are right, and why not."""
    if failure is not None:
        return [], False, failure
    if any(arguments is None for _name, arguments in parsed):
        return [], False, "unparsable call arguments"
    calls = [toolset.to_bfcl(name, arguments or {}) for name, arguments in parsed]
    correct, error = check(item, calls)
    return calls, correct, error


def native_prompt(model: Backend, request: str, tools: list[dict[str, Any]]) -> str:
    """The chat prompt with tools, rendered by the model's own chat template."""
    return model.render_chat([{"role": "user", "content": request}], tools=tools)


def accuracy_table(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{system: {category: {"correct", "total", "accuracy"}, ..., "overall": ...}}``."""
    table: dict[str, dict[str, Any]] = {}
    rows = [(record["system"], record["correct"], record) for record in records]
    rows += [  # cmat: the actor's first proposals, scored as a system of their own
        (f"{record['system']} unchecked", record["unchecked"]["correct"], record)
        for record in records
        if "unchecked" in record
    ]
    for system, correct, record in rows:
        per_system = table.setdefault(system, {})
        for key in (record["category"], "overall"):
            cell = per_system.setdefault(key, {"correct": 0, "total": 0})
            cell["total"] += 1
            cell["correct"] += int(bool(correct))
    for per_system in table.values():
        for cell in per_system.values():
            cell["accuracy"] = 100.0 * cell["correct"] / cell["total"]
    return table
