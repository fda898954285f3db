"""umi: small open models cooperating as planner, caller and summarizer (α-UMi)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("umi-cli")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
