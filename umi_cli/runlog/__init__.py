"""The run log: every run's events in SQLite, searchable, exportable as GLPFT training sets.

``store`` keeps the runs (``RunLog``), ``model`` says what a run is (``LoggedRun``), ``turns``
folds events into the ToolBench conversation and ``glpft`` writes the training sets.
``writer`` is the event consumer that logs each run (``RunLogWriter``, ``run_loggers``),
``settings`` says whether runs are logged and where, and ``revive`` turns stored events back
into typed events for the Rich views.
"""

from __future__ import annotations

from umi_cli.runlog.model import LoggedRun, RunSummary
from umi_cli.runlog.query import RunFilter
from umi_cli.runlog.store import RunLog

__all__ = ["LoggedRun", "RunFilter", "RunLog", "RunSummary"]
