"""UTRN: the 20-digit prepayment top-up code (GBCS section 14; DOMAIN.md §1).

Theory of operation. A supplier turns (counter, value class, value) into a 64-bit PTUT whose high
32 bits are ``0000000 | ctr10 | class | value`` (7 zero lead bits, the counter's bits 32..41, a
2-bit value class, a 13-bit value) and whose low 32 bits are the last 4 bytes of an AES-GCM tag
keyed by ECDH(supplier prepayment KA key, meter KA key). The PTUT plus a fixed offset is printed as
19 decimal digits (the PPTD) followed by a GBCS-variant Verhoeff check digit.

The MAC covers the *full* 64-bit counter, but only 10 of its bits travel in the code, so a meter
that receives a UTRN on its keypad must reconstruct the rest (``reconstruct_counter``). Nothing in
the sources pins that rule down (DOMAIN.md §1.9, open question 1); two policies are offered:

- ``"low32_zero"`` (default): counter = ctr10 << 32. Matches every vector, RTDS and SmartDCC's
  tools, which require the low 32 bits to be zero and counters below 2**42.
- ``"track_high_bits"``: our proposal for counters above 2**42 (e.g. SmartDCC's "epoch" mode):
  keep bits 42..63 of the highest counter the meter accepted and bump them when ctr10 wraps.

Meter-side order (DOMAIN.md §5.3) implemented by ``verify``: length/digits -> check digit ->
PPTD >= offset -> reconstruct counter -> MAC. Counter cache, lockout and value limits come after,
in the meter's state machine. Bad format raises InputError; a MAC mismatch raises the terse
``AuthenticationError("UTRN")`` (a wrong meter or supplier looks exactly like a forged code).
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass
from typing import Literal

from smetslab.errors import AuthenticationError, InputError
from smetslab.gbcs import crypto
from smetslab.gbcs.kdf import ALGORITHM_ID, KDFMode, other_info
from smetslab.gbcs.keystore import KeyId, Keystore, KeyUsage
from smetslab.units import EUI64, parse_eui

__all__ = [
    "PPTD_OFFSET",
    "MAX_VALUE",
    "ValueClass",
    "CounterPolicy",
    "DecodedUTRN",
    "VerifiedUTRN",
    "issue",
    "decode",
    "verify",
    "reconstruct_counter",
    "check_digit",
    "parse_value_class",
    "mac_inputs",
    "MACInputs",
    "COUNTER_POLICIES",
]

PPTD_OFFSET = 7_394_156_990_786_306_048
"""PPTD = PTUT + this offset (0x669D529B714A0000), GBCS 14; so every valid UTRN starts 739..753."""

MAX_VALUE = 0x1FFF  # 13-bit value field
_MAX_PTUT = (1 << 57) - 1  # the 7 lead bits 63..57 are zero in every source
MAX_PPTD = PPTD_OFFSET + _MAX_PTUT
_U64 = (1 << 64) - 1

# GBCS 14.8a (permutation), 14.8b (dihedral D5 multiplication), 14.8c ("inverse"). P and D equal
# the classic Verhoeff tables; I does NOT (classic is 0,4,3,2,1,5,6,7,8,9) - the trap of this code.
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_I = (1, 2, 6, 7, 5, 8, 3, 0, 9, 4)

# Per position i (left to right) one step table: acc -> digit -> D[acc][P[(4 + i) mod 8][digit]].
# Same algorithm as DOMAIN.md §1.4, folded so bulk verification does one lookup per digit.
_STEPS = tuple(tuple(tuple(_D[acc][_P[(4 + i) % 8][d]] for d in range(10)) for acc in range(10))
               for i in range(19))
_DIGIT_VALUE = bytes.maketrans(b"0123456789", bytes(range(10)))

_CRA_COMMAND = 0x01  # a UTRN MAC is keyed exactly like a GBCS command MAC (DOMAIN.md §1.5 step 3)
_AAD_PREFIX = bytes.fromhex("110000000000")
_SEPARATORS = re.compile(r"[\s\-]")


class ValueClass(enum.IntEnum):
    """PTUT bits 46..45. Classes 2 and 3 are not defined by any source we have (DOMAIN.md §6 q2)."""

    PENNIES = 0  # value in 1/100 currency units
    POUNDS = 1  # value in whole currency units

    @property
    def label(self) -> str:
        return self.name.lower()


CounterPolicy = Literal["low32_zero", "track_high_bits"]
COUNTER_POLICIES: tuple[CounterPolicy, ...] = ("low32_zero", "track_high_bits")


@dataclass(frozen=True, slots=True)
class DecodedUTRN:
    """What a UTRN says without any key: the fields of its PTUT."""

    utrn: str  # the 20 digits, separators removed
    pptd: int
    check_digit: int
    ptut: int
    ctr10: int  # counter bits 32..41
    value_class: ValueClass
    value: int  # in the unit of value_class
    value_pence: int
    mac32: int  # low 32 bits of the PTUT: tag bytes 12..15

    @property
    def hi32(self) -> int:
        return self.ptut >> 32


@dataclass(frozen=True, slots=True)
class VerifiedUTRN:
    """A UTRN whose MAC verified for (supplier, meter) under the full 64-bit ``counter``."""

    decoded: DecodedUTRN
    supplier: EUI64
    meter: EUI64
    counter: int

    @property
    def utrn(self) -> str:
        return self.decoded.utrn

    @property
    def value_class(self) -> ValueClass:
        return self.decoded.value_class

    @property
    def value(self) -> int:
        return self.decoded.value

    @property
    def value_pence(self) -> int:
        return self.decoded.value_pence


# -- check digit ---------------------------------------------------------------------------------
def check_digit(pptd_digits: str) -> int:
    """GBCS-variant Verhoeff check digit of the 19 PPTD digits (GBCS 14.8; DOMAIN.md §1.4)."""
    if len(pptd_digits) != 19 or not pptd_digits.isascii() or not pptd_digits.isdigit():
        raise InputError(f"PPTD {pptd_digits!r}: expected 19 decimal digits")
    acc = 0
    for step, d in zip(_STEPS, pptd_digits.encode().translate(_DIGIT_VALUE), strict=True):
        acc = step[acc][d]
    return _I[acc]


# -- field checks shared by issue and verify ---------------------------------------------------
def parse_value_class(value_class: object) -> ValueClass:
    """'pennies'/'pounds' (any case), 0/1 or a ValueClass. Raises InputError otherwise."""
    if isinstance(value_class, ValueClass):
        return value_class
    if isinstance(value_class, str):
        try:
            return ValueClass[value_class.strip().upper()]
        except KeyError:
            pass
    elif isinstance(value_class, int) and not isinstance(value_class, bool) and value_class in (0, 1):
        return ValueClass(value_class)
    raise InputError(f"value_class {value_class!r}: expected 'pennies' (class 00) or 'pounds' (class 01)")


def _check_int(name: str, value: object, low: int, high: int, hint: str = "") -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InputError(f"{name} {value!r}: expected an integer {low}..{high}{hint}")
    if not low <= value <= high:
        raise InputError(f"{name} {value}: out of range, allowed {low}..{high}{hint}")
    return value


def _check_counter(counter: object) -> int:
    return _check_int("counter", counter, 0, _U64, " (64-bit originator counter)")


@functools.lru_cache(maxsize=4096)
def _parse_eui_text(text: str, field: str) -> EUI64:
    return parse_eui(text, field)


def _eui(value: EUI64 | str, field: str) -> EUI64:
    # Bulk issuing parses the same few EUIs again and again; the regex is a visible share of the time.
    return _parse_eui_text(value, field) if isinstance(value, str) else parse_eui(value, field)


def _hi32(ctr10: int, value_class: ValueClass, value: int) -> int:
    return (ctr10 << 15) | (int(value_class) << 13) | value


# -- MAC ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MACInputs:
    """The intermediate values of the UTRN MAC (DOMAIN.md §1.5), exposed for tests and docs."""

    hi32: int
    other_info: bytes  # 33 bytes, KDF OtherInfo as for a GBCS command
    key: bytes  # 16-byte AES key
    iv: bytes  # supplier EUI || 00000000
    aad: bytes  # 35 bytes
    tag: bytes  # full 16-byte GCM tag; the PTUT keeps tag[12:16]


def _other_info(supplier: bytes, meter: bytes, counter: int) -> bytes:
    # The UTRN key is derived exactly as for a GBCS command MAC (DOMAIN.md §1.5 step 3).
    return other_info(supplier, KDFMode.COMMAND, counter, meter)


@functools.lru_cache(maxsize=4096)
def _key_ids(supplier: EUI64, meter: EUI64) -> tuple[KeyId, KeyId]:
    return KeyId(supplier, KeyUsage.KA, prepayment=True), KeyId(meter, KeyUsage.KA)


def _z(keystore: Keystore, supplier: EUI64, meter: EUI64) -> bytes:
    # Supplier side: supplier's prepayment KA private x meter KA public; meter side the reverse.
    # Keystore.agree picks whichever private key it holds and caches Z per pair.
    return keystore.agree(*_key_ids(supplier, meter))


def mac_inputs(keystore: Keystore, supplier: EUI64 | str, meter: EUI64 | str, counter: int,
               hi32: int) -> MACInputs:
    """All intermediate values of the UTRN MAC for the given PTUT high dword and full counter."""
    s = _eui(supplier, "supplier")
    m = _eui(meter, "meter")
    c = _check_counter(counter)
    other_info = _other_info(s, m, c)
    key = crypto.kdf_one_step_sha256(_z(keystore, s, m), other_info)
    iv = bytes(s) + b"\x00\x00\x00\x00"
    aad = _AAD_PREFIX + s + m + bytes((_CRA_COMMAND,)) + c.to_bytes(8, "big") + hi32.to_bytes(4, "big")
    return MACInputs(hi32, other_info, key, iv, aad, crypto.gcm_tag(key, iv, aad))


def _mac32(z: bytes, supplier: bytes, meter: bytes, counter: int, hi32: int) -> bytes:
    c8 = counter.to_bytes(8, "big")
    key = crypto.kdf_one_step_sha256(
        z, ALGORITHM_ID + supplier + b"\x09\x01" + c8 + meter)
    aad = _AAD_PREFIX + supplier + meter + b"\x01" + c8 + hi32.to_bytes(4, "big")
    tag = crypto.gcm_tag(key, supplier + b"\x00\x00\x00\x00", aad)
    return tag[12:16]  # the LAST 4 bytes, not GCM's usual truncation


def _render(ptut: int) -> str:
    digits = str(PPTD_OFFSET + ptut)
    return digits + chr(48 + check_digit(digits))


# -- public API -----------------------------------------------------------------------------------
def issue(keystore: Keystore, *, supplier: EUI64 | str, meter: EUI64 | str, counter: int, value: int,
          value_class: ValueClass | str = "pennies") -> str:
    """Issue a 20-digit UTRN (supplier side).

    ``counter`` is the full 64-bit originator counter (it all goes into the MAC; only bits 32..41
    travel in the code). ``value`` is 0..8191 in the unit of ``value_class``.
    Raises InputError for a bad field, KeyNotFoundError when a key is missing.
    """
    s = _eui(supplier, "supplier")
    m = _eui(meter, "meter")
    c = _check_counter(counter)
    v = _check_int("value", value, 0, MAX_VALUE, " (13-bit UTRN value; use class 'pounds' for more than 8191 pence)")
    vc = parse_value_class(value_class)
    hi32 = _hi32((c >> 32) & 0x3FF, vc, v)
    mac32 = _mac32(_z(keystore, s, m), s, m, c, hi32)
    return _render((hi32 << 32) | int.from_bytes(mac32, "big"))


def _normalise(code: str) -> str:
    if not isinstance(code, str):
        raise InputError(f"UTRN {code!r}: expected a string of 20 decimal digits")
    if len(code) == 20 and code.isascii() and code.isdigit():
        return code  # the usual case, checked without the regex
    digits = _SEPARATORS.sub("", code)
    for i, ch in enumerate(digits):
        if not ("0" <= ch <= "9"):
            raise InputError(f"UTRN {code!r}: character {ch!r} at position {i + 1} is not a digit; "
                             f"a UTRN is 20 decimal digits (spaces or hyphens between groups allowed)")
    if len(digits) != 20:
        raise InputError(f"UTRN {code!r}: has {len(digits)} digits, must be 20 "
                         f"(spaces or hyphens between groups allowed)")
    return digits


def decode(code: str) -> DecodedUTRN:
    """Decode a UTRN without keys. Raises InputError naming the problem (DOMAIN.md §1.3, §1.4, §1.8)."""
    digits = _normalise(code)
    expected = check_digit(digits[:19])
    if int(digits[19]) != expected:
        raise InputError(f"UTRN {code!r}: check digit is {digits[19]}, expected {expected} for the first "
                         f"19 digits; check for a mistyped digit")
    pptd = int(digits[:19])
    if pptd < PPTD_OFFSET:
        raise InputError(f"UTRN {code!r}: PPTD {pptd} is below the GBCS offset {PPTD_OFFSET}; "
                         f"a valid UTRN starts with 739..753")
    ptut = pptd - PPTD_OFFSET
    if ptut > _MAX_PTUT:
        raise InputError(f"UTRN {code!r}: PTUT lead bits 63..57 are {ptut >> 57:07b}, must be zero "
                         f"(largest valid PPTD is {MAX_PPTD})")
    hi32 = ptut >> 32
    class_bits = (hi32 >> 13) & 0x3
    if class_bits not in (0, 1):
        raise InputError(f"UTRN {code!r}: value class {class_bits:02b} is not defined; allowed are "
                         f"00 (pennies) and 01 (pounds)")
    vc = ValueClass(class_bits)
    value = hi32 & MAX_VALUE
    return DecodedUTRN(
        utrn=digits, pptd=pptd, check_digit=expected, ptut=ptut, ctr10=(hi32 >> 15) & 0x3FF,
        value_class=vc, value=value, value_pence=value if vc is ValueClass.PENNIES else value * 100,
        mac32=ptut & 0xFFFFFFFF,
    )


def reconstruct_counter(ctr10: int, highest_accepted: int | None = None,
                        policy: CounterPolicy | str = "low32_zero") -> int:
    """The full 64-bit counter a meter assumes for a keypad UTRN carrying ``ctr10`` (DOMAIN.md §1.9).

    ``"low32_zero"``: ctr10 << 32 (RTDS / SmartDCC convention; ``highest_accepted`` is ignored).
    ``"track_high_bits"``: bits 42..63 of ``highest_accepted`` | ctr10 << 32, with bits 42..63 bumped
    by one when ctr10 is below the highest accepted counter's ctr10 (a 10-bit wrap). Without a
    highest accepted counter it falls back to ctr10 << 32. The low 32 bits are zero either way.
    """
    ctr10 = _check_int("ctr10", ctr10, 0, 0x3FF)
    if policy == "low32_zero":
        return ctr10 << 32
    if policy != "track_high_bits":
        raise InputError(f"counter policy {policy!r}: allowed are {', '.join(COUNTER_POLICIES)}")
    if highest_accepted is None:
        return ctr10 << 32
    highest = _check_int("highest_accepted", highest_accepted, 0, _U64)
    high = highest >> 42
    if ctr10 < (highest >> 32) & 0x3FF:
        high += 1  # the 10 bits wrapped since the highest accepted counter
        if high >> 22:
            raise InputError(f"highest_accepted {highest:#x}: counter space exhausted, no 64-bit counter "
                             f"above it carries ctr10 {ctr10}")
    return (high << 42) | (ctr10 << 32)


def verify(keystore: Keystore, code: str, *, supplier: EUI64 | str, meter: EUI64 | str,
           counter: int | None = None, highest_accepted: int | None = None,
           policy: CounterPolicy | str = "low32_zero") -> VerifiedUTRN:
    """Check a UTRN as the meter does, up to and including the MAC (DOMAIN.md §5.3).

    ``counter`` is the full counter when the caller knows it (e.g. the GBCS header counter of a
    CS01a/CS01b command); otherwise it is reconstructed from ctr10 by ``policy`` (see
    ``reconstruct_counter``). Raises InputError for a malformed code or bad argument,
    KeyNotFoundError for a missing key, ``AuthenticationError("UTRN")`` when the MAC does not verify
    (including a given counter whose bits 32..41 disagree with the code).
    """
    s = _eui(supplier, "supplier")
    m = _eui(meter, "meter")
    fields = decode(code)
    if counter is None:
        full = reconstruct_counter(fields.ctr10, highest_accepted, policy)
    else:
        full = _check_counter(counter)
        if (full >> 32) & 0x3FF != fields.ctr10:
            # The MAC would fail too; refusing here guarantees a VerifiedUTRN's counter always
            # carries the code's ctr10, whatever the MAC.
            raise AuthenticationError("UTRN")
    expected = _mac32(_z(keystore, s, m), s, m, full, fields.hi32)
    if not crypto.constant_time_equal(expected, fields.mac32.to_bytes(4, "big")):
        raise AuthenticationError("UTRN")
    return VerifiedUTRN(decoded=fields, supplier=s, meter=m, counter=full)
