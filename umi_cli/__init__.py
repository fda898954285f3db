"""umi: small open models cooperating as planner, caller and summarizer (α-UMi).

Importing the package imports nothing else (the entry point guards Ctrl-C around the CLI's
imports); ``__version__`` is read from the installed metadata on first use.
"""

from __future__ import annotations


def __getattr__(name: str) -> str:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("umi-cli")
        except PackageNotFoundError:  # running from a source tree that was not installed
            return "0.0.0+source"
    raise AttributeError(name)
