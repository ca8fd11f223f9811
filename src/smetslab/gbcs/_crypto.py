"""The one module that touches cryptographic primitives (via the ``cryptography`` library).

Everything here is a thin, typed wrapper so the rest of ``smetslab.gbcs`` (and ``zigbee``) can be
read as GBCS/ZigBee logic rather than library calls. Keys cross the boundary as the opaque aliases
``PublicKey``/``PrivateKey``.
"""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from smetslab.errors import AuthenticationError, InputError

__all__ = [
    "PublicKey",
    "PrivateKey",
    "Certificate",
    "ecdh",
    "kdf_one_step_sha256",
    "gcm_tag",
    "gcm_encrypt",
    "gcm_decrypt",
    "ecdsa_sign_raw",
    "ecdsa_verify_raw",
    "aes_ecb_encrypt_block",
    "load_public_pem",
    "load_private_pem",
    "public_key_of",
    "generate_private_key",
    "private_key_pem",
    "public_key_pem",
    "public_key_der",
    "load_public_der",
]

PublicKey = ec.EllipticCurvePublicKey
PrivateKey = ec.EllipticCurvePrivateKey
Certificate = x509.Certificate

_CURVE = ec.SECP256R1()
_SHA256 = hashes.SHA256()
_ECDSA = ec.ECDSA(_SHA256)


def ecdh(private: PrivateKey, public: PublicKey) -> bytes:
    """Static-static ECDH on P-256: the 32-byte shared secret Z (x-coordinate)."""
    return private.exchange(ec.ECDH(), public)


def kdf_one_step_sha256(z: bytes, other_info: bytes, length: int = 16) -> bytes:
    """NIST SP800-56A one-step KDF with SHA-256, one round (GBCS section 4): H(00000001 || Z || OtherInfo)."""
    return hashlib.sha256(b"\x00\x00\x00\x01" + z + other_info).digest()[:length]


def gcm_tag(key: bytes, iv: bytes, aad: bytes) -> bytes:
    """The full 16-byte AES-GCM tag over ``aad`` with an empty plaintext (GBCS MAC, UTRN MAC)."""
    enc = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
    enc.authenticate_additional_data(aad)
    enc.finalize()
    return enc.tag


def gcm_encrypt(key: bytes, iv: bytes, aad: bytes, plaintext: bytes, tag_len: int = 12) -> tuple[bytes, bytes]:
    """AES-GCM encrypt; returns (ciphertext, tag truncated to ``tag_len`` bytes)."""
    enc = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
    enc.authenticate_additional_data(aad)
    ct = enc.update(plaintext) + enc.finalize()
    return ct, enc.tag[:tag_len]


def gcm_decrypt(key: bytes, iv: bytes, aad: bytes, ciphertext: bytes, tag: bytes) -> bytes:
    """AES-GCM decrypt and authenticate (truncated tags of 12+ bytes). Raises AuthenticationError."""
    try:
        dec = Cipher(algorithms.AES(key), modes.GCM(iv, tag, min_tag_length=len(tag))).decryptor()
        dec.authenticate_additional_data(aad)
        return dec.update(ciphertext) + dec.finalize()
    except (InvalidTag, ValueError):
        raise AuthenticationError("ciphered content") from None


def ecdsa_sign_raw(private: PrivateKey, data: bytes) -> bytes:
    """ECDSA P-256/SHA-256 signature as raw r||s (64 bytes), as GBCS carries it."""
    der = private.sign(data, _ECDSA)
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def ecdsa_verify_raw(public: PublicKey, data: bytes, signature: bytes) -> None:
    """Verify a raw r||s ECDSA P-256/SHA-256 signature. Raises AuthenticationError, never returns False."""
    if len(signature) != 64:
        raise AuthenticationError("signature")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    try:
        public.verify(encode_dss_signature(r, s), data, _ECDSA)
    except (InvalidSignature, ValueError):
        raise AuthenticationError("signature") from None


def aes_ecb_encrypt_block(key: bytes, block: bytes) -> bytes:
    """One AES-128 block encryption (used by the ZigBee AES-MMO hash)."""
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def _require_p256(key: object, what: str) -> None:
    curve = getattr(key, "curve", None)
    if not isinstance(curve, ec.SECP256R1):
        raise InputError(f"{what}: key is not an ECC P-256 (prime256v1) key; GBCS uses P-256 only")


def load_public_pem(data: bytes, what: str) -> tuple[PublicKey, Certificate | None]:
    """Load an X.509 certificate or a bare public key (PEM). Returns (key, certificate or None)."""
    try:
        if b"BEGIN CERTIFICATE" in data:
            cert = x509.load_pem_x509_certificate(data)
            key = cert.public_key()
            _require_p256(key, what)
            assert isinstance(key, ec.EllipticCurvePublicKey)
            return key, cert
        pub = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InputError(f"{what}: not a readable PEM certificate or public key ({exc})") from None
    _require_p256(pub, what)
    assert isinstance(pub, ec.EllipticCurvePublicKey)
    return pub, None


def load_private_pem(data: bytes, what: str) -> PrivateKey:
    """Load a PKCS#8 (or SEC1) PEM private key, unencrypted."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InputError(f"{what}: not a readable unencrypted PEM private key ({exc})") from None
    _require_p256(key, what)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def load_public_der(data: bytes, what: str) -> tuple[PublicKey, Certificate | None]:
    """Load a DER X.509 certificate (as carried inside CS03C / other-information)."""
    try:
        cert = x509.load_der_x509_certificate(data)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{what}: not a readable DER certificate ({exc})") from None
    key = cert.public_key()
    _require_p256(key, what)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key, cert


def public_key_of(private: PrivateKey) -> PublicKey:
    return private.public_key()


def generate_private_key() -> PrivateKey:
    """A fresh P-256 private key (OS randomness: key generation is the one place not seeded)."""
    return ec.generate_private_key(_CURVE)


def private_key_pem(private: PrivateKey) -> bytes:
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_key_pem(public: PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_der(public: PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
