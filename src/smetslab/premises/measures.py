"""Measures of a premises computed in closed form: the join-window hours (counted on a grid without testing
each point) and the route hours (integrated piecewise constant between the moments the routes can change).
"""

from __future__ import annotations

import math

from smetslab.devices import JoinWindowPolicy
from smetslab.policy import windows as policy_windows

__all__ = ["join_window_open_hours", "route_seconds", "Grid", "last_event_spans", "alternating_spans"]


def join_window_open_hours(start: float | None, now: float, policy: JoinWindowPolicy, *, radio_listens: bool,
                           power_ons: list[float], presses: list[float]) -> float:
    """Hours since install (``start``) during which the hub would admit some local joiner (HHT or PPMID),
    or a phone radio on the meters listens (``radio_listens``), with the ``policy.windows`` rules: counted
    on a 10 s grid (60 s beyond 400 days) from the install, in closed form (the windows are intervals; the
    grid points in each are counted, not tested one by one), so a decade costs what a day does."""
    if start is None or now <= start:
        return 0.0
    if radio_listens:
        return (now - start) / 3600.0  # a meter radio listens all the time (as the fleet model counts)
    step = 10.0 if now - start <= 400 * 86_400.0 else 60.0
    grid = Grid(start, now, step)
    mech = policy.mechanisms  # what the hub applies: a hub without the firmware keeps the power-on hour
    if "standing" in mech:
        return grid.n * step / 3600.0
    spans: list[tuple[float, float]] = []
    if "alternating" not in mech or "power_cycle" in mech:  # the schedule replaces the hour for HHTs
        spans += last_event_spans(power_ons or [start], policy.hht_window_s)
    if "button" in mech and presses:
        spans += last_event_spans(presses, policy.button_window_s)
    if "alternating" in mech:
        spans += alternating_spans(start, now, policy.alternating_windows_per_day, policy.alternating_window_s)
    return grid.count_in(spans) * step / 3600.0


def route_seconds(installed_at: float | None, route_at: float | None, no_route: bool, utrn_only: bool,
                  no_route_s: float, utrn_only_s: float, now: float) -> tuple[float, float]:
    """(no-route, UTRN-only) seconds up to ``now``: the integrals so far plus the stretch since the last
    change (at ``route_at``), whose route flags still hold."""
    if installed_at is not None and route_at is not None and now > route_at:
        dt = now - route_at
        if no_route:
            no_route_s += dt
        if utrn_only:
            utrn_only_s += dt
    return no_route_s, utrn_only_s


class Grid:
    """The points ``start + i * step`` below ``stop`` (as ``numpy.arange`` makes them), counted in intervals."""

    def __init__(self, start: float, stop: float, step: float) -> None:
        self.start, self.delta = start, (start + step) - start
        self.n = max(0, math.ceil((stop - start) / step))

    def _point(self, i: int) -> float:
        return self.start + i * self.delta

    def below(self, x: float) -> int:
        """How many grid points are < ``x``."""
        if x <= self.start:
            return 0
        i = min(self.n, max(0, math.ceil((x - self.start) / self.delta)))
        while i > 0 and self._point(i - 1) >= x:  # float rounding: settle on the exact comparison
            i -= 1
        while i < self.n and self._point(i) < x:
            i += 1
        return i

    def count_in(self, spans: list[tuple[float, float]]) -> int:
        """Grid points inside the union of the half-open ``spans``."""
        total, reach = 0, -math.inf
        for a, b in sorted(spans):
            a = max(a, reach)
            if b > a:
                total += self.below(b) - self.below(a)
                reach = b
        return total


def last_event_spans(times: list[float], window_s: float) -> list[tuple[float, float]]:
    """Open while ``t`` is within ``window_s`` of the latest event at or before ``t`` (power-on, press)."""
    ordered = sorted(times)
    out = []
    for j, t in enumerate(ordered):
        end = t + window_s
        if j + 1 < len(ordered):
            end = min(end, ordered[j + 1])
        out.append((t, end))
    return out


def alternating_spans(start: float, stop: float, per_day: int, window_s: float) -> list[tuple[float, float]]:
    """The alternating windows (``policy.windows.alternating_window_open``) meeting ``[start, stop)``."""
    spacing = policy_windows.DAY_S / per_day
    out = []
    for day in range(int(start // policy_windows.DAY_S) - 1, int(stop // policy_windows.DAY_S) + 1):
        phase = 0.5 * (day % 2)
        for k in range(per_day):
            a = day * policy_windows.DAY_S + (k + phase) * spacing
            if a + window_s > start and a < stop:
                out.append((a, a + window_s))
    return out
