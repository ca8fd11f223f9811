"""The time syntax of stories and of a premises' duration settings (docs/stories.md "Times").

A time is an offset in seconds from the start of the emulation (t = 0), never a wall-clock date. It may be
written as a number of seconds (``3600``, ``90.5``); as units (``"2d 3h"``, ``"90m"``, ``"1.5h"``, ``"30s"``,
``"1w"``: w, d, h, m, s, summed, any order); as an ISO 8601 duration (``"P2DT3H"``, ``"PT90M"``, ``"P1W"``);
as a clock on a simulated day (``"day 2 09:30"`` = 2 d 9 h 30 min; days start at 0); and, for a timeline
step only, relative to the step before it (``"+10m"``). ``parse_time`` reads one; ``Seconds`` is the
pydantic type of a duration setting (``tick_s: 30m``). Pure: no I/O.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

__all__ = ["DAY_S", "TIME_SYNTAX", "TimeSpec", "parse_time", "format_time", "Time", "StepTime", "Seconds"]

DAY_S = 86_400.0

_UNIT_S = {"w": 7 * DAY_S, "d": DAY_S, "h": 3600.0, "m": 60.0, "s": 1.0}
_NUMBER = r"\d+(?:\.\d+)?"
_UNITS_RE = re.compile(rf"\s*(?:({_NUMBER})\s*([wdhms]))\s*", re.IGNORECASE)
_ISO_RE = re.compile(
    rf"P(?:({_NUMBER})W)?(?:({_NUMBER})D)?(?:T(?:({_NUMBER})H)?(?:({_NUMBER})M)?(?:({_NUMBER})S)?)?",
    re.IGNORECASE)
_DAY_RE = re.compile(r"day\s+(\d+)(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?)?", re.IGNORECASE)

TIME_SYNTAX = ("seconds (e.g. 3600), units (e.g. '2d 3h', '90m', '1.5h'), an ISO 8601 duration "
               "(e.g. 'P2DT3H', 'PT90M') or a day and clock (e.g. 'day 2 09:30')")


class TimeSpec(BaseModel):
    """A time as written in a story: ``seconds`` from t = 0, or after the previous step when ``relative``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seconds: float
    relative: bool = False
    text: str = ""


def _units(text: str) -> float | None:
    pos, total, seen = 0, 0.0, False
    while pos < len(text):
        m = _UNITS_RE.match(text, pos)
        if m is None or m.end() == pos:
            return None
        total += float(m.group(1)) * _UNIT_S[m.group(2).lower()]
        pos, seen = m.end(), True
    return total if seen else None


def _iso(text: str) -> float | None:
    m = _ISO_RE.fullmatch(text)
    if m is None or not any(m.groups()) or text.upper().endswith("T"):
        return None
    w, d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return w * 7 * DAY_S + d * DAY_S + h * 3600 + mi * 60 + s


def _day_clock(text: str) -> float | None:
    m = _DAY_RE.fullmatch(text)
    if m is None:
        return None
    day = int(m.group(1))
    hh, mm, ss = int(m.group(2) or 0), int(m.group(3) or 0), float(m.group(4) or 0)
    if hh > 23 or mm > 59 or ss >= 60:
        return None
    return day * DAY_S + hh * 3600 + mm * 60 + ss


def parse_time(value: object, *, allow_relative: bool = False) -> TimeSpec:
    """Parse one story time. Raises ValueError saying what is allowed (pydantic adds the field path)."""
    if isinstance(value, TimeSpec):
        return value
    if isinstance(value, bool) or value is None:
        raise ValueError(f"expected a time: {TIME_SYNTAX}")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"must be a finite number of seconds >= 0; or {TIME_SYNTAX}")
        return TimeSpec(seconds=float(value), text=str(value))
    if not isinstance(value, str):
        raise ValueError(f"expected a time: {TIME_SYNTAX}")
    text = value.strip()
    relative = text.startswith("+")
    if relative and not allow_relative:
        raise ValueError(f"a relative time ('+...') is allowed only for a timeline step's 'at'; use {TIME_SYNTAX}")
    body = text[1:].strip() if relative else text
    seconds: float | None
    try:
        seconds = float(body)
    except ValueError:
        seconds = None
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        seconds = _units(body)
    if seconds is None:
        seconds = _iso(body)
    if seconds is None:
        seconds = _day_clock(body)
    if seconds is None:
        extra = "; or '+<time>' after the previous step" if allow_relative else ""
        raise ValueError(f"not a time; expected {TIME_SYNTAX}{extra}")
    return TimeSpec(seconds=seconds, relative=relative, text=text)


def format_time(seconds: float) -> str:
    """``d3 09:30:00`` for 3 d 9 h 30 min (the day number, then the clock on that simulated day)."""
    if math.isinf(seconds):
        return "never"
    day, rest = divmod(seconds, DAY_S)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    frac = f"{s:06.3f}" if s != int(s) else f"{int(s):02d}"
    return f"d{int(day)} {int(h):02d}:{int(m):02d}:{frac}"


def _abs_time(value: object) -> TimeSpec:
    return parse_time(value)


def _step_time(value: object) -> TimeSpec:
    return parse_time(value, allow_relative=True)


Time = Annotated[TimeSpec, BeforeValidator(_abs_time)]
StepTime = Annotated[TimeSpec, BeforeValidator(_step_time)]


def _seconds(value: object) -> float:
    return parse_time(value).seconds


Seconds = Annotated[float, BeforeValidator(_seconds)]
"""A duration setting (``*_s``): seconds, or any story time form ("30m", "PT1H"); never relative."""
