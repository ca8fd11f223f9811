"""The PPMID state machine: pairing by real CS03A2/CS03C bytes, keypad top-ups as PECS01 (ZSE) and PCS01
(GBCS, MAC'd PPMID KA x GSME KA), emergency credit, supply re-enable, the display, the SECMP0038 relay.

Expected values come from DOMAIN.md (§1.7 payload shapes, §2.5 key pairs, §3.5 join response codes, §4.1
gas re-enable at the meter), not from the PPMID code."""

from __future__ import annotations

import pytest
from _hankit import E, cs03a2, cs03c, flip, keystore, only

from smetslab.devices import Fuel, GBCSFrame, HANFrameOut, HANJoined, LocalPairing, MeterReport, Via
from smetslab.devices import ppmid as P
from smetslab.devices.han import (
    CommandRefusal,
    DeviceType,
    GBCSOut,
    ZSEConsumerTopUp,
    ZSELocalChangeSupply,
    ZSESelectEmergencyCredit,
    ZSETopUpResponse,
)
from smetslab.errors import AuthenticationError, KeyNotFoundError
from smetslab.gbcs import messages as M
from smetslab.gbcs import security
from smetslab.gbcs.keystore import KeyUsage

KS = keystore()
UTRN = "73942998772060600044"  # 20 digits; the PPMID does not check MACs, the meter does
CODE = bytes(range(16))


def fresh(*, wifi: bool = False, relay: bool = False) -> P.PPMIDState:
    return P.new_ppmid(P.PPMIDConfig(E.ppmid, CODE, E.supplier, E.acb, wifi=wifi, relay_permitted=relay), KS)


def run(state: P.PPMIDState, *inputs: object, now: float = 100.0) -> tuple[P.PPMIDState, list[object]]:
    events: list[object] = []
    for value in inputs:
        state, ev = P.step(state, value, now)
        events += ev
    return state, events


def paired(**kw: bool) -> P.PPMIDState:
    s, _ = run(fresh(**kw), HANJoined(b"k" * 16), GBCSFrame(cs03a2(KS, 1), Via.WAN), GBCSFrame(cs03c(KS, 2), Via.WAN))
    return s


def of(events: list[object], cls: type) -> list[object]:
    return [e for e in events if isinstance(e, cls)]


# -- pairing ---------------------------------------------------------------------------------------


def test_unjoined_ppmid_refuses_the_keypad_and_sends_nothing():
    s, ev = run(fresh(), P.KeypadTopUp(UTRN, Fuel.ELECTRICITY))
    assert of(ev, P.KeypadRefused)[0].reason is P.PPMIDRefusal.NOT_PAIRED
    assert not of(ev, HANFrameOut)


def test_cs03a2_from_the_dcc_pairs_the_esme_and_the_reply_is_signed_by_the_ppmid():
    s, ev = run(fresh(), HANJoined(None), GBCSFrame(cs03a2(KS, 7), Via.WAN))
    assert s.status is P.PPMIDStatus.PAIRED and P.meter_for(s, Fuel.ELECTRICITY) == E.esme
    (out,) = of(ev, GBCSOut)
    # Verified with nothing but the PPMID's DS public key: the reply is the PPMID's signature (§2.2).
    reply = M.read(out.frame.wire, only((E.ppmid, KeyUsage.DS, False)), M.CS03A2Response, acb=E.acb)
    assert (reply.code, reply.counter, reply.originator) == (0, 7, E.ppmid)  # 0 = success (§3.5)


def test_cs03c_pairs_the_gsme_only_with_the_gsme_certificate():
    s, ev = run(fresh(), HANJoined(None), GBCSFrame(cs03c(KS, 3, certificate_of=E.esme), Via.WAN))
    assert P.meter_for(s, Fuel.GAS) is None
    reply = M.read(of(ev, GBCSOut)[0].frame.wire, KS, M.CS03CResponse, acb=E.acb)
    assert reply.code == 11  # "invalid or missing certificate" (DOMAIN.md §3.5)
    s, ev = run(s, GBCSFrame(cs03c(KS, 4), Via.WAN))
    assert P.meter_for(s, Fuel.GAS) == E.gsme


@pytest.mark.parametrize("case, reason", [
    ("replayed", CommandRefusal.REPLAYED),
    ("older counter", CommandRefusal.REPLAYED),
    ("another supplier", CommandRefusal.NOT_AUTHORISED),
    ("tampered", CommandRefusal.NOT_AUTHENTIC),
])
def test_join_commands_that_do_not_verify_or_are_stale_are_refused(case, reason):
    s, _ = run(fresh(), HANJoined(None), GBCSFrame(cs03a2(KS, 10), Via.WAN))
    wire = {"replayed": cs03a2(KS, 10), "older counter": cs03a2(KS, 9),
            "another supplier": cs03a2(KS, 11, supplier=E.supplier2),
            "tampered": flip(cs03a2(KS, 11), -3)}[case]
    s2, ev = run(s, GBCSFrame(wire, Via.WAN))
    assert [e.reason for e in of(ev, P.CommandRefused)] == [reason]
    assert s2 == s and not of(ev, GBCSOut)  # refused: nothing changes, nothing answered


def test_local_pairing_pairs_without_any_gbcs():
    s, ev = run(fresh(), HANJoined(None), LocalPairing(E.gsme, DeviceType.GSME))
    assert of(ev, P.PairedWithMeter)[0].method == "LOCAL" and P.meter_for(s, Fuel.GAS) == E.gsme


# -- keypad ------------------------------------------------------------------------------------------


def test_electricity_utrn_goes_to_the_esme_as_a_zse_consumer_top_up():
    _, ev = run(paired(), P.KeypadTopUp(UTRN, Fuel.ELECTRICITY))
    (out,) = of(ev, HANFrameOut)
    assert out.to == E.esme and out.frame == ZSEConsumerTopUp(E.ppmid, UTRN)
    assert of(ev, P.UTRNSent)[0].use_case == "PECS01"


def test_gas_utrn_goes_as_pcs01_macd_between_the_ppmid_and_gsme_keys_with_increasing_counters():
    s, ev1 = run(paired(), P.KeypadTopUp(UTRN, Fuel.GAS))
    s, ev2 = run(s, P.KeypadTopUp(UTRN, Fuel.GAS))
    frames = [of(ev, HANFrameOut)[0] for ev in (ev1, ev2)]
    assert [f.to for f in frames] == [E.gsme, E.gsme]
    # The GSME side needs only its own KA private key and the PPMID's KA public key (DOMAIN.md §2.5):
    gsme_side = only((E.gsme, KeyUsage.KA, True), (E.ppmid, KeyUsage.KA, False))
    msgs = [M.read(f.frame.wire, gsme_side, M.PCS01Command, acb=E.acb) for f in frames]
    assert [(m.originator, m.recipient, m.utrn) for m in msgs] == [(E.ppmid, E.gsme, UTRN)] * 2
    assert msgs[1].counter > msgs[0].counter
    # ZCL Consumer Top Up: originating device 0x02 then octet-string(20) of ASCII digits (DOMAIN.md §1.7).
    assert security.verify(frames[0].frame.wire, gsme_side).apdu.content.endswith(b"\x02\x14" + UTRN.encode())
    with pytest.raises((AuthenticationError, KeyNotFoundError)):  # not keyed via the ACB
        security.verify(frames[0].frame.wire, only((E.gsme, KeyUsage.KA, True), (E.acb, KeyUsage.KA, False)))


def test_a_keypad_entry_that_is_not_20_digits_is_not_sent():
    _, ev = run(paired(), P.KeypadTopUp(UTRN[:19], Fuel.ELECTRICITY))
    assert of(ev, P.KeypadRefused)[0].reason is P.PPMIDRefusal.MALFORMED_UTRN and not of(ev, HANFrameOut)


def test_emergency_credit_is_pecs02_to_the_esme_and_pcs02_to_the_gsme():
    _, ev = run(paired(), P.KeypadEmergencyCredit(Fuel.ELECTRICITY), P.KeypadEmergencyCredit(Fuel.GAS))
    esme, gsme = of(ev, HANFrameOut)
    assert esme.frame == ZSESelectEmergencyCredit(E.ppmid)
    msg = M.read(gsme.frame.wire, KS, M.PCS02Command, acb=E.acb)
    assert msg.recipient == E.gsme
    assert [e.use_case for e in of(ev, P.EmergencyCreditRequested)] == ["PECS02", "PCS02"]


def test_supply_on_is_pecs03_for_electricity_and_refused_for_gas():
    _, ev = run(paired(), P.KeypadSupplyOn(Fuel.ELECTRICITY), P.KeypadSupplyOn(Fuel.GAS))
    (out,) = of(ev, HANFrameOut)
    assert out.to == E.esme and out.frame == ZSELocalChangeSupply(E.ppmid, True)
    assert of(ev, P.KeypadRefused)[0].reason is P.PPMIDRefusal.GAS_RESTORED_AT_METER_ONLY  # DOMAIN.md §4.1


# -- display ---------------------------------------------------------------------------------------------


def test_display_shows_the_latest_report_per_fuel_and_the_last_top_up_result():
    r1 = MeterReport(Fuel.GAS, 100, 100, 500, False, 0, "ENABLED")
    r2 = MeterReport(Fuel.GAS, -50, 0, 450, True, 20, "ENABLED")
    s, ev = run(paired(), r1, r2, ZSETopUpResponse(Fuel.ELECTRICITY, 0x12, 1000, 1000))
    assert s.shown(Fuel.GAS) == r2 and s.shown(Fuel.ELECTRICITY) is None
    assert s.last_top_up is not None and (s.last_top_up.accepted, s.last_top_up.value_pence) == (True, 1000)


def test_pcs01_response_from_the_gsme_is_shown_in_pence():
    s = paired()
    s, ev = run(s, P.KeypadTopUp(UTRN, Fuel.GAS))
    cmd = M.read(of(ev, HANFrameOut)[0].frame.wire, KS, M.PCS01Command, acb=E.acb)
    # RTDS: a 2 025-pence UTRN is reported as 2 025 000 (pence x 1000, DOMAIN.md §1.7).
    reply = M.PCS01Response.replying_to(cmd, result=0x10, top_up_value=2_025_000, credit_remaining=3_000_000)
    s, ev = run(s, GBCSFrame(reply.build(KS, acb=E.acb), Via.HAN))
    shown = of(ev, P.TopUpResultShown)[0]
    assert (shown.value_pence, shown.credit_pence, shown.accepted) == (2025, 3000, True)


# -- relay (SECMP0038) -------------------------------------------------------------------------------------


def cs01a(counter: int = 5 << 32) -> bytes:
    return M.CS01aCommand(originator=E.supplier, recipient=E.esme, counter=counter, utrn=UTRN).build(KS, acb=E.acb)


def test_relay_passes_a_command_onto_the_han_unchanged_only_when_permitted():
    wire = cs01a()
    _, ev = run(paired(wifi=True, relay=False), P.RelayCommand(wire))
    assert of(ev, P.RelayRefused)[0].reason is P.PPMIDRefusal.RELAY_NOT_PERMITTED and not of(ev, HANFrameOut)
    _, ev = run(paired(wifi=False, relay=True), P.RelayCommand(wire))
    assert of(ev, P.RelayRefused)[0].reason is P.PPMIDRefusal.RELAY_NOT_PERMITTED
    s, ev = run(paired(wifi=True, relay=True), P.RelayCommand(wire))
    (out,) = of(ev, HANFrameOut)
    assert out.to == E.esme and out.frame.wire == wire and out.frame.via is Via.RELAY and s.relayed == 1


@pytest.mark.parametrize("wire_of, reason", [
    (lambda: b"\x00\x01garbage", P.PPMIDRefusal.MALFORMED),
    (lambda: M.CS01bCommand(originator=E.supplier, recipient=E.hcalcs, counter=1, utrn=UTRN).build(KS, acb=E.acb),
     P.PPMIDRefusal.NOT_A_PAIRED_METER),
])
def test_relay_refuses_what_is_not_a_command_for_a_paired_meter(wire_of, reason):
    _, ev = run(paired(wifi=True, relay=True), P.RelayCommand(wire_of()))
    assert of(ev, P.RelayRefused)[0].reason is reason and not of(ev, HANFrameOut)


def test_a_meter_reply_to_a_relayed_command_goes_back_up_to_the_supplier():
    cmd = M.read(cs01a(), KS, M.CS01aCommand, acb=E.acb)
    reply = M.CS01aResponse.replying_to(cmd, date_time=M.DlmsDateTime(2025, 1, 1, 0, 0, 0), result=0)
    _, ev = run(paired(wifi=True, relay=True), GBCSFrame(reply.build(KS, acb=E.acb), Via.RELAY))
    (up,) = of(ev, GBCSOut)
    assert up.to == E.supplier and up.frame.via is Via.RELAY


# -- broken, unknown ---------------------------------------------------------------------------------------


def test_a_broken_ppmid_ignores_everything():
    s, ev = run(paired(wifi=True, relay=True), P.Break())
    assert s.status is P.PPMIDStatus.BROKEN and of(ev, P.PPMIDBroken)
    for value in (P.KeypadTopUp(UTRN, Fuel.GAS), P.RelayCommand(cs01a()), HANJoined(None)):
        s2, ev = run(s, value)
        assert s2 == s and [type(e) for e in ev] == [P.InputIgnored]


def test_transition_table_never_acts_while_broken_and_unknown_inputs_raise():
    assert not [k for k in P.TRANSITIONS if k[0] is P.PPMIDStatus.BROKEN]
    with pytest.raises(TypeError):
        P.step(fresh(), object(), 0.0)
