"""The composition root: options → profile → backends → roles → mode → toolbox → agent.

`run`, `chat`, `batch`, `eval` and the benchmarks build agents and roles here and nowhere else,
over one :class:`~umi_cli.engine.pool.BackendPool` per process (so a model is opened once however
many agents use it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from umi_cli import paths
from umi_cli.agent.agent import Agent
from umi_cli.agent.dialects import dialect_for
from umi_cli.agent.judge import Judge, JudgeSettings, can_judge
from umi_cli.agent.modes import MODES, ModeSpec
from umi_cli.agent.modes.base import Member, Mode
from umi_cli.agent.options import RunOptions
from umi_cli.agent.role_base import Decoding, Role
from umi_cli.agent.roles import Planner, role_classes
from umi_cli.engine.pool import BackendPool
from umi_cli.errors import ConfigError, UsageError
from umi_cli.models import (
    Catalog,
    FileRef,
    ModelEntry,
    ModelRef,
    ModelStore,
    load_catalog,
    resolve_profile,
)
from umi_cli.models.entry import Profile
from umi_cli.tools.toolbox import Toolbox

#: The longest context umi gives a role by default (the α-UMi runner's).
DEFAULT_CONTEXT = 4096


def mode_spec(options: RunOptions, profile: Profile) -> ModeSpec:
    """The mode of a run: ``--mode``, else the profile's ``mode:``, else what its roles imply."""
    name = options.mode or profile.mode
    if name is None:
        trio = MODES["alpha-umi"].roles
        name = "alpha-umi" if all(role in profile.roles for role in trio) else "backbone"
    if name not in MODES:
        where = "--mode" if options.mode else f"{profile.where()}: profile '{profile.id}': mode"
        raise UsageError(f"{where} '{name}' is not a mode (modes: {', '.join(MODES)})")
    return MODES[name]


def open_roles(
    options: RunOptions, pool: BackendPool, role_names: Sequence[str] | None = None
) -> dict[str, Role]:
    """The roles of the run's mode (or ``role_names``), on backends from ``pool``."""
    catalog = load_catalog()
    profile = catalog.profile(options.profile)
    spec = mode_spec(options, profile)
    wanted = list(role_names or spec.roles)
    resolved = resolve_profile(options.profile, download=False, catalog=catalog)
    played: dict[str, tuple[ModelEntry, ModelRef]] = {}
    for role in wanted:
        source = next(
            (r for r in (role, *spec.fallbacks.get(role, ())) if r in resolved), None
        )
        if source is None:
            missing = ", ".join(r for r in wanted if r not in resolved)
            raise ConfigError(
                f"{profile.where()}: profile '{profile.id}' has no model for {missing}; the "
                f"{spec.name} mode needs {', '.join(spec.roles)} (see `umi models profiles`)"
            )
        played[role] = resolved[source]
    members = [m for m in (spec.members(options) if spec.members else ()) if m.role in played]
    member_models = {m.key: _member_model(m, played[m.role], catalog) for m in members}
    contexts: dict[str, int] = {}
    for entry, ref in [*played.values(), *member_models.values()]:
        contexts[ref.key] = max(contexts.get(ref.key, 0), _context(entry, options))
    roles: dict[str, Role] = {}
    for role, (entry, ref) in played.items():
        roles[role] = role_classes()[role](
            pool.open(ref, contexts[ref.key]),
            dialect_for(
                entry.prompt_format, system_prefix=entry.system_prefix, style=options.prompt_style
            ),
            decoding=_decoding(entry, options),
            context=contexts[ref.key],
        )
    planner = roles.get("planner")
    thresholds = played["planner"][0].judge if "planner" in played else None
    if (
        options.judge
        and thresholds is not None
        and isinstance(planner, Planner)
        and can_judge(planner.backend)
    ):
        planner.judge = Judge(planner.backend, JudgeSettings(**thresholds), budget=planner.budget)
    for member in members:  # a mode's extra players (MoA's proposers and aggregators)
        entry, ref = member_models[member.key]
        roles[member.key] = role_classes()[member.role](
            pool.open(ref, contexts[ref.key]),
            dialect_for(
                entry.prompt_format, system_prefix=entry.system_prefix, style=options.prompt_style
            ),
            decoding=replace(_decoding(entry, options), **member.decoding),
            context=contexts[ref.key],
        )
    return roles


def _member_model(
    member: Member, played: tuple[ModelEntry, ModelRef], catalog: Catalog
) -> tuple[ModelEntry, ModelRef]:
    """The model of a mode's member: a catalog model, or the one playing its role."""
    if member.model is None:
        return played
    entry = catalog.model(member.model)
    if entry.endpoint is not None:
        return entry, entry.endpoint
    return entry, FileRef(ModelStore().ensure(entry, download=False))


def open_mode(options: RunOptions, pool: BackendPool) -> Mode:
    """The run's mode with its roles."""
    spec = mode_spec(options, load_catalog().profile(options.profile))
    if options.moa and spec.members is None:
        raise UsageError(
            f"the MoA flags (--proposer, --proposals, --layers ...) apply to --mode moa, not to "
            f"the {spec.name} mode"
        )
    return spec.build(open_roles(options, pool), options)


def open_toolbox(options: RunOptions) -> Toolbox:
    """The run's tools; an empty selection is a ConfigError naming where specs go."""
    tools = list(options.tools) if options.tools is not None else None
    toolbox = Toolbox.load(tools, base_urls=options.base_urls or None)
    if not toolbox.names():
        toolbox.close()
        raise ConfigError(
            f"no tools selected; put a spec in {paths.user_tool_specs_dir()} or pass "
            "--tools FILE.yaml (see `umi tools list`)"
        )
    return toolbox


def open_agent(options: RunOptions, pool: BackendPool) -> Agent:
    """An agent for ``options``: tools loaded, models opened once through ``pool``.

    ``tools=()`` (``--no-tools``) gives a mode that answers without tools an empty toolbox.
    """
    options.check()
    toolbox = open_toolbox(options) if options.tools != () else Toolbox([])
    try:
        mode = open_mode(options, pool)
        if not toolbox.names() and not getattr(mode, "answers_without_tools", False):
            raise UsageError(
                f"--no-tools: the {mode.name} mode needs tools; use --mode moa to answer "
                "without them"
            )
    except BaseException:
        toolbox.close()
        raise
    return Agent(mode=mode, toolbox=toolbox, options=options, profile=options.profile)


def open_question_agent(options: RunOptions, pool: BackendPool) -> Agent:
    """An agent that answers questions without tools (``umi ask``): by a mixture when the run's
    mode (``--mode``, else the profile's) is ``moa``, else by the profile's model alone."""
    options.check()
    profile = load_catalog().profile(options.profile)
    if options.mode not in (None, "moa"):
        raise UsageError(
            f"--mode {options.mode}: a question is answered by the profile's model, or by a "
            "mixture with --mode moa"
        )
    mixture = (options.mode or profile.mode) == "moa"
    if options.moa and not mixture:
        raise UsageError("the MoA flags (--proposer, --proposals, --layers ...) need --mode moa")
    asked = options.with_(mode="moa", moa=options.moa if mixture else {"layers": 1})
    spec = MODES["moa"]
    mode = spec.build(open_roles(asked, pool, ("summarizer",)), asked)
    return Agent(mode=mode, toolbox=Toolbox([]), options=options, profile=options.profile)


def _decoding(entry: ModelEntry, options: RunOptions) -> Decoding:
    defaults = entry.defaults
    return Decoding(
        max_tokens=options.max_tokens or defaults.max_tokens,
        temperature=defaults.temperature if options.temperature is None else options.temperature,
        top_p=defaults.top_p if options.top_p is None else options.top_p,
        seed=options.seed,
        constrain=options.constrain,
    )


def _context(entry: ModelEntry, options: RunOptions) -> int:
    return options.context or min(entry.context_length, DEFAULT_CONTEXT)
