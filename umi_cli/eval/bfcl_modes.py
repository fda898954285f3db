"""How each agent mode answers one BFCL item: the planner decides, the caller writes the calls.

- ``alpha-umi``: one planner turn, then one caller turn;
- ``cmat``: the same actor, then the checker judges every proposed call; a rejection goes back
  as a ``check`` turn and the actor plans again, at most ``REVISIONS`` times, and the last
  proposal is the answer. The first proposal is kept (``unchecked``): it is the ``alpha-umi``
  answer, so one run scores the item with and without the checker;
- ``moa``: the planner's and the caller's proposals aggregated (the mode's rules).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from umi_cli.agent.checker import Checker, CheckOutput
from umi_cli.agent.format import Turn
from umi_cli.agent.moa import steps
from umi_cli.agent.moa.settings import MoaSettings
from umi_cli.agent.moa.team import MoaTeam
from umi_cli.agent.role_base import Role
from umi_cli.agent.roles import Caller, GrammarSource, Planner
from umi_cli.engine import finish
from umi_cli.engine.types import CompletionStats
from umi_cli.eval.bfcl_tools import parse_caller_calls
from umi_cli.eval.toolbench_cmat import REVISIONS, StepChecks, check_turn
from umi_cli.eval.toolbench_moa import drain_proposals

Roles = Mapping[str, Role]
Documents = list[dict[str, Any]]


@dataclass
class BfclTurn:
    """A mode's answer to one item: the decision and the text the calls are read from."""

    decision: str
    raw: str  # the caller's text on ``caller``, else the planner's
    stats: CompletionStats
    judge: dict[str, float] | None = None  # the planner judge's P(yes), when it was asked
    extra: dict[str, Any] = field(default_factory=dict)  # the mode's own record fields
    thought: str = ""  # the planner's text on ``caller`` (the checker judges the call against it)


#: One mode's answer: roles, the request, the item's documents, its caller grammar.
ModeTurn = Callable[[Roles, str, Documents, GrammarSource | None], BfclTurn]


def alpha_umi_turn(
    roles: Roles, request: str, documents: Documents, grammar_for: GrammarSource | None
) -> BfclTurn:
    """One planner turn and, on ``caller``, one caller turn."""
    return _act(roles, [{"from": "user", "value": request}], documents, grammar_for)


def _act(
    roles: Roles, history: list[Turn], documents: Documents, grammar_for: GrammarSource | None
) -> BfclTurn:
    planner, caller = roles["planner"], roles["caller"]
    assert isinstance(planner, Planner) and isinstance(caller, Caller)
    plan = finish(planner.plan(documents, history))
    if plan.output.decision != "caller":
        return BfclTurn(plan.output.decision, plan.output.text, plan.stats, plan.output.judge)
    planned = [*history, {"from": "assistant", "value": plan.output.text}]
    call = finish(caller.call(documents, planned, plan.output.text, grammar_for=grammar_for))
    raw = call.raw
    if not parse_caller_calls(raw) and call.output.name:  # e.g. no newline before the input
        raw = f"Action: {call.output.name}\nAction Input: {call.output.arguments}"
    stats = plan.stats + call.stats
    return BfclTurn("caller", raw, stats, plan.output.judge, thought=plan.output.text)


def cmat_turn(
    roles: Roles, request: str, documents: Documents, grammar_for: GrammarSource | None
) -> BfclTurn:
    """The actor's answer, checked; rejected calls are revised at most ``REVISIONS`` times."""
    checker = roles["checker"]
    assert isinstance(checker, Checker)
    history: list[Turn] = [{"from": "user", "value": request}]
    checking = StepChecks(checker, documents, request)
    checks: list[dict[str, Any]] = []
    stats = CompletionStats()
    first: BfclTurn | None = None
    for revision in range(REVISIONS + 1):
        turn = _act(roles, history, documents, grammar_for)
        stats = stats + turn.stats
        first = first or turn
        if turn.decision != "caller":
            break
        planned = [*history, {"from": "assistant", "value": turn.thought}]
        verdict = CheckOutput("accept", "", judged=False)
        rejected: tuple[str, dict[str, Any] | None, str] | None = None
        for name, arguments in parse_caller_calls(turn.raw):
            raw_arguments = "" if arguments is None else json.dumps(arguments, ensure_ascii=False)
            verdict, figures = checking.judge(planned, turn.thought, name, arguments, raw_arguments)
            stats = stats + figures
            if verdict.verdict == "reject":
                rejected = (name, arguments, raw_arguments)
                break
        checks.append({"revision": revision, "verdict": verdict.verdict, "reason": verdict.reason})
        if rejected is None or revision == REVISIONS:
            break
        history = [*planned, check_turn(*rejected, verdict.reason)]
    assert first is not None
    extra = {
        "checks": checks,
        "revisions": max(len(checks) - 1, 0),
        "unchecked": {"decision": first.decision, "raw": first.raw},
    }
    return BfclTurn(turn.decision, turn.raw, stats, first.judge, extra)


def moa_turn_with(settings: MoaSettings | None = None) -> ModeTurn:
    """The mixture's answer with ``settings`` (layers, caller rule; the members are the roles')."""
    chosen = settings or MoaSettings()

    def moa_turn(
        roles: Roles, request: str, documents: Documents, grammar_for: GrammarSource | None
    ) -> BfclTurn:
        team = MoaTeam.from_roles(roles, chosen)
        figures: dict[str, CompletionStats] = {}
        history: list[Turn] = [{"from": "user", "value": request}]
        planning = steps.plan(team["planner"], chosen, 1, documents, history)
        plan = drain_proposals(planning, figures)
        stats = plan.stats
        decision: str = plan.output.decision
        raw, agreed = plan.output.text, False
        if decision == "caller":
            planned = [*history, {"from": "assistant", "value": plan.output.text}]
            calling = steps.call(
                team["caller"], chosen, 1, documents, planned, plan.output.text,
                grammar_for=grammar_for,
            )  # fmt: skip
            called, agreed = drain_proposals(calling, figures)
            raw = called.raw
            if not agreed:  # an agreed call's figures are its proposal's, counted already
                stats = stats + called.stats
        for proposed in figures.values():
            stats = stats + proposed
        return BfclTurn(decision, raw, stats, plan.output.judge, {"agreed": agreed})

    return moa_turn


#: The agent modes ``umi eval bfcl --mode`` runs the ``umi`` systems in (moa with defaults).
MODE_TURNS: dict[str, ModeTurn] = {
    "alpha-umi": alpha_umi_turn,
    "cmat": cmat_turn,
    "moa": moa_turn_with(),
}


def mode_turn(mode: str, moa: MoaSettings | None = None) -> ModeTurn:
    """The answer of ``mode``; ``moa``: the run's MoA settings for the moa mode."""
    return moa_turn_with(moa) if mode == "moa" and moa is not None else MODE_TURNS[mode]
