"""Small value types shared by every layer: EUI-64 identifiers, money in pence, simulated time."""

from __future__ import annotations

import re
from typing import NewType

from smetslab.errors import InputError

__all__ = ["EUI64", "Pence", "SimTime", "parse_eui"]

Pence = NewType("Pence", int)
"""Money is always integer pence: float sums drift and the IHD would disagree with the meter."""

SimTime = NewType("SimTime", float)
"""Simulated time in seconds since the start of a run (the emulator's virtual clock)."""

_SEPARATORS = re.compile(r"[\s\-:]")
_HEX16 = re.compile(r"[0-9A-Fa-f]{16}")


class EUI64(bytes):
    """An 8-byte IEEE EUI-64 (GBCS entity identifier). Prints as 16 upper-case hex digits."""

    def __new__(cls, value: bytes | bytearray | str) -> EUI64:
        if isinstance(value, str):
            return parse_eui(value)
        if len(value) != 8:
            raise InputError(f"EUI-64 {bytes(value).hex()!r}: is {len(value)} bytes, expected 8")
        return super().__new__(cls, bytes(value))

    def __str__(self) -> str:
        return self.hex().upper()

    def __repr__(self) -> str:
        return f"EUI64('{self.hex().upper()}')"

    @property
    def dashed(self) -> str:
        """The form printed on devices: ``00-DB-12-34-...``."""
        h = self.hex().upper()
        return "-".join(h[i : i + 2] for i in range(0, 16, 2))


def parse_eui(text: str | bytes | EUI64, field: str = "EUI") -> EUI64:
    """Parse an EUI-64 written as 16 hex digits, with or without ``-``, ``:`` or spaces.

    Raises InputError naming ``field`` when the text is not 16 hex digits.
    """
    if isinstance(text, EUI64):
        return text
    if isinstance(text, bytes | bytearray):
        if len(text) != 8:
            raise InputError(f"{field} {bytes(text).hex()!r}: is {len(text)} bytes, expected 8")
        return bytes.__new__(EUI64, bytes(text))
    compact = _SEPARATORS.sub("", text)
    if not _HEX16.fullmatch(compact):
        raise InputError(
            f"{field} {text!r}: expected 16 hex digits (separators '-', ':' or spaces allowed), "
            f"e.g. 00DB1234567890A0"
        )
    return bytes.__new__(EUI64, bytes.fromhex(compact))
