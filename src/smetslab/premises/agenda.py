"""The premises' agenda: what its collaborators schedule for themselves, note in the log and count.

Theory of operation
-------------------
Work for *this* instant (``soon``) goes on the engine at ``Priority.DELIVERY``, so a device is never
stepped re-entrantly from the event hook. Work for *later* (``later``) is a ``book.Later``: plain data
naming its follow-up by kind (``LATER_KINDS``) and kept in ``Book.agenda``, so a snapshot holds it and a
restored premises re-arms it (``arm``) in its original order. The kinds are the names the Site's methods
had when snapshot format 3 was defined (``_joiner_try``, ...): they are stable data in a snapshot, not
code, and each is bound to a collaborator's public method when the Site is wired (``handle``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smetslab.premises.book import Book, Later
from smetslab.premises.engine import Engine, Priority

__all__ = ["Agenda", "FOLLOW_UP", "LATER_KINDS"]

FOLLOW_UP = int(Priority.INPUT) + 5
"""Priority of the premises' own follow-ups (joins after a CCS01, retries, attack series): after the
story's inputs at the same instant, so a restored premises (whose story steps are scheduled again
after its agenda) runs them in the same order as the original."""

LATER_KINDS = frozenset({"_down_arrive", "_dcc_in", "_visit_end", "_start_local_pairing", "_joiner_step",
                         "_joiner_try", "_mesh_up", "_attack_attempt", "_hht_retry"})
"""The follow-up kinds a snapshot may name besides ``deliver`` (snapshot format 3: keep them stable)."""


class Agenda:
    """Notes, tallies and follow-ups of one premises, on its engine and in its book."""

    def __init__(self, engine: Engine, book: Book) -> None:
        self.engine = engine
        self.book = book
        self._calls: dict[str, Callable[..., None]] = {}

    def handle(self, kind: str, action: Callable[..., None]) -> None:
        """Bind the follow-up ``kind`` (one of ``LATER_KINDS``) to the method that plays it."""
        if kind not in LATER_KINDS:
            raise AssertionError(f"no follow-up {kind!r}")
        self._calls[kind] = action

    def now(self) -> float:
        return float(self.engine.now)

    def note(self, device: str, event: str, **fields: Any) -> None:
        """A record in the event log from the premises itself (not from a device machine)."""
        self.engine.log.note(self.engine.now, device, event, **fields)

    def count(self, name: str, by: float = 1.0) -> None:
        """Add to the tally ``name`` (``Site.counters``)."""
        self.book.tally[name] = self.book.tally.get(name, 0.0) + by

    def soon(self, action: Callable[[], object]) -> None:
        """Run ``action`` later in this same instant (never re-entrantly from a hook). Only for the
        current instant: anything later goes on the agenda (``later``) so a snapshot keeps it."""
        self.engine.schedule(self.engine.now, lambda: None if action() else None, priority=Priority.DELIVERY)

    def later(self, at: float, kind: str, *args: Any, priority: int = FOLLOW_UP) -> None:
        """Schedule a follow-up as data (see ``book.Later``): ``deliver`` (args: device, input) or a kind."""
        if kind != "deliver" and kind not in LATER_KINDS:
            raise AssertionError(f"no follow-up {kind!r}")
        item = Later(float(at), int(priority), self.book.agenda_seq, kind, tuple(args))
        self.book.agenda_seq += 1
        self.book.agenda[item.seq] = item
        self.arm(item)

    def arm(self, item: Later) -> None:
        """Put a follow-up on the engine (a restored premises arms its book's agenda this way)."""
        self.engine.schedule(item.at, lambda: self._fire(item.seq), priority=item.priority)

    def _fire(self, seq: int) -> None:
        item = self.book.agenda.pop(seq, None)
        if item is None:
            return
        if item.kind == "deliver":
            self.engine.deliver(item.args[0], item.args[1])
        elif item.kind in self._calls:
            self._calls[item.kind](*item.args)
