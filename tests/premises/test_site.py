"""The Site API D's runner and persistence build on: configuration errors name the field, the timeline
methods check their arguments, counters() carries the contract's keys, and a snapshot restores a premises
that carries on exactly as the original would (no UTRN accepted twice, no credit lost)."""

from __future__ import annotations

import json

import pytest
from _sitekit import DAY, events, keystore, site

from smetslab.errors import InputError
from smetslab.gbcs.keystore import Keystore
from smetslab.premises.site import COUNTER_NAMES, Site, SiteConfig

CONTRACT_COUNTERS = {
    "topups_accepted", "topups_rejected", "topups_credited_pence", "duplicate_utrns_rejected", "forged_rejected",
    "rogue_joins", "rogue_join_attempts", "legit_joins", "dos_blocked_joins", "self_disconnected_hours",
    "no_route_hours", "utrn_only_hours", "ppmid_paired", "replays_rejected", "commands_relayed",
    "engineer_visits", "join_window_open_hours",
}


@pytest.mark.parametrize("field, value, words", [
    ("options", "secmp0037+teleport", "teleport"),
    ("fuel", "oil", "fuel"),
    ("initial_credit_pence", 10.5, "initial_credit_pence"),
    ("device_log_capacity", 2, "device_log_capacity"),
    ("replay_rule", "sometimes", "replay_rule"),
    ("tick_s", 0, "tick_s"),
    ("epoch", "2025-01-01", "epoch"),
    ("mesh_neighbour", "the pub", "mesh_neighbour"),
])
def test_bad_configuration_names_the_field(field, value, words):
    with pytest.raises(InputError, match=words):
        SiteConfig(**{field: value})


def test_a_keystore_without_the_devices_private_keys_is_refused_with_advice():
    with pytest.raises(InputError, match="private keys"):
        Site(SiteConfig(keystore=Keystore()))
    assert Site(SiteConfig(keystore=keystore())).keystore is not None  # a full test PKI is fine


def test_timeline_arguments_are_checked_when_scheduled():
    s = site(fuel="electricity")
    with pytest.raises(InputError, match="gas"):
        s.issue_utrn(0, value_pence=100, fuel="gas", route="ppmid")
    with pytest.raises(InputError, match="route"):
        s.issue_utrn(0, value_pence=100, fuel="electricity", route="pigeon")
    with pytest.raises(InputError, match="8191"):
        s.issue_utrn(0, value_pence=8250, fuel="electricity", route="ppmid")  # not whole pounds
    with pytest.raises(InputError, match="kind"):
        s.attacker(0, kind="charm")
    s.issue_utrn(0, value_pence=100, fuel="electricity", route="ppmid", label="a")
    with pytest.raises(InputError, match="label"):
        s.issue_utrn(0, value_pence=100, fuel="electricity", route="ppmid", label="a")


def test_counters_carry_the_contract_keys_and_start_at_zero():
    c = site().counters()
    assert CONTRACT_COUNTERS <= set(c) == set(COUNTER_NAMES)
    assert all(isinstance(v, float) for v in c.values())
    assert c["topups_accepted"] == 0 and c["ppmid_paired"] == 0 and c["join_window_open_hours"] == 0


def test_a_big_top_up_travels_as_a_pounds_utrn():
    s = site(seed=30, initial_credit_pence=0)
    s.install(0)
    s.issue_utrn(100, value_pence=12_000, fuel="electricity", route="wan")
    s.run(DAY / 2)
    assert [r.fields["value_pence"] for r in events(s, "TopUpAccepted")] == [12_000]


def test_join_window_hours_follow_the_option():
    def hours(options: str, **kw: object) -> float:
        s = site(seed=31, options=options, **kw)
        s.install(0)
        s.press_hub_button(DAY)
        s.power_cycle_hub(2 * DAY)
        s.run(4 * DAY)
        return s.counters()["join_window_open_hours"]

    assert hours("baseline") == pytest.approx(2.0)  # the HHT hour after each power-on (install, cycle)
    assert hours("secmp0037") == pytest.approx(96.0)  # standing
    assert hours("hub_button") == pytest.approx(2.0 + 10 / 60)  # + one 10-minute button window (policy default)
    assert hours("alternating_windows") == pytest.approx(4 * 5 / 60)  # replaces the hour: 5 min a day
    assert hours("meter_nfc") == pytest.approx(96.0)  # a meter radio listens all the time
    # A hub without the option's firmware keeps the baseline's hour after each power-on (fleet-model.md).
    assert hours("alternating_windows", firmware_ok=False) == pytest.approx(2.0)
    assert hours("secmp0037", firmware_ok=False) == pytest.approx(2.0)
    assert hours("hub_button", firmware_ok=False) == pytest.approx(2.0 + 10 / 60)  # the button is hardware


def story(s: Site, part: int) -> None:
    if part == 1:
        s.install(0)
        s.wan_lost(DAY)
        s.ppmid_lost(2 * DAY)
        s.replacement_ppmid_arrives(2.5 * DAY)
        s.issue_utrn(2.6 * DAY, value_pence=700, fuel="gas", route="ppmid", label="x")
    else:
        s.enter_utrn(4 * DAY, label="x", on="meter_keypad")
        s.attacker(4 * DAY, kind="replay_utrn", duration_s=1800, rate_per_hour=4)
        s.wan_restored(5 * DAY)


def test_a_restored_snapshot_carries_on_exactly_like_the_original():
    cfg = SiteConfig(seed=32, options="secmp0037+secmp0038", consumer_tops_up_below_pence=400)
    original = Site(cfg)
    story(original, 1)
    original.run(3 * DAY)
    snap = json.loads(json.dumps(original.state_snapshot()))  # survives JSON
    restored = Site.from_snapshot(snap, cfg)
    for s in (original, restored):
        story(s, 2)
        s.run(8 * DAY)
    assert restored.counters() == original.counters()
    after = [r.to_json() for r in original.engine.log.records if r.time > 3 * DAY]
    assert [r.to_json() for r in restored.engine.log.records] == after
    # The UTRN typed before the snapshot is still known: typed again afterwards it is refused.
    assert [r.fields["reason"] for r in events(restored, "TopUpRejected", "GSME")][:1] == ["DUPLICATE"]


def test_a_snapshot_refuses_another_configuration():
    snap = site(seed=33).state_snapshot()
    with pytest.raises(InputError, match="seed"):
        Site.from_snapshot(snap, SiteConfig(seed=34))
    with pytest.raises(InputError, match="snapshot"):
        Site.from_snapshot({"version": 9}, SiteConfig(seed=33))


def test_entering_a_label_never_issued_is_refused_when_scheduled():
    with pytest.raises(InputError, match="label"):
        site().enter_utrn(0, label="nope", on="ppmid")


@pytest.mark.parametrize("cut", [
    5.0,  # between the CCS01s and the joins they schedule (join delay 10 s)
    2 * DAY + 700,  # a PCS01 waiting in the GPF for the GSME; a join-flood series and a relay delay pending
    2 * DAY + 3 * 3600 + 17,  # off every periodic grid
])
def test_a_snapshot_taken_with_follow_ups_pending_loses_none_of_them(cut):
    cfg = SiteConfig(seed=35, options="secmp0037+secmp0038", consumer_tops_up_below_pence=400)

    def timeline(s: Site, after: float) -> None:
        steps = [
            (0.0, lambda: s.install(0)),
            (DAY, lambda: s.wan_lost(DAY)),
            (2 * DAY, lambda: s.attacker(2 * DAY, kind="join_flood", duration_s=3600, rate_per_hour=120)),
            (2 * DAY + 1, lambda: s.attacker(2 * DAY + 1, kind="relay_delay", duration_s=60, delay_s=7200)),
            (2 * DAY + 10, lambda: s.issue_utrn(2 * DAY + 10, value_pence=900, fuel="electricity", route="relay")),
            (2 * DAY + 600, lambda: s.issue_utrn(2 * DAY + 600, value_pence=700, fuel="gas", route="ppmid")),
            (3 * DAY, lambda: s.wan_restored(3 * DAY)),
        ]
        for at, call in steps:
            if at > after:
                call()

    original = Site(cfg)
    timeline(original, -1.0)
    original.run(cut)
    restored = Site.from_snapshot(json.loads(json.dumps(original.state_snapshot())), cfg)
    timeline(restored, cut)
    original.run(4 * DAY)
    restored.run(4 * DAY)
    assert restored.counters() == original.counters()
    assert [r.to_json() for r in restored.engine.log.records] == \
        [r.to_json() for r in original.engine.log.records if r.time > cut]


@pytest.mark.parametrize("cut", [DAY - 3000, 2 * DAY - 1])
def test_a_snapshot_taken_before_midnight_keeps_the_order_of_the_midnight_series(cut):
    """At midnight the displays are published, the meters tick (debt recovered) and the GSME wakes, all in
    one instant. A premises restored in the hour before schedules those series afresh, yet runs them in
    the original's order: each series has its own priority, not the order it happened to be scheduled."""
    cfg = SiteConfig(seed=36, debt_pence=5000, debt_recovery_per_day_pence=100)
    original = Site(cfg)
    original.install(0)
    original.run(cut)
    restored = Site.from_snapshot(json.loads(json.dumps(original.state_snapshot())), cfg)
    original.run(3 * DAY)
    restored.run(3 * DAY)
    midnight = [(r.device, r.event) for r in original.engine.log.records if r.time == 2 * DAY]
    assert {("ESME", "ReportPublished"), ("GSME", "DebtRecovered")} <= set(midnight)  # both in the instant
    assert [r.to_json() for r in restored.engine.log.records] == \
        [r.to_json() for r in original.engine.log.records if r.time > cut]


def test_a_run_split_by_runs_and_readings_ends_as_one_run_to_the_last_bit():
    """Route hours integrate piecewise; reading the counters or stopping the run at odd moments must not
    add integration points (a float sum split differently can differ in its last bit, and a resumed
    premises reads its counters when it starts)."""
    def premises() -> Site:
        s = Site(SiteConfig(seed=3))
        s.install(0)
        s.wan_lost(DAY / 2 + 0.3)  # keypad and PPMID left: UTRN-only from then on
        return s

    whole = premises()
    whole.run(5 * DAY)
    split = premises()
    t = 0.0
    for i in range(300):
        t += 700.1 + 13 * (i % 7)
        split.run(t)
        split.counters()
    split.run(5 * DAY)
    expected_h = (5 * DAY - (DAY / 2 + 0.3)) / 3600  # closed form: UTRN-only since the WAN was lost
    assert whole.counters()["utrn_only_hours"] == pytest.approx(expected_h, rel=1e-12)
    assert split.counters() == whole.counters()
