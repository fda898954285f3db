"""Inputs that are not what umi expects end as one line and an exit code, before any model loads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_bytes(umi_home: Path, args: list[str], stdin: bytes | None = None):
    env = {**os.environ, "UMI_HOME": str(umi_home), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "umi_cli", *args], input=stdin, env=env, cwd=REPO_ROOT,
        capture_output=True, timeout=120,
    )  # fmt: skip


def test_a_task_on_stdin_that_is_not_utf8_is_refused_before_loading(umi_home):
    done = run_bytes(umi_home, ["run", "-", "-p", "no-such-profile"], stdin=b"caf\xe9 au lait")
    assert done.returncode == 2
    assert done.stderr.decode().strip().splitlines() == [
        "umi: error: standard input is not UTF-8 text (byte 3); give the task as UTF-8"
    ]  # it did not get as far as the profile


def test_a_task_argument_that_is_not_utf8_is_refused(umi_home):
    done = run_bytes(umi_home, ["run", os.fsdecode(b"caf\xe9"), "-p", "no-such-profile"])
    assert done.returncode == 2
    assert b"the TASK argument is not UTF-8 text" in done.stderr


def test_models_info_of_a_missing_file_says_so(run_umi):
    result = run_umi("models", "info", "./missing.gguf")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "umi: error: ./missing.gguf: no such file (give a GGUF file path or a model id)"
    )


@pytest.mark.parametrize("delay", [0.1, 0.2, 0.35])
def test_ctrl_c_at_start_up_is_quiet(umi_home, delay):
    env = {**os.environ, "UMI_HOME": str(umi_home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "umi_cli", "tools", "list"], env=env, cwd=REPO_ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert b"Traceback" not in err
    assert process.returncode in (0, 130, -signal.SIGINT), err  # done, interrupted, or killed
    if process.returncode == 130:
        lines = err.decode().strip().splitlines()
        assert lines[-1:] in ([], ["umi: interrupted"]), err
