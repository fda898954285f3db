"""The Mixture-of-Agents flags, declared once for `run`, `chat`, `batch` and `ask`.

Only the flags given become settings (:class:`~umi_cli.agent.moa.settings.MoaSettings` fields),
over the profile's; a bad value is one line naming the flag.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from umi_cli.agent.moa.settings import MoaSettings
from umi_cli.agent.options import OptionError
from umi_cli.errors import UsageError

ProposerOption = Annotated[
    list[str] | None,
    typer.Option(
        "--proposer",
        help="moa: a catalog model that proposes; repeat for several (default: each role's own "
        "model sampled --proposals times with different seeds, Self-MoA).",
    ),
]
ProposalsOption = Annotated[
    int | None,
    typer.Option(
        "--proposals", help="moa: proposals per layer (default: one per --proposer, or 3)."
    ),
]
AggregatorOption = Annotated[
    str | None,
    typer.Option(
        "--aggregator", help="moa: the catalog model that aggregates (default: the role's)."
    ),
]
LayersOption = Annotated[
    int | None,
    typer.Option("--layers", help="moa: layers, the aggregator's included (default 2, MoA-Lite)."),
]
ProposerTemperatureOption = Annotated[
    float | None,
    typer.Option("--proposer-temperature", help="moa: the proposers' temperature (default 0.7)."),
]
ProposerMaxTokensOption = Annotated[
    int | None,
    typer.Option("--proposer-max-tokens", help="moa: tokens per proposal (default 512)."),
]
AggregatorMaxTokensOption = Annotated[
    int | None,
    typer.Option(
        "--aggregator-max-tokens", help="moa: the aggregator's tokens (default: the model's)."
    ),
]
MoaCallerOption = Annotated[
    str | None,
    typer.Option(
        "--moa-caller",
        help="moa: agree (a call most proposals agree on is made, else aggregated; default), "
        "aggregate (always aggregated) or single (the caller alone).",
    ),
]

#: (parameter, annotation, default) of each flag, for commands that splice them in.
MOA_FLAGS: tuple[tuple[str, Any, Any], ...] = (
    ("proposer", ProposerOption, None),
    ("proposals", ProposalsOption, None),
    ("aggregator", AggregatorOption, None),
    ("layers", LayersOption, None),
    ("proposer_temperature", ProposerTemperatureOption, None),
    ("proposer_max_tokens", ProposerMaxTokensOption, None),
    ("aggregator_max_tokens", AggregatorMaxTokensOption, None),
    ("moa_caller", MoaCallerOption, None),
)
#: Settings field -> its flag.
MOA_FLAG_OF_FIELD = {
    "proposers": "--proposer",
    "proposals": "--proposals",
    "aggregator": "--aggregator",
    "layers": "--layers",
    "proposer_temperature": "--proposer-temperature",
    "proposer_max_tokens": "--proposer-max-tokens",
    "aggregator_max_tokens": "--aggregator-max-tokens",
    "caller_rule": "--moa-caller",
}
#: Flag parameter -> settings field (where the names differ).
_FIELD_OF_PARAMETER = {"proposer": "proposers", "moa_caller": "caller_rule"}


def moa_mapping(values: Mapping[str, Any]) -> dict[str, Any]:
    """The settings the MoA flags in ``values`` (parameter -> value; None: not given) set,
    checked: a bad value or an unknown model is a UsageError naming the flag."""
    given = {
        _FIELD_OF_PARAMETER.get(name, name): value
        for name, value in values.items()
        if value is not None and value != []
    }
    if not given:
        return {}
    try:
        MoaSettings.from_mapping(given)
    except OptionError as exc:
        raise UsageError(f"{MOA_FLAG_OF_FIELD.get(exc.field, exc.field)} {exc.problem}") from None
    models = [*given.get("proposers", ()), *filter(None, [given.get("aggregator")])]
    if models:
        from umi_cli.models import load_catalog

        known = load_catalog().models
        for model in models:
            if model not in known:
                flag = "--aggregator" if model == given.get("aggregator") else "--proposer"
                raise UsageError(
                    f"{flag} {model}: not a model of the catalog (see `umi models list`)"
                )
    return given
