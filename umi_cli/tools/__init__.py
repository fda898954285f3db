"""Tools behind the Toolset seam: YAML/HTTP specs first; the Toolbox combines toolsets."""

from umi_cli.tools.http.execute import ExecutionSettings
from umi_cli.tools.http.spec import Api, Parameter, ToolSpec
from umi_cli.tools.toolbox import Toolbox
from umi_cli.tools.toolset import FailureKind, ToolDef, ToolResult, Toolset

__all__ = [
    "Api",
    "ExecutionSettings",
    "FailureKind",
    "Parameter",
    "ToolDef",
    "ToolResult",
    "ToolSpec",
    "Toolbox",
    "Toolset",
]
