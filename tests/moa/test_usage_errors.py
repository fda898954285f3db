"""The moa flags and --no-tools used where they do not apply: one line each, exit 2."""

from __future__ import annotations


def one_line(done) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_moa_flags_outside_the_moa_mode(run_umi, moa_catalog) -> None:
    done = run_umi("run", "-p", "chat", "--demo", "--proposals", "2", "Which albums?")
    assert done.returncode == 2
    assert "the MoA flags (--proposer, --proposals, --layers ...) apply to --mode moa" in (
        one_line(done)
    )


def test_no_tools_with_tools_or_a_mode_that_needs_them(run_umi, moa_catalog) -> None:
    done = run_umi("chat", "-p", "chat", "--no-tools", "--demo", input="hi\n")
    assert done.returncode == 2
    assert "--no-tools cannot be used with --tools or --demo" in one_line(done)
    done = run_umi("chat", "-p", "chat", "--no-tools", input="hi\n")
    assert done.returncode == 2
    assert "--no-tools: the alpha-umi mode needs tools; use --mode moa" in one_line(done)
