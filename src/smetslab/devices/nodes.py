"""The meters' and the hub's GBCS application layer around the device machines (it was ``premises/nodes.py``:
a pure machine, so it lives with the machines; the premises only routes what it emits).

Theory of operation
-------------------
``devices.esme``/``devices.gsme`` and ``devices.chf`` take typed inputs. On the premises, commands
arrive as real GBCS bytes, so each meter runs inside a ``MeterNode`` - itself a pure state machine
``step(node, input, now) -> (node, events)`` - that does what the meter's GBCS stack does before and
after the prepayment logic:

1. **verify** (``devices.read_gbcs``): the header decodes, names this meter, is a use case the meter
   handles, and its MAC (and signature, for critical commands) verify with the keystore - else
   ``CommandRejected`` (MALFORMED, NOT_FOR_THIS_DEVICE, UNSUPPORTED, NOT_AUTHENTIC);
2. **authorise**: supplier commands (CS01a/b, ECS09/GCS06, CS03A1/CS03C, CS04AC) only from this
   meter's supplier; PCS01/PCS02 only from a PPMID joined with this GSME - else NOT_AUTHORISED or
   NOT_JOINED (authentication is not authorisation: a valid MAC from the wrong party is refused);
3. **anti-replay**: the originator counter must be fresh under the node's ``ReplayRule`` (default:
   strictly greater than the last accepted from that originator; DOMAIN.md open question 11) - else
   REPLAYED. Refused commands change nothing and are not answered (an unauthenticated sender gets
   nothing to learn from); refusals of authentic-looking frames raise an alert (below);
4. **apply**: hand the typed input to the meter (``ApplyTopUp`` with the GBCS header counter for
   CS01a/b, ``ActivateEmergencyCredit``, the join list for CS03/CS04/CS07);
5. **reply**: build the real response (CS01aResponse, CS01bResponse, PCS01Response, PCS02Response,
   ECS09Response, GCS06Response, CS03A1/CS03C/CS04AC/CS07 responses) and turn every ``AlertRaised``
   into a GBCS Generic (Non-)Critical Alert to the supplier (``GBCSOut``), all with ``smetslab.gbcs
   .messages``. Replies go back the way the command came (``Via``).

The PPMID's ZSE frames to the ESME (PECS01-03) carry no GBCS: the pairwise ZigBee link secures them,
so the node accepts them only from a device in its join list. The meter keypad, the meter's buttons
and a phone app on the meter's Bluetooth/NFC are local inputs.

The hub's application layer is the pair of functions ``hub_receive`` / ``hub_reply`` (the engine's
CHF actor must stay a plain ``CHFState``): it verifies DCC device-log commands (CCS01, CCS02, CCS07:
ACB-originated, naming a supplementary remote party), applies the same anti-replay rule, maps them
to ``chf`` inputs, answers, and turns ``DeviceLogChanged`` into the CS14 alert (0x8F12) bytes.

Choices where DOMAIN.md is silent (listed in docs/emulator.md): a refused UTRN in a CS01a reply is
DLMS action-result 250 "other-reason"; CS01b/PCS01 replies report money as pence x 1000 (RTDS);
refusal alerts: NOT_AUTHENTIC and REPLAYED -> 0x8F1E "integrity check of command failed",
NOT_AUTHORISED and NOT_JOINED -> 0x8F30 "source does not have authority"; malformed frames and frames
for another device raise none.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from smetslab.devices import TopUpRoute
from smetslab.devices import chf as chf_machine
from smetslab.devices import esme as esme_machine
from smetslab.devices import gsme as gsme_machine
from smetslab.devices import prepayment as pp
from smetslab.devices._evolve import evolve
from smetslab.devices.han import (
    CS03_DEVICE_TYPE,
    CommandRefusal,
    DeviceType,
    Fuel,
    GBCSFrame,
    GBCSOut,
    HANFrameOut,
    LocalPairing,
    MeterReport,
    ReplayMemory,
    ReplayRule,
    Via,
    ZSEConsumerTopUp,
    ZSEEmergencyCreditResponse,
    ZSELocalChangeSupply,
    ZSESelectEmergencyCredit,
    ZSESupplyResponse,
    ZSETopUpResponse,
    counter_fresh,
    gbcs_frame,
    read_gbcs,
    remember_counter,
)
from smetslab.gbcs import messages as M
from smetslab.gbcs.keystore import Keystore
from smetslab.gbcs.payloads.dlms import DeviceLogBackup, DeviceLogEntry
from smetslab.units import EUI64, SimTime

__all__ = [
    "DEFAULT_EPOCH",
    "NodeConfig",
    "JoinedPeer",
    "MeterNode",
    "new_meter_node",
    "meter_report",
    # inputs
    "KeypadEntry",
    "PhoneAppEntry",
    "MeterButton",
    "PublishReport",
    # events
    "CommandAccepted",
    "CommandRejected",
    "PeerJoined",
    "PeerUnjoined",
    "ReportPublished",
    "TRANSITIONS",
    "step",
    # hub
    "HubPort",
    "HubVerdict",
    "hub_receive",
    "hub_reply",
    "cs14_alert",
]

DEFAULT_EPOCH = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
"""Simulated t = 0 as a UTC instant (for DLMS/ZigBee time stamps in replies and alerts)."""

_CS01A_REFUSED = 250  # DLMS action-result "other-reason": our choice for a refused UTRN
_ZCL_SUCCESS, _ZCL_FAILURE = 0x00, 0x01
_JOIN_OK, _JOIN_INCOMPATIBLE, _JOIN_BAD_CERTIFICATE = 0, 3, 11
_UNJOIN_OK, _UNJOIN_NOT_IN_LOG = 0, 1
_INTEGRITY_CHECK_FAILED = 0x8F1E
_SOURCE_NOT_AUTHORISED = 0x8F30
_REFUSAL_ALERT = {
    CommandRefusal.NOT_AUTHENTIC: _INTEGRITY_CHECK_FAILED,
    CommandRefusal.REPLAYED: _INTEGRITY_CHECK_FAILED,
    CommandRefusal.NOT_AUTHORISED: _SOURCE_NOT_AUTHORISED,
    CommandRefusal.NOT_JOINED: _SOURCE_NOT_AUTHORISED,
}
_DEVICE_OF_CS03 = {v: k for k, v in CS03_DEVICE_TYPE.items()}


def _dlms_time(epoch: datetime.datetime, now: float) -> M.DlmsDateTime:
    return M.DlmsDateTime.from_datetime(epoch + datetime.timedelta(seconds=int(now)))


def _zigbee_time(epoch: datetime.datetime, now: float) -> int:
    return M.zigbee_time(epoch + datetime.timedelta(seconds=int(now)))


# --------------------------------------------------------------------------------------------------
# Meter node
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeConfig:
    supplier: EUI64
    acb: EUI64
    replay: ReplayRule = ReplayRule.STRICTLY_GREATER
    replay_depth: int = 64
    epoch: datetime.datetime = DEFAULT_EPOCH


@dataclass(frozen=True, slots=True)
class JoinedPeer:
    """An entry of the meter's own join list (what CS07 reports)."""

    eui: EUI64
    device_type: DeviceType
    method: str  # CS03A1, CS03C, LOCAL


@dataclass(frozen=True, slots=True)
class MeterNode:
    meter: pp.MeterState
    config: NodeConfig
    seen: ReplayMemory = ()
    joined: tuple[JoinedPeer, ...] = ()
    alert_counter: int = 0

    @property
    def eui(self) -> EUI64:
        return self.meter.meter

    @property
    def keystore(self) -> Keystore:
        return self.meter.keystore

    @property
    def fuel(self) -> Fuel:
        return Fuel.ELECTRICITY if self.meter.kind is DeviceType.ESME else Fuel.GAS

    def peer(self, eui: EUI64) -> JoinedPeer | None:
        for p in self.joined:
            if p.eui == eui:
                return p
        return None


def new_meter_node(meter: pp.MeterState, config: NodeConfig) -> MeterNode:
    return MeterNode(meter=meter, config=config)


def meter_report(node: MeterNode) -> MeterReport:
    m = node.meter
    return MeterReport(node.fuel, m.balance_pence, m.credit_remaining_pence, m.emergency_credit_remaining_pence,
                       m.ec_active, m.debt_pence, m.supply.name)


# -- inputs -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeypadEntry:
    """20 digits typed on the meter's own keypad."""

    utrn: str


@dataclass(frozen=True, slots=True)
class PhoneAppEntry:
    """A UTRN a phone app hands to the meter over Bluetooth or NFC (``meter_bluetooth``/``meter_nfc``).
    The meter treats it as a local entry (route KEYPAD): our model; the options name no protocol."""

    utrn: str
    radio: str


@dataclass(frozen=True, slots=True)
class MeterButton:
    """A button on the meter: ``"enable"`` (re-enable an armed supply) or ``"emergency_credit"``."""

    action: str


@dataclass(frozen=True, slots=True)
class PublishReport:
    """Send the prepayment attributes to these devices (displays, or the GPF for the GSME)."""

    to: tuple[EUI64, ...]


# -- events -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommandAccepted:
    message: str
    originator: EUI64
    counter: int
    via: Via


@dataclass(frozen=True, slots=True)
class CommandRejected:
    message: str
    reason: CommandRefusal
    counter: int
    via: Via


@dataclass(frozen=True, slots=True)
class PeerJoined:
    eui: EUI64
    device_type: DeviceType
    method: str


@dataclass(frozen=True, slots=True)
class PeerUnjoined:
    eui: EUI64


@dataclass(frozen=True, slots=True)
class ReportPublished:
    to: tuple[EUI64, ...]
    credit_pence: int


_Result = tuple[MeterNode, list[Any]]


def _meter_step(node: MeterNode, value: Any, now: float) -> tuple[MeterNode, list[Any]]:
    machine = esme_machine if node.meter.kind is DeviceType.ESME else gsme_machine
    meter, events = machine.step(node.meter, value, SimTime(now))
    return evolve(node, meter=meter), list(events)  # every meter input: not dataclasses.replace


def _alerts(node: MeterNode, events: list[Any], now: float) -> tuple[MeterNode, list[Any]]:
    """Every AlertRaised becomes a GBCS alert to the supplier (GBCS Generic (Non-)Critical Alert)."""
    out: list[Any] = []
    for ev in events:
        if isinstance(ev, pp.AlertRaised):
            node, alert = _alert(node, ev.code, now)
            out.append(alert)
    return node, out


def _alert(node: MeterNode, code: int, now: float) -> tuple[MeterNode, GBCSOut]:
    counter = node.alert_counter + 1
    stamp: M.DlmsDateTime | int = (_dlms_time(node.config.epoch, now) if node.meter.kind is DeviceType.ESME
                                   else _zigbee_time(node.config.epoch, now))
    wire = M.DeviceAlert(originator=node.eui, recipient=node.config.supplier, counter=counter, alert_code=code,
                         timestamp=stamp).build(node.keystore, acb=node.config.acb)
    return evolve(node, alert_counter=counter), GBCSOut(node.config.supplier, gbcs_frame(wire, Via.WAN))


def _reject(node: MeterNode, frame: GBCSFrame, reason: CommandRefusal, counter: int, now: float) -> _Result:
    events: list[Any] = [CommandRejected(frame.message, reason, counter, frame.via)]
    code = _REFUSAL_ALERT.get(reason)
    if code is not None:
        node, alert = _alert(node, code, now)
        events.append(alert)
    return node, events


_SUPPLIER_COMMANDS: dict[DeviceType, tuple[type[M.Message], ...]] = {
    DeviceType.ESME: (M.CS01aCommand, M.ECS09Command, M.CS03A1Command, M.CS04ACCommand, M.CS07Command),
    DeviceType.GSME: (M.CS01bCommand, M.GCS06Command, M.CS03CCommand, M.CS04ACCommand, M.CS07Command),
}
_PEER_COMMANDS: dict[DeviceType, tuple[type[M.Message], ...]] = {
    DeviceType.ESME: (),
    DeviceType.GSME: (M.PCS01Command, M.PCS02Command),
}


def _gbcs(node: MeterNode, frame: GBCSFrame, now: float) -> _Result:
    kind = node.meter.kind
    accepted = _SUPPLIER_COMMANDS[kind] + _PEER_COMMANDS[kind]
    msg, refusal = read_gbcs(frame.wire, node.keystore, me=node.eui, acb=node.config.acb, accepted=accepted)
    if msg is None:
        assert refusal is not None
        return _reject(node, frame, refusal, frame.counter, now)
    if isinstance(msg, _PEER_COMMANDS[kind]):
        peer = node.peer(msg.originator)
        if peer is None or peer.device_type is not DeviceType.PPMID:
            return _reject(node, frame, CommandRefusal.NOT_JOINED, msg.counter, now)
    else:
        cfg = node.config
        if isinstance(msg, M.CS07Command) and msg.originator == cfg.acb:
            authorised = msg.supplementary_remote_party == cfg.supplier  # the DCC asking for the supplier
        else:
            authorised = msg.originator == cfg.supplier
        if not authorised:
            return _reject(node, frame, CommandRefusal.NOT_AUTHORISED, msg.counter, now)
    cfg = node.config
    if not counter_fresh(cfg.replay, node.seen, msg.originator, msg.counter, cfg.replay_depth):
        return _reject(node, frame, CommandRefusal.REPLAYED, msg.counter, now)
    node = evolve(node, seen=remember_counter(cfg.replay, node.seen, msg.originator, msg.counter,
                                               cfg.replay_depth))
    events: list[Any] = [CommandAccepted(frame.message, msg.originator, msg.counter, frame.via)]
    node, applied = _apply(node, msg, frame.via, now)
    return node, events + applied


def _reply(node: MeterNode, command: M.Message, reply: M.Message, via: Via) -> GBCSOut:
    wire = reply.build(node.keystore, acb=node.config.acb)
    to = command.supplementary_remote_party or command.originator
    return GBCSOut(to, gbcs_frame(wire, via))


def _top_up_outcome(events: Sequence[Any]) -> tuple[bool, int, int]:
    """(accepted, ZCL result, value pence) of the top-up in ``events``."""
    for ev in events:
        if isinstance(ev, pp.TopUpAccepted):
            return True, int(ev.zcl_result), ev.value_pence
        if isinstance(ev, pp.TopUpRejected):
            return False, int(ev.zcl_result), -1
    raise AssertionError("a top-up produced neither TopUpAccepted nor TopUpRejected")


def _ec_outcome(events: Sequence[Any]) -> bool:
    return any(isinstance(ev, pp.EmergencyCreditActivated) for ev in events)


def _apply(node: MeterNode, msg: M.Message, via: Via, now: float) -> _Result:
    out: list[Any] = []
    if isinstance(msg, M.CS01aCommand | M.CS01bCommand | M.PCS01Command):
        route = TopUpRoute.PPMID if isinstance(msg, M.PCS01Command) else TopUpRoute.REMOTE
        # CS01a/b: the GBCS header counter is the UTRN counter (RTDS); PCS01's is the PPMID's own.
        counter = None if route is TopUpRoute.PPMID else msg.counter
        node, events = _meter_step(node, pp.ApplyTopUp(msg.utrn, route, counter), now)
        out += events
        ok, zcl, value = _top_up_outcome(events)
        credit = node.meter.credit_remaining_pence
        scale = M.GSME_MONEY_SCALE
        reply: M.Message
        if isinstance(msg, M.CS01aCommand):
            reply = M.CS01aResponse.replying_to(msg, date_time=_dlms_time(node.config.epoch, now),
                                                result=0 if ok else _CS01A_REFUSED)
        elif isinstance(msg, M.CS01bCommand):
            reply = M.CS01bResponse.replying_to(msg, date_time=_dlms_time(node.config.epoch, now), result=zcl,
                                                top_up_value=value * scale if ok else -1,
                                                credit_remaining=credit * scale if ok else -1)
        else:
            reply = M.PCS01Response.replying_to(msg, result=zcl, top_up_value=value * scale if ok else -1,
                                                credit_remaining=credit * scale if ok else -1)
        out.append(_reply(node, msg, reply, via))
    elif isinstance(msg, M.ECS09Command | M.GCS06Command | M.PCS02Command):
        route = TopUpRoute.PPMID if isinstance(msg, M.PCS02Command) else TopUpRoute.REMOTE
        node, events = _meter_step(node, pp.ActivateEmergencyCredit(route), now)
        out += events
        ok = _ec_outcome(events)
        if isinstance(msg, M.ECS09Command):
            reply = M.ECS09Response.replying_to(msg, result=0 if ok else _CS01A_REFUSED)
        elif isinstance(msg, M.GCS06Command):
            reply = M.GCS06Response.replying_to(msg, status=_ZCL_SUCCESS if ok else _ZCL_FAILURE)
        else:
            reply = M.PCS02Response.replying_to(msg, status=_ZCL_SUCCESS if ok else _ZCL_FAILURE)
        out.append(_reply(node, msg, reply, via))
    elif isinstance(msg, M.CS03A1Command | M.CS03CCommand):
        node, events, code = _join(node, msg)
        out += events
        cls = M.CS03A1Response if isinstance(msg, M.CS03A1Command) else M.CS03CResponse
        out.append(_reply(node, msg, cls.replying_to(msg, code=code), via))
    elif isinstance(msg, M.CS04ACCommand):
        if node.peer(msg.other_device) is None:
            code = _UNJOIN_NOT_IN_LOG
        else:
            code = _UNJOIN_OK
            node = evolve(node, joined=tuple(p for p in node.joined if p.eui != msg.other_device))
            out.append(PeerUnjoined(msg.other_device))
        out.append(_reply(node, msg, M.CS04ACResponse.replying_to(msg, code=code), via))
    elif isinstance(msg, M.CS07Command):
        devices = tuple(M.JoinedDevice(bytes(p.eui), CS03_DEVICE_TYPE.get(p.device_type, 6)) for p in node.joined)
        out.append(_reply(node, msg, M.CS07Response.replying_to(msg, code=0, devices=devices), via))
    else:  # pragma: no cover - read_gbcs only lets the accepted classes through
        raise AssertionError(f"unhandled {type(msg).__name__}")
    node, alerts = _alerts(node, out, now)
    return node, out + alerts


def _join(node: MeterNode, msg: M.CS03A1Command | M.CS03CCommand) -> tuple[MeterNode, list[Any], int]:
    device_type = _DEVICE_OF_CS03.get(msg.device_type)
    if device_type not in (DeviceType.PPMID, DeviceType.HCALCS):
        return node, [], _JOIN_INCOMPATIBLE
    if isinstance(msg, M.CS03CCommand) and (msg.certificate is None
                                            or M.certificate_eui(msg.certificate) != msg.other_device):
        return node, [], _JOIN_BAD_CERTIFICATE
    method = "CS03A1" if isinstance(msg, M.CS03A1Command) else "CS03C"
    node = _with_peer(node, JoinedPeer(msg.other_device, device_type, method))
    return node, [PeerJoined(msg.other_device, device_type, method)], _JOIN_OK


def _with_peer(node: MeterNode, peer: JoinedPeer) -> MeterNode:
    return evolve(node, joined=tuple(p for p in node.joined if p.eui != peer.eui) + (peer,))


def _local_pairing(node: MeterNode, value: LocalPairing, now: float) -> _Result:
    node = _with_peer(node, JoinedPeer(value.device, value.device_type, "LOCAL"))
    return node, [PeerJoined(value.device, value.device_type, "LOCAL")]


def _local(node: MeterNode, value: Any, meter_input: Any, now: float) -> _Result:
    node, events = _meter_step(node, meter_input, now)
    node, alerts = _alerts(node, events, now)
    return node, events + alerts


def _zse(node: MeterNode, value: Any, now: float) -> _Result:
    peer = node.peer(value.source)
    if node.meter.kind is not DeviceType.ESME or peer is None or peer.device_type is not DeviceType.PPMID:
        # No pairwise link with the sender: the ZigBee layer would not even decrypt it.
        return node, [CommandRejected(type(value).__name__, CommandRefusal.NOT_JOINED, 0, Via.HAN)]
    if isinstance(value, ZSEConsumerTopUp):
        node, events = _meter_step(node, pp.ApplyTopUp(value.utrn, TopUpRoute.PPMID), now)
        ok, zcl, amount = _top_up_outcome(events)
        answer: Any = ZSETopUpResponse(node.fuel, zcl, amount if ok else -1,
                                       node.meter.credit_remaining_pence if ok else -1)
    elif isinstance(value, ZSESelectEmergencyCredit):
        node, events = _meter_step(node, pp.ActivateEmergencyCredit(TopUpRoute.PPMID), now)
        answer = ZSEEmergencyCreditResponse(node.fuel, _ec_outcome(events))
    else:
        assert isinstance(value, ZSELocalChangeSupply)
        if not value.supply_on:  # PECS03 allows "supply on" only
            return node, [CommandRejected("ZSELocalChangeSupply", CommandRefusal.UNSUPPORTED, 0, Via.HAN)]
        node, events = _meter_step(node, pp.EnableSupply(TopUpRoute.PPMID), now)
        answer = ZSESupplyResponse(node.fuel, any(isinstance(e, pp.SupplyEnabled) for e in events))
    node, alerts = _alerts(node, events, now)
    return node, [*events, HANFrameOut(value.source, answer), *alerts]


def _keypad(node: MeterNode, value: KeypadEntry, now: float) -> _Result:
    return _local(node, value, pp.ApplyTopUp(value.utrn, TopUpRoute.KEYPAD), now)


def _phone(node: MeterNode, value: PhoneAppEntry, now: float) -> _Result:
    return _local(node, value, pp.ApplyTopUp(value.utrn, TopUpRoute.KEYPAD), now)


def _button(node: MeterNode, value: MeterButton, now: float) -> _Result:
    if value.action == "enable":
        return _local(node, value, pp.EnableSupply(TopUpRoute.KEYPAD), now)
    if value.action == "emergency_credit":
        return _local(node, value, pp.ActivateEmergencyCredit(TopUpRoute.KEYPAD), now)
    raise ValueError(f"meter button {value.action!r}: expected 'enable' or 'emergency_credit'")


def _tick(node: MeterNode, value: pp.Tick, now: float) -> _Result:
    return _local(node, value, value, now)


def _publish(node: MeterNode, value: PublishReport, now: float) -> _Result:
    node, events = _meter_step(node, pp.Tick(), now)  # report the balance as of now
    node, alerts = _alerts(node, events, now)
    report = meter_report(node)
    return node, [*events, *alerts, ReportPublished(value.to, report.credit_pence),
                  *(HANFrameOut(eui, report) for eui in value.to)]


_Handler = Callable[[MeterNode, Any, float], _Result]

TRANSITIONS: dict[type, _Handler] = {
    GBCSFrame: _gbcs,
    ZSEConsumerTopUp: _zse,
    ZSESelectEmergencyCredit: _zse,
    ZSELocalChangeSupply: _zse,
    LocalPairing: _local_pairing,
    KeypadEntry: _keypad,
    PhoneAppEntry: _phone,
    MeterButton: _button,
    pp.Tick: _tick,
    PublishReport: _publish,
}
"""Input type -> handler. The meter's own supply table (``esme.TRANSITIONS``/``gsme.TRANSITIONS``)
still decides every supply change; this table only routes."""


def step(node: MeterNode, value: Any, now: SimTime) -> tuple[MeterNode, Sequence[Any]]:
    """One meter-node transition."""
    handler = TRANSITIONS.get(type(value))
    if handler is None:
        raise TypeError(f"meter node has no input {type(value).__name__}")
    return handler(node, value, float(now))


# --------------------------------------------------------------------------------------------------
# Hub (CHF) application layer
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HubPort:
    """What the hub's GBCS layer remembers: anti-replay memory and its own alert counter."""

    hub: EUI64
    acb: EUI64
    replay: ReplayRule = ReplayRule.STRICTLY_GREATER
    replay_depth: int = 64
    epoch: datetime.datetime = DEFAULT_EPOCH
    seen: ReplayMemory = ()
    alert_counter: int = 0


@dataclass(frozen=True, slots=True)
class HubVerdict:
    """The hub's reading of a command: the message and the CHF input it maps to, or a refusal."""

    message: M.Message | None
    chf_input: Any
    refusal: CommandRefusal | None
    label: str = ""
    wire: bytes = b""


_JOIN_TIMEOUT_UNIT_S = 60  # CCS01 JoinTimePeriod read as minutes (RTDS 90; DOMAIN.md open question 4)


def hub_receive(port: HubPort, wire: bytes, keystore: Keystore, *, device_types: dict[EUI64, DeviceType],
                suppliers: tuple[EUI64, ...]) -> tuple[HubPort, HubVerdict]:
    """Verify a DCC command for the CHF and map it to a ``chf`` input.

    Only the ACB may change the device log, on behalf of a known supplier (supplementary remote party).
    ``device_types`` names the type the DCC registered for an EUI (CCS01's enums carry no reliable
    type, DOMAIN.md open question 4: the DCC's inventory is our source).
    """
    label = gbcs_frame(wire, Via.WAN).message
    msg, refusal = read_gbcs(wire, keystore, me=port.hub, acb=port.acb,
                             accepted=(M.CCS01Command, M.CCS02Command, M.CCS07Command))
    if msg is None:
        return port, HubVerdict(None, None, refusal, label)
    if msg.originator != port.acb or msg.supplementary_remote_party not in suppliers:
        return port, HubVerdict(msg, None, CommandRefusal.NOT_AUTHORISED, label)
    if not counter_fresh(port.replay, port.seen, msg.originator, msg.counter, port.replay_depth):
        return port, HubVerdict(msg, None, CommandRefusal.REPLAYED, label)
    port = evolve(port, seen=remember_counter(port.replay, port.seen, msg.originator, msg.counter,
                                               port.replay_depth))
    chf_input: Any
    if isinstance(msg, M.CCS01Command):
        kind = device_types.get(msg.device, DeviceType.TYPE2)
        chf_input = chf_machine.AddDevice(msg.device, kind, msg.install_code,
                                          float(msg.join_timeout * _JOIN_TIMEOUT_UNIT_S))
    elif isinstance(msg, M.CCS02Command):
        chf_input = chf_machine.RemoveDevice(msg.device)
    else:
        chf_input = chf_machine.ReadDeviceLogs()
    return port, HubVerdict(msg, chf_input, None, label)


def _backup(chf: chf_machine.CHFState, entries: Sequence[tuple[EUI64, bytes | None]], stamp: M.DlmsDateTime
            ) -> DeviceLogBackup:
    return DeviceLogBackup(stamp.encode(), bytes(chf.extended_pan_id),
                           tuple(DeviceLogEntry(bytes(e), k or b"") for e, k in entries))


def hub_reply(port: HubPort, verdict: HubVerdict, chf_events: Sequence[Any], chf: chf_machine.CHFState,
              keystore: Keystore, now: float) -> bytes:
    """The CHF's response to an accepted command, as wire bytes (MAC'd CHF KA x ACB KA)."""
    msg = verdict.message
    assert msg is not None and verdict.refusal is None
    if isinstance(msg, M.CCS01Command):
        ok = any(isinstance(e, chf_machine.DeviceAdded | chf_machine.DeviceAlreadyLogged) for e in chf_events)
        reply: M.Message = M.CCS01Response.replying_to(msg, results=(0, 0, 0) if ok else (250, 0, 0))
    elif isinstance(msg, M.CCS02Command):
        ok = any(isinstance(e, chf_machine.DeviceRemoved) for e in chf_events)
        reply = M.CCS02Response.replying_to(msg, result=0 if ok else 250)
    else:
        read = next(e for e in chf_events if isinstance(e, chf_machine.DeviceLogsRead))
        stamp = _dlms_time(port.epoch, now)
        reply = M.CCS07Response.replying_to(
            msg, device_log=_backup(chf, read.device_log, stamp),
            historic_device_log=_backup(chf, read.historic_log, stamp))
    return reply.build(keystore, acb=port.acb)


def cs14_alert(port: HubPort, event: chf_machine.DeviceLogChanged, chf: chf_machine.CHFState,
               keystore: Keystore, now: float) -> tuple[HubPort, bytes]:
    """The CS14 alert (0x8F12) for a device-log change, CHF -> ACB, with the hub's next alert counter."""
    counter = port.alert_counter + 1
    stamp = _dlms_time(port.epoch, now)
    wire = M.CS14Alert(originator=port.hub, recipient=port.acb, counter=counter, timestamp=stamp,
                       device_log=_backup(chf, event.entries, stamp)).build(keystore, acb=port.acb)
    return evolve(port, alert_counter=counter), wire
