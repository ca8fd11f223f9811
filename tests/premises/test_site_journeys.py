"""Site-level journeys: the no-WAN stories the SEC working group argued about, end to end with real GBCS.

Expected numbers are closed forms of the timeline (hours between two scheduled moments, the spend of a
flat profile), the alternating-window schedule of docs/options.md, or DOMAIN.md facts - never read back
from the code under test."""

from __future__ import annotations

import pytest
from _sitekit import DAY, HOUR, events, site


def paired_at(s, method: str | None = None, device: str | None = None) -> list[float]:
    return [r.time for r in events(s, "PairedWithMeter", device) if method is None or r.fields["method"] == method]


# -- no WAN at install ---------------------------------------------------------------------------------


def test_no_wan_at_install_baseline_ppmid_waits_for_the_wan_and_the_meter_keypad_works():
    s = site(seed=11, options="baseline")
    s.install(0, wan=False)
    s.issue_utrn(DAY, value_pence=800, fuel="electricity", route="sms")
    s.wan_restored(10 * DAY)
    s.run(12 * DAY)
    (acc,) = events(s, "TopUpAccepted", "ESME")
    assert acc.fields["route"] == "KEYPAD" and acc.fields["value_pence"] == 800  # no paired PPMID: at the meter
    times = paired_at(s)
    assert times and min(times) >= 10 * DAY  # the PPMID pairs only once the WAN is back
    assert {r.fields["method"] for r in events(s, "PairedWithMeter")} == {"CS03A2", "CS03C"}
    c = s.counters()
    assert c["ppmid_paired"] == 1 and c["no_route_hours"] == 0
    assert c["utrn_only_hours"] == pytest.approx(10 * 24)  # WAN down for days 0-10, keypad usable
    # The installer's HHT joined in the 60-minute power-on window and carried the meters' CCS01s.
    assert [r.fields["via"] for r in events(s, "DeviceJoined") if r.fields["device_type"] == "HHT"] == ["LOCAL"]


def test_no_wan_at_install_without_keypad_means_no_route_until_the_wan_under_baseline():
    s = site(seed=12, options="baseline", meter_keypad_reachable=False)
    s.install(0, wan=False)
    s.wan_restored(10 * DAY)
    s.run(12 * DAY)
    assert s.counters()["no_route_hours"] == pytest.approx(10 * 24)


def test_no_wan_at_install_secmp0037_pairs_the_ppmid_locally_at_once():
    s = site(seed=13, options="secmp0037", meter_keypad_reachable=False)
    s.install(0, wan=False)
    s.run(2 * DAY)
    times = paired_at(s, "LOCAL")
    assert len(times) == 2 and max(times) < HOUR  # both meters, during the installation visit
    assert s.counters()["ppmid_paired"] == 1


# -- WAN lost with the PPMID paired ----------------------------------------------------------------------


def test_wan_lost_with_ppmid_paired_keypad_utrns_still_reach_both_meters():
    s = site(seed=14, options="baseline")
    s.install(0)
    s.wan_lost(DAY)
    at = 2 * DAY + 100
    s.issue_utrn(at, value_pence=1000, fuel="electricity", route="ppmid")
    s.issue_utrn(at, value_pence=1200, fuel="gas", route="ppmid")
    s.issue_utrn(at, value_pence=500, fuel="electricity", route="wan")  # the app cannot reach the meter
    s.run(3 * DAY)
    elec = events(s, "TopUpAccepted", "ESME")
    gas = events(s, "TopUpAccepted", "GSME")
    assert [(r.fields["use_case"], r.time) for r in elec] == [("PECS01", at)]
    # PCS01 waits at the hub for the GSME's next wake-up (every 1 800 s from t = 0).
    assert [(r.fields["use_case"], r.time) for r in gas] == [("PCS01", 2 * DAY + 1800)]
    c = s.counters()
    assert c["topups_credited_pence"] == 2200 and c["wan_top_ups_failed"] == 1 and c["no_route_hours"] == 0


# -- WAN lost, then the PPMID breaks ---------------------------------------------------------------------


def lost_ppmid(options: str, *, keypad: bool, hub_reachable: bool = True, until: float = 22 * DAY):
    s = site(seed=15, options=options, meter_keypad_reachable=keypad, hub_reachable=hub_reachable)
    s.install(0)
    s.wan_lost(DAY)
    s.ppmid_lost(2 * DAY)
    s.replacement_ppmid_arrives(3 * DAY)
    s.wan_restored(20 * DAY)
    s.run(until)
    return s


def test_baseline_lost_ppmid_no_route_until_the_wan_is_restored():
    s = lost_ppmid("baseline", keypad=False)
    c = s.counters()
    assert c["no_route_hours"] == pytest.approx((20 - 2) * 24)
    assert min(paired_at(s, device="PPMID-2")) >= 20 * DAY and c["ppmid_paired"] == 1
    assert events(s, "LocalPairingImpossible")


def test_baseline_lost_ppmid_with_the_meter_keypad_is_utrn_only_not_no_route():
    c = lost_ppmid("baseline", keypad=True).counters()
    assert c["no_route_hours"] == 0 and c["utrn_only_hours"] == pytest.approx((20 - 1) * 24)


@pytest.mark.parametrize("option, pairs_at", [
    ("secmp0037", 3 * DAY),
    ("hub_button", 3 * DAY),  # the consumer presses, then the PPMID joins
    ("power_cycle_window", 3 * DAY + 60),  # the hub takes a minute to come back
    ("alternating_windows", 3 * DAY + 12 * HOUR + 1),  # day 3 is odd: its window opens at 12:00
    ("firmware_preauth", 3 * DAY),  # the spare was pre-registered while the WAN was up
])
def test_local_pairing_options_pair_the_replacement_without_the_wan(option, pairs_at):
    s = lost_ppmid(option, keypad=False, until=10 * DAY)
    local = paired_at(s, "LOCAL")
    assert len(local) == 2 and min(local) == pytest.approx(pairs_at)
    c = s.counters()
    assert c["no_route_hours"] == pytest.approx((pairs_at - 2 * DAY) / HOUR)
    assert c["ppmid_paired"] == 1 and c["local_pairings"] == 1


def test_hub_button_needs_a_reachable_hub():
    s = lost_ppmid("hub_button", keypad=False, hub_reachable=False, until=10 * DAY)
    assert not paired_at(s, "LOCAL") and events(s, "LocalPairingImpossible")


def test_combined_options_use_whichever_works_first():
    s = lost_ppmid("alternating_windows+hub_button", keypad=False, until=10 * DAY)
    assert min(paired_at(s, "LOCAL")) == pytest.approx(3 * DAY)  # the button beats waiting for a window


def test_an_engineer_pairs_a_replacement_locally_with_commands_for_local_delivery():
    s = site(seed=16, meter_keypad_reachable=False, engineer_after_no_route_days=2)
    s.install(0)
    s.wan_lost(DAY)
    s.ppmid_lost(2 * DAY)
    s.replacement_ppmid_arrives(3 * DAY)
    s.run(6 * DAY)
    c = s.counters()
    assert c["engineer_visits"] == 1 and c["ppmid_paired"] == 1
    times = paired_at(s, "CS03A2")
    assert times[-1] == pytest.approx(4 * DAY + 70)  # dispatched after 2 days without a route; HHT at +60 s
    assert c["no_route_hours"] == pytest.approx(48 + 70 / HOUR)


# -- credit runs out -----------------------------------------------------------------------------------


def test_self_disconnection_without_any_route_is_the_closed_form():
    s = site(seed=17, initial_credit_pence=1000, daily_spend_pence=300, meter_keypad_reachable=False)
    s.install(0)
    s.wan_lost(DAY)
    s.ppmid_lost(DAY)
    s.run(10 * DAY)
    # Each meter runs out when 300 p/day has used 1000 p: at 1000/300 days; off from then to day 10.
    expected_per_meter = (10 * DAY - 1000 * DAY / 300) / HOUR
    assert s.counters()["self_disconnected_hours"] == pytest.approx(2 * expected_per_meter)


def test_a_consumer_with_the_wan_tops_up_by_app_and_never_goes_off_supply():
    s = site(seed=18, initial_credit_pence=600, daily_spend_pence=300, consumer_tops_up_below_pence=400)
    s.install(0)
    s.run(30 * DAY)
    c = s.counters()
    assert c["self_disconnected_hours"] == 0 and c["topups_accepted"] >= 2 * 4
    assert {r.fields["use_case"] for r in events(s, "TopUpAccepted")} == {"CS01a", "CS01b"}
    # Conservation on each meter: balance = initial + credited - spent (integer pence, flat 300 p/day).
    for fuel in ("electricity", "gas"):
        m = s.meter_state(fuel)
        assert m.balance_pence + m.consumed_pence == 600 + m.topped_up_pence


def test_a_consumer_whose_wan_fails_falls_back_to_the_ppmid_keypad():
    s = site(seed=19, initial_credit_pence=600, daily_spend_pence=300, consumer_tops_up_below_pence=400)
    s.install(0)
    s.wan_lost(DAY)
    s.run(20 * DAY)
    routes = {r.fields["route"] for r in events(s, "TopUpDecided") if r.time >= DAY}
    assert routes == {"ppmid"} and s.counters()["self_disconnected_hours"] == 0


# -- the same UTRN twice -----------------------------------------------------------------------------------


def test_the_same_utrn_typed_on_the_ppmid_and_on_the_meter_keypad_credits_once():
    s = site(seed=20)
    s.install(0)
    s.wan_lost(DAY)
    s.issue_utrn(2 * DAY, value_pence=1500, fuel="electricity", route="ppmid", label="u")
    s.enter_utrn(2 * DAY + 600, label="u", on="meter_keypad")
    s.issue_utrn(3 * DAY, value_pence=700, fuel="gas", route="meter_keypad", label="g")
    s.enter_utrn(3 * DAY + 600, label="g", on="ppmid")
    s.run(4 * DAY)
    c = s.counters()
    assert c["topups_credited_pence"] == 1500 + 700 and c["duplicate_utrns_rejected"] == 2
    assert [r.fields["reason"] for r in events(s, "TopUpRejected")] == ["DUPLICATE", "DUPLICATE"]


# -- determinism -------------------------------------------------------------------------------------------


def busy_story(seed: int) -> str:
    s = site(seed=seed, options="secmp0037+secmp0038", consumer_tops_up_below_pence=500)
    s.install(0)
    s.wan_lost(DAY)
    s.issue_utrn(DAY + 10, value_pence=900, fuel="gas", route="relay")
    s.ppmid_lost(2 * DAY)
    s.attacker(2 * DAY + 100, kind="join_flood", duration_s=600, rate_per_hour=600)
    s.replacement_ppmid_arrives(2 * DAY + 300)
    s.attacker(3 * DAY, kind="forge_command", duration_s=1200, rate_per_hour=6)
    s.wan_restored(5 * DAY)
    s.run(6 * DAY)
    return s.engine.log.to_jsonl()


def test_same_seed_same_event_log_byte_for_byte():
    first = busy_story(21)
    assert first == busy_story(21)
    assert first != busy_story(22)  # the seed matters (keys, UTRNs, rogue identities)
