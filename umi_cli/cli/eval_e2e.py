"""`umi eval complexfuncbench` and `umi eval tasks`: whole tasks, solved end to end.

Both run the agent exactly as `umi run` does (a mode from the registry, the toolbox and its
guards); the first replays ComplexFuncBench's recorded Booking.com responses and scores the calls,
the second runs a user's task suite over their own tools and checks each task's expectation.
Both write a resumable ``-o`` folder (predictions.jsonl with one line per task, run.json,
metrics.json).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from umi_cli.agent.options import RunOptions
from umi_cli.cli import common
from umi_cli.cli.evaluate import (
    GpuLayersOption,
    JsonOption,
    MaxTokensOption,
    OutputOption,
    ProfileOption,
    PromptStyleOption,
    TemperatureOption,
    _check_common,
    _eval_options,
    _finish,
    _results,
    _run_pending,
)
from umi_cli.errors import UsageError

if TYPE_CHECKING:
    from umi_cli.eval.tasks import SuiteTask

#: n_ctx for ComplexFuncBench roles: a task's functions alone fill 3,000-7,000 tokens.
CFB_CONTEXT = 8192


def register(app: typer.Typer) -> None:
    """Add the commands to the `umi eval` group."""
    app.command("complexfuncbench")(complexfuncbench)
    app.command("tasks")(tasks)


def complexfuncbench(
    profile: ProfileOption = "pocket",
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="alpha-umi (planner/caller/summarizer), backbone (one model plays all) or "
            "native (the model's own chat-template tool calling).",
        ),
    ] = "alpha-umi",
    split: Annotated[
        str,
        typer.Option(
            "--split", help="dev: tasks 0-499 (tune only on these); all: the 1,000 tasks."
        ),
    ] = "dev",
    limit: Annotated[int | None, typer.Option("--limit", help="Run at most N tasks.")] = None,
    sample_seed: Annotated[
        int | None,
        typer.Option("--sample-seed", help="Pick the --limit tasks at random with this seed."),
    ] = None,
    functions: Annotated[
        str,
        typer.Option(
            "--functions",
            help="domain: the functions of the task's domains (hotels, flights, cars, "
            "attraction, taxi, with the geocoder), as the original benchmark lists per task; "
            "all: the 40 functions.",
        ),
    ] = "domain",
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Folder with complexfuncbench-data.json and complexfuncbench-spec.json "
            "(default: the files nestful-wrapper installs).",
        ),
    ] = None,
    max_steps: Annotated[
        int, typer.Option("--max-steps", help="Planner steps per task (the longest has 11 calls).")
    ] = 10,
    observation_chars: Annotated[
        int,
        typer.Option("--observation-chars", help="Characters of each response the planner sees."),
    ] = 1024,
    context: Annotated[
        int, typer.Option("--context", help="Context length (n_ctx) of every role.")
    ] = CFB_CONTEXT,
    prompt_style: PromptStyleOption = "readable",
    output: OutputOption = None,
    json_output: JsonOption = False,
    temperature: TemperatureOption = None,
    seed: Annotated[int, typer.Option("--seed", help="Sampling seed.")] = 0,
    max_tokens: MaxTokensOption = None,
    n_gpu_layers: GpuLayersOption = None,
) -> None:
    """ComplexFuncBench end to end: multi-step Booking.com tasks over recorded real responses."""
    from umi_cli.agent.modes import MODES
    from umi_cli.compose import open_mode
    from umi_cli.engine import BackendPool, PoolSettings
    from umi_cli.eval.complexfuncbench.data import (
        DATA_FILE,
        SPEC_FILE,
        load_functions,
        load_tasks,
    )
    from umi_cli.eval.complexfuncbench.runner import leaderboard, run_task, summarize
    from umi_cli.eval.complexfuncbench.tools import SCOPES, task_functions, tool_defs

    _check_common(limit, temperature, prompt_style)
    if mode not in MODES:
        raise UsageError(f"--mode {mode}: unknown; choose from {', '.join(MODES)}")
    if functions not in SCOPES:
        raise UsageError(f"--functions {functions}: choose from {', '.join(SCOPES)}")
    if context < 512:
        raise UsageError(f"--context must be at least 512, got {context}")
    if data is not None and not (data / DATA_FILE).is_file():
        raise UsageError(f"--data {data}: holds no {DATA_FILE}")
    if data is not None and not (data / SPEC_FILE).is_file():
        raise UsageError(f"--data {data}: holds no {SPEC_FILE}")
    selected = load_tasks(
        split,  # type: ignore[arg-type]  # checked there
        limit,
        sample_seed,
        path=data / DATA_FILE if data else None,
    )
    specs = load_functions(data / SPEC_FILE if data else None)
    settings = {
        "benchmark": "complexfuncbench",
        "data": str(data.resolve()) if data else None,
        "split": split,
        "profile": profile,
        "mode": mode,
        "functions": functions,
        "max_steps": max_steps,
        "observation_chars": observation_chars,
        "context": context,
        "prompt_style": prompt_style,
        "temperature": temperature,
        "seed": seed,
        "max_tokens": max_tokens,
        "sample_seed": sample_seed,
    }
    options = _eval_options(
        profile=profile, mode=mode, max_steps=max_steps, observation_chars=observation_chars,
        context=context, prompt_style=prompt_style, temperature=temperature, seed=seed,
        max_tokens=max_tokens, n_gpu_layers=n_gpu_layers,
    )  # fmt: skip
    pool = BackendPool(PoolSettings(n_gpu_layers=n_gpu_layers))
    with pool, _results(output, settings) as folder:
        opened: list[Any] = []

        def predict(task: Any) -> dict[str, Any]:
            if not opened:  # models load only when a task is left to run
                opened.append(open_mode(options, pool))
            tools = tool_defs(task_functions(task, specs, functions))
            return run_task(task, opened[0], tools, options, profile)

        records = _run_pending(selected, lambda t: str(t.id), predict, folder, "complexfuncbench")
        records.sort(key=lambda r: int(r["id"]))
        metrics = summarize(records)
        board = leaderboard()
        report = {"metrics": metrics, "settings": settings, "leaderboard": board}
        _finish(report, folder, json_output, [_cfb_table(f"{profile} ({mode})", metrics, board)])


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _cfb_table(label: str, metrics: dict[str, Any], board: dict[str, Any]) -> Table:
    table = Table(title="ComplexFuncBench end to end", title_justify="left", caption_justify="left")
    for column in ("system", "success %", "call acc. %", "precision %", "answered %"):
        table.add_column(column, justify="left" if column == "system" else "right")
    table.add_row(
        f"[bold]{label}[/bold]",
        _percent(metrics["success_rate"]),
        _percent(metrics["call_accuracy"]),
        _percent(metrics["precision"]),
        _percent(metrics["answered"]),
    )
    table.add_section()
    for model, row in board["rows"].items():
        table.add_row(
            f"[dim]{model}[/dim]",
            f"[dim]{row['success_rate']:.2f}[/dim]",
            f"[dim]{row['call_accuracy']:.2f}[/dim]",
            "",
            "",
        )
    median = metrics["median_seconds"]
    table.caption = (
        f"{metrics['tasks']} tasks; {metrics['calls']} calls for {metrics['reference_calls']} "
        f"reference calls ({metrics['matched']} matched, {metrics['repeated']} repeated, "
        f"{metrics['invalid']} invalid); mean steps {_percent(metrics['mean_steps'])}"
        + (f"; median {median:.1f} s per task" if median is not None else "")
        + ".\nDim rows: the published leaderboard (all 1,000 tasks). "
        + board["note"]
    )
    return table


@common.run_flags
def tasks(
    suite: Annotated[
        Path | None,
        typer.Argument(
            metavar="[FILE]",
            help='JSON Lines: {"id", "query", "tools"?, "expect": {...}} per line. '
            "Default with --demo: the shipped suite for the demo music API.",
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Run at most N tasks.")] = None,
    output: OutputOption = None,
    json_output: JsonOption = False,
    *,
    options: RunOptions,
    demo: bool,
) -> None:
    """Run a task suite over your tools and check each answer, call and outcome it expects.

    `expect` may name answer strings (answer, answer_any), regexes (answer_regex), calls that
    must be made ({name, arguments?}), the outcome (answered / gave_up), or unanswerable: true.
    `umi eval tasks --demo` runs the shipped suite against the offline demo music API.
    """
    from umi_cli.cli.batch import AgentPool
    from umi_cli.engine import BackendPool, PoolSettings
    from umi_cli.eval.tasks import read_suite, summarize

    if limit is not None and limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")
    if suite is None:
        if not demo:
            raise UsageError("give a task FILE (or --demo for the demo API's shipped suite)")
        from umi_cli.demo import TASKS_PATH

        suite = TASKS_PATH
    suite_tasks = read_suite(suite)[:limit]
    settings = {
        "suite": str(suite.resolve()),
        **{key: value for key, value in options.to_dict().items() if key != "base_urls"},
        "demo": demo,
    }
    pool = BackendPool(PoolSettings(n_gpu_layers=options.n_gpu_layers))
    demo_run = common.demo_tools(options, demo)
    with pool, demo_run as run_options, _results(output, settings) as folder:
        agents = AgentPool(run_options, pool)
        try:
            records = _run_pending(
                suite_tasks,
                lambda task: task.id,
                lambda task: _run_suite_task(agents, task),
                folder,
                "tasks",
            )
        finally:
            agents.close()
        order = {task.id: index for index, task in enumerate(suite_tasks)}
        records.sort(key=lambda r: order[str(r["id"])])
        report = {"totals": summarize(records), "settings": settings, "tasks": records}
        _finish(report, folder, json_output, [_suite_table(records), _totals_table(report)])


def _run_suite_task(agents: Any, task: SuiteTask) -> dict[str, Any]:
    """Run one task as `umi batch` does and judge it."""
    from umi_cli.agent.events import Observation, RunFinished, TokenDelta, ToolCall
    from umi_cli.agent.grounding import check_answer
    from umi_cli.errors import UmiError
    from umi_cli.eval.tasks import MadeCall, judge, repeated_calls
    from umi_cli.ui.pump import pump

    calls: list[MadeCall] = []
    pending: list[ToolCall] = []
    finished: list[RunFinished] = []
    observed: list[str] = []
    events: list[dict[str, Any]] = []

    def collect(event: Any) -> None:
        if not isinstance(event, TokenDelta):
            events.append(event.to_dict())
        if isinstance(event, ToolCall):
            pending.append(event)
        elif isinstance(event, Observation):
            observed.append(event.text)
            if pending:
                call = pending.pop(0)
                calls.append(MadeCall(call.api, call.arguments, event.ok))
        elif isinstance(event, RunFinished):
            finished.append(event)

    try:
        agent = agents.agent_for(list(task.tools) if task.tools else None)
    except UmiError as exc:
        return _suite_record(task, "failed", None, [], str(exc), 0, 0, 0.0)
    result = pump(agent.run(task.query), collect, cancel=agent.cancel)
    if result.interrupted:
        raise KeyboardInterrupt
    calls.extend(MadeCall(call.api, call.arguments, False) for call in pending)
    end = finished[-1] if finished else None
    if end is None:
        return _suite_record(task, "failed", None, calls, "no result", 0, 0, 0.0)
    verdict = judge(task.expect, end.outcome, end.answer, calls)
    record = _suite_record(
        task, end.outcome, end.answer, calls, end.error, end.steps,
        end.totals.generated_tokens, end.wall_seconds,
    )  # fmt: skip
    record.update(passed=verdict.passed, failures=list(verdict.failures))
    record["repeated_calls"] = repeated_calls(calls)
    if end.answer is not None:
        grounding = check_answer(end.answer, [*observed, task.query])
        record["grounded"] = grounding.ok
        record["ungrounded"] = [fact.text for fact in grounding.ungrounded]
    record["events"] = events
    return record


def _suite_record(
    task: SuiteTask,
    outcome: str,
    answer: str | None,
    calls: list[Any],
    error: str | None,
    steps: int,
    tokens: int,
    seconds: float,
) -> dict[str, Any]:
    return {
        "id": task.id,
        "passed": False,
        "failures": [error or outcome],
        "outcome": outcome,
        "answer": answer,
        "steps": steps,
        "calls": len(calls),
        "repeated_calls": 0,
        "call_list": [
            {"api": call.api, "arguments": dict(call.arguments), "ok": call.ok} for call in calls
        ],
        "tokens": tokens,
        "seconds": round(seconds, 3),
        "error": error,
        "grounded": None,  # None: no answer to check
        "ungrounded": [],
    }


def _suite_table(records: list[dict[str, Any]]) -> Table:
    table = Table(title="Task suite", title_justify="left")
    for column in ("task", "result", "outcome", "steps", "calls", "seconds", "why not"):
        numeric = column in ("steps", "calls", "seconds")
        table.add_column(column, justify="right" if numeric else "left")
    for record in records:
        table.add_row(
            record["id"],
            "[green]pass[/green]" if record["passed"] else "[red]FAIL[/red]",
            record["outcome"],
            str(record["steps"]),
            str(record["calls"]),
            f"{record['seconds']:.1f}",
            "; ".join(record["failures"]) if not record["passed"] else "",
        )
    return table


def _totals_table(report: dict[str, Any]) -> Table:
    totals = report["totals"]
    table = Table(title="Totals", title_justify="left", show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("passed", f"{totals['passed']} / {totals['tasks']} ({totals['pass_rate']}%)")
    table.add_row("answered / gave up / failed",
                  f"{totals['answered']} / {totals['gave_up']} / {totals['failed']}")  # fmt: skip
    table.add_row("mean steps", str(totals["mean_steps"]))
    table.add_row("mean calls", str(totals["mean_calls"]))
    table.add_row("repeated calls", str(totals["repeated_calls"]))
    grounded = totals["grounded_rate"]
    table.add_row("grounded answers", "–" if grounded is None else f"{grounded}%")
    table.add_row("median calls", str(totals["median_calls"]))
    table.add_row("mean seconds", str(totals["mean_seconds"]))
    return table
