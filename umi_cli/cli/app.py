"""The `umi` entry point: global flags, command groups, and the error boundary."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from umi_cli import __version__, paths
from umi_cli.cli import (
    ask,
    batch,
    chat,
    doctor,
    eval_compare,
    eval_e2e,
    evaluate,
    export,
    logs,
    memory,
    models,
    run,
    tools,
)
from umi_cli.errors import UmiError
from umi_cli.secrets import install_log_redaction, redact

try:  # typer >= 0.20 vendors its own click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer on the real click
    from click import exceptions as click_errors  # type: ignore[no-redef]  # the same module

app = typer.Typer(
    name="umi",
    help="umi: small open models use real APIs as planner, caller and summarizer (α-UMi).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(models.app, name="models")
app.add_typer(tools.app, name="tools")
app.add_typer(evaluate.app, name="eval")
eval_compare.register(evaluate.app)
app.add_typer(logs.app, name="logs")
app.add_typer(export.app, name="export")
app.add_typer(memory.app, name="memory")
eval_e2e.register(evaluate.app)
run.register(app)
ask.register(app)
chat.register(app)
batch.register(app)
doctor.register(app)

_debug = False


def debug_enabled() -> bool:
    """True when `--debug` was given: tracebacks and llama.cpp logs are shown."""
    return _debug


def _version(value: bool) -> None:
    if value:
        typer.echo(f"umi {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks and llama.cpp logs.")
    ] = False,
    home: Annotated[
        Path | None,
        typer.Option("--home", envvar="UMI_HOME", help="Keep config and cache under this folder."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """umi: small open models use real APIs as planner, caller and summarizer (α-UMi)."""
    global _debug
    _debug = debug
    paths.set_home(home)
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    install_log_redaction()  # every record, whatever library logs it, has secrets masked


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors become one line on stderr with their exit code."""
    try:
        code = app(args=argv, prog_name="umi", standalone_mode=False)
    except click_errors.NoArgsIsHelpError as exc:  # `umi` alone: the help, as click does
        exc.show()
        sys.exit(exc.exit_code)
    except click_errors.UsageError as exc:  # bad flag or argument: one line naming it, exit 2
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        print(f"umi: error: {exc.format_message()}{where}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except click_errors.ClickException as exc:
        print(f"umi: error: {exc.format_message()}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("umi: interrupted", file=sys.stderr)
        sys.exit(130)
    except UmiError as exc:
        if _debug:
            print(redact(traceback.format_exc()), end="", file=sys.stderr)
        print(f"umi: error: {redact(str(exc))}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("umi: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # our bug: say so in one line; the traceback with --debug
        if _debug:
            print(redact(traceback.format_exc()), end="", file=sys.stderr)
        print(
            f"umi: internal error: {type(exc).__name__}: {redact(str(exc))} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
