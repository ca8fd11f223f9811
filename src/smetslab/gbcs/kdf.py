"""GBCS key derivation (DOMAIN.md §2.5): OtherInfo and the NIST SP800-56A one-step KDF.

A MAC or payload-encryption key is the first 16 bytes of SHA-256(00000001 ‖ Z ‖ OtherInfo), Z
being the static-static ECDH secret of two KA keys. OtherInfo binds the key to one message:
AlgorithmID ‖ originator ‖ 09 ‖ mode ‖ counter ‖ recipient (33 bytes).
"""

from __future__ import annotations

import enum

from smetslab.errors import InputError
from smetslab.gbcs import crypto

__all__ = ["KDFMode", "ALGORITHM_ID", "other_info", "derive_key"]

ALGORITHM_ID = bytes.fromhex("60857406080300")
"""The GBCS AlgorithmID (7 bytes) at the start of OtherInfo."""

_U64 = 1 << 64


class KDFMode(enum.IntEnum):
    """The mode byte of OtherInfo: the CRA flag for MAC keys, 04 for payload encryption."""

    COMMAND = 1
    RESPONSE = 2
    ALERT = 3
    PAYLOAD_ENCRYPTION = 4


def other_info(originator: bytes, mode: int, counter: int, recipient: bytes) -> bytes:
    """The 33-byte OtherInfo. Raises InputError for a wrong-sized EUI, mode or counter."""
    if len(originator) != 8 or len(recipient) != 8:
        raise InputError("OtherInfo: originator and recipient must be 8-byte EUI-64s")
    if not 1 <= mode <= 4:
        raise InputError(f"OtherInfo mode {mode}: expected 1 command, 2 response, 3 alert or 4 payload")
    if not 0 <= counter < _U64:
        raise InputError(f"OtherInfo counter {counter}: expected 0..2^64-1")
    return b"".join((ALGORITHM_ID, originator, b"\x09", bytes((mode,)), counter.to_bytes(8, "big"), recipient))


def derive_key(z: bytes, info: bytes) -> bytes:
    """The 16-byte AES key from the ECDH secret ``z`` and ``info`` (see ``other_info``)."""
    return crypto.kdf_one_step_sha256(z, info, 16)
