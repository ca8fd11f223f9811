"""GBZ payloads (ZigBee SE profile 0x0109 inside GBCS): components, ZCL headers, Prepayment
cluster commands and GBZ alerts. Decode and encode, byte-exact.

Layout (DOMAIN.md §2.3; GBZ header fields big-endian, ZCL payload fields little-endian):

    01 09 | component count | component...
    component = control(1) cluster-id(2) length(2) body(length)
    body      = [encrypted (control bit1): additional-header-control(1) frame-counter(1)]
                [else if future-dated (bit4): from-date-time(4, ZigBee UTC time)]
                ZCL frame-control(1) [manufacturer code(2, LE) when frame-control bit2] sequence(1) command(1)
                encrypted: ciphered-information-length(2) ciphered information (security header 31 00000000,
                           ciphertext, 12-byte tag) -- kept as bytes: decryption belongs to the frame layer
                else:      ZCL payload

    GBZ alert = 01 09 | count | alert code(2) | timestamp(4) | use-case specific part
      - future-dated execution alert (message code 0x00CD): length(1) = 14, message code(2),
        originator counter(8), cluster id(2), ZCL frame control(1), command id(1)
      - firmware distribution receipt (0x00CF): A-XDR octet-string ``09 20`` + 32-byte hash
      - meter integrity issue warning (0x00F2): 2-byte "other info"
      - otherwise ``count`` components follow (e.g. GCS53); a count of 0 with trailing bytes keeps
        them raw.

Control bit0 marks the last component; it is carried as sent (not re-derived), so a message that
breaks that rule still round-trips. Known ZCL commands are decoded to typed payloads and must have
exactly their length; any other cluster/command keeps its raw payload bytes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from smetslab.errors import InputError
from smetslab.gbcs.codes import OriginatingDevice, TopUpResult
from smetslab.gbcs.payloads._reader import Reader, axdr_length_bytes, enum_title

__all__ = [
    "GBZ_PROFILE",
    "PREPAYMENT_CLUSTER",
    "ZclHeader",
    "ConsumerTopUp",
    "ConsumerTopUpResponse",
    "SelectAvailableEmergencyCredit",
    "DefaultResponse",
    "ReadAttributes",
    "RawZcl",
    "ZclPayload",
    "GbzComponent",
    "GbzPayload",
    "FutureDatedAlert",
    "FirmwareReceipt",
    "IntegrityWarning",
    "GbzAlert",
    "decode_gbz",
    "decode_gbz_alert",
    "encode_gbz",
    "gbz_to_json",
    "zigbee_time_text",
    "consumer_top_up_component",
    "select_emergency_credit_component",
]

GBZ_PROFILE = 0x0109
PREPAYMENT_CLUSTER = 0x0705

CONTROL_LAST = 0x01
CONTROL_ENCRYPTED = 0x02
CONTROL_FUTURE_DATED = 0x10

FC_CLUSTER_SPECIFIC = 0x01
FC_MANUFACTURER = 0x04
FC_SERVER_TO_CLIENT = 0x08
FC_DISABLE_DEFAULT_RESPONSE = 0x10

CMD_READ_ATTRIBUTES = 0x00
CMD_DEFAULT_RESPONSE = 0x0B
# Prepayment cluster, client -> server
CMD_SELECT_AVAILABLE_EMERGENCY_CREDIT = 0x00
CMD_CONSUMER_TOP_UP = 0x04
# Prepayment cluster, server -> client
CMD_CONSUMER_TOP_UP_RESPONSE = 0x03

FUTURE_DATED_ALERT_MESSAGE_CODE = 0x00CD
FUTURE_DATED_ALERT_LENGTH = 14
FIRMWARE_RECEIPT_MESSAGE_CODE = 0x00CF
INTEGRITY_WARNING_MESSAGE_CODE = 0x00F2

CLUSTER_NAMES: dict[int, str] = {
    0x0000: "Basic", 0x0700: "Price", 0x0702: "Metering", 0x0703: "Messaging", 0x0704: "Tunneling",
    0x0705: "Prepayment", 0x0707: "Calendar", 0x0708: "Device Management", 0x0709: "Events",
    0x0800: "Key Establishment",
}
_PROFILE_COMMANDS: dict[int, str] = {0x00: "Read Attributes", 0x01: "Read Attributes Response",
                                     0x0B: "Default Response"}
# ZSE Prepayment cluster command names: (server_to_client, id) -> name.
_PREPAYMENT_COMMANDS: dict[tuple[bool, int], str] = {
    (False, 0x00): "Select Available Emergency Credit", (False, 0x02): "Change Debt",
    (False, 0x03): "Emergency Credit Setup", (False, 0x04): "Consumer Top Up",
    (False, 0x05): "Credit Adjustment", (False, 0x06): "Change Payment Mode",
    (False, 0x07): "Get Prepay Snapshot", (False, 0x08): "Get Top Up Log",
    (False, 0x09): "Set Low Credit Warning Level", (False, 0x0A): "Get Debt Repayment Log",
    (False, 0x0B): "Set Maximum Credit Limit", (False, 0x0C): "Set Overall Debt Cap",
    (True, 0x01): "Publish Prepay Snapshot", (True, 0x02): "Change Payment Mode Response",
    (True, 0x03): "Consumer Top Up Response", (True, 0x05): "Publish Top Up Log",
    (True, 0x06): "Publish Debt Log",
}
# ZCL status codes (ZCL spec general status enumeration) seen in GBZ default responses.
ZCL_STATUS: dict[int, str] = {
    0x00: "SUCCESS", 0x01: "FAILURE", 0x7E: "NOT_AUTHORIZED", 0x80: "MALFORMED_COMMAND",
    0x81: "UNSUP_CLUSTER_COMMAND", 0x82: "UNSUP_GENERAL_COMMAND", 0x85: "INVALID_FIELD",
    0x86: "UNSUPPORTED_ATTRIBUTE", 0x87: "INVALID_VALUE", 0x88: "READ_ONLY", 0x89: "INSUFFICIENT_SPACE",
    0x8B: "NOT_FOUND", 0x8C: "UNREPORTABLE_ATTRIBUTE", 0x8D: "INVALID_DATA_TYPE",
    0xC0: "HARDWARE_FAILURE", 0xC1: "SOFTWARE_FAILURE",
}


# -- typed ZCL payloads ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ZclHeader:
    frame_control: int
    sequence: int
    command_id: int
    manufacturer_code: int | None = None     # present iff frame_control bit2

    @property
    def cluster_specific(self) -> bool:
        return self.frame_control & 0x03 == FC_CLUSTER_SPECIFIC

    @property
    def server_to_client(self) -> bool:
        return bool(self.frame_control & FC_SERVER_TO_CLIENT)


@dataclass(frozen=True, slots=True)
class ConsumerTopUp:
    """Prepayment 0x04: originating device (u8) + top-up code (ZCL octet string; a UTRN's 20 ASCII digits)."""

    originating_device: int
    top_up_code: bytes

    @property
    def utrn(self) -> str | None:
        code = self.top_up_code
        return code.decode("ascii") if len(code) == 20 and code.isdigit() else None


@dataclass(frozen=True, slots=True)
class ConsumerTopUpResponse:
    """Prepayment 0x03 (server->client): result, top-up value (int32), source, credit remaining (int32).

    GSMEs report money as pence x 1000 in RTDS (1250 p -> 1 250 000; DOMAIN.md §1.7, tagged I),
    so values are carried raw, never converted here.
    """

    result: int
    top_up_value: int
    source: int
    credit_remaining: int


@dataclass(frozen=True, slots=True)
class SelectAvailableEmergencyCredit:
    """Prepayment 0x00: command issue date-time (ZigBee UTC time, u32) + originating device (u8)."""

    issue_date_time: int
    originating_device: int


@dataclass(frozen=True, slots=True)
class DefaultResponse:
    command_id: int
    status: int


@dataclass(frozen=True, slots=True)
class ReadAttributes:
    attribute_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RawZcl:
    """A ZCL payload this codec does not interpret (kept byte for byte)."""

    data: bytes


ZclPayload = ConsumerTopUp | ConsumerTopUpResponse | SelectAvailableEmergencyCredit | DefaultResponse | \
    ReadAttributes | RawZcl


@dataclass(frozen=True, slots=True)
class GbzComponent:
    control: int
    cluster_id: int
    header: ZclHeader
    payload: ZclPayload | None = None        # None when encrypted
    from_date_time: int | None = None        # present iff control bit4 and not encrypted
    additional_header_control: int = 0       # encrypted components only
    additional_frame_counter: int = 0        # encrypted components only
    ciphered: bytes = b""                    # encrypted: security header + ciphertext + tag

    @property
    def last(self) -> bool:
        return bool(self.control & CONTROL_LAST)

    @property
    def encrypted(self) -> bool:
        return bool(self.control & CONTROL_ENCRYPTED)

    @property
    def future_dated(self) -> bool:
        return bool(self.control & CONTROL_FUTURE_DATED) and not self.encrypted


@dataclass(frozen=True, slots=True)
class GbzPayload:
    components: tuple[GbzComponent, ...]


@dataclass(frozen=True, slots=True)
class FutureDatedAlert:
    """Body of the GBZ future-dated execution alert: which command (by code and counter) ran."""

    message_code: int
    originator_counter: int
    cluster_id: int
    frame_control: int
    command_id: int


@dataclass(frozen=True, slots=True)
class FirmwareReceipt:
    """Body of the GSME firmware distribution receipt alert (0x00CF): the calculated manufacturer
    hash, written as an A-XDR octet-string (``09`` length bytes) inside the GBZ alert."""

    manufacturer_hash: bytes


@dataclass(frozen=True, slots=True)
class IntegrityWarning:
    """Body of the GSME meter integrity issue warning alert (0x00F2): one 2-byte "other info" code."""

    other_info: int


GbzAlertBody = tuple[GbzComponent, ...] | FutureDatedAlert | FirmwareReceipt | IntegrityWarning | bytes


@dataclass(frozen=True, slots=True)
class GbzAlert:
    alert_code: int
    timestamp: int                           # ZigBee UTC time: seconds since 2000-01-01T00:00Z
    component_count: int                     # header count byte as sent
    body: GbzAlertBody = b""


# -- decoding ------------------------------------------------------------------------------------

def _zcl_payload(r: Reader, cluster_id: int, h: ZclHeader) -> ZclPayload:
    """Typed payload for the commands we know; exactly their length or CodecError."""
    start = r.pos
    out: ZclPayload
    if h.frame_control & 0x03 == 0:                 # profile-wide command
        if h.command_id == CMD_DEFAULT_RESPONSE:
            out = DefaultResponse(r.u8("default response command id"), r.u8("default response status"))
        elif h.command_id == CMD_READ_ATTRIBUTES:
            if r.remaining % 2:
                raise r.error(f"read attributes: {r.remaining} bytes, expected a whole number of 2-byte ids")
            out = ReadAttributes(tuple(r.uint_le(2, "attribute id") for _ in range(r.remaining // 2)))
        else:
            return RawZcl(r.rest())
    elif h.cluster_specific and cluster_id == PREPAYMENT_CLUSTER and h.manufacturer_code is None:
        key = (h.server_to_client, h.command_id)
        if key == (False, CMD_CONSUMER_TOP_UP):
            device = r.u8("originating device")
            n = r.u8("top up code length")
            out = ConsumerTopUp(device, r.take(n, "top up code"))
        elif key == (True, CMD_CONSUMER_TOP_UP_RESPONSE):
            out = ConsumerTopUpResponse(r.u8("result type"), r.int_le(4, "top up value"), r.u8("source of top up"),
                                        r.int_le(4, "credit remaining"))
        elif key == (False, CMD_SELECT_AVAILABLE_EMERGENCY_CREDIT):
            out = SelectAvailableEmergencyCredit(r.uint_le(4, "command issue date time"), r.u8("originating device"))
        else:
            return RawZcl(r.rest())
    else:
        return RawZcl(r.rest())
    if not r.at_end():
        raise r.error(f"{r.remaining} unexpected bytes after {type(out).__name__} (payload began at "
                      f"{r.base + start})")
    return out


def _zcl_header(r: Reader) -> ZclHeader:
    fc = r.u8("ZCL frame control")
    manufacturer = r.uint_le(2, "ZCL manufacturer code") if fc & FC_MANUFACTURER else None
    return ZclHeader(fc, r.u8("ZCL sequence number"), r.u8("ZCL command id"), manufacturer)


def _component(r: Reader) -> GbzComponent:
    control = r.u8("GBZ component control")
    cluster = r.uint_be(2, "GBZ cluster id")
    n = r.uint_be(2, "GBZ component length")
    body = r.sub(n, "GBZ component")
    if control & CONTROL_ENCRYPTED:
        ahc = body.u8("additional header control")
        afc = body.u8("additional header frame counter")
        header = _zcl_header(body)
        clen = body.uint_be(2, "ciphered information length")
        ciphered = body.take(clen, "ciphered information")
        body.expect_end("ciphered information")
        return GbzComponent(control, cluster, header, None, None, ahc, afc, ciphered)
    from_dt = body.uint_be(4, "from date time") if control & CONTROL_FUTURE_DATED else None
    header = _zcl_header(body)
    return GbzComponent(control, cluster, header, _zcl_payload(body, cluster, header), from_dt)


def _profile(r: Reader) -> None:
    profile = r.uint_be(2, "GBZ profile id")
    if profile != GBZ_PROFILE:
        raise r.error(f"GBZ profile id 0x{profile:04X}: expected 0x0109 (ZigBee SE)", 0)


def _components(r: Reader, count: int) -> tuple[GbzComponent, ...]:
    if count * 8 > r.remaining:     # 8 = smallest component (5-byte header + 3-byte ZCL header)
        raise r.error(f"{count} GBZ components cannot fit in {r.remaining} bytes")
    return tuple(_component(r) for _ in range(count))


def decode_gbz(content: bytes, *, base: int = 0) -> GbzPayload:
    """Decode a GBZ command/response payload; CodecError (with offset) when malformed."""
    r = Reader(content, base=base)
    _profile(r)
    out = GbzPayload(_components(r, r.u8("GBZ component count")))
    r.expect_end("GBZ payload")
    return out


def decode_gbz_alert(content: bytes, *, message_code: int | None = None, base: int = 0) -> GbzAlert:
    """Decode a GBZ alert; ``message_code`` (from the GBCS header) selects the body layout."""
    r = Reader(content, base=base)
    _profile(r)
    count = r.u8("GBZ component count")
    code = r.uint_be(2, "alert code")
    ts = r.uint_be(4, "alert time stamp")
    body: GbzAlertBody
    if message_code == FUTURE_DATED_ALERT_MESSAGE_CODE:
        at = r.pos
        n = r.u8("future dated alert payload length")
        if n != FUTURE_DATED_ALERT_LENGTH:
            raise r.error(f"future dated alert payload length {n}: expected {FUTURE_DATED_ALERT_LENGTH}", at)
        body = FutureDatedAlert(r.uint_be(2, "message code"), r.uint_be(8, "originator counter"),
                                r.uint_be(2, "cluster id"), r.u8("frame control"), r.u8("command id"))
    elif message_code == FIRMWARE_RECEIPT_MESSAGE_CODE:
        at = r.pos
        if r.u8("manufacturer hash type") != 0x09:
            raise r.error("firmware distribution receipt: expected an octet-string (09) manufacturer hash", at)
        body = FirmwareReceipt(r.take(r.axdr_length("manufacturer hash"), "manufacturer hash"))
    elif message_code == INTEGRITY_WARNING_MESSAGE_CODE:
        body = IntegrityWarning(r.uint_be(2, "meter integrity issue other info"))
    elif count:
        body = _components(r, count)
    else:
        body = r.rest()
    r.expect_end("GBZ alert")
    return GbzAlert(code, ts, count, body)


# -- encoding ------------------------------------------------------------------------------------

def _u(value: int, width: int, field: str, order: str = "big", signed: bool = False) -> bytes:
    lo, hi = (-(1 << (8 * width - 1)), (1 << (8 * width - 1)) - 1) if signed else (0, (1 << (8 * width)) - 1)
    if not isinstance(value, int) or not lo <= value <= hi:
        raise InputError(f"{field} {value!r}: allowed {lo}..{hi}")
    return value.to_bytes(width, "big" if order == "big" else "little", signed=signed)


def _encode_header(h: ZclHeader) -> bytes:
    out = _u(h.frame_control, 1, "ZCL frame control")
    if bool(h.frame_control & FC_MANUFACTURER) != (h.manufacturer_code is not None):
        raise InputError("ZCL header: a manufacturer code goes with frame control bit 0x04, and only then")
    if h.manufacturer_code is not None:
        out += _u(h.manufacturer_code, 2, "ZCL manufacturer code", "little")
    return out + _u(h.sequence, 1, "ZCL sequence number") + _u(h.command_id, 1, "ZCL command id")


def _encode_payload(p: ZclPayload) -> bytes:
    if isinstance(p, ConsumerTopUp):
        return (_u(p.originating_device, 1, "originating device") + _u(len(p.top_up_code), 1, "top up code length")
                + p.top_up_code)
    if isinstance(p, ConsumerTopUpResponse):
        return (_u(p.result, 1, "result type") + _u(p.top_up_value, 4, "top up value", "little", True)
                + _u(p.source, 1, "source of top up") + _u(p.credit_remaining, 4, "credit remaining", "little", True))
    if isinstance(p, SelectAvailableEmergencyCredit):
        return _u(p.issue_date_time, 4, "command issue date time", "little") + _u(p.originating_device, 1,
                                                                                   "originating device")
    if isinstance(p, DefaultResponse):
        return _u(p.command_id, 1, "default response command id") + _u(p.status, 1, "default response status")
    if isinstance(p, ReadAttributes):
        return b"".join(_u(a, 2, "attribute id", "little") for a in p.attribute_ids)
    return p.data


def _encode_component(c: GbzComponent) -> bytes:
    if c.control & CONTROL_ENCRYPTED:
        if c.payload is not None or c.from_date_time is not None:
            raise InputError("encrypted GBZ component: carries ciphered bytes only (no payload/from-date-time)")
        body = (_u(c.additional_header_control, 1, "additional header control")
                + _u(c.additional_frame_counter, 1, "additional header frame counter")
                + _encode_header(c.header) + _u(len(c.ciphered), 2, "ciphered information length") + c.ciphered)
    else:
        if c.payload is None:
            raise InputError("plain GBZ component needs a ZCL payload")
        if bool(c.control & CONTROL_FUTURE_DATED) != (c.from_date_time is not None):
            raise InputError("GBZ component: from-date-time goes with control bit 0x10, and only then")
        body = b"" if c.from_date_time is None else _u(c.from_date_time, 4, "from date time")
        body += _encode_header(c.header) + _encode_payload(c.payload)
    return (_u(c.control, 1, "GBZ component control") + _u(c.cluster_id, 2, "cluster id")
            + _u(len(body), 2, "GBZ component length") + body)


def encode_gbz(p: GbzPayload | GbzAlert) -> bytes:
    """Bytes of a GBZ payload or alert; InputError when a field does not fit."""
    out = bytearray(GBZ_PROFILE.to_bytes(2, "big"))
    if isinstance(p, GbzPayload):
        out += _u(len(p.components), 1, "GBZ component count")
        for c in p.components:
            out += _encode_component(c)
        return bytes(out)
    out += _u(p.component_count, 1, "GBZ component count") + _u(p.alert_code, 2, "alert code")
    out += _u(p.timestamp, 4, "alert time stamp")
    if isinstance(p.body, FutureDatedAlert):
        f = p.body
        out += bytes([FUTURE_DATED_ALERT_LENGTH]) + _u(f.message_code, 2, "message code")
        out += _u(f.originator_counter, 8, "originator counter") + _u(f.cluster_id, 2, "cluster id")
        out += _u(f.frame_control, 1, "frame control") + _u(f.command_id, 1, "command id")
    elif isinstance(p.body, FirmwareReceipt):
        out += b"\x09" + axdr_length_bytes(len(p.body.manufacturer_hash)) + p.body.manufacturer_hash
    elif isinstance(p.body, IntegrityWarning):
        out += _u(p.body.other_info, 2, "meter integrity issue other info")
    elif isinstance(p.body, tuple):
        if len(p.body) != p.component_count:
            raise InputError(f"GBZ alert: component count {p.component_count} but {len(p.body)} components")
        for c in p.body:
            out += _encode_component(c)
    else:
        out += p.body
    return bytes(out)


# -- builders ------------------------------------------------------------------------------------

def consumer_top_up_component(utrn: str, *, originating_device: int, sequence: int = 0) -> GbzComponent:
    """One-component body of CS01b (device 0) / PCS01 (device 2): Prepayment Consumer Top Up."""
    if len(utrn) != 20 or not utrn.isdigit() or not utrn.isascii():
        raise InputError(f"UTRN {utrn!r}: expected exactly 20 decimal digits")
    return GbzComponent(CONTROL_LAST, PREPAYMENT_CLUSTER, ZclHeader(FC_CLUSTER_SPECIFIC, sequence, CMD_CONSUMER_TOP_UP),
                        ConsumerTopUp(originating_device, utrn.encode("ascii")))


def select_emergency_credit_component(*, issue_date_time: int, originating_device: int,
                                      sequence: int = 0) -> GbzComponent:
    """One-component body of GCS06 (device 0) / PCS02 (device 2): Select Available Emergency Credit."""
    return GbzComponent(CONTROL_LAST, PREPAYMENT_CLUSTER,
                        ZclHeader(FC_CLUSTER_SPECIFIC, sequence, CMD_SELECT_AVAILABLE_EMERGENCY_CREDIT),
                        SelectAvailableEmergencyCredit(issue_date_time, originating_device))


# -- JSON view -----------------------------------------------------------------------------------

_ZIGBEE_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def zigbee_time_text(seconds: int) -> str:
    """ZigBee UTC time (seconds since 2000-01-01T00:00Z) as ISO 8601; 0xFFFFFFFF is "not specified"."""
    if seconds == 0xFFFFFFFF:
        return "not specified"
    return (_ZIGBEE_EPOCH + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _command_name(cluster_id: int, h: ZclHeader) -> str | None:
    ft = h.frame_control & 0x03
    if ft == 0:
        return _PROFILE_COMMANDS.get(h.command_id)
    if ft == 1 and cluster_id == PREPAYMENT_CLUSTER:
        return _PREPAYMENT_COMMANDS.get((h.server_to_client, h.command_id))
    return None


def _payload_json(p: ZclPayload) -> dict[str, Any]:
    if isinstance(p, ConsumerTopUp):
        out: dict[str, Any] = {"originating_device": p.originating_device,
                               "originating_device_name": enum_title(OriginatingDevice, p.originating_device),
                               "top_up_code": p.top_up_code.hex().upper()}
        if p.utrn is not None:
            out["utrn"] = p.utrn
        return out
    if isinstance(p, ConsumerTopUpResponse):
        return {"result": p.result, "result_name": enum_title(TopUpResult, p.result),
                "top_up_value": p.top_up_value, "source": p.source,
                "source_name": enum_title(OriginatingDevice, p.source), "credit_remaining": p.credit_remaining}
    if isinstance(p, SelectAvailableEmergencyCredit):
        return {"issue_date_time": p.issue_date_time, "issue_date_time_utc": zigbee_time_text(p.issue_date_time),
                "originating_device": p.originating_device,
                "originating_device_name": enum_title(OriginatingDevice, p.originating_device)}
    if isinstance(p, DefaultResponse):
        return {"command_id": f"0x{p.command_id:02X}", "status": p.status,
                "status_name": ZCL_STATUS.get(p.status, "unknown")}
    if isinstance(p, ReadAttributes):
        return {"attribute_ids": [f"0x{a:04X}" for a in p.attribute_ids]}
    return {"raw": p.data.hex().upper()}


def _component_json(c: GbzComponent) -> dict[str, Any]:
    h = c.header
    out: dict[str, Any] = {
        "control": f"0x{c.control:02X}", "last": c.last, "encrypted": c.encrypted,
        "cluster_id": f"0x{c.cluster_id:04X}", "cluster": CLUSTER_NAMES.get(c.cluster_id, "unknown"),
    }
    if c.from_date_time is not None:
        out["from_date_time"] = c.from_date_time
        out["from_date_time_utc"] = zigbee_time_text(c.from_date_time)
    if c.encrypted:
        out["additional_header_control"] = c.additional_header_control
        out["additional_frame_counter"] = c.additional_frame_counter
    out["zcl"] = {
        "frame_control": f"0x{h.frame_control:02X}",
        "frame_type": {0: "profile-wide", 1: "cluster-specific"}.get(h.frame_control & 3, "reserved"),
        "direction": "server-to-client" if h.server_to_client else "client-to-server",
        "disable_default_response": bool(h.frame_control & FC_DISABLE_DEFAULT_RESPONSE),
        "sequence": h.sequence, "command_id": f"0x{h.command_id:02X}",
        "command": _command_name(c.cluster_id, h),
    }
    if h.manufacturer_code is not None:
        out["zcl"]["manufacturer_code"] = f"0x{h.manufacturer_code:04X}"
    if c.encrypted:
        out["ciphered"] = c.ciphered.hex().upper()
    elif c.payload is not None:
        out["payload"] = _payload_json(c.payload)
    return out


def gbz_to_json(p: GbzPayload | GbzAlert) -> dict[str, Any]:
    """A JSON-serialisable tree of a GBZ payload or alert."""
    if isinstance(p, GbzPayload):
        return {"kind": "gbz", "profile": "0x0109", "components": [_component_json(c) for c in p.components]}
    out: dict[str, Any] = {"kind": "gbz", "profile": "0x0109", "component_count": p.component_count,
                           "alert": {"code": f"0x{p.alert_code:04X}", "timestamp": p.timestamp,
                                     "timestamp_utc": zigbee_time_text(p.timestamp)}}
    if isinstance(p.body, FutureDatedAlert):
        f = p.body
        out["future_dated"] = {"message_code": f"0x{f.message_code:04X}",
                               "originator_counter": f"0x{f.originator_counter:016X}",
                               "cluster_id": f"0x{f.cluster_id:04X}",
                               "cluster": CLUSTER_NAMES.get(f.cluster_id, "unknown"),
                               "frame_control": f"0x{f.frame_control:02X}", "command_id": f"0x{f.command_id:02X}"}
    elif isinstance(p.body, FirmwareReceipt):
        out["calculated_manufacturer_hash"] = p.body.manufacturer_hash.hex().upper()
    elif isinstance(p.body, IntegrityWarning):
        out["other_info"] = p.body.other_info
    elif isinstance(p.body, tuple):
        out["components"] = [_component_json(c) for c in p.body]
    elif p.body:
        out["raw"] = p.body.hex().upper()
    return out
