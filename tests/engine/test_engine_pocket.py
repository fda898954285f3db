"""One real completion on the embedded Qwen2.5-Coder-0.5B model, with its own chat template."""

from __future__ import annotations

from pathlib import Path

import pytest

from umi_cli.engine import CompletionRequest
from umi_cli.engine.llama import open_file

pytestmark = [pytest.mark.pocket, pytest.mark.slow]


def test_pocket_model_answers_through_its_chat_template(pocket_gguf: Path) -> None:
    model = open_file(pocket_gguf, n_ctx=2048)
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What is 17 + 25? Reply with the number only."},
    ]
    prompt = model.render_chat(messages)
    assert prompt.startswith("<|im_start|>system\n") and prompt.endswith("<|im_start|>assistant\n")
    pieces: list[str] = []
    request = CompletionRequest(prompt, temperature=0, max_tokens=16, slot="summarizer")
    done = model.complete(request, pieces.append)
    assert done.text.strip() == "42"
    assert done.stop_reason == "eos"  # <|im_end|> is an end-of-generation token
    assert "".join(pieces) == done.text
    stats = done.stats
    assert stats.prompt_tokens == model.count_tokens(prompt)  # Qwen adds no BOS
    assert stats.cached_tokens == 0 and 1 <= stats.generated_tokens <= 16

    # the next turn extends the history: only the new suffix is evaluated
    follow = model.render_chat(
        [*messages, {"role": "assistant", "content": done.text}, {"role": "user", "content": "x2?"}]
    )
    again = model.complete(
        CompletionRequest(follow, temperature=0, max_tokens=8, slot="summarizer")
    )
    assert again.stats.cached_tokens >= stats.prompt_tokens
    assert again.text.strip()
