"""The rows of `umi models list` and `umi doctor`: each model, its profiles, where it is."""

from __future__ import annotations

from typing import Any

from umi_cli.models.catalog import Catalog
from umi_cli.models.store import ModelStore


def model_rows(catalog: Catalog, store: ModelStore) -> list[dict[str, Any]]:
    """One dict per catalog model; presence is checked without hashing or writing anything."""
    rows = []
    for entry in catalog.models.values():
        presence = store.presence(entry)
        row: dict[str, Any] = {
            "id": entry.id,
            "profiles": catalog.profiles_using(entry.id),
            "format": entry.prompt_format,
            "size": entry.size,
            "state": presence.state,
            "path": str(presence.path) if presence.path else None,
            "where": presence.where,
            "description": entry.description,
        }
        if entry.endpoint is not None:
            row["endpoint"] = entry.endpoint.to_dict()
        rows.append(row)
    return rows
