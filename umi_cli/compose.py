"""The composition root: options → profile → backends → roles → mode → toolbox → agent.

`run`, `chat`, `batch`, `eval` and the benchmarks build agents and roles here and nowhere else,
over one :class:`~umi_cli.engine.pool.BackendPool` per process (so a model is opened once however
many agents use it).
"""

from __future__ import annotations

from collections.abc import Sequence

from umi_cli import paths
from umi_cli.agent.agent import Agent
from umi_cli.agent.dialects import dialect_for
from umi_cli.agent.modes import MODES, ModeSpec
from umi_cli.agent.modes.base import Mode
from umi_cli.agent.options import RunOptions
from umi_cli.agent.role_base import Decoding, Role
from umi_cli.agent.roles import role_classes
from umi_cli.engine.pool import BackendPool
from umi_cli.errors import ConfigError, UsageError
from umi_cli.models import ModelEntry, ModelRef, load_catalog, resolve_profile
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
    contexts: dict[str, int] = {}
    for entry, ref in played.values():
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
    return roles


def open_mode(options: RunOptions, pool: BackendPool) -> Mode:
    """The run's mode with its roles."""
    spec = mode_spec(options, load_catalog().profile(options.profile))
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
    """An agent for ``options``: tools loaded, models opened once through ``pool``."""
    options.check()
    toolbox = open_toolbox(options)
    try:
        mode = open_mode(options, pool)
    except BaseException:
        toolbox.close()
        raise
    return Agent(mode=mode, toolbox=toolbox, options=options, profile=options.profile)


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
