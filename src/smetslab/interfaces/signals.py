"""SIGINT and SIGTERM in the shell: one line, exit 130 or 143, never a traceback, never a hang.

Theory of operation: ``handled()`` installs one handler for SIGINT and SIGTERM for the duration of a
command. The first signal is recorded and raised as ``Interrupted`` (a ``BaseException``, so no
``except Exception`` in the core swallows it, and not a ``KeyboardInterrupt``, which click would turn
into its own "Aborted!"). Later signals are only recorded, so the clean-up the first one set off
(closing the DuckDB file, terminating worker processes) is not itself interrupted half-way.

The exception does not always arrive as itself: a signal during a DuckDB query makes DuckDB cancel the
query and raise its own ``InterruptException``/``RuntimeError("Query interrupted")``, and a rollback
after it can fail again. So the CLI does not look at the exception's type: once a signal has been
recorded, whatever ends the command ends it as an interruption (``state.signum``).

Worker processes never decide anything on a signal: the fleet engine makes them ignore SIGINT (the
terminal sends it to the whole process group) and terminates them when the parent unwinds, and each
worker exits by itself when its parent dies (``fleet.engine``).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

__all__ = ["Interrupted", "SignalState", "handled", "exit_code", "signal_name", "set_resume_hint", "message",
           "exit_on_signal"]

_HANDLED = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):  # noqa: N818 - it is not an error: the user asked the command to stop
    """The command was stopped by SIGINT or SIGTERM."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal_name(signum))


@dataclass
class SignalState:
    """The first signal received while ``handled()`` was active (None: none yet)."""

    signum: int | None = None
    resume_hint: str | None = None
    again: bool = False  # the interruption was swallowed (see ``handled``): raise it once more


_current: SignalState | None = None


def set_resume_hint(command: str) -> None:
    """The command line that resumes the running command, for the line printed if it is interrupted."""
    if _current is not None:
        _current.resume_hint = command


def message(state: SignalState) -> str:
    """The one line printed on stderr when a command was interrupted."""
    assert state.signum is not None
    head = f"interrupted by {signal_name(state.signum)}"
    return f"{head}; finished work is kept, resume with: {state.resume_hint}" if state.resume_hint else head


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:  # pragma: no cover - only SIGINT/SIGTERM are handled
        return f"signal {signum}"


def exit_code(signum: int) -> int:
    """The shell convention: 128 + the signal number (SIGINT 130, SIGTERM 143)."""
    return 128 + signum


@contextmanager
def handled() -> Iterator[SignalState]:
    """Record SIGINT/SIGTERM and raise ``Interrupted`` on the first one; restore the old handlers after.

    Outside the main thread (signal handlers can only be set there) nothing is installed.
    """
    global _current
    state = SignalState()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if state.signum is not None:
            if state.again:  # the first one was swallowed: this is it, raised once more
                state.again = False
                raise Interrupted(state.signum)
            return  # a second Ctrl-C while we clean up: already on our way out
        state.signum = signum
        raise Interrupted(signum)

    # A handler's exception lands wherever Python happens to be, and in a weakref callback, a __del__ or a
    # GC callback an exception cannot propagate: Python prints "Exception ignored in ..." with a traceback
    # and carries on. An Interrupted swallowed there is not printed; the same signal is sent to ourselves
    # again from a helper thread (so it arrives after the callback, not inside it), and the handler raises
    # it once more: the command still stops, and says so in one line.
    hook_before = sys.unraisablehook

    def on_unraisable(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, Interrupted) and state.signum is not None:
            state.again = True
            threading.Timer(0.001, os.kill, (os.getpid(), state.signum)).start()
            return
        hook_before(unraisable)

    previous = {s: signal.getsignal(s) for s in _HANDLED}
    outer, _current = _current, state
    for s in _HANDLED:
        signal.signal(s, on_signal)
    sys.unraisablehook = on_unraisable
    try:
        yield state
    finally:
        sys.unraisablehook = hook_before
        _current = outer
        if state.signum is None:  # after a signal ours stay: a second Ctrl-C must not raise on the way out
            for s, h in previous.items():
                signal.signal(s, h if h is not None else signal.SIG_DFL)


def exit_on_signal() -> Callable[[], None]:
    """Outside a command (while the CLI imports, and after it has finished) there is nothing to clean up:
    a signal prints its one line and ends the process at once. Returns a function restoring the old handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_signal(signum: int, frame: FrameType | None) -> None:
        try:
            sys.stderr.write(f"interrupted by {signal_name(signum)}\n")
            sys.stderr.flush()
        finally:
            os._exit(exit_code(signum))

    previous = {s: signal.getsignal(s) for s in _HANDLED}
    for s in _HANDLED:
        signal.signal(s, on_signal)

    def restore() -> None:
        for s, h in previous.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)

    return restore
