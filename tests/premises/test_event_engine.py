"""The discrete-event engine: ordering, determinism, the event log, the HAN (with the sleepy GSME's
queue at the hub) and the WAN's availability schedule. Expected orders and times are written out."""

from __future__ import annotations

import io
import json

import pytest
from _premiseskit import ESME_EUI, GSME_EUI, PPMID_EUI, issue, premises

from smetslab.devices import Rejection, TopUpRoute
from smetslab.devices import chf as C
from smetslab.devices import prepayment as pp
from smetslab.premises.engine import AvailabilitySchedule, Engine, HANMedium, Priority, WANLink

# -- clock and queue ----------------------------------------------------------------------------------


def test_ties_break_by_time_then_priority_then_scheduling_order():
    eng = Engine(seed=0)
    seen: list[str] = []
    eng.schedule(10.0, lambda: seen.append("t10 input a"), priority=Priority.INPUT)
    eng.schedule(5.0, lambda: seen.append("t5 tick"), priority=Priority.TICK)
    eng.schedule(10.0, lambda: seen.append("t10 power"), priority=Priority.POWER)
    eng.schedule(10.0, lambda: seen.append("t10 input b"), priority=Priority.INPUT)
    eng.schedule(10.0, lambda: seen.append("t10 network"), priority=Priority.NETWORK)
    eng.schedule(7.5, lambda: seen.append("t7.5 observe"), priority=Priority.OBSERVE)
    eng.run(until=100.0)
    assert seen == ["t5 tick", "t7.5 observe", "t10 power", "t10 network", "t10 input a", "t10 input b"]
    assert eng.now == 100.0


def test_run_stops_at_until_and_keeps_later_actions():
    eng = Engine(seed=0)
    seen: list[float] = []
    for t in (1.0, 2.0, 3.0):
        eng.schedule(t, lambda t=t: seen.append(t))
    eng.run(until=2.0)
    assert seen == [1.0, 2.0] and eng.now == 2.0 and eng.pending() == 1
    eng.run(until=10.0)
    assert seen == [1.0, 2.0, 3.0]


def test_actions_scheduled_during_a_run_for_now_still_run():
    eng = Engine(seed=0)
    seen: list[str] = []
    eng.schedule(1.0, lambda: eng.schedule(eng.now, lambda: seen.append("child")))
    eng.run(until=1.0)
    assert seen == ["child"]


def test_the_past_cannot_be_scheduled():
    eng = Engine(seed=0)
    eng.run(until=50.0)
    with pytest.raises(ValueError):
        eng.schedule(49.0, lambda: None)


def test_every_repeats_at_the_interval_until_the_end():
    eng = Engine(seed=0)
    seen: list[float] = []
    eng.every(900.0, lambda: seen.append(eng.now), start=100.0, until=3000.0)
    eng.run(until=10_000.0)
    assert seen == [100.0, 1000.0, 1900.0, 2800.0]


# -- determinism and the event log -----------------------------------------------------------------


CODES = [issue(ESME_EUI, k, 100 * k) for k in range(1, 6)]


def _random_run(seed: int) -> str:
    eng = premises(seed=seed, rate=288)
    for code in CODES:  # top-ups typed at random moments of the day
        eng.schedule_input(float(eng.rng.uniform(0, 86_400.0)), "ESME", pp.ApplyTopUp(code, TopUpRoute.KEYPAD))
    eng.every(3600.0, lambda: eng.deliver("ESME", pp.Tick()), until=86_400.0)
    eng.run(until=86_400.0)
    return eng.log.to_jsonl()


def test_same_seed_same_event_log_byte_for_byte():
    first = _random_run(7)
    assert first.count("TopUpAccepted") == 5
    assert first == _random_run(7)
    assert first != _random_run(8)


def test_event_log_records_time_device_event_and_json_fields():
    eng = premises(balance=0)
    code = issue(ESME_EUI, 1, 750)
    eng.schedule_input(120.0, "ESME", pp.ApplyTopUp(code, TopUpRoute.KEYPAD))
    eng.run(until=200.0)
    (rec,) = eng.log.select(device="ESME", event="TopUpAccepted")
    assert rec.time == 120.0
    assert rec.fields == {"utrn": code, "counter": 1 << 32, "value_pence": 750, "route": "KEYPAD",
                          "use_case": None, "balance_pence": 750, "zcl_result": "ACCEPTED_SUPPLY_ARMED"}
    out = io.StringIO()
    eng.log.write_jsonl(out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == len(eng.log)
    assert {"time", "device", "event", "fields"} == set(lines[0])
    joined = [ln for ln in lines if ln["event"] == "DeviceJoined"]
    assert [ln["fields"]["eui"] for ln in joined] == [str(ESME_EUI), str(GSME_EUI), str(PPMID_EUI)]
    assert all(len(ln["fields"]["tc_link_key"]) == 32 for ln in joined)  # bytes as hex


# -- HAN --------------------------------------------------------------------------------------------


def test_han_delivers_between_joined_devices():
    eng = premises()
    han = HANMedium(eng, hub="CHF", latency_s=0.5)
    code = issue(ESME_EUI, 1, 500)
    eng.schedule(10.0, lambda: han.send("PPMID", "ESME", pp.ApplyTopUp(code, TopUpRoute.PPMID)))
    eng.run(until=20.0)
    (acc,) = eng.log.select(device="ESME", event="TopUpAccepted")
    assert acc.time == 10.5 and acc.fields["use_case"] == "PECS01"
    assert eng.devices["ESME"].state.balance_pence == 1500


def test_han_drops_frames_from_or_to_unjoined_devices():
    eng = premises(join=(ESME_EUI,))  # the PPMID never joined
    han = HANMedium(eng, hub="CHF")
    code = issue(ESME_EUI, 1, 500)
    eng.schedule(1.0, lambda: han.send("PPMID", "ESME", pp.ApplyTopUp(code, TopUpRoute.PPMID)))
    eng.schedule(2.0, lambda: han.send("ESME", "PPMID", pp.Tick()))
    eng.run(until=5.0)
    reasons = [r.fields["reason"] for r in eng.log.select(device="HAN", event="FrameDropped")]
    assert reasons == ["SENDER_NOT_JOINED", "RECIPIENT_NOT_JOINED"]
    assert not eng.log.select(device="ESME", event="TopUpAccepted")


def test_frames_for_the_sleepy_gsme_wait_at_the_hub_until_it_wakes():
    eng = premises()
    han = HANMedium(eng, hub="CHF")
    han.add_sleepy("GSME", wake_interval_s=1800.0, first_wake=1800.0)
    code = issue(GSME_EUI, 1, 900)
    eng.schedule(100.0, lambda: han.send("PPMID", "GSME", pp.ApplyTopUp(code, TopUpRoute.PPMID)))
    eng.run(until=1799.0)
    assert han.queued("GSME") == 1 and not eng.log.select(device="GSME")
    eng.run(until=1800.0)
    (acc,) = eng.log.select(device="GSME", event="TopUpAccepted")
    assert acc.time == 1800.0 and acc.fields["use_case"] == "PCS01" and han.queued("GSME") == 0


def test_hub_power_loss_drops_the_sleepy_queue_and_blocks_the_han():
    eng = premises()
    han = HANMedium(eng, hub="CHF")
    han.add_sleepy("GSME", wake_interval_s=1800.0, first_wake=1800.0)
    code = issue(GSME_EUI, 1, 900)
    eng.schedule(100.0, lambda: han.send("PPMID", "GSME", pp.ApplyTopUp(code, TopUpRoute.PPMID)))
    eng.schedule_input(200.0, "CHF", C.PowerOff(), priority=Priority.POWER)
    eng.schedule(300.0, lambda: han.send("PPMID", "ESME", pp.Tick()))
    eng.run(until=4000.0)
    assert eng.log.select(device="HAN", event="FramesLost")[0].fields["count"] == 1
    assert eng.log.select(device="HAN", event="FrameDropped")[0].fields["reason"] == "HUB_UNPOWERED"
    assert not eng.log.select(device="GSME", event="TopUpAccepted")


def test_same_utrn_on_ppmid_and_gsme_keypad_credits_once():
    eng = premises(balance=0)
    han = HANMedium(eng, hub="CHF")
    han.add_sleepy("GSME", wake_interval_s=1800.0, first_wake=1800.0)
    code = issue(GSME_EUI, 5, 1200)
    eng.schedule(60.0, lambda: han.send("PPMID", "GSME", pp.ApplyTopUp(code, TopUpRoute.PPMID)))
    eng.schedule_input(2000.0, "GSME", pp.ApplyTopUp(code, TopUpRoute.KEYPAD))
    eng.run(until=4000.0)
    assert eng.devices["GSME"].state.balance_pence == 1200
    (rej,) = eng.log.select(device="GSME", event="TopUpRejected")
    assert rej.fields["reason"] == Rejection.DUPLICATE.name and rej.time == 2000.0


# -- WAN --------------------------------------------------------------------------------------------


def test_availability_schedule():
    sched = AvailabilitySchedule.with_outages([(1000.0, 5000.0), (9000.0, float("inf"))])
    assert [sched.available(t) for t in (0, 999.9, 1000, 4999.9, 5000, 8999, 9000, 1e12)] == [
        True, True, False, False, True, True, False, False]
    with pytest.raises(ValueError):
        AvailabilitySchedule.with_outages([(0.0, 10.0), (5.0, 20.0)])
    assert AvailabilitySchedule(False).available(0.0) is False


def test_wan_delivers_only_while_up_and_logs_the_changes():
    eng = premises(balance=0)
    han = HANMedium(eng, hub="CHF")
    wan = WANLink(eng, AvailabilitySchedule.with_outages([(1000.0, 5000.0)]), han=han, latency_s=2.0)
    codes = [issue(ESME_EUI, k, 100) for k in (1, 2, 3)]
    results: list[bool] = []
    for t, code in zip((500.0, 1000.0, 5000.0), codes, strict=True):
        eng.schedule(t, lambda code=code: results.append(
            wan.send_to_device("ESME", pp.ApplyTopUp(code, TopUpRoute.REMOTE))))
    eng.run(until=6000.0)
    assert results == [True, False, True]
    assert [r.time for r in eng.log.select(device="ESME", event="TopUpAccepted")] == [502.0, 5002.0]
    assert [(r.time, r.event) for r in eng.log.records if r.device == "WAN"] == [
        (1000.0, "WANLost"), (1000.0, "WANUnavailable"), (5000.0, "WANRestored")]


def test_wan_needs_the_hub_powered_and_reports_upstream():
    eng = premises()
    han = HANMedium(eng, hub="CHF")
    got: list[tuple[str, object]] = []
    wan = WANLink(eng, AvailabilitySchedule(), han=han, to_dcc=lambda src, msg: got.append((src, msg)))
    assert wan.send_to_dcc("ESME", "alert") and got == []  # delivered at the next action, not re-entrantly
    eng.run(until=1.0)
    assert got == [("ESME", "alert")]
    eng.deliver("CHF", C.PowerOff())
    assert not wan.send_to_dcc("ESME", "alert") and not wan.send_to_device("ESME", pp.Tick())
