"""A bounds-checked byte cursor, and small helpers, shared by the payload codecs.

Every read that would run past the end raises ``CodecError`` with the offset where the missing
bytes were expected, so truncated or random input never escapes as IndexError/struct.error.
Offsets are reported relative to ``base`` (the caller's position of byte 0, e.g. where the
content starts inside the whole GBCS frame).
"""

from __future__ import annotations

from typing import Any

from smetslab.errors import CodecError


class Reader:
    __slots__ = ("buf", "pos", "end", "base")

    def __init__(self, buf: bytes, pos: int = 0, end: int | None = None, base: int = 0) -> None:
        self.buf = buf
        self.pos = pos
        self.end = len(buf) if end is None else end
        self.base = base

    def error(self, message: str, at: int | None = None) -> CodecError:
        return CodecError(message, self.base + (self.pos if at is None else at))

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def at_end(self) -> bool:
        return self.pos >= self.end

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > self.end:
            raise self.error(f"truncated {what}: need {n} bytes, {self.end - self.pos} left")
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self, what: str) -> int:
        if self.pos >= self.end:
            raise self.error(f"truncated {what}: need 1 byte, 0 left")
        v = self.buf[self.pos]
        self.pos += 1
        return v

    def peek(self, what: str) -> int:
        if self.pos >= self.end:
            raise self.error(f"truncated {what}: need 1 byte, 0 left")
        return self.buf[self.pos]

    def uint_be(self, n: int, what: str) -> int:
        return int.from_bytes(self.take(n, what), "big")

    def uint_le(self, n: int, what: str) -> int:
        return int.from_bytes(self.take(n, what), "little")

    def int_be(self, n: int, what: str) -> int:
        return int.from_bytes(self.take(n, what), "big", signed=True)

    def int_le(self, n: int, what: str) -> int:
        return int.from_bytes(self.take(n, what), "little", signed=True)

    def rest(self) -> bytes:
        out = self.buf[self.pos : self.end]
        self.pos = self.end
        return out

    def sub(self, n: int, what: str) -> Reader:
        """A reader over the next ``n`` bytes (consumed from this one)."""
        if n < 0 or self.pos + n > self.end:
            raise self.error(f"{what} length {n} runs past the end ({self.end - self.pos} bytes left)")
        r = Reader(self.buf, self.pos, self.pos + n, self.base)
        self.pos += n
        return r

    def expect_end(self, what: str) -> None:
        if self.pos != self.end:
            raise self.error(f"{self.end - self.pos} unexpected trailing bytes after {what}")

    def axdr_length(self, what: str) -> int:
        """A-XDR / BER definite length in its minimal form (``nn``, ``81 nn``, ``82 nnnn``...).

        A-XDR lengths are canonical, so a non-minimal form is refused: accepting it would make
        decode -> encode change the bytes.
        """
        start = self.pos
        first = self.u8(f"{what} length")
        if first < 0x80:
            return first
        n = first & 0x7F
        if n == 0 or n > 4:
            raise self.error(f"{what} length: unsupported length form 0x{first:02X}", start)
        value = self.uint_be(n, f"{what} length")
        if value < 0x80 or value < (1 << (8 * (n - 1))):
            raise self.error(f"{what} length: non-minimal encoding of {value}", start)
        return value


def axdr_length_bytes(n: int) -> bytes:
    """Minimal A-XDR/BER length octets for ``n``."""
    if n < 0:
        raise ValueError(f"negative length {n}")
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def enum_title(enum_cls: Any, value: int) -> str:
    """The ``title`` of ``value`` in a ``codes`` enum, or ``unknown (value)``, for the JSON views."""
    try:
        return str(enum_cls(value).title)
    except ValueError:
        return f"unknown ({value})"
