"""Parity with non-default join windows (issue 10 point 4): the scenario's window lengths reach the emulator
(``SiteConfig.hht_window_s``, ``hub_button_window_s``, ``alternating_windows_per_day``, ``alternating_window_s``
-> ``JoinWindowPolicy``), so a changed window moves the emulator as it moves the fleet model, and parity
notices when it does not.

The paper values are worked out by hand from the situation and the schedule rule (docs/parity.md).
"""

from __future__ import annotations

import functools

import pytest
from _paritykit import Compared, check, compare, params

from _parity_adapter import Situation, situation_story

WINDOWS = dict(windows__alternating_windows_per_day=4, windows__alternating_window_minutes=10.0,
               windows__hht_window_minutes=30.0, windows__hub_button_window_minutes=3.0)

# WAN lost for 50 days from day 57.2; the PPMID is lost 6.25 days in (day 63.45) and the replacement is there
# 3 + 0.5 days later, on day 66.95 = day 66 (even) 22:48. No keypad, no phone: no route from the loss until
# the replacement pairs. Credit lasts 20 days, so nobody goes off supply.
LOST = Situation(False, 57.2, 50.0, 6000.0, 300.0, ppmid_loss_days=6.25, hub_reachable=True, firmware=True,
                 spare=True)
OPTIONS = ("alternating_windows", "hub_button", "baseline")
METRICS = ("no_route", "utrn_only", "self_disconnection", "local_pairings", "engineer_visits")


@functools.cache
def _compared(option: str, windows: bool) -> Compared:
    return compare(params(**WINDOWS) if windows else params(), LOST, option)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("option", OPTIONS)
def test_fleet_and_emulator_agree_with_non_default_windows(option: str, metric: str) -> None:
    check(_compared(option, True), metric)


def test_the_scenario_windows_reach_the_story() -> None:
    story = situation_story(params(**WINDOWS), LOST, "alternating_windows")
    assert {k: story["premises"][k] for k in ("hht_window_s", "hub_button_window_s", "alternating_windows_per_day",
                                              "alternating_window_s")} == \
        {"hht_window_s": 1800.0, "hub_button_window_s": 180.0, "alternating_windows_per_day": 4,
         "alternating_window_s": 600.0}


def test_more_alternating_windows_shorten_the_wait_on_both_sides_by_the_hand_worked_amount() -> None:
    # One window a day: even days at 00:00, odd days at 12:00. From day 66 22:48 the next is day 67 12:00:
    # 13.2 h. Four a day (every 6 h; odd days shifted by 3 h): the next is day 67 03:00: 4.2 h. No route from
    # the loss (day 63.45) to the replacement (3.5 days = 84 h) plus the wait.
    default, four = _compared("alternating_windows", False), _compared("alternating_windows", True)
    assert default.hours()["no_route"][0] == pytest.approx(84.0 + 13.2, abs=1e-6)  # fleet
    assert four.hours()["no_route"][0] == pytest.approx(84.0 + 4.2, abs=1e-6)
    # the emulator pairs a little after the window opens (_paritykit.LOCAL_PAIRING_H), never before
    assert 84.0 + 13.2 <= default.hours()["no_route"][1] <= 84.0 + 13.2 + 0.04
    assert 84.0 + 4.2 <= four.hours()["no_route"][1] <= 84.0 + 4.2 + 0.04
