"""The HAN frame and message vocabulary the devices and the premises share: device types, fuels, alert
codes, top-up routes, the frames that travel on the HAN (``GBCSFrame``, ``HANFrameOut``, ``GBCSOut``,
``MeterReport``, the ZSE frames, ``LocalPairing``, ``HANJoined``) and reading GBCS commands
(``read_gbcs``, anti-replay). A public module of ``devices`` (it was ``devices/_common.py``): the
premises imports it by this name."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from smetslab.errors import AuthenticationError, CodecError, KeyNotFoundError
from smetslab.gbcs import messages as gbcs_messages
from smetslab.gbcs.keystore import Keystore
from smetslab.units import EUI64

__all__ = ["DeviceType", "CS03_DEVICE_TYPE", "Alert", "TopUpRoute", "MANUAL_ROUTES", "Fuel", "Via",
           "GBCSFrame", "ZSEConsumerTopUp", "ZSESelectEmergencyCredit", "ZSELocalChangeSupply",
           "ZSETopUpResponse", "ZSEEmergencyCreditResponse", "ZSESupplyResponse", "MeterReport", "DisplayUpdated", "show_report",
           "LocalPairing", "HANJoined", "HANFrameOut", "GBCSOut", "CommandRefusal", "ReplayRule",
           "ReplayMemory", "counter_fresh", "remember_counter", "read_gbcs", "gbcs_frame",
           "envelope_of"]


class DeviceType(enum.Enum):
    """Kinds of SM HAN device. CS03 numbers them (``CS03_DEVICE_TYPE``); the HHT has no CS03 number."""

    GSME = "GSME"
    ESME = "ESME"
    CHF = "CHF"
    GPF = "GPF"
    HCALCS = "HCALCS"
    PPMID = "PPMID"
    TYPE2 = "TYPE2"  # e.g. an IHD: HAN-only messages, no SMKI certificates (DOMAIN.md §3.4)
    HHT = "HHT"  # installer's hand-held terminal, joins through the inter-PAN window (§3.6)


CS03_DEVICE_TYPE: dict[DeviceType, int] = {
    DeviceType.GSME: 0,
    DeviceType.ESME: 1,
    DeviceType.CHF: 2,
    DeviceType.GPF: 3,
    DeviceType.HCALCS: 4,
    DeviceType.PPMID: 5,
    DeviceType.TYPE2: 6,
}
"""The otherDeviceType integer of the CS03 join payload (DOMAIN.md §3.5)."""


class Alert(enum.IntEnum):
    """GBCS alert codes raised by the emulated devices (DOMAIN.md §2.7, names from the alert table).

    Kept here until ``smetslab.gbcs.codes`` carries the full table; the numbers are the spec's.
    """

    COMBINED_CREDIT_BELOW_LOW_CREDIT_THRESHOLD = 0x810D
    CREDIT_ADDED_LOCALLY = 0x810E
    EMERGENCY_CREDIT_HAS_BECOME_AVAILABLE = 0x8119
    EMERGENCY_CREDIT_EXHAUSTED = 0x81AA
    EMERGENCY_CREDIT_ACTIVATED = 0x81AB
    SUPPLY_DISABLED_THEN_ARMED_ACTIVATE_EC_TRIGGERED = 0x8168
    UTRN_MANUAL_ENTRY_SUSPENDED = 0x81C4
    UTRN_REJECTED_AS_LOCKED_OUT = 0x81C5
    CREDIT_BELOW_DISABLEMENT_THRESHOLD = 0x8F0F
    CHF_DEVICE_LOG_CHANGED = 0x8F12  # CS14
    SUPPLY_ARMED = 0x8F32
    CREDIT_WOULD_EXCEED_MAX_METER_BALANCE = 0x8F47
    DUPLICATE_UTRN_ENTERED = 0x8F51
    UTRN_EXCEEDS_MAX_CREDIT_THRESHOLD = 0x8F5B
    UTRN_NOT_AUTHENTIC = 0x8F63
    UTRN_NOT_FOR_THIS_DEVICE = 0x8F64


class TopUpRoute(enum.Enum):
    """How a UTRN (or an emergency-credit / re-enable request) reached the meter.

    REMOTE: from the supplier via DCC and WAN (CS01a to an ESME, CS01b to a GSME; ECS09/GCS06 for
    emergency credit). PPMID: typed on the PPMID keypad and sent over the HAN (PECS01/PCS01;
    PECS02/PCS02; PECS03). KEYPAD: typed on, or pressed at, the meter itself.
    """

    REMOTE = "REMOTE"
    PPMID = "PPMID"
    KEYPAD = "KEYPAD"


MANUAL_ROUTES: frozenset[TopUpRoute] = frozenset({TopUpRoute.PPMID, TopUpRoute.KEYPAD})
"""Routes on which a person types the UTRN: the ones the manual-entry lockout watches."""


# --------------------------------------------------------------------------------------------------
# HAN frames exchanged by the devices (added with the PPMID, IHD, HHT and GPF machines)
# --------------------------------------------------------------------------------------------------


class Fuel(enum.Enum):
    """Which meter a PPMID keypad entry is for: the consumer picks it (a UTRN is MAC'd for one meter)."""

    ELECTRICITY = "ELECTRICITY"
    GAS = "GAS"


class Via(enum.Enum):
    """How a GBCS message reached a device, so its reply goes back the same way."""

    WAN = "WAN"  # DCC -> WAN -> CHF (-> HAN)
    HAN = "HAN"  # device to device on the SM HAN (PCS01/PCS02 from a PPMID)
    RELAY = "RELAY"  # SECMP0038: supplier -> broadband -> Wi-Fi PPMID -> HAN
    LOCAL = "LOCAL"  # a DCC command for local delivery, carried by an installer's HHT


@dataclass(frozen=True, slots=True)
class GBCSFrame:
    """A GBCS message as real bytes. ``message``/``counter`` are the sender's label for the log only
    (never trusted: the receiver reads and verifies ``wire``). The wire is logged (hex): signatures and
    the test PKI's certificates are deterministic (RFC 6979), so the same seed logs the same bytes."""

    wire: bytes
    via: Via = Via.HAN
    message: str = ""
    counter: int = 0


@dataclass(frozen=True, slots=True)
class ZSEConsumerTopUp:
    """PECS01: ZSE Consumer Top Up (Prepayment cluster 0x0705, command 0x04, originating device 2)
    from a PPMID to the ESME, on the pairwise-secured ZigBee link - no GBCS framing (DOMAIN.md §1.7)."""

    source: EUI64
    utrn: str


@dataclass(frozen=True, slots=True)
class ZSESelectEmergencyCredit:
    """PECS02: ZSE Select Available Emergency Credit from a PPMID to the ESME."""

    source: EUI64


@dataclass(frozen=True, slots=True)
class ZSELocalChangeSupply:
    """PECS03: ZSE Local Change Supply from a PPMID to the ESME; only "supply on" is allowed."""

    source: EUI64
    supply_on: bool = True


@dataclass(frozen=True, slots=True)
class ZSETopUpResponse:
    """ZSE Consumer Top Up Response back to the PPMID (ZCL result, value and credit in pence)."""

    fuel: Fuel
    result: int
    value_pence: int
    credit_pence: int


@dataclass(frozen=True, slots=True)
class ZSEEmergencyCreditResponse:
    fuel: Fuel
    accepted: bool


@dataclass(frozen=True, slots=True)
class ZSESupplyResponse:
    fuel: Fuel
    enabled: bool


@dataclass(frozen=True, slots=True)
class MeterReport:
    """The prepayment attributes a display reads (ZSE Prepayment cluster: Credit Remaining 0x0001,
    Emergency Credit Remaining 0x0002, Accumulated Debt 0x0005) plus the supply state. Money in pence."""

    fuel: Fuel
    balance_pence: int
    credit_pence: int
    emergency_credit_pence: int
    ec_active: bool
    debt_pence: int
    supply: str


@dataclass(frozen=True, slots=True)
class DisplayUpdated:
    """A PPMID or IHD now shows a meter's latest report (one line per fuel)."""

    fuel: Fuel
    credit_pence: int
    emergency_credit_pence: int
    ec_active: bool
    debt_pence: int
    supply: str


def show_report(display: tuple[MeterReport, ...], report: MeterReport) -> tuple[tuple[MeterReport, ...], DisplayUpdated]:
    """The display after ``report`` replaces its fuel's line, and the event saying so (PPMID and IHD alike)."""
    shown = tuple(r for r in display if r.fuel is not report.fuel) + (report,)
    return shown, DisplayUpdated(report.fuel, report.credit_pence, report.emergency_credit_pence,
                                 report.ec_active, report.debt_pence, report.supply)


@dataclass(frozen=True, slots=True)
class LocalPairing:
    """The hub pairs a locally joined device with a meter (or the meter with the device) without the
    DCC: how a local-pairing option completes a PPMID's pairing (our model; no source describes it)."""

    device: EUI64
    device_type: DeviceType


@dataclass(frozen=True, slots=True)
class HANJoined:
    """The CHF admitted this device to the SM HAN; ``tc_link_key`` is what the device now holds."""

    tc_link_key: bytes | None = field(default=None, metadata={"log": False})


@dataclass(frozen=True, slots=True)
class HANFrameOut:
    """Event: a device asks the HAN to carry ``frame`` to the device ``to``."""

    to: EUI64
    frame: object


@dataclass(frozen=True, slots=True)
class GBCSOut:
    """Event: a device sends a GBCS reply or alert towards a remote party ``to``, back along
    ``frame.via`` (WAN to the DCC, RELAY through the Wi-Fi PPMID, LOCAL to the HHT)."""

    to: EUI64
    frame: GBCSFrame


_ENVELOPES: dict[bytes, gbcs_messages.Envelope] = {}
_ENVELOPES_KEPT = 256


def envelope_of(wire: bytes) -> gbcs_messages.Envelope:
    """``gbcs.messages.envelope(wire)`` (the header, authenticating nothing), remembered for the last few
    hundred frames: one frame is looked at by every hop it passes (the sender's label, the hub, the
    recipient's refusal checks), and its header is a pure function of its bytes. Raises CodecError."""
    got = _ENVELOPES.get(wire)
    if got is None:
        got = gbcs_messages.envelope(wire)  # a malformed frame raises, and is not remembered
        if len(_ENVELOPES) >= _ENVELOPES_KEPT:
            del _ENVELOPES[next(iter(_ENVELOPES))]  # the oldest: frames are looked at while in flight
        _ENVELOPES[wire] = got
    return got


def gbcs_frame(wire: bytes, via: Via) -> GBCSFrame:
    """Wrap wire bytes with a log label read from the (unauthenticated) header."""
    try:
        env = envelope_of(wire)
    except CodecError:
        return GBCSFrame(wire, via, "malformed", 0)
    name = env.name.split(" ")[1] if " " in env.name else env.name
    return GBCSFrame(wire, via, f"{name} {env.cra.name.lower()}", env.counter)


# --------------------------------------------------------------------------------------------------
# Receiving GBCS: verification and anti-replay (DOMAIN.md §2.2-2.5; open question 11)
# --------------------------------------------------------------------------------------------------


class CommandRefusal(enum.Enum):
    """Why a device refused a GBCS message (a value, never an exception)."""

    MALFORMED = "MALFORMED"  # does not decode, or is not a use case this device reads
    NOT_FOR_THIS_DEVICE = "NOT_FOR_THIS_DEVICE"  # the grouping header names another recipient
    NOT_AUTHENTIC = "NOT_AUTHENTIC"  # MAC or signature wrong, missing, or no key to check it
    NOT_AUTHORISED = "NOT_AUTHORISED"  # authentic, but this originator may not give this command
    REPLAYED = "REPLAYED"  # the originator counter is not fresh under the device's ReplayRule
    UNSUPPORTED = "UNSUPPORTED"  # a use case this device does not handle
    NOT_JOINED = "NOT_JOINED"  # a HAN peer (PPMID) the device has no join with


class ReplayRule(enum.Enum):
    """Device-side anti-replay of GBCS command counters. GBCS's wording was not found (DOMAIN.md open
    question 11; RTDS counters only ever increase), so the rule is configurable:

    - STRICTLY_GREATER (default): a command's originator counter must exceed the last one accepted
      from that originator (per remote party). Simple and tight, but a command delayed past a newer
      one from the same sender is refused;
    - UNSEEN: any counter not accepted before from that originator, within a memory of the last
      ``depth`` counters; once the memory is full, a counter at or below its smallest is refused
      (so a forgotten counter can never come back);
    - OFF: no anti-replay (attack studies only: a captured command then works again).
    """

    STRICTLY_GREATER = "strictly_greater"
    UNSEEN = "unseen"
    OFF = "off"


ReplayMemory = tuple[tuple[EUI64, tuple[int, ...]], ...]
"""Per originator, the counters the rule remembers (the last one for STRICTLY_GREATER)."""


def _remembered(memory: ReplayMemory, originator: EUI64) -> tuple[int, ...]:
    for who, seen in memory:
        if who == originator:
            return seen
    return ()


def counter_fresh(rule: ReplayRule, memory: ReplayMemory, originator: EUI64, counter: int,
                  depth: int = 64) -> bool:
    """True if ``counter`` from ``originator`` may be accepted under ``rule``."""
    if rule is ReplayRule.OFF:
        return True
    seen = _remembered(memory, originator)
    if not seen:
        return True
    if rule is ReplayRule.STRICTLY_GREATER:
        return counter > seen[-1]
    return counter not in seen and not (len(seen) >= depth and counter <= min(seen))


def remember_counter(rule: ReplayRule, memory: ReplayMemory, originator: EUI64, counter: int,
                     depth: int = 64) -> ReplayMemory:
    """The memory after accepting ``counter`` from ``originator``."""
    if rule is ReplayRule.OFF:
        return memory
    seen = _remembered(memory, originator)
    if rule is ReplayRule.STRICTLY_GREATER:
        kept: tuple[int, ...] = (counter,)
    else:
        grown = tuple(sorted((*seen, counter)))
        kept = grown[-depth:]  # forget the smallest: every forgotten counter is below the kept minimum
    others = tuple((who, s) for who, s in memory if who != originator)
    return (*others, (originator, kept))


def read_gbcs(wire: bytes, keystore: Keystore, *, me: EUI64, acb: EUI64,
              accepted: tuple[type[gbcs_messages.Message], ...]
              ) -> tuple[gbcs_messages.Message | None, CommandRefusal | None]:
    """Verify and decode a GBCS message addressed to ``me``: (message, None) or (None, refusal).

    The order is: header decodes (MALFORMED), recipient is ``me`` (NOT_FOR_THIS_DEVICE), use case is
    one of ``accepted`` (UNSUPPORTED), then ``gbcs.messages.read`` verifies MAC and signature and
    decodes the payload (NOT_AUTHENTIC / MALFORMED). Authority and freshness are the caller's checks.
    """
    try:
        env = envelope_of(wire)
    except CodecError:
        return None, CommandRefusal.MALFORMED
    if env.recipient != me:
        return None, CommandRefusal.NOT_FOR_THIS_DEVICE
    try:
        msg = gbcs_messages.read(wire, keystore, acb=acb)
    except CodecError:
        return None, CommandRefusal.MALFORMED
    except (AuthenticationError, KeyNotFoundError):
        return None, CommandRefusal.NOT_AUTHENTIC
    if not isinstance(msg, accepted):
        return None, CommandRefusal.UNSUPPORTED
    return msg, None
