"""The aggregate-and-synthesize prompt, byte for byte, and where the references go."""

from __future__ import annotations

import pytest

from umi_cli.agent import format as fmt
from umi_cli.agent.chat_prompts import ChatPrompt
from umi_cli.agent.dialects import AlphaUmiDialect, ChatDialect
from umi_cli.agent.moa.prompt import (
    AGGREGATE_PROMPT,
    ReferencedDialect,
    chat_messages,
    inject_references,
    references_block,
)

#: togethercomputer/MoA utils.py, ``inject_references_to_messages`` (a copy kept apart from the
#: code under test, in the reference's own line layout).
REFERENCE_SYSTEM = """You have been provided with a set of responses from various open-source models to the latest user query. Your task is to synthesize these responses into a single, high-quality response. It is crucial to critically evaluate the information provided in these responses, recognizing that some of it may be biased or incorrect. Your response should not simply replicate the given answers but should offer a refined, accurate, and comprehensive reply to the instruction. Ensure your response is well-structured, coherent, and adheres to the highest standards of accuracy and reliability.

Responses from models:"""  # noqa: E501


def reference_inject(messages: list[dict], references: list[str]) -> list[dict]:
    """The reference implementation, transcribed."""
    import copy

    messages = copy.deepcopy(messages)
    system = REFERENCE_SYSTEM
    for i, reference in enumerate(references):
        system += f"\n{i + 1}. {reference}"
    if messages[0]["role"] == "system":
        messages[0]["content"] += "\n\n" + system
    else:
        messages = [{"role": "system", "content": system}, *messages]
    return messages


def test_the_prompt_is_the_references_byte_for_byte() -> None:
    assert AGGREGATE_PROMPT == REFERENCE_SYSTEM
    assert AGGREGATE_PROMPT.endswith("Responses from models:")
    assert references_block(["a b", "c\nd"]) == REFERENCE_SYSTEM + "\n1. a b\n2. c\nd"


def test_without_a_system_message_the_block_becomes_it() -> None:
    messages = [{"role": "user", "content": "Why is the sky blue?"}]
    references = ["Rayleigh scattering.", "Because of the air.", "Short waves scatter more."]
    injected = inject_references(messages, references)
    assert injected == reference_inject(messages, references)
    assert injected[0] == {
        "role": "system",
        "content": REFERENCE_SYSTEM
        + "\n1. Rayleigh scattering.\n2. Because of the air.\n3. Short waves scatter more.",
    }
    assert injected[1:] == messages
    assert messages == [{"role": "user", "content": "Why is the sky blue?"}]  # not changed


def test_an_existing_system_message_gets_the_block_after_a_blank_line() -> None:
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "Why?"},
    ]
    injected = inject_references(messages, ["one", "two"])
    assert injected == reference_inject(messages, ["one", "two"])
    assert injected[0]["content"] == "You are terse.\n\n" + REFERENCE_SYSTEM + "\n1. one\n2. two"
    assert injected[1:] == messages[1:]
    assert messages[0]["content"] == "You are terse."


def test_references_are_a_list_never_the_characters_of_one_string() -> None:
    with pytest.raises(TypeError, match="list of texts"):
        references_block("a whole answer")  # type: ignore[arg-type]
    assert inject_references([{"role": "user", "content": "q"}], []) == [
        {"role": "user", "content": "q"}
    ]


def test_role_prompts_carry_the_references_in_their_system_message() -> None:
    history = [{"from": "user", "value": "How warm is it in Oslo?"}]
    chat = ReferencedDialect(ChatDialect(), ("first thought", "second thought"))
    plain = ChatDialect().summarizer(history)
    referenced = chat.summarizer(history)
    assert isinstance(plain, ChatPrompt) and isinstance(referenced, ChatPrompt)
    assert referenced.system == (
        plain.system + "\n\n" + REFERENCE_SYSTEM + "\n1. first thought\n2. second thought"
    )
    assert referenced.messages()[1] == plain.messages()[1]  # the user message is unchanged
    alpha = ReferencedDialect(AlphaUmiDialect(), ("x",)).summarizer(history)
    assert alpha.opening == ""
    assert alpha.head == REFERENCE_SYSTEM + "\n1. x\n\n"  # type: ignore[attr-defined]


def test_a_question_conversation_as_chat_messages() -> None:
    turns: list[fmt.Turn] = [
        {"from": "user", "value": "Hi"},
        {"from": "conclusion", "value": "Hello."},
        {"from": "user", "value": "And?"},
    ]
    assert chat_messages(turns) == [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "And?"},
    ]
