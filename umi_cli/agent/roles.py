"""The α-UMi roles: each wraps a loaded model and its prompt format, and parses what it writes.

Used by the agent loop and by step-level evaluation alike. Every method takes the α-UMi tool
documents and the history turns (``{"from", "value"}``) and returns a :class:`RoleResult`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

from umi_cli.agent import chat_prompts
from umi_cli.agent import format as fmt
from umi_cli.engine.types import (
    Completion,
    CompletionRequest,
    CompletionStats,
    TokenCallback,
)

PromptFormat = Literal["alpha-umi", "chat"]
T = TypeVar("T")
ALL_DECISIONS: tuple[fmt.Decision, ...] = ("caller", "conclusion", "give up")

ALPHA_STOPS = (fmt.EOS,)
CHAT_STOPS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>", fmt.EOS)


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
#: Tokens between the prompt budget and the context (the authors' 4096 - 512 - 8 = 3576).
CONTEXT_MARGIN = 8


class CompletionModel(Protocol):
    """What the roles need of ``umi_cli.engine.LoadedModel``."""

    def complete(
        self, request: CompletionRequest, on_token: TokenCallback | None = None
    ) -> Completion: ...

    def count_tokens(self, text: str) -> int: ...

    def chat_prompt(
        self, messages: list[dict[str, Any]], *, add_generation_prompt: bool = True
    ) -> str: ...


@dataclass(frozen=True)
class Decoding:
    """Sampling and limits for one role."""

    max_tokens: int = 512
    temperature: float = 0.5
    top_p: float = 1.0
    seed: int | None = None
    constrain: bool = True


@dataclass
class RoleResult(Generic[T]):
    """A role's parsed output, raw text, figures and the prompt it saw."""

    output: T
    raw: str
    stats: CompletionStats = field(default_factory=CompletionStats)
    prompt: str = ""
    truncated: bool = False


class Role:
    """A model playing one α-UMi role; the role name is its KV-cache slot."""

    name = "role"

    def __init__(
        self,
        model: CompletionModel,
        prompt_format: PromptFormat = "alpha-umi",
        *,
        decoding: Decoding | None = None,
        context: int = 4096,
        system_prefix: bool = False,
        prompt_style: str = "readable",
    ) -> None:
        if prompt_format not in ("alpha-umi", "chat"):
            raise ValueError(f"unknown prompt format {prompt_format!r}")
        if prompt_style not in chat_prompts.PROMPT_STYLES:
            known = ", ".join(chat_prompts.PROMPT_STYLES)
            raise ValueError(f"unknown prompt style {prompt_style!r}; known: {known}")
        self.model = model
        self.prompt_format = prompt_format
        self.decoding = decoding or Decoding()
        self.context = context
        self.system_prefix = system_prefix
        self.prompt_style = prompt_style

    @property
    def budget(self) -> int:
        """Prompt tokens kept: the context minus the generation budget minus 8 (FORMAT.md §6:
        4096 and 512 keep the last 3576)."""
        return max(64, self.context - self.decoding.max_tokens - CONTEXT_MARGIN)

    def _complete(
        self,
        prompt: str,
        *,
        grammar: str | None,
        on_token: TokenCallback | None,
        max_tokens: int | None = None,
        stop: tuple[str, ...] = (),
    ) -> Completion:
        request = CompletionRequest(
            prompt=prompt,
            stop=(ALPHA_STOPS if self.prompt_format == "alpha-umi" else CHAT_STOPS) + stop,
            max_tokens=max_tokens or self.decoding.max_tokens,
            temperature=self.decoding.temperature,
            top_p=self.decoding.top_p,
            seed=self.decoding.seed,
            grammar=grammar if self.decoding.constrain else None,
            slot=self.name,
        )
        return self.model.complete(request, on_token)

    def _fit_raw(self, prompt: str) -> tuple[str, bool]:
        """Cut a raw prompt from the left to the last ``budget`` tokens."""
        if self.model.count_tokens(prompt) <= self.budget:
            return prompt, False
        return self._cut_left(prompt, lambda rest: rest), True

    def _fit_chat(self, prompt: chat_prompts.ChatPrompt) -> tuple[str, bool]:
        """Render chat messages, cutting the history text (never the system message) to fit."""

        def render(history: str | None = None) -> str:
            return self.model.chat_prompt(prompt.messages(history)) + prompt.lead

        text = render()
        if self.model.count_tokens(text) <= self.budget:
            return text, False
        cut = self._cut_left(prompt.history, lambda rest: render("..." + rest))
        return render("..." + cut), True

    def _cut_left(self, text: str, render: Any) -> str:
        """The longest suffix of ``text`` whose rendering fits the budget (binary search)."""
        low, high = 0, len(text)
        while low < high:
            middle = (low + high) // 2
            if self.model.count_tokens(render(text[middle:])) <= self.budget:
                high = middle
            else:
                low = middle + 1
        return text[low:]

    def _render(self, raw: str | None, chat: chat_prompts.ChatPrompt | None) -> tuple[str, bool]:
        if self.prompt_format == "alpha-umi":
            assert raw is not None
            return self._fit_raw(raw)
        assert chat is not None
        return self._fit_chat(chat)


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
        grammar: str | None = None,
        on_token: TokenCallback | None = None,
    ) -> RoleResult[fmt.CallerOutput]:
        """One caller turn; ``history`` ends with the planner turn that ``thought`` repeats.

        ``grammar`` overrides the constraint (the loop passes the tools layer's schema-exact
        grammar); by default it is derived from ``tools`` (names and parameter types).
        """
        prompt, truncated = self._prompt(tools, history, thought)
        named = _called_api(thought, tools) if self.prompt_format == "chat" else None
        if self.decoding.constrain and named is not None:
            # The planner chose the API; a small caller must not swap it for another one.
            from umi_cli.tools.grammar import caller_grammar_for

            grammar = caller_grammar_for([named])
        if self.decoding.constrain and grammar is None:
            from umi_cli.tools.grammar import caller_grammar_for

            grammar = caller_grammar_for(list(tools))
        done = self._complete(prompt, grammar=grammar, on_token=on_token)
        return RoleResult(fmt.parse_caller(done.text), done.text, done.stats, prompt, truncated)


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
