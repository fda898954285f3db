"""`python -m umi_cli.demo [PORT]`: serve the demo music API until Ctrl-C."""

from __future__ import annotations

import contextlib
import sys
import threading

from umi_cli.demo import DEMO_TOOL, SPEC_PATH, DemoServer


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    with DemoServer(port=port) as server:
        print(f"demo music API at {server.url}", flush=True)
        print(f'try: umi run --tools {SPEC_PATH} --base-url {DEMO_TOOL}={server.url} "..."')
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
