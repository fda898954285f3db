"""`umi export`: logged runs as GLPFT training sets and ToolBench trajectories, real CLI.

Inputs are checked against the templates of FORMAT.md itself (read from the document, rendered
here with its rules), not against umi's own renderer.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import TIMEOUT
from logged_runs import DOCUMENTS, agent_runs, write_runs

from umi_cli.eval.steps import load_trajectories, step_samples

FORMAT_MD = Path(__file__).resolve().parents[2] / ".." / "shared" / "alpha-umi" / "FORMAT.md"
SETS = ("train_planner", "train_caller", "train_summarizer", "train_backbone")
#: FORMAT.md §1 and §3: the cue after each template, and how each turn is written.
CUES = {"train_planner": " assistant: ", "train_caller": " caller: ",
        "train_summarizer": " conclusion: ", "train_backbone": " assistant: "}  # fmt: skip
TURNS = {"user": ("user: ", "</s>"), "assistant": ("assistant: ", "</s>"),
         "caller": ("caller: ", "</s>"), "observation": ("observation: ", ""),
         "conclusion": ("conclusion: ", "</s>")}  # fmt: skip


def format_templates() -> dict[str, str]:
    """PLANNER, CALLER, SUMMARIZER and BACKBONE from FORMAT.md's Python blocks."""
    if not FORMAT_MD.exists():
        pytest.skip(f"{FORMAT_MD} not present")
    found: dict[str, Any] = {}
    for block in re.findall(r"```python\n(.*?)```", FORMAT_MD.read_text(encoding="utf-8"), re.S):
        exec(block, {}, found)  # the document's own string literals
    return {name: found[name] for name in ("PLANNER", "CALLER", "SUMMARIZER", "BACKBONE")}


def merged(history: list[dict[str, str]]) -> list[dict[str, str]]:
    """§2: a planner turn and the caller turn after it are one turn in the backbone's history."""
    out: list[dict[str, str]] = []
    for turn in history:
        if turn["from"] == "caller" and out and out[-1]["from"] == "assistant":
            thought = out[-1]["value"].removesuffix("Next: caller.")
            thought = (
                thought.removesuffix("\n ") if thought.endswith("\n ") else thought.rstrip(" ")
            )
            out[-1] = {"from": "assistant", "value": thought + "\n" + turn["value"]}
        else:
            out.append(dict(turn))
    return out


def render(name: str, item: dict[str, Any]) -> str:
    """The input FORMAT.md prescribes for an item's tools and history."""
    templates, tools, history = format_templates(), item["tools"], item["history"]
    if name == "train_backbone":
        history = merged(history)
    serialized = "".join(TURNS[t["from"]][0] + t["value"] + TURNS[t["from"]][1] for t in history)
    template = templates[
        {
            "train_planner": "PLANNER",
            "train_caller": "CALLER",
            "train_summarizer": "SUMMARIZER",
            "train_backbone": "BACKBONE",
        }[name]
    ]
    text = (template.replace("{doc}", "".join(json.dumps(tool) + "\n" for tool in tools))
            .replace("{history}", serialized)
            .replace("{tool_names}", ", ".join(tool["Name"] for tool in tools)))  # fmt: skip
    if name == "train_caller":
        text = text.replace("{thought}", item["history"][-1]["value"])
    return text + CUES[name]


def exported(folder: Path) -> dict[str, list[dict[str, Any]]]:
    sets = {}
    for name in SETS:
        text = (folder / f"{name}.json").read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2)  # the authors' file layout
        sets[name] = json.loads(text)
    return sets


def check_inputs(sets: dict[str, list[dict[str, Any]]]) -> None:
    for name, items in sets.items():
        for item in items:
            assert list(item) == ["tools", "history", "input", "target"]
            assert item["input"] == render(name, item), name  # byte for byte


def test_glpft_items_render_back_to_their_input(run_umi, umi_home: Path, tmp_path: Path) -> None:
    write_runs(umi_home, "Daft Punk's id?", 2)
    write_runs(umi_home, "hopeless", 1, outcome="gave_up")
    out = tmp_path / "glpft"
    done = run_umi("export", "glpft", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"exported 2 runs to {out}"
    assert "2 runs used α-UMi prompts: their inputs are byte for byte what the models saw" in (
        done.stdout
    )
    sets = exported(out)
    assert {name: len(items) for name, items in sets.items()} == {
        "train_planner": 4, "train_caller": 2, "train_summarizer": 2, "train_backbone": 4,
    }  # fmt: skip
    check_inputs(sets)
    planner = sets["train_planner"][0]
    assert planner["tools"] == DOCUMENTS
    assert planner["history"] == [{"from": "user", "value": "Daft Punk's id? 0"}]
    assert planner["target"] == "I should search the artist.\n Next: caller."
    assert sets["train_caller"][0]["target"].startswith("Action: search_artist_for_deezer\n")
    assert sets["train_summarizer"][0]["target"] == "Daft Punk's id is **27**."
    assert (
        sets["train_backbone"][1]["target"]
        == "The id is 27.\nconclusion: Daft Punk's id is **27**."
    )

    every = run_umi("export", "glpft", "--out", str(tmp_path / "all"), "--where", "all", "--json")
    report = json.loads(every.stdout)
    assert report["runs"] == 3 and report["files"]["train_planner.json"] == 6
    assert report["exact_runs"] == 3 and report["rendered_runs"] == {}
    check_inputs(exported(tmp_path / "all"))  # a give-up's backbone target included
    assert "Next: give up." in json.dumps(exported(tmp_path / "all")["train_planner"])


def test_chat_format_runs_are_exported_and_named(run_umi, umi_home: Path, tmp_path) -> None:
    write_runs(umi_home, "alpha", 1)
    write_runs(umi_home, "chatty", 2, prompt_format="chat:readable")
    done = run_umi("export", "glpft", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "1 run used α-UMi prompts" in done.stdout
    said = (
        "2 runs used chat:readable prompts: exported in the same structure, with `input` "
        "rendered by the α-UMi templates (not the prompts those models saw)"
    )
    assert said in done.stdout
    sets = exported(tmp_path / "out")
    assert len(sets["train_planner"]) == 6
    check_inputs(sets)
    report = json.loads(run_umi("export", "glpft", "--out", str(tmp_path / "j"), "--json").stdout)
    assert (report["exact_runs"], report["rendered_runs"]) == (1, {"chat:readable": 2})


def test_selection_and_errors(run_umi, umi_home: Path, tmp_path: Path) -> None:
    nothing = run_umi("export", "glpft", "--out", str(tmp_path / "none"))
    assert nothing.returncode == 1 and "no logged run matches --where answered" in nothing.stderr
    write_runs(umi_home, "music", 1)
    write_runs(umi_home, "hopeless", 1, outcome="gave_up")

    def runs(*args: str) -> int:
        got = run_umi("export", "glpft", "--out", str(tmp_path / "sel"), "--json", *args)
        return json.loads(got.stdout)["runs"] if got.returncode == 0 else got.returncode

    assert runs() == 1 and runs("--where", "gave_up") == 1 and runs("--where", "all") == 2
    assert runs("--tool", "deezer") == 1 and runs("--tool", "open_meteo", "--where", "all") == 2
    assert runs("--tool", "spotify") == 1  # exit 1: nothing matches
    assert runs("--since", "1d") == 1 and runs("--since", "2999-01-01") == 1
    missing = run_umi("export", "glpft", "--out", str(tmp_path / "x"), "--since", "2999-01-01")
    assert "--since 2999-01-01" in missing.stderr and "nothing written" in missing.stderr
    assert not (tmp_path / "x").exists()
    bad = run_umi("export", "glpft", "--out", str(tmp_path / "x"), "--where", "won")
    assert bad.returncode == 2 and "--where won: unknown outcome" in bad.stderr
    bad = run_umi("export", "glpft", "--out", str(tmp_path / "x"), "--format", "csv")
    assert bad.returncode == 2 and "--format csv: unknown; choose glpft or toolbench" in bad.stderr
    (tmp_path / "file").write_text("")
    bad = run_umi("export", "glpft", "--out", str(tmp_path / "file"))
    assert bad.returncode == 2 and "is a file; give a folder" in bad.stderr


def test_toolbench_format(run_umi, umi_home: Path, tmp_path: Path) -> None:
    write_runs(umi_home, "music", 2)
    first = run_umi("export", "glpft", "--format", "toolbench", "--out", str(tmp_path / "a"))
    second = run_umi("export", "toolbench", "--out", str(tmp_path / "b"))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "toolbench.json  2 items" in first.stdout
    text = (tmp_path / "a" / "toolbench.json").read_text(encoding="utf-8")
    assert text == (tmp_path / "b" / "toolbench.json").read_text(encoding="utf-8")
    trajectories = load_trajectories(tmp_path / "a" / "toolbench.json")
    assert [t["instruction"] for t in trajectories] == ["music 0", "music 1"]
    assert [s.decision for s in step_samples(trajectories)] == ["caller", "conclusion"] * 2


@pytest.mark.slow
@pytest.mark.usefixtures("tiny_profiles")
def test_a_real_logged_chat_exports_and_evaluates(
    run_umi, umi_home: Path, music_spec: Path, tool_server, tmp_path: Path
) -> None:
    tasks = ("Find a song about love", "And one about rain")
    done = agent_runs(umi_home, "tiny", music_spec, tool_server.base_url, *tasks, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    printed = [json.loads(line) for line in done.stdout.splitlines()]
    rows = json.loads(run_umi("logs", "list", "--json").stdout)
    assert [row["task"] for row in rows] == list(reversed(tasks))
    assert {row["command"] for row in rows} == {"chat"}
    runs = [json.loads(run_umi("logs", "show", str(row["id"]), "--json").stdout) for row in rows]
    first, second = reversed(runs)
    assert first["events"] + second["events"] == printed  # the log holds the `--json` lines
    assert (first["prompt_format"], first["mode"], first["profile"]) == (
        "alpha-umi",
        "alpha-umi",
        "tiny",
    )
    assert [d["Name"] for d in first["documents"]] == ["browse_music_for_testapi"]
    assert second["memory"][0] == {"from": "user", "value": tasks[0]}  # the chat's memory

    glpft = run_umi("export", "glpft", "--out", str(tmp_path / "glpft"), "--where", "all")
    assert glpft.returncode == 0, glpft.stderr
    sets = exported(tmp_path / "glpft")
    assert sets["train_planner"] and sets["train_caller"]
    check_inputs(sets)
    assert sets["train_planner"][-1]["history"][: len(second["memory"])] == second["memory"]

    bench = tmp_path / "toolbench"
    assert run_umi("export", "toolbench", "--out", str(bench), "--where", "all").returncode == 0
    samples = step_samples(load_trajectories(bench / "toolbench.json"))
    result = run_umi(
        "eval", "toolbench", str(bench / "toolbench.json"), "--profile", "tiny", "--limit", "2",
        "-o", str(tmp_path / "eval"), "--json", timeout=TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["metrics"]["samples"] == min(2, len(samples)) > 0
    assert metrics["settings"]["data"] == str((bench / "toolbench.json").resolve())
