"""The ``smetslab`` command line: one typer app with a sub-app per area.

Error contract (STYLE.md): a ``SmetslabError`` or a usage error (bad flag, bad value) prints one
line ``error: ...`` on stderr and exits 2 (bad input) or 1 (a run that failed); anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from smetslab.interfaces import signals

# Ctrl-C while the commands below import (a second or so) ends the process with the usual one line
_restore_signals = signals.exit_on_signal()

import typer  # noqa: E402
import typer.main  # noqa: E402

from smetslab import __version__  # noqa: E402
from smetslab.errors import SmetslabError  # noqa: E402
from smetslab.interfaces.commands import COMMAND_MODULES  # noqa: E402

try:  # typer >= 0.24 vendors click as typer._click; older typer uses click itself
    from typer._click import exceptions as _cx
except ImportError:  # pragma: no cover
    from click import exceptions as _cx  # type: ignore[no-redef]

_UsageError = _cx.UsageError
_NoArgsIsHelp = getattr(_cx, "NoArgsIsHelpError", None)
_Abort = typer.Abort

app = typer.Typer(
    name="smetslab",
    help="SMETS2 prepayment premises emulator with real GBCS security, and a fleet model of no-WAN options.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"smetslab {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """SMETS2 prepayment premises emulator and no-WAN option comparison."""


for _module in COMMAND_MODULES:
    _module.register(app)


def _usage_line(exc: _cx.UsageError) -> str:
    where = exc.ctx.command_path if exc.ctx is not None else "smetslab"
    return f"error: {where}: {exc.format_message()} (see '{where} --help')"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script. Returns the process exit code.

    SIGINT/SIGTERM during a command print one line (what was interrupted and, for a resumable run,
    the command that resumes it) and give 130/143, whatever exception the signal surfaced as
    (``interfaces.signals``).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    state = signals.SignalState()
    code = 1
    try:
        with signals.handled() as state:
            code = _dispatch(args, state)
    except BaseException:
        if state.signum is None:
            raise
    finally:
        if argv is None:  # the console script: from here to the process exit, a signal just ends it
            signals.exit_on_signal()
    if state.signum is not None:
        _say(signals.message(state))
        return signals.exit_code(state.signum)
    return code


_LONG_TOKEN = re.compile(r"\S{121,}")
_MAX_LINE = 1000


def one_line(text: str) -> str:
    """An error message as one readable line: newlines folded, and any run of more than 120 non-blank
    characters (a 100,000-digit "UTRN", a pasted file) shown by its ends and its length."""
    line = " ".join(text.split())
    line = _LONG_TOKEN.sub(lambda m: f"{m[0][:40]}…[{len(m[0]):,} characters]…{m[0][-12:]}", line)
    return line if len(line) <= _MAX_LINE else line[: _MAX_LINE - 1] + "…"


def _say(line: str) -> None:
    with suppress(OSError):  # stderr closed or a broken pipe: the exit code still tells
        print(one_line(line), file=sys.stderr, flush=True)


def _plain_help_command() -> Any:
    """The click command tree of ``app``, with plain help: typer's rich help boxes cut long words with '…'
    at 80 columns (and in pipes), while click's formatter wraps every word of every help text."""
    command = typer.main.get_command(app)
    todo = [command]
    while todo:
        c = todo.pop()
        if hasattr(c, "rich_markup_mode"):
            c.rich_markup_mode = None
        if not getattr(c, "short_help", None) and getattr(c, "help", None):
            # a group lists each command by its first paragraph, whole (click would cut it with '...')
            c.short_help = " ".join(str(c.help).split("\n\n")[0].split())
        todo.extend(getattr(c, "commands", {}).values())
    return command


def _dispatch(args: list[str], state: signals.SignalState) -> int:
    try:
        result = _plain_help_command().main(args=args, prog_name="smetslab", standalone_mode=False)
    except _UsageError as exc:
        if _NoArgsIsHelp is not None and isinstance(exc, _NoArgsIsHelp):
            print(exc.format_message())  # the help text a bare group invocation asks for
            return 0
        _say(_usage_line(exc))
        return 2
    except SmetslabError as exc:
        if state.signum is not None:
            raise  # an error the interruption caused (e.g. a cancelled query): report the interruption
        _say(f"error: {exc}")
        return exc.exit_code
    except _Abort:
        if state.signum is not None:
            raise
        _say("error: aborted")
        return 1
    except BrokenPipeError:
        return 0
    code = result if isinstance(result, int) else 0
    return code


def run() -> None:  # pragma: no cover - thin wrapper for ``python -m``
    sys.exit(main())


_restore_signals()  # imported by a test or a program of its own: its handlers again

if __name__ == "__main__":  # pragma: no cover
    run()
