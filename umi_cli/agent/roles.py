"""The α-UMi roles: each wraps a loaded model and its prompt format, and parses what it writes.

Used by the agent loop and by step-level evaluation alike. Every method takes the α-UMi tool
documents and the history turns (``{"from", "value"}``) and returns a :class:`RoleResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from umi_cli.agent import chat_prompts
from umi_cli.agent import format as fmt
from umi_cli.agent.role_base import Role, RoleResult
from umi_cli.engine.types import Completion, TokenCallback

ALL_DECISIONS: tuple[fmt.Decision, ...] = ("caller", "conclusion", "give up")


def decision_rule(decisions: Sequence[fmt.Decision]) -> str:
    """GBNF alternatives for the allowed control phrases (without ``Next: ``)."""
    return " | ".join(f'"{decision}."' for decision in decisions)


def decision_grammar(
    decisions: Sequence[fmt.Decision] = ("caller", "conclusion", "give up"),
) -> str:
    """The grammar of the control phrase written after ``Next: ``."""
    return f"root ::= {decision_rule(decisions)}\n"


#: Where a constrained planner's free thought ends besides EOS (chat: the end of its line, so a
#: small model cannot run on into made-up calls and observations; the phrase comes from a grammar).
THOUGHT_STOPS: dict[str, tuple[str, ...]] = {"alpha-umi": (), "chat": ("\n",)}
#: Written after the chat planner's ``Thought:`` when its first try says nothing but a phrase.
THOUGHT_RESTART = " Looking at the request and the observations,"
#: A chat model's thought is short: one or two sentences and the control phrase.
CHAT_THOUGHT_TOKENS = 96

#: Tokens kept back from a thought so the control phrase still fits in ``max_tokens``.
PHRASE_TOKENS = 16


class Planner(Role):
    """Writes the thought of the next step and decides: caller, conclusion or give up."""

    name = "planner"

    def prompt(self, tools: Sequence[dict[str, Any]], history: Sequence[fmt.Turn]) -> str:
        """The rendered (and fitted) prompt text."""
        return self._prompt(tools, history)[0]

    def _prompt(self, tools, history) -> tuple[str, bool]:
        return self._prompt_and_opening(tools, history)[:2]

    def _prompt_and_opening(self, tools, history) -> tuple[str, bool, str]:
        """The fitted prompt, whether it was cut, and the thought's words already in its lead."""
        if self.prompt_format == "alpha-umi":
            raw = fmt.planner_prompt(tools, history, system_prefix=self.system_prefix)
            return (*self._render(raw, None), "")
        chat = chat_prompts.planner_prompt(tools, history, self.prompt_style)
        return (*self._render(None, chat), chat_prompts.thought_opening(chat))

    def plan(
        self,
        tools: Sequence[dict[str, Any]],
        history: Sequence[fmt.Turn],
        *,
        decisions: Sequence[fmt.Decision] = ALL_DECISIONS,
        on_token: TokenCallback | None = None,
    ) -> RoleResult[fmt.PlannerOutput]:
        """One planner turn; ``history`` holds every turn before it.

        ``decisions`` restricts the control phrase (the loop forces ``conclusion`` when the step
        budget is spent); unconstrained output naming another decision is rewritten to the first.
        """
        prompt, truncated, opening = self._prompt_and_opening(tools, history)
        if opening and on_token is not None:
            on_token(opening.lstrip())
        if not self.decoding.constrain:
            done = self._complete(prompt, grammar=None, on_token=on_token)
            text = opening.lstrip() + done.text
            parsed = _restrict(fmt.parse_planner(text), decisions)
            return RoleResult(parsed, text, done.stats, prompt, truncated)
        # The thought is free text; when it ends in a valid control phrase that is the answer.
        # Otherwise the text is cut where a phrase of its own making starts ("Next ...") and the
        # phrase is chosen under a three-way grammar. (A grammar over the free text itself costs
        # a vocabulary scan per token on large vocabularies, and small models misuse it.)
        thought = self._complete(
            prompt,
            grammar=None,
            on_token=on_token,
            max_tokens=self._thought_tokens(),
            stop=THOUGHT_STOPS[self.prompt_format],
        )
        base = prompt[: len(prompt) - len(opening)]  # the prompt up to the lead's own words
        if self.prompt_format == "chat" and not _before_own_phrase(thought.text):
            # An empty thought ("Next: caller.") gives the caller nothing to go on: think again.
            if on_token is not None:
                on_token(THOUGHT_RESTART)
            again = self._complete(
                prompt + THOUGHT_RESTART,
                grammar=None,
                on_token=on_token,
                max_tokens=self._thought_tokens(),
                stop=THOUGHT_STOPS[self.prompt_format],
            )
            thought = Completion(
                THOUGHT_RESTART + again.text, again.stop_reason, thought.stats + again.stats
            )
        if opening:
            thought = Completion(opening + thought.text, thought.stop_reason, thought.stats)
        text = fmt.clean_output(thought.text)
        found = fmt.parse_planner(text)
        if _has_phrase(text) and found.decision in decisions:
            return RoleResult(found, thought.text, thought.stats, prompt, truncated)
        if self.prompt_format == "chat" and "caller" in decisions and _asks_for_call(text, tools):
            # A small model's phrase often contradicts its own "Call <api> with ..." sentence.
            decisions = ("caller",)
        head = _before_own_phrase(text) + fmt.CONTROL_SEPARATOR + "Next: "
        if on_token is not None:
            on_token(fmt.CONTROL_SEPARATOR + "Next: ")
        phrase = self._complete(
            base + (" " if opening else "") + head,
            grammar=decision_grammar(decisions),
            on_token=on_token,
            max_tokens=PHRASE_TOKENS,
        )
        full = head.lstrip() + phrase.text
        parsed = _restrict(fmt.parse_planner(full), decisions)
        return RoleResult(parsed, full, thought.stats + phrase.stats, prompt, truncated)

    def _thought_tokens(self) -> int:
        limit = self.decoding.max_tokens - PHRASE_TOKENS
        if self.prompt_format == "chat":
            # Room for "\n Next: " too (a byte-level vocabulary spends a token per character).
            limit = min(limit - len(fmt.CONTROL_SEPARATOR + "Next: ") - 1, CHAT_THOUGHT_TOKENS)
        return max(1, limit)


def _asks_for_call(thought: str, tools: Sequence[dict[str, Any]]) -> bool:
    """Whether a thought's last sentence tells the caller to call one of ``tools``."""
    body = _before_own_phrase(thought)
    last = body[body.lower().rfind("call ") :] if "call " in body.lower() else ""
    return any(str(tool.get("Name", "")) in last for tool in tools)


def _called_api(thought: str, tools: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The tool named first after the thought's last ``call`` (``Call X with ...``), if any."""
    body = _before_own_phrase(thought)
    lower = body.lower()
    last = body[lower.rfind("call ") :] if "call " in lower else ""
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
    for _decision, phrase in fmt.CONTROL_PHRASES:
        if thought.endswith(phrase):
            thought = thought[: -len(phrase)].rstrip()
    return fmt.PlannerOutput(
        thought + fmt.CONTROL_SEPARATOR + f"Next: {decisions[0]}.", decisions[0]
    )


class Caller(Role):
    """Turns the planner's thought into ``Action: <api>`` / ``Action Input: <json>``."""

    name = "caller"

    def prompt(
        self, tools: Sequence[dict[str, Any]], history: Sequence[fmt.Turn], thought: str
    ) -> str:
        """The rendered (and fitted) prompt text."""
        return self._prompt(tools, history, thought)[0]

    def _prompt(self, tools, history, thought) -> tuple[str, bool]:
        if self.prompt_format == "alpha-umi":
            raw = fmt.caller_prompt(tools, history, thought, system_prefix=self.system_prefix)
            return self._render(raw, None)
        chat = chat_prompts.caller_prompt(tools, history, thought, self.prompt_style)
        return self._render(None, chat)

    def call(
        self,
        tools: Sequence[dict[str, Any]],
        history: Sequence[fmt.Turn],
        thought: str,
        *,
        grammar_for: GrammarSource | None = None,
        on_token: TokenCallback | None = None,
    ) -> RoleResult[fmt.CallerOutput]:
        """One caller turn; ``history`` ends with the planner turn that ``thought`` repeats.

        ``grammar_for(names)`` gives the constraint over those APIs (the loop passes the tools
        layer's schema-exact grammar); without it the grammar is derived from ``tools`` (names
        and parameter types only). When a chat planner's thought names one API, the grammar
        admits that API alone: a small caller must not swap it for another one.
        """
        prompt, truncated = self._prompt(tools, history, thought)
        grammar = None
        if self.decoding.constrain:
            named = _called_api(thought, tools) if self.prompt_format == "chat" else None
            names = [str(named["Name"])] if named is not None else [str(t["Name"]) for t in tools]
            grammar = (grammar_for or _document_grammar(tools))(names)
        done = self._complete(prompt, grammar=grammar, on_token=on_token)
        return RoleResult(fmt.parse_caller(done.text), done.text, done.stats, prompt, truncated)


#: The caller grammar over some API names (the tools layer's ``Toolbox.caller_grammar``).
GrammarSource = Callable[[Sequence[str]], str]


def _document_grammar(tools: Sequence[dict[str, Any]]) -> GrammarSource:
    """A grammar source over raw α-UMi documents (evaluation data that has no specs)."""
    from umi_cli.tools.grammar import caller_grammar_for

    by_name = {str(tool["Name"]): tool for tool in tools}
    return lambda names: caller_grammar_for([by_name[name] for name in names])


class Summarizer(Role):
    """Writes the final answer from the conversation history."""

    name = "summarizer"

    def prompt(self, history: Sequence[fmt.Turn]) -> str:
        """The rendered (and fitted) prompt text."""
        return self._prompt(history)[0]

    def _prompt(self, history) -> tuple[str, bool]:
        if self.prompt_format == "alpha-umi":
            raw = fmt.summarizer_prompt(history, system_prefix=self.system_prefix)
            return self._render(raw, None)
        return self._render(None, chat_prompts.summarizer_prompt(history, self.prompt_style))

    def conclude(
        self, history: Sequence[fmt.Turn], *, on_token: TokenCallback | None = None
    ) -> RoleResult[str]:
        """The final answer; ``history`` ends with the current planner turn."""
        prompt, truncated = self._prompt(history)
        done = self._complete(prompt, grammar=None, on_token=on_token)
        return RoleResult(fmt.parse_summarizer(done.text), done.text, done.stats, prompt, truncated)


class Backbone(Role):
    """The single-model baseline: one model writes thought + call, the answer, or gives up."""

    name = "backbone"

    def prompt(self, tools: Sequence[dict[str, Any]], history: Sequence[fmt.Turn]) -> str:
        """The rendered (and fitted) prompt text."""
        return self._prompt(tools, history)[0]

    def _prompt(self, tools, history) -> tuple[str, bool]:
        if self.prompt_format == "alpha-umi":
            raw = fmt.backbone_prompt(tools, history, system_prefix=self.system_prefix)
            return self._render(raw, None)
        return self._render(None, chat_prompts.backbone_prompt(tools, history, self.prompt_style))

    def step(
        self,
        tools: Sequence[dict[str, Any]],
        history: Sequence[fmt.Turn],
        *,
        answer_now: bool = False,
        on_token: TokenCallback | None = None,
    ) -> RoleResult[fmt.BackboneOutput]:
        """One step (unconstrained: its output mixes free text and calls).

        ``answer_now`` starts the output with ``conclusion: `` so the model writes its answer.
        """
        prompt, truncated = self._prompt(tools, history)
        lead = ANSWER_LEAD if answer_now else ""
        done = self._complete(prompt + lead, grammar=None, on_token=on_token)
        parsed = fmt.parse_backbone(lead + done.text)
        return RoleResult(parsed, lead + done.text, done.stats, prompt, truncated)


#: What the backbone writes before its final answer (FORMAT.md §2).
ANSWER_LEAD = "conclusion: "
