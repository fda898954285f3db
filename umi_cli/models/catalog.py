"""The model catalog: the built-in ``models.yaml`` plus the user's file, which wins by id."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from umi_cli import paths
from umi_cli.errors import ConfigError, UsageError
from umi_cli.models.catalog_schema import ParsedCatalog, parse_catalog
from umi_cli.models.entry import ModelEntry, Profile

DEFAULT_PROFILE = "pocket"


@dataclass
class Catalog:
    """Models and profiles by id, with the files they came from."""

    models: dict[str, ModelEntry] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)
    default_profile: str = DEFAULT_PROFILE
    files: list[Path] = field(default_factory=list)

    def model(self, model_id: str) -> ModelEntry:
        """The model ``model_id``; an unknown id is a UsageError listing the known ones."""
        try:
            return self.models[model_id]
        except KeyError:
            known = ", ".join(sorted(self.models)) or "none"
            raise UsageError(f"unknown model '{model_id}' (known models: {known})") from None

    def profile(self, profile_id: str) -> Profile:
        """The profile ``profile_id``; an unknown id is a UsageError listing the known ones."""
        try:
            return self.profiles[profile_id]
        except KeyError:
            known = ", ".join(sorted(self.profiles)) or "none"
            raise UsageError(f"unknown profile '{profile_id}' (known profiles: {known})") from None

    def profiles_using(self, model_id: str) -> list[str]:
        """Profiles running ``model_id``: ``pocket`` for every role, else ``name:role``."""
        labels = []
        for profile in self.profiles.values():
            roles = [role for role, target in profile.roles.items() if target == model_id]
            if roles and len(roles) == len(profile.roles):
                labels.append(profile.id)
            else:
                labels.extend(f"{profile.id}:{role}" for role in roles)
        return labels


def read_catalog_file(file: Path) -> ParsedCatalog:
    """Parse and validate one catalog file (ConfigError naming the file on any problem)."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the catalog ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{file}: not UTF-8 text (byte {exc.start}); save the catalog as UTF-8"
        ) from None
    return parse_catalog(text, file)


def load_catalog(builtin: Path | None = None, user: Path | None = None) -> Catalog:
    """The built-in catalog with the user's catalog (if it exists) layered on top."""
    builtin = builtin or paths.builtin_catalog_file()
    user = user or paths.user_catalog_file()
    layers = [read_catalog_file(builtin)]
    if user.is_file():
        layers.append(read_catalog_file(user))
    catalog = Catalog()
    for layer in layers:
        catalog.models.update(layer.models)
        catalog.profiles.update(layer.profiles)
        if layer.default_profile:
            catalog.default_profile = layer.default_profile
        catalog.files.append(layer.file)
    _check_references(catalog, layers)
    return catalog


def _check_references(catalog: Catalog, layers: list[ParsedCatalog]) -> None:
    for layer in layers:
        for profile_id, profile in layer.profiles.items():
            if catalog.profiles.get(profile_id) is not profile:
                continue  # overridden by a later layer
            for role, model_id in profile.roles.items():
                if model_id not in catalog.models:
                    line = layer.role_lines.get((profile_id, role))
                    where = f"{layer.file}:{line}" if line else str(layer.file)
                    known = ", ".join(sorted(catalog.models))
                    raise ConfigError(
                        f"{where}: profile '{profile_id}': role '{role}' names unknown model "
                        f"'{model_id}' (known models: {known})"
                    )
    if catalog.default_profile not in catalog.profiles:
        raise ConfigError(
            f"{catalog.files[-1]}: default_profile '{catalog.default_profile}' is not a profile "
            f"(profiles: {', '.join(sorted(catalog.profiles))})"
        )


def register_local_model(entry: ModelEntry, user: Path | None = None) -> None:
    """Add or replace ``entry`` in the user catalog (used for models produced on this machine).

    The file is rewritten (comments are not kept) and validated before it replaces the old one.
    """
    user = user or paths.user_catalog_file()
    data: dict = {}
    if user.is_file():
        read_catalog_file(user)  # refuse to rewrite a file that is already broken
        data = yaml.safe_load(user.read_text(encoding="utf-8")) or {}
    data.setdefault("models", {})[entry.id] = entry.to_dict()
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    parse_catalog(text, user)
    user.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=user.parent, prefix=".models.", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, user)
