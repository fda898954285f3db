"""Stop-string scanning on a byte stream, piece by piece."""

from __future__ import annotations

from umi_cli.engine.stops import StopScanner


def test_possible_stop_start_is_held_back_then_released() -> None:
    scanner = StopScanner(("ab",))
    assert [scanner.feed(b) for b in (b"1", b"a", b"2")] == ["1", "", "a2"]
    assert scanner.feed(b"a") == "" and scanner.feed(b"b") == ""
    assert scanner.stopped and scanner.result == "1a2"
    assert scanner.feed(b"more") == "" and scanner.finish() == ""


def test_split_multibyte_character_waits_until_whole() -> None:
    scanner = StopScanner(("</s>",))
    data = "é🙂".encode()
    pieces = [scanner.feed(data[i : i + 1]) for i in range(len(data))]
    assert pieces == ["", "é", "", "", "", "🙂"]


def test_held_back_text_is_flushed_at_the_end() -> None:
    scanner = StopScanner(("\nObservation:",))
    assert scanner.feed(b"done\nObs") == "done"
    assert scanner.finish() == "\nObs"
    assert not scanner.stopped and scanner.result == "done\nObs"


def test_truncated_utf8_at_the_end_becomes_a_replacement_character() -> None:
    scanner = StopScanner()
    assert scanner.feed(b"ok\xe2\x82") == "ok"
    assert scanner.finish() == "\ufffd"
