"""Local joins that compete for the hub, and a hub without the option's firmware (docs/parity.md findings 4
and 5, fixed in the emulator).

Expected times are closed forms of the timeline: the alternating schedule of docs/options.md (one 5-minute
window a day, 00:00 on even days and 12:00 on odd days), the hub's key establishment time ``cbke_s`` (5 s), the
consumer's retry interval ``join_retry_s`` (600 s), the HHT's start 60 s after the engineer arrives and the
join delay of 10 s after a CCS01 (docs/emulator.md); which mechanisms are firmware is DESIGN.md's catalogue
(the hub button is hardware, the window options are firmware)."""

from __future__ import annotations

import json

import pytest
from _sitekit import DAY, HOUR, events, site

from smetslab.premises.site import Site, SiteConfig

CBKE_S = 5.0
RETRY_S = 600.0
REPLACEMENT_EUI = "00DB12345678A402"  # PPMID-2


def joined_at(s, eui: str) -> list[float]:
    return [r.time for r in events(s, "DeviceJoined", "CHF") if r.fields["eui"] == eui]


def blocked_at(s, eui: str) -> list[float]:
    return [r.time for r in events(s, "LocalJoinBlocked", "CHF") if r.fields["eui"] == eui]


def lost_ppmid(options: str, **kw: object):
    s = site(seed=60, options=options, meter_keypad_reachable=False, **kw)
    s.install(0)
    s.wan_lost(DAY)
    s.ppmid_lost(DAY)
    return s


# -- finding 4: two joiners in one window --------------------------------------------------------------


def test_a_no_wan_install_under_alternating_windows_pairs_the_ppmid_in_the_installers_window():
    # Installed on day 0 at 02:00, after that day's 00:00 window: the installer's HHT waits for day 1 12:00.
    s = site(seed=61, options="alternating_windows", meter_keypad_reachable=False)
    s.install(2 * HOUR, wan=False)
    s.issue_utrn(2 * DAY, value_pence=700, fuel="electricity", route="ppmid")
    s.run(3 * DAY)
    window = DAY + 12 * HOUR
    (hht,) = [r.time for r in events(s, "DeviceJoined", "CHF") if r.fields["device_type"] == "HHT"]
    assert hht == window + 1
    # The installer pairs the PPMID once the meters have joined (10 s after the HHT's CCS01s), in the same window.
    local = [(r.device, r.time) for r in events(s, "PairedWithMeter", "PPMID") if r.fields["method"] == "LOCAL"]
    assert local and all(window <= t < window + 300 for _, t in local)
    (acc,) = events(s, "TopUpAccepted", "ESME")  # the ESME knows the PPMID: a UTRN typed on it credits
    assert acc.fields["route"] == "PPMID" and acc.fields["value_pence"] == 700
    c = s.counters()
    assert c["ppmid_paired"] == 1 and c["local_pairings"] == 1 and c["dos_blocked_joins"] == 0
    assert c["no_route_hours"] == pytest.approx((window - 2 * HOUR) / HOUR, abs=120 / HOUR)


def test_a_ppmid_turned_away_by_a_busy_hub_tries_again_once_the_key_establishment_is_over():
    s = lost_ppmid("secmp0037")
    s.attacker(2 * DAY, kind="rogue_join", credentials=False, duration_s=60, rate_per_hour=60)  # one attempt
    s.replacement_ppmid_arrives(2 * DAY)  # the rogue's key establishment (failing) holds the hub for 5 s
    s.run(3 * DAY)
    assert blocked_at(s, REPLACEMENT_EUI) == [2 * DAY]
    assert joined_at(s, REPLACEMENT_EUI) == [2 * DAY + CBKE_S]
    c = s.counters()
    assert c["dos_blocked_joins"] == 1 and c["rogue_joins"] == 0 and c["ppmid_paired"] == 1


def test_a_hub_kept_busy_by_a_flood_sends_the_ppmid_back_to_retrying_every_join_retry_s():
    s = lost_ppmid("secmp0037")
    s.attacker(2 * DAY, kind="join_flood", credentials=False, duration_s=1200, rate_per_hour=18_000)
    s.replacement_ppmid_arrives(2 * DAY + 60)
    s.run(3 * DAY)
    t = blocked_at(s, REPLACEMENT_EUI)
    # one quick retry after the key establishment that turned it away, then the consumer's interval
    assert t[:3] == [2 * DAY + 60, 2 * DAY + 60 + CBKE_S, 2 * DAY + 60 + CBKE_S + RETRY_S]
    (joined,) = joined_at(s, REPLACEMENT_EUI)
    assert (joined - t[2]) % RETRY_S == 0 and s.counters()["ppmid_paired"] == 1


def test_an_hht_turned_away_by_a_busy_hub_tries_again_and_the_engineer_pairs_the_ppmid():
    s = lost_ppmid("baseline")
    s.replacement_ppmid_arrives(1.5 * DAY)
    s.engineer_visit(2 * DAY)  # power-cycles the hub; the HHT asks to join 60 s later
    s.attacker(2 * DAY + 60, kind="rogue_join", credentials=False, duration_s=60, rate_per_hour=60)
    s.run(3 * DAY)
    assert [r.fields["reason"] for r in events(s, "HHTJoinFailed")] == ["HUB_BUSY"]
    (hht,) = [r.time for r in events(s, "DeviceJoined", "CHF") if r.fields["device_type"] == "HHT"]
    assert hht == 2 * DAY + 60 + CBKE_S
    c = s.counters()
    assert c["ppmid_paired"] == 1 and c["engineer_visits"] == 1
    assert c["dos_blocked_joins"] == 1  # the rogue's key establishment held the hub


def test_a_join_turned_away_by_a_legitimate_key_establishment_is_no_denial_of_service():
    # Day 3 is odd: its window opens at 12:00. The replacement and the engineer's HHT (refused in the power-on
    # hour, which alternating_windows replaces) both wait for it; the replacement was first in line.
    s = lost_ppmid("alternating_windows")
    s.replacement_ppmid_arrives(3 * DAY)
    s.engineer_visit(3 * DAY + HOUR)
    s.run(4 * DAY)
    window = 3 * DAY + 12 * HOUR
    assert joined_at(s, REPLACEMENT_EUI) == [window + 1]
    (hht_eui,) = {r.fields["eui"] for r in events(s, "DeviceJoined", "CHF") if r.fields["device_type"] == "HHT"}
    assert blocked_at(s, hht_eui) == [window + 1] and joined_at(s, hht_eui) == [window + 1 + CBKE_S]
    assert s.counters()["dos_blocked_joins"] == 0


# -- finding 5: the hub's firmware decides its join rules -----------------------------------------------


def test_without_the_firmware_an_engineer_joins_in_the_power_on_hour_under_alternating_windows():
    s = lost_ppmid("alternating_windows", firmware_ok=False, engineer_after_no_route_days=2)
    s.replacement_ppmid_arrives(3 * DAY)
    s.run(6 * DAY)
    assert events(s, "LocalPairingImpossible")  # no schedule on this hub: the consumer cannot pair it
    (hht,) = [r.time for r in events(s, "DeviceJoined", "CHF") if r.fields["device_type"] == "HHT"]
    assert hht == 3 * DAY + 60  # dispatched at the tick 2 days after the loss; HHT at +60 s, in the hour
    c = s.counters()
    assert c["engineer_visits"] == 1 and c["ppmid_paired"] == 1 and c["local_pairings"] == 0
    assert c["no_route_hours"] == pytest.approx(48 + 70 / HOUR)  # + the HHT's 60 s and the 10 s join delay


def test_without_the_firmware_no_spare_is_preregistered_under_firmware_preauth():
    s = lost_ppmid("firmware_preauth", firmware_ok=False)
    s.replacement_ppmid_arrives(2 * DAY)
    s.run(3 * DAY)
    assert not events(s, "DevicePreauthorised") and events(s, "LocalPairingImpossible")
    assert s.counters()["ppmid_paired"] == 0


@pytest.mark.parametrize("firmware_ok, joins", [(True, 1), (False, 0)])
def test_a_rogue_finds_a_standing_window_only_on_a_hub_with_the_firmware(firmware_ok, joins):
    s = site(seed=62, options="secmp0037", firmware_ok=firmware_ok)
    s.install(0)
    s.attacker(DAY, kind="rogue_join", credentials=True, duration_s=HOUR, rate_per_hour=6)
    s.run(2 * DAY)
    assert s.counters()["rogue_joins"] == joins


def test_a_no_wan_install_without_the_firmware_cannot_pair_the_ppmid_locally():
    # firmware_ok describes the installed hub: the consumer's plan and the hub's rules read the same flag.
    s = site(seed=63, options="secmp0037", firmware_ok=False, meter_keypad_reachable=False)
    s.install(0, wan=False)
    s.run(DAY)
    assert events(s, "LocalPairingImpossible") and not [
        r for r in events(s, "DeviceJoined", "CHF") if r.fields["device_type"] == "PPMID"]
    assert s.counters()["no_route_hours"] == pytest.approx(24.0)


# -- snapshot and restore in the middle of it -------------------------------------------------------------


def _install_under_alternating(s):
    return [(2 * HOUR, lambda: s.install(2 * HOUR, wan=False))]


def _ppmid_busy(s):
    return [(0.0, lambda: s.install(0)), (DAY, lambda: s.wan_lost(DAY)), (DAY + 1, lambda: s.ppmid_lost(DAY + 1)),
            (2 * DAY, lambda: s.attacker(2 * DAY, kind="rogue_join", duration_s=60, rate_per_hour=60)),
            (2 * DAY + 0.5, lambda: s.replacement_ppmid_arrives(2 * DAY + 0.5))]


def _hht_busy(s):
    return [(0.0, lambda: s.install(0)), (DAY, lambda: s.wan_lost(DAY)), (DAY + 1, lambda: s.ppmid_lost(DAY + 1)),
            (1.5 * DAY, lambda: s.replacement_ppmid_arrives(1.5 * DAY)),
            (2 * DAY, lambda: s.engineer_visit(2 * DAY)),
            (2 * DAY + 60, lambda: s.attacker(2 * DAY + 60, kind="rogue_join", duration_s=60, rate_per_hour=60))]


@pytest.mark.parametrize("options, timeline, cut", [
    ("alternating_windows", _install_under_alternating, 2 * HOUR + 1000),  # the PPMID waits for the meters
    ("alternating_windows", _install_under_alternating, DAY + 12 * HOUR + 5),  # HHT in; the meters join at +11 s
    ("secmp0037", _ppmid_busy, 2 * DAY + 2),  # the PPMID's quick retry pending
    ("baseline", _hht_busy, 2 * DAY + 62),  # the HHT's retry pending
])
def test_a_restore_in_the_middle_of_a_contended_join_replays_it_exactly(options, timeline, cut):
    cfg = SiteConfig(seed=64, options=options, meter_keypad_reachable=False)
    original = Site(cfg)
    for _, call in timeline(original):
        call()
    original.run(cut)
    restored = Site.from_snapshot(json.loads(json.dumps(original.state_snapshot())), cfg)
    for at, call in timeline(restored):
        if at > cut:
            call()
    original.run(3 * DAY)
    restored.run(3 * DAY)
    assert original.counters()["ppmid_paired"] == 1
    assert restored.counters() == original.counters()
    assert [r.to_json() for r in restored.engine.log.records] == \
        [r.to_json() for r in original.engine.log.records if r.time > cut]
