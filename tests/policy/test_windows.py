"""Join-window rules: half-open windows, the alternating schedule, scalar/array agreement.

Expected values are worked by hand from the rules' definitions (DESIGN.md 'The options'; DOMAIN.md §3.6),
never taken from the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest

from smetslab.policy import windows as w

H = 3600.0
DAY = 86400.0


def test_hht_window_is_60_minutes_half_open():
    # DOMAIN.md §3.6: inter-PAN open for 60 minutes after power-on
    assert w.HHT_WINDOW_S == 3600.0
    on = 1000.0
    assert not w.hht_window_open(on - 0.001, on)
    assert w.hht_window_open(on, on)
    assert w.hht_window_open(on + 3599.999, on)
    assert not w.hht_window_open(on + 3600.0, on)


def test_button_window_never_open_before_press():
    assert not w.button_window_open(99.0, 100.0, 600.0)
    assert w.button_window_open(100.0, 100.0, 600.0)
    assert not w.button_window_open(700.0, 100.0, 600.0)


def test_standing_window_always_open_scalar_and_array():
    assert w.standing_window_open(0.0) is True
    out = w.standing_window_open(np.array([0.0, 1e9]))
    assert out.dtype == bool and out.all()


def test_preauthorised_join_only_for_preregistered_device():
    assert w.preauthorised_join_permitted(True) is True
    assert w.preauthorised_join_permitted(False) is False


@pytest.mark.parametrize("t, expected", [
    (0.0, True), (299.0, True), (300.0, False),          # day 0 (even): window at 00:00
    (43_200.0, False),                                      # day 0 has no 12:00 window when n=1
    (DAY + 10.0, False),                                    # day 1 (odd): not at 00:00 ...
    (DAY + 43_200.0 + 10.0, True),                          # ... but at 12:00
    (DAY + 43_200.0 + 300.0, False),
    (2 * DAY + 1.0, True),                                  # day 2 is even again
])
def test_alternating_schedule_one_window_a_day(t, expected):
    assert w.alternating_window_open(t, 1, 300.0) is expected


@pytest.mark.parametrize("t, expected", [
    (100.0, 100.0),                          # open now -> join now
    (301.0, DAY + 43_200.0),                 # after day 0's window -> day 1 at 12:00 (35.9 h later)
    (DAY + 43_200.0 + 300.0, 2 * DAY),       # after day 1's window -> day 2 at 00:00
    (DAY - 1.0, DAY + 43_200.0),
])
def test_next_alternating_window(t, expected):
    assert w.next_alternating_window_s(t, 1, 300.0) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("n, gaps_h", [
    (1, [36.0, 12.0]),             # 00:00 day0 -> 12:00 day1 -> 00:00 day2
    (2, [12.0, 18.0, 12.0, 6.0]),  # day0 00,12; day1 06,18; day2 00
])
def test_mean_wait_matches_closed_form(n, gaps_h):
    # A PPMID arriving uniformly over the 48-hour cycle waits (g - w) - x for the part of each gap g after the
    # window w: mean = sum((g - w)^2) / (2 * 48 h).
    win = 300.0
    expected_s = sum(((g * H) - win) ** 2 for g in gaps_h) / (2 * 48 * H)
    t = (np.arange(2_000_000) + 0.5) * (2 * DAY / 2_000_000)
    got = np.mean(w.wait_for_alternating_window_s(t, n, win))
    assert got == pytest.approx(expected_s, rel=1e-4)


def test_array_and_scalar_rules_agree():
    rng = np.random.default_rng(7)
    t = rng.uniform(0, 10 * DAY, 500)
    opened = rng.uniform(0, 10 * DAY, 500)
    arr = w.join_permitted(t, opened, 3600.0)
    assert [bool(x) for x in arr] == [w.join_permitted(float(a), float(b), 3600.0) for a, b in zip(t, opened, strict=True)]
    for n in (1, 3):
        nxt = w.next_alternating_window_s(t, n, 300.0)
        assert list(nxt) == [w.next_alternating_window_s(float(x), n, 300.0) for x in t]
        op = w.alternating_window_open(t, n, 300.0)
        assert [bool(x) for x in op] == [w.alternating_window_open(float(x), n, 300.0) for x in t]
        # the next permitted time is open, and nothing earlier in between is
        assert w.alternating_window_open(nxt, n, 300.0).all()


def test_alternating_open_hours_a_year():
    # 365 windows of 5 minutes
    assert w.alternating_open_hours(365 * DAY, 1, 300.0) == pytest.approx(365 * 5 / 60)
    # half a day: only day 0's 00:00 window for n=1; n=2 adds the 12:00 one only after 12 h
    assert w.alternating_open_hours(0.5 * DAY, 1, 300.0) == pytest.approx(5 / 60)
    assert w.alternating_open_hours(0.5 * DAY + 60.0, 2, 300.0) == pytest.approx(6 / 60)


def test_impossible_schedule_rejected():
    with pytest.raises(ValueError):
        w.alternating_window_open(0.0, 0, 300.0)
    with pytest.raises(ValueError):
        w.next_alternating_window_s(0.0, 144, 400.0)  # 10-minute spacing, 6.7-minute windows


# -- the local-join rule (moved from devices._rules.JoinWindowPolicy, issue 10) ---------------------------
@pytest.mark.parametrize(("joiner", "mechanisms", "now", "pressed", "pre", "expected"), [
    ("HHT", frozenset(), 1800.0, None, False, True),  # baseline: the power-on hour
    ("HHT", frozenset(), 3600.0, None, False, False),  # half-open: closed at 60 min
    ("PPMID", frozenset(), 1800.0, None, False, False),  # baseline admits no PPMID locally
    ("PPMID", frozenset({"power_cycle"}), 1800.0, None, False, True),
    ("PPMID", frozenset({"standing"}), 10 * 86_400.0, None, False, True),
    ("PPMID", frozenset({"button"}), 5000.0, 4500.0, False, True),  # 500 s after a press (600 s window)
    ("PPMID", frozenset({"button"}), 5100.0, 4500.0, False, False),
    ("HHT", frozenset({"alternating"}), 1800.0, None, False, False),  # the schedule replaces the hour
    ("HHT", frozenset({"alternating"}), 86_400.0 + 43_200.0 + 10, None, False, True),  # day 1 (odd) 12:00
    ("PPMID", frozenset({"preauth"}), 10 * 86_400.0, None, True, True),
    ("PPMID", frozenset({"preauth"}), 10 * 86_400.0, None, False, False),
    ("IHD", frozenset({"standing"}), 1800.0, None, False, False),  # nothing else ever joins locally
])
def test_local_join_permitted(joiner: str, mechanisms: frozenset[str], now: float, pressed: float | None,
                              pre: bool, expected: bool) -> None:
    # hub powered on at t = 0; windows from DESIGN.md / DOMAIN.md §3.6 (60 min, 10 min button, one 5-min window)
    assert w.local_join_permitted(joiner, mechanisms, now, 0.0, pressed, pre) is expected
