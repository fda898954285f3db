"""ComplexFuncBench (Zhong et al. 2025) in NESTFUL form: tasks, tools, replay and scoring.

The data comes from ``nestful-wrapper`` 0.1.7 (``data_v1/complexfuncbench/``): 1,000 multi-step
Booking.com tasks with their reference calls and recorded responses, and the 40 functions. Tasks
0-499 are the development split; 500-999 are kept aside for acceptance checks.

- :mod:`.data` loads tasks and function specs;
- :mod:`.tools` turns the functions into :class:`~umi_cli.tools.toolset.ToolDef` values;
- :mod:`.complexeval` holds the benchmark evaluator's rules and observation texts;
- :mod:`.matcher` matches an agent's call against a task's reference calls;
- :mod:`.replay` serves recorded responses as a :class:`~umi_cli.tools.toolset.Toolset`;
- :mod:`.metrics` scores a task's calls and aggregates, next to the published leaderboard.
"""
