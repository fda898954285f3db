"""The `umi` command's entry point: nothing but the interrupt guard before the CLI is imported.

Importing the CLI (Typer, Rich, httpx) takes a noticeable fraction of a second; a Ctrl-C in that
window must end the process quietly (exit 130), not with a ``KeyboardInterrupt`` traceback.
"""

from __future__ import annotations

import sys

from umi_cli.errors import EXIT_INTERRUPTED


def main() -> None:
    """Import and run the CLI; an interrupt during the import is one line and exit 130."""
    try:
        from umi_cli.cli.app import main as run_cli
    except KeyboardInterrupt:
        sys.stderr.write("umi: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    run_cli()
