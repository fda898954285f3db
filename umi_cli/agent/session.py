"""The agent as the CLI uses it: options, building from a profile, runs with memory and traces."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from umi_cli.agent import format as fmt
from umi_cli.agent.backbone_run import BackboneRun
from umi_cli.agent.chat_prompts import PROMPT_STYLES
from umi_cli.agent.events import Event, RunFinished, RunStarted
from umi_cli.agent.loop import Cancelled, RunLimits, RunRecord, TaskRun, ToolRunner
from umi_cli.agent.role_base import Decoding, Role
from umi_cli.agent.roles import Backbone, Caller, Planner, Summarizer
from umi_cli.errors import ConfigError, UmiError, UsageError

log = logging.getLogger(__name__)

AGENT_ROLES = ("planner", "caller", "summarizer")
DEFAULT_CONTEXT = 4096


@dataclass
class AgentOptions:
    """How the agent runs. ``None`` sampling values take the model's catalog defaults."""

    max_steps: int = 4
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    max_tokens: int | None = None
    observation_chars: int = 1024
    constrain: bool = True
    retries: int = 0
    prompt_style: str = "readable"
    context: int | None = None

    def check(self) -> None:
        """Raise UsageError naming the flag for values out of range."""
        if self.max_steps < 1:
            raise UsageError("--max-steps must be at least 1")
        if self.retries < 0:
            raise UsageError("--retries must be 0 or more")
        if self.temperature is not None and self.temperature < 0:
            raise UsageError("--temperature must be 0 or more")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise UsageError("--top-p must be in (0, 1]")
        if self.max_tokens is not None and self.max_tokens < 16:
            raise UsageError("--max-tokens must be at least 16")
        if self.observation_chars < 16:
            raise UsageError("--observation-chars must be at least 16")
        if self.prompt_style not in PROMPT_STYLES:
            raise UsageError(f"--prompt-style must be one of: {', '.join(PROMPT_STYLES)}")


def one_line(error: BaseException) -> str:
    """An exception as one line of text."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


class Agent:
    """The three roles (or one backbone) and the tools, with multi-turn memory.

    ``run`` yields events and never raises.
    """

    def __init__(
        self,
        *,
        planner: Planner | None = None,
        caller: Caller | None = None,
        summarizer: Summarizer | None = None,
        backbone: Backbone | None = None,
        toolbox: ToolRunner,
        options: AgentOptions,
        profile: str = "",
    ) -> None:
        if backbone is None and (planner is None or caller is None or summarizer is None):
            raise ValueError("an agent needs a planner, a caller and a summarizer, or a backbone")
        self.planner = planner
        self.caller = caller
        self.summarizer = summarizer
        self.backbone = backbone
        self.toolbox = toolbox
        self.options = options
        self.profile = profile
        self._memory: list[fmt.Turn] = []
        self._cancelled = threading.Event()
        self._last_trace: dict[str, Any] = {}

    @property
    def memory(self) -> list[fmt.Turn]:
        """Earlier tasks' user turns and answers, as the planner sees them."""
        return list(self._memory)

    def cancel(self) -> None:
        """Stop the running step (thread-safe); the run ends as failed / ``cancelled``."""
        self._cancelled.set()

    def reset(self) -> None:
        """Forget earlier tasks."""
        self._memory.clear()

    def last_trace(self) -> dict[str, Any]:
        """The last run's trajectory in the ToolBench conversation format, with figures."""
        return self._last_trace

    def run(self, task: str) -> Iterator[Event]:
        """Run one task, yielding events; never raises (failures end in ``RunFinished``)."""
        started = time.perf_counter()
        self._cancelled.clear()
        limits = RunLimits(
            max_steps=self.options.max_steps,
            observation_chars=self.options.observation_chars,
            retries=self.options.retries,
            constrain=self.options.constrain,
        )
        outcome, error = "failed", None
        task_run: TaskRun | None = None
        try:
            task_run = self._task_run(limits)
            yield RunStarted(task=task, profile=self.profile, tools=self.toolbox.names())
            opening = [*self._memory, {"from": "user", "value": task}]
            yield from task_run.run(opening)
            outcome = task_run.record.outcome
        except Cancelled:
            error = "cancelled"
        except UmiError as exc:  # the user can fix it: one line
            error = one_line(exc)
        except Exception as exc:  # our bug: a failed outcome, with the traceback in the log
            log.debug("internal error in the run of %r", task, exc_info=True)
            error = (
                f"internal error: {type(exc).__name__}: {one_line(exc)} "
                "(run with --debug for the traceback)"
            )
        record = task_run.record if task_run is not None else RunRecord()
        answer = record.answer if outcome == "answered" else None
        self._remember(task, answer)
        wall = time.perf_counter() - started
        self._last_trace = build_trace(
            task, record, task_run.documents if task_run else [], self, outcome, error, wall
        )
        yield RunFinished(
            outcome=outcome,  # type: ignore[arg-type]
            answer=answer,
            steps=record.steps,
            attempts=max(record.attempts, 1),
            totals=record.totals,
            wall_seconds=wall,
            error=error,
        )

    def _task_run(self, limits: RunLimits) -> TaskRun:
        if self.backbone is not None:
            return BackboneRun(
                backbone=self.backbone,
                toolbox=self.toolbox,
                limits=limits,
                cancelled=self._cancelled,
            )
        return TaskRun(
            planner=self.planner,  # type: ignore[arg-type]
            caller=self.caller,  # type: ignore[arg-type]
            summarizer=self.summarizer,  # type: ignore[arg-type]
            toolbox=self.toolbox,
            limits=limits,
            cancelled=self._cancelled,
        )

    def _remember(self, task: str, answer: str | None) -> None:
        self._memory.append({"from": "user", "value": task})
        if answer is not None:
            self._memory.append({"from": "conclusion", "value": answer})


def build_trace(
    task: str,
    record: RunRecord,
    documents: list[dict[str, Any]],
    agent: Agent,
    outcome: str,
    error: str | None,
    wall: float,
) -> dict[str, Any]:
    """The trace dict: ToolBench item keys plus outcome and per-step figures."""
    options = asdict(agent.options)
    return {
        "tools": documents,
        "instruction": task,
        "conversations": [dict(turn) for turn in record.conversation],
        "outcome": outcome,
        "answer": record.answer if outcome == "answered" else None,
        "error": error,
        "attempts": max(record.attempts, 1),
        "steps": record.steps,
        "profile": agent.profile,
        "options": options,
        "figures": [figure.to_dict() for figure in record.figures],
        "totals": record.totals.to_dict(),
        "wall_seconds": wall,
    }


def _decoding(entry: Any, options: AgentOptions) -> Decoding:
    defaults = entry.defaults
    return Decoding(
        max_tokens=options.max_tokens or defaults.max_tokens,
        temperature=defaults.temperature if options.temperature is None else options.temperature,
        top_p=defaults.top_p if options.top_p is None else options.top_p,
        seed=options.seed,
        constrain=options.constrain,
    )


def _context(entry: Any, options: AgentOptions) -> int:
    return options.context or min(entry.context_length, DEFAULT_CONTEXT)


def build_agent(
    profile: str,
    tools: list[str] | None,
    options: AgentOptions,
    *,
    n_gpu_layers: int | None = None,
    base_urls: dict[str, str] | None = None,
) -> Agent:
    """Resolve the profile, load each distinct GGUF once, load the tools, and wire the roles."""
    from umi_cli import paths
    from umi_cli.engine import Engine
    from umi_cli.models import resolve_profile
    from umi_cli.tools import Toolbox

    options.check()
    toolbox = Toolbox.load(tools, base_urls=base_urls)
    if not toolbox.names():
        raise ConfigError(
            "no tools selected; put a spec in "
            f"{paths.user_tool_specs_dir()} or pass --tools FILE.yaml (see `umi tools list`)"
        )
    resolved = resolve_profile(profile, download=False)
    roles = [role for role in AGENT_ROLES if role in resolved]
    if len(roles) < len(AGENT_ROLES):
        if "backbone" not in resolved:
            missing = ", ".join(role for role in AGENT_ROLES if role not in resolved)
            raise ConfigError(
                f"profile {profile!r} has no model for {missing}; the agent needs planner, "
                "caller and summarizer, or a backbone (see `umi models list`)"
            )
        roles = ["backbone"]
    engine = Engine(n_gpu_layers=n_gpu_layers)
    contexts: dict[Path, int] = {}
    for role in roles:
        entry, path = resolved[role]
        contexts[path] = max(contexts.get(path, 0), _context(entry, options))
    loaded = {path: engine.load(path, n_ctx=n_ctx) for path, n_ctx in contexts.items()}

    def role(kind: type[Role], name: str) -> Any:
        entry, path = resolved[name]
        return kind(
            loaded[path],
            entry.prompt_format,
            decoding=_decoding(entry, options),
            context=contexts[path],
            system_prefix=entry.system_prefix,
            prompt_style=options.prompt_style,
        )

    if roles == ["backbone"]:
        return Agent(
            backbone=role(Backbone, "backbone"), toolbox=toolbox, options=options, profile=profile
        )
    return Agent(
        planner=role(Planner, "planner"),
        caller=role(Caller, "caller"),
        summarizer=role(Summarizer, "summarizer"),
        toolbox=toolbox,
        options=options,
        profile=profile,
    )
