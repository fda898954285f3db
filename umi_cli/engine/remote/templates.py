"""Chat templates for a served model: rendered here from its GGUF when one is given, else by the
server where it offers that (llama-server's ``/apply-template``), else not at all (raw α-UMi
prompts need none).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from umi_cli.engine.remote.local import LocalVocab
from umi_cli.errors import UmiError
from umi_cli.models.refs import EndpointRef

Rendering = Literal["local", "server", "none"]
ServerRender = Callable[[dict[str, Any]], Any]


class ChatRenderer:
    """``render(messages)`` as a prompt string; ``how`` says where it is rendered."""

    def __init__(
        self,
        ref: EndpointRef,
        *,
        local: LocalVocab | None = None,
        server: ServerRender | None = None,
    ) -> None:
        self.ref = ref
        self.local = local if local is not None and local.template else None
        self.server = server
        self.how: Rendering = "local" if self.local else "server" if server else "none"

    def render(
        self,
        messages: list[dict[str, Any]],
        *,
        add_generation_prompt: bool = True,
        tools: list[dict[str, Any]] | None = None,
    ) -> str:
        if self.local is not None:
            return self.local.render_chat(
                messages, add_generation_prompt=add_generation_prompt, tools=tools,
                model_name=self.ref.model_id,
            )  # fmt: skip
        if self.server is None:
            raise UmiError(
                f"model '{self.ref.model_id}': a {self.ref.flavor} server renders no chat "
                f"template; add gguf: (a local copy of the model) to the endpoint in "
                f"{self.ref.at()}, or use format: alpha-umi"
            )
        body: dict[str, Any] = {"messages": messages}
        body["add_generation_prompt"] = add_generation_prompt
        if tools:
            body["tools"] = tools
        answer = self.server(body)
        prompt = answer.get("prompt") if isinstance(answer, dict) else None
        if not isinstance(prompt, str):
            raise UmiError(
                f"model '{self.ref.model_id}': {self.ref.base_url} rendered the chat template "
                "without a 'prompt'; is the flavor right?"
            )
        return prompt
