"""Benchmark: KV prefix reuse per slot against re-evaluating every prompt from scratch.

A 4-step α-UMi-style episode on one shared model: each step runs the planner (slot "planner")
and the caller (slot "caller") on prompts that carry the tool list and the growing history, then
appends the thought, the call and an observation. The same episode runs twice in this process:
with per-slot prefix reuse, and with every slot forgotten before each call (baseline). Prints
per-call figures, both wall times and the speedup.

    python bench/engine.py [--model PATH] [--n-ctx 4096] [--max-tokens 32]

Without ``--model`` the pocket model is located through ``umi_cli.models`` (assembled from the
installed pocket packages when needed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from umi_cli.engine import CompletionRequest
from umi_cli.engine.llama import LlamaBackend, LlamaOpener
from umi_cli.models.refs import FileRef

POCKET_ID = "qwen2.5-coder-0.5b-instruct-q4_k_m"

TOOLS = [
    {
        "Name": f"{name}_for_{api}",
        "function": description,
        "input": {key: f"string, {hint}" for key, hint in params.items()},
    }
    for name, api, description, params in [
        (
            "current_weather",
            "open_meteo",
            "Current weather at a place: temperature, wind.",
            {"latitude": "decimal degrees", "longitude": "decimal degrees"},
        ),
        (
            "geocode_city",
            "open_meteo",
            "Find coordinates, country and population of a city.",
            {"name": "city name", "count": "number of results, default 1"},
        ),
        (
            "exchange_rate",
            "frankfurter",
            "Latest exchange rate between two currencies.",
            {"from": "ISO currency code", "to": "ISO currency code"},
        ),
        (
            "country_info",
            "rest_countries",
            "Capital, region, languages and currency of a country.",
            {"name": "country name"},
        ),
        (
            "public_holidays",
            "nager_date",
            "Public holidays of a country in a year.",
            {"year": "four digits", "country_code": "ISO 3166 alpha-2"},
        ),
        (
            "search_books",
            "open_library",
            "Search books by title or author; returns editions.",
            {"q": "free text query", "limit": "max results"},
        ),
    ]
]
TOOLS.append(
    {
        "Name": "Finish",
        "function": "Finish the task with an answer or give up.",
        "input": {
            "return_type": "string, give_answer or give_up",
            "final_answer": "string, the answer",
        },
    }
)

PLANNER = (
    "You have assess to the following apis:\n{doc}\nThe conversation history is:\n{history}\n"
    "You are the assistant to plan what to do next and whether is caller's or conclusion's turn "
    "to answer.\nAnswer with a following format:\nThe thought of the next step, followed by "
    "Next: caller or conclusion or give up. assistant: "
)
CALLER = (
    "You have assess to the following apis:\n{doc}\nThe conversation history is:\n{history}\n"
    "The thought of this step is:\n{thought}\nBase on the thought make an api call in the "
    "following format:\nAction: the name of api that should be called in this step, should be "
    "exactly in [{names}],\nAction Input: the api call request. caller: "
)
TASK = (
    "I am planning a trip to Lisbon next spring. What is the weather there right now, how many "
    "euros is 100 US dollars today, and which public holidays does Portugal have in 2025?"
)
STEPS = [
    (
        "I should first find the coordinates of Lisbon.",
        "geocode_city_for_open_meteo",
        {"name": "Lisbon", "count": 1},
        {
            "results": [
                {
                    "name": "Lisbon",
                    "latitude": 38.72,
                    "longitude": -9.14,
                    "country": "Portugal",
                    "population": 517802,
                }
            ]
        },
    ),
    (
        "Now get the current weather at these coordinates.",
        "current_weather_for_open_meteo",
        {"latitude": 38.72, "longitude": -9.14},
        {"current": {"temperature_2m": 17.3, "wind_speed_10m": 11.2, "weather_code": 2}},
    ),
    (
        "Next, convert 100 US dollars to euros.",
        "exchange_rate_for_frankfurter",
        {"from": "USD", "to": "EUR"},
        {"amount": 1.0, "base": "USD", "rates": {"EUR": 0.9214}},
    ),
    (
        "Finally, list Portugal's public holidays in 2025.",
        "public_holidays_for_nager_date",
        {"year": "2025", "country_code": "PT"},
        [
            {"date": d, "localName": n}
            for d, n in [
                ("2025-01-01", "Ano Novo"),
                ("2025-04-18", "Sexta-feira Santa"),
                ("2025-04-25", "Dia da Liberdade"),
                ("2025-06-10", "Dia de Portugal"),
                ("2025-12-25", "Natal"),
            ]
        ],
    ),
]


def fill(template: str, **values: str) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def episode(model: LlamaBackend, *, reuse: bool, max_tokens: int) -> list[tuple]:
    """Run the 4 steps; return (step, role, stats) per call."""
    doc = "".join(json.dumps(tool) + "\n" for tool in TOOLS)
    names = ", ".join(tool["Name"] for tool in TOOLS)
    history = f"user: {TASK}</s>"
    rows = []
    for step, (thought, api, arguments, observation) in enumerate(STEPS, 1):
        for role, prompt in (
            ("planner", fill(PLANNER, doc=doc, history=history)),
            ("caller", fill(CALLER, doc=doc, history=history, thought=thought, names=names)),
        ):
            if not reuse:
                model.forget()
            request = CompletionRequest(
                prompt, stop=("</s>",), max_tokens=max_tokens, temperature=0, slot=role
            )
            rows.append((step, role, model.complete(request).stats))
        history += (
            f"assistant: {thought}\n Next: caller.</s>"
            f"caller: Action: {api}\nAction Input: {json.dumps(arguments)}</s>"
            f"observation: {json.dumps(observation)}</s>"
        )
    return rows


def locate_model(path: Path | None) -> Path:
    if path is not None:
        return path
    try:
        from umi_cli.models.catalog import load_catalog
        from umi_cli.models.store import ModelStore
    except ImportError:
        sys.exit("umi_cli.models is not available; pass --model PATH")
    return ModelStore().ensure(load_catalog().model(POCKET_ID), download=False)


def report(title: str, rows: list[tuple], wall: float) -> None:
    print(f"\n{title}")
    print(
        f"{'step':>4} {'role':<8} {'prompt':>7} {'cached':>7} {'share':>6} "
        f"{'prompt s':>9} {'gen tok':>7} {'gen s':>7}"
    )
    for step, role, s in rows:
        share = s.cached_tokens / s.prompt_tokens if s.prompt_tokens else 0.0
        print(
            f"{step:>4} {role:<8} {s.prompt_tokens:>7} {s.cached_tokens:>7} {share:>6.1%} "
            f"{s.prompt_seconds:>9.2f} {s.generated_tokens:>7} {s.generation_seconds:>7.2f}"
        )
    total = sum((s for _, _, s in rows[1:]), rows[0][2])
    print(
        f"total: {total.prompt_tokens} prompt tokens, {total.cached_tokens} from cache "
        f"({total.cached_tokens / total.prompt_tokens:.1%}), prompt eval "
        f"{total.prompt_seconds:.2f} s, generation {total.generation_seconds:.2f} s, "
        f"wall {wall:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="GGUF file (default: the pocket model)")
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    engine = LlamaOpener(n_threads=args.threads)
    path = locate_model(args.model)
    model = engine.open(FileRef(path), args.n_ctx)
    print(
        f"model {path.name}, n_ctx {model.n_ctx}, threads {engine.n_threads}, "
        f"gpu layers {engine.n_gpu_layers}"
    )
    model.complete(CompletionRequest("Warm-up.", max_tokens=4, temperature=0, slot="warmup"))
    model.forget()

    results = {}
    for title, reuse in (("per-slot prefix reuse", True), ("baseline: from scratch", False)):
        switches, switch_s = model.slots.switches, model.slots.switch_seconds
        started = time.perf_counter()
        rows = episode(model, reuse=reuse, max_tokens=args.max_tokens)
        wall = time.perf_counter() - started
        report(title, rows, wall)
        if reuse:
            print(
                f"slot switches: {model.slots.switches - switches}, "
                f"{model.slots.switch_seconds - switch_s:.3f} s in total"
            )
        results[reuse] = (wall, sum(s.prompt_seconds for _, _, s in rows))
        model.forget()
    (base_wall, base_prompt), (reuse_wall, reuse_prompt) = results[False], results[True]
    print(
        f"\nspeedup of prefix reuse: {base_wall / reuse_wall:.2f}x wall "
        f"({base_wall:.2f} s -> {reuse_wall:.2f} s), {base_prompt / reuse_prompt:.2f}x prompt "
        f"evaluation ({base_prompt:.2f} s -> {reuse_prompt:.2f} s)"
    )


if __name__ == "__main__":
    main()
