"""llama.cpp stays silent unless logging asks for it; CPU threads follow physical cores."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from umi_cli.engine.llama import physical_cores

SCRIPT = textwrap.dedent(
    """
    import logging, sys
    if sys.argv[2] == "debug":
        logging.basicConfig(level=logging.DEBUG, format="LOG %(name)s %(message)s")
    from umi_cli.engine import CompletionRequest
    from umi_cli.engine.llama import GrammarError, check_grammar, open_file
    model = open_file(sys.argv[1])
    done = model.complete(CompletionRequest("hi", grammar='root ::= "ok"', temperature=0))
    try:
        check_grammar('root ::= root "x"')
    except GrammarError:
        pass
    print("RESULT", done.text, done.stop_reason)
    """
)


def _run(model: Path, mode: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(model), mode],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_llama_cpp_prints_nothing_by_default(tiny_gguf: Path) -> None:
    done = _run(tiny_gguf, "quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "RESULT ok eos\n"
    assert done.stderr == ""


def test_llama_cpp_log_goes_through_python_logging(tiny_gguf: Path) -> None:
    done = _run(tiny_gguf, "debug")
    assert done.returncode == 0, done.stderr
    llama_lines = [ln for ln in done.stderr.splitlines() if ln.startswith("LOG umi.llama ")]
    assert any("llama_context" in ln for ln in llama_lines)
    assert any("left recursion" in ln for ln in llama_lines)
    stray = [ln for ln in done.stderr.splitlines() if ln and not ln.startswith("LOG ")]
    assert stray == []


CPUINFO = "\n\n".join(
    f"processor\t: {cpu}\nphysical id\t: {cpu // 4}\ncore id\t\t: {(cpu // 2) % 2}\nsiblings\t: 4"
    for cpu in range(8)
)


def test_physical_cores_counts_cores_not_hyperthreads(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text(CPUINFO)
    assert physical_cores(info, usable=set(range(8))) == 4  # 2 sockets x 2 cores x 2 threads
    assert physical_cores(info, usable={0, 1}) == 1  # two threads of one core
    assert physical_cores(tmp_path / "missing", usable={0, 1, 2}) == 3
