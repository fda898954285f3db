"""`umi batch --jobs N`: tasks in flight at once against a server, exact resume after SIGKILL,
and one job (said in one line) for models that run in-process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from remote_helpers import TIMEOUT, endpoint_entry, file_entry, tool_spec, trio, write_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]


def write_tasks(path: Path, ids: list[str]) -> Path:
    path.write_text("".join(json.dumps({"id": i, "query": f"songs for {i}"}) + "\n" for i in ids))
    return path


def result_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_jobs_against_a_server_resume_exactly_after_sigkill(
    umi_home, llama_cpp_server, fault_server, tmp_path
) -> None:
    write_catalog(
        umi_home,
        {"there": endpoint_entry(llama_cpp_server.base_url, "llama-cpp-python", parallel=3)},
        {"there": trio("there")},
    )
    spec = tool_spec(tmp_path, fault_server.base_url, path="/tool/slow")  # 2 s per call
    ids = [f"job-{n}" for n in range(6)]
    tasks = write_tasks(tmp_path / "tasks.jsonl", ids)
    out = tmp_path / "results.jsonl"
    command = [
        sys.executable, "-m", "umi_cli", "batch", str(tasks), "-o", str(out), "-p", "there",
        "--tools", str(spec), "--max-steps", "1", "--jobs", "3", "--json",
    ]  # fmt: skip
    env = {**os.environ, "UMI_HOME": str(umi_home)}
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while not (out.exists() and out.read_text().count("\n") >= 1):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no result line appeared"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    first = result_lines(out)
    assert 1 <= len(first) < len(ids)  # killed mid-batch, with tasks in flight
    assert httpx.get(fault_server.base_url + "/stats").json()["max_inflight"] >= 2  # concurrent

    done = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, done.stderr
    assert "running 1 job" not in done.stderr
    records = result_lines(out)
    assert sorted(r["id"] for r in records) == ids  # every id exactly once
    assert records[: len(first)] == first  # what was recorded stays as it was
    assert all(r["outcome"] == "answered" and r["calls"] == 1 for r in records), records
    summary = json.loads(done.stdout)
    assert summary["skipped"] == len(first) and summary["tasks"] == len(ids)


def test_jobs_on_an_in_process_profile_run_one_and_say_so(
    run_umi, umi_home, served_gguf, tool_server, tmp_path
) -> None:
    write_catalog(umi_home, {"here": file_entry(served_gguf)}, {"here": trio("here")})
    tasks = write_tasks(tmp_path / "tasks.jsonl", ["a", "b"])
    out = tmp_path / "results.jsonl"
    spec = tool_spec(tmp_path, tool_server.base_url)
    done = run_umi(
        "batch", tasks, "-o", out, "-p", "here", "--tools", spec, "--max-steps", "1",
        "--jobs", "3", timeout=TIMEOUT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (note,) = [line for line in done.stderr.splitlines() if "running 1 job" in line]
    assert note.startswith("umi: --jobs 3: model 'umi-tiny-test' (in-process llama.cpp) runs one")
    assert note.endswith("completion at a time; running 1 job")
    assert [r["id"] for r in result_lines(out)] == ["a", "b"]
