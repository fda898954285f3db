"""Long-term memory: lessons the CMAT mode learns from its tasks, kept in SQLite.

``lessons`` (what a lesson is, scrubbing, decay), ``store`` (the database), ``recall`` (which
lessons a task sees, and the memory a mode talks to). ``umi memory`` lists and forgets them.
"""

from __future__ import annotations

from umi_cli.memory.lessons import LESSON_KINDS, Lesson, LessonKey, scrub
from umi_cli.memory.recall import LongTermMemory, select
from umi_cli.memory.store import LessonStore, memory_path

__all__ = [
    "LESSON_KINDS",
    "Lesson",
    "LessonKey",
    "LessonStore",
    "LongTermMemory",
    "memory_path",
    "scrub",
    "select",
]
