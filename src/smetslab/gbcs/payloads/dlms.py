"""DLMS payloads of GBCS messages: Access-Request (``D9``), Access-Response (``DA``) and
Data-Notification (``0F``, alerts), plus named builders/readers for the mission's use cases.

Wire layouts (DOMAIN.md §2.3, DLMS Green Book "access" service, A-XDR encoding):

- Access-Request: ``D9`` long-invoke-id-and-priority(4) date-time(octet-string, ``00`` = empty)
  spec-count specs... data-count data...; spec = choice(1) class-id(2) instance-id/OBIS(6)
  attribute-or-method-id(1, Integer8) [choice 4/5: access-selector(1) access-parameters(Data)].
  Choices: 1 GET, 2 SET, 3 ACTION, 4 GET-with-selection, 5 SET-with-selection.
- Access-Response: ``DA`` invoke-id(4) date-time(octet-string) request-specs(OPTIONAL: ``00``
  absent, ``01`` + list) data-count data... result-count (choice(1) result(1))...
- Data-Notification: ``0F`` long-invoke-id-and-priority(4) date-time(octet-string) body(Data).

Each decode refuses trailing bytes and each encode is its exact inverse, so
``encode(decode(b)) == b`` for every accepted ``b``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from smetslab.errors import InputError
from smetslab.gbcs.payloads._reader import Reader, axdr_length_bytes
from smetslab.gbcs.payloads.axdr import (
    Data,
    DataType,
    array,
    boolean,
    data_to_json,
    decode_data_at,
    describe_date_time,
    encode_data,
    enum,
    integer,
    long_unsigned,
    null_data,
    octet_string,
    structure,
)

__all__ = [
    "AccessKind",
    "RequestSpec",
    "ResponseSpec",
    "AccessRequest",
    "AccessResponse",
    "DataNotification",
    "DlmsPayload",
    "decode_dlms",
    "encode_dlms",
    "dlms_to_json",
    "obis_text",
    "parse_obis",
    "class_name",
    "result_name",
    "invoke_id_for",
    # use-case helpers
    "TOKEN_GATEWAY_CLASS",
    "TOKEN_GATEWAY_OBIS",
    "CREDIT_CLASS",
    "EMERGENCY_CREDIT_OBIS",
    "ZIGBEE_NETWORK_CONTROL_CLASS",
    "DEVICE_LOG_OBIS",
    "HISTORIC_DEVICE_LOG_OBIS",
    "top_up_request",
    "top_up_utrn",
    "activate_emergency_credit_request",
    "is_activate_emergency_credit",
    "RegisterDevice",
    "register_device_request",
    "parse_register_device",
    "unregister_device_request",
    "parse_unregister_device",
    "DeviceLogEntry",
    "DeviceLogBackup",
    "restore_pan_request",
    "parse_restore_pan",
    "backup_pan_request",
    "parse_backup_pan_response",
    "DlmsAlert",
    "parse_alert",
    "alert_notification",
]

APDU_ACCESS_REQUEST = 0xD9
APDU_ACCESS_RESPONSE = 0xDA
APDU_DATA_NOTIFICATION = 0x0F


class AccessKind(IntEnum):
    GET = 1
    SET = 2
    ACTION = 3
    GET_WITH_SELECTION = 4
    SET_WITH_SELECTION = 5

    @property
    def label(self) -> str:
        return self.name.replace("_", "-")


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """One access-request-specification: which COSEM attribute or method, and how."""

    kind: AccessKind
    class_id: int
    obis: bytes               # the 6-byte instance id
    member_id: int            # attribute id (GET/SET) or method id (ACTION), Integer8
    selector: int | None = None          # access-selector, *-WITH-SELECTION only
    parameters: Data | None = None       # access-parameters, *-WITH-SELECTION only


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    kind: AccessKind          # GET, SET or ACTION
    result: int               # Data-Access-Result / Action-Result; 0 = success


@dataclass(frozen=True, slots=True)
class AccessRequest:
    invoke_id: int
    specs: tuple[RequestSpec, ...]
    data: tuple[Data, ...]
    date_time: bytes = b""


@dataclass(frozen=True, slots=True)
class AccessResponse:
    invoke_id: int
    data: tuple[Data, ...]
    results: tuple[ResponseSpec, ...]
    date_time: bytes = b""
    request_specs: tuple[RequestSpec, ...] | None = None   # not echoed in GBCS (``00``)


@dataclass(frozen=True, slots=True)
class DataNotification:
    invoke_id: int
    body: Data
    date_time: bytes = b""


DlmsPayload = AccessRequest | AccessResponse | DataNotification


# -- OBIS, class and result names ---------------------------------------------------------------

_OBIS_RE = re.compile(r"(\d+)-(\d+):(\d+)\.(\d+)\.(\d+)\.(\d+)")


def obis_text(obis: bytes) -> str:
    """``00 00 13 28 00 FF`` -> ``0-0:19.40.0.255``."""
    a, b, c, d, e, f = obis
    return f"{a}-{b}:{c}.{d}.{e}.{f}"


def parse_obis(text: str) -> bytes:
    """``0-0:19.40.0.255`` -> 6 bytes; InputError when malformed."""
    m = _OBIS_RE.fullmatch(text.strip())
    if not m or any(int(g) > 255 for g in m.groups()):
        raise InputError(f"OBIS code {text!r}: expected A-B:C.D.E.F with each group 0-255, e.g. 0-0:19.40.0.255")
    return bytes(int(g) for g in m.groups())


# DLMS Blue Book interface classes met in GBCS (class 9000 = 0x2328 is the GBCS extended data class).
_CLASS_NAMES: dict[int, str] = {
    1: "Data", 3: "Register", 4: "Extended register", 5: "Demand register", 7: "Profile generic",
    8: "Clock", 9: "Script table", 11: "Special days table", 15: "Association LN", 18: "Image transfer",
    20: "Activity calendar", 21: "Register monitor", 22: "Single action schedule", 30: "Data protection",
    40: "Push setup", 70: "Disconnect control", 71: "Limiter", 104: "ZigBee network control",
    111: "Account", 112: "Credit", 113: "Charge", 115: "Token gateway", 9000: "GBCS extended data",
}

_OBJECT_NAMES: dict[bytes, str] = {
    bytes([0, 0, 19, 40, 0, 255]): "Token gateway",
    bytes([0, 0, 19, 10, 1, 255]): "Emergency credit balance",
    bytes([0, 0, 30, 3, 0, 255]): "CHF device log",
    bytes([0, 0, 30, 3, 1, 255]): "CHF historic device log",
}

# Data-Access-Result and Action-Result share their values in the range GBCS uses.
_RESULT_NAMES: dict[int, str] = {
    0: "success", 1: "hardware-fault", 2: "temporary-failure", 3: "read-write-denied",
    4: "object-undefined", 9: "object-class-inconsistent", 11: "object-unavailable",
    12: "type-unmatched", 13: "scope-of-access-violated", 14: "data-block-unavailable",
    15: "long-operation-aborted", 16: "no-long-operation-in-progress", 250: "other-reason",
}


def class_name(class_id: int) -> str:
    return _CLASS_NAMES.get(class_id, f"class {class_id}")


def result_name(result: int) -> str:
    return _RESULT_NAMES.get(result, f"result {result}")


def invoke_id_for(counter: int) -> int:
    """The long-invoke-id-and-priority GBCS senders use: 0x20000000 | (counter & 0xFFFFFF).

    Observed on every RTDS command (DOMAIN.md §2.3, tagged I); responses do not always echo it.
    """
    return 0x20000000 | (counter & 0xFFFFFF)


# -- decoding ------------------------------------------------------------------------------------

def _date_time(r: Reader) -> bytes:
    n = r.axdr_length("date-time")
    return r.take(n, "date-time")


def _request_spec(r: Reader) -> RequestSpec:
    at = r.pos
    choice = r.u8("access-request-specification choice")
    try:
        kind = AccessKind(choice)
    except ValueError:
        raise r.error(f"access-request-specification choice {choice}: allowed 1-5", at) from None
    class_id = r.uint_be(2, "class-id")
    obis = r.take(6, "instance-id")
    member = r.int_be(1, "attribute/method id")
    if kind in (AccessKind.GET_WITH_SELECTION, AccessKind.SET_WITH_SELECTION):
        selector = r.u8("access-selector")
        return RequestSpec(kind, class_id, obis, member, selector, decode_data_at(r))
    return RequestSpec(kind, class_id, obis, member)


def _count(r: Reader, what: str) -> int:
    n = r.axdr_length(what)
    if n > r.remaining:   # every element takes at least one byte
        raise r.error(f"{what}: {n} elements but only {r.remaining} bytes left")
    return n


def _specs(r: Reader) -> tuple[RequestSpec, ...]:
    return tuple(_request_spec(r) for _ in range(_count(r, "access-request-specification list")))


def _data_list(r: Reader, what: str) -> tuple[Data, ...]:
    return tuple(decode_data_at(r) for _ in range(_count(r, what)))


def _decode_request(r: Reader) -> AccessRequest:
    invoke = r.uint_be(4, "long-invoke-id-and-priority")
    dt = _date_time(r)
    specs = _specs(r)
    data = _data_list(r, "access-request-list-of-data")
    return AccessRequest(invoke, specs, data, dt)


def _decode_response(r: Reader) -> AccessResponse:
    invoke = r.uint_be(4, "long-invoke-id-and-priority")
    dt = _date_time(r)
    at = r.pos
    present = r.u8("access-request-specification presence flag")
    if present not in (0, 1):
        raise r.error(f"access-request-specification presence flag {present}: allowed 0 or 1", at)
    req_specs = _specs(r) if present else None
    data = _data_list(r, "access-response-list-of-data")
    results = []
    for _ in range(_count(r, "access-response-specification list")):
        at = r.pos
        choice = r.u8("access-response-specification choice")
        if choice not in (1, 2, 3):
            raise r.error(f"access-response-specification choice {choice}: allowed 1 (GET), 2 (SET), 3 (ACTION)", at)
        results.append(ResponseSpec(AccessKind(choice), r.u8("access result")))
    return AccessResponse(invoke, data, tuple(results), dt, req_specs)


def _decode_notification(r: Reader) -> DataNotification:
    invoke = r.uint_be(4, "long-invoke-id-and-priority")
    dt = _date_time(r)
    return DataNotification(invoke, decode_data_at(r), dt)


def decode_dlms(content: bytes, *, base: int = 0) -> DlmsPayload:
    """Decode a DLMS payload by its first byte (``D9``, ``DA`` or ``0F``); CodecError otherwise."""
    r = Reader(content, base=base)
    tag = r.u8("DLMS APDU tag")
    out: DlmsPayload
    if tag == APDU_ACCESS_REQUEST:
        out = _decode_request(r)
    elif tag == APDU_ACCESS_RESPONSE:
        out = _decode_response(r)
    elif tag == APDU_DATA_NOTIFICATION:
        out = _decode_notification(r)
    else:
        raise r.error(f"DLMS APDU tag 0x{tag:02X}: expected D9 (access-request), DA (access-response) "
                      f"or 0F (data-notification)", 0)
    r.expect_end("DLMS APDU")
    return out


# -- encoding ------------------------------------------------------------------------------------

def _u(value: int, width: int, field: str) -> bytes:
    if not 0 <= value < (1 << (8 * width)):
        raise InputError(f"{field} {value}: allowed 0..{(1 << (8 * width)) - 1}")
    return value.to_bytes(width, "big")


def _encode_spec(s: RequestSpec, out: bytearray) -> None:
    out.append(AccessKind(s.kind))
    out += _u(s.class_id, 2, "class-id")
    if len(s.obis) != 6:
        raise InputError(f"instance-id {s.obis.hex()}: must be 6 bytes (an OBIS code)")
    out += s.obis
    if not -128 <= s.member_id <= 127:
        raise InputError(f"attribute/method id {s.member_id}: allowed -128..127")
    out += s.member_id.to_bytes(1, "big", signed=True)
    with_selection = s.kind in (AccessKind.GET_WITH_SELECTION, AccessKind.SET_WITH_SELECTION)
    if with_selection:
        if s.selector is None or s.parameters is None:
            raise InputError(f"{AccessKind(s.kind).label} spec needs an access-selector and access-parameters")
        out += _u(s.selector, 1, "access-selector")
        out += encode_data(s.parameters)
    elif s.selector is not None or s.parameters is not None:
        raise InputError(f"{AccessKind(s.kind).label} spec takes no access-selector/parameters")


def _encode_date_time(dt: bytes, out: bytearray) -> None:
    out += axdr_length_bytes(len(dt)) + dt


def encode_dlms(p: DlmsPayload) -> bytes:
    """Bytes of a DLMS payload; InputError when a field does not fit."""
    out = bytearray()
    if isinstance(p, AccessRequest):
        out.append(APDU_ACCESS_REQUEST)
        out += _u(p.invoke_id, 4, "invoke-id")
        _encode_date_time(p.date_time, out)
        out += axdr_length_bytes(len(p.specs))
        for s in p.specs:
            _encode_spec(s, out)
        out += axdr_length_bytes(len(p.data))
        for d in p.data:
            out += encode_data(d)
    elif isinstance(p, AccessResponse):
        out.append(APDU_ACCESS_RESPONSE)
        out += _u(p.invoke_id, 4, "invoke-id")
        _encode_date_time(p.date_time, out)
        if p.request_specs is None:
            out.append(0)
        else:
            out.append(1)
            out += axdr_length_bytes(len(p.request_specs))
            for s in p.request_specs:
                _encode_spec(s, out)
        out += axdr_length_bytes(len(p.data))
        for d in p.data:
            out += encode_data(d)
        out += axdr_length_bytes(len(p.results))
        for res in p.results:
            if res.kind not in (AccessKind.GET, AccessKind.SET, AccessKind.ACTION):
                raise InputError(f"access-response-specification kind {res.kind}: allowed GET, SET, ACTION")
            out.append(res.kind)
            out += _u(res.result, 1, "access result")
    else:
        out.append(APDU_DATA_NOTIFICATION)
        out += _u(p.invoke_id, 4, "invoke-id")
        _encode_date_time(p.date_time, out)
        out += encode_data(p.body)
    return bytes(out)


# -- JSON view -----------------------------------------------------------------------------------

def _spec_json(s: RequestSpec) -> dict[str, Any]:
    out: dict[str, Any] = {
        "access": s.kind.label,
        "class_id": s.class_id,
        "class": class_name(s.class_id),
        "obis": obis_text(s.obis),
    }
    if s.obis in _OBJECT_NAMES:
        out["object"] = _OBJECT_NAMES[s.obis]
    out["method" if s.kind == AccessKind.ACTION else "attribute"] = s.member_id
    if s.selector is not None and s.parameters is not None:
        out["access_selector"] = s.selector
        out["access_parameters"] = data_to_json(s.parameters)
    return out


def _date_time_json(dt: bytes) -> str | None:
    if not dt:
        return None
    return describe_date_time(dt) or dt.hex().upper()


def _with_data(out: dict[str, Any], key: str, items: list[dict[str, Any]], data: tuple[Data, ...]) -> None:
    """``out[key] = items``, each item with its data when there is one data per item (the normal
    case: item i goes with data i), else the data as a separate list."""
    out[key] = items
    if len(items) == len(data):
        for item, d in zip(items, data, strict=True):
            item["data"] = data_to_json(d)
    else:
        out["data"] = [data_to_json(d) for d in data]


def dlms_to_json(p: DlmsPayload) -> dict[str, Any]:
    """A JSON-serialisable tree of a DLMS payload."""
    if isinstance(p, AccessRequest):
        out: dict[str, Any] = {"kind": "dlms-access-request", "invoke_id": f"0x{p.invoke_id:08X}",
                               "date_time": _date_time_json(p.date_time)}
        _with_data(out, "requests", [_spec_json(s) for s in p.specs], p.data)
        return out
    if isinstance(p, AccessResponse):
        out = {"kind": "dlms-access-response", "invoke_id": f"0x{p.invoke_id:08X}",
               "date_time": _date_time_json(p.date_time)}
        if p.request_specs is not None:
            out["request_specs"] = [_spec_json(s) for s in p.request_specs]
        results = [{"access": r.kind.label, "result": r.result, "result_name": result_name(r.result)}
                   for r in p.results]
        _with_data(out, "responses", results, p.data)
        return out
    return {"kind": "dlms-data-notification", "invoke_id": f"0x{p.invoke_id:08X}",
            "date_time": _date_time_json(p.date_time), "body": data_to_json(p.body)}


# -- use-case helpers ------------------------------------------------------------------------------
# DOMAIN.md §1.7 (CS01a), §2.7 (ECS09), §3.1 (CCS01/02/03/07, CS14).

TOKEN_GATEWAY_CLASS = 115
TOKEN_GATEWAY_OBIS = bytes([0, 0, 19, 40, 0, 255])
TOKEN_GATEWAY_ENTER = 1                      # method 1 "enter"
CREDIT_CLASS = 112
EMERGENCY_CREDIT_OBIS = bytes([0, 0, 19, 10, 1, 255])
INVOKE_CREDIT = 3                            # method 3 "invoke_credit"
ZIGBEE_NETWORK_CONTROL_CLASS = 104
DEVICE_LOG_OBIS = bytes([0, 0, 30, 3, 0, 255])
HISTORIC_DEVICE_LOG_OBIS = bytes([0, 0, 30, 3, 1, 255])
ENABLE_DISABLE_JOINING = 2                   # attribute, boolean
JOIN_TIMEOUT = 3                             # attribute, long-unsigned
ACTIVE_DEVICES = 4                           # attribute
REGISTER_DEVICE = 1                          # methods
UNREGISTER_DEVICE = 2
UNREGISTER_ALL = 3
BACKUP_PAN = 4
RESTORE_PAN = 5

_UTRN_RE = re.compile(rb"[0-9]{20}")


def _action(class_id: int, obis: bytes, method: int) -> RequestSpec:
    return RequestSpec(AccessKind.ACTION, class_id, obis, method)


def _set(class_id: int, obis: bytes, attribute: int) -> RequestSpec:
    return RequestSpec(AccessKind.SET, class_id, obis, attribute)


def _eui(value: bytes, field: str) -> bytes:
    if len(value) != 8:
        raise InputError(f"{field} {bytes(value).hex()!r}: must be 8 bytes (an EUI-64)")
    return bytes(value)


def top_up_request(utrn: str, *, invoke_id: int) -> AccessRequest:
    """CS01a payload: ACTION token gateway ``enter`` with the UTRN as octet-string(20) of ASCII digits."""
    if not _UTRN_RE.fullmatch(utrn.encode("ascii", "replace")):
        raise InputError(f"UTRN {utrn!r}: expected exactly 20 decimal digits")
    return AccessRequest(invoke_id, (_action(TOKEN_GATEWAY_CLASS, TOKEN_GATEWAY_OBIS, TOKEN_GATEWAY_ENTER),),
                         (octet_string(utrn.encode("ascii")),))


def top_up_utrn(req: AccessRequest) -> str | None:
    """The UTRN carried by a CS01a token-gateway ACTION, or None when ``req`` is not one."""
    if (len(req.specs) == 1 and len(req.data) == 1
            and req.specs[0] == _action(TOKEN_GATEWAY_CLASS, TOKEN_GATEWAY_OBIS, TOKEN_GATEWAY_ENTER)
            and req.data[0].type == DataType.OCTET_STRING and isinstance(req.data[0].value, bytes)
            and _UTRN_RE.fullmatch(req.data[0].value)):
        return req.data[0].value.decode("ascii")
    return None


def activate_emergency_credit_request(*, invoke_id: int) -> AccessRequest:
    """ECS09 payload: ACTION credit ``invoke_credit`` on the emergency credit object, argument integer 0."""
    return AccessRequest(invoke_id, (_action(CREDIT_CLASS, EMERGENCY_CREDIT_OBIS, INVOKE_CREDIT),), (integer(0),))


def is_activate_emergency_credit(req: AccessRequest) -> bool:
    return (len(req.specs) == 1 and req.specs[0] == _action(CREDIT_CLASS, EMERGENCY_CREDIT_OBIS, INVOKE_CREDIT)
            and len(req.data) == 1 and req.data[0].type == DataType.INTEGER)


@dataclass(frozen=True, slots=True)
class RegisterDevice:
    """CCS01: add a device to the CHF device log and open joining.

    ``field2_enum`` and ``field4_enum`` are the two enums of the register_device structure whose
    meanings no available source states (DOMAIN.md §6 Q4); RTDS uses 1 and 0. ``join_timeout`` is
    carried as-is (unit not pinned down; DUIS calls it JoinTimePeriod, RTDS uses 90).
    """

    eui: bytes
    install_code: bytes
    join_timeout: int
    enable_joining: bool = True
    field2_enum: int = 1
    field4_enum: int = 0


def register_device_request(reg: RegisterDevice, *, invoke_id: int) -> AccessRequest:
    """CCS01 payload: ACTION register_device, SET join_timeout, SET enable/disable joining."""
    specs = (
        _action(ZIGBEE_NETWORK_CONTROL_CLASS, DEVICE_LOG_OBIS, REGISTER_DEVICE),
        _set(ZIGBEE_NETWORK_CONTROL_CLASS, DEVICE_LOG_OBIS, JOIN_TIMEOUT),
        _set(ZIGBEE_NETWORK_CONTROL_CLASS, DEVICE_LOG_OBIS, ENABLE_DISABLE_JOINING),
    )
    data = (
        structure(octet_string(_eui(reg.eui, "device EUI")), enum(reg.field2_enum),
                  octet_string(reg.install_code), enum(reg.field4_enum)),
        long_unsigned(reg.join_timeout),
        boolean(reg.enable_joining),
    )
    return AccessRequest(invoke_id, specs, data)


def parse_register_device(req: AccessRequest) -> RegisterDevice | None:
    """The CCS01 parameters in ``req``, or None when it does not have the CCS01 shape."""
    try:
        reg_spec, timeout_spec, enable_spec = req.specs
        reg_data, timeout_data, enable_data = req.data
        eui, e2, code, e4 = reg_data.items
        if (reg_spec != _action(ZIGBEE_NETWORK_CONTROL_CLASS, DEVICE_LOG_OBIS, REGISTER_DEVICE)
                or timeout_spec != _set(ZIGBEE_NETWORK_CONTROL_CLASS, DEVICE_LOG_OBIS, JOIN_TIMEOUT)
                or enable_spec != _set(ZIGBEE_NETWORK_CONTROL_CLASS, DEVICE_LOG_OBIS, ENABLE_DISABLE_JOINING)
                or reg_data.type != DataType.STRUCTURE
                or e2.type != DataType.ENUM or e4.type != DataType.ENUM
                or timeout_data.type != DataType.LONG_UNSIGNED or enable_data.type != DataType.BOOLEAN
                or len(eui.octets) != 8 or code.type != DataType.OCTET_STRING):
            return None
        return RegisterDevice(eui.octets, code.octets, timeout_data.int_value, enable_data.value is True,
                              e2.int_value, e4.int_value)
    except (ValueError, InputError):
        return None


def unregister_device_request(eui: bytes, *, invoke_id: int) -> AccessRequest:
    """CCS02 payload: ACTION unregister_device with the EUI as octet-string(8)."""
    return AccessRequest(invoke_id, (_action(ZIGBEE_NETWORK_CONTROL_CLASS, DEVICE_LOG_OBIS, UNREGISTER_DEVICE),),
                         (octet_string(_eui(eui, "device EUI")),))


def parse_unregister_device(req: AccessRequest) -> bytes | None:
    if (len(req.specs) == 1 and len(req.data) == 1
            and req.specs[0] == _action(ZIGBEE_NETWORK_CONTROL_CLASS, DEVICE_LOG_OBIS, UNREGISTER_DEVICE)
            and req.data[0].type == DataType.OCTET_STRING and isinstance(req.data[0].value, bytes)
            and len(req.data[0].value) == 8):
        return req.data[0].value
    return None


@dataclass(frozen=True, slots=True)
class DeviceLogEntry:
    """One CHF device log record in backup/restore form: EUI + hashed TC link key (16 bytes or empty)."""

    eui: bytes
    hashed_link_key: bytes

    def to_data(self) -> Data:
        return structure(octet_string(_eui(self.eui, "device EUI")), octet_string(self.hashed_link_key))

    @staticmethod
    def from_data(d: Data) -> DeviceLogEntry:
        eui, key = d.items
        if d.type != DataType.STRUCTURE or len(eui.octets) != 8:
            raise InputError("device log entry: expected structure{octet-string(8), octet-string}")
        return DeviceLogEntry(eui.octets, key.octets)


@dataclass(frozen=True, slots=True)
class DeviceLogBackup:
    """The backup_PAN structure (CCS07 response, CS14 alert): date-time, extended PAN ID, entries."""

    backup_date_time: bytes        # 12-byte DLMS date-time
    extended_pan_id: bytes         # 8 bytes
    entries: tuple[DeviceLogEntry, ...]

    def to_data(self) -> Data:
        return structure(octet_string(self.backup_date_time), octet_string(_eui(self.extended_pan_id, "extended PAN ID")),
                         array(*(e.to_data() for e in self.entries)))

    @staticmethod
    def from_data(d: Data) -> DeviceLogBackup:
        dt, pan, entries = d.items
        if d.type != DataType.STRUCTURE or entries.type != DataType.ARRAY or len(pan.octets) != 8:
            raise InputError("device log backup: expected structure{date-time, octet-string(8), array}")
        return DeviceLogBackup(dt.octets, pan.octets, tuple(DeviceLogEntry.from_data(e) for e in entries.items))


def restore_pan_request(extended_pan_id: bytes, entries: tuple[DeviceLogEntry, ...], *,
                        invoke_id: int) -> AccessRequest:
    """CCS03 payload: ACTION restore_PAN with structure{extended PAN ID, array of {EUI, hashed key}}."""
    data = structure(octet_string(_eui(extended_pan_id, "extended PAN ID")), array(*(e.to_data() for e in entries)))
    return AccessRequest(invoke_id, (_action(ZIGBEE_NETWORK_CONTROL_CLASS, DEVICE_LOG_OBIS, RESTORE_PAN),), (data,))


def parse_restore_pan(req: AccessRequest) -> tuple[bytes, tuple[DeviceLogEntry, ...]] | None:
    try:
        (spec,), (d,) = req.specs, req.data
        if spec != _action(ZIGBEE_NETWORK_CONTROL_CLASS, DEVICE_LOG_OBIS, RESTORE_PAN) or d.type != DataType.STRUCTURE:
            return None
        pan, entries = d.items
        if len(pan.octets) != 8 or entries.type != DataType.ARRAY:
            return None
        return pan.octets, tuple(DeviceLogEntry.from_data(e) for e in entries.items)
    except (ValueError, InputError):
        return None


def backup_pan_request(*, invoke_id: int) -> AccessRequest:
    """CCS07 payload: ACTION backup_PAN on the device log and on the historic device log."""
    specs = (_action(ZIGBEE_NETWORK_CONTROL_CLASS, DEVICE_LOG_OBIS, BACKUP_PAN),
             _action(ZIGBEE_NETWORK_CONTROL_CLASS, HISTORIC_DEVICE_LOG_OBIS, BACKUP_PAN))
    return AccessRequest(invoke_id, specs, (null_data(), null_data()))


def parse_backup_pan_response(resp: AccessResponse) -> tuple[DeviceLogBackup, ...] | None:
    """The device log and historic log from a successful CCS07 response, else None."""
    if len(resp.data) != 2 or any(r.result != 0 for r in resp.results):
        return None
    try:
        return tuple(DeviceLogBackup.from_data(d) for d in resp.data)
    except (ValueError, InputError):
        return None


@dataclass(frozen=True, slots=True)
class DlmsAlert:
    """A GBCS DLMS alert body: alert code, 12-byte timestamp and the use-case specific items."""

    code: int
    timestamp: bytes
    items: tuple[Data, ...]


def parse_alert(n: DataNotification) -> DlmsAlert | None:
    """Split a data-notification body ``structure{long-unsigned code, octet-string(12), ...}``."""
    b = n.body
    if b.type != DataType.STRUCTURE or not isinstance(b.value, tuple) or len(b.value) < 2:
        return None
    code, ts = b.value[0], b.value[1]
    if code.type != DataType.LONG_UNSIGNED or ts.type != DataType.OCTET_STRING:
        return None
    return DlmsAlert(code.int_value, ts.octets, b.value[2:])


def alert_notification(alert: DlmsAlert, *, invoke_id: int) -> DataNotification:
    """The data-notification carrying ``alert`` (inverse of ``parse_alert``)."""
    return DataNotification(invoke_id, structure(long_unsigned(alert.code), octet_string(alert.timestamp),
                                                 *alert.items))
