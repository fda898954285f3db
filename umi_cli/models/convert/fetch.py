"""Download a Hugging Face checkpoint's config, tokenizer and weights, resumably.

Each file is streamed into ``<name>.part`` and renamed once its size (and, for LFS files, its
sha256) is right. An interrupted run keeps the ``.part`` file, and the next run asks the hub
for the remaining bytes only (HTTP Range) — what a 13.5 GB ``pytorch_model.bin`` needs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from umi_cli.errors import UmiError
from umi_cli.models.checksum import CHUNK
from umi_cli.models.convert.checkpoint import WEIGHT_LAYOUTS, shard_names
from umi_cli.models.hub import endpoint, offline
from umi_cli.models.progress import TransferProgress

#: Small files a LLaMA conversion reads when the repository has them.
METADATA_FILES = (
    "config.json",
    "tokenizer.model",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
)
REQUIRED_FILES = ("config.json", "tokenizer.model")
#: Seconds to wait for the hub to answer (metadata, or the next chunk of a download).
TIMEOUT = 30.0


@dataclass(frozen=True)
class RemoteFile:
    name: str
    size: int
    sha256: str | None
    commit: str | None
    cached: bool


def _hub_error(repo: str, name: str, exc: Exception) -> UmiError:
    from huggingface_hub import errors

    where = endpoint()
    if isinstance(exc, errors.GatedRepoError):
        return UmiError(f"{repo} is gated on {where}; accept its licence and set HF_TOKEN")
    if isinstance(exc, errors.RepositoryNotFoundError):
        return UmiError(f"repository {repo} was not found on {where}; check the catalog source")
    if isinstance(exc, errors.RevisionNotFoundError):
        return UmiError(f"the revision of {repo} in the catalog was not found on {where}")
    return UmiError(
        f"cannot download {repo}/{name} from {where} ({type(exc).__name__}: {exc}); check the "
        "network or HF_ENDPOINT, then run the same command again to resume"
    )


def _lfs_sha256(etag: str | None) -> str | None:
    etag = (etag or "").strip('"')
    return etag if len(etag) == 64 and all(c in "0123456789abcdef" for c in etag) else None


class CheckpointDownload:
    """One repository revision downloaded into ``folder`` (a plain folder)."""

    def __init__(
        self, repo: str, revision: str, folder: Path, progress: TransferProgress | None = None
    ) -> None:
        self.repo, self.revision, self.folder = repo, revision, folder
        self.progress = progress

    def _url(self, name: str) -> str:
        from huggingface_hub import hf_hub_url

        return hf_hub_url(self.repo, name, revision=self.revision, endpoint=endpoint())

    def _probe(self, name: str) -> RemoteFile | None:
        from huggingface_hub import errors, get_hf_file_metadata

        try:
            meta = get_hf_file_metadata(self._url(name), timeout=TIMEOUT, endpoint=endpoint())
        except errors.EntryNotFoundError:
            return None
        except Exception as exc:
            raise _hub_error(self.repo, name, exc) from exc
        size = int(meta.size or 0)
        local = self.folder / name
        cached = local.is_file() and local.stat().st_size == size
        return RemoteFile(name, size, _lfs_sha256(meta.etag), meta.commit_hash, cached)

    def _check_commit(self, commit: str | None) -> None:
        """Forget files of an older commit of the same revision (the branch moved)."""
        marker = self.folder / ".commit"
        if commit and marker.is_file() and marker.read_text().strip() != commit:
            shutil.rmtree(self.folder)
        if commit:
            self.folder.mkdir(parents=True, exist_ok=True)
            marker.write_text(commit)

    def plan(self) -> list[RemoteFile]:
        """The files to fetch (an index file is downloaded now, being needed to list shards)."""
        if offline():
            raise UmiError(f"HF_HUB_OFFLINE is set; unset it to download {self.repo}")
        first = self._probe(REQUIRED_FILES[0])
        if first is None:
            raise UmiError(f"{self.repo} has no {REQUIRED_FILES[0]}; it is not a HF checkpoint")
        self._check_commit(first.commit)
        files = [f for f in map(self._probe, METADATA_FILES) if f is not None]
        if REQUIRED_FILES[1] not in {f.name for f in files}:
            raise UmiError(
                f"{self.repo} has no {REQUIRED_FILES[1]}; only SentencePiece "
                "(LLaMA-style) vocabularies can be converted"
            )
        for index_name, single_name in WEIGHT_LAYOUTS:
            index = self._probe(index_name)
            if index is not None:
                shards = shard_names(self.download(index))
                probed = [self._probe(name) for name in shards]
                missing = [n for n, f in zip(shards, probed, strict=True) if f is None]
                if missing:
                    raise UmiError(f"{self.repo}: {index_name} names missing shard {missing[0]}")
                return [*files, index, *(f for f in probed if f is not None)]
            single = self._probe(single_name)
            if single is not None:
                return [*files, single]
        raise UmiError(f"{self.repo} has no model.safetensors or pytorch_model.bin to convert")

    def download(self, remote: RemoteFile) -> Path:
        """Fetch one file (resuming its ``.part``), verify size and sha256, rename into place."""
        target = self.folder / remote.name
        if target.is_file() and target.stat().st_size == remote.size:
            return target
        self.folder.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        start = part.stat().st_size if part.is_file() else 0
        if start > remote.size:
            part.unlink()
            start = 0
        if start < remote.size or remote.size == 0:
            self._stream(remote, part, start)
        got = part.stat().st_size
        if got != remote.size:
            raise UmiError(
                f"the download of {self.repo}/{remote.name} stopped at {got} of {remote.size} "
                "bytes; run the same command again to resume"
            )
        if remote.sha256 is not None and self._sha256(part) != remote.sha256:
            part.unlink()
            raise UmiError(
                f"{self.repo}/{remote.name} arrived corrupted (sha256 mismatch) and was deleted; "
                "run the same command again"
            )
        os.replace(part, target)
        return target

    def _stream(self, remote: RemoteFile, part: Path, start: int) -> None:
        import httpx
        from huggingface_hub.utils import build_hf_headers

        headers = build_hf_headers()
        headers["Accept-Encoding"] = "identity"
        if start:
            headers["Range"] = f"bytes={start}-"
        bar = (
            self.progress.bar(f"{self.repo}/{remote.name}", remote.size, initial=start)
            if self.progress
            else None
        )
        advance = bar.__enter__() if bar else None
        try:
            with httpx.stream(
                "GET",
                self._url(remote.name),
                headers=headers,
                follow_redirects=True,
                timeout=TIMEOUT,
            ) as response:
                if response.status_code not in (200, 206):
                    raise UmiError(
                        f"the hub answered HTTP {response.status_code} for "
                        f"{self.repo}/{remote.name}; run the same command again later"
                    )
                mode = "ab" if response.status_code == 206 else "wb"  # 200: Range ignored
                with part.open(mode) as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
                        if advance:
                            advance(len(chunk))
        except httpx.HTTPError:
            pass  # the .part file keeps what arrived; download() reports the shortfall
        finally:
            if bar:
                bar.__exit__(None, None, None)

    def _sha256(self, path: Path) -> str:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def fetch(self, files: list[RemoteFile]) -> Path:
        """Download every planned file (complete ones are kept) and return the folder."""
        for remote in files:
            self.download(remote)
        return self.folder
