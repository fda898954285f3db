"""What `run`, `chat` and `batch` share: the run flags (declared once), the task text, the
demo API, and exit codes.

A command decorated with :func:`run_flags` gets the shared flags added to its signature and
receives them as one validated :class:`~umi_cli.agent.options.RunOptions` (``options``) plus
``demo``; a value out of range is one line naming the flag.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import sys
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

import typer

from umi_cli.agent.options import DEFAULT_PROFILE, OptionError, RunOptions
from umi_cli.cli.moa_flags import MOA_FLAG_OF_FIELD, MOA_FLAGS, moa_mapping
from umi_cli.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])

ProfileOption = Annotated[
    str, typer.Option("--profile", "-p", help="Model profile (see `umi models profiles`).")
]
ModeOption = Annotated[
    str | None,
    typer.Option(
        "--mode",
        help="alpha-umi (planner, caller, summarizer), backbone (one model plays all), native "
        "(the model's own tool calling), moa (each role's output a mixture of proposals) or cmat "
        "(a checker before each call, lessons kept as memory); default: the profile's.",
    ),
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
NoLogOption = Annotated[
    bool,
    typer.Option("--no-log", help="Do not record the run in the run log (`umi logs`)."),
]
NoAnswerCheckOption = Annotated[
    bool,
    typer.Option(
        "--no-answer-check",
        help="Give the final answer as written, without checking its names, numbers and dates "
        "against what the APIs returned.",
    ),
]
NoJudgeOption = Annotated[
    bool,
    typer.Option(
        "--no-judge",
        help="Let the planner decide when the task is done from its own text, instead of a "
        "scored yes/no question to its model.",
    ),
]
NoMemoryOption = Annotated[
    bool,
    typer.Option(
        "--no-memory",
        help="cmat: neither recall lessons from long-term memory nor write any (`umi memory`).",
    ),
]
CheckRevisionsOption = Annotated[
    int,
    typer.Option(
        "--check-revisions", help="cmat: revisions of a call the checker rejects (default: 2)."
    ),
]
AfterRejectionsOption = Annotated[
    str,
    typer.Option(
        "--after-rejections",
        help="cmat: send (the call goes out anyway) or give-up, once the revisions are spent.",
    ),
]
ReflectionOption = Annotated[
    str,
    typer.Option(
        "--reflection",
        help="cmat: who writes lessons: model (the actor's model) or facts (what happened).",
    ),
]

#: The shared flags: (parameter name, annotation, default), in --help order.
_FLAGS: tuple[tuple[str, Any, Any], ...] = (
    ("profile", ProfileOption, DEFAULT_PROFILE),
    ("mode", ModeOption, None),
    ("tools", ToolsOption, None),
    ("base_url", BaseUrlOption, None),
    ("demo", DemoOption, False),
    ("max_steps", MaxStepsOption, None),
    ("temperature", TemperatureOption, None),
    ("seed", SeedOption, None),
    ("retries", RetriesOption, 0),
    ("no_constrain", NoConstrainOption, False),
    ("n_gpu_layers", GpuLayersOption, None),
    ("no_answer_check", NoAnswerCheckOption, False),
    ("no_judge", NoJudgeOption, False),
    ("no_memory", NoMemoryOption, False),
    ("check_revisions", CheckRevisionsOption, 2),
    ("after_rejections", AfterRejectionsOption, "send"),
    ("reflection", ReflectionOption, "model"),
    *MOA_FLAGS,
)
#: Flags only commands that record runs get (they take a keyword parameter of the same name).
_LOGGED_FLAGS: tuple[tuple[str, Any, Any], ...] = (("no_log", NoLogOption, False),)

#: RunOptions field -> the flag that sets it (for one-line errors).
FLAG_OF_FIELD = {
    "profile": "--profile",
    "mode": "--mode",
    "max_steps": "--max-steps",
    "temperature": "--temperature",
    "retries": "--retries",
    "seed": "--seed",
    "top_p": "--top-p",
    "max_tokens": "--max-tokens",
    "observation_chars": "--observation-chars",
    "prompt_style": "--prompt-style",
    "n_gpu_layers": "--n-gpu-layers",
    "check_revisions": "--check-revisions",
    "after_rejections": "--after-rejections",
    "reflection": "--reflection",
    **MOA_FLAG_OF_FIELD,
}


def checked(options: RunOptions) -> RunOptions:
    """``options.check()`` with the problem named by its flag (a UsageError, exit 2)."""
    try:
        return options.check()
    except OptionError as exc:
        raise UsageError(f"{FLAG_OF_FIELD.get(exc.field, exc.field)} {exc.problem}") from None


def options_from_flags(
    *,
    profile: str,
    mode: str | None,
    tools: list[str] | None,
    base_url: list[str] | None,
    max_steps: int | None,
    temperature: float | None,
    seed: int | None,
    retries: int,
    no_constrain: bool,
    n_gpu_layers: int | None,
    no_answer_check: bool = False,
    no_judge: bool = False,
    no_memory: bool = False,
    check_revisions: int = 2,
    after_rejections: str = "send",
    reflection: str = "model",
    **moa: Any,
) -> RunOptions:
    """Validate the shared flags (one line naming the flag) and gather them; ``moa``: the MoA
    flags (:data:`~umi_cli.cli.moa_flags.MOA_FLAGS`)."""
    options = RunOptions(
        profile=profile,
        mode=mode,
        tools=tuple(tools) if tools else None,
        base_urls=parse_base_urls(base_url or []),
        temperature=temperature,
        seed=seed,
        retries=retries,
        constrain=not no_constrain,
        n_gpu_layers=n_gpu_layers,
        check_answers=not no_answer_check,
        judge=not no_judge,
        memory=not no_memory,
        check_revisions=check_revisions,
        after_rejections=after_rejections,
        reflection=reflection,
        moa=moa_mapping(moa),
    )
    if max_steps is not None:
        options = options.with_(max_steps=max_steps)
    return checked(options)


def run_flags(command: F) -> F:
    """Give a Typer command the shared run flags; it is called with ``options`` and ``demo``
    (and ``no_log`` when it declares that keyword: the commands whose runs are logged)."""
    own = inspect.signature(command, eval_str=True)
    logged = "no_log" in own.parameters
    kept = [p for p in own.parameters.values() if p.name not in ("options", "demo", "no_log")]
    flags_added = _FLAGS + (_LOGGED_FLAGS if logged else ())
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
        for name, kind, default in flags_added
    ]
    names = [name for name, _kind, _default in _FLAGS]

    @functools.wraps(command)
    def with_options(**values: Any) -> Any:
        flags = {name: values.pop(name) for name in names}
        demo = flags.pop("demo")
        return command(options=options_from_flags(**flags), demo=demo, **values)

    parameters = kept + added
    with_options.__signature__ = own.replace(parameters=parameters)  # type: ignore[attr-defined]
    with_options.__annotations__ = {p.name: p.annotation for p in parameters}
    return with_options  # type: ignore[return-value]  # the same call shape for Typer


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


def read_task(task: str, argument: str = "TASK") -> str:
    """The task text: the argument itself, or standard input (UTF-8) when it is ``-``;
    ``argument`` names it in messages."""
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
            message = f"the {argument} argument is not UTF-8 text; give it as UTF-8"
            raise UsageError(message) from None
    text = text.strip()
    if not text:
        source = "standard input" if task == "-" else f"the {argument} argument"
        raise UsageError(f"the {argument.lower()} is empty: give it as {source}")
    return text


@contextlib.contextmanager
def demo_tools(options: RunOptions, enabled: bool) -> Iterator[RunOptions]:
    """With ``--demo``: serve the offline music API on loopback and add its spec to the tools."""
    if not enabled:
        yield options
        return
    from umi_cli.demo import DEMO_TOOL, SPEC_PATH, DemoServer

    with DemoServer() as server:
        tools = (*(options.tools or ()), str(SPEC_PATH))
        urls = {**options.base_urls}
        urls.setdefault(DEMO_TOOL, server.url)
        yield options.with_(tools=tools, base_urls=urls)


def exit_code(outcome: str | None) -> int:
    """0 answered, 3 gave up, 1 failed (or no outcome at all)."""
    return {"answered": 0, "gave_up": 3}.get(outcome or "failed", 1)
