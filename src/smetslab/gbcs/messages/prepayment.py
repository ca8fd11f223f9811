"""Prepayment use cases: top-up (CS01a ESME, CS01b GSME, PCS01 PPMID -> GSME), emergency credit
(ECS09, GCS06, PCS02), and their responses.

Payloads (DOMAIN.md §1.7, §2.7; RTDS 4.5.0):

- CS01a: DLMS ACTION on the token gateway (class 115, 0-0:19.40.0.255, method 1) with the UTRN as
  octet-string(20) of ASCII digits; reply: DLMS action-result (0 success) and a header date-time.
- CS01b / PCS01: GBZ, ZCL Prepayment cluster "Consumer Top Up" (0x04) with originating device 0
  (Energy Service Interface) / 2 (In-Home Display Device, i.e. the PPMID); reply: "Consumer Top Up
  Response" (0x03): result, top-up value (int32), source, credit remaining (int32). GSMEs report
  money as pence x 1000 (RTDS: 1250 p -> 1 250 000), so values are carried raw; see
  ``GSME_MONEY_SCALE``. CS01b replies carry a header date-time, PCS01 replies do not.
- ECS09: DLMS ACTION invoke_credit (class 112, 0-0:19.10.1.255, method 3, integer 0); reply:
  action-result. Critical: the supplier signs, the device signs its reply.
- GCS06 / PCS02: GBZ "Select Available Emergency Credit" (0x00): issue date-time (ZigBee UTC time,
  RTDS 0) and originating device 0 / 2; reply: ZCL Default Response (status 0 success).

PCS01/PCS02 travel PPMID -> GSME over the HAN only and are MAC'd between the two devices' KA keys
(``security.DEVICE_TO_DEVICE_MESSAGE_CODES``), not via the ACB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from smetslab.errors import CodecError
from smetslab.gbcs.codes import OriginatingDevice
from smetslab.gbcs.frames import CRA, GeneralSigning
from smetslab.gbcs.messages._base import DlmsDateTime, Echo, Message, MessageSpec, Protection, registered
from smetslab.gbcs.messages._payload import (
    ActionResultBody,
    check_range,
    check_utrn,
    dlms,
    gbz_bytes,
    gbz_component,
    label,
    recognised_request,
)
from smetslab.gbcs.payloads.dlms import (
    AccessRequest,
    activate_emergency_credit_request,
    encode_dlms,
    is_activate_emergency_credit,
    top_up_request,
    top_up_utrn,
)
from smetslab.gbcs.payloads.gbz import (
    CMD_CONSUMER_TOP_UP_RESPONSE,
    CMD_DEFAULT_RESPONSE,
    CMD_SELECT_AVAILABLE_EMERGENCY_CREDIT,
    CONTROL_LAST,
    FC_CLUSTER_SPECIFIC,
    FC_SERVER_TO_CLIENT,
    PREPAYMENT_CLUSTER,
    ConsumerTopUp,
    ConsumerTopUpResponse,
    DefaultResponse,
    GbzComponent,
    SelectAvailableEmergencyCredit,
    ZclHeader,
    consumer_top_up_component,
    select_emergency_credit_component,
)

__all__ = [
    "GSME_MONEY_SCALE",
    "CS01aCommand",
    "CS01aResponse",
    "CS01bCommand",
    "CS01bResponse",
    "PCS01Command",
    "PCS01Response",
    "PCS02Command",
    "PCS02Response",
    "ECS09Command",
    "ECS09Response",
    "GCS06Command",
    "GCS06Response",
]

GSME_MONEY_SCALE = 1000
"""GSME Consumer Top Up Response money = pence x 1000 (RTDS; DOMAIN.md §1.7, tagged I)."""

_INT32 = (-(1 << 31), (1 << 31) - 1)
_ESI = OriginatingDevice.ENERGY_SERVICE_INTERFACE
_IHD = OriginatingDevice.IN_HOME_DISPLAY_DEVICE


# -- GBZ bodies shared by the GSME use cases --------------------------------------------------------------
# Each use case's class declares its fields (with its defaults) and, for commands, the ZCL originating
# device it sends; these bases give the payload, its checks and its strict reader.


class _TopUpCommandBody(Message):
    """ZCL Consumer Top Up (0x04) carrying ``utrn``, from ``_ORIGINATING_DEVICE``."""

    __slots__ = ()
    utrn: str
    _ORIGINATING_DEVICE: ClassVar[int]

    def _check(self) -> None:
        check_utrn(self.utrn)

    def _payload(self, echo: Echo) -> bytes:
        return gbz_bytes(consumer_top_up_component(self.utrn, originating_device=self._ORIGINATING_DEVICE,
                                                   sequence=echo.zcl_sequence))

    @classmethod
    def _parse(cls, content: bytes, base: int, header: GeneralSigning) -> tuple[dict[str, Any], Echo]:
        what = label(cls.SPECS[0])
        c = gbz_component(content, base, what)
        if not isinstance(c.payload, ConsumerTopUp) or c.payload.utrn is None:
            raise CodecError(f"{what}: not a ZCL Consumer Top Up carrying a 20-digit UTRN", base)
        return {"utrn": c.payload.utrn}, Echo(zcl_sequence=c.header.sequence)


class _TopUpResponseBody(Message):
    """ZCL Consumer Top Up Response (0x03): result (u8), top-up value (int32), source (u8), credit
    remaining (int32), money raw as the GSME sends it."""

    __slots__ = ()
    result: int
    top_up_value: int
    credit_remaining: int
    source: int

    def _check(self) -> None:
        check_range(self.result, 0, 0xFF, "result")
        check_range(self.top_up_value, *_INT32, "top_up_value")
        check_range(self.source, 0, 0xFF, "source")
        check_range(self.credit_remaining, *_INT32, "credit_remaining")

    def _payload(self, echo: Echo) -> bytes:
        header = ZclHeader(FC_CLUSTER_SPECIFIC | FC_SERVER_TO_CLIENT, echo.zcl_sequence, CMD_CONSUMER_TOP_UP_RESPONSE)
        body = ConsumerTopUpResponse(self.result, self.top_up_value, self.source, self.credit_remaining)
        return gbz_bytes(GbzComponent(CONTROL_LAST, PREPAYMENT_CLUSTER, header, body))

    @classmethod
    def _parse(cls, content: bytes, base: int, header: GeneralSigning) -> tuple[dict[str, Any], Echo]:
        what = label(cls.SPECS[0])
        c = gbz_component(content, base, what)
        if not isinstance(c.payload, ConsumerTopUpResponse):
            raise CodecError(f"{what}: not a ZCL Consumer Top Up Response", base)
        p = c.payload
        return ({"result": p.result, "top_up_value": p.top_up_value, "source": p.source,
                 "credit_remaining": p.credit_remaining}, Echo(zcl_sequence=c.header.sequence))


class _SelectEmergencyCreditBody(Message):
    """ZCL Select Available Emergency Credit (0x00): ``issue_date_time`` (ZigBee UTC time, u32) and
    ``_ORIGINATING_DEVICE``."""

    __slots__ = ()
    issue_date_time: int
    _ORIGINATING_DEVICE: ClassVar[int]

    def _check(self) -> None:
        check_range(self.issue_date_time, 0, 0xFFFFFFFF, "issue_date_time")

    def _payload(self, echo: Echo) -> bytes:
        return gbz_bytes(select_emergency_credit_component(issue_date_time=self.issue_date_time,
                                                           originating_device=self._ORIGINATING_DEVICE,
                                                           sequence=echo.zcl_sequence))

    @classmethod
    def _parse(cls, content: bytes, base: int, header: GeneralSigning) -> tuple[dict[str, Any], Echo]:
        what = label(cls.SPECS[0])
        c = gbz_component(content, base, what)
        if not isinstance(c.payload, SelectAvailableEmergencyCredit):
            raise CodecError(f"{what}: not a ZCL Select Available Emergency Credit", base)
        return {"issue_date_time": c.payload.issue_date_time}, Echo(zcl_sequence=c.header.sequence)


class _DefaultResponseBody(Message):
    """ZCL Default Response to Select Available Emergency Credit: ``status`` (u8, 0 = SUCCESS)."""

    __slots__ = ()
    status: int

    def _check(self) -> None:
        check_range(self.status, 0, 0xFF, "status")

    def _payload(self, echo: Echo) -> bytes:
        # A profile-wide Default Response, server -> client, to command 0x00 of the Prepayment cluster (RTDS).
        header = ZclHeader(FC_SERVER_TO_CLIENT, echo.zcl_sequence, CMD_DEFAULT_RESPONSE)
        return gbz_bytes(GbzComponent(CONTROL_LAST, PREPAYMENT_CLUSTER, header,
                                      DefaultResponse(CMD_SELECT_AVAILABLE_EMERGENCY_CREDIT, self.status)))

    @classmethod
    def _parse(cls, content: bytes, base: int, header: GeneralSigning) -> tuple[dict[str, Any], Echo]:
        what = label(cls.SPECS[0])
        c = gbz_component(content, base, what)
        if not isinstance(c.payload, DefaultResponse):
            raise CodecError(f"{what}: not a ZCL Default Response", base)
        return {"status": c.payload.status}, Echo(zcl_sequence=c.header.sequence)


# -- CS01a ---------------------------------------------------------------------------------------------


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class CS01aCommand(Message):
    """CS01a Apply Prepayment Top Up to an ESME (supplier -> ESME; non-critical, MAC'd via the ACB).

    In RTDS the ``counter`` equals the UTRN's counter (e.g. 0x3_0000_0000); that is the supplier's
    convention, not checked here (an invalid UTRN must still reach the meter to be refused).
    """

    SPECS = (MessageSpec("CS01a", 0x0007, CRA.COMMAND, Protection.MAC),)
    utrn: str

    def _check(self) -> None:
        check_utrn(self.utrn)

    def _payload(self, echo: Echo) -> bytes:
        return encode_dlms(top_up_request(self.utrn, invoke_id=self._invoke_id(echo)))

    @classmethod
    def _parse(cls, content: bytes, base: int, header: GeneralSigning) -> tuple[dict[str, Any], Echo]:
        utrn, echo = recognised_request(content, base, "CS01a command", top_up_utrn,
                                        "not a token gateway 'enter' ACTION with a 20-digit UTRN")
        return {"utrn": utrn}, echo


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class CS01aResponse(ActionResultBody):
    """ESME -> supplier: DLMS action-result (0 success; RTDS error example 1 hardware-fault) and
    the ESME's date-time in the grouping header. MAC'd between ESME and supplier KA keys."""

    SPECS = (MessageSpec("CS01a", 0x0007, CRA.RESPONSE, Protection.MAC, header_date_time=True),)
    date_time: DlmsDateTime
    result: int = 0

    @property
    def success(self) -> bool:
        return self.result == 0

    def _header_date_time(self) -> DlmsDateTime | None:
        return self.date_time


# -- CS01b ---------------------------------------------------------------------------------------------


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class CS01bCommand(_TopUpCommandBody):
    """CS01b Apply Prepayment Top Up to a GSME (supplier -> GSME; non-critical, MAC'd via the ACB).
    ZCL Consumer Top Up with originating device 0 (Energy Service Interface)."""

    SPECS = (MessageSpec("CS01b", 0x0097, CRA.COMMAND, Protection.MAC),)
    _ORIGINATING_DEVICE = _ESI
    utrn: str


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class CS01bResponse(_TopUpResponseBody):
    """GSME -> supplier: ZCL Consumer Top Up Response and the GSME's date-time in the grouping header.

    ``result`` is a ZCL top-up result (``codes.TopUpResult``); ``top_up_value`` and
    ``credit_remaining`` are raw int32 (pence x ``GSME_MONEY_SCALE``; RTDS error reply: -1, -1).
    """

    SPECS = (MessageSpec("CS01b", 0x0097, CRA.RESPONSE, Protection.MAC, header_date_time=True),)
    date_time: DlmsDateTime
    result: int
    top_up_value: int
    credit_remaining: int
    source: int = _ESI

    def _header_date_time(self) -> DlmsDateTime | None:
        return self.date_time


# -- PCS01 / PCS02 (PPMID -> GSME, HAN only) ------------------------------------------------------------


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class PCS01Command(_TopUpCommandBody):
    """PCS01 Apply Prepayment Top Up to a GSME using PPMID (PPMID -> GSME; MAC'd between the
    PPMID's and the GSME's KA keys). ZCL Consumer Top Up with originating device 2. The counter is
    the PPMID's own (RTDS 0x2710)."""

    SPECS = (MessageSpec("PCS01", 0x009B, CRA.COMMAND, Protection.MAC),)
    _ORIGINATING_DEVICE = _IHD
    utrn: str


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class PCS01Response(_TopUpResponseBody):
    """GSME -> PPMID: ZCL Consumer Top Up Response (no header date-time). Money as in CS01bResponse."""

    SPECS = (MessageSpec("PCS01", 0x009B, CRA.RESPONSE, Protection.MAC),)
    result: int
    top_up_value: int
    credit_remaining: int
    source: int = _IHD


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class PCS02Command(_SelectEmergencyCreditBody):
    """PCS02 Activate Emergency Credit on GSME from PPMID: ZCL Select Available Emergency Credit with
    originating device 2. ``issue_date_time``: ZigBee UTC time (RTDS 0)."""

    SPECS = (MessageSpec("PCS02", 0x0090, CRA.COMMAND, Protection.MAC),)
    _ORIGINATING_DEVICE = _IHD
    issue_date_time: int = 0


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class PCS02Response(_DefaultResponseBody):
    """GSME -> PPMID: ZCL Default Response, ``status`` 0 = SUCCESS (a ZCL status otherwise)."""

    SPECS = (MessageSpec("PCS02", 0x0090, CRA.RESPONSE, Protection.MAC),)
    status: int = 0


# -- ECS09 / GCS06 (critical) -------------------------------------------------------------------------


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class ECS09Command(Message):
    """ECS09 Activate Emergency Credit Remotely on ESME (supplier -> ESME; critical: supplier-signed,
    MAC'd via the ACB)."""

    SPECS = (MessageSpec("ECS09", 0x0020, CRA.COMMAND, Protection.SIGNED_MAC),)

    def _payload(self, echo: Echo) -> bytes:
        return encode_dlms(activate_emergency_credit_request(invoke_id=self._invoke_id(echo)))

    @classmethod
    def _parse(cls, content: bytes, base: int, header: GeneralSigning) -> tuple[dict[str, Any], Echo]:
        req = dlms(content, base, AccessRequest, "ECS09 command")
        if not is_activate_emergency_credit(req):
            raise CodecError("ECS09 command: not an invoke_credit ACTION on the emergency credit object", base)
        return {}, Echo(invoke_id=req.invoke_id)


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class ECS09Response(ActionResultBody):
    """ESME -> supplier: DLMS action-result (0 success), signed by the ESME (no MAC wrapper)."""

    SPECS = (MessageSpec("ECS09", 0x0020, CRA.RESPONSE, Protection.SIGNED),)
    result: int = 0

    @property
    def success(self) -> bool:
        return self.result == 0


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class GCS06Command(_SelectEmergencyCreditBody):
    """GCS06 Activate Emergency Credit Remotely on GSME (critical): ZCL Select Available Emergency
    Credit with originating device 0. ``issue_date_time``: ZigBee UTC time (RTDS 0)."""

    SPECS = (MessageSpec("GCS06", 0x0070, CRA.COMMAND, Protection.SIGNED_MAC),)
    _ORIGINATING_DEVICE = _ESI
    issue_date_time: int = 0


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class GCS06Response(_DefaultResponseBody):
    """GSME -> supplier: ZCL Default Response (status 0 SUCCESS; RTDS error 0xC0 HARDWARE_FAILURE),
    signed by the GSME (no MAC wrapper)."""

    SPECS = (MessageSpec("GCS06", 0x0070, CRA.RESPONSE, Protection.SIGNED),)
    status: int = 0
