"""Small end-to-end journeys through the engine: the hub, meters and HAN composed, with real UTRN
crypto. A replacement PPMID arrives while the WAN is down; whether it can pair depends only on the
option in force; once paired, its keypad top-ups reach the meters over the HAN."""

from __future__ import annotations

from _premiseskit import ESME_EUI, GSME_EUI, INSTALL_CODES, PPMID_EUI, issue, premises

from smetslab.devices import DeviceType, TopUpRoute
from smetslab.devices import chf as C
from smetslab.devices import prepayment as pp
from smetslab.premises.engine import AvailabilitySchedule, HANMedium, WANLink

DAY = 86_400.0
NEW_PPMID_CODE = INSTALL_CODES[PPMID_EUI]


def journey(option: str) -> tuple[object, list[str]]:
    """WAN lost on day 1 for 30 days; the original PPMID is gone (never joined here); a replacement
    tries to join locally on day 3; if it joins, the customer types a UTRN on it for each meter."""
    eng = premises(join=(ESME_EUI, GSME_EUI), balance=500, option=option)
    han = HANMedium(eng, hub="CHF")
    han.add_sleepy("GSME", wake_interval_s=1800.0, first_wake=1800.0)
    wan = WANLink(eng, AvailabilitySchedule.with_outages([(DAY, 31 * DAY)]), han=han)
    esme_code, gsme_code = issue(ESME_EUI, 1, 1000), issue(GSME_EUI, 1, 1000)
    sent: list[str] = []

    eng.schedule_input(3 * DAY, "CHF", C.LocalJoinRequest(PPMID_EUI, DeviceType.PPMID, NEW_PPMID_CODE))

    def type_utrns() -> None:
        for dst, code in (("ESME", esme_code), ("GSME", gsme_code)):
            if han.send("PPMID", dst, pp.ApplyTopUp(code, TopUpRoute.PPMID)):
                sent.append(dst)
        # The app route fails while the WAN is down:
        if not wan.send_to_device("ESME", pp.ApplyTopUp(esme_code, TopUpRoute.REMOTE, 1 << 32)):
            sent.append("WAN refused")

    eng.schedule(3 * DAY + 600, type_utrns)
    eng.run(until=4 * DAY)
    return eng, sent


def test_baseline_replacement_ppmid_cannot_pair_without_the_wan():
    eng, sent = journey("baseline")
    (refused,) = eng.log.select(device="CHF", event="LocalJoinRefused")
    assert refused.fields["reason"] == "WINDOW_CLOSED"
    assert sent == ["WAN refused"]
    assert eng.devices["ESME"].state.topped_up_pence == 0 and eng.devices["GSME"].state.topped_up_pence == 0


def test_secmp0037_replacement_ppmid_pairs_and_tops_up_both_meters():
    eng, sent = journey("secmp0037")
    assert [r.fields["via"] for r in eng.log.select(device="CHF", event="DeviceJoined")][-1] == "LOCAL"
    assert sent == ["ESME", "GSME", "WAN refused"]
    assert eng.devices["ESME"].state.topped_up_pence == 1000
    (gas,) = eng.log.select(device="GSME", event="TopUpAccepted")
    assert gas.time == 3 * DAY + 1800.0  # waited at the hub for the GSME's next wake-up
    assert gas.fields["use_case"] == "PCS01"


def test_power_cycle_window_pairs_only_after_a_power_cycle():
    eng, _ = journey("power_cycle_window")
    assert eng.log.select(device="CHF", event="LocalJoinRefused")  # day 3, hub on since day 0
    eng.deliver("CHF", C.PowerCycle())
    eng.deliver("CHF", C.LocalJoinRequest(PPMID_EUI, DeviceType.PPMID, NEW_PPMID_CODE))
    assert eng.log.select(device="CHF", event="DeviceJoined")[-1].fields["via"] == "LOCAL"
