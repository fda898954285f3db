"""CMAT fixtures: tiny role models (written once), profiles in the user catalog, specs."""

from __future__ import annotations

from pathlib import Path

import pytest
from cmat_support import ACCEPTING, CALLER, REJECTING, SUMMARIZER, model_entry, write_catalog
from support.catalogs import tiny_model_maker

#: Profile -> (planner, caller, summarizer) preferences; the checker falls back to the planner.
PROFILES = {
    "tiny-cmat": (ACCEPTING, CALLER, SUMMARIZER),
    "tiny-cmat-strict": (REJECTING, CALLER, SUMMARIZER),
}


@pytest.fixture(scope="session")
def cmat_models(tmp_path_factory: pytest.TempPathFactory):
    """``make(prefer) -> Path``: tiny GGUFs written once per preference set."""
    return tiny_model_maker(tmp_path_factory.mktemp("cmat_models"))


@pytest.fixture
def cmat_profiles(umi_home: Path, cmat_models) -> dict[str, str]:
    """Profiles ``tiny-cmat`` (the checker accepts) and ``tiny-cmat-strict`` (it rejects),
    α-UMi format, plus ``tiny-cmat-chat`` (the accepting one in chat format)."""
    models: dict[str, dict] = {}
    profiles: dict[str, dict] = {}
    budgets = {"planner": 40, "caller": 96, "summarizer": 16}
    for profile, trio in PROFILES.items():
        roles = {}
        for role, prefer in zip(("planner", "caller", "summarizer"), trio, strict=True):
            model_id = f"{profile}-{role}"
            models[model_id] = model_entry(cmat_models(prefer), "alpha-umi", budgets[role])
            roles[role] = model_id
        profiles[profile] = {"roles": roles}
    chat_roles = {}
    for role, prefer in zip(
        ("planner", "caller", "summarizer"), PROFILES["tiny-cmat"], strict=True
    ):
        model_id = f"tiny-cmat-chat-{role}"
        models[model_id] = model_entry(cmat_models(prefer), "chat", budgets[role])
        chat_roles[role] = model_id
    profiles["tiny-cmat-chat"] = {"roles": chat_roles}
    write_catalog(umi_home, models, profiles)
    return {name: name for name in profiles}
