"""DLMS/COSEM ``Data`` in A-XDR encoding (IEC 62056-6-2 / Green Book): decode and encode, byte-exact.

One frozen ``Data`` node per value: ``type`` (the A-XDR tag) and ``value``, whose Python type
depends on the tag:

| tags | value |
|---|---|
| null-data, dont-care | ``None`` |
| array, structure | ``tuple[Data, ...]`` |
| boolean | ``bool`` (wire ``00``/``FF`` only, see below) |
| integer types, enum, bcd | ``int`` (range checked on encode) |
| bit-string | ``BitString(bits, data)`` |
| octet-, visible-, utf8-string | ``bytes`` (kept raw: byte-exact even when not valid text) |
| float32/64, date-time, date, time | ``bytes`` of the fixed width (raw, so NaN payloads survive) |
| compact-array | ``CompactArray(description, contents)`` with the raw contents |

GBCS carries date-times as ``octet-string(12)`` rather than tag 25; ``describe_date_time``
renders either. Lengths are A-XDR (BER-style) and must be minimal, and booleans must be ``00``
or ``FF``: GBCS encoders emit exactly these forms (RTDS), and refusing the others is what makes
``encode(decode(b)) == b`` hold for every accepted input.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from smetslab.errors import InputError
from smetslab.gbcs.payloads._reader import Reader, axdr_length_bytes

__all__ = [
    "DataType",
    "Data",
    "BitString",
    "CompactArray",
    "TypeDescription",
    "decode_data",
    "decode_data_at",
    "encode_data",
    "data_to_json",
    "describe_date_time",
    "null_data",
    "array",
    "structure",
    "boolean",
    "octet_string",
    "visible_string",
    "integer",
    "long",
    "unsigned",
    "long_unsigned",
    "double_long",
    "double_long_unsigned",
    "long64",
    "long64_unsigned",
    "enum",
]

# Nesting limit: a hostile message must not exhaust Python's recursion stack (RecursionError is
# not a CodecError). RTDS nests at most a handful of levels.
MAX_DEPTH = 64


class DataType(IntEnum):
    NULL_DATA = 0
    ARRAY = 1
    STRUCTURE = 2
    BOOLEAN = 3
    BIT_STRING = 4
    DOUBLE_LONG = 5
    DOUBLE_LONG_UNSIGNED = 6
    OCTET_STRING = 9
    VISIBLE_STRING = 10
    UTF8_STRING = 12
    BCD = 13
    INTEGER = 15
    LONG = 16
    UNSIGNED = 17
    LONG_UNSIGNED = 18
    COMPACT_ARRAY = 19
    LONG64 = 20
    LONG64_UNSIGNED = 21
    ENUM = 22
    FLOAT32 = 23
    FLOAT64 = 24
    DATE_TIME = 25
    DATE = 26
    TIME = 27
    DONT_CARE = 255

    @property
    def label(self) -> str:
        """The Green Book name, e.g. ``long-unsigned``."""
        return self.name.lower().replace("_", "-")


# (byte width, signed) of the fixed-size integer types.
_INT_TYPES: dict[DataType, tuple[int, bool]] = {
    DataType.DOUBLE_LONG: (4, True),
    DataType.DOUBLE_LONG_UNSIGNED: (4, False),
    DataType.BCD: (1, False),
    DataType.INTEGER: (1, True),
    DataType.LONG: (2, True),
    DataType.UNSIGNED: (1, False),
    DataType.LONG_UNSIGNED: (2, False),
    DataType.LONG64: (8, True),
    DataType.LONG64_UNSIGNED: (8, False),
    DataType.ENUM: (1, False),
}
_FIXED_RAW: dict[DataType, int] = {
    DataType.FLOAT32: 4,
    DataType.FLOAT64: 8,
    DataType.DATE_TIME: 12,
    DataType.DATE: 5,
    DataType.TIME: 4,
}
_STRINGS = (DataType.OCTET_STRING, DataType.VISIBLE_STRING, DataType.UTF8_STRING)


@dataclass(frozen=True, slots=True)
class BitString:
    """A bit-string: ``bits`` significant bits, packed MSB first into ``data``."""

    bits: int
    data: bytes


@dataclass(frozen=True, slots=True)
class TypeDescription:
    """Compact-array contents description: a simple type, an array or a structure of them."""

    type: DataType
    # array: (number of elements, element description); structure: member descriptions
    count: int = 0
    members: tuple[TypeDescription, ...] = ()


@dataclass(frozen=True, slots=True)
class CompactArray:
    description: TypeDescription
    contents: bytes


DataValue = None | bool | int | bytes | tuple["Data", ...] | BitString | CompactArray


@dataclass(frozen=True, slots=True)
class Data:
    type: DataType
    value: DataValue = None

    @property
    def items(self) -> tuple[Data, ...]:
        """Members of an array or structure (InputError otherwise)."""
        if self.type in (DataType.ARRAY, DataType.STRUCTURE) and isinstance(self.value, tuple):
            return self.value
        raise InputError(f"DLMS data: expected array or structure, got {self.type.label}")

    @property
    def octets(self) -> bytes:
        """Bytes of a string-typed value (InputError otherwise)."""
        if self.type in _STRINGS and isinstance(self.value, bytes):
            return self.value
        raise InputError(f"DLMS data: expected octet-string, got {self.type.label}")

    @property
    def int_value(self) -> int:
        if self.type in _INT_TYPES and isinstance(self.value, int) and not isinstance(self.value, bool):
            return self.value
        raise InputError(f"DLMS data: expected an integer type, got {self.type.label}")


# -- constructors (keep call sites short and typed) --------------------------------------------

def null_data() -> Data:
    return Data(DataType.NULL_DATA)


def array(*items: Data) -> Data:
    return Data(DataType.ARRAY, tuple(items))


def structure(*items: Data) -> Data:
    return Data(DataType.STRUCTURE, tuple(items))


def boolean(v: bool) -> Data:
    return Data(DataType.BOOLEAN, bool(v))


def octet_string(b: bytes) -> Data:
    return Data(DataType.OCTET_STRING, bytes(b))


def visible_string(s: str) -> Data:
    return Data(DataType.VISIBLE_STRING, s.encode("ascii"))


def integer(v: int) -> Data:
    return Data(DataType.INTEGER, v)


def long(v: int) -> Data:
    return Data(DataType.LONG, v)


def unsigned(v: int) -> Data:
    return Data(DataType.UNSIGNED, v)


def long_unsigned(v: int) -> Data:
    return Data(DataType.LONG_UNSIGNED, v)


def double_long(v: int) -> Data:
    return Data(DataType.DOUBLE_LONG, v)


def double_long_unsigned(v: int) -> Data:
    return Data(DataType.DOUBLE_LONG_UNSIGNED, v)


def long64(v: int) -> Data:
    return Data(DataType.LONG64, v)


def long64_unsigned(v: int) -> Data:
    return Data(DataType.LONG64_UNSIGNED, v)


def enum(v: int) -> Data:
    return Data(DataType.ENUM, v)


# -- decoding ----------------------------------------------------------------------------------

def _data_type(r: Reader, tag: int, at: int) -> DataType:
    try:
        return DataType(tag)
    except ValueError:
        raise r.error(f"DLMS data: unknown type tag 0x{tag:02X}", at) from None


def _decode_type_description(r: Reader, depth: int) -> TypeDescription:
    if depth > MAX_DEPTH:
        raise r.error("DLMS compact-array description nested too deeply")
    at = r.pos
    t = _data_type(r, r.u8("compact-array type description"), at)
    if t == DataType.ARRAY:
        count = r.uint_be(2, "compact-array element count")
        return TypeDescription(t, count, (_decode_type_description(r, depth + 1),))
    if t == DataType.STRUCTURE:
        n = r.axdr_length("compact-array structure description")
        if n > r.remaining:
            raise r.error(f"compact-array structure description of {n} members but {r.remaining} bytes left")
        return TypeDescription(t, 0, tuple(_decode_type_description(r, depth + 1) for _ in range(n)))
    if t in (DataType.COMPACT_ARRAY, DataType.DONT_CARE):
        raise r.error(f"DLMS compact-array: {t.label} is not allowed in a type description", at)
    return TypeDescription(t)


def _decode(r: Reader, depth: int) -> Data:
    if depth > MAX_DEPTH:
        raise r.error(f"DLMS data nested deeper than {MAX_DEPTH} levels")
    at = r.pos
    t = _data_type(r, r.u8("DLMS data type"), at)
    if t in (DataType.NULL_DATA, DataType.DONT_CARE):
        return Data(t)
    if t in (DataType.ARRAY, DataType.STRUCTURE):
        n = r.axdr_length(t.label)
        # each member needs at least one byte: refuse absurd counts before looping
        if n > r.remaining:
            raise r.error(f"DLMS {t.label} of {n} members but only {r.remaining} bytes left")
        return Data(t, tuple(_decode(r, depth + 1) for _ in range(n)))
    if t == DataType.BOOLEAN:
        b = r.u8("boolean")
        if b not in (0x00, 0xFF):
            raise r.error(f"DLMS boolean 0x{b:02X}: only 00 (FALSE) and FF (TRUE) are accepted", r.pos - 1)
        return Data(t, b == 0xFF)
    if t == DataType.BIT_STRING:
        bits = r.axdr_length("bit-string")
        return Data(t, BitString(bits, r.take((bits + 7) // 8, "bit-string")))
    if t in _INT_TYPES:
        width, signed = _INT_TYPES[t]
        return Data(t, int.from_bytes(r.take(width, t.label), "big", signed=signed))
    if t in _STRINGS:
        n = r.axdr_length(t.label)
        return Data(t, r.take(n, t.label))
    if t in _FIXED_RAW:
        return Data(t, r.take(_FIXED_RAW[t], t.label))
    # compact-array
    desc = _decode_type_description(r, depth + 1)
    n = r.axdr_length("compact-array contents")
    return Data(t, CompactArray(desc, r.take(n, "compact-array contents")))


def decode_data_at(r: Reader) -> Data:
    """Decode one Data value at the reader's position (advancing it)."""
    return _decode(r, 0)


def decode_data(b: bytes, *, base: int = 0) -> Data:
    """Decode exactly one Data value from ``b``; CodecError (with offset) on malformed bytes."""
    r = Reader(b, base=base)
    d = _decode(r, 0)
    r.expect_end("DLMS data")
    return d


# -- encoding ----------------------------------------------------------------------------------

def _encode_type_description(d: TypeDescription, out: bytearray) -> None:
    out.append(d.type)
    if d.type == DataType.ARRAY:
        if len(d.members) != 1 or not 0 <= d.count <= 0xFFFF:
            raise InputError("compact-array description: an array needs one member and a count 0-65535")
        out += d.count.to_bytes(2, "big")
        _encode_type_description(d.members[0], out)
    elif d.type == DataType.STRUCTURE:
        out += axdr_length_bytes(len(d.members))
        for m in d.members:
            _encode_type_description(m, out)


def _encode(d: Data, out: bytearray) -> None:
    t = DataType(d.type)
    v = d.value
    out.append(t)
    if t in (DataType.NULL_DATA, DataType.DONT_CARE):
        if v is not None:
            raise InputError(f"DLMS {t.label}: value must be None, got {v!r}")
    elif t in (DataType.ARRAY, DataType.STRUCTURE):
        if not isinstance(v, tuple):
            raise InputError(f"DLMS {t.label}: value must be a tuple of Data, got {type(v).__name__}")
        out += axdr_length_bytes(len(v))
        for item in v:
            _encode(item, out)
    elif t == DataType.BOOLEAN:
        if not isinstance(v, bool):
            raise InputError(f"DLMS boolean: value must be bool, got {v!r}")
        out.append(0xFF if v else 0x00)
    elif t == DataType.BIT_STRING:
        if not isinstance(v, BitString) or len(v.data) != (v.bits + 7) // 8:
            raise InputError(f"DLMS bit-string: need BitString with ceil(bits/8) data bytes, got {v!r}")
        out += axdr_length_bytes(v.bits) + v.data
    elif t in _INT_TYPES:
        width, signed = _INT_TYPES[t]
        lo, hi = (-(1 << (8 * width - 1)), (1 << (8 * width - 1)) - 1) if signed else (0, (1 << (8 * width)) - 1)
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            raise InputError(f"DLMS {t.label}: value {v!r} outside {lo}..{hi}")
        out += v.to_bytes(width, "big", signed=signed)
    elif t in _STRINGS:
        if not isinstance(v, bytes):
            raise InputError(f"DLMS {t.label}: value must be bytes, got {type(v).__name__}")
        out += axdr_length_bytes(len(v)) + v
    elif t in _FIXED_RAW:
        if not isinstance(v, bytes) or len(v) != _FIXED_RAW[t]:
            raise InputError(f"DLMS {t.label}: value must be {_FIXED_RAW[t]} raw bytes, got {v!r}")
        out += v
    else:  # compact-array
        if not isinstance(v, CompactArray):
            raise InputError(f"DLMS compact-array: value must be CompactArray, got {type(v).__name__}")
        _encode_type_description(v.description, out)
        out += axdr_length_bytes(len(v.contents)) + v.contents


def encode_data(d: Data) -> bytes:
    """A-XDR bytes of ``d``; InputError when a value does not fit its type."""
    out = bytearray()
    _encode(d, out)
    return bytes(out)


# -- presentation ------------------------------------------------------------------------------

def describe_date_time(b: bytes) -> str | None:
    """A DLMS date-time (12 bytes) as text, or None when ``b`` is not one.

    Layout: year(2) month day day-of-week hour minute second hundredths deviation(2, signed
    minutes, 0x8000 = not specified) clock-status. ``FF`` fields are "not specified" and print
    as ``*``; the wildcard/special month and day values (FD, FE) print as-is in hex.
    """
    if len(b) != 12:
        return None
    year = int.from_bytes(b[0:2], "big")
    month, day, dow, hour, minute, second, hundredths = b[2:9]
    if not (1 <= month <= 12 or month in (0xFD, 0xFE, 0xFF)):
        return None
    if not (1 <= day <= 31 or day in (0xFD, 0xFE, 0xFF)):
        return None
    if not (1 <= dow <= 7 or dow == 0xFF):
        return None
    if not (hour <= 23 or hour == 0xFF) or not (minute <= 59 or minute == 0xFF):
        return None
    if not (second <= 59 or second == 0xFF) or not (hundredths <= 99 or hundredths == 0xFF):
        return None

    def f(v: int) -> str:
        if v == 0xFF:
            return "**"
        return f"{v:02X}" if v >= 0xFD else f"{v:02d}"  # FD/FE: last day / second-last day of month

    deviation = int.from_bytes(b[9:11], "big", signed=True)
    text = (f"{'****' if year == 0xFFFF else f'{year:04d}'}-{f(month)}-{f(day)} "
            f"{f(hour)}:{f(minute)}:{f(second)}.{f(hundredths)}")
    if deviation != -0x8000:
        text += f" dev {deviation:+d} min"
    return text + f" status 0x{b[11]:02X}"


def _printable(b: bytes) -> bool:
    return len(b) > 0 and all(0x20 <= c < 0x7F for c in b)


def data_to_json(d: Data) -> dict[str, Any]:
    """A JSON-serialisable view of ``d`` (what ``smetslab gbcs parse`` prints)."""
    t = d.type
    v = d.value
    out: dict[str, Any] = {"type": t.label}
    if isinstance(v, tuple):
        out["items"] = [data_to_json(i) for i in v]
    elif isinstance(v, int):       # bool included: JSON true/false
        out["value"] = v
    elif isinstance(v, BitString):
        out["bits"] = v.bits
        out["value"] = v.data.hex().upper()
    elif isinstance(v, CompactArray):
        out["description"] = _description_to_json(v.description)
        out["contents"] = v.contents.hex().upper()
    elif isinstance(v, bytes):
        if t == DataType.VISIBLE_STRING and all(0x20 <= c < 0x7F for c in v):
            out["value"] = v.decode("ascii")
        elif t == DataType.UTF8_STRING:
            try:
                out["value"] = v.decode("utf-8")
            except UnicodeDecodeError:
                out["hex"] = v.hex().upper()
        else:
            out["value"] = v.hex().upper()
            if t in (DataType.FLOAT32, DataType.FLOAT64):
                x = struct.unpack(">f" if len(v) == 4 else ">d", v)[0]
                out["float"] = x if math.isfinite(x) else str(x)  # JSON has no NaN/inf
            elif t == DataType.OCTET_STRING and _printable(v):
                out["text"] = v.decode("ascii")
            dt = describe_date_time(v) if t in (DataType.OCTET_STRING, DataType.DATE_TIME) else None
            if dt is not None:
                out["date_time"] = dt
    return out


def _description_to_json(d: TypeDescription) -> dict[str, Any]:
    out: dict[str, Any] = {"type": d.type.label}
    if d.type == DataType.ARRAY:
        out["count"] = d.count
        out["element"] = _description_to_json(d.members[0])
    elif d.type == DataType.STRUCTURE:
        out["members"] = [_description_to_json(m) for m in d.members]
    return out
