"""Checkpoint → GGUF: download, convert to F16, quantize, register — restartable at each step.

Every product is written as a hidden ``*.partial`` file and renamed only when complete, so an
interrupted run leaves either nothing or a finished step behind; running again resumes the
download (huggingface_hub resumes partial files) and reuses a finished F16 intermediate.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path
from typing import Any

from umi_cli import paths
from umi_cli.errors import UmiError
from umi_cli.models.checksum import sha256_file
from umi_cli.models.convert.checkpoint import open_checkpoint
from umi_cli.models.convert.disk import format_bytes, require_free_space
from umi_cli.models.convert.fetch import CheckpointDownload, RemoteFile
from umi_cli.models.convert.llama import LlamaHParams
from umi_cli.models.convert.quantize import (
    UNQUANTIZED,
    estimated_size,
    normalize_quant,
    quantize_gguf,
)
from umi_cli.models.convert.vocab import load_vocabulary
from umi_cli.models.convert.writer import write_gguf
from umi_cli.models.entry import ConvertSource, ModelEntry
from umi_cli.models.progress import TransferProgress, note

#: GGUF key recording which checkpoint an F16 intermediate came from (checked before reuse).
SOURCE_KEY = "umi.convert.source"

_FLOAT_BYTES = {"F16": 2, "F32": 4}


def convert_checkpoint(
    folder: Path,
    out_path: Path,
    *,
    out_type: str = "F16",
    name: str | None = None,
    source: str | None = None,
    progress: TransferProgress | None = None,
) -> Path:
    """Convert the HF LLaMA checkpoint in ``folder`` to an F16/F32 GGUF at ``out_path``
    (written as ``<out>.partial`` and renamed when complete)."""
    hparams = LlamaHParams.from_config(folder / "config.json")
    vocab = load_vocabulary(folder, hparams.vocab_size)
    checkpoint = open_checkpoint(folder)
    partial = out_path.with_name(f".{out_path.name}.partial")
    bar = _ByteBar(progress, f"converting {out_path.name}")
    try:
        write_gguf(
            checkpoint,
            hparams,
            vocab,
            partial,
            out_type=out_type,
            name=name or folder.name,
            source=source,
            progress=bar.update,
        )
        os.replace(partial, out_path)
    finally:
        bar.close()
        partial.unlink(missing_ok=True)
    return out_path


class _ByteBar:
    """A TransferProgress bar opened on the first report, once the total is known."""

    def __init__(self, progress: TransferProgress | None, description: str) -> None:
        self._progress, self._description = progress, description
        self._bar: Any = None  # the progress bar's context manager, once started
        self._advance: Any = None
        self._done = 0

    def update(self, done: int, total: int) -> None:
        if self._progress is None:
            return
        if self._bar is None:
            self._bar = self._progress.bar(self._description, total)
            self._advance = self._bar.__enter__()
        self._advance(done - self._done)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def _recorded_source(path: Path) -> str | None:
    import gguf

    try:
        field = gguf.GGUFReader(path).get_field(SOURCE_KEY)
    except (OSError, ValueError):
        return None
    return field.contents() if field is not None else None


def checkpoint_folder(source: ConvertSource) -> Path:
    """Where the checkpoint files of ``source`` are downloaded (kept until conversion succeeds)."""
    safe = source.repo.replace("/", "--")
    return paths.cache_dir() / "checkpoints" / f"{safe}@{source.revision}"


def _check_space(
    files: list[RemoteFile], download_dir: Path, models: Path, quant: str, have_f16: bool
) -> None:
    weights = sum(f.size for f in files if f.name.endswith((".bin", ".safetensors")))
    f16 = weights  # LLaMA-2 checkpoints are bf16/f16: the F16 GGUF is about as large
    to_download = sum(f.size for f in files if not f.cached)
    in_models = 0 if have_f16 else (2 * f16 if quant == "F32" else f16)
    if quant not in UNQUANTIZED:
        in_models += estimated_size(f16, quant)
    require_free_space(
        {download_dir: to_download, models: in_models},
        what=f"converting to {quant} ({format_bytes(to_download)} to download, about "
        f"{format_bytes(in_models)} of GGUF output)",
    )


def convert_from_hub(
    entry: ModelEntry,
    source: ConvertSource | dict,
    *,
    quant: str = "Q4_K_M",
    keep_f16: bool = False,
    progress: TransferProgress | None = None,
) -> Path:
    """Download ``source``'s checkpoint, convert and quantize it, register the result in the
    user catalog (with its sha256 and size), and return ``models_dir()/<id>.gguf``."""
    if isinstance(source, dict):
        body = source.get("convert", source)
        source = ConvertSource(body["repo"], body.get("revision") or "main")
    quant = normalize_quant(quant)
    models = paths.models_dir()
    models.mkdir(parents=True, exist_ok=True)
    final = models / entry.filename
    direct = quant in UNQUANTIZED
    f16 = final if direct else models / f"{entry.id}.f16.gguf"
    origin = f"{source.repo}@{source.revision}"

    kept = models / f"{entry.id}.f16.gguf"
    if kept.is_file() and _recorded_source(kept) != origin:
        kept.unlink()  # a leftover from another checkpoint or revision
    reuse_kept = quant == "F16" and kept.is_file()
    if reuse_kept:
        os.replace(kept, final)  # an F16 kept by an earlier --keep-f16 is the result
    have_f16 = f16.is_file() and not direct

    download_dir = checkpoint_folder(source)
    download = CheckpointDownload(source.repo, source.revision, download_dir, progress)
    if not have_f16 and not reuse_kept:
        files = download.plan()
        _check_space(files, download_dir, models, quant, have_f16)
        folder = download.fetch(files)
        note(progress, f"converting {origin} to {'F32' if quant == 'F32' else 'F16'} GGUF")
        convert_checkpoint(
            folder,
            f16,
            out_type="F32" if quant == "F32" else "F16",
            name=entry.id,
            source=origin,
            progress=progress,
        )
    if not direct:
        _check_space([], download_dir, models, quant, True)
        partial = final.with_name(f".{final.name}.partial")
        note(progress, f"quantizing {entry.id} to {quant} with llama.cpp")
        try:
            quantize_gguf(f16, partial, quant)
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
    _register(entry, final, quant, origin, progress)
    if not direct and not keep_f16:
        f16.unlink(missing_ok=True)
    shutil.rmtree(download_dir, ignore_errors=True)
    return final


def _register(
    entry: ModelEntry, final: Path, quant: str, origin: str, progress: TransferProgress | None
) -> None:
    """Record the produced file's sha256 and size in the user catalog (when it exists)."""
    try:
        from umi_cli.models.catalog import register_local_model
    except ImportError:
        return
    if progress is not None:
        with progress.bar(f"checking {final.name}", final.stat().st_size) as advance:
            digest = sha256_file(final, advance)
    else:
        digest = sha256_file(final)
    described = entry.description or entry.id
    if "converted" not in described:
        described = f"{described} (converted locally from {origin}, {quant})"
    try:
        register_local_model(
            dataclasses.replace(
                entry, sha256=digest, size=final.stat().st_size, description=described
            )
        )
    except UmiError as exc:
        raise UmiError(f"converted {final}, but could not record it in the catalog: {exc}") from exc
