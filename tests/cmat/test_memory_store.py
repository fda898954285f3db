"""Long-term memory on disk: lessons, keys, decay, recall, forgetting, scrubbing (real SQLite)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from umi_cli import secrets
from umi_cli.errors import UmiError
from umi_cli.memory import LessonKey, LessonStore, LongTermMemory, select
from umi_cli.memory.lessons import BASE_STRENGTH_DAYS, FORGET_BELOW, MAX_LESSON_CHARS
from umi_cli.memory.migrations import MIGRATIONS, schema_version
from umi_cli.memory.store import MAX_LESSONS

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SEARCH = LessonKey("search_artist_for_music", "music")
TRACKS = LessonKey("album_tracks_for_music", "music")


def days(n: float) -> datetime:
    return NOW + timedelta(days=n)


@pytest.fixture
def store(tmp_path):
    with LessonStore(tmp_path / "memory.db") as opened:
        yield opened


def test_a_lesson_is_stored_keyed_and_written_again_only_confirms_it(store):
    first, new = store.add("search_artist needs the artist's name", [SEARCH], "failure", now=NOW)
    assert new and first.apis == ("search_artist_for_music",) and first.tools == ("music",)
    again, new = store.add(
        "  search_artist needs the\nartist's name ", [SEARCH, TRACKS], "failure", now=days(3)
    )
    assert not new and again.id == first.id  # one line, whitespace folded: the same lesson
    assert set(again.apis) == {"search_artist_for_music", "album_tracks_for_music"}
    assert again.written_at == first.written_at and again.confirmed_at == days(3)
    assert [lesson.id for lesson in store.keyed(["album_tracks_for_music"])] == [first.id]
    assert store.keyed(["other_api"]) == [] and store.keyed([], ["music"])[0].id == first.id


def test_retention_decays_with_age_and_helping_slows_it(store):
    plain, _ = store.add("album_tracks answered 500 for every id", [TRACKS], "failure", now=NOW)
    helpful, _ = store.add("search_artist takes a name", [SEARCH], "success", now=NOW)
    store.credit([helpful.id], helped=True, now=NOW)
    store.credit([plain.id], helped=False, now=NOW)
    plain, helpful = store.get(plain.id), store.get(helpful.id)
    assert plain.retention(NOW) == pytest.approx(1.0) and helpful.retention(NOW) == 1.0
    assert (plain.uses, plain.helped, helpful.uses, helpful.helped) == (1, 0, 1, 1)
    later = days(BASE_STRENGTH_DAYS)
    assert helpful.retention(later) > plain.retention(later)  # helped: stronger
    assert plain.retention(later) < 1 / 2.718  # an unhelpful use weakened it
    assert helpful.retention(days(1)) < 1.0


def test_faded_lessons_are_forgotten_when_memory_is_written(store):
    old, _ = store.add("album_tracks answered 500 for every id", [TRACKS], "failure", now=NOW)
    much_later = days(BASE_STRENGTH_DAYS * 3)  # retention e^-3 < 0.1
    assert old.retention(much_later) < FORGET_BELOW
    fresh, _ = store.add("search_artist takes a name", [SEARCH], "success", now=much_later)
    assert [lesson.id for lesson in store.lessons()] == [fresh.id]
    assert store.fade(much_later) == 0


def test_memory_stays_under_its_cap(store, monkeypatch):
    monkeypatch.setattr("umi_cli.memory.store.MAX_LESSONS", 3)
    for number in range(5):
        store.add(f"lesson number {number}", [SEARCH], "failure", now=days(number))
    kept = store.lessons()
    assert len(kept) == 3 and MAX_LESSONS > 3
    assert [lesson.text for lesson in kept] == [f"lesson number {n}" for n in (4, 3, 2)]


def test_recall_ranks_by_retention_and_keeps_to_top_k_and_the_token_cap(store):
    for age, text in enumerate(["newest lesson", "older lesson", "oldest lesson"]):
        store.add(text, [SEARCH], "failure", now=days(-age * 7))
    store.add("about the tool only", [LessonKey("other_api", "music")], "failure", now=NOW)
    store.add("about another tool", [LessonKey("x_for_weather", "weather")], "failure", now=NOW)
    lessons = store.lessons()
    offered = {"search_artist_for_music": "music"}
    chosen = select(lessons, offered, now=NOW, top_k=10)
    assert [lesson.text for lesson in chosen] == [
        "newest lesson",
        "older lesson",
        "about the tool only",
        "oldest lesson",
    ]  # fmt: skip  (a tool-only lesson counts half: 0.5 against e^-0.5 and e^-1)
    assert [x.text for x in select(lessons, offered, now=NOW, top_k=2)] == [
        "newest lesson", "older lesson",
    ]  # fmt: skip
    one_word = select(lessons, offered, now=NOW, token_cap=2, count_tokens=lambda t: len(t.split()))
    assert [lesson.text for lesson in one_word] == ["newest lesson"]  # the next ones do not fit
    assert select(lessons, {"unknown_api": "nowhere"}, now=NOW) == []
    faded = select(lessons, offered, now=days(365))
    assert faded == []


def test_long_term_memory_reads_without_creating_and_credits(tmp_path):
    memory = LongTermMemory(tmp_path / "data" / "memory.db")
    assert memory.recall({"search_artist_for_music": "music"}) == []
    assert not memory.path.exists()
    lesson, new = memory.write("search_artist takes a name", [SEARCH], "success")
    assert new and memory.path.exists()
    (recalled,) = memory.recall({"search_artist_for_music": "music"})
    memory.credit([recalled.id], helped=True)
    with LessonStore(memory.path) as store:
        assert (store.get(lesson.id).uses, store.get(lesson.id).helped) == (1, 1)


def test_forget_one_by_tool_and_all(store):
    a, _ = store.add("lesson a", [SEARCH], "failure")
    store.add("lesson b", [TRACKS], "failure")
    store.add("lesson c", [LessonKey("x_for_weather", "weather")], "failure")
    assert store.forget(a.id) == 1 and store.forget(a.id) == 0
    with pytest.raises(UmiError, match=f"no lesson with id {a.id}"):
        store.get(a.id)
    assert store.forget_tool("album_tracks_for_music") == 1  # by API name
    assert store.forget_tool("weather") == 1  # by tool spec name
    store.add("lesson d", [SEARCH], "failure")
    assert store.forget_all() == 1 and store.lessons() == []
    db = sqlite3.connect(store.path)
    assert db.execute("SELECT COUNT(*) FROM lesson_keys").fetchone()[0] == 0  # keys cascade


def test_no_secret_and_no_long_text_is_ever_stored(store):
    canary = "canary-7f3c2b9e1d"
    secrets.remember(canary)
    try:
        lesson, _ = store.add(
            f"api_for_x rejected the key {canary} and %s" % ("long " * 100),
            [LessonKey(f"api_{canary}", canary)],
            "failure",
        )
    finally:
        secrets.forget_all()
    assert canary not in lesson.text and "***" in lesson.text
    assert len(lesson.text) <= MAX_LESSON_CHARS
    for name in ("memory.db", "memory.db-wal"):
        path = store.path.parent / name
        if path.exists():
            assert canary.encode() not in path.read_bytes()


def test_the_schema_is_versioned_and_a_newer_file_is_refused(tmp_path):
    path = tmp_path / "memory.db"
    LessonStore(path).close()
    db = sqlite3.connect(path)
    assert schema_version(db) == len(MIGRATIONS) == 1
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(UmiError, match="newer than this umi knows"):
        LessonStore(path)


def test_a_file_that_is_not_a_database_is_one_line(tmp_path):
    path = tmp_path / "memory.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(UmiError, match="not a readable memory database") as caught:
        LessonStore(path)
    assert "\n" not in str(caught.value)
