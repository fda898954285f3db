"""Options shared by the commands that load models and run the agent (`run`, `chat`, `batch`)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated

import typer

from umi_cli.errors import UsageError

if TYPE_CHECKING:
    from umi_cli.agent.session import Agent

DEFAULT_PROFILE = "pocket"

ProfileOption = Annotated[
    str, typer.Option("--profile", "-p", help="Model profile (see `umi models profiles`).")
]
ToolsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--tools",
        "-t",
        help="Tool spec by name or YAML path; repeat for several. Default: all installed specs.",
    ),
]
BaseUrlOption = Annotated[
    list[str] | None,
    typer.Option("--base-url", help="Point a tool at another server: TOOL=URL (repeatable)."),
]
MaxStepsOption = Annotated[
    int | None, typer.Option("--max-steps", help="Planner steps per attempt (default: 4).")
]
TemperatureOption = Annotated[
    float | None, typer.Option("--temperature", help="Sampling temperature (default per model).")
]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Sampling seed.")]
RetriesOption = Annotated[
    int, typer.Option("--retries", help="After a give-up, retry this many times (FORMAT.md §3).")
]
NoConstrainOption = Annotated[
    bool,
    typer.Option(
        "--no-constrain", help="Turn off grammar-constrained decoding (fidelity experiments)."
    ),
]
GpuLayersOption = Annotated[
    int | None,
    typer.Option("--n-gpu-layers", help="Layers to offload to the GPU (-1: all; default: auto)."),
]
DemoOption = Annotated[
    bool,
    typer.Option("--demo", help="Start the built-in offline music API and use its tool spec."),
]


@dataclass
class AgentSettings:
    """Everything needed to build an agent, gathered from the command line."""

    profile: str = DEFAULT_PROFILE
    tools: list[str] | None = None
    base_urls: dict[str, str] = field(default_factory=dict)
    max_steps: int | None = None
    temperature: float | None = None
    seed: int | None = None
    retries: int = 0
    constrain: bool = True
    n_gpu_layers: int | None = None

    def with_tools(self, tools: list[str] | None) -> AgentSettings:
        return replace(self, tools=tools)

    def with_profile(self, profile: str) -> AgentSettings:
        return replace(self, profile=profile)


def agent_settings(
    *,
    profile: str,
    tools: list[str] | None,
    base_url: list[str] | None,
    max_steps: int | None,
    temperature: float | None,
    seed: int | None,
    retries: int,
    no_constrain: bool,
    n_gpu_layers: int | None,
) -> AgentSettings:
    """Validate the shared flags (one-line UsageError naming the flag) and gather them."""
    if max_steps is not None and max_steps < 1:
        raise UsageError(f"--max-steps must be at least 1, got {max_steps}")
    if temperature is not None and temperature < 0:
        raise UsageError(f"--temperature must be 0 or more, got {temperature}")
    if retries < 0:
        raise UsageError(f"--retries must be 0 or more, got {retries}")
    return AgentSettings(
        profile=profile,
        tools=list(tools) if tools else None,
        base_urls=parse_base_urls(base_url or []),
        max_steps=max_steps,
        temperature=temperature,
        seed=seed,
        retries=retries,
        constrain=not no_constrain,
        n_gpu_layers=n_gpu_layers,
    )


def parse_base_urls(values: list[str]) -> dict[str, str]:
    """``["music=http://127.0.0.1:8000"]`` → ``{"music": "http://127.0.0.1:8000"}``."""
    urls: dict[str, str] = {}
    for value in values:
        tool, sep, url = value.partition("=")
        if not sep or not tool.strip() or not url.strip():
            raise UsageError(f"--base-url expects TOOL=URL, got {value!r}")
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"--base-url {tool}: the URL must start with http:// or https://")
        urls[tool.strip()] = url.strip()
    return urls


def read_task(task: str) -> str:
    """The task text: the argument itself, or standard input (UTF-8) when it is ``-``."""
    if task == "-":
        try:
            text = sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"standard input is not UTF-8 text (byte {exc.start}); give the task as UTF-8"
            ) from None
    else:
        text = task
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # bytes that were not UTF-8 reach argv as surrogates
            raise UsageError("the TASK argument is not UTF-8 text; give it as UTF-8") from None
    text = text.strip()
    if not text:
        source = "standard input" if task == "-" else "the TASK argument"
        raise UsageError(f"the task is empty: give it as {source}")
    return text


def build_agent(settings: AgentSettings) -> Agent:
    """Load the profile's models and the tools into an agent (models load here, once)."""
    from umi_cli.agent.session import AgentOptions
    from umi_cli.agent.session import build_agent as build

    options = AgentOptions(
        temperature=settings.temperature,
        seed=settings.seed,
        retries=settings.retries,
        constrain=settings.constrain,
    )
    if settings.max_steps is not None:
        options.max_steps = settings.max_steps
    return build(
        settings.profile,
        settings.tools,
        options,
        n_gpu_layers=settings.n_gpu_layers,
        base_urls=settings.base_urls or None,
    )


@contextlib.contextmanager
def demo_tools(settings: AgentSettings, enabled: bool) -> Iterator[AgentSettings]:
    """With ``--demo``: serve the offline music API on loopback and add its spec to the tools."""
    if not enabled:
        yield settings
        return
    from umi_cli.demo import DEMO_TOOL, SPEC_PATH, DemoServer

    with DemoServer() as server:
        tools = [*(settings.tools or []), str(SPEC_PATH)]
        urls = {**settings.base_urls}
        urls.setdefault(DEMO_TOOL, server.url)
        yield replace(settings, tools=tools, base_urls=urls)


def exit_code(outcome: str | None) -> int:
    """0 answered, 3 gave up, 1 failed (or no outcome at all)."""
    return {"answered": 0, "gave_up": 3}.get(outcome or "failed", 1)
