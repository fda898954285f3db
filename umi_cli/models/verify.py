"""``umi models verify``: load a GGUF and check what α-UMi relies on, then complete a prompt."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from umi_cli.errors import UmiError

#: A prompt in the α-UMi history format (FORMAT.md §3): the ``</s>`` must become EOS.
PROBE_PROMPT = "user: What is the weather in Paris?</s>assistant: "


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class VerifyReport:
    """The outcome of each check, plus what the model produced."""

    path: Path
    checks: list[Check] = field(default_factory=list)
    completion: str = ""
    tokens_per_second: float | None = None

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(name, ok, detail))

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "ok": self.ok,
            "checks": [c.__dict__ for c in self.checks],
            "completion": self.completion,
            "tokens_per_second": self.tokens_per_second,
        }


def _int(metadata: dict, key: str) -> int | None:
    try:
        return int(metadata[key])
    except (KeyError, ValueError):
        return None


def _probe_context(path: Path, most: int = 512) -> int:
    """A small context for the probe, never above what the model was trained for."""
    import gguf

    try:
        reader = gguf.GGUFReader(path)
        arch = reader.fields["general.architecture"].contents()
        trained = int(reader.fields[f"{arch}.context_length"].contents())
    except Exception:  # unreadable metadata: llama.cpp's own load reports the problem
        return most
    return max(32, min(most, trained))


def _check_tokens(report: VerifyReport, llm, eos_text: str | None) -> None:
    import llama_cpp

    from umi_cli.engine.llama.backend import tokenize

    metadata = llm.metadata
    bos, eos = (
        _int(metadata, "tokenizer.ggml.bos_token_id"),
        _int(metadata, "tokenizer.ggml.eos_token_id"),
    )
    n_vocab = llm.n_vocab()
    ids_ok = bos is not None and eos is not None and bos != eos and max(bos, eos) < n_vocab
    report.add("bos/eos", ids_ok, f"BOS {bos}, EOS {eos}")
    if eos is None or eos >= n_vocab:
        return
    text = llm.detokenize([eos], special=True).decode("utf-8", "replace")
    if eos_text is not None and text != eos_text:
        report.add("eos text", False, f"EOS token {eos} is {text!r}, expected {eos_text!r}")
        return
    prompt = PROBE_PROMPT.replace("</s>", text)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    ids = tokenize(vocab, prompt.encode(), add_bos=False, special=True)
    report.add(
        "eos in prompt",
        ids.count(eos) == 1,
        f"{text!r} inside a prompt tokenizes to EOS {eos}"
        if eos in ids
        else f"{text!r} inside a prompt did not become token {eos}: {ids[:12]}…",
    )


def verify_model(
    path: Path,
    *,
    architecture: str | None = "llama",
    vocab_size: int | None = None,
    eos_text: str | None = "</s>",
    max_tokens: int = 16,
    n_threads: int | None = None,
) -> VerifyReport:
    """Load ``path`` with llama.cpp and check architecture, vocabulary size, BOS/EOS, that the
    EOS text inside a prompt becomes the EOS id, and that a short greedy completion runs.

    ``None`` for an expectation skips comparing it (the value is still reported).
    """
    from umi_cli.engine.llama.gguf_header import check_gguf
    from umi_cli.engine.llama.loading import open_llama

    if not path.is_file():
        raise UmiError(f"{path}: no such model file")
    report = VerifyReport(path)
    try:
        check_gguf(path)
    except UmiError as exc:
        report.add("load", False, f"{path.name}: {exc}")
        return report
    try:
        llm = open_llama(
            str(path),
            n_ctx=_probe_context(path),
            n_threads=n_threads,
            verbose=False,
            seed=0,
        )
    except (ValueError, RuntimeError) as exc:
        report.add("load", False, f"llama.cpp could not load the file ({exc})")
        return report
    try:
        metadata = llm.metadata
        arch = metadata.get("general.architecture")
        report.add("load", True, f"loaded {path.name}")
        report.add("architecture", architecture is None or arch == architecture, f"{arch}")
        n_vocab = llm.n_vocab()
        declared = _int(metadata, f"{arch}.vocab_size")
        expected = vocab_size if vocab_size is not None else declared
        report.add(
            "vocabulary",
            expected is None or n_vocab == expected,
            f"{n_vocab} tokens" + (f", expected {expected}" if expected != n_vocab else ""),
        )
        _check_tokens(report, llm, eos_text)
        started = time.perf_counter()
        out: Any = llm.create_completion(PROBE_PROMPT, max_tokens=max_tokens, temperature=0.0)
        seconds = time.perf_counter() - started
        produced = out["usage"]["completion_tokens"]
        report.completion = out["choices"][0]["text"]
        report.tokens_per_second = produced / seconds if seconds > 0 else None
        finish = out["choices"][0]["finish_reason"]
        report.add("completion", produced > 0 or finish == "stop", f"{produced} tokens ({finish})")
    finally:
        llm.close()
    return report


def expectations(prompt_format: str) -> dict:
    """What ``verify_model`` should insist on for a catalog model of this prompt format:
    α-UMi models are LLaMA-2 with ``</s>`` as EOS (FORMAT.md §3, §8); others only load."""
    if prompt_format == "alpha-umi":
        return {"architecture": "llama", "eos_text": "</s>"}
    return {"architecture": None, "eos_text": None}


def report_lines(report: VerifyReport) -> list[str]:
    """The report as plain lines for the terminal."""
    lines = [f"{'ok  ' if c.ok else 'FAIL'} {c.name:<14} {c.detail}" for c in report.checks]
    if report.completion or report.tokens_per_second:
        speed = f" ({report.tokens_per_second:.1f} tokens/s)" if report.tokens_per_second else ""
        lines.append(f"     {'output':<14} {report.completion!r}{speed}")
    return lines
