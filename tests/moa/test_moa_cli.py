"""`umi ask` and `umi run --mode moa` end to end: the real CLI in subprocesses, tiny GGUFs, the
loopback tool server. The JSON events must show every proposal, each layer and the aggregate."""

from __future__ import annotations

from moa_helpers import TIMEOUT, json_events, of, tool_args, write_spec


def test_ask_with_a_mixture_shows_every_proposal_then_the_aggregate(run_umi, moa_catalog) -> None:
    done = run_umi(
        "ask", "-p", "chat", "--mode", "moa", "--proposals", "2", "--proposer-max-tokens", "16",
        "--aggregator-max-tokens", "24", "--seed", "0", "--json", "Name a colour.",
        timeout=TIMEOUT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    events = json_events(done.stdout)
    proposals = of(events, "proposal")
    assert [(p["layer"], p["member"]) for p in proposals] == [(1, 0), (1, 1)]
    assert all(p["text"] and p["error"] is None for p in proposals)
    assert all(p["stats"]["generated_tokens"] <= 16 for p in proposals)  # the proposers' limit
    (layer,) = of(events, "layer")
    assert layer["kept"] == [0, 1] and layer["dropped"] == []
    (answer,) = of(events, "answer")
    assert answer["role"] == "aggregator" and answer["text"]
    assert 16 < answer["stats"]["generated_tokens"] <= 24  # the aggregator's own limit
    names = [event["event"] for event in events]
    assert names.index("layer") < names.index("answer")
    assert names[-1] == "run_finished" and events[-1]["outcome"] == "answered"


def test_ask_reads_the_question_from_stdin_and_prints_the_answer_alone(
    run_umi, moa_catalog
) -> None:
    done = run_umi("ask", "-p", "chat", "--quiet", "-", input="Name a colour.\n", timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() and "{" not in done.stdout  # the answer, no events
    empty = run_umi("ask", "-p", "chat", "-", input="\n")
    assert empty.returncode == 2 and "Traceback" not in empty.stderr
    both = run_umi("ask", "-p", "chat", "--json", "--quiet", "hi")
    assert both.returncode == 2 and "--json and --quiet cannot be used together" in both.stderr


def test_run_in_moa_mode_calls_the_api_with_proposals_in_every_role(
    run_umi, moa_catalog, tool_server, tmp_path
) -> None:
    spec = write_spec(tmp_path)
    done = run_umi(
        "run", "-p", "calling", "--mode", "moa", "--proposals", "3", "--proposer-max-tokens",
        "24", "--max-steps", "1", "--seed", "0", *tool_args(spec, tool_server.base_url),
        "--json", "What is the weather in Paris?", timeout=TIMEOUT,
    )  # fmt: skip
    assert done.returncode in (0, 3), done.stderr  # answered or gave up: both end cleanly
    events = json_events(done.stdout)
    by_role: dict[str, list[dict]] = {}
    for proposal in of(events, "proposal"):
        by_role.setdefault(proposal["role"], []).append(proposal)
    assert [p["member"] for p in by_role["planner"][:3]] == [0, 1, 2]
    assert len(by_role["caller"]) >= 3  # the caller's proposals, before agreement or aggregate
    (call, *_) = of(events, "call")
    assert call["api"].startswith("all_weather")
    assert len(tool_server.requests) == len(of(events, "call"))  # every call reached the API
    planners = of(events, "planner")
    assert planners and all(p["decision"] in ("caller", "conclusion", "give up") for p in planners)
    names = [event["event"] for event in events]
    assert names.index("proposal") < names.index("planner") < names.index("call")
    assert names[-1] == "run_finished"
