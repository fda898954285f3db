"""umi's per-role KV slots mapped onto a server's slots (llama-server's ``id_slot``).

In-process, each role (``request.slot``) keeps its own cache. A server has ``total`` slots, each
holding the last prompt it evaluated; a request pinned to a slot whose prompt it extends only
evaluates the new suffix. So each completion leases a free server slot, preferring the one whose
last text shares the longest prefix with the new prompt (the same role of the same task, then the
same role of another task: their instructions and tool documents match), then one that last
served the same role, then the least recently used; it is released with the prompt plus the
output. With every slot busy (more requests in flight than slots) the server chooses (-1).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass

ANY_SLOT = -1


def shared_prefix(a: str, b: str) -> int:
    """Length of the common prefix of ``a`` and ``b`` (binary search over C comparisons)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


@dataclass
class ServerSlot:
    """What umi last sent to one server slot."""

    id: int
    role: str | None = None
    text: str = ""
    used: int = 0
    busy: bool = False


class SlotMap:
    """Leases server slots to completions (thread-safe)."""

    def __init__(self, total: int) -> None:
        self.slots = [ServerSlot(i) for i in range(max(total, 0))]
        self._clock = itertools.count(1)
        self._lock = threading.Lock()

    def lease(self, role: str, prompt: str) -> int:
        """The server slot for a completion of ``role`` on ``prompt`` (``ANY_SLOT``: none free)."""
        with self._lock:
            free = [slot for slot in self.slots if not slot.busy]
            if not free:
                return ANY_SLOT

            def score(slot: ServerSlot) -> tuple[int, bool, int]:
                shared = shared_prefix(slot.text, prompt) if slot.text else 0
                return (shared, slot.role == role, -slot.used)

            best = max(free, key=score)
            best.busy, best.role, best.used = True, role, next(self._clock)
            return best.id

    def release(self, slot_id: int, text: str) -> None:
        """The completion on ``slot_id`` ended; the slot now holds ``text`` (prompt + output,
        or nothing when the completion failed)."""
        if slot_id == ANY_SLOT:
            return
        with self._lock:
            slot = self.slots[slot_id]
            slot.busy, slot.text = False, text

    def forget(self, role: str | None = None) -> None:
        """Stop preferring the slots of ``role`` (all when None): its next prompt starts afresh."""
        with self._lock:
            for slot in self.slots:
                if role is None or slot.role == role:
                    slot.text, slot.role = "", None
