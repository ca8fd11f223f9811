"""CHF device log, historic log, joins and local-join windows.

Independent sources: the ZigBee install-code vector of DOMAIN.md §3.2 (install code
83FED3407A939723A5C639B26916D505 -> link key 66B6900981E1EE3CA4206B6B861C02BB), the 15-entry
historic log and CCS01/02/03/07 semantics of §3.1, the 60-minute HHT window of §3.6, and the
option rules of DESIGN.md's catalogue (times written out in the tests).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from smetslab.devices import DeviceType, JoinWindowPolicy
from smetslab.devices import chf as C
from smetslab.units import EUI64

HUB = EUI64("00DB1234567890A2")
PPMID = EUI64("00DB1234567890A4")
HHT = EUI64("00DB12345678AAAA")
IC = bytes.fromhex("83FED3407A939723A5C639B26916D505")
IC_KEY = bytes.fromhex("66B6900981E1EE3CA4206B6B861C02BB")  # DOMAIN.md §3.2 vector
OTHER_IC = bytes.fromhex("30313233343536373839414243444546")
OTHER_IC_KEY = bytes.fromhex("17E92CAAA342C367E8EDDC58EEBA69ED")  # DOMAIN.md §3.2 vector
MIN = 60.0


def hub(option: str = "baseline", capacity: int = 16, now: float = 0.0, **policy: float) -> C.CHFState:
    cfg = C.CHFConfig(HUB, device_log_capacity=capacity, join_policy=JoinWindowPolicy(option, **policy))
    return C.new_chf(cfg, now=now)


def run(state: C.CHFState, value: object, now: float) -> tuple[C.CHFState, list[object]]:
    state, events = C.step(state, value, now)
    return state, list(events)


def of(events: list[object], cls: type) -> list[object]:
    return [e for e in events if isinstance(e, cls)]


def eui(n: int) -> EUI64:
    return EUI64(bytes.fromhex("00DB1234567800") + bytes([n]))


def add(state: C.CHFState, who: EUI64, now: float = 0.0, code: bytes = IC, timeout: float = 90 * MIN,
        kind: DeviceType = DeviceType.PPMID) -> tuple[C.CHFState, list[object]]:
    return run(state, C.AddDevice(who, kind, code, timeout), now)


def joined(state: C.CHFState, who: EUI64, now: float = 0.0, code: bytes = IC) -> tuple[C.CHFState, bytes]:
    state, _ = add(state, who, now, code)
    state, ev = run(state, C.JoinRequest(who, C.install_code_link_key(code)), now)
    (j,) = of(ev, C.DeviceJoined)
    return state, j.tc_link_key


# -- CCS01 and joining with the install-code key ----------------------------------------------------


def test_ccs01_then_join_with_the_install_code_key():
    s, ev = add(hub(), PPMID)
    assert of(ev, C.DeviceAdded) and of(ev, C.DeviceLogChanged)[0].entries == ((PPMID, None),)
    assert not C.is_joined(s, PPMID)
    s, ev = run(s, C.JoinRequest(PPMID, IC_KEY), 60.0)
    (j,) = of(ev, C.DeviceJoined)
    assert j.via == "INSTALL_CODE" and C.is_joined(s, PPMID)
    (cs14,) = of(ev, C.DeviceLogChanged)  # hashed key changed: CS14 again
    ((who, hashed),) = cs14.entries
    assert who == PPMID and hashed is not None and len(hashed) == 16 and hashed != IC_KEY


def test_second_rtds_install_code_vector():
    s, _ = add(hub(), PPMID, code=OTHER_IC)
    s, ev = run(s, C.JoinRequest(PPMID, OTHER_IC_KEY), 1.0)
    assert of(ev, C.DeviceJoined)


@pytest.mark.parametrize("key", [OTHER_IC_KEY, IC, bytes(16)])
def test_join_with_the_wrong_key_is_refused(key):
    s, _ = add(hub(), PPMID)
    s, ev = run(s, C.JoinRequest(PPMID, key), 1.0)
    assert of(ev, C.JoinRefused)[0].reason is C.JoinRefusal.BAD_LINK_KEY and not C.is_joined(s, PPMID)


def test_join_of_an_unlogged_device_is_refused():
    s, ev = run(hub(), C.JoinRequest(PPMID, IC_KEY), 1.0)
    assert of(ev, C.JoinRefused)[0].reason is C.JoinRefusal.NOT_IN_DEVICE_LOG


def test_join_timeout():
    s, _ = add(hub(), PPMID, now=100.0, timeout=90 * MIN)
    late, ev = run(s, C.JoinRequest(PPMID, IC_KEY), 100.0 + 90 * MIN)
    assert of(ev, C.JoinRefused)[0].reason is C.JoinRefusal.JOIN_TIMEOUT_EXPIRED
    in_time, ev = run(s, C.JoinRequest(PPMID, IC_KEY), 100.0 + 90 * MIN - 1)
    assert of(ev, C.DeviceJoined)


def test_ccs01_for_a_logged_device_succeeds_and_ignores_the_new_key():
    s, _ = add(hub(), PPMID)
    s, ev = add(s, PPMID, code=OTHER_IC)
    assert of(ev, C.DeviceAlreadyLogged) and not of(ev, C.DeviceLogChanged)
    s, ev = run(s, C.JoinRequest(PPMID, IC_KEY), 1.0)  # the original install code still rules
    assert of(ev, C.DeviceJoined)


def test_device_log_capacity():
    s = hub(capacity=2)
    s, _ = add(s, eui(1))
    s, _ = add(s, eui(2))
    s, ev = add(s, eui(3))
    assert of(ev, C.DeviceAddRefused)[0].reason is C.JoinRefusal.DEVICE_LOG_FULL
    assert [e.eui for e in s.device_log] == [eui(1), eui(2)]


def test_install_code_of_a_wrong_length_is_refused():
    s, ev = add(hub(), PPMID, code=bytes(7))
    assert of(ev, C.DeviceAddRefused)[0].reason is C.JoinRefusal.INVALID_INSTALL_CODE and not s.device_log


def test_rejoin_with_the_tc_link_key_after_a_power_cycle():
    s, tc = joined(hub(), PPMID)
    s, _ = run(s, C.PowerCycle(), 1000.0)
    s, ev = run(s, C.JoinRequest(PPMID, tc), 1010.0)
    assert of(ev, C.DeviceJoined)[0].via == "REJOIN"
    s, ev = run(s, C.JoinRequest(PPMID, IC_KEY), 1020.0)  # the install code is spent once joined
    assert of(ev, C.JoinRefused)[0].reason is C.JoinRefusal.BAD_LINK_KEY


# -- CCS02 and the historic log ---------------------------------------------------------------------


def test_ccs02_saves_a_joined_device_in_the_historic_log():
    s, tc = joined(hub(), PPMID)
    s, ev = run(s, C.RemoveDevice(PPMID), 10.0)
    assert of(ev, C.DeviceRemoved)[0].saved_to_historic_log and of(ev, C.DeviceLogChanged)[0].entries == ()
    assert [(h.eui, h.tc_link_key_hash) for h in s.historic_log] == [(PPMID, C.tc_link_key_hash(tc))]
    assert not C.is_joined(s, PPMID)


def test_ccs02_of_a_never_joined_device_or_an_hht_saves_nothing():
    s, _ = add(hub(), PPMID)
    s, ev = run(s, C.RemoveDevice(PPMID), 1.0)
    assert not of(ev, C.DeviceRemoved)[0].saved_to_historic_log
    s = hub("baseline")
    s, _ = run(s, C.LocalJoinRequest(HHT, DeviceType.HHT, IC), 5 * MIN)
    assert C.is_joined(s, HHT)
    s, ev = run(s, C.RemoveDevice(HHT), 6 * MIN)
    assert not of(ev, C.DeviceRemoved)[0].saved_to_historic_log and s.historic_log == ()


def test_ccs02_of_an_unlogged_device_is_refused():
    s, ev = run(hub(), C.RemoveDevice(PPMID), 1.0)
    assert of(ev, C.DeviceRemoveRefused)[0].reason is C.JoinRefusal.NOT_IN_DEVICE_LOG


def test_historic_log_keeps_the_newest_15():
    s = hub(capacity=20)
    for n in range(16):
        s, _ = joined(s, eui(n))
    for n in range(16):
        s, _ = run(s, C.RemoveDevice(eui(n)), 1.0)
    assert [h.eui for h in s.historic_log] == [eui(n) for n in range(1, 16)]


def test_re_added_historic_device_uses_its_old_key_in_the_first_half_of_the_timeout():
    s, tc = joined(hub(), PPMID)
    s, _ = run(s, C.RemoveDevice(PPMID), 10.0)
    s, ev = add(s, PPMID, now=100.0, timeout=90 * MIN)
    assert of(ev, C.DeviceAdded)[0].historic_key_pending
    first_half, ev = run(s, C.JoinRequest(PPMID, IC_KEY), 100.0 + 44 * MIN)
    assert of(ev, C.JoinRefused)[0].reason is C.JoinRefusal.BAD_LINK_KEY
    first_half, ev = run(s, C.JoinRequest(PPMID, tc), 100.0 + 44 * MIN)
    assert of(ev, C.DeviceJoined)[0].via == "HISTORIC_KEY" and of(ev, C.DeviceLogChanged)
    assert first_half.entry(PPMID).tc_link_key_hash == C.tc_link_key_hash(tc)
    second_half, ev = run(s, C.JoinRequest(PPMID, tc), 100.0 + 46 * MIN)
    assert of(ev, C.JoinRefused)[0].reason is C.JoinRefusal.BAD_LINK_KEY
    second_half, ev = run(s, C.JoinRequest(PPMID, IC_KEY), 100.0 + 46 * MIN)
    assert of(ev, C.DeviceJoined)[0].via == "INSTALL_CODE"


# -- CCS03 and CCS07 --------------------------------------------------------------------------------


def test_ccs03_restores_the_log_and_pan_id_and_devices_rejoin():
    s, tc = joined(hub(), PPMID)
    new_hub = hub()
    pan = EUI64("0102030405060708")
    new_hub, ev = run(new_hub, C.RestoreDeviceLog(pan, ((PPMID, C.tc_link_key_hash(tc)), (eui(9), None))), 5.0)
    assert of(ev, C.DeviceLogRestored)[0].entries == 2
    assert of(ev, C.DeviceLogChanged)[0].extended_pan_id == pan and new_hub.extended_pan_id == pan
    assert C.is_joined(new_hub, PPMID) and not C.is_joined(new_hub, eui(9))
    new_hub, ev = run(new_hub, C.JoinRequest(PPMID, tc), 6.0)
    assert of(ev, C.DeviceJoined)[0].via == "REJOIN"


def test_ccs03_larger_than_the_log_is_refused_and_changes_nothing():
    s, _ = add(hub(capacity=2), PPMID)
    entries = tuple((eui(n), None) for n in range(3))
    s2, ev = run(s, C.RestoreDeviceLog(HUB, entries), 1.0)
    assert of(ev, C.DeviceLogRestoreRefused) and s2 == s


def test_ccs07_reads_both_logs():
    s, tc = joined(hub(), PPMID)
    s, _ = run(s, C.RemoveDevice(PPMID), 1.0)
    s, _ = add(s, eui(5), now=2.0)
    s, ev = run(s, C.ReadDeviceLogs(), 3.0)
    (r,) = of(ev, C.DeviceLogsRead)
    assert r.device_log == ((eui(5), None),) and r.historic_log == ((PPMID, C.tc_link_key_hash(tc)),)


# -- local joins and the join-window policy ---------------------------------------------------------


def local(s: C.CHFState, now: float, kind: DeviceType = DeviceType.HHT, who: EUI64 = HHT,
          valid: bool = True) -> tuple[C.CHFState, list[object]]:
    return run(s, C.LocalJoinRequest(who, kind, IC, valid), now)


def refusal(events: list[object]) -> C.JoinRefusal:
    (r,) = of(events, C.LocalJoinRefused)
    return r.reason


def test_baseline_hht_window_is_the_60_minutes_after_power_on():
    s = hub(now=1000.0)
    ok, ev = local(s, 1000.0 + 60 * MIN - 1)
    assert of(ev, C.DeviceJoined)[0].via == "LOCAL" and C.is_joined(ok, HHT)
    assert ok.entry(HHT).added_by is C.AddedBy.LOCAL
    late, ev = local(s, 1000.0 + 60 * MIN)
    assert refusal(ev) is C.JoinRefusal.WINDOW_CLOSED and late.device_log == ()


def test_a_power_cycle_reopens_the_hht_window():
    s = hub()
    s, ev = local(s, 2 * 60 * MIN)
    assert refusal(ev) is C.JoinRefusal.WINDOW_CLOSED
    s, _ = run(s, C.PowerCycle(), 3 * 60 * MIN)
    s, ev = local(s, 3 * 60 * MIN + 30 * MIN)
    assert of(ev, C.DeviceJoined)


def test_baseline_never_admits_a_local_ppmid():
    s, ev = local(hub(), 1.0, DeviceType.PPMID, PPMID)
    assert refusal(ev) is C.JoinRefusal.WINDOW_CLOSED


@pytest.mark.parametrize("kind", [DeviceType.ESME, DeviceType.GSME, DeviceType.TYPE2, DeviceType.HCALCS])
def test_no_option_admits_other_device_types_locally(kind):
    s, ev = local(hub("secmp0037+hub_button+power_cycle_window+firmware_preauth"), 1.0, kind, PPMID)
    assert refusal(ev) is C.JoinRefusal.WINDOW_CLOSED


def test_local_join_needs_a_trusted_cbke_certificate():
    s, ev = local(hub(), 1.0, valid=False)
    assert refusal(ev) is C.JoinRefusal.CBKE_FAILED and s.device_log == ()


def test_local_join_respects_capacity_and_existing_entries():
    s, _ = add(hub(capacity=1), PPMID)
    s, ev = local(s, 1.0)
    assert refusal(ev) is C.JoinRefusal.DEVICE_LOG_FULL
    s, ev = local(hub(), 1.0, who=HHT)
    s, ev = local(s, 2.0, who=HHT)
    assert refusal(ev) is C.JoinRefusal.ALREADY_LOGGED


def test_secmp0037_admits_a_ppmid_at_any_time():
    s, ev = local(hub("secmp0037"), 30 * 86_400.0, DeviceType.PPMID, PPMID)
    assert of(ev, C.DeviceJoined)


def test_power_cycle_window_admits_a_ppmid_for_an_hour_after_power_on():
    s = hub("power_cycle_window")
    s, ev = local(s, 2 * 60 * MIN, DeviceType.PPMID, PPMID)
    assert refusal(ev) is C.JoinRefusal.WINDOW_CLOSED
    s, _ = run(s, C.PowerOff(), 3 * 60 * MIN)
    s, _ = run(s, C.PowerOn(), 3 * 60 * MIN + 10)
    s, ev = local(s, 3 * 60 * MIN + 10 + 59 * MIN, DeviceType.PPMID, PPMID)
    assert of(ev, C.DeviceJoined)


def test_hub_button_opens_a_short_window():
    s = hub("hub_button", button_window_s=300.0)
    s, _ = run(s, C.PressHubButton(), 5 * 86_400.0)
    s1, ev = local(s, 5 * 86_400.0 + 299, DeviceType.PPMID, PPMID)
    assert of(ev, C.DeviceJoined)
    s2, ev = local(s, 5 * 86_400.0 + 300, DeviceType.PPMID, PPMID)
    assert refusal(ev) is C.JoinRefusal.WINDOW_CLOSED


def test_button_without_the_hub_button_option_does_nothing():
    s = hub()
    s, _ = run(s, C.PressHubButton(), 5 * 86_400.0)
    s, ev = local(s, 5 * 86_400.0 + 10, DeviceType.PPMID, PPMID)
    assert refusal(ev) is C.JoinRefusal.WINDOW_CLOSED


def test_alternating_windows_replace_the_power_on_window():
    # smetslab.policy's schedule with one window a day: 5 minutes from 00:00 on even days and from
    # 12:00 on odd days of the simulated clock.
    s = hub("alternating_windows", now=3600.0)
    _, ev = local(s, 3600.0 + 10 * MIN)  # inside the old 60-minute power-on window: no longer open
    assert refusal(ev) is C.JoinRefusal.WINDOW_CLOSED
    for t, open_ in ((0.0, True), (299.0, True), (300.0, False), (12 * 3600.0 + 10, False),
                     (86_400.0 + 12 * 3600.0 + 10, True), (86_400.0 + 10, False), (2 * 86_400.0 + 10, True)):
        _, ev = local(replace(s, powered_on_at=-1e9), t, DeviceType.PPMID, PPMID)
        assert bool(of(ev, C.DeviceJoined)) is open_, t


def test_combined_options_open_every_component_window():
    s = hub("hub_button+power_cycle_window")
    _, ev = local(s, 30 * MIN, DeviceType.PPMID, PPMID)  # power-on hour (power_cycle_window)
    assert of(ev, C.DeviceJoined)
    s, _ = run(s, C.PressHubButton(), 86_400.0)
    _, ev = local(s, 86_400.0 + 60, DeviceType.PPMID, PPMID)  # button window
    assert of(ev, C.DeviceJoined)


def test_unknown_option_is_an_input_error():
    from smetslab.errors import InputError

    with pytest.raises(InputError, match="secmp9999"):
        JoinWindowPolicy("secmp9999")


def test_firmware_preauth_admits_only_the_preregistered_ppmid():
    s = hub("firmware_preauth")
    s, ev = run(s, C.PreauthoriseDevice(PPMID, IC), 10.0)
    assert of(ev, C.DevicePreauthorised)
    late = 40 * 86_400.0  # long after any power-on window, WAN long gone
    _, ev = run(s, C.LocalJoinRequest(PPMID, DeviceType.PPMID, OTHER_IC), late)
    assert refusal(ev) is C.JoinRefusal.WINDOW_CLOSED  # wrong install code: not the registered spare
    _, ev = run(s, C.LocalJoinRequest(eui(7), DeviceType.PPMID, IC), late)
    assert refusal(ev) is C.JoinRefusal.WINDOW_CLOSED  # another EUI
    s, ev = run(s, C.LocalJoinRequest(PPMID, DeviceType.PPMID, IC), late)
    assert of(ev, C.DeviceJoined) and s.preauthorised == ()
    s, _ = run(s, C.RemoveDevice(PPMID), late + 1)
    _, ev = run(s, C.LocalJoinRequest(PPMID, DeviceType.PPMID, IC), late + 2)
    assert refusal(ev) is C.JoinRefusal.WINDOW_CLOSED  # the pre-registration was used up


# -- a hub without the option's firmware ------------------------------------------------------------
# DESIGN.md's catalogue: secmp0037, power_cycle_window, alternating_windows and firmware_preauth are hub
# firmware (the fleet model charges them as such); the hub button is hardware ("new hubs only").


def test_a_hub_without_the_firmware_applies_only_the_button():
    every = "secmp0037+power_cycle_window+alternating_windows+firmware_preauth+hub_button"
    assert JoinWindowPolicy(every).mechanisms == {"standing", "power_cycle", "alternating", "preauth", "button"}
    assert JoinWindowPolicy(every, firmware=False).mechanisms == {"button"}


def test_without_the_firmware_alternating_windows_leave_the_power_on_hour_in_place():
    s = hub("alternating_windows", now=3600.0, firmware=False)
    _, ev = local(s, 3600.0 + 10 * MIN)  # the HHT's 60-minute window after power-on is not replaced
    assert of(ev, C.DeviceJoined)
    _, ev = local(s, 3600.0 + 60 * MIN)
    assert refusal(ev) is C.JoinRefusal.WINDOW_CLOSED
    for kind, who in ((DeviceType.HHT, HHT), (DeviceType.PPMID, PPMID)):
        _, ev = local(s, 2 * 86_400.0 + 10, kind, who)  # day 2 00:00: a scheduled window, if it had the firmware
        assert refusal(ev) is C.JoinRefusal.WINDOW_CLOSED, kind


@pytest.mark.parametrize("option, at", [
    ("secmp0037", 30 * 86_400.0),  # no standing window
    ("power_cycle_window", 10 * MIN),  # the power-on hour admits an HHT, not a PPMID
    ("firmware_preauth", 30 * 86_400.0),  # the pre-registered spare is not admitted either
])
def test_without_the_firmware_a_local_ppmid_is_refused(option, at):
    for firmware, admitted in ((True, True), (False, False)):
        s = hub(option, firmware=firmware)
        s, _ = run(s, C.PreauthoriseDevice(PPMID, IC), 1.0)
        _, ev = local(s, at, DeviceType.PPMID, PPMID)
        assert bool(of(ev, C.DeviceJoined)) is admitted, (option, firmware)


def test_without_the_firmware_the_hub_button_still_opens_its_window():
    s = hub("hub_button", firmware=False)
    s, _ = run(s, C.PressHubButton(), 5 * 86_400.0)
    _, ev = local(s, 5 * 86_400.0 + 60, DeviceType.PPMID, PPMID)
    assert of(ev, C.DeviceJoined)


def test_the_firmware_flag_must_be_a_boolean():
    from smetslab.errors import InputError

    with pytest.raises(InputError, match="firmware 'no'"):
        JoinWindowPolicy("secmp0037", firmware="no")  # type: ignore[arg-type]


# -- power ------------------------------------------------------------------------------------------


def test_powered_off_hub_ignores_everything_but_power_on():
    s, _ = run(hub(), C.PowerOff(), 10.0)
    for value in (C.AddDevice(PPMID, DeviceType.PPMID, IC, 5400.0), C.JoinRequest(PPMID, IC_KEY),
                  C.LocalJoinRequest(HHT, DeviceType.HHT, IC), C.PressHubButton(), C.PowerOff()):
        s2, ev = run(s, value, 20.0)
        assert s2 == s and of(ev, C.InputIgnored)
    s, ev = run(s, C.PowerOn(), 30.0)
    assert s.powered_on_at == 30.0 and of(ev, C.PoweredOn)


def test_device_log_survives_a_power_cycle():
    s, _ = joined(hub(), PPMID)
    s2, _ = run(s, C.PowerCycle(), 100.0)
    assert s2.device_log == s.device_log and C.is_joined(s2, PPMID)


def test_unknown_input_is_a_bug():
    with pytest.raises(TypeError):
        C.step(hub(), "AddDevice", 0.0)
