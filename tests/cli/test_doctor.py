"""`umi doctor`: the real CLI on this machine, with a tiny default profile and no hub."""

from __future__ import annotations

import json
import socket
import time

import pytest

from umi_cli.doctor import features

pytestmark = pytest.mark.usefixtures("tiny_profiles")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def doctor_env() -> dict[str, str | None]:
    return {"HF_ENDPOINT": f"http://127.0.0.1:{closed_port()}", "HF_HUB_OFFLINE": None}


def default_tiny(umi_home) -> None:
    catalog = umi_home / "config" / "models.yaml"
    data = json.loads(catalog.read_text())
    data["default_profile"] = "tiny"
    catalog.write_text(json.dumps(data))


def test_json_report_names_the_decision_and_runs_the_smoke_completion(run_umi, umi_home):
    default_tiny(umi_home)
    started = time.monotonic()
    result = run_umi("doctor", "--json", env={**doctor_env(), "UMI_LLAMA_EXTRA_BUFTS": "off"})
    assert time.monotonic() - started < 30  # the unreachable hub costs at most its timeout
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["healthy"] is True
    assert report["versions"]["llama_cpp_python"]
    assert report["extra_buffers"] == {
        "enabled": False, "reason": "UMI_LLAMA_EXTRA_BUFTS=off", "setting": "off",
    }  # fmt: skip
    assert report["llama_cpp"]["threads"] >= 1
    assert report["default_profile"] == {
        "id": "tiny", "roles": dict.fromkeys(("planner", "caller", "summarizer"), "tiny-calling"),
        "ready": True,
    }  # fmt: skip
    assert report["hub"]["answers"] is False and report["hub"]["seconds"] < 5
    assert [p["required"] for p in report["problems"]] == [False]  # only the hub
    smoke = report["smoke"]
    assert smoke["ran"] and smoke["model"] == "tiny-calling" and smoke["device"] == "CPU"
    assert smoke["generated_tokens"] == 16
    assert all(row["ok"] for row in report["tool_specs"])
    assert report["paths"]["data"] == str(umi_home / "data")
    assert not (umi_home / "data").exists() and not (umi_home / "cache").exists()  # writes nothing


def test_a_broken_tool_spec_is_a_problem_naming_the_fix(run_umi, umi_home):
    specs = umi_home / "config" / "tool_specs"
    specs.mkdir(parents=True)
    (specs / "broken.yaml").write_text("name: broken\nbase_url: ftp://x\napis: []\n")
    result = run_umi("doctor", "--no-smoke", env=doctor_env())
    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith("✗")]
    assert len(problems) == 1 and "broken.yaml:2: base_url" in problems[0]
    assert "(fix: correct it (umi tools validate" in problems[0]
    assert "healthy" not in result.stdout


def test_offline_mode_does_not_ask_the_hub(run_umi):
    result = run_umi("doctor", "--json", "--no-smoke", env={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["hub"]["answers"] is None and "smoke" not in report
    assert report["problems"] == []


def test_features_parse_llama_cpp_system_info():
    info = "CPU : SSE3 = 1 | AVX2 = 1 | AMX_INT8 = 0 | REPACK = 1 | "
    assert features(info) == {"SSE3": True, "AVX2": True, "AMX_INT8": False, "REPACK": True}
