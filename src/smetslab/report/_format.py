"""How numbers look in the terminal table and the report: one place, so both agree."""

from __future__ import annotations

import math

__all__ = ["fmt_number", "fmt_money", "fmt_value", "fmt_interval", "fmt_delta", "is_money"]

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
    if base != 0 and not math.isnan(base):
        pct = 100.0 * delta / abs(base)
        text += f" ({'+' if pct > 0 else ''}{fmt_number(round(pct, 1) if abs(pct) < 1000 else round(pct))}%)"
    return text.replace("-", _MINUS)
