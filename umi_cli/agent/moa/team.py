"""Who plays what in a mixture: the members a run's settings ask for, and the teams read back.

For each role MoA applies to, the composition root opens the proposers (``planner.proposer.0``
...) and the aggregator (``planner.aggregator``) as the moa mode's members, next to the profile's
own roles; :meth:`MoaTeam.from_roles` finds them again in the roles mapping the mode is built
with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from umi_cli.agent.moa.layers import Proposer
from umi_cli.agent.moa.prompt import ReferencedDialect
from umi_cli.agent.moa.settings import MoaSettings
from umi_cli.agent.options import OptionError, RunOptions
from umi_cli.agent.role_base import Role
from umi_cli.errors import ConfigError

#: The roles a mixture plays in the tool agent (the question form uses the summarizer's).
MOA_ROLES = ("planner", "caller", "summarizer")


def profile_settings(profile: object) -> dict[str, Any]:
    """The MoA settings a catalog profile gives (``proposers``, ``layers``...), as a mapping."""
    found = getattr(profile, "moa", None)
    return dict(found) if isinstance(found, Mapping) else {}


def settings_of(options: RunOptions) -> MoaSettings:
    """The run's MoA settings: its profile's, with the run's own (flags) over them."""
    from umi_cli.models import load_catalog

    profile = load_catalog().profile(options.profile)
    base = profile_settings(profile)
    try:
        MoaSettings.from_mapping(base)
    except OptionError as exc:
        raise ConfigError(
            f"{profile.where()}: profile '{profile.id}': field '{exc.field}': {exc.problem}"
        ) from None
    return MoaSettings.from_mapping({**base, **options.moa})


def seed_of(options: RunOptions, index: int) -> int | None:
    """Proposal ``index``'s seed: ``--seed`` plus the index (None: each its own random seed)."""
    return None if options.seed is None else options.seed + index


@dataclass(frozen=True)
class RoleTeam:
    """One role's mixture: the profile's own player, the proposers, the aggregator."""

    base: Role
    proposers: tuple[Proposer, ...]
    aggregator: Role

    def aggregating(self, references: Sequence[str]) -> Role:
        """The aggregator with ``references`` in its prompts, in a slot of its own (its prompt
        changes every call; the proposers' slot keeps theirs)."""
        role = self.aggregator
        dialect = ReferencedDialect(role.dialect, tuple(references)) if references else role.dialect
        copy = type(role)(role.backend, dialect, decoding=role.decoding, context=role.context)
        copy.name = f"{role.name}-aggregator"
        return copy


@dataclass(frozen=True)
class MoaTeam:
    """The teams of the roles present in a roles mapping, and the settings they run with."""

    settings: MoaSettings
    teams: Mapping[str, RoleTeam]

    @classmethod
    def from_roles(cls, roles: Mapping[str, Role], settings: MoaSettings) -> MoaTeam:
        teams = {}
        for role in MOA_ROLES:
            base = roles.get(role)
            if base is None:
                continue
            proposers = []
            index = 0
            while f"{role}.proposer.{index}" in roles:
                proposers.append(Proposer(index, roles[f"{role}.proposer.{index}"]))
                index += 1
            aggregator = roles.get(f"{role}.aggregator", base)
            teams[role] = RoleTeam(base, tuple(proposers), aggregator)
        return cls(settings, teams)

    def __getitem__(self, role: str) -> RoleTeam:
        try:
            return self.teams[role]
        except KeyError:
            known = ", ".join(self.teams)
            raise ConfigError(f"the moa mode has no {role} (roles: {known})") from None
