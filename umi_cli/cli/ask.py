"""`umi ask "question"`: a plain question, no tools: the profile's model answers, or a mixture.

With ``--mode moa`` (or a profile whose mode is moa) N proposers answer at once, later layers
refine with every earlier answer in view, and the aggregator's answer streams; ``--json`` gives
each proposal and the answer as events.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from umi_cli.agent.options import DEFAULT_PROFILE, RunOptions
from umi_cli.cli import common
from umi_cli.cli.moa_flags import (
    AggregatorMaxTokensOption,
    AggregatorOption,
    LayersOption,
    ProposalsOption,
    ProposerMaxTokensOption,
    ProposerOption,
    ProposerTemperatureOption,
    moa_mapping,
)

AskModeOption = Annotated[
    str | None,
    typer.Option(
        "--mode",
        help="moa: a mixture of proposals, aggregated; default: the profile's model alone (or "
        "a mixture when the profile's mode is moa).",
    ),
]
MaxTokensOption = Annotated[
    int | None, typer.Option("--max-tokens", help="Tokens of the answer (default: the model's).")
]


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("ask")(ask)


def ask(
    question: Annotated[
        str,
        typer.Argument(metavar="QUESTION", help="The question; `-` reads it from standard input."),
    ],
    profile: common.ProfileOption = DEFAULT_PROFILE,
    mode: AskModeOption = None,
    proposer: ProposerOption = None,
    proposals: ProposalsOption = None,
    aggregator: AggregatorOption = None,
    layers: LayersOption = None,
    proposer_temperature: ProposerTemperatureOption = None,
    proposer_max_tokens: ProposerMaxTokensOption = None,
    aggregator_max_tokens: AggregatorMaxTokensOption = None,
    temperature: common.TemperatureOption = None,
    seed: common.SeedOption = None,
    max_tokens: MaxTokensOption = None,
    n_gpu_layers: common.GpuLayersOption = None,
    json_lines: Annotated[
        bool,
        typer.Option("--json", help="JSON Lines events (each proposal, the answer) on stdout."),
    ] = False,
    stream_tokens: Annotated[
        bool, typer.Option("--stream-tokens", help="With --json: include token events.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the answer.")] = False,
    no_log: common.NoLogOption = False,
) -> None:
    """Answer a question without tools: the profile's model, or a Mixture-of-Agents.

    Exit codes: 0 answered, 1 failed, 2 usage, 130 interrupted.
    """
    from umi_cli.cli.one_task import check_output_flags, drive, exit_after, opened, task_view
    from umi_cli.compose import open_question_agent
    from umi_cli.engine import BackendPool, PoolSettings
    from umi_cli.runlog.writer import RunSetting, run_loggers
    from umi_cli.ui.consumers import Fanout, RunTally

    check_output_flags(json_lines, quiet, stream_tokens)
    text = common.read_task(question, "QUESTION")
    moa = moa_mapping(
        {
            "proposer": proposer,
            "proposals": proposals,
            "aggregator": aggregator,
            "layers": layers,
            "proposer_temperature": proposer_temperature,
            "proposer_max_tokens": proposer_max_tokens,
            "aggregator_max_tokens": aggregator_max_tokens,
        }
    )
    asked = RunOptions(profile=profile, mode=mode, tools=(), moa=moa, n_gpu_layers=n_gpu_layers)
    options = common.checked(asked.with_(temperature=temperature, seed=seed, max_tokens=max_tokens))
    human = not (json_lines or quiet)
    errors = Console(stderr=True)
    log_for = run_loggers(no_log=no_log, command="ask")
    with BackendPool(PoolSettings(n_gpu_layers=n_gpu_layers)) as pool:
        agent = opened(lambda: open_question_agent(options, pool), options.profile, human, errors)
        with agent:
            log = log_for(lambda: RunSetting.of_agent(agent))
            view = task_view(json_lines, quiet, stream_tokens)
            result = drive(agent, text, Fanout(view, RunTally(), log), errors)
    exit_after(result, errors)
