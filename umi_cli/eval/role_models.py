"""The roles a profile names, loaded for evaluation (one Engine; each GGUF file loaded once)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from umi_cli.agent.role_base import Decoding, Role
from umi_cli.agent.roles import Backbone, Caller, Planner, Summarizer
from umi_cli.agent.session import DEFAULT_CONTEXT
from umi_cli.errors import UsageError

Mode = Literal["multi", "single"]


@dataclass(frozen=True)
class RoleSettings:
    """What the evaluation flags decide about every role."""

    constrain: bool = True
    prompt_style: str = "readable"
    temperature: float | None = None  # None: the model's catalog default
    seed: int = 0
    max_tokens: int | None = None  # None: the model's catalog default


@dataclass
class LoadedRoles:
    """The role objects of one profile; ``models`` maps role -> catalog model id."""

    profile: str
    planner: Planner | None = None
    caller: Caller | None = None
    summarizer: Summarizer | None = None
    backbone: Backbone | None = None
    models: dict[str, str] = field(default_factory=dict)
    loaded: dict[str, Any] = field(default_factory=dict)  # role -> LoadedModel

    def describe(self) -> str:
        return ", ".join(f"{role}={model}" for role, model in self.models.items())


ROLE_CLASSES: dict[str, type[Role]] = {
    "planner": Planner,
    "caller": Caller,
    "summarizer": Summarizer,
    "backbone": Backbone,
}


def load_roles(
    profile: str,
    *,
    mode: Mode,
    settings: RoleSettings,
    n_gpu_layers: int | None = None,
) -> LoadedRoles:
    """Resolve ``profile`` and load its models; ``single`` mode loads only the backbone.

    Contexts are sized as the agent sizes them (the catalog's context length, at most 4096, the
    α-UMi runner's), so evaluation scores what `umi run` does.

    In ``single`` mode the backbone is the profile's ``backbone`` model, or its planner model
    when the profile names none (the same weights playing all roles with the BACKBONE prompt).
    """
    from umi_cli.engine import Engine
    from umi_cli.models import resolve_profile

    resolved = resolve_profile(profile, download=False)
    if mode == "single":
        source_role = "backbone" if "backbone" in resolved else "planner"
        if source_role not in resolved:
            raise UsageError(f"--profile {profile}: names no planner or backbone model")
        wanted = {"backbone": resolved[source_role]}
    else:
        missing = [r for r in ("planner", "caller", "summarizer") if r not in resolved]
        if missing:
            raise UsageError(
                f"--profile {profile}: has no {', '.join(missing)} model; "
                "use --mode single or a profile with all three roles"
            )
        wanted = {r: resolved[r] for r in ("planner", "caller", "summarizer")}
    engine = Engine(n_gpu_layers=n_gpu_layers)
    roles = LoadedRoles(profile=profile)
    contexts: dict[Any, int] = {}
    for entry, path in wanted.values():  # one context size per file, as the agent loads it
        contexts[path] = max(contexts.get(path, 0), min(entry.context_length, DEFAULT_CONTEXT))
    for role, (entry, path) in wanted.items():
        model = engine.load(path, n_ctx=contexts[path])
        decoding = Decoding(
            max_tokens=settings.max_tokens or entry.defaults.max_tokens,
            temperature=(
                entry.defaults.temperature if settings.temperature is None else settings.temperature
            ),
            top_p=entry.defaults.top_p,
            seed=settings.seed,
            constrain=settings.constrain,
        )
        role_object = ROLE_CLASSES[role](
            model,
            entry.prompt_format,
            decoding=decoding,
            context=contexts[path],
            system_prefix=entry.system_prefix,
            prompt_style=settings.prompt_style,
        )
        setattr(roles, role, role_object)
        roles.models[role] = entry.id
        roles.loaded[role] = model
    return roles
