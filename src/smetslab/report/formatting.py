"""How numbers look in the terminal table and the report: one place, so both agree."""

from __future__ import annotations

import math

__all__ = ["fmt_number", "fmt_money", "fmt_value", "fmt_interval", "fmt_delta", "fmt_relative", "fmt_compact",
           "fmt_duration", "is_money"]

_MINUS = "\u2212"  # a real minus sign: a hyphen in a column of numbers reads as a dash
_EN_DASH = "\u2013"


def is_money(unit: str) -> bool:
    """Metrics whose unit is pence are shown as pounds."""
    return "pence" in unit.lower()


def fmt_number(value: float) -> str:
    """4 significant figures; thousands separated above 10,000; NaN as an em dash."""
    if math.isnan(value):
        return "\u2014"
    if math.isinf(value):
        return "\u221e" if value > 0 else f"{_MINUS}\u221e"
    if abs(value) >= 10_000:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.4g}"
        if "e" in text:  # tiny but non-zero: keep it readable rather than scientific
            text = f"{value:.2e}"
    if text in ("-0", "-0.0"):
        text = "0"
    return text.replace("-", _MINUS)


def fmt_money(pence: float) -> str:
    """Pence shown as pounds: £1.23bn, £45.6m, £7.89k, £12.34."""
    if math.isnan(pence):
        return "\u2014"
    pounds = pence / 100.0
    sign = _MINUS if pounds < 0 else ""
    size = abs(pounds)
    for scale, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if size >= scale:
            return f"{sign}\u00a3{size / scale:.3g}{suffix}"
    return f"{sign}\u00a3{size:,.2f}"


def fmt_value(value: float, unit: str) -> str:
    return fmt_money(value) if is_money(unit) else fmt_number(value)


def fmt_interval(lo: float, hi: float, unit: str) -> str:
    """``[lo–hi]``; empty when the interval is a single point (one replicate)."""
    if lo == hi or math.isnan(lo) or math.isnan(hi):
        return ""
    return f"[{fmt_value(lo, unit)}{_EN_DASH}{fmt_value(hi, unit)}]"


def fmt_delta(delta: float | None, base: float | None, unit: str) -> str:
    """``+1.2 (+10%)`` against baseline; empty when there is no baseline."""
    if delta is None or base is None or math.isnan(delta):
        return ""
    if delta == 0:
        return "\u00b10"
    sign = "+" if delta > 0 else ""
    text = f"{sign}{fmt_value(delta, unit)}" if not is_money(unit) else (
        f"+{fmt_money(delta)}" if delta > 0 else fmt_money(delta))
    rel = fmt_relative(delta, base)
    if rel:
        text += f" ({rel})"
    return text.replace("-", _MINUS)


RATIO_ABOVE_PCT = 1000.0
"""Relative changes beyond +/-1,000% read better as a ratio: x127 rather than +12,600%."""


def fmt_relative(delta: float, base: float) -> str:
    """A change relative to ``base``: ``+10%``, ``−98.9%``, or beyond ±1,000% the ratio new/base (``×127``);
    empty when ``base`` is 0 or NaN."""
    if base == 0 or math.isnan(base) or math.isnan(delta):
        return ""
    pct = 100.0 * delta / abs(base)
    if abs(pct) > RATIO_ABOVE_PCT:
        ratio = (base + delta) / base
        shown = f"{ratio:,.0f}" if abs(ratio) >= 100 else f"{ratio:.3g}"
        return f"×{shown}".replace("-", _MINUS)
    if delta == 0:
        return "±0%"
    return f"{'+' if pct > 0 else ''}{fmt_number(round(pct, 1))}%".replace("-", _MINUS)


def fmt_compact(value: float, unit: str = "") -> str:
    """3 significant figures for the compact terminal table: ``7.55e−5``, ``0.133``, ``506,083``, ``£22.3m``."""
    if is_money(unit):
        return fmt_money(value)
    if math.isnan(value):
        return "\u2014"
    if value == 0:
        return "0"
    size = abs(value)
    if size >= 1000:
        text = f"{value:,.0f}"
    elif size >= 0.001:
        text = f"{value:.3g}"
    else:
        mantissa, _, exp = f"{value:.2e}".partition("e")
        text = f"{mantissa}e{int(exp)}"
    return text.replace("-", _MINUS)


def fmt_duration(days: float) -> str:
    """A duration in human units: seconds under a minute, minutes under an hour, hours under two days, else
    days (3 s.f.)."""
    if math.isnan(days):
        return "\u2014"
    minutes = days * 24 * 60
    if abs(minutes) < 1:
        return f"{fmt_number(float(f'{minutes * 60:.3g}'))} s"
    if abs(minutes) < 60:
        return f"{fmt_number(float(f'{minutes:.3g}'))} min"
    if abs(minutes) < 48 * 60:
        return f"{fmt_number(float(f'{minutes / 60:.3g}'))} h"
    return f"{fmt_number(float(f'{days:.3g}'))} days"
