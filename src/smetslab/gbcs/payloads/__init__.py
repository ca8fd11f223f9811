"""GBCS payload codecs (the ``content`` of a general-signing APDU), sans-I/O and byte-exact.

Recognition (DOMAIN.md §2.3): ``D9``/``DA``/``0F`` DLMS access-request/-response/data-notification,
``01 09`` GBZ (an alert when the CRA flag says alert), ASN.1 DER for the message codes whose
payloads RTDS shows in DER (and, for codes not in the tables, content starting ``30``/``02``/
``04``/``05`` that parses as one DER element); anything else is ``raw``.

- ``parse_payload`` -> a typed payload; ``encode_payload`` is its exact inverse.
- ``decode_payload`` -> a JSON-serialisable tree with use-case labels (what ``smetslab gbcs parse``
  prints).

Malformed input raises only ``smetslab.errors.CodecError``, whose offset counts from ``base``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smetslab.errors import CodecError, InputError
from smetslab.gbcs.codes import alert_name, message_info
from smetslab.gbcs.payloads.axdr import data_to_json, describe_date_time
from smetslab.gbcs.payloads.der import (
    TAG_GENERALIZED_TIME,
    TAG_INTEGER,
    DerNode,
    DerTyped,
    JoinCommand,
    JoinResponse,
    ReadJoinDetailsCommand,
    ReadJoinDetailsResponse,
    UnjoinCommand,
    UnjoinResponse,
    decode_der,
    decode_join_command,
    decode_join_response,
    decode_read_join_details_command,
    decode_read_join_details_response,
    decode_unjoin_command,
    decode_unjoin_response,
    der_to_json,
    encode_der,
    encode_typed_der,
    generalized_time_text,
    typed_der_to_json,
)
from smetslab.gbcs.payloads.dlms import (
    AccessRequest,
    AccessResponse,
    DataNotification,
    DeviceLogBackup,
    DlmsPayload,
    decode_dlms,
    dlms_to_json,
    encode_dlms,
    is_activate_emergency_credit,
    parse_alert,
    parse_backup_pan_response,
    parse_register_device,
    parse_restore_pan,
    parse_unregister_device,
    top_up_utrn,
)
from smetslab.gbcs.payloads.gbz import (
    ConsumerTopUp,
    ConsumerTopUpResponse,
    GbzAlert,
    GbzPayload,
    SelectAvailableEmergencyCredit,
    decode_gbz,
    decode_gbz_alert,
    encode_gbz,
    gbz_to_json,
)

__all__ = [
    "RawPayload",
    "Payload",
    "parse_payload",
    "encode_payload",
    "decode_payload",
    # typed classes callers commonly match on
    "AccessRequest",
    "AccessResponse",
    "DataNotification",
    "GbzPayload",
    "GbzAlert",
    "DerNode",
    "JoinCommand",
    "JoinResponse",
    "UnjoinCommand",
    "UnjoinResponse",
    "ReadJoinDetailsCommand",
    "ReadJoinDetailsResponse",
]

CRA_COMMAND, CRA_RESPONSE, CRA_ALERT = 1, 2, 3

# Message codes with typed DER payloads (DOMAIN.md §3.5).
_JOIN_CODES = frozenset({0x000D, 0x00AB, 0x000E, 0x00AF})      # CS03A1, CS03A2, CS03B, CS03C
_UNJOIN_CODES = frozenset({0x000F, 0x0010})                    # CS04AC, CS04B
_READ_JOIN_DETAILS = 0x0013                                    # CS07
_READ_DEVICE_LOGS = 0x00FE                                     # CCS07
_DEVICE_LOG_ALERT = 0x8F12                                     # CS14


@dataclass(frozen=True, slots=True)
class RawPayload:
    """Content this package does not recognise, kept as bytes."""

    data: bytes


Payload = DlmsPayload | GbzPayload | GbzAlert | DerNode | DerTyped | RawPayload


# (message codes, command decoder, response decoder) of each typed DER service.
_TYPED_DER: tuple[tuple[frozenset[int], Callable[..., DerTyped], Callable[..., DerTyped]], ...] = (
    (_JOIN_CODES, decode_join_command, decode_join_response),
    (_UNJOIN_CODES, decode_unjoin_command, decode_unjoin_response),
    (frozenset({_READ_JOIN_DETAILS}), decode_read_join_details_command, decode_read_join_details_response),
)


def _typed_der(message_code: int, content: bytes, cra: int, base: int) -> DerTyped | None:
    for codes, command, response in _TYPED_DER:
        if message_code in codes:
            decode = {CRA_COMMAND: command, CRA_RESPONSE: response}.get(cra)
            return None if decode is None else decode(content, base=base)
    return None


def _check_cra(cra: int) -> None:
    if cra not in (CRA_COMMAND, CRA_RESPONSE, CRA_ALERT):
        raise InputError(f"CRA flag {cra!r}: allowed 1 (command), 2 (response), 3 (alert)")


def parse_payload(message_code: int, content: bytes, *, cra: int, base: int = 0) -> Payload:
    """Typed payload of one GBCS message's content; CodecError when malformed.

    ``cra`` is the transaction-id CRA flag (1 command, 2 response, 3 alert). Join/unjoin payloads
    (CS03/CS04/CS07) come back typed when they are canonical DER of the expected shape, otherwise
    as a generic ``DerNode`` tree.
    """
    _check_cra(cra)
    if content[:2] == b"\x01\x09":
        if cra == CRA_ALERT:
            return decode_gbz_alert(content, message_code=message_code, base=base)
        return decode_gbz(content, base=base)
    if content[:1] in (b"\xd9", b"\xda", b"\x0f"):
        return decode_dlms(content, base=base)
    info = message_info(message_code)
    if info is not None and info.payload == "DER":
        tree = decode_der(content, base=base)      # malformed DER -> CodecError
        try:
            typed = _typed_der(message_code, content, cra, base)
        except CodecError:
            typed = None                           # well-formed DER of another shape: show the tree
        return tree if typed is None else typed
    if info is not None:
        # a code we know always carries DLMS, GBZ or DER: anything else (e.g. a truncated header) is malformed
        raise CodecError(f"message 0x{message_code:04X} ({info.use_case or info.title}): payload starts "
                         f"{content[:2].hex().upper() or 'empty'}, expected DLMS (D9/DA/0F) or GBZ (01 09)", base)
    if content[:1] in (b"\x30", b"\x02", b"\x04", b"\x05"):
        try:
            return decode_der(content, base=base)
        except CodecError:
            pass
    return RawPayload(bytes(content))


def encode_payload(p: Payload) -> bytes:
    """Bytes of a typed payload: ``encode_payload(parse_payload(c, b, cra=f)) == b``."""
    if isinstance(p, AccessRequest | AccessResponse | DataNotification):
        return encode_dlms(p)
    if isinstance(p, GbzPayload | GbzAlert):
        return encode_gbz(p)
    if isinstance(p, DerNode):
        return encode_der(p)
    if isinstance(p, RawPayload):
        return p.data
    return encode_typed_der(p)


# -- JSON tree with use-case labels -----------------------------------------------------------------

def _hex(b: bytes) -> str:
    return b.hex().upper()


def _device_log_json(b: DeviceLogBackup) -> dict[str, Any]:
    return {"backup_date_time": describe_date_time(b.backup_date_time) or _hex(b.backup_date_time),
            "extended_pan_id": _hex(b.extended_pan_id),
            "entries": [{"eui": _hex(e.eui), "hashed_link_key": _hex(e.hashed_link_key)} for e in b.entries]}


def _install_code_json(code: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {"hex": _hex(code)}
    if code and all(0x20 <= c < 0x7F for c in code):
        out["text"] = code.decode("ascii")
    return out


def _dlms_labels(message_code: int, p: DlmsPayload, out: dict[str, Any]) -> None:
    if isinstance(p, AccessRequest):
        utrn = top_up_utrn(p)
        if utrn is not None:
            out["utrn"] = utrn
        if is_activate_emergency_credit(p):
            out["emergency_credit"] = "activate"
        reg = parse_register_device(p)
        if reg is not None:
            out["register_device"] = {"eui": _hex(reg.eui), "install_code": _install_code_json(reg.install_code),
                                      "join_timeout": reg.join_timeout, "enable_joining": reg.enable_joining,
                                      "field2_enum": reg.field2_enum, "field4_enum": reg.field4_enum}
        eui = parse_unregister_device(p)
        if eui is not None:
            out["unregister_device"] = {"eui": _hex(eui)}
        restore = parse_restore_pan(p)
        if restore is not None:
            out["restore_pan"] = {"extended_pan_id": _hex(restore[0]),
                                  "entries": [{"eui": _hex(e.eui), "hashed_link_key": _hex(e.hashed_link_key)}
                                              for e in restore[1]]}
    elif isinstance(p, AccessResponse):
        out["success"] = all(r.result == 0 for r in p.results)
        if message_code == _READ_DEVICE_LOGS:
            logs = parse_backup_pan_response(p)
            if logs is not None:
                out["device_logs"] = {"device_log": _device_log_json(logs[0]),
                                      "historic_device_log": _device_log_json(logs[1])}
    else:
        alert = parse_alert(p)
        if alert is not None:
            out["alert"] = {"code": f"0x{alert.code:04X}", "name": alert_name(alert.code),
                            "timestamp": describe_date_time(alert.timestamp) or _hex(alert.timestamp)}
            if alert.code == _DEVICE_LOG_ALERT and len(alert.items) == 1:
                with contextlib.suppress(ValueError, InputError):   # not the CS14 shape: items stay generic
                    out["device_log"] = _device_log_json(DeviceLogBackup.from_data(alert.items[0]))
            elif alert.items:
                out["alert"]["items"] = [data_to_json(d) for d in alert.items]


def _gbz_labels(p: GbzPayload | GbzAlert, out: dict[str, Any]) -> None:
    if isinstance(p, GbzAlert):
        out["alert"]["name"] = alert_name(p.alert_code)
        return
    for c in p.components:
        if isinstance(c.payload, ConsumerTopUp):
            if c.payload.utrn is not None:
                out["utrn"] = c.payload.utrn
            out["originating_device"] = c.payload.originating_device
        elif isinstance(c.payload, ConsumerTopUpResponse):
            out["top_up_response"] = out["components"][p.components.index(c)]["payload"]
        elif isinstance(c.payload, SelectAvailableEmergencyCredit):
            out["emergency_credit"] = "activate"
            out["originating_device"] = c.payload.originating_device


def _der_alert(tree: DerNode) -> dict[str, Any] | None:
    kids = tree.content if tree.tag == b"\x30" and isinstance(tree.content, tuple) else ()
    if len(kids) >= 2 and kids[0].tag == bytes([TAG_INTEGER]) and kids[1].tag == bytes([TAG_GENERALIZED_TIME]) \
            and isinstance(kids[0].content, bytes) and isinstance(kids[1].content, bytes) and kids[0].content:
        code = int.from_bytes(kids[0].content, "big", signed=True)
        return {"code": f"0x{code:04X}", "name": alert_name(code),
                "timestamp": generalized_time_text(kids[1].content) or _hex(kids[1].content)}
    return None


def decode_payload(message_code: int, content: bytes, *, cra: int, base: int = 0) -> dict[str, Any]:
    """JSON-serialisable tree of a payload: ``{"kind": "dlms-access-request" | "dlms-access-response" |
    "dlms-data-notification" | "gbz" | "der" | "raw", ...}`` plus use-case labels where known
    (``utrn``, ``join``, ``register_device``, ``alert``, ...). CodecError when malformed.
    """
    p = parse_payload(message_code, content, cra=cra, base=base)
    out: dict[str, Any]
    if isinstance(p, AccessRequest | AccessResponse | DataNotification):
        out = dlms_to_json(p)
        _dlms_labels(message_code, p, out)
    elif isinstance(p, GbzPayload | GbzAlert):
        out = gbz_to_json(p)
        _gbz_labels(p, out)
    elif isinstance(p, RawPayload):
        out = {"kind": "raw", "hex": _hex(p.data)}
    else:
        tree = p if isinstance(p, DerNode) else decode_der(content, base=base)
        out = {"kind": "der"}
        if not isinstance(p, DerNode):
            out.update(typed_der_to_json(p))
        if cra == CRA_ALERT:
            alert = _der_alert(tree)
            if alert is not None:
                out["alert"] = alert
        out["der"] = der_to_json(tree)
    return out

