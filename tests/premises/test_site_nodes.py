"""The meters' and hub's GBCS layer (``devices.nodes``): a meter accepts what verifies, comes from a party
allowed to send it and carries a fresh counter, and refuses everything else without changing anything.

Expected values: DOMAIN.md §1.7 (CS01a/CS01b/PCS01 shapes, money x 1000), §2.2/§2.5 (who MACs and signs),
§3.5 (join codes), §1.9 (counters k << 32); the anti-replay rules are the documented choices of
``devices.ReplayRule`` (DOMAIN.md open question 11)."""

from __future__ import annotations

import pytest
from _sitekit import E, flip, keystore

from smetslab.devices import Fuel, GBCSFrame, GBCSOut, HANFrameOut, LocalPairing, ReplayRule, Via, nodes
from smetslab.devices import chf as C
from smetslab.devices import prepayment as pp
from smetslab.devices.esme import new_esme
from smetslab.devices.gsme import new_gsme
from smetslab.devices.han import CommandRefusal, DeviceType, ZSEConsumerTopUp
from smetslab.gbcs import messages as M
from smetslab.gbcs import utrn

KS = keystore()


def node(kind: DeviceType = DeviceType.ESME, rule: ReplayRule = ReplayRule.STRICTLY_GREATER,
         balance: int = 1000) -> nodes.MeterNode:
    make, eui = (new_esme, E.esme) if kind is DeviceType.ESME else (new_gsme, E.gsme)
    meter = make(meter=eui, supplier=E.supplier, keystore=KS, profile=pp.FlatRate(0), balance_pence=balance)
    return nodes.new_meter_node(meter, nodes.NodeConfig(E.supplier, E.acb, rule))


def code(meter: object, k: int, value: int = 500, supplier: object = E.supplier) -> str:
    return utrn.issue(KS, supplier=supplier, meter=meter, counter=k << 32, value=value)


def cs01a(k: int, value: int = 500, *, originator: object = E.supplier, recipient: object = E.esme) -> bytes:
    return M.CS01aCommand(originator=originator, recipient=recipient, counter=k << 32,
                          utrn=code(recipient, k, value, originator)).build(KS, acb=E.acb)


def feed(n: nodes.MeterNode, *inputs: object, now: float = 10.0) -> tuple[nodes.MeterNode, list[object]]:
    events: list[object] = []
    for value in inputs:
        n, ev = nodes.step(n, value, now)
        events += ev
    return n, events


def of(events: list[object], cls: type) -> list[object]:
    return [e for e in events if isinstance(e, cls)]


def test_cs01a_credits_and_the_reply_is_a_macd_cs01a_response_for_the_supplier():
    n, ev = feed(node(), GBCSFrame(cs01a(3, 500), Via.WAN))
    assert n.meter.balance_pence == 1500
    (accepted,) = of(ev, pp.TopUpAccepted)
    assert (accepted.counter, accepted.use_case) == (3 << 32, "CS01a")  # header counter = UTRN counter
    reply = next(o for o in of(ev, GBCSOut) if "CS01a" in o.frame.message)
    msg = M.read(reply.frame.wire, KS, M.CS01aResponse, acb=E.acb)
    assert (msg.result, msg.counter, msg.recipient, reply.frame.via) == (0, 3 << 32, E.supplier, Via.WAN)


@pytest.mark.parametrize("case, reason, alert", [
    ("same bytes again", CommandRefusal.REPLAYED, 0x8F1E),
    ("older counter", CommandRefusal.REPLAYED, 0x8F1E),
    ("tampered MAC", CommandRefusal.NOT_AUTHENTIC, 0x8F1E),
    ("another supplier", CommandRefusal.NOT_AUTHORISED, 0x8F30),
    ("for the GSME", CommandRefusal.NOT_FOR_THIS_DEVICE, None),
    ("garbage", CommandRefusal.MALFORMED, None),
])
def test_a_meter_refuses_without_changing_anything(case, reason, alert):
    first = cs01a(5)
    n, _ = feed(node(), GBCSFrame(first, Via.WAN))
    wire = {"same bytes again": first, "older counter": cs01a(4), "tampered MAC": flip(cs01a(6), -2),
            "another supplier": cs01a(6, originator=E.supplier2),
            "for the GSME": M.CS01bCommand(originator=E.supplier, recipient=E.gsme, counter=6 << 32,
                                           utrn=code(E.gsme, 6)).build(KS, acb=E.acb),
            "garbage": b"\xdd\x00\x01"}[case]
    n2, ev = feed(n, GBCSFrame(wire, Via.HAN))
    assert [e.reason for e in of(ev, nodes.CommandRejected)] == [reason]
    assert n2.meter == n.meter and n2.seen == n.seen and not of(ev, pp.TopUpAccepted)
    alerts = [M.read(o.frame.wire, KS, M.DeviceAlert, acb=E.acb).alert_code for o in of(ev, GBCSOut)]
    assert alerts == ([] if alert is None else [alert])


def test_replay_rules_strictly_greater_unseen_and_off():
    late, early = cs01a(8), cs01a(7)  # built in order, delivered out of order
    strict, ev = feed(node(rule=ReplayRule.STRICTLY_GREATER), GBCSFrame(late, Via.WAN), GBCSFrame(early, Via.WAN))
    assert [e.reason for e in of(ev, nodes.CommandRejected)] == [CommandRefusal.REPLAYED]
    unseen, ev = feed(node(rule=ReplayRule.UNSEEN), GBCSFrame(late, Via.WAN), GBCSFrame(early, Via.WAN),
                      GBCSFrame(early, Via.WAN))
    assert unseen.meter.balance_pence == 2000  # 7 accepted late, then refused as seen
    assert [e.reason for e in of(ev, nodes.CommandRejected)] == [CommandRefusal.REPLAYED]
    # OFF: the GBCS layer lets a replay through; the UTRN counter cache still refuses it (defence in depth).
    off, ev = feed(node(rule=ReplayRule.OFF), GBCSFrame(late, Via.WAN), GBCSFrame(late, Via.WAN))
    assert not of(ev, nodes.CommandRejected) and off.meter.balance_pence == 1500
    assert of(ev, pp.TopUpRejected)[0].reason.name == "DUPLICATE"


def test_unseen_rule_forgets_only_below_its_memory():
    cfg = nodes.NodeConfig(E.supplier, E.acb, ReplayRule.UNSEEN, replay_depth=2)
    n = nodes.MeterNode(node().meter, cfg)
    n, ev = feed(n, *(GBCSFrame(cs01a(k), Via.WAN) for k in (2, 3, 4)))
    n, ev = feed(n, GBCSFrame(cs01a(1), Via.WAN))  # below the remembered {3, 4}: refused
    assert [e.reason for e in of(ev, nodes.CommandRejected)] == [CommandRefusal.REPLAYED]


def pcs01(k_ppmid: int, utrn_code: str, originator: object = E.ppmid) -> bytes:
    return M.PCS01Command(originator=originator, recipient=E.gsme, counter=k_ppmid,
                          utrn=utrn_code).build(KS, acb=E.acb)


def test_gsme_takes_pcs01_only_from_a_joined_ppmid_and_answers_in_pence_x_1000():
    gas = node(DeviceType.GSME)
    top = code(E.gsme, 2, 2025)
    _, ev = feed(gas, GBCSFrame(pcs01(1, top), Via.HAN))
    assert [e.reason for e in of(ev, nodes.CommandRejected)] == [CommandRefusal.NOT_JOINED]
    join = M.CS03CCommand(originator=E.supplier, recipient=E.gsme, counter=1 << 32, other_device=E.ppmid,
                          device_type=5, certificate=M.ka_certificate_der(KS, E.ppmid)).build(KS, acb=E.acb)
    gas, ev = feed(gas, GBCSFrame(join, Via.WAN))
    assert M.read(of(ev, GBCSOut)[0].frame.wire, KS, M.CS03CResponse, acb=E.acb).code == 0
    gas, ev = feed(gas, GBCSFrame(pcs01(1, top), Via.HAN))
    reply = next(o for o in of(ev, GBCSOut) if "PCS01" in o.frame.message)
    msg = M.read(reply.frame.wire, KS, M.PCS01Response, acb=E.acb)
    assert reply.to == E.ppmid and (msg.top_up_value, msg.credit_remaining) == (2_025_000, 3_025_000)
    assert of(ev, pp.TopUpAccepted)[0].use_case == "PCS01"


def test_cs03c_with_another_devices_certificate_is_answered_11_and_joins_nothing():
    join = M.CS03CCommand(originator=E.supplier, recipient=E.gsme, counter=1 << 32, other_device=E.ppmid,
                          device_type=5, certificate=M.ka_certificate_der(KS, E.hcalcs)).build(KS, acb=E.acb)
    gas, ev = feed(node(DeviceType.GSME), GBCSFrame(join, Via.WAN))
    assert gas.joined == () and M.read(of(ev, GBCSOut)[0].frame.wire, KS, M.CS03CResponse, acb=E.acb).code == 11


def test_zse_top_up_needs_a_pairing_and_its_answer_goes_back_to_the_ppmid():
    top = code(E.esme, 4, 700)
    n, ev = feed(node(), ZSEConsumerTopUp(E.ppmid, top))
    assert [e.reason for e in of(ev, nodes.CommandRejected)] == [CommandRefusal.NOT_JOINED]
    n, ev = feed(n, LocalPairing(E.ppmid, DeviceType.PPMID), ZSEConsumerTopUp(E.ppmid, top))
    (back,) = of(ev, HANFrameOut)
    assert back.to == E.ppmid and back.frame.fuel is Fuel.ELECTRICITY and back.frame.value_pence == 700
    assert of(ev, pp.TopUpAccepted)[0].use_case == "PECS01" and n.meter.balance_pence == 1700


def test_cs07_reports_the_join_list_and_cs04ac_empties_it():
    n, _ = feed(node(), LocalPairing(E.ppmid, DeviceType.PPMID))
    read = M.CS07Command(originator=E.supplier, recipient=E.esme, counter=1 << 32).build(KS, acb=E.acb)
    unjoin = M.CS04ACCommand(originator=E.supplier, recipient=E.esme, counter=2 << 32,
                             other_device=E.ppmid).build(KS, acb=E.acb)
    n, ev = feed(n, GBCSFrame(read, Via.WAN), GBCSFrame(unjoin, Via.WAN))
    cs07, cs04 = (M.read(o.frame.wire, KS, acb=E.acb) for o in of(ev, GBCSOut))
    assert [(bytes(d.eui), d.device_type) for d in cs07.devices] == [(bytes(E.ppmid), 5)]  # PPMID = 5 (§3.5)
    assert cs04.code == 0 and n.joined == ()


def test_hub_port_maps_ccs01_from_the_acb_and_refuses_a_replay_or_another_originator():
    port = nodes.HubPort(E.chf, E.acb)

    def ccs01(counter: int, originator: object = E.acb) -> bytes:
        return M.CCS01Command(originator=originator, recipient=E.chf, counter=counter, device=E.ppmid,
                              install_code=b"\x11" * 16, join_timeout=90, supplementary_remote_party=E.supplier,
                              supplementary_remote_party_counter=1).build(KS, acb=E.acb)

    kinds = {E.ppmid: DeviceType.PPMID}
    port, v = nodes.hub_receive(port, ccs01(5), KS, device_types=kinds, suppliers=(E.supplier,))
    assert v.chf_input == C.AddDevice(E.ppmid, DeviceType.PPMID, b"\x11" * 16, 90 * 60.0)  # 90 read as minutes
    port, v = nodes.hub_receive(port, ccs01(5), KS, device_types=kinds, suppliers=(E.supplier,))
    assert v.refusal is CommandRefusal.REPLAYED
    port, v = nodes.hub_receive(port, ccs01(6), KS, device_types=kinds, suppliers=(E.supplier2,))
    assert v.refusal is CommandRefusal.NOT_AUTHORISED
