"""Models: the ``models.yaml`` catalog, profiles, and the local store that fetches and verifies.

The entry points other packages use: :func:`load_catalog`, :class:`ModelStore`,
:func:`resolve_profile`.
"""

from __future__ import annotations

from pathlib import Path

from umi_cli.models.catalog import Catalog, load_catalog, register_local_model
from umi_cli.models.entry import GenerationDefaults, ModelEntry, Profile
from umi_cli.models.progress import TransferProgress
from umi_cli.models.store import ModelStore

__all__ = [
    "Catalog",
    "GenerationDefaults",
    "ModelEntry",
    "ModelStore",
    "Profile",
    "TransferProgress",
    "load_catalog",
    "register_local_model",
    "resolve_profile",
]


def resolve_profile(
    name: str,
    *,
    download: bool = False,
    progress: TransferProgress | None = None,
    catalog: Catalog | None = None,
    store: ModelStore | None = None,
) -> dict[str, tuple[ModelEntry, Path]]:
    """Role → (model entry, local file) for profile ``name``; each distinct model fetched once.

    Installed packages are assembled on the way; hub downloads happen only with ``download``
    (otherwise a missing model is a UmiError telling the user to run ``umi models pull``).
    """
    catalog = catalog or load_catalog()
    store = store or ModelStore()
    profile = catalog.profile(name)
    files: dict[str, Path] = {}
    resolved: dict[str, tuple[ModelEntry, Path]] = {}
    for role, model_id in profile.roles.items():
        entry = catalog.model(model_id)
        if model_id not in files:
            files[model_id] = store.ensure(entry, download=download, progress=progress)
        resolved[role] = (entry, files[model_id])
    return resolved
