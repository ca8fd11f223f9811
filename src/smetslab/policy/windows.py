"""Local-join window rules: when may a device join the hub's HAN without the DCC (no CCS01 over the WAN)?

Theory of operation: every rule is a pure function of times in seconds (simulated time, injected) and
works on Python floats (the premises emulator) and numpy arrays (the fleet model) alike, with the same
half-open interval ``[opened, opened + window)`` everywhere, so the two can never disagree by a tick.

- baseline: an HHT may join within 60 minutes of the hub powering on (GBCS 2014 draft, DOMAIN.md §3.6);
- ``secmp0037``: a standing window (no time limit);
- ``power_cycle_window``: the same 60-minute window, opened by a deliberate power cycle;
- ``hub_button``: a short window after a button press;
- ``alternating_windows``: 5-minute windows, ``n`` per day, whose times alternate from day to day (odd days
  are shifted by half the spacing) so one day's observation does not predict the next;
- ``firmware_preauth``: no window; only a device whose credentials were pre-registered may join.
"""

from __future__ import annotations

import numpy as np

from smetslab.policy._types import Flag, Time

__all__ = [
    "DAY_S",
    "HHT_WINDOW_S",
    "HHT_WINDOW_SOURCE",
    "ALTERNATING_WINDOW_S",
    "ALTERNATING_WINDOW_SOURCE",
    "join_permitted",
    "hht_window_open",
    "standing_window_open",
    "button_window_open",
    "HUB_BUTTON_WINDOW_S",
    "alternating_window_open",
    "next_alternating_window_s",
    "wait_for_alternating_window_s",
    "preauthorised_join_permitted",
    "alternating_open_hours",
    "local_join_permitted",
]

DAY_S = 86_400.0
HHT_WINDOW_S = 3_600.0
HHT_WINDOW_SOURCE = ("DESIGN.md background; DOMAIN.md §3.6 (GBCS Nov-2014 draft, Illustration 1: the CH opens "
                     "inter-PAN communication for 60 minutes after power-on)")
ALTERNATING_WINDOW_S = 300.0
ALTERNATING_WINDOW_SOURCE = "DESIGN.md 'The options': 5-minute windows at alternating times in 24 h"


def join_permitted(now_s: Time, opened_at_s: Time, window_s: Time) -> Flag:
    """True while a join window opened at ``opened_at_s`` for ``window_s`` is open (half-open interval)."""
    return (now_s >= opened_at_s) & (now_s < opened_at_s + window_s)


def hht_window_open(now_s: Time, powered_on_at_s: Time, window_s: Time = HHT_WINDOW_S) -> Flag:
    """Baseline HHT rule (and ``power_cycle_window`` for PPMIDs): open for 60 minutes after power-on."""
    return join_permitted(now_s, powered_on_at_s, window_s)


def standing_window_open(now_s: Time) -> Flag:
    """SECMP0037: a PPMID may join at any time (the 60-minute limit removed)."""
    return np.ones(now_s.shape, dtype=np.bool_) if isinstance(now_s, np.ndarray) else True


HUB_BUTTON_WINDOW_S = 600.0
"""How long a hub-button press opens a local-join window. DESIGN.md says only "a short local-join
window"; 10 minutes is an assumption, shared by the emulator and the fleet scenarios
(``hub_button_window_minutes``) so that both model the same button."""


def button_window_open(now_s: Time, pressed_at_s: Time, window_s: Time) -> Flag:
    """``hub_button``: open for ``window_s`` after the button is pressed (never before a press)."""
    return join_permitted(now_s, pressed_at_s, window_s)


def preauthorised_join_permitted(device_preregistered: Flag) -> Flag:
    """``firmware_preauth``: only a device whose credentials were registered while the WAN was up joins."""
    return device_preregistered


def _check_schedule(windows_per_day: int, window_s: float) -> float:
    if windows_per_day < 1:
        raise ValueError(f"windows_per_day {windows_per_day}: must be at least 1")
    spacing_s = DAY_S / windows_per_day
    if not 0 < window_s <= spacing_s / 2:
        raise ValueError(f"window_s {window_s}: must be > 0 and at most half the spacing ({spacing_s / 2} s)")
    return spacing_s


def _slot_position(now_s: Time, spacing_s: float) -> tuple[Time, Time, Time, Time]:
    """(day index, day phase in slots, slot index k, seconds into slot k), computed in seconds so that a
    window's end is exact (a ratio would round 300 s to 299.9999... and keep the window open a tick)."""
    t = np.asarray(now_s, dtype=np.float64)
    day = np.floor(t / DAY_S)
    phase = 0.5 * np.mod(day, 2.0)  # odd days shift by half the spacing: the 'alternating' times
    offset_s = (t - day * DAY_S) - phase * spacing_s
    k = np.floor(offset_s / spacing_s)
    into_s = offset_s - k * spacing_s
    return day, phase, k, into_s


def alternating_window_open(now_s: Time, windows_per_day: int = 1,
                            window_s: float = ALTERNATING_WINDOW_S) -> Flag:
    """``alternating_windows``: True while one of the scheduled windows is open.

    Day ``d`` (0-based from the simulation epoch) opens windows at ``(k + 0.5 * (d % 2)) * 24h / n`` for
    ``k = 0..n-1``, each ``window_s`` long. Raises ValueError for an impossible schedule.
    """
    spacing_s = _check_schedule(windows_per_day, window_s)
    _, _, k, into_s = _slot_position(now_s, spacing_s)
    is_open = (k >= 0) & (k <= windows_per_day - 1) & (into_s < window_s)
    return is_open if isinstance(now_s, np.ndarray) else bool(is_open)


def next_alternating_window_s(now_s: Time, windows_per_day: int = 1,
                              window_s: float = ALTERNATING_WINDOW_S) -> Time:
    """The earliest time >= ``now_s`` at which an alternating window is open (``now_s`` if open now)."""
    spacing_s = _check_schedule(windows_per_day, window_s)
    day, phase, k, into_s = _slot_position(now_s, spacing_s)
    open_now = (k >= 0) & (k <= windows_per_day - 1) & (into_s < window_s)
    nxt = k + 1.0  # offset >= -spacing/2, so k >= -1 and k + 1 >= 0: the next slot of the day, if any
    same_day = day * DAY_S + (nxt + phase) * spacing_s
    next_phase = 0.5 * np.mod(day + 1.0, 2.0)
    next_day = (day + 1.0) * DAY_S + next_phase * spacing_s
    start = np.where(nxt <= windows_per_day - 1, same_day, next_day)
    out = np.where(open_now, np.asarray(now_s, dtype=np.float64), start)
    return out if isinstance(now_s, np.ndarray) else float(out)


def wait_for_alternating_window_s(now_s: Time, windows_per_day: int = 1,
                                  window_s: float = ALTERNATING_WINDOW_S) -> Time:
    """Seconds a PPMID left in joining mode at ``now_s`` waits before it may join (0 if a window is open)."""
    return next_alternating_window_s(now_s, windows_per_day, window_s) - now_s


def alternating_open_hours(horizon_s: float, windows_per_day: int = 1,
                           window_s: float = ALTERNATING_WINDOW_S) -> float:
    """Hours the schedule is open over ``[0, horizon_s)`` (whole days plus the part of the last day)."""
    spacing_s = _check_schedule(windows_per_day, window_s)
    full_days = int(horizon_s // DAY_S)
    total_s = full_days * windows_per_day * window_s
    rest_from = full_days * DAY_S
    phase = 0.5 * (full_days % 2)
    for k in range(windows_per_day):
        start = rest_from + (k + phase) * spacing_s
        total_s += max(0.0, min(start + window_s, horizon_s) - start) if start < horizon_s else 0.0
    return total_s / 3_600.0


def local_join_permitted(joiner: str, mechanisms: frozenset[str], now_s: float, powered_on_at_s: float,
                         button_pressed_at_s: float | None, preregistered: bool = False, *,
                         hht_window_s: float = HHT_WINDOW_S, button_window_s: float = HUB_BUTTON_WINDOW_S,
                         alternating_windows_per_day: int = 1,
                         alternating_window_s: float = ALTERNATING_WINDOW_S) -> bool:
    """May the hub admit a *local* join (one the DCC did not prepare with CCS01) of ``joiner`` ("HHT" or
    "PPMID"; nothing else ever joins locally) at ``now_s``, under the local-pairing ``mechanisms`` in force
    (``policy.options``: standing, button, alternating, power_cycle, preauth)? Permitted if any permits it:

    - always: an HHT within ``hht_window_s`` (60 min) after power-on - unless ``alternating`` is in force,
      which replaces that window (DESIGN.md: "instead of the 60-minute window");
    - ``standing`` (secmp0037): an HHT or a PPMID at any time;
    - ``power_cycle`` (power_cycle_window): a PPMID too, in the same window after power-on;
    - ``button`` (hub_button): an HHT or a PPMID within ``button_window_s`` after a button press;
    - ``alternating`` (alternating_windows): an HHT or a PPMID in the scheduled windows;
    - ``preauth`` (firmware_preauth): a PPMID whose EUI and install code were pre-registered.
    """
    if joiner not in ("HHT", "PPMID"):
        return False
    power_hour = bool(hht_window_open(now_s, powered_on_at_s, hht_window_s))
    if "standing" in mechanisms and bool(standing_window_open(now_s)):
        return True
    if "button" in mechanisms and button_pressed_at_s is not None and bool(
            button_window_open(now_s, button_pressed_at_s, button_window_s)):
        return True
    if "alternating" in mechanisms and bool(alternating_window_open(now_s, alternating_windows_per_day,
                                                                    alternating_window_s)):
        return True
    if "preauth" in mechanisms and joiner == "PPMID" and bool(preauthorised_join_permitted(preregistered)):
        return True
    if joiner == "HHT":
        return power_hour and "alternating" not in mechanisms
    return power_hour and "power_cycle" in mechanisms
