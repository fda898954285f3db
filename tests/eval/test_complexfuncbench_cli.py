"""`umi eval complexfuncbench` end to end: the real CLI, tiny models on llama.cpp, a replay.

The tiny models' choices are made deterministic by their preferences and by the grammar: the only
function offered takes one argument whose ``enum`` has one value, so the caller can only write
that call. With the reference value the task succeeds; with another value it cannot.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from support.tiny_gguf import write_tiny_gguf

from umi_cli.eval.complexfuncbench.data import DATA_FILE, SPEC_FILE

PLANNER = {"a": 8.0, "c": 5.0}  # thought "aaa…", then "caller."
CALLER = {"S": 3.0}
SUMMARIZER = {"z": 8.0}

TASK = {
    "input": "Find the car rental location at the San Diego Marriott La Jolla.",
    "output": [
        {
            "name": "Search_Car_Location",
            "arguments": {"query": "San Diego Marriott La Jolla"},
            "label": "var1",
            "response": [
                {"city": "San Diego", "name": "San Diego Marriott La Jolla",
                 "coordinates": {"latitude": 32.873055, "longitude": -117.215935}}
            ],
        }
    ],
}  # fmt: skip


def spec(values: list[str]) -> list[dict]:
    return [
        {
            "name": "Search_Car_Location",
            "description": "Find car rental location by searching for their name, city, etc.",
            "host": "booking-com15.p.rapidapi.com",
            "endpoint": "/api/v1/cars/searchDestination",
            "query_parameters": {
                "query": {
                    "type": "string",
                    "description": "Names of locations, cities, districts, places, etc.",
                    "required": True,
                    "enum": values,
                    "default": None,
                }
            },
        }
    ]


def data_folder(root: Path, values: list[str]) -> Path:
    root.mkdir()
    (root / DATA_FILE).write_text(json.dumps([TASK]), encoding="utf-8")
    (root / SPEC_FILE).write_text(json.dumps(spec(values)), encoding="utf-8")
    return root


@pytest.fixture
def trio_profile(umi_home: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("cfb_models")
    models, roles = {}, {}
    for role, prefer in (("planner", PLANNER), ("caller", CALLER), ("summarizer", SUMMARIZER)):
        path = write_tiny_gguf(folder / f"{role}.gguf", prefer=prefer)
        data = path.read_bytes()
        models[f"tiny-{role}"] = {
            "description": f"tiny {role}",
            "sources": [{"path": str(path)}],
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "format": "alpha-umi",
            "context_length": 4096,
            "defaults": {"temperature": 0.0, "top_p": 1.0, "max_tokens": 160},
        }
        roles[role] = f"tiny-{role}"
    config = umi_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    catalog = {"models": models, "profiles": {"tiny-cfb": {"roles": roles}}}
    (config / "models.yaml").write_text(yaml.safe_dump(catalog), encoding="utf-8")
    return "tiny-cfb"


def run_eval(run_umi, profile: str, data: Path, out: Path):
    return run_umi(
        "eval", "complexfuncbench", "--profile", profile, "--data", data, "-o", out,
        "--max-steps", "2", "--context", "4096", "--json", timeout=300,
    )  # fmt: skip


def test_the_right_call_succeeds_and_a_wrong_one_scores_zero(run_umi, trio_profile, tmp_path):
    right = run_eval(run_umi, trio_profile, data_folder(tmp_path / "right", [
        "San Diego Marriott La Jolla"]), tmp_path / "out_right")  # fmt: skip
    assert right.returncode == 0, right.stderr
    metrics = json.loads(right.stdout)["metrics"]
    assert metrics["tasks"] == 1
    assert metrics["success_rate"] == 100.0
    assert metrics["call_accuracy"] == 100.0
    record = json.loads((tmp_path / "out_right" / "predictions.jsonl").read_text())
    assert record["calls"][0] == {
        "name": "Search_Car_Location",
        "arguments": {"query": "San Diego Marriott La Jolla"},
        "outcome": "match",
        "label": "var1",
    }
    observations = [e for e in record["events"] if e["event"] == "observation"]
    assert observations[0]["ok"] is True and "32.873055" in observations[0]["text"]
    assert record["events"][-1]["event"] == "run_finished"

    wrong = run_eval(run_umi, trio_profile, data_folder(tmp_path / "wrong", ["Paris"]),
                     tmp_path / "out_wrong")  # fmt: skip
    assert wrong.returncode == 0, wrong.stderr
    metrics = json.loads(wrong.stdout)["metrics"]
    assert metrics["success_rate"] == 0.0 and metrics["call_accuracy"] == 0.0
    record = json.loads((tmp_path / "out_wrong" / "predictions.jsonl").read_text())
    assert record["calls"][0]["arguments"] == {"query": "Paris"}
    assert record["calls"][0]["outcome"] == "miss"
    observations = [e for e in record["events"] if e["event"] == "observation"]
    assert observations[0]["ok"] is False  # the benchmark's general error, for the agent to see

    again = run_eval(run_umi, trio_profile, tmp_path / "wrong", tmp_path / "out_wrong")
    assert again.returncode == 0 and "resuming: 1 of 1" in again.stderr
    assert len((tmp_path / "out_wrong" / "predictions.jsonl").read_text().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--mode", "nope"], "--mode nope"),
        (["--functions", "some"], "--functions some"),
        (["--split", "test"], "--split test"),
        (["--data", "missing-folder"], "--data missing-folder"),
    ],
)
def test_bad_flags_are_one_line(run_umi, args, named):
    result = run_umi("eval", "complexfuncbench", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], result.stderr
