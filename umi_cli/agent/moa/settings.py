"""How a mixture is set up: who proposes, how many, in how many layers, who aggregates.

One record for flags and profiles: :meth:`MoaSettings.from_mapping` validates by field name, so
the CLI names the flag and a profile its field. Proposers are catalog model ids; none given is
Self-MoA (each role's own model sampled ``proposals`` times with different seeds at the proposer
temperature: the right default when one local model is all there is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from umi_cli.agent.options import OptionError

#: What the caller does with its proposals (``agree``: a call most proposals agree on is taken,
#: otherwise the aggregator writes it; ``aggregate``: the aggregator always writes it;
#: ``single``: the caller alone, no proposals).
CALLER_RULES = ("agree", "aggregate", "single")
#: Proposals per layer when neither proposers nor a count are given.
DEFAULT_PROPOSALS = 3
#: The most proposals a layer may have.
MAX_PROPOSALS = 16


@dataclass(frozen=True)
class MoaSettings:
    """``layers`` counts the aggregator's: 2 is MoA-Lite (proposers, then the aggregator), 1 the
    aggregator alone. ``aggregator_max_tokens`` None: the aggregator model's own default."""

    proposers: tuple[str, ...] = ()
    proposals: int | None = None
    aggregator: str | None = None
    layers: int = 2
    proposer_temperature: float = 0.7
    proposer_max_tokens: int = 512
    aggregator_max_tokens: int | None = None
    caller_rule: str = "agree"

    @property
    def count(self) -> int:
        """Proposals per layer."""
        if self.proposals is not None:
            return self.proposals
        return len(self.proposers) or DEFAULT_PROPOSALS

    def proposer_models(self) -> list[str | None]:
        """The model of each proposal (None: the role's own model); listed proposers repeat in
        turn to make up the count."""
        if not self.proposers:
            return [None] * self.count
        return [self.proposers[i % len(self.proposers)] for i in range(self.count)]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> MoaSettings:
        """Settings from ``data`` (field name → value); a bad value is an :class:`OptionError`
        naming the field."""
        known = {f.name for f in fields(cls)}
        for name in data:
            if name not in known:
                raise OptionError(name, f"is not a MoA setting (settings: {', '.join(known)})")
        values = dict(data)
        if "proposers" in values:
            values["proposers"] = _model_ids(values["proposers"])
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> MoaSettings:
        """Raise :class:`OptionError` for the first value out of range; return self."""
        if self.proposals is not None and not 1 <= _int(self.proposals, "proposals") <= (
            MAX_PROPOSALS
        ):
            raise OptionError(
                "proposals", f"must be from 1 to {MAX_PROPOSALS}, got {self.proposals}"
            )
        if _int(self.layers, "layers") < 1:
            raise OptionError("layers", f"must be at least 1, got {self.layers}")
        if len(self.proposers) > MAX_PROPOSALS:
            raise OptionError("proposers", f"at most {MAX_PROPOSALS}, got {len(self.proposers)}")
        temperature = self.proposer_temperature
        if isinstance(temperature, bool) or not isinstance(temperature, int | float):
            raise OptionError("proposer_temperature", f"must be a number, got {temperature!r}")
        if temperature < 0:
            raise OptionError("proposer_temperature", f"must be 0 or more, got {temperature}")
        if _int(self.proposer_max_tokens, "proposer_max_tokens") < 16:
            raise OptionError(
                "proposer_max_tokens", f"must be at least 16, got {self.proposer_max_tokens}"
            )
        limit = self.aggregator_max_tokens
        if limit is not None and _int(limit, "aggregator_max_tokens") < 16:
            raise OptionError("aggregator_max_tokens", f"must be at least 16, got {limit}")
        if self.aggregator is not None and (
            not isinstance(self.aggregator, str) or not self.aggregator.strip()
        ):
            raise OptionError("aggregator", f"must be a catalog model id, got {self.aggregator!r}")
        if self.caller_rule not in CALLER_RULES:
            raise OptionError(
                "caller_rule",
                f"{self.caller_rule}: unknown; choose from {', '.join(CALLER_RULES)}",
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["proposers"] = list(self.proposers)
        return data


def _int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OptionError(name, f"must be a whole number, got {value!r}")
    return value


def _model_ids(value: object) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(
        isinstance(item, str) and item.strip() for item in items
    ):
        raise OptionError("proposers", f"must be catalog model ids, got {value!r}")
    return tuple(item.strip() for item in items)
