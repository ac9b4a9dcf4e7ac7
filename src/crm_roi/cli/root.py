"""The ``crm-roi`` app: its root (``--version``), :func:`main`, and the one place where errors
become an exit code and one ``Error: …`` line — ours, and the CLI framework's own (an unknown
option, a missing argument, a bad choice or number) — and where the ``--log-json`` line is
written. ``-h`` is ``--help``; each command's help ends with examples.

Exit codes: 0 ok, 1 data (or output) error, 2 usage error, 3 ROI below --fail-under-roi,
143 stopped by SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer._click.core import Context
from typer._click.exceptions import (
    BadParameter,
    ClickException,
    MissingParameter,
    NoArgsIsHelpError,
    UsageError,
)
from typer._click.formatting import HelpFormatter
from typer.core import TyperCommand, TyperGroup

from crm_roi import __version__
from crm_roi.cli import process
from crm_roi.cli.emit import say
from crm_roi.errors import CrmRoiError

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_ROI = 0, 1, 2, 3
EXIT_TERM = process.EXIT_TERM  # 143


def build_app() -> typer.Typer:
    """The ``crm-roi`` app and its commands, in the order ``--help`` lists them."""
    from crm_roi.cli import (
        cohorts,
        compare,
        compute,
        customers,
        funnel,
        inspect,
        invest,
        validate,
    )

    app = typer.Typer(
        name="crm-roi",
        cls=OneLineErrors,
        context_settings={"help_option_names": ["-h", "--help"]},
        help="What did our sales and marketing effort return? ROI, CAC, CLV and more from CRM "
        "and ledger exports, with the fully loaded cost.",
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        # A cron log wants plain lines; a person at a terminal gets Rich's panels.
        rich_markup_mode="rich" if sys.stderr is not None and sys.stderr.isatty() else None,
    )
    app.callback()(root)
    for module in (validate, inspect, compute, funnel, cohorts, compare, invest, customers):
        name = module.__name__.rsplit(".", 1)[1]
        app.command(cls=WithExamples, epilog=module.EXAMPLES)(getattr(module, name))
    return app


class OneLineErrors(TyperGroup):
    """The app's command group: the framework's own usage errors — an unknown option or
    command, a missing argument, a bad choice or number — become one ``Error: …`` line and
    exit 2, like ours (typer would print the usage and a hint on lines of their own, or a
    Rich box). ``crm-roi`` alone still prints the help."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        given = (args, prog_name, complete_var)
        if not standalone_mode:
            return super().main(*given, False, windows_expand_args, **extra)
        try:
            code = super().main(*given, False, windows_expand_args, **extra)
        except NoArgsIsHelpError as exc:  # the help: already printed when Rich drew it
            if exc.format_message():
                exc.show()
            sys.exit(exc.exit_code)
        except ClickException as exc:
            say(usage_message(exc), "Error: ")
            sys.exit(exc.exit_code)
        except typer.Abort:
            say("Aborted!")
            sys.exit(EXIT_DATA)
        sys.exit(code if isinstance(code, int) else EXIT_OK)


def usage_message(exc: ClickException) -> str:
    """The framework's message, with what to do next: the usage line for a missing argument,
    where help is for an unknown option or command (a bad value's message names the values
    that work)."""
    message = exc.format_message().replace("Value error, ", "")  # pydantic's, via typer
    context = exc.ctx if isinstance(exc, UsageError) else None
    if context is None:
        return message
    if isinstance(exc, MissingParameter):
        return f"{message} {context.get_usage()}"
    if isinstance(exc, BadParameter) or "Did you mean" in message or "Possible options" in message:
        return message
    return f"{message.rstrip('.')}; try '{context.command_path} --help'"


class WithExamples(TyperCommand):
    """A command whose help ends with its examples as written (click would rewrap them)."""

    def format_epilog(self, ctx: Context, formatter: HelpFormatter) -> None:
        if self.epilog:
            formatter.write_paragraph()
            formatter.write(
                "".join(f"  {line}\n" if line else "\n" for line in self.epilog.split("\n"))
            )


def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """crm-roi reads CRM exports as they come and accounts for every row."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crm-roi {__version__}")
        raise typer.Exit()


@dataclass
class Run:
    """What the ``--log-json`` line says about a run; a command fills in what it learns."""

    command: str = ""
    inputs: list[dict[str, Any]] = field(default_factory=list)
    roi: float | None = None
    error: str | None = None
    code: int = EXIT_OK


@contextmanager
def exit_codes(debug: bool, log: Path | None = None, command: str = "") -> Iterator[Run]:
    """A command's body runs inside: our errors become one line on stderr and an exit code;
    a bug says how to see more (``--debug`` shows its traceback).

    With ``log`` (``--log-json``), one JSON line about the run is appended to it at the end,
    whatever the outcome: for monitoring cron jobs. SIGTERM (see :func:`main`) is exit 143.
    """
    from crm_roi.cli.output import OutputClash
    from crm_roi.inputs.source import forget_streams

    forget_streams()  # a pipe read by an earlier run in this process is not this run's input
    run = Run(command)
    started = time.monotonic()
    try:
        try:
            yield run
        except typer.Exit as exc:
            run.code = exc.exit_code
            raise
        except typer.Abort:
            run.code = EXIT_DATA
            raise
        except process.Terminated:
            message = "stopped by SIGTERM; the previous report, if any, is left as it was"
            _fail(run, message, EXIT_TERM, logged="stopped by SIGTERM")
        except BrokenPipeError:  # `… | head` stopped reading: nothing to say (as with SIGPIPE)
            run.code = EXIT_DATA
            process.silence_stdout()
            raise typer.Exit(EXIT_DATA) from None
        except CrmRoiError as exc:
            if isinstance(exc, OutputClash) and exc.log:
                log = None  # the --log-json file is an input or the report: leave it alone
            if debug:
                raise
            _fail(run, str(exc) + _advice(exc), exc.exit_code)
        except MemoryError:
            _fail(run, "out of memory while reading the inputs", EXIT_DATA, logged="out of memory")
        except Exception as exc:
            if debug:
                raise
            _fail(
                run,
                f"unexpected {type(exc).__name__}: {exc} (a bug: rerun with --debug and report it)",
                EXIT_DATA,
            )
    finally:
        if log is not None:
            _append_log(log, run, time.monotonic() - started)


def _advice(exc: CrmRoiError) -> str:
    """The options that mend a library error, which names none (the engine knows no flags)."""
    from crm_roi.errors import EmptyWindow, NoDates, TooManyGroups

    if type(exc).__name__ == "CurrencyError":  # the engine's: importing it would load pandas
        return " (--currency CODE and --rates FILE)"
    if isinstance(exc, NoDates | EmptyWindow):
        return " (--from and --to)"
    if isinstance(exc, TooManyGroups):
        return " (--by)"
    return ""


def _fail(run: Run, message: str, code: int, logged: str | None = None) -> NoReturn:
    """``Error: message`` on stderr, as one line (a file name or value with a line break must
    not forge a second one), and exit ``code``; the log says ``logged``, else the message."""
    run.error, run.code = logged or message, code
    say(message, "Error: ")
    raise typer.Exit(code)


def _append_log(path: Path, run: Run, seconds: float) -> None:
    """One line of JSON, appended in a single write (whole lines even with runs side by side)."""
    import datetime as dt
    import json
    import os

    line = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": run.command,
        "exit_code": run.code,
        "ok": run.code == EXIT_OK,
        "duration_s": round(seconds, 3),
        "inputs": run.inputs,
        "rows": sum(i["rows"] for i in run.inputs),
        "rejected": sum(i["rejected"] for i in run.inputs),
        "roi": run.roi,
        "error": run.error,
    }
    data = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    except OSError as exc:
        say(f"--log-json {path}: {exc.strerror}", "warning: ")


def main(argv: Any = None) -> None:
    """The console script: like ``app()``, but ``… | head`` ends quietly, a closed stdout or
    stderr is no crash, and SIGTERM stops the run cleanly (exit 143, no temporary file left)."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, process.on_sigterm_in_main)
    process.hold_closed_descriptors()
    process.tune_runtime()  # before any thread starts, before Arrow is loaded
    from crm_roi.cli import app

    try:
        app(args=argv)
    except process.Terminated:  # before or after a command: starting up, parsing the options
        process.exit_now(EXIT_TERM)
    except SystemExit as exc:
        if exc.code == EXIT_TERM or isinstance(exc.code, int) or exc.code is None:
            # The report is written and closed: exit without tearing down a heap of a
            # gigabyte object by object (0.1-0.2 s on a million deals).
            process.exit_now(exc.code or 0)
        raise
