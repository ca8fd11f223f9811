"""GBCS frames: the general-signing APDU (grouping header) and its general-ciphering (MAC) wrapper.

Theory of operation (DOMAIN.md §2.1). Every GBCS message is a DLMS *general-signing* APDU::

    DF | 09 CRA counter(8) | 08 originator(8) | 08 recipient(8) | 00 or 0C date-time(12)
       | len other-information | len content | signature field

where the signature field is ``40`` ‖ r‖s (64 bytes), a null ``00``, or -- in RTDS pre-commands --
missing altogether. A MAC-protected message wraps it in a *general-ciphering* APDU::

    DD 00 00 00 00 00 00 | len | 11 00000000 | <general-signing APDU> | MAC(12)

Strictness: a byte of a frame is either authenticated (the MAC's AAD is the security header and
the whole general-signing APDU; the signature covers the grouping header and content) or checked
here against the one value GBCS allows: the tags, the six empty general-ciphering fields, the
security header, the length bytes (BER, minimal form, each consistent with what follows), the
other-information layout, the signature length byte and the absence of trailing bytes. So a frame
with any byte altered either fails to decode (``CodecError``) or fails authentication.

Decoding never raises anything but ``CodecError`` (with the byte offset) for malformed input;
``decode`` followed by ``encode`` reproduces the input byte for byte (the encoding is canonical).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeAlias

from smetslab.errors import CodecError, InputError
from smetslab.units import EUI64

__all__ = [
    "CRA",
    "OtherInformation",
    "GeneralSigning",
    "GeneralCiphering",
    "Frame",
    "decode",
    "encode",
    "encode_apdu",
    "encode_ciphered",
    "apdu_of",
    "signed_bytes",
    "format_date_time",
    "SECURITY_HEADER",
    "MAC_LENGTH",
    "SIGNATURE_LENGTH",
    "DATE_TIME_LENGTH",
]

GENERAL_CIPHERING_TAG = 0xDD
GENERAL_SIGNING_TAG = 0xDF
# DD, then transaction-id, originator/recipient system titles, date-time, other-information and
# key-info all empty: GBCS carries those in the general-signing APDU inside.
_CIPHERING_HEADER = b"\xdd\x00\x00\x00\x00\x00\x00"
SECURITY_HEADER = b"\x11\x00\x00\x00\x00"
"""Security control 0x11 (authentication only) and a zero invocation counter: the only value GBCS uses."""
MAC_LENGTH = 12
SIGNATURE_LENGTH = 64
DATE_TIME_LENGTH = 12
_TRANSACTION_ID_LENGTH = 9  # CRA flag (1) + originator counter (8)
_MAX_LENGTH = 0xFFFF  # the longest BER form supported here is 82 nnnn
_U64 = 1 << 64


class CRA(enum.IntEnum):
    """The CRA flag, first byte of the transaction-id; also the KDF mode of the MAC key."""

    COMMAND = 1
    RESPONSE = 2
    ALERT = 3


@dataclass(frozen=True, slots=True)
class OtherInformation:
    """The other-information field of the grouping header (DOMAIN.md §2.1).

    ``message_code`` always; then, for messages the Access Control Broker sends or relays on a
    user's behalf, the supplementary remote party ID, optionally its counter, and then either the
    supplementary originator counter or the remote party's DER-encoded KA certificate.
    Wire lengths: 2, 10, 18, 26, or 18 + certificate.
    """

    message_code: int
    supplementary_remote_party_id: EUI64 | None = None
    supplementary_remote_party_counter: int | None = None
    supplementary_originator_counter: int | None = None
    ka_certificate: bytes | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.message_code <= 0xFFFF:
            raise InputError(f"message_code {self.message_code}: expected 0..0xFFFF")
        party, party_counter = self.supplementary_remote_party_id, self.supplementary_remote_party_counter
        orig_counter, cert = self.supplementary_originator_counter, self.ka_certificate
        if party is not None and len(party) != 8:
            raise InputError(f"supplementary_remote_party_id {party.hex()!r}: expected 8 bytes")
        # The layout is positional, so each later item needs all earlier ones.
        if party_counter is not None:
            if party is None:
                raise InputError("supplementary_remote_party_counter: needs supplementary_remote_party_id")
            _check_counter(party_counter, "supplementary_remote_party_counter")
        if orig_counter is not None or cert is not None:
            if party_counter is None:
                raise InputError("supplementary_originator_counter/ka_certificate: need "
                                 "supplementary_remote_party_id and supplementary_remote_party_counter")
            if orig_counter is not None and cert is not None:
                raise InputError("other-information carries a supplementary originator counter OR a "
                                 "KA certificate, not both")
        if orig_counter is not None:
            _check_counter(orig_counter, "supplementary_originator_counter")
        if cert is not None:
            try:
                _check_der_sequence(cert, 0)
            except CodecError as exc:
                raise InputError(f"ka_certificate: not one whole DER SEQUENCE ({exc})") from None

    def encode(self) -> bytes:
        out = self.message_code.to_bytes(2, "big")
        if self.supplementary_remote_party_id is not None:
            out += self.supplementary_remote_party_id
        if self.supplementary_remote_party_counter is not None:
            out += self.supplementary_remote_party_counter.to_bytes(8, "big")
        if self.supplementary_originator_counter is not None:
            out += self.supplementary_originator_counter.to_bytes(8, "big")
        if self.ka_certificate is not None:
            out += self.ka_certificate
        return out


@dataclass(frozen=True, slots=True)
class GeneralSigning:
    """The general-signing APDU (grouping header + content + signature field).

    ``signature`` is the 64-byte raw r‖s, or None when unsigned. ``signature_field`` says whether
    an unsigned APDU carries the null ``00`` (True) or no signature field at all (False, as RTDS
    pre-commands do; only for commands, and only bare, i.e. not inside a general-ciphering wrapper).
    """

    cra: CRA
    originator_counter: int
    originator: EUI64
    recipient: EUI64
    other_information: OtherInformation
    content: bytes
    date_time: bytes | None = None
    signature: bytes | None = None
    signature_field: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.cra, CRA):
            raise InputError(f"cra {self.cra!r}: expected a CRA (COMMAND, RESPONSE or ALERT)")
        _check_counter(self.originator_counter, "originator_counter")
        if len(self.originator) != 8 or len(self.recipient) != 8:
            raise InputError("originator/recipient: expected 8-byte EUI-64s")
        if self.date_time is not None and len(self.date_time) != DATE_TIME_LENGTH:
            raise InputError(f"date_time {self.date_time.hex()!r}: expected {DATE_TIME_LENGTH} bytes or None")
        if len(self.content) > _MAX_LENGTH:
            raise InputError(f"content: {len(self.content)} bytes, at most {_MAX_LENGTH} allowed")
        if self.signature is not None:
            if len(self.signature) != SIGNATURE_LENGTH:
                raise InputError(f"signature: {len(self.signature)} bytes, expected {SIGNATURE_LENGTH} (r‖s)")
            if not self.signature_field:
                raise InputError("signature_field=False (no field) contradicts a present signature")
        elif not self.signature_field and self.cra is not CRA.COMMAND:
            raise InputError("signature_field=False (no field) is only for pre-commands; a response or "
                             "alert carries 00 or a signature")

    @property
    def message_code(self) -> int:
        return self.other_information.message_code


@dataclass(frozen=True, slots=True)
class GeneralCiphering:
    """A MAC-protected message: the general-signing APDU and its 12-byte AES-GCM tag (§2.5)."""

    apdu: GeneralSigning
    mac: bytes

    def __post_init__(self) -> None:
        if len(self.mac) != MAC_LENGTH:
            raise InputError(f"mac: {len(self.mac)} bytes, expected {MAC_LENGTH}")
        if not self.apdu.signature_field:
            raise InputError("a general-ciphering frame needs the signature field (00 or 40‖r‖s) "
                             "in its general-signing APDU")


Frame: TypeAlias = GeneralCiphering | GeneralSigning


def apdu_of(frame: Frame) -> GeneralSigning:
    """The general-signing APDU of a frame (the frame itself when it is not MAC-wrapped)."""
    return frame.apdu if isinstance(frame, GeneralCiphering) else frame


# -- encoding ---------------------------------------------------------------------------------


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    if n < 0x100:
        return bytes((0x81, n))
    if n <= _MAX_LENGTH:
        return bytes((0x82, n >> 8, n & 0xFF))
    raise InputError(f"length {n}: too long for a GBCS frame (at most {_MAX_LENGTH} bytes)")


def _signed_part(apdu: GeneralSigning) -> bytes:
    """From the transaction-id to the last content byte: what the signature covers (§2.4)."""
    other = apdu.other_information.encode()
    return b"".join((
        b"\x09", bytes((apdu.cra,)), apdu.originator_counter.to_bytes(8, "big"),
        b"\x08", apdu.originator, b"\x08", apdu.recipient,
        b"\x00" if apdu.date_time is None else b"\x0c" + apdu.date_time,
        _length(len(other)), other, _length(len(apdu.content)), apdu.content,
    ))


def signed_bytes(apdu: GeneralSigning) -> bytes:
    """The bytes a GBCS signature covers: after the DF tag up to and including the last content byte."""
    return _signed_part(apdu)


def encode_apdu(apdu: GeneralSigning) -> bytes:
    """The general-signing APDU on the wire (DF ... signature field)."""
    if apdu.signature is not None:
        return b"\xdf" + _signed_part(apdu) + b"\x40" + apdu.signature
    return b"\xdf" + _signed_part(apdu) + (b"\x00" if apdu.signature_field else b"")


def encode(frame: Frame) -> bytes:
    """The frame on the wire. ``decode(encode(f)) == f`` and ``encode(decode(b)) == b``."""
    if isinstance(frame, GeneralSigning):
        return encode_apdu(frame)
    return encode_ciphered(encode_apdu(frame.apdu), frame.mac)


def encode_ciphered(apdu_bytes: bytes, mac: bytes) -> bytes:
    """The general-ciphering frame around an already encoded general-signing APDU and its MAC (what
    ``encode(GeneralCiphering(apdu, mac))`` gives, for a caller that has the APDU's bytes at hand)."""
    inner = SECURITY_HEADER + apdu_bytes + mac
    return _CIPHERING_HEADER + _length(len(inner)) + inner


# -- decoding ---------------------------------------------------------------------------------


def decode(data: bytes) -> Frame:
    """Decode one whole frame. Raises CodecError (with the byte offset) for anything malformed."""
    return _decode(data)[0]


def _decode(data: bytes) -> tuple[Frame, int, int, int]:
    """Decode and also return (apdu_start, content_end, apdu_end): the spans the MAC and signature cover."""
    if not isinstance(data, bytes):
        data = bytes(data)
    n = len(data)
    if n == 0:
        raise CodecError("empty frame: expected DD (general-ciphering) or DF (general-signing)", 0)
    tag = data[0]
    if tag == GENERAL_SIGNING_TAG:
        apdu, content_end = _decode_apdu(data, 0, n, bare=True)
        return apdu, 0, content_end, n
    if tag != GENERAL_CIPHERING_TAG:
        raise CodecError(f"frame tag {tag:02X}: expected DD (general-ciphering) or DF (general-signing)", 0)
    if n > 1 and data[1] != 0:
        raise CodecError("general-ciphering with a non-empty transaction-id: a general block transfer (GBT) "
                         "segment, which is not supported; reassemble the blocks first", 1)
    if data[:7] != _CIPHERING_HEADER:
        bad = next((i for i in range(1, min(n, 7)) if data[i] != 0), min(n, 7))
        if bad >= n:
            raise CodecError("general-ciphering header truncated", n)
        raise CodecError(f"general-ciphering header byte {data[bad]:02X}: GBCS requires the transaction-id, "
                         f"system titles, date-time, other-information and key-info to be empty (00)", bad)
    length, i = _read_length(data, 7, n, "ciphered-content length")
    if i + length != n:
        if i + length > n:
            raise CodecError(f"ciphered content truncated: length says {length} bytes, {n - i} present", n)
        raise CodecError(f"{n - i - length} trailing byte(s) after the general-ciphering frame", i + length)
    if data[i:i + 5] != SECURITY_HEADER:
        bad = next(k for k in range(5) if i + k >= n or data[i + k] != SECURITY_HEADER[k])
        if i + bad >= n:
            raise CodecError("security header truncated", n)
        raise CodecError(f"security header byte {data[i + bad]:02X}: GBCS requires 11 00000000 "
                         f"(authentication only, invocation counter 0)", i + bad)
    apdu_start = i + 5
    apdu_end = n - MAC_LENGTH
    if apdu_end <= apdu_start:
        raise CodecError("general-ciphering frame too short for a general-signing APDU and a 12-byte MAC",
                         apdu_start)
    if data[apdu_start] != GENERAL_SIGNING_TAG:
        raise CodecError(f"ciphered content tag {data[apdu_start]:02X}: expected DF (general-signing)",
                         apdu_start)
    apdu, content_end = _decode_apdu(data, apdu_start, apdu_end, bare=False)
    return GeneralCiphering(apdu, data[apdu_end:]), apdu_start, content_end, apdu_end


def _decode_apdu(data: bytes, start: int, end: int, *, bare: bool) -> tuple[GeneralSigning, int]:
    """Decode a general-signing APDU occupying exactly data[start:end]; returns it and content_end."""
    i = start + 1
    if i + 2 + _TRANSACTION_ID_LENGTH + 18 > end:
        raise CodecError("general-signing grouping header truncated", end)
    if data[i] != _TRANSACTION_ID_LENGTH:
        raise CodecError(f"transaction-id length {data[i]:02X}: expected 09 (CRA flag + 8-byte counter)", i)
    cra_byte = data[i + 1]
    if not 1 <= cra_byte <= 3:
        raise CodecError(f"CRA flag {cra_byte:02X}: expected 01 command, 02 response or 03 alert", i + 1)
    counter = int.from_bytes(data[i + 2:i + 10], "big")
    i += 10
    if data[i] != 8:
        raise CodecError(f"originator system title length {data[i]:02X}: expected 08", i)
    originator = bytes.__new__(EUI64, data[i + 1:i + 9])
    i += 9
    if data[i] != 8:
        raise CodecError(f"recipient system title length {data[i]:02X}: expected 08", i)
    recipient = bytes.__new__(EUI64, data[i + 1:i + 9])
    i += 9
    if i >= end:
        raise CodecError("general-signing date-time truncated", end)
    dt_len = data[i]
    if dt_len == 0:
        date_time = None
        i += 1
    elif dt_len == DATE_TIME_LENGTH:
        if i + 13 > end:
            raise CodecError("general-signing date-time truncated", end)
        date_time = data[i + 1:i + 13]
        i += 13
    else:
        raise CodecError(f"date-time length {dt_len:02X}: expected 00 (absent) or 0C", i)
    oi_len, i = _read_length(data, i, end, "other-information length")
    if i + oi_len > end:
        raise CodecError(f"other-information truncated: length says {oi_len} bytes, {end - i} present", end)
    other = _decode_other_information(data, i, oi_len)
    i += oi_len
    content_len, i = _read_length(data, i, end, "content length")
    content_end = i + content_len
    if content_end > end:
        raise CodecError(f"content truncated: length says {content_len} bytes, {end - i} present", end)
    content = data[i:content_end]
    i = content_end
    signature: bytes | None = None
    field = True
    if i == end:
        if not bare:
            raise CodecError("signature field missing inside a general-ciphering frame: expected 00 or 40‖r‖s", i)
        if cra_byte != CRA.COMMAND:
            raise CodecError("signature field missing: only a pre-command (CRA 01) may omit it; "
                             "expected 00 or 40‖r‖s", i)
        field = False  # RTDS pre-commands omit it; DUIS says 00 -- both accepted when bare
    elif data[i] == 0:
        if i + 1 != end:
            raise CodecError(f"{end - i - 1} trailing byte(s) after the null signature", i + 1)
    elif data[i] == SIGNATURE_LENGTH:
        if i + 1 + SIGNATURE_LENGTH != end:
            if i + 1 + SIGNATURE_LENGTH > end:
                raise CodecError(f"signature truncated: {end - i - 1} of {SIGNATURE_LENGTH} bytes present", end)
            raise CodecError(f"{end - i - 1 - SIGNATURE_LENGTH} trailing byte(s) after the signature",
                             i + 1 + SIGNATURE_LENGTH)
        signature = data[i + 1:end]
    else:
        raise CodecError(f"signature length {data[i]:02X}: expected 00 (unsigned) or 40 (64-byte r‖s)", i)
    apdu = GeneralSigning(CRA(cra_byte), counter, originator, recipient, other, content, date_time,
                          signature, field)
    return apdu, content_end


def _decode_other_information(data: bytes, start: int, length: int) -> OtherInformation:
    if length < 2:
        raise CodecError(f"other-information length {length}: expected at least the 2-byte message code", start)
    code = (data[start] << 8) | data[start + 1]
    if length == 2:
        return OtherInformation(code)
    p = start + 2
    if length == 10:
        return OtherInformation(code, bytes.__new__(EUI64, data[p:p + 8]))
    if length < 18:
        raise CodecError(f"other-information length {length}: expected 2, 10, 18, 26 or 18 + a DER certificate",
                         start)
    party = bytes.__new__(EUI64, data[p:p + 8])
    party_counter = int.from_bytes(data[p + 8:p + 16], "big")
    p += 16
    if length == 18:
        return OtherInformation(code, party, party_counter)
    if length == 26:
        return OtherInformation(code, party, party_counter, int.from_bytes(data[p:p + 8], "big"))
    end = start + length
    _check_der_sequence(data[p:end], p)
    return OtherInformation(code, party, party_counter, None, data[p:end])


def _check_der_sequence(der: bytes, offset: int) -> None:
    """A DER SEQUENCE (an X.509 certificate) spanning exactly ``der``, with a minimal long-form length."""
    n = len(der)
    if n < 3 or der[0] != 0x30:
        raise CodecError("other-information: expected a supplementary originator counter (8 bytes) or a DER "
                         "certificate (SEQUENCE, 30 ...)", offset)
    form = der[1]
    if form == 0x81 and n >= 3:
        body, head = der[2], 3
        minimal = body >= 0x80
    elif form == 0x82 and n >= 4:
        body, head = (der[2] << 8) | der[3], 4
        minimal = body >= 0x100
    else:
        raise CodecError(f"other-information certificate length form {form:02X}: expected 81 nn or 82 nnnn",
                         offset + 1)
    if not minimal:
        raise CodecError("other-information certificate: non-minimal DER length", offset + 1)
    if head + body != n:
        raise CodecError(f"other-information certificate: DER length {body} does not fill the remaining "
                         f"{n - head} bytes", offset + 1)


def _read_length(data: bytes, i: int, end: int, what: str) -> tuple[int, int]:
    """A BER length at data[i] in minimal form: nn (< 80), 81 nn (80..FF), 82 nnnn (100..FFFF)."""
    if i >= end:
        raise CodecError(f"{what} missing (truncated)", i)
    b = data[i]
    if b < 0x80:
        return b, i + 1
    if b == 0x81:
        if i + 2 > end:
            raise CodecError(f"{what} truncated", end)
        v = data[i + 1]
        if v < 0x80:
            raise CodecError(f"{what} 81 {v:02X}: not minimal, a length below 128 takes the short form", i)
        return v, i + 2
    if b == 0x82:
        if i + 3 > end:
            raise CodecError(f"{what} truncated", end)
        v = (data[i + 1] << 8) | data[i + 2]
        if v < 0x100:
            raise CodecError(f"{what} 82 {v:04X}: not minimal, a length below 256 takes the form 81 nn", i)
        return v, i + 3
    raise CodecError(f"{what} byte {b:02X}: allowed forms are nn (00-7F), 81 nn and 82 nnnn", i)


def _check_counter(value: int, field: str) -> None:
    if not isinstance(value, int) or not 0 <= value < _U64:
        raise InputError(f"{field} {value!r}: expected an integer 0..2^64-1")


# -- display ----------------------------------------------------------------------------------


def format_date_time(value: bytes) -> str:
    """A 12-byte DLMS date-time as ``YYYY-MM-DD HH:MM:SS.hh`` plus deviation and clock status.

    ``FF``/``FFFF`` ("not specified") fields print as ``*``. For display only; it never fails.
    """
    if len(value) != DATE_TIME_LENGTH:
        return value.hex().upper()
    year = int.from_bytes(value[0:2], "big")
    month, day, _dow, hour, minute, second, hundredths = value[2:9]

    def f(v: int, width: int, unspecified: int = 0xFF) -> str:
        return "*" * width if v == unspecified else f"{v:0{width}d}"

    text = (f"{f(year, 4, 0xFFFF)}-{f(month, 2)}-{f(day, 2)} "
            f"{f(hour, 2)}:{f(minute, 2)}:{f(second, 2)}.{f(hundredths, 2)}")
    deviation = int.from_bytes(value[9:11], "big", signed=True)
    if deviation != -0x8000:  # 0x8000: deviation not specified
        text += f" deviation {deviation} min"
    return text + f" status {value[11]:02X}"
