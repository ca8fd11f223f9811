"""Number formatting shared by the terminal table and the report (expected strings written by hand)."""

from __future__ import annotations

import pytest

from smetslab.report.formatting import fmt_compact, fmt_delta, fmt_duration, fmt_relative

MINUS = "\u2212"


@pytest.mark.parametrize(("delta", "base", "expected"), [
    (126.0, 1.0, "\u00d7127"),            # +12,600%: beyond +/-1,000%, a ratio new / old = 127 / 1
    (4960.0, 40.0, "\u00d7125"),          # 5,000 / 40
    (10.5, 1.0, "\u00d711.5"),            # +1,050%
    (10.0, 1.0, "+1000%"),                # exactly +1,000%: still a percentage
    (-16.0, 20.0, f"{MINUS}80%"),
    (0.0, 3.0, "\u00b10%"),
    (1.0, 0.0, ""),                       # no baseline value to compare with
])
def test_relative_change(delta: float, base: float, expected: str) -> None:
    assert fmt_relative(delta, base) == expected


def test_delta_uses_the_ratio_beyond_1000_percent() -> None:
    assert fmt_delta(4960.0, 40.0, "premises") == "+4960 (\u00d7125)"
    assert "%" not in fmt_delta(0.0009531, 2.37e-07, "joins")


@pytest.mark.parametrize(("value", "unit", "expected"), [
    (7.55e-05, "", f"7.55e{MINUS}5"),
    (0.1334, "", "0.133"),
    (506083.0, "", "506,083"),
    (5000.0, "", "5,000"),
    (2.25e9, "pence", "\u00a322.5m"),
    (0.0, "", "0"),
])
def test_compact_numbers(value: float, unit: str, expected: str) -> None:
    assert fmt_compact(value, unit) == expected


@pytest.mark.parametrize(("days", "expected"), [
    (0.0001, "8.64 s"),      # 0.0001 x 86,400 seconds
    (0.00714, "10.3 min"),   # 0.00714 x 1440 = 10.28 minutes
    (0.5, "12 h"),
    (1.5, "36 h"),           # under two days: hours
    (3.2, "3.2 days"),
])
def test_durations_in_human_units(days: float, expected: str) -> None:
    assert fmt_duration(days) == expected
