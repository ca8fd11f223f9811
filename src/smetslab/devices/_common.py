"""Vocabulary shared by the device state machines: device types, alert codes, routes."""

from __future__ import annotations

import enum

__all__ = ["DeviceType", "CS03_DEVICE_TYPE", "Alert", "TopUpRoute", "MANUAL_ROUTES"]


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
