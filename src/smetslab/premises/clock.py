"""When the premises wakes its meters: the meters' ticks and the GSME's wake-ups, on their grids
(``k * tick_s``, ``k * gsme_wake_interval_s``) as they always were, but run only where something is due.

Theory of operation
-------------------
A tick changes nothing unless (a) something happened since the last one (anything logged, or any action
other than a periodic one, unless all it logged was the displays' reports): then the next grid point
runs, as before; or (b) time alone changes
something: a meter crosses a threshold or recovers debt at midnight (``prepayment.next_due_s``, closed
form), a consumer's pending top-up expires, an engineer falls due. A wake-up does nothing unless the GPF
holds frames for the GSME. Both next times are in the book (``tick_at``, ``wake_at``), so a snapshot
keeps them; a skipped tick is one that would have been a no-op, so the event log is the one an hourly
tick gives (``tests/premises/test_wake_when_due.py``). Each grid point runs at most once.

A tick steps the meters with something due and then hands over to the household (``on_tick``:
``household.Household.after_tick``); a wake-up lets the GPF hand the GSME what waits for it. The
displays' reports (``publish``) run on their own fixed grid (``periodic``), every
``display_interval_s``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

from smetslab.devices import chf as C
from smetslab.devices import gpf as G
from smetslab.devices import nodes
from smetslab.devices import prepayment as pp
from smetslab.devices.han import Fuel
from smetslab.premises.agenda import Agenda
from smetslab.premises.config import SiteConfig
from smetslab.premises.engine import HANMedium, Priority
from smetslab.premises.roster import Roster
from smetslab.units import EUI64

__all__ = ["MeterClock", "next_on_grid", "WAKE_PRIORITY", "PUBLISH_PRIORITY"]

PUBLISH_PRIORITY = int(Priority.TICK) - 1
WAKE_PRIORITY = int(Priority.TICK) + 1
"""Priorities of the periodic series at a shared instant: displays are published (each meter reports its
balance as of now), then the meters' tick, then the GSME's wake-up (the order a fresh premises with the
default intervals has always had)."""


DISPLAY_ONLY = frozenset({"ReportPublished", "MirrorUpdated", "MirrorPublished", "DisplayUpdated",
                          "FrameDelivered", "HANFrameOut"})
"""Log records of the displays' reports (a meter or the GPF publishing, the HAN carrying it, a display
showing it): nothing a tick reads changes with them. A meter that crossed a threshold while publishing
logs its alerts too, and that is activity."""


class MeterClock:
    """The meters' ticks, the GSME's wake-ups and the displays' reports of one premises (see the module
    docstring). ``on_tick`` runs after each tick's meter steps (the household's turn)."""

    def __init__(self, config: SiteConfig, agenda: Agenda, roster: Roster, han: HANMedium,
                 on_tick: Callable[[], None] = lambda: None) -> None:
        self.config, self.agenda, self.roster, self.han, self.on_tick = config, agenda, roster, han, on_tick
        self.engine, self.book = agenda.engine, agenda.book
        self.quiet = False  # the action now running is a periodic one (a tick, wake-up or publish)
        self._ticked_at = self._woke_at = -math.inf  # the last grid points run (each runs once)
        self._due_memo: dict[Fuel, tuple[pp.MeterState, float]] = {}

    @staticmethod
    def grid(t: float, interval: float, *, include_now: bool) -> float:
        """The first grid point ``k * interval`` (k >= 1) after ``t``, or at ``t`` with ``include_now``."""
        k = next_on_grid(t, interval)
        if include_now and k > 1 and (k - 1) * interval == t:
            k -= 1
        return k * interval

    def want(self, which: Literal["tick", "wake"], at: float) -> None:
        b = self.book
        current = b.tick_at if which == "tick" else b.wake_at
        if current is not None and current <= at:
            return
        if which == "tick":
            b.tick_at = at
        else:
            b.wake_at = at
        self.arm(which, at)

    def arm(self, which: Literal["tick", "wake"], at: float) -> None:
        priority = Priority.TICK if which == "tick" else WAKE_PRIORITY
        self.engine.schedule(at, lambda: self._on_grid(which, at), priority=priority)

    def _on_grid(self, which: Literal["tick", "wake"], at: float) -> None:
        self.quiet = True
        b = self.book
        if which == "wake":
            if b.wake_at == at:  # else superseded by an earlier one
                b.wake_at = None
                self._woke_at = at
                self.gsme_wake()  # frames still waiting re-arm it (``after_action``)
            return
        if b.tick_at != at:
            return
        b.tick_at = None
        self._ticked_at = at
        self.tick()
        due = self.tick_due()
        if due < math.inf:
            now = float(self.engine.now)
            self.want("tick", max(self.grid(due, self.config.tick_s, include_now=True),
                                   self.grid(now, self.config.tick_s, include_now=False)))

    def after_action(self, priority: int, first: int) -> None:
        """After each action (``Engine.after_action``): ``first`` is the index of its first log record."""
        quiet, self.quiet = self.quiet, False
        now = float(self.engine.now)
        records = self.engine.log.records
        if len(records) > first:
            # Something happened, unless all it did was show the meters' reports: the displays are read by
            # no tick (the consumer looks at the meters themselves), so a display update wakes no meter.
            quiet = all(r.event in DISPLAY_ONLY for r in records[first:])
        # A grid point runs at most once: what happens later in the same instant (a delivery the tick or
        # the wake-up caused, at an earlier priority) waits for the next one, as it did with a fixed series.
        if not quiet:
            self.want("tick", self.grid(now, self.config.tick_s,
                                          include_now=priority < Priority.TICK and self._ticked_at != now))
        gpf = self.engine.devices.get("GPF")
        if gpf is not None and gpf.state.queue:
            self.want("wake", self.grid(now, self.config.gsme_wake_interval_s,
                                          include_now=priority < WAKE_PRIORITY and self._woke_at != now))

    def periodic(self, interval_s: float, action: Callable[[], None], priority: int) -> None:
        """Run ``action`` at every ``k * interval_s`` after now. Times are computed as ``k * interval_s``,
        never summed, so the original and a restored premises agree to the last bit."""
        eng = self.engine

        def fire(k: int) -> None:
            self.quiet = True
            action()
            eng.schedule((k + 1) * interval_s, lambda: fire(k + 1), priority=priority)

        first = next_on_grid(float(eng.now), interval_s)
        eng.schedule(first * interval_s, lambda: fire(first), priority=priority)

    def tick(self) -> None:
        """Step each meter with something due, then the household's turn (``on_tick``)."""
        now = float(self.engine.now)
        for fuel in self.roster.meters:
            # A meter with nothing due would only move its clock: no event, nothing the consumer sees
            # changes (its thresholds are among those ``meter_due`` watches), so the step is skipped.
            if self.meter_due(fuel) <= now:
                self.engine.deliver(self.roster.meter_name(fuel), pp.Tick())
        self.on_tick()

    def gsme_wake(self) -> None:
        """The GSME wakes: the GPF hands it what waits for it."""
        if self.book.installed and C.is_powered(self.roster.chf_state()) and self.han.on_han("GSME"):
            self.engine.deliver("GPF", G.GSMEWoke())

    def publish(self) -> None:
        """The meters report to the displays (the GSME to its GPF mirror, which serves the displays)."""
        if not self.book.installed or not C.is_powered(self.roster.chf_state()):
            return
        displays = tuple(self.engine.devices[n].eui for n in (self.book.ppmid, "IHD")
                         if n is not None and self.han.on_han(n) and not self.roster.broken(n))
        displays_eui = tuple(e for e in displays if e is not None)
        meters = self.roster.meters
        if Fuel.ELECTRICITY in meters and self.han.on_han("ESME") and displays_eui:
            self.engine.deliver("ESME", nodes.PublishReport(displays_eui))
        if Fuel.GAS in meters and self.han.on_han("GSME"):
            # The GSME reports to its GPF mirror when it wakes; the GPF serves the displays.
            self.engine.deliver("GSME", nodes.PublishReport((self.roster.gpf_eui,)))
            if displays_eui:
                self.agenda.soon(lambda: self._publish_mirror(displays_eui))

    def _publish_mirror(self, displays: tuple[EUI64, ...]) -> None:
        if self.roster.state("GPF").mirror is not None:
            self.engine.deliver("GPF", G.PublishMirror(displays))

    def tick_due(self) -> float:
        """The earliest time at which a tick could change something with nothing else happening."""
        cfg, b = self.config, self.book
        due = math.inf
        for fuel in self.roster.meters:
            due = min(due, self.meter_due(fuel))
        now = float(self.engine.now)
        for last in b.pending.values():
            if last + cfg.pending_s > now:
                due = min(due, last + cfg.pending_s)
        if cfg.engineer_after_no_route_days is not None and b.no_route_since is not None and b.visit is None:
            due = min(due, b.no_route_since + cfg.engineer_after_no_route_days * 86_400.0)
        return due

    def meter_due(self, fuel: Fuel) -> float:
        """``prepayment.next_due_s`` of a meter's current state (remembered until the state changes)."""
        meter = self.roster.meter_node(fuel).meter
        memo = self._due_memo.get(fuel)
        if memo is None or memo[0] is not meter:
            below = () if self.config.consumer_tops_up_below_pence is None else \
                (self.config.consumer_tops_up_below_pence,)
            memo = (meter, pp.next_due_s(meter, thresholds_pence=below))
            self._due_memo[fuel] = memo
        return memo[1]


def next_on_grid(t: float, interval: float) -> int:
    """The smallest ``k`` with ``k * interval`` strictly after ``t`` (periodic series run on that grid).

    Checked both ways: ``t / interval`` can round across an integer, and a series must neither repeat
    the instant a snapshot was taken at nor skip the next one."""
    k = math.floor(t / interval) + 1
    while k * interval <= t:
        k += 1
    while k > 1 and (k - 1) * interval > t:
        k -= 1
    return k
