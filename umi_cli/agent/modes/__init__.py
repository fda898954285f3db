"""The Mode seam: how a run's roles cooperate, one module per mode, registered here.

A mode names the roles a profile must give it and runs a task over a
:class:`~umi_cli.agent.context.RunContext`, yielding events. ``alpha-umi`` (planner → caller →
summarizer), ``backbone`` (one model plays every role) and ``native`` (the model's own
chat-template tool calling) are the built-in ones.
"""

from __future__ import annotations

from umi_cli.agent.modes import alpha_umi, backbone, cmat, moa, native
from umi_cli.agent.modes.base import Mode, ModeSpec

#: Every mode by name: the one place a new mode is added.
MODES: dict[str, ModeSpec] = {
    spec.name: spec for spec in (alpha_umi.SPEC, backbone.SPEC, native.SPEC, cmat.SPEC, moa.SPEC)
}

__all__ = ["MODES", "Mode", "ModeSpec"]
