"""GBCS message security: MACs, signatures, protected (encrypted) payloads, and a one-call check.

Theory of operation (DOMAIN.md §2.4-§2.6).

- MAC (general-ciphering): AES-128-GCM over an empty plaintext, IV = originator ‖ 00000000,
  AAD = 11 00000000 00 ‖ the whole general-signing APDU, tag truncated to 12 bytes. The key comes
  from the KDF (``kdf``) with mode = CRA flag and OtherInfo built from the grouping header.
- Which two KA keys meet in the ECDH (ECDH is symmetric: the keystore uses whichever private key
  it holds, so the same code serves the sender and the receiver):

  * command  -> the Access Control Broker's KA x the recipient device's KA. Remote parties never
    MAC their own commands: the DCC's ACB does, whoever the grouping header names as originator.
  * response, alert -> the originating device's KA x the recipient's KA.
  * device-to-device commands (PCS01/PCS02, PPMID -> GSME) -> originator KA x recipient KA
    (DOMAIN.md §2.5 marks this as inferred; the RTDS holds no device private key to confirm it).

- Signature: ECDSA P-256/SHA-256 by the originator's DS key over the grouping header and content
  (after DF up to the last content byte), carried as 40 ‖ r‖s.
- Protected payloads: blocks ``31 00000000 ‖ ciphertext ‖ tag(12)`` inside the content, keyed with
  KDF mode 04 between the originating device and the (supplementary) remote party.

Verification raises ``AuthenticationError`` (never returns False); a missing key raises
``KeyNotFoundError``. ``check`` turns both into per-message statuses for reports and the CLI.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Literal

from smetslab.errors import AuthenticationError, InputError, KeyNotFoundError
from smetslab.gbcs import crypto
from smetslab.gbcs.frames import (
    CRA,
    MAC_LENGTH,
    SECURITY_HEADER,
    Frame,
    GeneralCiphering,
    GeneralSigning,
    _decode,
    apdu_of,
    decode,
    encode,
    encode_apdu,
    encode_ciphered,
    signed_bytes,
)
from smetslab.gbcs.kdf import KDFMode, derive_key, other_info
from smetslab.gbcs.keystore import KeyId, Keystore, KeyUsage
from smetslab.units import EUI64, parse_eui

__all__ = [
    "RTDS_ACB",
    "DEVICE_TO_DEVICE_MESSAGE_CODES",
    "Status",
    "CheckResult",
    "ProtectedBlock",
    "mac_key_ids",
    "mac_key",
    "compute_mac",
    "verify_mac",
    "verify_signature",
    "sign",
    "sign_precommand",
    "mac_wrap",
    "mac_wrap_encoded",
    "build_command",
    "verify",
    "verify_decoded",
    "check",
    "payload_key",
    "find_protected_blocks",
    "decrypt_protected",
    "encrypt_block",
]

RTDS_ACB = EUI64(bytes.fromhex("90B3D51F30000002"))
"""The DCC Access Control Broker of the RTDS test keys; pass your own ACB EUI for other key sets."""

DEVICE_TO_DEVICE_MESSAGE_CODES = frozenset({0x009B, 0x0090})
"""PCS01 and PCS02: PPMID -> GSME commands MAC'd between the two devices, not via the ACB."""

# The MAC's AAD prefix: the security header (11 00000000) and one more zero byte. DOMAIN.md §2.5
# (open question 9) reproduces it on all 811 RTDS MACs without a source explaining the last byte.
_MAC_AAD_PREFIX = SECURITY_HEADER + b"\x00"
_IV_SUFFIX = b"\x00\x00\x00\x00"
PROTECTED_HEADER = b"\x31\x00\x00\x00\x00"  # security control 0x31 (authenticated + encrypted), counter 0
_PROTECTED_AAD = b"\x31"
_PROTECTED_MIN = len(PROTECTED_HEADER) + MAC_LENGTH

Status = Literal["valid", "invalid", "unknown_key", "absent"]


def _acb(acb: EUI64 | str | bytes) -> EUI64:
    return parse_eui(acb, "ACB")


# -- MAC ----------------------------------------------------------------------------------------


def mac_key_ids(apdu: GeneralSigning, acb: EUI64 | str | bytes = RTDS_ACB) -> tuple[KeyId, KeyId]:
    """The two KA keys whose ECDH secret keys this APDU's MAC (see the module docstring)."""
    if apdu.cra is CRA.COMMAND and apdu.other_information.message_code not in DEVICE_TO_DEVICE_MESSAGE_CODES:
        return KeyId(_acb(acb), KeyUsage.KA), KeyId(apdu.recipient, KeyUsage.KA)
    return KeyId(apdu.originator, KeyUsage.KA), KeyId(apdu.recipient, KeyUsage.KA)


def mac_key(apdu: GeneralSigning, keystore: Keystore, acb: EUI64 | str | bytes = RTDS_ACB) -> bytes:
    """The 16-byte AES key of this APDU's MAC. Raises KeyNotFoundError if neither private key is held."""
    if apdu.cra is CRA.COMMAND and apdu.other_information.message_code not in DEVICE_TO_DEVICE_MESSAGE_CODES:
        z = keystore.agree_ka(_acb(acb), apdu.recipient)  # the keys ``mac_key_ids`` names
    else:
        z = keystore.agree_ka(apdu.originator, apdu.recipient)
    # OtherInfo names the grouping header's originator even when the ACB's key is used (§2.5).
    return derive_key(z, other_info(apdu.originator, int(apdu.cra), apdu.originator_counter, apdu.recipient))


def _mac(key: bytes, originator: bytes, apdu_bytes: bytes) -> bytes:
    return crypto.gcm_tag(key, originator + _IV_SUFFIX, _MAC_AAD_PREFIX + apdu_bytes)[:MAC_LENGTH]


def compute_mac(apdu: GeneralSigning, keystore: Keystore, acb: EUI64 | str | bytes = RTDS_ACB) -> bytes:
    """The 12-byte MAC of the general-signing APDU as it will be sent."""
    return _mac(mac_key(apdu, keystore, acb), apdu.originator, encode_apdu(apdu))


def _verify_mac_raw(apdu: GeneralSigning, apdu_bytes: bytes, mac: bytes, keystore: Keystore,
                    acb: EUI64 | str | bytes) -> None:
    expected = _mac(mac_key(apdu, keystore, acb), apdu.originator, apdu_bytes)
    if not crypto.constant_time_equal(expected, mac):
        raise AuthenticationError("MAC")


def verify_mac(frame: GeneralCiphering, keystore: Keystore, acb: EUI64 | str | bytes = RTDS_ACB) -> None:
    """Check the MAC of a general-ciphering frame. Raises AuthenticationError or KeyNotFoundError."""
    if not isinstance(frame, GeneralCiphering):
        raise AuthenticationError("MAC")  # nothing to verify is not a valid MAC
    _verify_mac_raw(frame.apdu, encode_apdu(frame.apdu), frame.mac, keystore, acb)


def mac_wrap_encoded(apdu: GeneralSigning, keystore: Keystore, acb: EUI64 | str | bytes = RTDS_ACB) -> bytes:
    """``encode(mac_wrap(apdu, keystore, acb))``: the MAC-wrapped frame on the wire, the APDU encoded once."""
    if not apdu.signature_field:
        apdu = replace(apdu, signature_field=True)
    apdu_bytes = encode_apdu(apdu)
    return encode_ciphered(apdu_bytes, _mac(mac_key(apdu, keystore, acb), apdu.originator, apdu_bytes))


def mac_wrap(apdu: GeneralSigning, keystore: Keystore, acb: EUI64 | str | bytes = RTDS_ACB) -> GeneralCiphering:
    """MAC-protect a general-signing APDU (e.g. a signed or non-critical command).

    An APDU without a signature field gets the null ``00`` first: inside general-ciphering the
    field is mandatory. Raises KeyNotFoundError unless one side's private KA key is held.
    """
    if not apdu.signature_field:
        apdu = replace(apdu, signature_field=True)
    return GeneralCiphering(apdu, compute_mac(apdu, keystore, acb))


# -- signatures ---------------------------------------------------------------------------------


def _verify_signature_raw(apdu: GeneralSigning, signed: bytes, keystore: Keystore) -> None:
    if apdu.signature is None:
        raise AuthenticationError("signature")  # asked to verify an unsigned message: not valid
    public = keystore.public(apdu.originator, KeyUsage.DS)
    crypto.ecdsa_verify_raw(public, signed, apdu.signature)


def verify_signature(frame: Frame, keystore: Keystore) -> None:
    """Check the originator's ECDSA signature. Raises AuthenticationError (also when unsigned)
    or KeyNotFoundError (no DS key for the originator)."""
    apdu = apdu_of(frame)
    _verify_signature_raw(apdu, signed_bytes(apdu), keystore)


def sign(apdu: GeneralSigning, keystore: Keystore, signer: EUI64 | str | bytes | None = None) -> GeneralSigning:
    """The APDU signed with the DS private key of ``signer`` (default: its originator).

    Raises KeyNotFoundError if that private key is not held.
    """
    who = apdu.originator if signer is None else parse_eui(signer, "signer")
    private = keystore.private(who, KeyUsage.DS)
    signature = crypto.ecdsa_sign_raw(private, signed_bytes(apdu))
    return replace(apdu, signature=signature, signature_field=True)


def sign_precommand(precommand: bytes, keystore: Keystore, signer: EUI64 | str | bytes | None = None) -> bytes:
    """Sign a DCC pre-command: drop its null/absent signature field, append 40 ‖ r‖s.

    Raises CodecError for malformed bytes and InputError if it is not an unsigned bare
    general-signing APDU (already signed, or MAC-wrapped).
    """
    frame = decode(precommand)
    if isinstance(frame, GeneralCiphering):
        raise InputError("pre-command: is a MAC-wrapped (DD) frame; expected a bare general-signing "
                         "APDU (DF ...) as the DCC returns it")
    if frame.signature is not None:
        raise InputError("pre-command: already carries a signature; expected it unsigned "
                         "(no signature field or 00)")
    return encode(sign(frame, keystore, signer))


def build_command(apdu: GeneralSigning, keystore: Keystore, *, acb: EUI64 | str | bytes = RTDS_ACB,
                  signer: EUI64 | str | bytes | None = None, signed: bool = False) -> bytes:
    """A command on the wire: optionally signed (critical commands), then MAC-wrapped."""
    if signed:
        apdu = sign(apdu, keystore, signer)
    return mac_wrap_encoded(apdu, keystore, acb)


# -- verification of whole frames ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What ``check`` found: the decoded frame and the status of its MAC and signature."""

    frame: Frame
    mac: Status
    signature: Status

    @property
    def ok(self) -> bool:
        """True when nothing failed (unknown keys and absent protections are not failures)."""
        return self.mac != "invalid" and self.signature != "invalid"


def verify(data: bytes, keystore: Keystore, *, acb: EUI64 | str | bytes = RTDS_ACB) -> Frame:
    """Decode a frame and verify every protection it carries; return it only if all verify.

    A frame with neither a MAC nor a signature (e.g. a pre-command) has nothing that vouches for it
    and is refused too. Raises CodecError, AuthenticationError or KeyNotFoundError.
    """
    return verify_decoded(data, _decode(data), keystore, acb=acb)


def verify_decoded(data: bytes, decoded: tuple[Frame, int, int, int], keystore: Keystore, *,
                   acb: EUI64 | str | bytes = RTDS_ACB) -> Frame:
    """``verify`` for a frame already decoded with ``frames._decode`` (``decoded``: the frame and the spans
    its MAC and signature cover), so a reader that decoded it once does not decode it again."""
    frame, apdu_start, content_end, apdu_end = decoded
    apdu = apdu_of(frame)
    protected = False
    if isinstance(frame, GeneralCiphering):
        _verify_mac_raw(apdu, data[apdu_start:apdu_end], frame.mac, keystore, acb)
        protected = True
    if apdu.signature is not None:
        _verify_signature_raw(apdu, data[apdu_start + 1:content_end], keystore)
        protected = True
    if not protected:
        raise AuthenticationError("message")
    return frame


def check(data: bytes, keystore: Keystore, *, acb: EUI64 | str | bytes = RTDS_ACB) -> CheckResult:
    """Decode a frame and report its MAC and signature status, each one of
    ``valid``, ``invalid``, ``unknown_key`` (a needed key is not in the keystore) or ``absent``
    (no MAC wrapper; signature field ``00`` or missing).

    Raises CodecError when the bytes do not decode. A malformed key file still raises InputError.
    """
    frame, apdu_start, content_end, apdu_end = _decode(data)
    apdu = apdu_of(frame)
    mac: Status = "absent"
    if isinstance(frame, GeneralCiphering):
        try:
            _verify_mac_raw(apdu, data[apdu_start:apdu_end], frame.mac, keystore, acb)
            mac = "valid"
        except AuthenticationError:
            mac = "invalid"
        except KeyNotFoundError:
            mac = "unknown_key"
    signature: Status = "absent"
    if apdu.signature is not None:
        try:
            _verify_signature_raw(apdu, data[apdu_start + 1:content_end], keystore)
            signature = "valid"
        except AuthenticationError:
            signature = "invalid"
        except KeyNotFoundError:
            signature = "unknown_key"
    return CheckResult(frame, mac, signature)


# -- protected (encrypted) payloads ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProtectedBlock:
    """A ciphered block inside a content: ``31 00000000 ‖ ciphertext ‖ tag``.

    ``kind`` is "dlms" (an octet-string) or "gbz" (a GBZ component's ciphered information);
    ``offset`` is where the ``31`` byte sits in the content, ``length`` the block length.
    """

    kind: Literal["dlms", "gbz"]
    offset: int
    length: int
    ciphertext: bytes
    tag: bytes


def find_protected_blocks(content: bytes) -> list[ProtectedBlock]:
    """The ciphered blocks of a DLMS or GBZ content, in order (DOMAIN.md §2.6).

    DLMS carries a block as an octet-string ``09 <BER length> 31 00000000 ...``; GBZ carries it in an
    encrypted component as ``<2-byte length> 31 00000000 ...`` (its "ciphered information length").
    This scans for the header and keeps only candidates whose length prefix frames the block
    exactly inside the content: the full structure is the payload decoder's business, and every
    RTDS block sits in exactly this framing.
    """
    if content[:2] == b"\x01\x09":
        kind: Literal["dlms", "gbz"] = "gbz"
    elif content[:1] in (b"\xd9", b"\xda", b"\x0f"):
        kind = "dlms"
    else:
        return []
    return list(_scan(content, kind))


def _scan(content: bytes, kind: Literal["dlms", "gbz"]) -> Iterator[ProtectedBlock]:
    n = len(content)
    p = content.find(PROTECTED_HEADER)
    while p >= 0:
        length = _prefix_length(content, p, kind)
        if length is not None and length >= _PROTECTED_MIN and p + length <= n:
            end = p + length
            yield ProtectedBlock(kind, p, length, content[p + 5:end - MAC_LENGTH], content[end - MAC_LENGTH:end])
            p = content.find(PROTECTED_HEADER, end)
        else:
            p = content.find(PROTECTED_HEADER, p + 1)


def _prefix_length(c: bytes, p: int, kind: str) -> int | None:
    """The length that frames a block starting at ``p``, if the bytes before it are a length prefix."""
    if kind == "gbz":
        return (c[p - 2] << 8) | c[p - 1] if p >= 2 else None
    # DLMS octet-string: 09 then a minimal BER length.
    if p >= 2 and c[p - 2] == 0x09 and c[p - 1] < 0x80:
        return c[p - 1]
    if p >= 3 and c[p - 3] == 0x09 and c[p - 2] == 0x81 and c[p - 1] >= 0x80:
        return c[p - 1]
    if p >= 4 and c[p - 4] == 0x09 and c[p - 3] == 0x82:
        v = (c[p - 2] << 8) | c[p - 1]
        return v if v >= 0x100 else None
    return None


def _payload_parties(apdu: GeneralSigning) -> tuple[EUI64, int]:
    """(recipient, counter) of the payload-encryption key: supplementary ones when present (§2.6)."""
    oi = apdu.other_information
    recipient = oi.supplementary_remote_party_id or apdu.recipient
    counter = oi.supplementary_originator_counter
    return recipient, apdu.originator_counter if counter is None else counter


def payload_key(apdu: GeneralSigning, keystore: Keystore) -> bytes:
    """The AES key of the APDU's protected payloads: KDF mode 04, device KA x remote party KA."""
    recipient, counter = _payload_parties(apdu)
    z = keystore.agree(KeyId(apdu.originator, KeyUsage.KA), KeyId(recipient, KeyUsage.KA))
    return derive_key(z, other_info(apdu.originator, KDFMode.PAYLOAD_ENCRYPTION, counter, recipient))


def decrypt_protected(frame: Frame, keystore: Keystore) -> list[tuple[ProtectedBlock, bytes]]:
    """Decrypt every protected block of the frame's content: [(block, plaintext)], in order.

    Raises AuthenticationError if a block's tag does not verify, KeyNotFoundError if neither the
    device's nor the remote party's private KA key is held. An empty list: nothing is protected.
    """
    apdu = apdu_of(frame)
    blocks = find_protected_blocks(apdu.content)
    if not blocks:
        return []
    key = payload_key(apdu, keystore)
    iv = apdu.originator + _IV_SUFFIX
    return [(b, crypto.gcm_decrypt(key, iv, _PROTECTED_AAD, b.ciphertext, b.tag)) for b in blocks]


def encrypt_block(apdu: GeneralSigning, keystore: Keystore, plaintext: bytes) -> bytes:
    """A protected block ``31 00000000 ‖ ciphertext ‖ tag`` for a payload of this APDU (device side).

    The key and IV depend only on the APDU's header, so two blocks in one APDU share a GCM nonce
    (RTDS GCS16b does this, and it shows in its ciphertexts): protect one payload per APDU.
    """
    if len(plaintext) > 0xFFFF - _PROTECTED_MIN:
        raise InputError(f"protected payload: {len(plaintext)} bytes, at most {0xFFFF - _PROTECTED_MIN} allowed")
    key = payload_key(apdu, keystore)
    ct, tag = crypto.gcm_encrypt(key, apdu.originator + _IV_SUFFIX, _PROTECTED_AAD, plaintext, MAC_LENGTH)
    return PROTECTED_HEADER + ct + tag
