"""Hex text typed or pasted by a user (the CLI's `gbcs` commands, the workbench's GBCS tools) to bytes."""

from __future__ import annotations

import re

from smetslab.errors import InputError

__all__ = ["HEX_DIGITS", "WHITESPACE", "parse_hex"]

HEX_DIGITS = re.compile(r"[0-9A-Fa-f]*")
WHITESPACE = re.compile(r"\s+")


def parse_hex(text: str, field: str) -> bytes:
    """Hex text (whitespace ignored, optional 0x) to bytes; InputError naming ``field`` and what is wrong."""
    compact = WHITESPACE.sub("", text)
    if compact[:2].lower() == "0x":
        compact = compact[2:]
    if not compact:
        raise InputError(f"{field}: empty; expected the message as hex digits")
    if not HEX_DIGITS.fullmatch(compact):
        bad = next(c for c in compact if c not in "0123456789abcdefABCDEF")
        raise InputError(f"{field}: {bad!r} is not a hex digit; expected hex digits 0-9 A-F (whitespace allowed)")
    if len(compact) % 2:
        raise InputError(f"{field}: odd number of hex digits ({len(compact)}); a message is whole bytes")
    return bytes.fromhex(compact)
