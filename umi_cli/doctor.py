"""`umi doctor`: what this machine and installation give umi, and what to fix.

Every check reads; none writes (no model is assembled, no verification record is saved). A
check that fails names the fix; ``required`` ones break `umi run`, the others only warn.
"""

from __future__ import annotations

import contextlib
import logging
import platform
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

from umi_cli import __version__, paths
from umi_cli.errors import UmiError

SMOKE_PROMPT = "The capital of France is"
SMOKE_TOKENS = 16
HUB_TIMEOUT = 2.0


@dataclass
class Problem:
    """Something wrong: what, and the fix; ``required`` when `umi run` cannot work without it."""

    what: str
    fix: str
    required: bool = True

    def line(self) -> str:
        return f"{self.what} (fix: {self.fix})"


@dataclass
class Report:
    """Every finding by section (the ``--json`` object) and the problems found."""

    sections: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not any(problem.required for problem in self.problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.sections,
            "healthy": self.healthy,
            "problems": [asdict(problem) for problem in self.problems],
        }


def features(system_info: str) -> dict[str, bool]:
    """``"CPU : AVX2 = 1 | AMX_INT8 = 0 |"`` -> ``{"AVX2": True, "AMX_INT8": False}``."""
    return {name: value == "1" for name, value in re.findall(r"(\w+) = (\d)", system_info)}


def _versions() -> dict[str, Any]:
    try:
        llama = metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:
        llama = None
    return {
        "umi": __version__,
        "python": platform.python_version(),
        "llama_cpp_python": llama,
        "platform": f"{platform.system()} {platform.machine()}",
        "executable": sys.executable,
    }


def _llama(report: Report) -> None:
    try:
        import llama_cpp

        from umi_cli.engine.llama.extra_buffers import machine_extra_buffers
        from umi_cli.engine.llama.hardware import gpu_offload_supported, physical_cores
    except (ImportError, OSError) as exc:
        report.problems.append(
            Problem(
                f"llama-cpp-python cannot be imported ({exc})",
                "pip install --force-reinstall llama-cpp-python",
            )
        )
        return
    info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace")
    report.sections["llama_cpp"] = {
        "system_info": info.strip(),
        "features": features(info),
        "gpu_offload": gpu_offload_supported(),
        "threads": physical_cores(),
    }
    try:
        decision = machine_extra_buffers()
    except UmiError as exc:
        report.problems.append(Problem(str(exc), "unset UMI_LLAMA_EXTRA_BUFTS or give auto/on/off"))
        return
    report.sections["extra_buffers"] = asdict(decision)


def _models(report: Report) -> Any:
    from umi_cli.models import ModelStore, load_catalog
    from umi_cli.models.listing import model_rows

    try:
        catalog = load_catalog()
    except UmiError as exc:
        report.problems.append(Problem(str(exc), "correct the catalog file it names"))
        return None
    store = ModelStore()
    rows = model_rows(catalog, store)
    report.sections["models"] = rows
    profile = catalog.profile(catalog.default_profile)
    states = {row["id"]: row for row in rows}
    missing = [
        model_id
        for model_id in dict.fromkeys(profile.roles.values())
        if states[model_id]["state"] == "absent"
        and not str(states[model_id]["where"]).startswith("packages")
    ]
    report.sections["default_profile"] = {
        "id": profile.id,
        "roles": dict(profile.roles),
        "ready": not missing,
    }
    if missing:
        report.problems.append(
            Problem(
                f"default profile {profile.id}: model {', '.join(missing)} is not here",
                f"umi models pull {profile.id} (or pip install 'umi-cli[pocket]')",
            )
        )
    return catalog, store, profile


def _endpoints(report: Report, found: Any) -> None:
    """Each served model: does its server answer, and how umi renders, counts and constrains."""
    if found is None:
        return
    from umi_cli.engine.remote import RemoteSettings
    from umi_cli.engine.remote.opener import describe_endpoint

    catalog, _store, profile = found
    quick = RemoteSettings(connect_timeout=HUB_TIMEOUT, probe_timeout=HUB_TIMEOUT, retries=0)
    rows = []
    for entry in catalog.models.values():
        ref = entry.endpoint
        if ref is None:
            continue
        needed = entry.id in profile.roles.values()
        row: dict[str, Any] = {"id": entry.id, "base_url": ref.base_url, "flavor": ref.flavor}
        try:
            described = describe_endpoint(ref, quick)
        except UmiError as exc:
            row |= {"answers": False, "detail": str(exc)}
            fix = f"then check with `umi models info {entry.id}`"
            report.problems.append(Problem(str(exc), fix, required=needed))
        else:
            caps = described["capabilities"]
            row |= {"answers": True, "serves": described["serves"], **caps}
            if entry.prompt_format == "chat" and caps["chat_template"] == "none":
                report.problems.append(
                    Problem(
                        f"model {entry.id} (format chat) has no chat template at {ref.base_url}",
                        f"add gguf: (a local copy of the model) to its endpoint in {ref.at()}",
                        required=needed,
                    )
                )
        rows.append(row)
    report.sections["endpoints"] = rows


def _tool_specs(report: Report) -> None:
    from umi_cli.tools.sources import source_files, source_problems

    rows = []
    for file in source_files():
        try:
            problems = [str(problem) for problem in source_problems(file)]
        except UmiError as exc:  # an MCP source without the SDK
            problems = [f"{file}: {exc}"]
        rows.append({"file": str(file), "ok": not problems,
                     "error": problems[0] if problems else None})  # fmt: skip
        if problems:
            report.problems.append(
                Problem(
                    f"tool spec {problems[0]}",
                    f"correct it (umi tools validate {file}) or move it out of the folder",
                )
            )
    report.sections["tool_specs"] = rows


def _paths(report: Report) -> None:
    report.sections["paths"] = {
        "config": str(paths.config_dir()),
        "cache": str(paths.cache_dir()),
        "models": str(paths.models_dir()),
        "data": str(paths.data_dir()),
        "user_catalog": str(paths.user_catalog_file()),
        "user_tool_specs": str(paths.user_tool_specs_dir()),
    }


def _hub(report: Report) -> None:
    import os

    import httpx

    from umi_cli.models import hub

    section: dict[str, Any] = {
        "endpoint": hub.endpoint(),
        "HF_ENDPOINT": os.environ.get("HF_ENDPOINT"),
        "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE"),
    }
    if hub.offline():
        section["answers"] = None
        section["detail"] = "offline mode: not asked"
    else:
        started = time.perf_counter()
        try:
            response = httpx.get(
                f"{section['endpoint']}/api/models", params={"limit": 1}, timeout=HUB_TIMEOUT
            )
            section["answers"] = True
            section["detail"] = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            section["answers"] = False
            section["detail"] = f"{type(exc).__name__}: {exc}"[:200]
            report.problems.append(
                Problem(
                    f"the hub at {section['endpoint']} does not answer ({section['detail']})",
                    "models from installed packages still work; for `umi models pull` check "
                    "the network or HF_ENDPOINT",
                    required=False,
                )
            )
        section["seconds"] = round(time.perf_counter() - started, 3)
    report.sections["hub"] = section


def _smoke(report: Report, found: Any) -> None:
    if found is None:
        return
    catalog, store, profile = found
    entry = catalog.model(next(iter(profile.roles.values())))
    if entry.endpoint is not None:
        _smoke_remote(report, entry)
        return
    presence = store.presence(entry)
    if presence.path is None:
        report.sections["smoke"] = {
            "ran": False,
            "detail": f"{entry.id} is not assembled yet (the first `umi run` does it)",
        }
        return
    from umi_cli.engine import CompletionRequest
    from umi_cli.engine.llama import open_file

    started = time.perf_counter()
    try:
        with _llama_lines() as lines:
            model = open_file(presence.path, 512)
        request = CompletionRequest(SMOKE_PROMPT, max_tokens=SMOKE_TOKENS, temperature=0.0)
        try:
            done = model.complete(request)
        finally:
            model.close()
    except UmiError as exc:
        report.problems.append(
            Problem(
                f"smoke completion on {entry.id} failed: {exc}", f"umi models verify {entry.id}"
            )
        )
        return
    devices = [line.split("using device", 1)[1].strip() for line in lines if "using device" in line]
    report.sections["smoke"] = {
        "ran": True,
        "model": entry.id,
        "device": ", ".join(devices) or "CPU",
        "prompt": SMOKE_PROMPT,
        "text": done.text,
        "generated_tokens": done.stats.generated_tokens,
        "tokens_per_second": round(done.stats.tokens_per_second, 1),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _smoke_remote(report: Report, entry: Any) -> None:
    """The smoke completion on a served default model."""
    from umi_cli.engine import CompletionRequest, complete
    from umi_cli.engine.remote import RemoteOpener

    started = time.perf_counter()
    request = CompletionRequest(SMOKE_PROMPT, max_tokens=SMOKE_TOKENS, temperature=0.0)
    try:
        model = RemoteOpener().open(entry.endpoint, min(entry.context_length, 512))
        try:
            done = complete(model, request)
        finally:
            model.close()
    except UmiError as exc:
        report.problems.append(
            Problem(f"smoke completion on {entry.id} failed: {exc}", "umi models info " + entry.id)
        )
        return
    report.sections["smoke"] = {
        "ran": True, "model": entry.id, "device": model.caps.served_by, "prompt": SMOKE_PROMPT,
        "text": done.text, "generated_tokens": done.stats.generated_tokens,
        "tokens_per_second": round(done.stats.tokens_per_second, 1),
        "seconds": round(time.perf_counter() - started, 3),
    }  # fmt: skip


@contextlib.contextmanager
def _llama_lines() -> Iterator[list[str]]:
    """Every llama.cpp log line of the block (the load log says which device it uses)."""
    collected: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            collected.append(record.getMessage())

    logger = logging.getLogger("umi.llama")
    handler, level, propagate = Collect(), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    # with --debug the lines still reach stderr; without, they only come here
    logger.propagate = propagate and logging.getLogger().isEnabledFor(logging.DEBUG)
    try:
        yield collected
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def _served_default(found: Any) -> bool:
    """Whether the default profile's first model is served (no llama.cpp needed to smoke it)."""
    if found is None:
        return False
    catalog, _store, profile = found
    return catalog.model(next(iter(profile.roles.values()))).endpoint is not None


def diagnose(*, smoke: bool = True) -> Report:
    """Run every check (the smoke completion only with ``smoke``)."""
    report = Report()
    report.sections["versions"] = _versions()
    _llama(report)
    found = _models(report)
    _endpoints(report, found)
    _tool_specs(report)
    _paths(report)
    _hub(report)
    if smoke and ("llama_cpp" in report.sections or _served_default(found)):
        _smoke(report, found)
    return report
