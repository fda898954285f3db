"""`umi eval`: step-level ToolBench metrics and BFCL accuracy of a model profile.

The end-to-end commands (`complexfuncbench`, `tasks`) live in :mod:`umi_cli.cli.eval_e2e` and
`compare` in :mod:`umi_cli.cli.eval_compare`; both use the helpers of this module.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from umi_cli.cli.moa_flags import MoaCallerOption
from umi_cli.errors import UsageError

app = typer.Typer(
    help="Score a model profile: ToolBench step-level metrics (α-UMi paper), BFCL accuracy, "
    "whole tasks end to end (ComplexFuncBench, your own task suites), and compare results.",
    no_args_is_help=True,
)

ProfileOption = Annotated[
    str, typer.Option("--profile", "-p", help="Model profile (see `umi models profiles`).")
]
LimitOption = Annotated[int | None, typer.Option("--limit", help="Evaluate at most N samples.")]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Folder for predictions.jsonl, run.json and metrics.json; rerun to resume.",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the metrics as JSON on stdout (no table).")
]
TemperatureOption = Annotated[
    float | None,
    typer.Option("--temperature", help="Sampling temperature (default: the model's)."),
]
SeedOption = Annotated[int, typer.Option("--seed", help="Sampling seed.")]
MaxTokensOption = Annotated[
    int | None,
    typer.Option("--max-tokens", help="New tokens per completion (default: the model's)."),
]
GpuLayersOption = Annotated[
    int | None,
    typer.Option("--n-gpu-layers", help="Layers to offload to the GPU (-1: all; default: auto)."),
]
NoJudgeOption = Annotated[
    bool,
    typer.Option(
        "--no-judge", help="The planner decides from its own text (no scored yes/no question)."
    ),
]
PromptStyleOption = Annotated[
    str,
    typer.Option(
        "--prompt-style",
        help="Role prompt design for chat-format models: readable, example or alpha-umi.",
    ),
]


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )


@contextmanager
def _results(output: Path | None, settings: dict[str, Any]) -> Iterator[Any]:
    """The ``-o`` folder (or None), closed at the end even when interrupted."""
    if output is None:
        yield None
        return
    from umi_cli.eval.results import ResultsFolder

    folder = ResultsFolder(output, settings)
    try:
        yield folder
    finally:
        folder.close()


def _run_pending(
    items: list[Any],
    key: Callable[[Any], str],
    predict: Callable[[Any], dict[str, Any]],
    folder: Any,
    description: str,
) -> list[dict[str, Any]]:
    """Predict every item not already in the folder, with a progress bar on stderr."""
    wanted = {key(item) for item in items}
    done = [r for r in folder.records() if str(r["id"]) in wanted] if folder else []
    done_ids = {str(r["id"]) for r in done}
    pending = [item for item in items if key(item) not in done_ids]
    records = list(done)
    console = Console(stderr=True)
    if done:
        console.print(f"resuming: {len(done)} of {len(items)} already in {folder.path}")
    with _progress(console) as progress:
        task = progress.add_task(description, total=len(items), completed=len(done))
        for item in pending:
            record = predict(item)
            if folder:
                folder.append(record)
            records.append(record)
            progress.advance(task)
    return records


def _finish(report: dict[str, Any], folder: Any, json_output: bool, tables: Iterable[Any]) -> None:
    if folder:
        path = folder.write_metrics(report)
        if not json_output:
            Console(stderr=True).print(f"metrics written to {path}")
    if json_output:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return
    console = Console()
    for table in tables:
        console.print(table)


def _eval_options(**fields: Any) -> Any:
    """The RunOptions of an evaluation (flags checked by field, named by flag)."""
    from umi_cli.agent.options import RunOptions
    from umi_cli.cli.common import checked

    return checked(RunOptions(**fields))


def _moa_settings(options: Any) -> Any:
    """The run's MoA settings (the profile's, with --moa-caller over them)."""
    from umi_cli.agent.moa.team import settings_of

    return settings_of(options) if options.mode == "moa" else None


def _moa_flag(mode: str, moa_caller: str | None) -> dict[str, Any]:
    """``--moa-caller`` as a settings mapping; outside ``--mode moa`` it is a usage error."""
    if moa_caller is None:
        return {}
    if mode != "moa":
        raise UsageError(f"--moa-caller applies to --mode moa only (this run is --mode {mode})")
    return {"caller_rule": moa_caller}


def _check_common(limit: int | None, temperature: float | None, prompt_style: str) -> None:
    from umi_cli.agent.chat_prompts import PROMPT_STYLES

    if limit is not None and limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")
    if temperature is not None and temperature < 0:
        raise UsageError(f"--temperature must be 0 or more, got {temperature}")
    if prompt_style not in PROMPT_STYLES:
        raise UsageError(
            f"--prompt-style {prompt_style}: unknown; choose from {', '.join(PROMPT_STYLES)}"
        )


@app.command("toolbench")
def toolbench(
    data: Annotated[
        Path, typer.Argument(help="ToolBench trajectories (α-UMi test format or a umi trace).")
    ],
    profile: ProfileOption = "pocket",
    limit: LimitOption = None,
    sample_seed: Annotated[
        int | None,
        typer.Option("--sample-seed", help="Pick the --limit samples at random with this seed."),
    ] = None,
    constrain: Annotated[
        bool,
        typer.Option("--constrain/--no-constrain", help="Grammar-constrained decoding."),
    ] = True,
    mode: Annotated[
        str,
        typer.Option(
            "--mode", help="alpha-umi: planner/caller/summarizer; backbone: one model plays all."
        ),
    ] = "alpha-umi",
    prompt_style: PromptStyleOption = "readable",
    output: OutputOption = None,
    json_output: JsonOption = False,
    temperature: TemperatureOption = None,
    seed: SeedOption = 0,
    max_tokens: MaxTokensOption = None,
    n_gpu_layers: GpuLayersOption = None,
    no_judge: NoJudgeOption = False,
    moa_caller: MoaCallerOption = None,
    teacher_forced: Annotated[
        bool,
        typer.Option(
            "--teacher-forced",
            help="Only the conclusion samples with a reference answer: the summarizer answers "
            "after the reference planner turn (R-L of the answers alone).",
        ),
    ] = False,
) -> None:
    """Step-level evaluation (FORMAT.md §7): one sample per reference planner turn."""
    from umi_cli.compose import open_roles
    from umi_cli.engine import BackendPool, PoolSettings
    from umi_cli.eval.report import toolbench_table
    from umi_cli.eval.steps import load_trajectories, select, step_samples
    from umi_cli.eval.toolbench import PAPER_ROWS, PREDICTORS, evaluate_sample, summarize

    _check_common(limit, temperature, prompt_style)
    if mode not in PREDICTORS:
        raise UsageError(f"--mode {mode}: unknown; choose {' or '.join(PREDICTORS)}")
    samples = step_samples(load_trajectories(data))
    if teacher_forced:
        samples = [s for s in samples if s.decision == "conclusion" and s.answer]
    samples = select(samples, limit, sample_seed)
    if not samples:
        held = (
            "conclusion turns with a reference answer"
            if teacher_forced
            else "planner (assistant) turns"
        )
        raise UsageError(f"{data}: holds no {held} to evaluate")
    settings = {
        "data": str(data.resolve()),
        "profile": profile,
        "mode": mode,
        "constrain": constrain,
        "prompt_style": prompt_style,
        "temperature": temperature,
        "seed": seed,
        "max_tokens": max_tokens,
        "sample_seed": sample_seed,
        "judge": not no_judge,
        "teacher_forced": teacher_forced,
        **({"moa_caller": moa_caller} if moa_caller else {}),  # earlier folders stay resumable
    }
    options = _eval_options(
        profile=profile, mode=mode, constrain=constrain, prompt_style=prompt_style,
        temperature=temperature, seed=seed, max_tokens=max_tokens, n_gpu_layers=n_gpu_layers,
        judge=not no_judge, moa=_moa_flag(mode, moa_caller),
    )  # fmt: skip
    moa = _moa_settings(options)
    pool = BackendPool(PoolSettings(n_gpu_layers=n_gpu_layers))
    with pool, _results(output, settings) as folder:
        loaded: list[Any] = []

        def predict(sample: Any) -> dict[str, Any]:
            if not loaded:  # load models only when something is left to predict
                loaded.append(open_roles(options, pool))
            return evaluate_sample(loaded[0], sample, mode, teacher_forced=teacher_forced, moa=moa)

        records = _run_pending(samples, lambda s: s.id, predict, folder, "toolbench")
        order = {sample.id: index for index, sample in enumerate(samples)}
        records.sort(key=lambda r: order[str(r["id"])])
        metrics = summarize(records)
        report = {"metrics": metrics, "settings": settings, "paper": PAPER_ROWS}
        forced = ", teacher-forced" if teacher_forced else ""
        label = f"{profile} ({mode}{'' if constrain else ', free'}, {prompt_style}{forced})"
        _finish(report, folder, json_output, [toolbench_table(label, metrics)])


@app.command("bfcl")
def bfcl(
    profile: ProfileOption = "pocket",
    category: Annotated[
        list[str] | None,
        typer.Option(
            "--category",
            "-c",
            help="BFCL category (repeatable). Default: simple_python, multiple, parallel, "
            "irrelevance.",
        ),
    ] = None,
    system: Annotated[
        list[str] | None,
        typer.Option(
            "--system",
            "-s",
            help="umi (constrained caller), umi-free (no grammar), native (the model's own "
            "tool calling). Repeatable; default: all that the profile supports.",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most N items per category.")
    ] = None,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="The agent mode of the umi systems: alpha-umi, cmat (the checker judges each "
            "call; also scored without it as '<system> unchecked') or moa.",
        ),
    ] = "alpha-umi",
    prompt_style: PromptStyleOption = "readable",
    output: OutputOption = None,
    json_output: JsonOption = False,
    temperature: TemperatureOption = None,
    seed: SeedOption = 0,
    max_tokens: MaxTokensOption = None,
    n_gpu_layers: GpuLayersOption = None,
    no_judge: NoJudgeOption = False,
    moa_caller: MoaCallerOption = None,
) -> None:
    """BFCL function calling: our planner + caller vs the model's native tool calling."""
    from umi_cli.compose import open_roles
    from umi_cli.engine import BackendPool, PoolSettings
    from umi_cli.eval.bfcl import SYSTEMS, BfclRunner, accuracy_table
    from umi_cli.eval.bfcl_data import DEFAULT_CATEGORIES, load_category
    from umi_cli.eval.bfcl_modes import MODE_TURNS
    from umi_cli.eval.report import bfcl_table

    _check_common(limit, temperature, prompt_style)
    if mode not in MODE_TURNS:
        raise UsageError(f"--mode {mode}: unknown; choose {', '.join(MODE_TURNS)}")
    categories = list(dict.fromkeys(category or DEFAULT_CATEGORIES))
    systems = list(dict.fromkeys(system or SYSTEMS))
    for name in systems:
        if name not in SYSTEMS:
            raise UsageError(f"--system {name}: unknown; choose from {', '.join(SYSTEMS)}")
    items = [item for name in categories for item in load_category(name, limit)]
    settings = {
        "benchmark": "bfcl",
        "profile": profile,
        "prompt_style": prompt_style,
        "temperature": temperature,
        "seed": seed,
        "max_tokens": max_tokens,
        "judge": not no_judge,
        **({"mode": mode} if mode != "alpha-umi" else {}),  # earlier folders stay resumable
        **({"moa_caller": moa_caller} if moa_caller else {}),
    }
    options = _eval_options(
        profile=profile, mode=mode, constrain=True, prompt_style=prompt_style,
        temperature=temperature, seed=seed, max_tokens=max_tokens, n_gpu_layers=n_gpu_layers,
        judge=not no_judge, moa=_moa_flag(mode, moa_caller),
    )  # fmt: skip
    pool = BackendPool(PoolSettings(n_gpu_layers=n_gpu_layers))
    runner = BfclRunner(open_roles(options, pool), mode=mode, moa=_moa_settings(options))
    unsupported = [name for name in systems if not runner.supports(name)]
    if unsupported and system:
        raise UsageError(
            f"--system {unsupported[0]}: profile {profile} has no chat-format caller model"
        )
    systems = [name for name in systems if runner.supports(name)]
    jobs = [(name, item) for name in systems for item in items]
    with pool, _results(output, settings) as folder:
        records = _run_pending(
            jobs,
            lambda job: f"{job[0]}:{job[1].id}",
            lambda job: runner.run(job[1], job[0]),
            folder,
            "bfcl",
        )
        accuracy = accuracy_table(records)
        report = {"accuracy": accuracy, "settings": settings, "items": len(items)}
        _finish(report, folder, json_output, [bfcl_table(accuracy, categories)])
