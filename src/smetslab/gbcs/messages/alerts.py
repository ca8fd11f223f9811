"""Device alerts sent as GBCS Generic Critical (0x1000) / Non-Critical (0x1001) alerts: "credit
added locally" (0x810E) and the prepayment/UTRN alert codes (DOMAIN.md §1.8, §2.7).

Payload forms (RTDS ``NA_GNCA-*`` / ``NA_GCA-*``):

- DLMS (ESME): data-notification, invoke id ``invoke_id_for(counter)``, body
  structure{ long-unsigned alert code, octet-string(12) DLMS date-time }.
- GBZ (GSME): ``01 09`` ‖ component count 0 ‖ alert code (2) ‖ ZigBee UTC time (4).

Critical or not: GBCS classes each alert code; no source available here lists that class per code.
RTDS shows 0x8F30 as a Generic Critical Alert (signed by the device, no MAC wrapper) and 0x810E
as a Generic Non-Critical Alert (MAC'd device KA x recipient KA, unsigned). We infer the rule
"0x8Fxx critical, others non-critical" (GBCS numbers its critical alert codes 0x8Fxx) and apply it
by default; ``critical`` can be given explicitly to override it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smetslab.errors import CodecError, InputError
from smetslab.gbcs.codes import alert_name
from smetslab.gbcs.frames import CRA, GeneralSigning
from smetslab.gbcs.messages._base import DlmsDateTime, Echo, Message, MessageSpec, Protection, registered
from smetslab.gbcs.messages._payload import check_range, dlms
from smetslab.gbcs.payloads.dlms import (
    DataNotification,
    DlmsAlert,
    alert_notification,
    encode_dlms,
    parse_alert,
)
from smetslab.gbcs.payloads.gbz import GbzAlert, decode_gbz_alert, encode_gbz

__all__ = [
    "DeviceAlert",
    "GENERIC_CRITICAL_ALERT",
    "GENERIC_NON_CRITICAL_ALERT",
    "CREDIT_ADDED_LOCALLY",
    "PREPAYMENT_ALERT_CODES",
    "alert_is_critical",
]

GENERIC_CRITICAL_ALERT = 0x1000
GENERIC_NON_CRITICAL_ALERT = 0x1001

CREDIT_ADDED_LOCALLY = 0x810E
PREPAYMENT_ALERT_CODES: dict[int, str] = {
    0x810E: "Credit added locally",
    0x8F51: "Duplicate UTRN entered",
    0x8F63: "UTRN not authentic",
    0x8F64: "UTRN not for this device",
    0x8F5B: "UTRN exceeds maximum credit threshold",
    0x8F47: "Credit would cause meter balance to exceed maximum meter balance threshold",
    0x81C4: "UTRN manual entry suspended",
    0x81C5: "UTRN rejected as locked out",
}
"""The prepayment/UTRN alert codes this module is used for (DOMAIN.md §1.8); any code builds."""

_CRITICAL = MessageSpec("GCA", GENERIC_CRITICAL_ALERT, CRA.ALERT, Protection.SIGNED)
_NON_CRITICAL = MessageSpec("GNCA", GENERIC_NON_CRITICAL_ALERT, CRA.ALERT, Protection.MAC)


def alert_is_critical(code: int) -> bool:
    """The default class of an alert code: 0x8Fxx critical (see the module docstring; inferred)."""
    return code >> 8 == 0x8F


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceAlert(Message):
    """A device's generic alert to its remote party (``recipient``, usually the supplier).

    ``timestamp`` picks the payload form: a ``DlmsDateTime`` makes the DLMS form (ESME), an int
    (ZigBee UTC time, see ``zigbee_time``) the GBZ form (GSME). ``counter`` is the device's own
    alert counter. ``critical`` None means "by the code" (``alert_is_critical``); it always holds a
    bool after construction.
    """

    SPECS = (_CRITICAL, _NON_CRITICAL)
    alert_code: int
    timestamp: DlmsDateTime | int
    critical: bool | None = None

    @property
    def spec(self) -> MessageSpec:
        return _CRITICAL if self.critical else _NON_CRITICAL

    @property
    def name(self) -> str:
        return PREPAYMENT_ALERT_CODES.get(self.alert_code) or alert_name(self.alert_code)

    @property
    def form(self) -> str:
        """``"dlms"`` or ``"gbz"``."""
        return "dlms" if isinstance(self.timestamp, DlmsDateTime) else "gbz"

    def _check(self) -> None:
        check_range(self.alert_code, 0, 0xFFFF, "alert_code")
        if not isinstance(self.timestamp, DlmsDateTime):
            check_range(self.timestamp, 0, 0xFFFFFFFF, "timestamp")
        if self.critical is None:
            object.__setattr__(self, "critical", alert_is_critical(self.alert_code))
        elif not isinstance(self.critical, bool):
            raise InputError(f"critical {self.critical!r}: expected True, False or None (by the code)")

    def _payload(self, echo: Echo) -> bytes:
        if isinstance(self.timestamp, DlmsDateTime):
            alert = DlmsAlert(self.alert_code, self.timestamp.encode(), ())
            return encode_dlms(alert_notification(alert, invoke_id=self._invoke_id(echo)))
        return encode_gbz(GbzAlert(self.alert_code, self.timestamp, 0, b""))

    @classmethod
    def _parse(cls, content: bytes, base: int, header: GeneralSigning) -> tuple[dict[str, Any], Echo]:
        critical = header.other_information.message_code == GENERIC_CRITICAL_ALERT
        if content[:2] == b"\x01\x09":
            g = decode_gbz_alert(content, message_code=header.other_information.message_code, base=base)
            return {"alert_code": g.alert_code, "timestamp": g.timestamp, "critical": critical}, Echo()
        n = dlms(content, base, DataNotification, "generic alert")
        alert = parse_alert(n)
        if alert is None or len(alert.timestamp) != 12:
            raise CodecError("generic alert: not a structure{alert code, 12-byte date-time}", base)
        return ({"alert_code": alert.code, "timestamp": DlmsDateTime.decode(alert.timestamp), "critical": critical},
                Echo(invoke_id=n.invoke_id))
