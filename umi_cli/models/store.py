"""The local model store: which catalog models are present and verified, and fetching them.

Files live in ``paths.models_dir()`` as ``<model id>.gguf``; a ``path`` source is used where it
lies and never copied or deleted. Every file is checked against the catalog's sha256 once;
the result is remembered (size + mtime + sha256) so a 500 MB file is not re-hashed on each run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from umi_cli import paths
from umi_cli.errors import UmiError
from umi_cli.models import hub, packages
from umi_cli.models.catalog import load_catalog
from umi_cli.models.checksum import CHUNK, VerificationRecords, sha256_file
from umi_cli.models.entry import (
    ConvertSource,
    HubSource,
    ModelEntry,
    PackageSource,
    PathSource,
    Source,
)
from umi_cli.models.progress import TransferProgress, note

#: How many times a hub download whose checksum is wrong is tried again.
CHECKSUM_RETRIES = 1

State = Literal["verified", "present", "absent", "endpoint"]


class SourceFailed(Exception):
    """One source could not give the model; the message says why, in a few words."""


@dataclass(frozen=True)
class Presence:
    """What ``umi models list`` shows: whether a model is here, and where (cheap, no hashing)."""

    state: State
    where: str
    path: Path | None = None


def _short(sha: str) -> str:
    return f"{sha[:12]}…"


class ModelStore:
    """Model files on this machine, verified against the catalog."""

    def __init__(self, models_dir: Path | None = None) -> None:
        self.dir = models_dir or paths.models_dir()
        self.records = VerificationRecords(self.dir / ".verified.json")

    def file_for(self, entry: ModelEntry) -> Path:
        """Where a fetched or assembled copy of ``entry`` lives."""
        return self.dir / entry.filename

    def _candidates(self, entry: ModelEntry) -> list[Path]:
        found = [s.path for s in entry.sources if isinstance(s, PathSource)]
        return [*found, self.file_for(entry)]

    # -- presence and verification ------------------------------------------------------------

    def locate(self, entry: ModelEntry, progress: TransferProgress | None = None) -> Path | None:
        """The model's file if it is present and verified, else None."""
        return self._check(entry, progress)[0]

    def presence(self, entry: ModelEntry) -> Presence:
        """Present or not, and where, without hashing anything (an endpoint is not asked)."""
        if entry.endpoint is not None:
            return Presence("endpoint", entry.endpoint.describe())
        for path in self._candidates(entry):
            if path.is_file():
                known = self.records.lookup(path)
                verified = known is not None and known == (entry.sha256 or known)
                return Presence("verified" if verified else "present", str(path), path)
        for source in entry.sources:
            if isinstance(source, PackageSource):
                with contextlib.suppress(packages.PartMissing):
                    packages.part_files(source)
                    return Presence("absent", "packages (assembled on use)")
        return Presence("absent", "not downloaded")

    def _check(
        self, entry: ModelEntry, progress: TransferProgress | None
    ) -> tuple[Path | None, str | None]:
        problem = None
        for path in self._candidates(entry):
            if path.is_file():
                issue = self._verify(entry, path, progress)
                if issue is None:
                    return path, None
                problem = problem or issue
        return None, problem

    def _verify(
        self, entry: ModelEntry, path: Path, progress: TransferProgress | None
    ) -> str | None:
        """None when ``path`` holds ``entry``; else one line saying what is wrong."""
        size = path.stat().st_size
        if entry.size is not None and size != entry.size:
            return f"{path} has {size} bytes, expected {entry.size} (truncated or corrupted)"
        in_store = path.parent == self.dir
        expected = entry.sha256 or (self.records.recorded(path) if in_store else None)
        known = self.records.lookup(path)
        if known is not None and (expected is None or known == expected):
            return None
        if expected is None and not in_store:
            return None  # the user's own unverified file: nothing to compare with
        actual = self._hash(path, progress)
        if expected is not None and actual != expected:
            return f"{path} is corrupted (sha256 {_short(actual)}, expected {_short(expected)})"
        self.records.remember(path, actual)
        return None

    def _hash(self, path: Path, progress: TransferProgress | None) -> str:
        if progress is None:
            return sha256_file(path)
        with progress.bar(f"checking {path.name}", path.stat().st_size) as advance:
            return sha256_file(path, advance)

    # -- fetching -----------------------------------------------------------------------------

    def ensure(
        self,
        entry: ModelEntry,
        *,
        download: bool,
        progress: TransferProgress | None = None,
        convert: bool = False,
        quant: str = "Q4_K_M",
        keep_f16: bool = False,
    ) -> Path:
        """The verified file of ``entry``, assembling or fetching it from its sources in order.

        Installed packages and local paths are always used; hub downloads and checkpoint
        conversion only with ``download``. With ``convert`` only conversion sources are tried;
        without it a conversion source is the fallback when no GGUF source could be fetched.
        """
        if entry.endpoint is not None:
            raise UmiError(
                f"model '{entry.id}' is served at {entry.endpoint.base_url}; there is no file "
                f"to fetch (start the server, then `umi models try {entry.id} ...`)"
            )
        found, problem = self._check(entry, progress)
        if found is not None:
            return found
        if problem:
            note(progress, f"{problem}; fetching it again")
            self._discard(self.file_for(entry))
        failures: list[str] = []
        needs_download = False
        for source in entry.sources:
            if convert and not isinstance(source, ConvertSource):
                continue
            if isinstance(source, HubSource | ConvertSource) and not download:
                needs_download = True
                continue
            try:
                return self._fetch(entry, source, progress, quant=quant, keep_f16=keep_f16)
            except SourceFailed as exc:
                failures.append(f"{source.describe()}: {exc}")
        if needs_download:
            detail = f" ({'; '.join(failures)})" if failures else ""
            raise UmiError(
                f"model '{entry.id}' is not present{detail}; run `umi models pull {entry.id}`"
            )
        if convert and not failures:
            raise UmiError(f"model '{entry.id}' has no checkpoint to convert (no `convert` source)")
        raise UmiError(f"cannot get model '{entry.id}': {'; '.join(failures)}")

    def _fetch(
        self,
        entry: ModelEntry,
        source: Source,
        progress: TransferProgress | None,
        *,
        quant: str,
        keep_f16: bool,
    ) -> Path:
        if isinstance(source, PathSource):
            raise SourceFailed("file does not exist" if not source.path.exists() else "not usable")
        self.dir.mkdir(parents=True, exist_ok=True)
        if isinstance(source, PackageSource):
            return self._assemble(entry, source, progress)
        if isinstance(source, HubSource):
            return self._download(entry, source, progress)
        return self._convert(entry, source, progress, quant=quant, keep_f16=keep_f16)

    def _assemble(
        self, entry: ModelEntry, source: PackageSource, progress: TransferProgress | None
    ) -> Path:
        try:
            parts = packages.part_files(source)
        except packages.PartMissing as exc:
            raise SourceFailed(str(exc)) from None
        total = sum(p.stat().st_size for p in parts)
        if entry.size is not None and total != entry.size:
            raise SourceFailed(f"parts add up to {total} bytes, expected {entry.size} (reinstall)")
        target = self.file_for(entry)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
        digest = hashlib.sha256()
        bar = progress.bar(f"assembling {target.name}", total) if progress else None
        advance = bar.__enter__() if bar else None
        try:
            with tmp.open("wb") as out:
                for part in parts:
                    with part.open("rb") as handle:
                        while chunk := handle.read(CHUNK):
                            out.write(chunk)
                            digest.update(chunk)
                            if advance:
                                advance(len(chunk))
            self._accept(entry, tmp, digest.hexdigest(), target, progress)
        finally:
            if bar:
                bar.__exit__(None, None, None)
            tmp.unlink(missing_ok=True)
        return target

    def _download(
        self, entry: ModelEntry, source: HubSource, progress: TransferProgress | None
    ) -> Path:
        target = self.file_for(entry)
        staging = self.dir / ".incoming" / entry.id
        try:
            for attempt in range(CHECKSUM_RETRIES + 1):
                try:
                    fetched, remote = hub.download(source, staging, progress=progress)
                except hub.HubUnavailable as exc:
                    raise SourceFailed(str(exc)) from None
                size = fetched.stat().st_size
                expected_size = entry.size or remote.size
                if expected_size is not None and size != expected_size:
                    problem = f"got {size} bytes, expected {expected_size}"
                else:
                    actual = self._hash(fetched, progress)
                    expected = entry.sha256 or remote.lfs_sha256
                    if expected is None or actual == expected:
                        if entry.sha256 is None:
                            note(
                                progress,
                                f"warning: {entry.id} comes from an unverified source "
                                f"({source.describe()}); recorded its sha256 {actual}",
                            )
                        self._accept(entry, fetched, actual, target, progress)
                        return target
                    problem = f"sha256 {_short(actual)}, expected {_short(expected)}"
                fetched.unlink(missing_ok=True)
                again = "; downloading it again" if attempt < CHECKSUM_RETRIES else ""
                note(progress, f"downloaded {source.file} is corrupted ({problem}); deleted{again}")
            raise SourceFailed(f"the download was corrupted ({problem}) and has been deleted")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            with contextlib.suppress(OSError):
                staging.parent.rmdir()  # only when no other download is under way

    def _convert(
        self,
        entry: ModelEntry,
        source: ConvertSource,
        progress: TransferProgress | None,
        *,
        quant: str,
        keep_f16: bool,
    ) -> Path:
        try:
            from umi_cli.models.convert import convert_from_hub
        except ImportError as exc:
            raise UmiError(f"checkpoint conversion is unavailable ({exc})") from None
        produced = Path(
            convert_from_hub(entry, source, quant=quant, keep_f16=keep_f16, progress=progress)
        )
        target = self.file_for(entry)
        if produced.resolve() != target.resolve():
            shutil.move(str(produced), target)
        # The conversion registered the new file's sha256 in the user catalog; a different
        # quantization legitimately changes it, so trust that record rather than the old one.
        registered = load_catalog().models.get(entry.id)
        actual = registered.sha256 if registered and registered.sha256 else None
        self.records.remember(target, actual or self._hash(target, progress))
        return target

    def _accept(
        self,
        entry: ModelEntry,
        fetched: Path,
        actual: str,
        target: Path,
        progress: TransferProgress | None,
    ) -> None:
        """Move a fetched file into place once its checksum matches; else delete it."""
        if entry.sha256 is not None and actual != entry.sha256:
            fetched.unlink(missing_ok=True)
            raise SourceFailed(
                f"result has sha256 {_short(actual)}, expected {_short(entry.sha256)}; deleted"
            )
        os.replace(fetched, target)
        self.records.remember(target, actual)

    # -- removal ------------------------------------------------------------------------------

    def _discard(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        self.records.forget(path)

    def remove(self, entry: ModelEntry) -> Path | None:
        """Delete the store's copy of ``entry`` (never a ``path`` source); the path or None."""
        target = self.file_for(entry)
        if not target.exists():
            return None
        self._discard(target)
        return target
