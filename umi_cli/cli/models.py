"""`umi models ...`: list, inspect, fetch, remove and try the models of the catalog."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from umi_cli.errors import UmiError, UsageError
from umi_cli.models.catalog import Catalog, load_catalog
from umi_cli.models.entry import GenerationDefaults, ModelEntry, PathSource
from umi_cli.models.progress import TransferProgress
from umi_cli.models.store import ModelStore, Presence

app = typer.Typer(
    help="See, fetch, inspect and try the models of the catalog (models.yaml).",
    no_args_is_help=True,
)


def _human(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def _stdout() -> Console:
    return Console(highlight=False, soft_wrap=True)


@app.command("list")
def list_models(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array for scripts.")] = False,
) -> None:
    """Every model of the catalog: the profiles using it, its size, and whether it is here."""
    from umi_cli.models.listing import model_rows

    catalog = load_catalog()
    rows = model_rows(catalog, ModelStore())
    if as_json:
        print(json.dumps(rows, indent=1))
        return
    table = Table(
        title=f"models ({', '.join(str(f) for f in catalog.files)})", title_justify="left"
    )
    table.add_column("id", no_wrap=True)
    table.add_column("profiles", overflow="fold")
    table.add_column("size", no_wrap=True, justify="right")
    table.add_column("present", no_wrap=True)
    table.add_column("where", overflow="fold")
    for row in rows:
        mark = {
            "verified": "[green]yes[/]",
            "present": "[yellow]unchecked[/]",
            "endpoint": "[cyan]served[/]",
        }
        table.add_row(
            row["id"],
            ", ".join(row["profiles"]) or "-",
            "-" if row["state"] == "endpoint" else _human(row["size"]),
            mark.get(row["state"], "[dim]no[/]"),
            row["where"],
        )
    _stdout().print(table)
    default = catalog.default_profile
    _stdout().print(f"default profile: {default}; fetch with `umi models pull {default}`")


@app.command("profiles")
def list_profiles(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array for scripts.")] = False,
) -> None:
    """Every profile: which model plays each role, and whether all of them are here."""
    catalog = load_catalog()
    store = ModelStore()
    rows: list[dict[str, Any]] = []
    for profile in catalog.profiles.values():
        ready = all(
            role_model in catalog.models
            and _usable_offline(store.presence(catalog.models[role_model]))
            for role_model in profile.roles.values()
        )
        rows.append(
            {
                "id": profile.id,
                "default": profile.id == catalog.default_profile,
                "roles": dict(profile.roles),
                "ready": ready,
                "description": profile.description,
            }
        )
    if as_json:
        print(json.dumps(rows, indent=1))
        return
    table = Table(title="profiles", title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("roles", overflow="fold")
    table.add_column("ready", no_wrap=True)
    table.add_column("description", overflow="fold")
    for row in rows:
        by_role: dict[str, str] = row["roles"]
        models = set(by_role.values())
        roles = (
            f"all roles: {models.pop()}"
            if len(models) == 1 and len(by_role) > 1
            else "\n".join(f"{role}: {model}" for role, model in by_role.items())
        )
        name = f"{row['id']}" + (" (default)" if row["default"] else "")
        shown = "[green]yes[/]" if row["ready"] else f"[dim]no[/] (umi models pull {row['id']})"
        table.add_row(name, roles, shown, str(row["description"] or ""))
    _stdout().print(table)


def _usable_offline(presence: Presence) -> bool:
    """Here already, or assembled from installed packages on first use."""
    return presence.state != "absent" or presence.where.startswith("packages")


def _entry_or_file(catalog: Catalog, target: str) -> tuple[ModelEntry | None, Path | None]:
    """A catalog id, or the path of a GGUF file given on the command line."""
    if target in catalog.models:
        return catalog.models[target], None
    candidate = Path(target).expanduser()
    if candidate.is_file():
        return None, candidate
    if target.endswith(".gguf") or "/" in target or "\\" in target:
        raise UsageError(f"{target}: no such file (give a GGUF file path or a model id)")
    catalog.model(target)  # raises the UsageError listing the known ids
    raise AssertionError("unreachable")


def _present(store: ModelStore, entry: ModelEntry) -> Path:
    if entry.endpoint is not None:
        raise UmiError(
            f"model '{entry.id}' is served at {entry.endpoint.base_url}, not a file here; "
            f"`umi models info {entry.id}` asks the server, `umi models try` runs it"
        )
    path = store.locate(entry)
    if path is None:
        raise UmiError(f"model '{entry.id}' is not present; run `umi models pull {entry.id}`")
    return path


@app.command()
def info(
    target: Annotated[str, typer.Argument(help="A model id of the catalog, or a GGUF file.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object for scripts.")] = False,
) -> None:
    """GGUF metadata: architecture, context length, quantization, vocabulary, chat template."""
    from umi_cli.models.gguf_info import read_gguf_info

    catalog = load_catalog()
    entry, path = _entry_or_file(catalog, target)
    if entry is not None and entry.endpoint is not None:
        _endpoint_info(entry, as_json)
        return
    if entry is not None:
        path = _present(ModelStore(), entry)
    assert path is not None
    data: dict[str, Any] = read_gguf_info(path).to_dict()
    if entry is not None:
        data["catalog"] = {
            "id": entry.id,
            "format": entry.prompt_format,
            "context_length": entry.context_length,
            "sha256": entry.sha256,
            "defaults": entry.to_dict()["defaults"],
        }
    if as_json:
        print(json.dumps(data, indent=1))
        return
    out = _stdout()
    labels = {
        "path": "file",
        "size": "size",
        "name": "name",
        "architecture": "architecture",
        "context_length": "trained context",
        "file_type": "quantization",
        "vocab_size": "vocabulary",
        "layers": "layers",
        "tensors": "tensors",
        "tokenizer": "tokenizer",
        "chat_template": "chat template",
    }
    for key, label in labels.items():
        value = data[key]
        if key == "size":
            value = f"{_human(value)} ({value} bytes)"
        elif key == "chat_template":
            value = "yes" if value else "no"
        out.print(f"{label:>16}: {value if value is not None else '?'}")
    if entry is not None:
        out.print(f"{'umi format':>16}: {entry.prompt_format}")
        out.print(f"{'umi context':>16}: {entry.context_length}")


def _endpoint_info(entry: ModelEntry, as_json: bool) -> None:
    """What the server of an endpoint entry serves, and what umi does with it."""
    from umi_cli.engine.remote.opener import describe_endpoint

    assert entry.endpoint is not None
    data = {"id": entry.id, **describe_endpoint(entry.endpoint)}
    data["catalog"] = {"format": entry.prompt_format, "context_length": entry.context_length}
    if as_json:
        print(json.dumps(data, indent=1))
        return
    out = _stdout()
    endpoint, caps = data["endpoint"], data["capabilities"]
    rows = {
        "endpoint": f"{endpoint['base_url']} ({endpoint['flavor']})",
        "model": endpoint["model"],
        "serves": ", ".join(data["serves"]) or "?",
        "context": data["context"] or "? (not reported)",
        "slots": data["slots"] or "? (not reported)",
        **{name.replace("_", " "): value for name, value in caps.items()},
        "umi format": entry.prompt_format,
        "umi context": entry.context_length,
    }
    for label, value in rows.items():
        out.print(f"{label:>16}: {value}", markup=False)


@app.command()
def pull(
    target: Annotated[str, typer.Argument(help="A model id or a profile (pulls all its models).")],
    convert: Annotated[
        bool,
        typer.Option("--convert", help="Convert the PyTorch checkpoint to GGUF on this machine."),
    ] = False,
    quant: Annotated[
        str, typer.Option("--quant", help="Quantization of a converted model.")
    ] = "Q4_K_M",
    keep_f16: Annotated[
        bool, typer.Option("--keep-f16", help="Keep the f16 GGUF a conversion goes through.")
    ] = False,
) -> None:
    """Fetch a model (or every model of a profile): sha256 verified, bad copies re-fetched."""
    catalog = load_catalog()
    if target in catalog.models:
        entries = [catalog.models[target]]
    elif target in catalog.profiles:
        ids = dict.fromkeys(catalog.profiles[target].roles.values())
        entries = [catalog.model(model_id) for model_id in ids]
        for entry in entries:
            if entry.endpoint is not None:
                print(f"{entry.id}: served at {entry.endpoint.base_url} (nothing to pull)")
        entries = [entry for entry in entries if entry.endpoint is None]
    else:
        models = ", ".join(sorted(catalog.models))
        profiles = ", ".join(sorted(catalog.profiles))
        raise UsageError(
            f"unknown model or profile '{target}' (profiles: {profiles}; models: {models})"
        )
    store = ModelStore()
    results = []
    with TransferProgress() as progress:
        for entry in entries:
            path = store.ensure(
                entry,
                download=True,
                progress=progress,
                convert=convert,
                quant=quant,
                keep_f16=keep_f16,
            )
            results.append((entry, path))
    for entry, path in results:
        check = "sha256 verified" if entry.sha256 else "unverified source, sha256 recorded"
        print(f"{entry.id}: {path} ({check})")


@app.command()
def rm(model_id: Annotated[str, typer.Argument(help="A model id of the catalog.")]) -> None:
    """Delete the downloaded or assembled copy of a model (never your own `path` files)."""
    entry = load_catalog().model(model_id)
    if entry.endpoint is not None:
        raise UmiError(
            f"model '{model_id}' is served at {entry.endpoint.base_url}; nothing to remove"
        )
    removed = ModelStore().remove(entry)
    if removed is None:
        own = [s.path for s in entry.sources if isinstance(s, PathSource) and s.path.exists()]
        if own:
            raise UmiError(f"model '{model_id}' is your file {own[0]}; umi does not delete it")
        raise UmiError(f"model '{model_id}' has no downloaded copy to remove")
    print(f"removed {removed}")


@app.command()
def path(model_id: Annotated[str, typer.Argument(help="A model id of the catalog.")]) -> None:
    """Print the local file of a model that is present (exit 1 when it is not)."""
    entry = load_catalog().model(model_id)
    print(_present(ModelStore(), entry))


@app.command("try")
def try_model(
    target: Annotated[str, typer.Argument(help="A model id of the catalog, or a GGUF file.")],
    prompt: Annotated[str, typer.Argument(help="The prompt (a user message for chat models).")],
    max_tokens: Annotated[
        int | None, typer.Option("--max-tokens", min=1, help="Most tokens to generate.")
    ] = None,
    temperature: Annotated[
        float | None, typer.Option("--temperature", min=0.0, max=2.0, help="Sampling temperature.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed.")] = None,
    n_gpu_layers: Annotated[
        int | None, typer.Option("--n-gpu-layers", help="Layers on the GPU (-1: all).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (text and figures) at the end.")
    ] = False,
) -> None:
    """Run one streamed completion and print its figures (tokens, cache, time, speed)."""
    from umi_cli.engine.backend import complete
    from umi_cli.engine.types import CompletionRequest

    catalog = load_catalog()
    entry, file = _entry_or_file(catalog, target)
    model = _try_backend(entry, file, n_gpu_layers)
    if entry is not None:
        chat = entry.prompt_format == "chat"
    else:
        assert file is not None
        chat = _has_chat_template(file)
    defaults = entry.defaults if entry else GenerationDefaults()
    text = model.render_chat([{"role": "user", "content": prompt}]) if chat else prompt
    request = CompletionRequest(
        prompt=text,
        stop=("<|im_end|>",) if chat else (),
        max_tokens=max_tokens or defaults.max_tokens,
        temperature=defaults.temperature if temperature is None else temperature,
        top_p=defaults.top_p,
        seed=seed,
        slot="try",
        add_bos=not chat,  # a chat template writes the BOS itself where the model wants one
    )
    on_token = None if as_json else _echo
    try:
        completion = complete(model, request, on_token)
    finally:
        model.close()
    stats = completion.stats
    if as_json:
        print(
            json.dumps(
                {
                    "text": completion.text,
                    "stop_reason": completion.stop_reason,
                    **stats.to_dict(),
                    "tokens_per_second": stats.tokens_per_second,
                }
            )
        )
        return
    print(flush=True)
    Console(stderr=True, highlight=False).print(
        f"prompt {stats.prompt_tokens} tok ({stats.cached_tokens} cached) · "
        f"generated {stats.generated_tokens} tok · prompt {stats.prompt_seconds:.2f} s · "
        f"gen {stats.generation_seconds:.2f} s · {stats.tokens_per_second:.1f} tok/s "
        f"· stop: {completion.stop_reason}",
        soft_wrap=True,
    )


@app.command()
def verify(
    target: Annotated[str, typer.Argument(help="A model id of the catalog, or a GGUF file.")],
    prompt_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="alpha-umi (LLaMA, `</s>` is EOS) or chat; default: the catalog's, or "
            "alpha-umi for a file.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Load a model; check architecture, vocabulary, BOS/EOS, `</s>` → EOS, and a completion."""
    from umi_cli.models.verify import expectations, report_lines, verify_model

    entry, file = _entry_or_file(load_catalog(), target)
    if file is None:
        assert entry is not None  # _entry_or_file gives one or the other
        file = _present(ModelStore(), entry)
    fmt = prompt_format or (entry.prompt_format if entry else "alpha-umi")
    if fmt not in ("alpha-umi", "chat"):
        raise UsageError(f"--format must be alpha-umi or chat, not '{fmt}'")
    report = verify_model(file, **expectations(fmt))
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        out = _stdout()
        out.print(str(file), markup=False)
        for line in report_lines(report):
            out.print(line, markup=False)
    if not report.ok:
        failed = ", ".join(c.name for c in report.checks if not c.ok)
        fix = f"; convert it again: `umi models rm {target}`, `umi models pull {target} --convert`"
        raise UmiError(f"{file} failed verification ({failed})" + (fix if entry else ""))


def _try_backend(entry: ModelEntry | None, file: Path | None, n_gpu_layers: int | None) -> Any:
    """The backend `try` runs: the catalog model's file or endpoint, or a GGUF given by path."""
    if entry is not None and entry.endpoint is not None:
        from umi_cli.engine.remote import RemoteOpener

        return RemoteOpener().open(entry.endpoint, min(entry.context_length, 4096))
    if entry is not None:
        with TransferProgress() as progress:
            file = ModelStore().ensure(entry, download=False, progress=progress)
    assert file is not None
    from umi_cli.engine.llama import open_file

    return open_file(file, _try_context(entry, file), n_gpu_layers=n_gpu_layers)


def _echo(piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()


def _has_chat_template(file: Path) -> bool:
    from umi_cli.models.gguf_info import read_gguf_info

    return read_gguf_info(file).chat_template


def _try_context(entry: ModelEntry | None, file: Path) -> int:
    """The catalog's context for a model; for a bare file its own, at most 4096."""
    if entry is not None:
        return entry.context_length
    from umi_cli.models.gguf_info import read_gguf_info

    return min(read_gguf_info(file).context_length or 4096, 4096)
