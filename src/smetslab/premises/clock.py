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
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from smetslab.devices import prepayment as pp
from smetslab.devices.han import Fuel
from smetslab.premises.engine import Priority

if TYPE_CHECKING:
    from smetslab.premises.site import Site

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
    """The meters' ticks and the GSME's wake-ups of one ``Site`` (see the module docstring)."""

    def __init__(self, site: Site) -> None:
        self.site = site
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
        b = self.site.book
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
        self.site.engine.schedule(at, lambda: self._on_grid(which, at), priority=priority)

    def _on_grid(self, which: Literal["tick", "wake"], at: float) -> None:
        self.quiet = True
        b = self.site.book
        if which == "wake":
            if b.wake_at == at:  # else superseded by an earlier one
                b.wake_at = None
                self._woke_at = at
                self.site._gsme_wake()  # frames still waiting re-arm it (``after_action``)
            return
        if b.tick_at != at:
            return
        b.tick_at = None
        self._ticked_at = at
        self.site._tick()
        due = self.tick_due()
        if due < math.inf:
            now = float(self.site.engine.now)
            self.want("tick", max(self.grid(due, self.site.config.tick_s, include_now=True),
                                   self.grid(now, self.site.config.tick_s, include_now=False)))

    def after_action(self, priority: int, first: int) -> None:
        """After each action (``Engine.after_action``): ``first`` is the index of its first log record."""
        quiet, self.quiet = self.quiet, False
        now = float(self.site.engine.now)
        records = self.site.engine.log.records
        if len(records) > first:
            # Something happened, unless all it did was show the meters' reports: the displays are read by
            # no tick (the consumer looks at the meters themselves), so a display update wakes no meter.
            quiet = all(r.event in DISPLAY_ONLY for r in records[first:])
        # A grid point runs at most once: what happens later in the same instant (a delivery the tick or
        # the wake-up caused, at an earlier priority) waits for the next one, as it did with a fixed series.
        if not quiet:
            self.want("tick", self.grid(now, self.site.config.tick_s,
                                          include_now=priority < Priority.TICK and self._ticked_at != now))
        gpf = self.site.engine.devices.get("GPF")
        if gpf is not None and gpf.state.queue:
            self.want("wake", self.grid(now, self.site.config.gsme_wake_interval_s,
                                          include_now=priority < WAKE_PRIORITY and self._woke_at != now))

    def tick_due(self) -> float:
        """The earliest time at which a tick could change something with nothing else happening."""
        cfg, b = self.site.config, self.site.book
        due = math.inf
        for fuel in self.site._meters:
            due = min(due, self.meter_due(fuel))
        now = float(self.site.engine.now)
        for last in b.pending.values():
            if last + cfg.pending_s > now:
                due = min(due, last + cfg.pending_s)
        if cfg.engineer_after_no_route_days is not None and b.no_route_since is not None and b.visit is None:
            due = min(due, b.no_route_since + cfg.engineer_after_no_route_days * 86_400.0)
        return due

    def meter_due(self, fuel: Fuel) -> float:
        """``prepayment.next_due_s`` of a meter's current state (remembered until the state changes)."""
        meter = self.site.meter_state(fuel)
        memo = self._due_memo.get(fuel)
        if memo is None or memo[0] is not meter:
            below = () if self.site.config.consumer_tops_up_below_pence is None else \
                (self.site.config.consumer_tops_up_below_pence,)
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
