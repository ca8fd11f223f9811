"""PPMID: the Prepayment Meter Interface Device as a pure state machine ``step(state, input, now)``.

Theory of operation
-------------------
A PPMID is a Type 1 HAN device (SMKI DS and KA certificates, DOMAIN.md §3.4, §4.1): the consumer's
keypad and display for a prepayment meter that may sit in an outside cupboard. It is useful only
once it is **joined** to the SM HAN (the CHF admitted it: CCS01 + install-code join, or a local join
under an option) and **paired** with a meter:

- with the ESME by Method A: CS03A2 from the DCC (ACB-signed, the supplier as supplementary remote
  party), the ESME getting CS03A1 from the supplier;
- with the GSME by Method C: CS03C carrying the GSME's KA certificate, which the PPMID checks names
  the GSME (else join response 11, "invalid or missing certificate");
- or, under a local-pairing option, by ``LocalPairing`` from the hub (our model, no source).

What the consumer can do on a paired PPMID (DOMAIN.md §1.7, §2.7, §4.1):

- type a 20-digit UTRN for a fuel: to the ESME as a plain ZSE Consumer Top Up (PECS01, secured only
  by the pairwise ZigBee link); to the GSME as a PCS01 GBCS frame MAC'd between the PPMID's and the
  GSME's KA keys (DOMAIN.md §2.5, inferred), carrying the PPMID's own strictly increasing counter;
- ask for emergency credit: PECS02 (ZSE) to the ESME, PCS02 (GBCS) to the GSME;
- re-enable an armed supply: PECS03 "supply on" to the ESME only - gas must be restored at the meter.

It displays what the meters report (credit, emergency credit, debt, supply state) and the result of
the last top-up. With the Wi-Fi module and the ``secmp0038`` option in force it also **relays**
fully formed GBCS commands that arrive from the supplier over broadband onto the HAN, unchanged (it
cannot check them: they are MAC'd for the meter), and passes the meters' replies back up. A PPMID
that is lost or broken (``Break``) does nothing any more.

The PPMID checks the GBCS messages addressed to it (join/unjoin commands, PCS01/PCS02 replies):
they must verify, name it as recipient, come from the DCC for its supplier (or the supplier
itself), and carry a fresh counter under its ``ReplayRule``.

The state enum is ``PPMIDStatus``; ``TRANSITIONS`` maps (status, input type) to a handler. An input
with no entry is ignored with ``InputIgnored``; an unknown input type raises TypeError.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from smetslab.devices._evolve import evolve
from smetslab.devices.han import (
    CS03_DEVICE_TYPE,
    CommandRefusal,
    DeviceType,
    DisplayUpdated,
    Fuel,
    GBCSFrame,
    GBCSOut,
    HANFrameOut,
    HANJoined,
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
    envelope_of,
    gbcs_frame,
    read_gbcs,
    remember_counter,
    show_report,
)
from smetslab.errors import CodecError
from smetslab.gbcs import messages as M
from smetslab.gbcs.frames import CRA
from smetslab.gbcs.keystore import Keystore
from smetslab.units import EUI64, SimTime

__all__ = [
    "PPMIDStatus",
    "PPMIDRefusal",
    "PPMIDConfig",
    "PPMIDState",
    "new_ppmid",
    "meter_for",
    # inputs
    "KeypadTopUp",
    "KeypadEmergencyCredit",
    "KeypadSupplyOn",
    "RelayCommand",
    "Break",
    # events
    "JoinedHAN",
    "PairedWithMeter",
    "UnpairedFromMeter",
    "CommandRefused",
    "UTRNSent",
    "EmergencyCreditRequested",
    "SupplyOnRequested",
    "KeypadRefused",
    "DisplayUpdated",
    "TopUpResultShown",
    "EmergencyCreditResultShown",
    "SupplyResultShown",
    "CommandRelayed",
    "ReplyRelayed",
    "RelayRefused",
    "PPMIDBroken",
    "InputIgnored",
    "TRANSITIONS",
    "step",
]

_EPOCH = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
_FUEL_OF_TYPE = {CS03_DEVICE_TYPE[DeviceType.ESME]: Fuel.ELECTRICITY, CS03_DEVICE_TYPE[DeviceType.GSME]: Fuel.GAS}
_FUEL_OF_DEVICE = {DeviceType.ESME: Fuel.ELECTRICITY, DeviceType.GSME: Fuel.GAS}
_JOIN_OK, _JOIN_BAD_CERTIFICATE, _JOIN_INCOMPATIBLE = 0, 11, 3  # CS03 join response codes (DOMAIN.md §3.5)
_UNJOIN_OK, _UNJOIN_NOT_IN_LOG = 0, 1
_ZCL_DEFAULT_SUCCESS = 0x00


class PPMIDStatus(enum.Enum):
    UNJOINED = "UNJOINED"  # not on the SM HAN
    JOINED = "JOINED"  # on the HAN, not yet paired with any meter
    PAIRED = "PAIRED"  # paired with at least one meter
    BROKEN = "BROKEN"  # lost or broken: ignores everything


class PPMIDRefusal(enum.Enum):
    NOT_PAIRED = "NOT_PAIRED"
    NO_METER_FOR_FUEL = "NO_METER_FOR_FUEL"
    MALFORMED_UTRN = "MALFORMED_UTRN"  # not 20 digits: the keypad will not send it
    GAS_RESTORED_AT_METER_ONLY = "GAS_RESTORED_AT_METER_ONLY"
    RELAY_NOT_PERMITTED = "RELAY_NOT_PERMITTED"  # no Wi-Fi module or secmp0038 not in force
    MALFORMED = "MALFORMED"
    NOT_A_COMMAND = "NOT_A_COMMAND"
    NOT_A_PAIRED_METER = "NOT_A_PAIRED_METER"


# --------------------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PPMIDConfig:
    """Fixed properties of a PPMID. ``relay_permitted`` is decided by the premises from the option in
    force (``smetslab.policy``); ``wifi`` is whether this PPMID has the Wi-Fi module at all."""

    eui: EUI64
    install_code: bytes
    supplier: EUI64
    acb: EUI64
    wifi: bool = False
    relay_permitted: bool = False
    replay: ReplayRule = ReplayRule.STRICTLY_GREATER
    epoch: datetime.datetime = _EPOCH  # simulated t = 0, for ZigBee time stamps in PCS02


@dataclass(frozen=True, slots=True)
class PPMIDState:
    config: PPMIDConfig
    keystore: Keystore = field(compare=False, repr=False)  # holds this PPMID's DS and KA private keys
    status: PPMIDStatus = PPMIDStatus.UNJOINED
    tc_link_key: bytes | None = None
    meters: tuple[tuple[Fuel, EUI64], ...] = ()  # paired meters
    counter: int = 0  # the PPMID's own GBCS originator counter (PCS01/PCS02), strictly increasing
    seen: ReplayMemory = ()  # anti-replay memory of the commands it accepted
    display: tuple[MeterReport, ...] = ()  # the latest report per fuel
    last_top_up: TopUpResultShown | None = None
    relayed: int = 0

    def shown(self, fuel: Fuel) -> MeterReport | None:
        """What the display shows for ``fuel`` (None before the first report)."""
        for r in self.display:
            if r.fuel is fuel:
                return r
        return None


def new_ppmid(config: PPMIDConfig, keystore: Keystore) -> PPMIDState:
    """A PPMID out of its box: not on the HAN, paired with nothing."""
    return PPMIDState(config=config, keystore=keystore)


def meter_for(state: PPMIDState, fuel: Fuel) -> EUI64 | None:
    for f, eui in state.meters:
        if f is fuel:
            return eui
    return None


# --------------------------------------------------------------------------------------------------
# Inputs (besides the shared HAN frames: HANJoined, GBCSFrame, LocalPairing, MeterReport, ZSE*Response)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeypadTopUp:
    """The consumer types a UTRN and picks the fuel it is for."""

    utrn: str
    fuel: Fuel


@dataclass(frozen=True, slots=True)
class KeypadEmergencyCredit:
    fuel: Fuel


@dataclass(frozen=True, slots=True)
class KeypadSupplyOn:
    fuel: Fuel


@dataclass(frozen=True, slots=True)
class RelayCommand:
    """SECMP0038: a fully formed GBCS command from the supplier, over the consumer's broadband."""

    wire: bytes


@dataclass(frozen=True, slots=True)
class Break:
    """The PPMID is lost or broken."""


# --------------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JoinedHAN:
    eui: EUI64


@dataclass(frozen=True, slots=True)
class PairedWithMeter:
    meter: EUI64
    fuel: Fuel
    method: str  # CS03A2, CS03C, LOCAL


@dataclass(frozen=True, slots=True)
class UnpairedFromMeter:
    meter: EUI64
    fuel: Fuel


@dataclass(frozen=True, slots=True)
class CommandRefused:
    message: str
    reason: CommandRefusal


@dataclass(frozen=True, slots=True)
class UTRNSent:
    fuel: Fuel
    use_case: str  # PECS01 (ESME) or PCS01 (GSME)
    utrn: str
    counter: int  # the PCS01 originator counter; 0 for PECS01 (no GBCS framing)


@dataclass(frozen=True, slots=True)
class EmergencyCreditRequested:
    fuel: Fuel
    use_case: str  # PECS02 or PCS02


@dataclass(frozen=True, slots=True)
class SupplyOnRequested:
    fuel: Fuel
    use_case: str = "PECS03"


@dataclass(frozen=True, slots=True)
class KeypadRefused:
    action: str
    fuel: Fuel
    reason: PPMIDRefusal


@dataclass(frozen=True, slots=True)
class TopUpResultShown:
    fuel: Fuel
    result: int  # ZCL Consumer Top Up result (0x10/0x11/0x12 accepted; 0x01.. rejected)
    accepted: bool
    value_pence: int
    credit_pence: int


@dataclass(frozen=True, slots=True)
class EmergencyCreditResultShown:
    fuel: Fuel
    accepted: bool


@dataclass(frozen=True, slots=True)
class SupplyResultShown:
    fuel: Fuel
    enabled: bool


@dataclass(frozen=True, slots=True)
class CommandRelayed:
    to: EUI64
    message: str
    counter: int


@dataclass(frozen=True, slots=True)
class ReplyRelayed:
    to: EUI64
    message: str
    counter: int


@dataclass(frozen=True, slots=True)
class RelayRefused:
    reason: PPMIDRefusal
    message: str


@dataclass(frozen=True, slots=True)
class PPMIDBroken:
    pass


@dataclass(frozen=True, slots=True)
class InputIgnored:
    input: str
    status: PPMIDStatus


PPMIDEvent = Any


# --------------------------------------------------------------------------------------------------
# Handlers
# --------------------------------------------------------------------------------------------------

_Result = tuple[PPMIDState, list[PPMIDEvent]]
_ACCEPTED_ZCL = frozenset({0x00, 0x10, 0x11, 0x12})


def _with_meter(state: PPMIDState, fuel: Fuel, meter: EUI64) -> PPMIDState:
    meters = tuple((f, e) for f, e in state.meters if f is not fuel) + ((fuel, meter),)
    return evolve(state, meters=meters, status=PPMIDStatus.PAIRED)


def _without_meter(state: PPMIDState, meter: EUI64) -> PPMIDState:
    meters = tuple((f, e) for f, e in state.meters if e != meter)
    return evolve(state, meters=meters, status=PPMIDStatus.PAIRED if meters else PPMIDStatus.JOINED)


def _joined(state: PPMIDState, value: HANJoined, now: float) -> _Result:
    key = value.tc_link_key if value.tc_link_key is not None else state.tc_link_key
    if state.status is PPMIDStatus.UNJOINED:
        return evolve(state, status=PPMIDStatus.JOINED, tc_link_key=key), [JoinedHAN(state.config.eui)]
    return evolve(state, tc_link_key=key), []  # a re-join keeps pairings


def _authorised(state: PPMIDState, msg: M.Message) -> bool:
    # The DCC's variant (ACB-originated, naming this PPMID's supplier) or the supplier's critical variant.
    cfg = state.config
    return (msg.originator == cfg.acb and msg.supplementary_remote_party == cfg.supplier) or \
        msg.originator == cfg.supplier


def _reply(state: PPMIDState, command: M.Message, reply: M.Message, via: Via) -> GBCSOut:
    wire = reply.build(state.keystore, acb=state.config.acb)
    # Replies go to the remote party that asked: the supplier behind the ACB, or the supplier itself.
    to = command.supplementary_remote_party or command.originator
    return GBCSOut(to, gbcs_frame(wire, via))


def _join_command(state: PPMIDState, frame: GBCSFrame, now: float) -> _Result:
    cfg = state.config
    msg, refusal = read_gbcs(frame.wire, state.keystore, me=cfg.eui, acb=cfg.acb,
                             accepted=(M.CS03A2Command, M.CS03CCommand, M.CS04ACCommand))
    if msg is None:
        assert refusal is not None
        return state, [CommandRefused(frame.message, refusal)]
    if not _authorised(state, msg):
        return state, [CommandRefused(frame.message, CommandRefusal.NOT_AUTHORISED)]
    if not counter_fresh(cfg.replay, state.seen, msg.originator, msg.counter):
        return state, [CommandRefused(frame.message, CommandRefusal.REPLAYED)]
    state = evolve(state, seen=remember_counter(cfg.replay, state.seen, msg.originator, msg.counter))
    events: list[PPMIDEvent] = []
    if isinstance(msg, M.CS04ACCommand):
        fuel = next((f for f, e in state.meters if e == msg.other_device), None)
        if fuel is None:
            code = _UNJOIN_NOT_IN_LOG
        else:
            code = _UNJOIN_OK
            state = _without_meter(state, msg.other_device)
            events.append(UnpairedFromMeter(msg.other_device, fuel))
        events.append(_reply(state, msg, M.CS04ACResponse.replying_to(msg, code=code), frame.via))
        return state, events
    assert isinstance(msg, M.CS03A2Command | M.CS03CCommand)
    fuel = _FUEL_OF_TYPE.get(msg.device_type)
    use_case = "CS03A2" if isinstance(msg, M.CS03A2Command) else "CS03C"
    if fuel is None or (use_case == "CS03A2") != (fuel is Fuel.ELECTRICITY):
        code = _JOIN_INCOMPATIBLE  # Method A pairs an ESME, Method C a GSME
    elif use_case == "CS03C" and (msg.certificate is None or M.certificate_eui(msg.certificate) != msg.other_device):
        code = _JOIN_BAD_CERTIFICATE
    else:
        code = _JOIN_OK
        state = _with_meter(state, fuel, msg.other_device)
        events.append(PairedWithMeter(msg.other_device, fuel, use_case))
    response_cls = M.CS03A2Response if use_case == "CS03A2" else M.CS03CResponse
    events.append(_reply(state, msg, response_cls.replying_to(msg, code=code), frame.via))
    return state, events


def _meter_reply(state: PPMIDState, frame: GBCSFrame, now: float) -> _Result:
    cfg = state.config
    msg, refusal = read_gbcs(frame.wire, state.keystore, me=cfg.eui, acb=cfg.acb,
                             accepted=(M.PCS01Response, M.PCS02Response))
    if msg is None:
        assert refusal is not None
        return state, [CommandRefused(frame.message, refusal)]
    if meter_for(state, Fuel.GAS) != msg.originator:
        return state, [CommandRefused(frame.message, CommandRefusal.NOT_JOINED)]
    if isinstance(msg, M.PCS01Response):
        shown = TopUpResultShown(Fuel.GAS, msg.result, msg.result in _ACCEPTED_ZCL,
                                 msg.top_up_value // M.GSME_MONEY_SCALE, msg.credit_remaining // M.GSME_MONEY_SCALE)
        return evolve(state, last_top_up=shown), [shown]
    assert isinstance(msg, M.PCS02Response)
    return state, [EmergencyCreditResultShown(Fuel.GAS, msg.status == _ZCL_DEFAULT_SUCCESS)]


def _gbcs(state: PPMIDState, frame: GBCSFrame, now: float) -> _Result:
    try:
        env = envelope_of(frame.wire)
    except CodecError:
        return state, [CommandRefused(frame.message, CommandRefusal.MALFORMED)]
    if frame.via is Via.RELAY and env.cra is not CRA.COMMAND:
        return _relay_up(state, frame, env)
    if env.cra is CRA.COMMAND:
        return _join_command(state, frame, now)
    return _meter_reply(state, frame, now)


def _relay_up(state: PPMIDState, frame: GBCSFrame, env: M.Envelope) -> _Result:
    # A meter's reply to a relayed command goes back to the supplier over broadband, unchanged.
    if not (state.config.wifi and state.config.relay_permitted):
        return state, [RelayRefused(PPMIDRefusal.RELAY_NOT_PERMITTED, frame.message)]
    return state, [ReplyRelayed(env.recipient, frame.message, env.counter), GBCSOut(env.recipient, frame)]


def _local_pairing(state: PPMIDState, value: LocalPairing, now: float) -> _Result:
    fuel = _FUEL_OF_DEVICE.get(value.device_type)
    if fuel is None:
        return state, [InputIgnored(type(value).__name__, state.status)]
    return _with_meter(state, fuel, value.device), [PairedWithMeter(value.device, fuel, "LOCAL")]


def _refuse(action: str, fuel: Fuel, reason: PPMIDRefusal) -> list[PPMIDEvent]:
    return [KeypadRefused(action, fuel, reason)]


def _keypad_not_paired(state: PPMIDState, value: Any, now: float) -> _Result:
    return state, _refuse(type(value).__name__, value.fuel, PPMIDRefusal.NOT_PAIRED)


def _top_up(state: PPMIDState, value: KeypadTopUp, now: float) -> _Result:
    meter = meter_for(state, value.fuel)
    if meter is None:
        return state, _refuse("KeypadTopUp", value.fuel, PPMIDRefusal.NO_METER_FOR_FUEL)
    code = value.utrn
    if len(code) != 20 or not code.isascii() or not code.isdigit():
        return state, _refuse("KeypadTopUp", value.fuel, PPMIDRefusal.MALFORMED_UTRN)
    if value.fuel is Fuel.ELECTRICITY:
        return state, [UTRNSent(value.fuel, "PECS01", code, 0),
                       HANFrameOut(meter, ZSEConsumerTopUp(state.config.eui, code))]
    counter = state.counter + 1
    wire = M.PCS01Command(originator=state.config.eui, recipient=meter, counter=counter,
                          utrn=code).build(state.keystore, acb=state.config.acb)
    return evolve(state, counter=counter), [UTRNSent(value.fuel, "PCS01", code, counter),
                                             HANFrameOut(meter, gbcs_frame(wire, Via.HAN))]


def _emergency_credit(state: PPMIDState, value: KeypadEmergencyCredit, now: float) -> _Result:
    meter = meter_for(state, value.fuel)
    if meter is None:
        return state, _refuse("KeypadEmergencyCredit", value.fuel, PPMIDRefusal.NO_METER_FOR_FUEL)
    if value.fuel is Fuel.ELECTRICITY:
        return state, [EmergencyCreditRequested(value.fuel, "PECS02"),
                       HANFrameOut(meter, ZSESelectEmergencyCredit(state.config.eui))]
    counter = state.counter + 1
    issued = M.zigbee_time(state.config.epoch + datetime.timedelta(seconds=int(now)))
    wire = M.PCS02Command(originator=state.config.eui, recipient=meter, counter=counter,
                          issue_date_time=issued).build(state.keystore, acb=state.config.acb)
    return evolve(state, counter=counter), [EmergencyCreditRequested(value.fuel, "PCS02"),
                                             HANFrameOut(meter, gbcs_frame(wire, Via.HAN))]


def _supply_on(state: PPMIDState, value: KeypadSupplyOn, now: float) -> _Result:
    meter = meter_for(state, value.fuel)
    if meter is None:
        return state, _refuse("KeypadSupplyOn", value.fuel, PPMIDRefusal.NO_METER_FOR_FUEL)
    if value.fuel is Fuel.GAS:  # DOMAIN.md §4.1: a gas valve is re-opened at the meter itself
        return state, _refuse("KeypadSupplyOn", value.fuel, PPMIDRefusal.GAS_RESTORED_AT_METER_ONLY)
    return state, [SupplyOnRequested(value.fuel), HANFrameOut(meter, ZSELocalChangeSupply(state.config.eui))]


def _report(state: PPMIDState, value: MeterReport, now: float) -> _Result:
    display, shown = show_report(state.display, value)
    return evolve(state, display=display), [shown]


def _zse_top_up_response(state: PPMIDState, value: ZSETopUpResponse, now: float) -> _Result:
    shown = TopUpResultShown(value.fuel, value.result, value.result in _ACCEPTED_ZCL, value.value_pence,
                             value.credit_pence)
    return evolve(state, last_top_up=shown), [shown]


def _zse_ec_response(state: PPMIDState, value: ZSEEmergencyCreditResponse, now: float) -> _Result:
    return state, [EmergencyCreditResultShown(value.fuel, value.accepted)]


def _zse_supply_response(state: PPMIDState, value: ZSESupplyResponse, now: float) -> _Result:
    return state, [SupplyResultShown(value.fuel, value.enabled)]


def _relay(state: PPMIDState, value: RelayCommand, now: float) -> _Result:
    frame = gbcs_frame(value.wire, Via.RELAY)
    if not (state.config.wifi and state.config.relay_permitted):
        return state, [RelayRefused(PPMIDRefusal.RELAY_NOT_PERMITTED, frame.message)]
    try:
        env = envelope_of(value.wire)
    except CodecError:
        return state, [RelayRefused(PPMIDRefusal.MALFORMED, frame.message)]
    if env.cra is not CRA.COMMAND:
        return state, [RelayRefused(PPMIDRefusal.NOT_A_COMMAND, frame.message)]
    if env.recipient not in [e for _, e in state.meters]:
        return state, [RelayRefused(PPMIDRefusal.NOT_A_PAIRED_METER, frame.message)]
    # Passed on unchanged: the PPMID holds no key that could check a command MAC'd for the meter.
    return evolve(state, relayed=state.relayed + 1), [CommandRelayed(env.recipient, frame.message, env.counter),
                                                       HANFrameOut(env.recipient, frame)]


def _relay_not_paired(state: PPMIDState, value: RelayCommand, now: float) -> _Result:
    return state, [RelayRefused(PPMIDRefusal.NOT_PAIRED, gbcs_frame(value.wire, Via.RELAY).message)]


def _break(state: PPMIDState, value: Break, now: float) -> _Result:
    return evolve(state, status=PPMIDStatus.BROKEN), [PPMIDBroken()]


_Handler = Callable[[PPMIDState, Any, float], _Result]
_U, _J, _P = PPMIDStatus.UNJOINED, PPMIDStatus.JOINED, PPMIDStatus.PAIRED

TRANSITIONS: dict[tuple[PPMIDStatus, type], _Handler] = {
    (_U, HANJoined): _joined,
    (_J, HANJoined): _joined,
    (_P, HANJoined): _joined,
    (_J, GBCSFrame): _gbcs,
    (_P, GBCSFrame): _gbcs,
    (_J, LocalPairing): _local_pairing,
    (_P, LocalPairing): _local_pairing,
    (_U, KeypadTopUp): _keypad_not_paired,
    (_J, KeypadTopUp): _keypad_not_paired,
    (_P, KeypadTopUp): _top_up,
    (_U, KeypadEmergencyCredit): _keypad_not_paired,
    (_J, KeypadEmergencyCredit): _keypad_not_paired,
    (_P, KeypadEmergencyCredit): _emergency_credit,
    (_U, KeypadSupplyOn): _keypad_not_paired,
    (_J, KeypadSupplyOn): _keypad_not_paired,
    (_P, KeypadSupplyOn): _supply_on,
    (_P, MeterReport): _report,
    (_P, ZSETopUpResponse): _zse_top_up_response,
    (_P, ZSEEmergencyCreditResponse): _zse_ec_response,
    (_P, ZSESupplyResponse): _zse_supply_response,
    (_U, RelayCommand): _relay_not_paired,
    (_J, RelayCommand): _relay_not_paired,
    (_P, RelayCommand): _relay,
    (_U, Break): _break,
    (_J, Break): _break,
    (_P, Break): _break,
}
"""(status, input type) -> handler. Missing pairs (everything while BROKEN; display frames before
pairing) are ignored with ``InputIgnored``."""

_INPUT_TYPES = frozenset({HANJoined, GBCSFrame, LocalPairing, KeypadTopUp, KeypadEmergencyCredit, KeypadSupplyOn,
                          MeterReport, ZSETopUpResponse, ZSEEmergencyCreditResponse, ZSESupplyResponse,
                          RelayCommand, Break})


def step(state: PPMIDState, value: Any, now: SimTime) -> tuple[PPMIDState, Sequence[PPMIDEvent]]:
    """One PPMID transition."""
    if type(value) not in _INPUT_TYPES:
        raise TypeError(f"PPMID has no input {type(value).__name__}")
    handler = TRANSITIONS.get((state.status, type(value)))
    if handler is None:
        return state, [InputIgnored(type(value).__name__, state.status)]
    return handler(state, value, float(now))
