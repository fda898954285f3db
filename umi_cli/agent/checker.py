"""The CMAT checker: a role that judges a proposed call before it is sent, and the call guard
that puts it between the caller and the tools.

The verdict is held by a grammar to ``accept`` or ``reject: <reason>``. Two faults need no
model and are rejected at once: an API that is not offered, and arguments that are not a JSON
object. :class:`CallChecker` is a :class:`~umi_cli.agent.guards.CallGuard`: any mode may consult
it; the ``cmat`` mode does so for every proposal and owns the revision loop around it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from umi_cli.agent import format as fmt
from umi_cli.agent.cmat_events import proposed_call_text
from umi_cli.agent.cmat_prompts import checker_prompt
from umi_cli.agent.guards import ProposedCall, Verdict
from umi_cli.agent.role_base import Role, RoleCall, RoleResult
from umi_cli.engine import finish
from umi_cli.engine.types import CompletionStats
from umi_cli.tools.toolset import ToolResult

if TYPE_CHECKING:
    from umi_cli.agent.context import RunContext

#: The checker's reply: ``accept``, or ``reject: `` and one line of reason.
CHECK_GRAMMAR = 'root ::= "accept" | "reject: " reason\nreason ::= [^\\n]+\n'
#: Tokens a verdict may take (a reason is one short sentence).
CHECK_TOKENS = 48
NO_REASON = "the checker gave no reason"
_REJECT = re.compile(r"\breject(?:ed|s)?\b", re.IGNORECASE)


@dataclass(frozen=True)
class CheckOutput:
    """A verdict and its reason (empty for ``accept``); ``judged``: a model wrote it."""

    verdict: Literal["accept", "reject"]
    reason: str = ""
    judged: bool = True


def parse_verdict(text: str) -> CheckOutput:
    """Read a verdict; unconstrained text that says neither is taken as ``accept``."""
    clean = fmt.clean_output(text).strip()
    if clean.lower().startswith("accept"):
        return CheckOutput("accept")
    found = _REJECT.search(clean)
    if found is None:
        return CheckOutput("accept")
    reason = clean[found.end() :].lstrip(" :-,").strip()
    return CheckOutput("reject", " ".join(reason.split()) or NO_REASON)


def _scalars(value: Any, name: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _scalars(item, f"{name}.{key}" if name else str(key))
    elif isinstance(value, list):
        for item in value:
            yield from _scalars(item, name)
    elif not isinstance(value, bool) and value is not None:
        yield name, value


def _forms(value: Any) -> list[str]:
    if isinstance(value, float) and value.is_integer():
        return [str(value), str(int(value))]
    return [str(value)]


def ungrounded(arguments: dict[str, Any] | None, evidence: str) -> list[str]:
    """``name=value`` for each argument value that appears nowhere in ``evidence``."""
    haystack = evidence.casefold()
    found = []
    for name, value in _scalars(arguments or {}, ""):
        forms = [form.casefold() for form in _forms(value) if form.strip()]
        if forms and not any(form in haystack for form in forms):
            found.append(f"{name}={value}")
    return found


def _evidence(request: str, history: Sequence[fmt.Turn], document: dict[str, Any] | None) -> str:
    observed = [turn["value"] for turn in history if turn["from"] in ("observation", "user")]
    return "\n".join([request, *observed, str(document or "")])


class Checker(Role):
    """Judges a proposed call against the request, the thought, the API's documentation and the
    observations so far."""

    name = "checker"

    def judge(
        self,
        tools: Sequence[dict[str, Any]],
        request: str,
        history: Sequence[fmt.Turn],
        thought: str,
        call: ProposedCall,
    ) -> RoleCall[CheckOutput]:
        """The verdict on ``call``; ``history`` holds the steps before this one (and may end
        with the thought's own planner turn)."""
        by_name = {str(tool["Name"]): tool for tool in tools}
        document = by_name.get(call.api)
        if document is None:
            names = ", ".join(by_name) or "none"
            output = CheckOutput("reject", f"there is no API named {call.api!r} ({names})", False)
            return RoleResult(output, "")
        if call.arguments is None:
            reason = "the arguments are not a JSON object"
            return RoleResult(CheckOutput("reject", reason, False), "")
        draft = checker_prompt(
            self.dialect,
            request=request,
            history=history,
            thought=thought,
            api=call.api,
            call=proposed_call_text(call.api, call.arguments, call.raw_arguments),
            document=document,
            ungrounded=ungrounded(call.arguments, _evidence(request, history, document)),
        )
        prompt, truncated = self.fit(draft)
        done = yield from self.complete(
            prompt, grammar=CHECK_GRAMMAR, max_tokens=CHECK_TOKENS, stop=("\n",)
        )
        return RoleResult(parse_verdict(done.text), done.text, done.stats, prompt, truncated)


@dataclass(frozen=True)
class CheckVerdict(Verdict):
    """A guard verdict that also carries the checker's figures and raw reply."""

    stats: CompletionStats = field(default_factory=CompletionStats)
    raw: str = ""
    truncated: bool = False
    judged: bool = True


def request_of(history: Sequence[fmt.Turn]) -> str:
    """The task of a reference history (evaluation samples): its latest user turn."""
    users = [turn["value"] for turn in history if turn["from"] == "user"]
    return users[-1] if users else ""


class CallChecker:
    """The checker as a call guard: ``reject`` with the checker's reason, else ``allow``.

    It judges against ``ctx.documents`` (in the cmat mode, the documents carrying the recalled
    lessons) and the run's task. Judging runs the checker's model to its end; cancellation is
    honoured before and after.
    """

    def __init__(self, checker: Checker) -> None:
        self.checker = checker

    def start_attempt(self) -> None:
        pass

    def check(self, call: ProposedCall, ctx: RunContext) -> CheckVerdict:
        ctx.check_cancel()
        history = ctx.history()
        thought = next((t["value"] for t in reversed(history) if t["from"] == "assistant"), "")
        task = ctx.transcript.opening[-1]["value"] if ctx.transcript.opening else ""
        judged = finish(self.checker.judge(ctx.documents, task, history, thought, call))
        ctx.check_cancel()
        output = judged.output
        kind: Literal["allow", "reject"] = "reject" if output.verdict == "reject" else "allow"
        return CheckVerdict(
            kind, output.reason, stats=judged.stats, raw=judged.raw,
            truncated=judged.truncated, judged=output.judged,
        )  # fmt: skip

    def observed(self, call: ProposedCall, result: ToolResult, text: str, ctx: RunContext) -> str:
        return text
