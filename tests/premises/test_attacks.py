"""Attackers against a premises: rogue joins with the window open and closed, join floods, replays and
forgeries of UTRNs and commands, and a compromised SECMP0038 relay. A meter accepts what verifies and
refuses what does not; options decide when a rogue can get onto the HAN at all (DOMAIN.md §3.6: the
60-minute window is what limits rogue joins today)."""

from __future__ import annotations

import numpy as np
import pytest
from _sitekit import DAY, HOUR, events, site

from smetslab.errors import InputError
from smetslab.gbcs import utrn as gbcs_utrn
from smetslab.premises.attackers import Attack, AttackKind, is_rogue, tamper_utrn


def rogue(options: str, at: float, credentials: bool) -> dict[str, float]:
    s = site(seed=40, options=options)
    s.install(0)
    s.attacker(at, kind="rogue_join", credentials=credentials, duration_s=HOUR, rate_per_hour=6)
    s.run(at + 2 * HOUR)
    return s.counters()


@pytest.mark.parametrize("options, at, credentials, joins", [
    ("baseline", DAY, True, 0),  # no window a day after power-on
    ("baseline", 600, True, 1),  # inside the 60-minute HHT window: posing as an HHT works
    ("baseline", 600, False, 0),  # without a trusted CBKE certificate nothing works
    ("secmp0037", DAY, True, 1),  # a standing window lets a credentialled rogue in at any time
    ("secmp0037", DAY, False, 0),
    ("hub_button", DAY, True, 0),  # nobody pressed the button
    ("alternating_windows", DAY + 12 * HOUR + 60, True, 1),  # day 1 (odd) has its window at 12:00
    ("alternating_windows", DAY + 13 * HOUR, True, 0),
])
def test_rogue_join_succeeds_only_through_an_open_window_with_credentials(options, at, credentials, joins):
    c = rogue(options, at, credentials)
    assert c["rogue_joins"] == joins
    assert c["rogue_join_attempts"] == (1 if joins else 6)  # it stops trying once in
    assert c["legit_joins"] == 4  # ESME, GSME, IHD, PPMID at install: rogues are not counted as legitimate


def test_a_locally_joined_rogue_ppmid_is_paired_with_the_meters_too():
    s = site(seed=41, options="secmp0037")
    s.install(0)
    s.attacker(DAY, kind="rogue_join", credentials=True)
    s.run(2 * DAY)
    (joined,) = [r for r in events(s, "PeerJoined", "ESME") if is_rogue(bytes.fromhex(r.fields["eui"]))]
    assert joined.fields["method"] == "LOCAL"  # the hub cannot tell it from the customer's PPMID


def flood(credentials: bool, retries: int = 50) -> object:
    s = site(seed=42, options="secmp0037", max_join_retries=retries, meter_keypad_reachable=False)
    s.install(0)
    s.wan_lost(DAY)
    s.ppmid_lost(DAY)
    s.attacker(2 * DAY, kind="join_flood", credentials=credentials, duration_s=2 * HOUR, rate_per_hour=3600)
    s.replacement_ppmid_arrives(2 * DAY + 600)
    s.run(3 * DAY)
    return s


def test_a_credentialled_join_flood_fills_the_device_log_and_blocks_the_replacement():
    s = flood(True, retries=3)
    c = s.counters()
    capacity = s.config.device_log_capacity
    assert len(s.chf_state().device_log) == capacity  # full of rogues
    assert c["rogue_joins"] == capacity - 4  # ESME, GSME, IHD and the old PPMID kept their entries
    assert c["dos_blocked_joins"] == 4 and c["ppmid_paired"] == 0  # the first try and 3 retries
    assert {r.fields["reason"] for r in events(s, "LocalJoinRefused") if r.fields["eui"] == "00DB12345678A402"} \
        == {"DEVICE_LOG_FULL"}


def test_a_join_flood_without_credentials_only_delays_the_replacement():
    s = flood(False)
    c = s.counters()
    assert c["rogue_joins"] == 0 and c["dos_blocked_joins"] >= 1
    (joined,) = [r.time for r in events(s, "DeviceJoined") if r.fields["eui"] == "00DB12345678A402"]
    assert joined > 2 * DAY + 600 and c["ppmid_paired"] == 1  # in, once the hub was free between attempts


def test_a_flood_at_a_closed_window_costs_nothing():
    s = site(seed=43, options="baseline")
    s.install(0)
    s.attacker(DAY, kind="join_flood", credentials=True, duration_s=HOUR, rate_per_hour=600)
    s.run(2 * DAY)
    c = s.counters()
    assert c["rogue_joins"] == 0 and c["rogue_join_attempts"] > 100 and not events(s, "LocalJoinBlocked")


# -- replays and forgeries -------------------------------------------------------------------------------


def test_replayed_and_forged_utrns_never_credit_and_spread_out_failures_do_not_lock():
    s = site(seed=44)
    s.install(0)
    s.issue_utrn(HOUR, value_pence=900, fuel="electricity", route="ppmid")
    s.attacker(2 * HOUR, kind="replay_utrn", duration_s=HOUR, rate_per_hour=3)
    s.attacker(4 * HOUR, kind="forge_utrn", duration_s=HOUR, rate_per_hour=2)
    s.issue_utrn(4 * HOUR + 1900, value_pence=300, fuel="electricity", route="meter_keypad")
    s.run(6 * HOUR)
    c = s.counters()
    assert c["topups_credited_pence"] == 900 + 300  # only the supplier's two UTRNs credit
    assert [r.fields["reason"] for r in events(s, "TopUpRejected")] == ["DUPLICATE"] * 3 + ["NOT_AUTHENTIC"] * 2
    assert c["duplicate_utrns_rejected"] == 3 and c["forged_rejected"] == 2


def test_five_bad_entries_in_ten_minutes_lock_out_the_consumer_too():
    s = site(seed=45)
    s.install(0)
    s.issue_utrn(HOUR, value_pence=900, fuel="electricity", route="ppmid")
    s.attacker(2 * HOUR, kind="replay_utrn", duration_s=600, rate_per_hour=30)  # 5 tries, 2 minutes apart
    s.issue_utrn(2 * HOUR + 700, value_pence=300, fuel="electricity", route="meter_keypad")
    s.run(4 * HOUR)
    reasons = [r.fields["reason"] for r in events(s, "TopUpRejected")]
    # Lockout: 5 failures in 10 minutes -> 1 hour (DOMAIN.md §1.8, Landis+Gyr guidance).
    assert reasons == ["DUPLICATE"] * 5 + ["LOCKED_OUT"]


def test_a_replayed_or_forged_command_is_refused_by_the_meter():
    s = site(seed=46)
    s.install(0)
    s.issue_utrn(HOUR, value_pence=500, fuel="electricity", route="wan")
    s.attacker(2 * HOUR, kind="replay_command", duration_s=HOUR, rate_per_hour=2)
    s.attacker(4 * HOUR, kind="forge_command", duration_s=HOUR, rate_per_hour=2)
    s.run(6 * HOUR)
    c = s.counters()
    assert c["topups_credited_pence"] == 500 and c["replays_rejected"] == 2 and c["forged_rejected"] == 2
    assert [r.fields["reason"] for r in events(s, "CommandRejected", "ESME")] == ["REPLAYED"] * 2 + \
        ["NOT_AUTHENTIC"] * 2


# -- SECMP0038 relay -------------------------------------------------------------------------------------


def relay_site(options: str = "secmp0038", **kw: object):
    s = site(seed=47, options=options, **kw)
    s.install(0)
    s.wan_lost(DAY)
    return s


def test_secmp0038_relays_a_top_up_and_a_replay_of_it_is_refused():
    s = relay_site()
    s.issue_utrn(2 * DAY, value_pence=1000, fuel="electricity", route="relay")
    s.attacker(2 * DAY + HOUR, kind="relay_replay", duration_s=HOUR, rate_per_hour=2)
    s.run(3 * DAY)
    c = s.counters()
    (acc,) = events(s, "TopUpAccepted", "ESME")
    assert acc.fields["use_case"] == "CS01a" and acc.fields["route"] == "REMOTE"
    assert c["topups_credited_pence"] == 1000 and c["commands_relayed"] == 3 and c["replays_rejected"] == 2
    assert "CS01a" in s.supplier.replies  # the meter's response came back through the relay


def test_without_secmp0038_the_ppmid_relays_nothing():
    s = relay_site("baseline")
    s.issue_utrn(2 * DAY, value_pence=1000, fuel="electricity", route="relay")
    s.run(3 * DAY)
    assert s.counters()["topups_credited_pence"] == 0
    assert events(s, "RelayRefused")[0].fields["reason"] == "RELAY_NOT_PERMITTED"


def test_a_relay_that_drops_loses_the_top_up():
    s = relay_site()
    s.attacker(2 * DAY - 60, kind="relay_drop", duration_s=HOUR)
    s.issue_utrn(2 * DAY, value_pence=1000, fuel="electricity", route="relay")
    s.run(3 * DAY)
    c = s.counters()
    assert c["topups_credited_pence"] == 0 and c["relay_dropped"] == 1


@pytest.mark.parametrize("rule, credited", [("strictly_greater", 400), ("unseen", 1400)])
def test_a_delayed_relay_loses_an_overtaken_top_up_under_the_strict_counter_rule(rule, credited):
    s = relay_site(replay_rule=rule)
    s.attacker(2 * DAY - 60, kind="relay_delay", duration_s=120, delay_s=2 * HOUR)
    s.issue_utrn(2 * DAY, value_pence=1000, fuel="electricity", route="relay")  # held back 2 hours
    s.issue_utrn(2 * DAY + HOUR, value_pence=400, fuel="electricity", route="relay")  # overtakes it
    s.run(3 * DAY)
    assert s.counters()["topups_credited_pence"] == credited


def test_a_relay_flood_credits_nothing_and_every_frame_is_refused_somewhere():
    s = relay_site()
    s.issue_utrn(2 * DAY, value_pence=1000, fuel="gas", route="relay")
    s.attacker(2 * DAY + HOUR, kind="relay_flood", duration_s=HOUR, rate_per_hour=30)
    s.run(3 * DAY)
    c = s.counters()
    relay_refused = len(events(s, "RelayRefused"))
    assert c["topups_credited_pence"] == 1000
    assert c["replays_rejected"] + c["forged_rejected"] + relay_refused == 30


def test_a_clone_of_the_preauthorised_spare_takes_its_place():
    s = site(seed=48, options="firmware_preauth", meter_keypad_reachable=False)
    s.install(0)
    s.wan_lost(DAY)
    s.attacker(DAY + HOUR, kind="rogue_join", credentials=True)
    s.ppmid_lost(2 * DAY)
    s.replacement_ppmid_arrives(3 * DAY)
    s.run(4 * DAY)
    c = s.counters()
    assert c["rogue_joins"] == 1 and c["ppmid_paired"] == 0  # the spare's identity is already on the HAN


# -- the attackers module ------------------------------------------------------------------------------


def test_attack_kinds_and_attempts():
    with pytest.raises(InputError, match="allowed"):
        Attack.of("teleport", 0.0)
    with pytest.raises(InputError, match="rate_per_hour"):
        Attack(AttackKind.ROGUE_JOIN, 0.0, rate_per_hour=0)
    assert Attack(AttackKind.ROGUE_JOIN, 100.0, duration_s=3600, rate_per_hour=4).attempt_times() == \
        [100.0, 1000.0, 1900.0, 2800.0]


def test_a_tampered_utrn_passes_the_check_digit_but_not_the_mac():
    rng = np.random.default_rng(1)
    code = "73942998772060600044"
    for _ in range(20):
        forged = tamper_utrn(code, rng)
        assert forged != code and forged[:10] == code[:10]
        assert gbcs_utrn.check_digit(forged[:19]) == int(forged[19])
