"""`umi doctor` on served models: does each server answer, and which chat template applies."""

from __future__ import annotations

import json

from remote_helpers import endpoint_entry, free_port, trio, write_catalog


def test_doctor_reports_each_endpoint_and_its_template(
    run_umi, umi_home, fault_server, served_gguf
) -> None:
    catalog = write_catalog(
        umi_home,
        {
            "chatty": endpoint_entry(f"{fault_server.base_url}/ok", "openai", "chat"),
            "templated": endpoint_entry(
                f"{fault_server.base_url}/ok", "openai", "chat", gguf=str(served_gguf)
            ),
            "gone": endpoint_entry(f"http://127.0.0.1:{free_port()}", "llama-server"),
        },
        {"far": trio("gone")},
    )
    data = json.loads(catalog.read_text())
    catalog.write_text(json.dumps({**data, "default_profile": "far"}))
    done = run_umi("doctor", "--json", "--no-smoke", env={"HF_HUB_OFFLINE": "1"})
    assert done.returncode == 1  # the default profile's server does not answer
    report = json.loads(done.stdout)
    rows = {row["id"]: row for row in report["endpoints"]}
    assert rows["chatty"]["answers"] and rows["chatty"]["chat_template"] == "none"
    assert rows["templated"]["chat_template"] == "local" and rows["templated"]["tokens"] == "local"
    assert rows["gone"]["answers"] is False and "nothing answers at" in rows["gone"]["detail"]
    problems = {p["what"]: p for p in report["problems"]}
    (gone,) = [p for what, p in problems.items() if "nothing answers" in what]
    assert gone["required"] is True
    (chatty,) = [p for what, p in problems.items() if "chatty" in what]
    assert chatty["required"] is False and "add gguf:" in chatty["fix"]
