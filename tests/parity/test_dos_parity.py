"""DoS parity: the fleet model's flood rule (``policy.attackers``) against the emulator's ``join_flood`` attacker.

The fleet model takes a flood without credentials to keep the hub busy a share ``x / (1 + x)`` of the time
(``x`` = attempt rate x key-establishment time): a one-server loss system (Erlang's loss formula, one server),
so a legitimate joiner arriving at a random moment is turned away with that probability. The emulator
does it event by event (``premises.site``: a Poisson flood, ``cbke_s`` per attempt that finds the hub
free). Here many emulated premises, each with its own seed, say how often the replacement PPMID's first
join attempt is turned away; the binomial 99.7% band around the formula must hold it. A flood at a closed
window costs nothing in both, and a credentialled flood fills the device log (blocked outright) in both.
"""

from __future__ import annotations

import math

import pytest

from smetslab.policy.attackers import dos_busy_share, dos_lost_hours, flood_overlap_hours
from smetslab.premises.site import Site, SiteConfig

DAY = 86_400.0
HOUR = 3_600.0
CBKE_S = 5.0
PPMID_EUI = "00DB12345678A402"  # the replacement PPMID (Site's second PPMID)


def first_attempt_blocked(seed: int, rate_per_hour: float, options: str = "secmp0037",
                          credentials: bool = False) -> bool:
    """One emulated premises: WAN and PPMID lost on day 1; on day 2 a ten-minute flood starts and, 200 s into it
    (long after the hub's busy/free cycle has settled: each busy spell is 5 s), the replacement PPMID arrives
    and tries to join. True if its first attempt is turned away."""
    s = Site(SiteConfig(seed=seed, options=options, meter_keypad_reachable=False, cbke_s=CBKE_S))
    s.install(0)
    s.wan_lost(DAY)
    s.ppmid_lost(DAY)
    s.attacker(2 * DAY + 1000, kind="join_flood", credentials=credentials, duration_s=600,
               rate_per_hour=rate_per_hour)
    s.replacement_ppmid_arrives(2 * DAY + 1200)
    s.run(2 * DAY + HOUR)
    tries = [r for r in s.engine.log.select(event="LocalJoinBlocked") + s.engine.log.select(event="DeviceJoined")
             + s.engine.log.select(event="LocalJoinRefused") if r.fields.get("eui") == PPMID_EUI]
    assert tries, "the replacement PPMID never tried to join"
    first = min(tries, key=lambda r: r.time)
    return first.event != "DeviceJoined"


def _band(p: float, n: int) -> float:
    return 3.0 * math.sqrt(p * (1.0 - p) / n)


@pytest.mark.parametrize("rate, expected", [
    (2160.0, 0.75),  # x = 2160/3600 x 5 = 3: 3/4 (a naive 1 - exp(-x) would say 0.95, outside the band)
    (720.0, 0.5),  # x = 1: 1/2 (naive: 0.63)
])
def test_the_emulators_flood_turns_a_joiner_away_as_often_as_the_fleet_rule_says(rate, expected):
    n = 200
    assert dos_busy_share(rate, CBKE_S) == pytest.approx(expected)
    blocked = sum(first_attempt_blocked(seed, rate) for seed in range(n))
    assert abs(blocked / n - expected) < _band(expected, n), (blocked, n, expected)


@pytest.mark.slow
@pytest.mark.parametrize("rate", [240.0, 7200.0])
def test_the_flood_rule_holds_at_other_rates(rate):
    n = 1000
    expected = dos_busy_share(rate, CBKE_S)
    blocked = sum(first_attempt_blocked(seed, rate) for seed in range(n))
    assert abs(blocked / n - expected) < _band(expected, n), (blocked, n, expected)


def test_a_flood_at_a_closed_window_takes_no_availability_in_either():
    # baseline: the hub is not accepting local joins on day 2 (no power-on window), so the flood cannot occupy it
    s = Site(SiteConfig(seed=7, options="baseline", cbke_s=CBKE_S))
    s.install(0)
    s.attacker(2 * DAY, kind="join_flood", credentials=False, duration_s=HOUR, rate_per_hour=720.0)
    s.run(2 * DAY + 2 * HOUR)
    assert not s.engine.log.select(event="LocalJoinBlocked") and s.counters()["dos_blocked_joins"] == 0
    assert dos_lost_hours(flood_overlap_hours(1.0, 0.0), 0.0, dos_busy_share(720.0, CBKE_S), 0.0, 168.0) == 0.0


def test_a_credentialled_flood_blocks_outright_in_both():
    # the emulator: the rogues fill the device log and the joiner is refused (DEVICE_LOG_FULL) at any moment
    assert all(first_attempt_blocked(seed, 720.0, credentials=True) for seed in range(3))
    # the rule: with credentials the whole recovery time is lost, not the busy share of the overlap
    assert dos_lost_hours(1.0, 1.0, 0.5, 1.0, 168.0) == 168.0
