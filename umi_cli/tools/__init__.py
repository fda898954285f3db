"""Tools: YAML API specs, their validation, α-UMi rendering, grammars and HTTP execution."""

from umi_cli.tools.execute import ExecutionSettings, ToolResult
from umi_cli.tools.spec import Api, Parameter, ToolSpec
from umi_cli.tools.toolbox import Toolbox

__all__ = ["Api", "ExecutionSettings", "Parameter", "ToolResult", "ToolSpec", "Toolbox"]
