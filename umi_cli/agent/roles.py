"""The α-UMi roles: each wraps a backend and a prompt dialect, and parses what it writes.

Used by the modes and by step-level evaluation alike. Every call takes the α-UMi tool documents
and the history turns (``{"from", "value"}``), yields text as it is decoded and returns a
:class:`~umi_cli.agent.role_base.RoleResult` (drive one to its end with
:func:`umi_cli.engine.finish`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from umi_cli.agent import format as fmt
from umi_cli.agent.judge import Judge, Verdict, question_for
from umi_cli.agent.prompt import RolePrompt
from umi_cli.agent.role_base import CONTEXT_MARGIN, Role, RoleCall, RoleResult
from umi_cli.engine.types import Completion, CompletionRequest

ALL_DECISIONS: tuple[fmt.Decision, ...] = ("caller", "conclusion", "give up")
#: Written after the chat planner's ``Thought:`` when its first try says nothing but a phrase.
THOUGHT_RESTART = " Looking at the request and the observations,"
#: Tokens kept back from a thought so the control phrase still fits in ``max_tokens``.
PHRASE_TOKENS = 16

#: The caller grammar over some API names (the toolbox's ``caller_grammar``).
GrammarSource = Callable[[Sequence[str]], str]


def decision_rule(decisions: Sequence[fmt.Decision]) -> str:
    """GBNF alternatives for the allowed control phrases (without ``Next: ``)."""
    return " | ".join(f'"{decision}."' for decision in decisions)


def decision_grammar(decisions: Sequence[fmt.Decision] = ALL_DECISIONS) -> str:
    """The grammar of the control phrase written after ``Next: ``."""
    return f"root ::= {decision_rule(decisions)}\n"


class Planner(Role):
    """Writes the thought of the next step and decides: caller, conclusion or give up."""

    name = "planner"
    #: Decides conclusion (and give-up before any call) by a scored yes/no question; set by
    #: the composition root when the model can score (:mod:`umi_cli.agent.judge`).
    judge: Judge | None = None

    def prompt(self, tools: Sequence[dict[str, Any]], history: Sequence[fmt.Turn]) -> str:
        """The rendered (and fitted) prompt text."""
        return self.fit(self.dialect.planner(tools, history))[0]

    def plan(
        self,
        tools: Sequence[dict[str, Any]],
        history: Sequence[fmt.Turn],
        *,
        decisions: Sequence[fmt.Decision] = ALL_DECISIONS,
    ) -> RoleCall[fmt.PlannerOutput]:
        """One planner turn; ``history`` holds every turn before it.

        ``decisions`` restricts the control phrase (the loop forces ``conclusion`` when the step
        budget is spent); unconstrained output naming another decision is rewritten to the first.
        """
        if len(decisions) > 1 and not any(turn["from"] == "observation" for turn in history):
            # Nothing observed yet: there is nothing to conclude from.
            decisions = _without_conclusion(decisions)
        verdict = self._judged(tools, history, decisions)
        if verdict is None:
            return (yield from self._plan(tools, history, decisions))
        assert self.judge is not None
        judged: dict[str, float] = {verdict.question: round(verdict.p_yes, 4)}
        decided = self.judge.decides(verdict)
        if decided is not None:
            text = fmt.with_control_phrase(*decided)
            yield text
            return RoleResult(fmt.PlannerOutput(text, decided[1], judged), text, verdict.stats)
        if verdict.question == "answered":  # judged not answered: not a conclusion
            decisions = _without_conclusion(decisions)
        result = yield from self._plan(tools, history, decisions)
        output = fmt.PlannerOutput(result.output.text, result.output.decision, judged)
        return RoleResult(output, result.raw, verdict.stats + result.stats, result.prompt,
                          result.truncated)  # fmt: skip

    def _judged(
        self,
        tools: Sequence[dict[str, Any]],
        history: Sequence[fmt.Turn],
        decisions: Sequence[fmt.Decision],
    ) -> Verdict | None:
        """The judge's verdict on this step, when it has one to give: relevance before the
        task's first step, whether it is answered once something was observed."""
        if self.judge is None or len(decisions) < 2:
            return None
        question = question_for(history)
        if question is None or self.judge.threshold(question) is None:
            return None
        if JUDGED_DECISION[question] not in decisions:  # nothing left for the verdict to decide
            return None
        return self.judge.ask(question, tools, history)

    def _plan(
        self,
        tools: Sequence[dict[str, Any]],
        history: Sequence[fmt.Turn],
        decisions: Sequence[fmt.Decision],
    ) -> RoleCall[fmt.PlannerOutput]:
        """The planner's own thought and decision among ``decisions``."""
        draft = self.dialect.planner(tools, history)
        prompt, truncated = self.fit(draft)
        opening = draft.opening
        if opening:
            yield opening.lstrip()
        if not self.decoding.constrain:
            done = yield from self.complete(prompt, grammar=None)
            text = opening.lstrip() + done.text
            parsed = _restrict(fmt.parse_planner(text), decisions)
            return RoleResult(parsed, text, done.stats, prompt, truncated)
        # The thought is free text; when it ends in a valid control phrase that is the answer.
        # Otherwise the text is cut where a phrase of its own making starts ("Next ...") and the
        # phrase is chosen under a three-way grammar. (A grammar over the free text itself costs
        # a vocabulary scan per token on large vocabularies, and small models misuse it.)
        thought = yield from self._thought(prompt)
        base = prompt[: len(prompt) - len(opening)]  # the prompt up to the lead's own words
        if self.dialect.retries_empty_thoughts and not _before_own_phrase(thought.text):
            # An empty thought ("Next: caller.") gives the caller nothing to go on: think again.
            yield THOUGHT_RESTART
            again = yield from self._thought(prompt + THOUGHT_RESTART)
            thought = Completion(
                THOUGHT_RESTART + again.text, again.stop_reason, thought.stats + again.stats
            )
        if opening:
            thought = Completion(opening + thought.text, thought.stop_reason, thought.stats)
        text = fmt.clean_output(thought.text)
        found = fmt.parse_planner(text)
        if _has_phrase(text) and found.decision in decisions:
            return RoleResult(found, thought.text, thought.stats, prompt, truncated)
        if (
            self.dialect.follows_named_calls
            and "caller" in decisions
            and _asks_for_call(text, tools)
        ):
            # A small model's phrase often contradicts its own "Call <api> with ..." sentence.
            decisions = ("caller",)
        head = (" " if opening else "") + _before_own_phrase(text) + fmt.CONTROL_SEPARATOR
        head += "Next: "
        yield fmt.CONTROL_SEPARATOR + "Next: "
        phrase = yield from self.complete(
            self._phrase_prompt(draft, base, head),
            grammar=decision_grammar(decisions),
            max_tokens=PHRASE_TOKENS,
        )
        full = head.lstrip() + phrase.text
        parsed = _restrict(fmt.parse_planner(full), decisions)
        return RoleResult(parsed, full, thought.stats + phrase.stats, prompt, truncated)

    def _phrase_prompt(self, draft: RolePrompt, base: str, head: str) -> str:
        """``base + head``, with the prompt fitted again when the thought, tokenized anew (or
        thought twice), leaves no room for the control phrase."""
        room = self.context - PHRASE_TOKENS - CONTEXT_MARGIN
        text = base + head
        overflow = self.backend.count_tokens(text) - room
        if overflow <= 0:
            return text
        refitted, _cut = draft.fit(self.backend, max(64, self.budget - overflow))
        return refitted[: len(refitted) - len(draft.opening)] + head

    def _thought(self, prompt: str) -> Any:  # a CompletionStream
        return self.backend.stream(self.thought_request(prompt))

    def thought_request(self, prompt: str) -> CompletionRequest:
        """The free thought :meth:`plan` decodes first after ``prompt`` (its line, within the
        thought budget); MoA proposals are these."""
        limit = self.dialect.thought_budget(self.decoding.max_tokens - PHRASE_TOKENS)
        return self.request(
            prompt, grammar=None, max_tokens=max(1, limit), stop=self.dialect.thought_stops
        )


#: The decision each judge question may make.
JUDGED_DECISION: dict[str, fmt.Decision] = {"answered": "conclusion", "relevant": "give up"}


def _without_conclusion(decisions: Sequence[fmt.Decision]) -> Sequence[fmt.Decision]:
    """``decisions`` less ``conclusion`` (unchanged when nothing else would be left)."""
    return tuple(d for d in decisions if d != "conclusion") or decisions


def _last_call_sentence(thought: str) -> str:
    """The thought (before a ``Next`` of its own) from its last ``call `` on, or ``""``."""
    body = _before_own_phrase(thought)
    lower = body.lower()
    return body[lower.rfind("call ") :] if "call " in lower else ""


def _asks_for_call(thought: str, tools: Sequence[dict[str, Any]]) -> bool:
    """Whether a thought's last sentence tells the caller to call one of ``tools``."""
    last = _last_call_sentence(thought)
    return any(str(tool.get("Name", "")) in last for tool in tools)


def _called_api(thought: str, tools: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The tool named first after the thought's last ``call`` (``Call X with ...``), if any."""
    last = _last_call_sentence(thought)
    found = [(last.find(str(tool["Name"])), tool) for tool in tools if str(tool["Name"]) in last]
    return min(found, key=lambda pair: pair[0])[1] if found else None


def _has_phrase(text: str) -> bool:
    return any(phrase in text for _decision, phrase in fmt.CONTROL_PHRASES)


def _before_own_phrase(text: str) -> str:
    """The thought up to a ``Next`` of its own (``Next step: ...``), stripped."""
    position = text.find("Next")
    return (text[:position] if position >= 0 else text).strip()


def _restrict(output: fmt.PlannerOutput, decisions: Sequence[fmt.Decision]) -> fmt.PlannerOutput:
    if output.decision in decisions:
        return output
    thought = output.text
    for decision, _phrase in fmt.CONTROL_PHRASES:  # each phrase once, in priority order
        bare = fmt.without_control_phrase(thought, (decision,))
        if bare != thought:
            thought = bare.rstrip()
    return fmt.PlannerOutput(fmt.with_control_phrase(thought, decisions[0]), decisions[0])


class Caller(Role):
    """Turns the planner's thought into ``Action: <api>`` / ``Action Input: <json>``."""

    name = "caller"

    def prompt(
        self, tools: Sequence[dict[str, Any]], history: Sequence[fmt.Turn], thought: str
    ) -> str:
        """The rendered (and fitted) prompt text."""
        return self.fit(self.dialect.caller(tools, history, thought))[0]

    def call(
        self,
        tools: Sequence[dict[str, Any]],
        history: Sequence[fmt.Turn],
        thought: str,
        *,
        grammar_for: GrammarSource | None = None,
    ) -> RoleCall[fmt.CallerOutput]:
        """One caller turn; ``history`` ends with the planner turn that ``thought`` repeats.

        ``grammar_for(names)`` gives the constraint over those APIs (the toolbox's schema-exact
        grammar); without it the grammar is derived from ``tools`` (names and parameter types
        only). When the dialect follows named calls and the thought names one API, the grammar
        admits that API alone: a small caller must not swap it for another one.
        """
        prompt, truncated = self.fit(self.dialect.caller(tools, history, thought))
        grammar = self.grammar(tools, thought, grammar_for)
        done = yield from self.complete(prompt, grammar=grammar)
        return RoleResult(fmt.parse_caller(done.text), done.text, done.stats, prompt, truncated)

    def grammar(
        self,
        tools: Sequence[dict[str, Any]],
        thought: str,
        grammar_for: GrammarSource | None = None,
    ) -> str | None:
        """The constraint of the call for ``thought`` (see :meth:`call`); None unconstrained."""
        if not self.decoding.constrain:
            return None
        named = _called_api(thought, tools) if self.dialect.follows_named_calls else None
        names = [str(named["Name"])] if named is not None else [str(t["Name"]) for t in tools]
        return (grammar_for or _document_grammar(tools))(names)


def _document_grammar(tools: Sequence[dict[str, Any]]) -> GrammarSource:
    """The toolbox's grammar source over raw α-UMi documents (data that has no specs)."""
    from umi_cli.tools import Toolbox

    return Toolbox.from_documents(list(tools)).caller_grammar


class Summarizer(Role):
    """Writes the final answer from the conversation history."""

    name = "summarizer"

    def prompt(self, history: Sequence[fmt.Turn]) -> str:
        """The rendered (and fitted) prompt text."""
        return self.fit(self.dialect.summarizer(history))[0]

    def conclude(self, history: Sequence[fmt.Turn], note: str | None = None) -> RoleCall[str]:
        """The final answer; ``history`` ends with the current planner turn; ``note`` asks for
        a rewrite (what the answer check found missing)."""
        prompt, truncated = self.fit(self.dialect.summarizer(history, note))
        done = yield from self.complete(prompt, grammar=None)
        return RoleResult(fmt.parse_summarizer(done.text), done.text, done.stats, prompt, truncated)


#: What the backbone writes before its final answer (FORMAT.md §2).
ANSWER_LEAD = "conclusion: "


class Backbone(Role):
    """The single-model baseline: one model writes thought + call, the answer, or gives up."""

    name = "backbone"

    def prompt(self, tools: Sequence[dict[str, Any]], history: Sequence[fmt.Turn]) -> str:
        """The rendered (and fitted) prompt text."""
        return self.fit(self.dialect.backbone(tools, history))[0]

    def step(
        self,
        tools: Sequence[dict[str, Any]],
        history: Sequence[fmt.Turn],
        *,
        answer_now: bool = False,
    ) -> RoleCall[fmt.BackboneOutput]:
        """One step (unconstrained: its output mixes free text and calls).

        ``answer_now`` starts the output with ``conclusion: `` so the model writes its answer.
        """
        prompt, truncated = self.fit(self.dialect.backbone(tools, history))
        lead = ANSWER_LEAD if answer_now else ""
        done = yield from self.complete(prompt + lead, grammar=None)
        parsed = fmt.parse_backbone(lead + done.text)
        return RoleResult(parsed, lead + done.text, done.stats, prompt, truncated)


def role_classes() -> dict[str, type[Role]]:
    """Role name -> class, for the composition root."""
    from umi_cli.agent.checker import Checker
    from umi_cli.agent.native import NativeModel

    classes = (Planner, Caller, Summarizer, Backbone, NativeModel, Checker)
    return {cls.name: cls for cls in classes}
