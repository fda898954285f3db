"""Downloads from the Hugging Face hub (or any ``HF_ENDPOINT`` mirror) through huggingface_hub.

Before the transfer a single HEAD request with a short timeout and no retries asks for the
file's size and ETag, so that an unreachable hub fails in seconds instead of stalling in
huggingface_hub's own retry loop; then ``hf_hub_download`` fetches the file into a staging
folder with our Rich progress bar.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from umi_cli.models.entry import HubSource
from umi_cli.models.progress import TransferProgress

#: Seconds to wait for the hub to answer the metadata request.
METADATA_TIMEOUT = 4.0
_NETWORK_ERRORS = {
    "ConnectError",
    "ConnectTimeout",
    "ConnectionError",
    "NetworkError",
    "ProxyError",
    "ReadTimeout",
    "Timeout",
    "TimeoutException",
}


class HubUnavailable(Exception):
    """The hub cannot give us the file; the message is one line with the reason."""


@dataclass(frozen=True)
class RemoteFile:
    """What the hub says about a file before we download it."""

    url: str
    size: int | None
    etag: str | None
    commit: str | None

    @property
    def lfs_sha256(self) -> str | None:
        """For LFS files the hub's ETag is the file's sha256."""
        etag = (self.etag or "").strip('"')
        return etag if len(etag) == 64 and all(c in "0123456789abcdef" for c in etag) else None


def endpoint() -> str:
    """The hub endpoint in effect now (``HF_ENDPOINT`` read at call time)."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) asks us not to use the network."""
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().upper() in {"1", "ON", "YES", "TRUE"}


def _is_network_error(exc: BaseException) -> bool:
    return any(cls.__name__ in _NETWORK_ERRORS for cls in type(exc).__mro__)


def _reason(exc: BaseException) -> str:
    status = getattr(getattr(exc, "response", None), "status_code", None)
    name = type(exc).__name__
    if name in {"RepositoryNotFoundError", "GatedRepoError"}:
        return "repository not found (or gated: log in with `hf auth login`)"
    if name == "RevisionNotFoundError":
        return "revision not found"
    if name in {"RemoteEntryNotFoundError", "EntryNotFoundError"}:
        return "file not found in the repository"
    if status is not None:
        return f"the hub answered HTTP {status}"
    text = str(exc).splitlines()[0] if str(exc) else name
    return text[:160]


class _SilentBar:
    """A tqdm stand-in that draws nothing (huggingface_hub would draw its own bar otherwise)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def update(self, n: object = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _SilentBar:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def _quiet_hub_logs() -> None:
    """huggingface_hub's retry warnings would scribble over our bars; keep them for --debug."""
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        logging.getLogger("huggingface_hub").setLevel(logging.ERROR)


def remote_file(source: HubSource) -> RemoteFile:
    """Ask the hub for the file's metadata: one HEAD, short timeout, no retries."""
    if offline():
        raise HubUnavailable("HF_HUB_OFFLINE is set (unset it to download)")
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    base = endpoint()
    url = hf_hub_url(source.repo, source.file, revision=source.revision, endpoint=base)
    try:
        meta = get_hf_file_metadata(url, timeout=METADATA_TIMEOUT, endpoint=base)
    except Exception as exc:
        if _is_network_error(exc):
            raise HubUnavailable(
                f"cannot reach the hub at {base} ({type(exc).__name__}); check the network or "
                "HF_ENDPOINT"
            ) from None
        raise HubUnavailable(_reason(exc)) from None
    return RemoteFile(url=url, size=meta.size, etag=meta.etag, commit=meta.commit_hash)


def download(
    source: HubSource, staging: Path, *, progress: TransferProgress | None = None
) -> tuple[Path, RemoteFile]:
    """Download ``source`` into the folder ``staging``; returns the file and its metadata."""
    remote = remote_file(source)
    from huggingface_hub import hf_hub_download

    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    _quiet_hub_logs()
    bar = progress.tqdm_class(source.file) if progress is not None else _SilentBar
    try:
        path = hf_hub_download(
            source.repo,
            source.file,
            revision=source.revision,
            local_dir=staging,
            endpoint=endpoint(),
            etag_timeout=METADATA_TIMEOUT,
            force_download=True,
            tqdm_class=bar,
        )
    except Exception as exc:
        if _is_network_error(exc):
            raise HubUnavailable(f"download from {endpoint()} failed ({_reason(exc)})") from None
        raise HubUnavailable(_reason(exc)) from None
    return Path(path), remote
