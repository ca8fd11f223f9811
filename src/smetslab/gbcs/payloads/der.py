"""ASN.1 DER payloads of GBCS: a generic TLV tree for every DER payload, and typed codecs for the
join/unjoin services (DOMAIN.md §3.5).

Typed layouts:

- CS03A1/A2/B/C command: SEQUENCE { joinMethodAndRole INTEGER, otherDeviceEntityId OCTET STRING(8),
  otherDeviceType INTEGER, [otherDevice KA certificate] } -- the certificate is kept as its whole DER
  element (bytes), ready for an X.509 parser.
- CS03 / CS04 response: INTEGER (join / unjoin response code).
- CS04AC / CS04B command: OCTET STRING(8), the other device's EUI.
- CS07 command: NULL; response SEQUENCE { INTEGER code, [SEQUENCE OF SEQUENCE { OCTET STRING(8) EUI,
  INTEGER device type }] } (the list is absent in the RTDS error response).

GBCS encoders do not always use minimal DER lengths (RTDS has ``30 82 00 DE`` for 222 bytes), so the
generic tree records each element's length form and re-encodes it as sent. Typed codecs encode
canonical DER and refuse (CodecError) bytes they would not reproduce exactly.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from smetslab.errors import CodecError, InputError
from smetslab.gbcs.codes import DeviceType, JoinMethodRole
from smetslab.gbcs.codes import JoinResponse as JoinResponseCode
from smetslab.gbcs.codes import UnjoinResponse as UnjoinResponseCode
from smetslab.gbcs.payloads._reader import Reader, enum_title

__all__ = [
    "DerNode",
    "decode_der",
    "encode_der",
    "der_to_json",
    "JoinCommand",
    "JoinResponse",
    "UnjoinCommand",
    "UnjoinResponse",
    "ReadJoinDetailsCommand",
    "ReadJoinDetailsResponse",
    "JoinedDevice",
    "DerTyped",
    "decode_join_command",
    "decode_join_response",
    "decode_unjoin_command",
    "decode_unjoin_response",
    "decode_read_join_details_command",
    "decode_read_join_details_response",
    "encode_typed_der",
    "typed_der_to_json",
]

MAX_DEPTH = 64

TAG_BOOLEAN = 0x01
TAG_INTEGER = 0x02
TAG_BIT_STRING = 0x03
TAG_OCTET_STRING = 0x04
TAG_NULL = 0x05
TAG_OID = 0x06
TAG_ENUMERATED = 0x0A
TAG_UTF8 = 0x0C
TAG_PRINTABLE = 0x13
TAG_IA5 = 0x16
TAG_UTC_TIME = 0x17
TAG_GENERALIZED_TIME = 0x18
TAG_SEQUENCE = 0x30
TAG_SET = 0x31

_UNIVERSAL_NAMES = {
    TAG_BOOLEAN: "BOOLEAN", TAG_INTEGER: "INTEGER", TAG_BIT_STRING: "BIT STRING", TAG_OCTET_STRING: "OCTET STRING",
    TAG_NULL: "NULL", TAG_OID: "OBJECT IDENTIFIER", TAG_ENUMERATED: "ENUMERATED", TAG_UTF8: "UTF8String",
    TAG_PRINTABLE: "PrintableString", TAG_IA5: "IA5String", TAG_UTC_TIME: "UTCTime",
    TAG_GENERALIZED_TIME: "GeneralizedTime", TAG_SEQUENCE: "SEQUENCE", TAG_SET: "SET",
}


# -- generic TLV -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DerNode:
    """One DER element: identifier octets as sent, content (bytes, or children when constructed).

    ``length_form`` is None for the minimal length encoding, else the number of long-form length
    octets used (GBCS sometimes writes ``82 00 DE`` where ``81 DE`` would do).
    """

    tag: bytes
    content: bytes | tuple[DerNode, ...]
    length_form: int | None = None

    @property
    def constructed(self) -> bool:
        return bool(self.tag[0] & 0x20)

    @property
    def children(self) -> tuple[DerNode, ...]:
        if isinstance(self.content, tuple):
            return self.content
        raise InputError(f"DER element {_tag_name(self.tag)} is primitive, it has no children")

    @property
    def value_bytes(self) -> bytes:
        if isinstance(self.content, bytes):
            return self.content
        raise InputError(f"DER element {_tag_name(self.tag)} is constructed, it has no primitive value")


def _tag(r: Reader) -> bytes:
    start = r.pos
    first = r.u8("DER tag")
    if first & 0x1F != 0x1F:
        return bytes([first])
    # high-tag-number form: base-128 digits, bit 8 = more to come
    for _ in range(4):
        b = r.u8("DER tag number")
        if not b & 0x80:
            return r.buf[start : r.pos]
    raise r.error("DER tag number longer than 4 bytes", start)


def _length(r: Reader) -> tuple[int, int | None]:
    start = r.pos
    first = r.u8("DER length")
    if first < 0x80:
        return first, None
    n = first & 0x7F
    if n == 0:
        raise r.error("DER indefinite length (0x80) is not allowed", start)
    if n > 4:
        raise r.error(f"DER length of {n} octets is not supported", start)
    value = r.uint_be(n, "DER length")
    minimal = 1 if value < 0x80 else 1 + (value.bit_length() + 7) // 8
    return value, (None if minimal == 1 + n else n)


def _node(r: Reader, depth: int) -> DerNode:
    if depth > MAX_DEPTH:
        raise r.error(f"DER nested deeper than {MAX_DEPTH} levels")
    tag = _tag(r)
    n, form = _length(r)
    body = r.sub(n, f"DER {_tag_name(tag)}")
    if tag[0] & 0x20:
        children = []
        while not body.at_end():
            children.append(_node(body, depth + 1))
        return DerNode(tag, tuple(children), form)
    return DerNode(tag, body.rest(), form)


def decode_der(content: bytes, *, base: int = 0) -> DerNode:
    """Decode exactly one DER element (with its whole subtree) from ``content``."""
    r = Reader(content, base=base)
    node = _node(r, 0)
    r.expect_end("DER element")
    return node


def _length_bytes(n: int, form: int | None) -> bytes:
    if form is None:
        if n < 0x80:
            return bytes([n])
        body = n.to_bytes((n.bit_length() + 7) // 8, "big")
        return bytes([0x80 | len(body)]) + body
    if not 1 <= form <= 4 or n >= 1 << (8 * form):
        raise InputError(f"DER length {n} does not fit a {form}-octet long form")
    return bytes([0x80 | form]) + n.to_bytes(form, "big")


def _encode(node: DerNode, out: bytearray) -> None:
    if not node.tag:
        raise InputError("DER element needs a tag")
    if isinstance(node.content, tuple):
        if not node.tag[0] & 0x20:
            raise InputError(f"DER element {_tag_name(node.tag)}: children need a constructed tag")
        inner = bytearray()
        for child in node.content:
            _encode(child, inner)
        body = bytes(inner)
    else:
        if node.tag[0] & 0x20:
            raise InputError(f"DER element {_tag_name(node.tag)}: a constructed tag needs children")
        body = node.content
    out += node.tag + _length_bytes(len(body), node.length_form) + body


def encode_der(node: DerNode) -> bytes:
    out = bytearray()
    _encode(node, out)
    return bytes(out)


def _tag_name(tag: bytes) -> str:
    first = tag[0]
    if len(tag) == 1 and first in _UNIVERSAL_NAMES:
        return _UNIVERSAL_NAMES[first]
    cls = first >> 6
    if len(tag) == 1:
        number = first & 0x1F
    else:
        number = 0
        for b in tag[1:]:
            number = (number << 7) | (b & 0x7F)
    prefix = {0: "UNIVERSAL ", 1: "APPLICATION ", 2: "", 3: "PRIVATE "}[cls]
    return f"[{prefix}{number}]"


def _oid_text(b: bytes) -> str | None:
    if not b or b[-1] & 0x80:
        return None
    arcs: list[int] = []
    v = 0
    for byte in b:
        v = (v << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(v)
            v = 0
    first = arcs[0]
    head = [0, first] if first < 40 else ([1, first - 40] if first < 80 else [2, first - 80])
    return ".".join(str(a) for a in head + arcs[1:])


def der_to_json(node: DerNode) -> dict[str, Any]:
    """A JSON-serialisable view of a DER tree."""
    out: dict[str, Any] = {"tag": _tag_name(node.tag)}
    if node.length_form is not None:
        out["length_octets"] = node.length_form
    if isinstance(node.content, tuple):
        out["children"] = [der_to_json(c) for c in node.content]
        return out
    b = node.content
    t = node.tag[0] if len(node.tag) == 1 else -1
    if t in (TAG_INTEGER, TAG_ENUMERATED) and b:
        out["value"] = int.from_bytes(b, "big", signed=True)
    elif t == TAG_BOOLEAN and len(b) == 1:
        out["value"] = b[0] != 0
    elif t == TAG_NULL:
        out["value"] = None
    elif t == TAG_OID and _oid_text(b) is not None:
        out["value"] = _oid_text(b)
    elif t in (TAG_UTF8, TAG_PRINTABLE, TAG_IA5, TAG_UTC_TIME, TAG_GENERALIZED_TIME) and b.isascii():
        out["value"] = b.decode("ascii")
    elif t == TAG_BIT_STRING and b:
        out["unused_bits"] = b[0]
        out["hex"] = b[1:].hex().upper()
    else:
        out["hex"] = b.hex().upper()
    return out


# -- typed join/unjoin payloads ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class JoinCommand:
    """CS03A1/A2/B/C: join this device with ``other_device`` (certificate: Method C only)."""

    method_role: int
    other_device: bytes
    device_type: int
    certificate: bytes | None = None


@dataclass(frozen=True, slots=True)
class JoinResponse:
    code: int


@dataclass(frozen=True, slots=True)
class UnjoinCommand:
    other_device: bytes


@dataclass(frozen=True, slots=True)
class UnjoinResponse:
    code: int


@dataclass(frozen=True, slots=True)
class ReadJoinDetailsCommand:
    """CS07 command: a DER NULL."""


@dataclass(frozen=True, slots=True)
class JoinedDevice:
    eui: bytes
    device_type: int


@dataclass(frozen=True, slots=True)
class ReadJoinDetailsResponse:
    code: int
    devices: tuple[JoinedDevice, ...] | None = None


DerTyped = JoinCommand | JoinResponse | UnjoinCommand | UnjoinResponse | ReadJoinDetailsCommand | \
    ReadJoinDetailsResponse


def _int_content(v: int, field: str) -> bytes:
    if not isinstance(v, int) or isinstance(v, bool):
        raise InputError(f"{field} {v!r}: must be an integer")
    return v.to_bytes(max(1, (v + (v < 0)).bit_length() // 8 + 1), "big", signed=True)


def _integer(v: int, field: str) -> DerNode:
    return DerNode(bytes([TAG_INTEGER]), _int_content(v, field))


def _octets8(v: bytes, field: str) -> DerNode:
    if len(v) != 8:
        raise InputError(f"{field} {bytes(v).hex()!r}: must be 8 bytes (an EUI-64)")
    return DerNode(bytes([TAG_OCTET_STRING]), bytes(v))


def _seq(*children: DerNode) -> DerNode:
    return DerNode(bytes([TAG_SEQUENCE]), tuple(children))


def _to_tree(t: DerTyped) -> DerNode:
    if isinstance(t, JoinCommand):
        items = [_integer(t.method_role, "joinMethodAndRole"), _octets8(t.other_device, "otherDeviceEntityId"),
                 _integer(t.device_type, "otherDeviceType")]
        if t.certificate is not None:
            items.append(decode_der(t.certificate))
        return _seq(*items)
    if isinstance(t, JoinResponse | UnjoinResponse):
        return _integer(t.code, "response code")
    if isinstance(t, UnjoinCommand):
        return _octets8(t.other_device, "otherDeviceEntityId")
    if isinstance(t, ReadJoinDetailsCommand):
        return DerNode(bytes([TAG_NULL]), b"")
    items = [_integer(t.code, "response code")]
    if t.devices is not None:
        items.append(_seq(*(_seq(_octets8(d.eui, "device EUI"), _integer(d.device_type, "device type"))
                            for d in t.devices)))
    return _seq(*items)


def encode_typed_der(t: DerTyped) -> bytes:
    """Canonical DER bytes of a typed join/unjoin payload."""
    return encode_der(_to_tree(t))


class _ShapeError(Exception):
    """The DER is well formed but not the typed payload's shape (turned into CodecError by ``_typed``)."""


def _want(node: DerNode, tag: int, what: str) -> DerNode:
    if node.tag != bytes([tag]):
        raise _ShapeError(f"{what}: expected {_UNIVERSAL_NAMES[tag]}, got {_tag_name(node.tag)}")
    return node


def _int_of(node: DerNode, what: str) -> int:
    b = _want(node, TAG_INTEGER, what).value_bytes
    if not b:
        raise _ShapeError(f"{what}: empty INTEGER")
    return int.from_bytes(b, "big", signed=True)


def _eui_of(node: DerNode, what: str) -> bytes:
    b = _want(node, TAG_OCTET_STRING, what).value_bytes
    if len(b) != 8:
        raise _ShapeError(f"{what}: OCTET STRING of {len(b)} bytes, expected 8 (an EUI-64)")
    return b


_T = TypeVar("_T", bound=DerTyped)


def _canonical(t: _T, content: bytes, what: str, base: int) -> _T:
    """Refuse input the typed encoder would not reproduce (non-minimal INTEGER/length forms)."""
    again = encode_typed_der(t)
    if again != content:
        at = next((i for i, (x, y) in enumerate(zip(again, content, strict=False)) if x != y),
                  min(len(again), len(content)))
        raise CodecError(f"{what}: not canonical DER", base + at)
    return t


def _typed(content: bytes, base: int, what: str, build: Callable[[DerNode], _T]) -> _T:
    """``build``'s typed payload from the one DER element of ``content``; CodecError naming ``what``
    when the DER is malformed, not that shape, or not canonical."""
    node = decode_der(content, base=base)
    try:
        t = build(node)
    except _ShapeError as e:
        raise CodecError(f"{what}: {e}", base) from None
    except (ValueError, InputError):
        raise CodecError(f"{what}: unexpected structure", base) from None
    return _canonical(t, content, what, base)


def _build_join(node: DerNode) -> JoinCommand:
    items = _want(node, TAG_SEQUENCE, "join command").children
    if len(items) not in (3, 4):
        raise _ShapeError(f"SEQUENCE of {len(items)} elements, expected 3 or 4")
    cert = encode_der(_want(items[3], TAG_SEQUENCE, "certificate")) if len(items) == 4 else None
    return JoinCommand(_int_of(items[0], "joinMethodAndRole"), _eui_of(items[1], "otherDeviceEntityId"),
                       _int_of(items[2], "otherDeviceType"), cert)


def decode_join_command(content: bytes, *, base: int = 0) -> JoinCommand:
    return _typed(content, base, "CS03 join command", _build_join)


def decode_join_response(content: bytes, *, base: int = 0) -> JoinResponse:
    return _typed(content, base, "CS03 join response", lambda n: JoinResponse(_int_of(n, "join response")))


def decode_unjoin_command(content: bytes, *, base: int = 0) -> UnjoinCommand:
    return _typed(content, base, "CS04 unjoin command", lambda n: UnjoinCommand(_eui_of(n, "otherDeviceEntityId")))


def decode_unjoin_response(content: bytes, *, base: int = 0) -> UnjoinResponse:
    return _typed(content, base, "CS04 unjoin response", lambda n: UnjoinResponse(_int_of(n, "unjoin response")))


def _build_null(node: DerNode) -> ReadJoinDetailsCommand:
    if _want(node, TAG_NULL, "read join details command").value_bytes:
        raise _ShapeError("NULL with content")
    return ReadJoinDetailsCommand()


def decode_read_join_details_command(content: bytes, *, base: int = 0) -> ReadJoinDetailsCommand:
    return _typed(content, base, "CS07 command", _build_null)


def _build_details(node: DerNode) -> ReadJoinDetailsResponse:
    items = _want(node, TAG_SEQUENCE, "read join details response").children
    if len(items) not in (1, 2):
        raise _ShapeError(f"SEQUENCE of {len(items)} elements, expected 1 or 2")
    devices = None
    if len(items) == 2:
        devices = []
        for entry in _want(items[1], TAG_SEQUENCE, "joined device list").children:
            eui, dtype = _want(entry, TAG_SEQUENCE, "joined device").children
            devices.append(JoinedDevice(_eui_of(eui, "device EUI"), _int_of(dtype, "device type")))
    return ReadJoinDetailsResponse(_int_of(items[0], "response code"), None if devices is None else tuple(devices))


def decode_read_join_details_response(content: bytes, *, base: int = 0) -> ReadJoinDetailsResponse:
    return _typed(content, base, "CS07 response", _build_details)


def _certificate_facts(cert: bytes) -> dict[str, Any]:
    """Serial and validity read straight from the TBSCertificate (no crypto needed to print them)."""
    try:
        tbs = decode_der(cert).children[0].children
        i = 1 if tbs[0].tag == b"\xa0" else 0          # optional [0] version
        validity = tbs[i + 3].children
        return {"serial": tbs[i].value_bytes.hex().upper(),
                "not_before": validity[0].value_bytes.decode("ascii"),
                "not_after": validity[1].value_bytes.decode("ascii")}
    except (CodecError, InputError, IndexError, UnicodeDecodeError):
        return {}


def typed_der_to_json(t: DerTyped) -> dict[str, Any]:
    """Use-case labels for a typed join/unjoin payload."""
    if isinstance(t, JoinCommand):
        out: dict[str, Any] = {
            "method_role": enum_title(JoinMethodRole, t.method_role),
            "method_role_value": t.method_role,
            "other_device": t.other_device.hex().upper(),
            "device_type": enum_title(DeviceType, t.device_type),
            "device_type_value": t.device_type,
        }
        if t.certificate is not None:
            out["certificate"] = {"der": t.certificate.hex().upper(), **_certificate_facts(t.certificate)}
        return {"join": out}
    if isinstance(t, JoinResponse):
        return {"join_response": {"code": t.code, "meaning": enum_title(JoinResponseCode, t.code)}}
    if isinstance(t, UnjoinCommand):
        return {"unjoin": {"other_device": t.other_device.hex().upper()}}
    if isinstance(t, UnjoinResponse):
        return {"unjoin_response": {"code": t.code, "meaning": enum_title(UnjoinResponseCode, t.code)}}
    if isinstance(t, ReadJoinDetailsCommand):
        return {"read_join_details": {}}
    out = {"code": t.code, "meaning": {0: "success", 1: "read failure"}.get(t.code, "unknown")}
    if t.devices is not None:
        out["devices"] = [{"eui": d.eui.hex().upper(),
                           "device_type": enum_title(DeviceType, d.device_type)}
                          for d in t.devices]
    return {"join_details": out}


def generalized_time_text(b: bytes) -> str | None:
    """``YYYYMMDDHHMMSSZ`` as ISO 8601, when it is one."""
    try:
        return datetime.datetime.strptime(b.decode("ascii"), "%Y%m%d%H%M%SZ").strftime("%Y-%m-%dT%H:%M:%SZ")
    except (UnicodeDecodeError, ValueError):
        return None
