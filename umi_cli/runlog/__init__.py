"""The run log: every run's events in SQLite, searchable, exportable as GLPFT training sets.

``store`` keeps the runs (``RunLog``), ``model`` says what a run is (``LoggedRun``), ``turns``
folds events into the ToolBench conversation and ``glpft`` writes the training sets.
"""

from __future__ import annotations

from umi_cli.runlog.model import LoggedRun, RunSummary
from umi_cli.runlog.query import RunFilter
from umi_cli.runlog.store import RunLog

__all__ = ["LoggedRun", "RunFilter", "RunLog", "RunSummary"]
