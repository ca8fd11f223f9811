"""ZigBee install code -> pre-configured link key (DOMAIN.md §3.2).

A HAN device's install code (6, 8, 12 or 16 bytes; GB DUIS examples use 16) is extended with its
CRC-16/X-25, appended low byte first, and hashed with AES-MMO (Matyas-Meyer-Oseas over AES-128)
to give the 16-byte link key the device uses to join the Comms Hub.

Codes are often written with the CRC already appended (8/10/14/18 bytes). Eight bytes is ambiguous
(an 8-byte code, or a 6-byte code plus CRC): in ``auto`` mode it is read as 6 + CRC only when those
last two bytes are the CRC of the first six, otherwise as an 8-byte code; pass ``with_crc`` to say
which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smetslab.errors import InputError
from smetslab.gbcs import crypto

__all__ = ["InstallCode", "crc_x25", "aes_mmo_hash", "parse_install_code", "link_key"]

CODE_LENGTHS = (6, 8, 12, 16)
_SEPARATORS = re.compile(r"[\s\-:]")
_HEX = re.compile(r"[0-9A-Fa-f]*")


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1  # 0x8408 = 0x1021 reflected
        table.append(crc)
    return tuple(table)


_TABLE = _crc_table()


def crc_x25(data: bytes) -> int:
    """CRC-16/X-25 (reflected poly 0x1021, init 0xFFFF, final XOR 0xFFFF); check("123456789") = 0x906E."""
    crc = 0xFFFF
    for b in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFF


def aes_mmo_hash(message: bytes) -> bytes:
    """ZigBee AES-MMO hash (ZigBee specification Annex B.6): H0 = 0^16; H = AES_H(M) xor M per 16-byte block.

    Padding: 0x80, zeros, then the message length in bits as 16 bits big-endian in the last two
    bytes of the final block (a whole extra block when fewer than 3 bytes remain).
    """
    bit_length = 8 * len(message)
    if bit_length >= 1 << 16:
        raise InputError(f"AES-MMO input of {len(message)} bytes: at most 8191 bytes supported")
    padded = bytearray(message) + b"\x80"
    while len(padded) % 16 != 14:
        padded.append(0)
    padded += bit_length.to_bytes(2, "big")
    h = bytes(16)
    for i in range(0, len(padded), 16):
        block = bytes(padded[i : i + 16])
        enc = crypto.aes_ecb_encrypt_block(h, block)
        h = bytes(a ^ b for a, b in zip(enc, block, strict=True))
    return h


@dataclass(frozen=True, slots=True)
class InstallCode:
    """An install code without its CRC, and the CRC value (as an integer; on the wire low byte first)."""

    code: bytes
    crc: int

    @property
    def with_crc(self) -> bytes:
        return self.code + self.crc.to_bytes(2, "little")

    @property
    def link_key(self) -> bytes:
        return aes_mmo_hash(self.with_crc)


def parse_install_code(text: str | bytes, with_crc: bool | None = None) -> InstallCode:
    """Parse an install code given as hex text (separators ' ', '-', ':' allowed) or bytes.

    Accepts 6/8/12/16 bytes without a CRC, or 8/10/14/18 bytes with the CRC appended (low byte
    first), which is checked. ``with_crc`` = None decides by length (see module doc for 8 bytes).
    Raises InputError naming the problem and, for a CRC mismatch, the expected CRC.
    """
    shown = text if isinstance(text, str) else bytes(text).hex().upper()
    if isinstance(text, str):
        compact = _SEPARATORS.sub("", text)
        if not _HEX.fullmatch(compact) or len(compact) % 2:
            raise InputError(f"install code {text!r}: expected hex digits (an even number; separators "
                             f"' ', '-', ':' allowed), e.g. 83FED3407A939723A5C639B26916D505")
        raw = bytes.fromhex(compact)
    else:
        raw = bytes(text)
    n = len(raw)
    if with_crc is None:
        if n in (10, 14, 18):
            with_crc = True
        elif n == 8:  # 6-byte code + CRC, or an 8-byte code: the CRC decides
            with_crc = crc_x25(raw[:6]) == int.from_bytes(raw[6:], "little")
        else:
            with_crc = False
    allowed = "6, 8, 12 or 16 bytes, or 8, 10, 14 or 18 with the 2-byte CRC appended"
    if with_crc:
        if n - 2 not in CODE_LENGTHS:
            raise InputError(f"install code {shown!r}: is {n} bytes with CRC; expected {allowed}")
        code, given = raw[:-2], int.from_bytes(raw[-2:], "little")
        expected = crc_x25(code)
        if given != expected:
            raise InputError(
                f"install code {shown!r}: CRC is {raw[-2:].hex().upper()}, expected "
                f"{expected.to_bytes(2, 'little').hex().upper()} (CRC-16/X-25 0x{expected:04X}, low "
                f"byte first); check for a mistyped digit")
        return InstallCode(code, expected)
    if n not in CODE_LENGTHS:
        raise InputError(f"install code {shown!r}: is {n} bytes; expected {allowed}")
    return InstallCode(raw, crc_x25(raw))


def link_key(text: str | bytes, with_crc: bool | None = None) -> bytes:
    """The 16-byte ZigBee link key for an install code (see ``parse_install_code`` for the input)."""
    return parse_install_code(text, with_crc).link_key
