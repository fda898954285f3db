"""KV-cache slots: each slot (a role) keeps its own evaluated tokens on one shared context.

One llama.cpp context holds the KV cache of the *active* slot in sequence 0. When another slot
takes the context, the active slot's sequence state (its KV cells) is copied out with
``llama_state_seq_get_data`` and parked; the incoming slot's parked state, if any, is copied
back with ``llama_state_seq_set_data``. The cost of a switch is two memory copies proportional
to the tokens held (about 12 KB per token for Qwen2.5-0.5B), measured in ``switch_seconds``;
staying on one slot costs nothing.
"""

from __future__ import annotations

import ctypes
import logging
import time
from dataclasses import dataclass

import llama_cpp
from llama_cpp import Llama

from umi_cli.errors import UmiError

log = logging.getLogger(__name__)
_SEQ = 0


@dataclass
class ParkedSlot:
    """A slot's evaluated tokens and the bytes of its KV sequence state."""

    tokens: list[int]
    state: bytes


class SlotTable:
    """Which slot owns the context now, and the parked state of the others."""

    def __init__(self, llm: Llama) -> None:
        self.llm = llm
        self.active: str | None = None
        self.parked: dict[str, ParkedSlot] = {}
        self.switches = 0
        self.switch_seconds = 0.0

    def tokens(self) -> list[int]:
        """Tokens whose KV entries the context holds now (those of the active slot)."""
        return self.llm.input_ids[: self.llm.n_tokens].tolist()

    def activate(self, slot: str) -> None:
        """Make ``slot`` own the context, restoring what it had evaluated before."""
        if slot == self.active:
            return
        started = time.perf_counter()
        if self.active is not None and self.llm.n_tokens > 0:
            self.parked[self.active] = ParkedSlot(self.tokens(), self._save())
        self._clear()
        incoming = self.parked.pop(slot, None)
        if incoming is not None:
            self._restore(incoming)
        self.active = slot
        self.switches += 1
        self.switch_seconds += time.perf_counter() - started
        log.debug("slot %s active (%d tokens kept)", slot, self.llm.n_tokens)

    def forget(self, slot: str | None = None) -> None:
        """Drop the cached tokens of ``slot`` (all slots when None)."""
        if slot is None or slot == self.active:
            self._clear()
        if slot is None:
            self.parked.clear()
        else:
            self.parked.pop(slot, None)

    def _save(self) -> bytes:
        ctx = self.llm.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, _SEQ)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, _SEQ)
        if written == 0:
            raise UmiError("llama.cpp could not save the KV cache of a slot (see --debug)")
        return bytes(buffer)[:written]

    def _restore(self, parked: ParkedSlot) -> None:
        buffer = (ctypes.c_uint8 * len(parked.state)).from_buffer_copy(parked.state)
        read = llama_cpp.llama_state_seq_set_data(self.llm.ctx, buffer, len(parked.state), _SEQ)
        if read == 0:  # state did not fit: start the slot afresh, which is always correct
            log.warning("could not restore a parked KV slot; it will be re-evaluated")
            self._clear()
            return
        n = len(parked.tokens)
        self.llm.input_ids[:n] = parked.tokens
        self.llm.n_tokens = n

    def _clear(self) -> None:
        memory = llama_cpp.llama_get_memory(self.llm.ctx)
        if memory is not None:
            llama_cpp.llama_memory_clear(memory, True)
        self.llm.n_tokens = 0
