"""The one module that touches cryptographic primitives (via the ``cryptography`` library).

Everything here is a thin, typed wrapper so the rest of ``smetslab.gbcs`` (and ``zigbee``, and the
``keys`` command) can be read as GBCS/ZigBee logic rather than library calls. Keys cross the boundary
as the opaque aliases ``PublicKey``/``PrivateKey``. A public module (it was ``gbcs/_crypto.py``):
three packages use it, each by this name.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from smetslab.errors import AuthenticationError, InputError

__all__ = [
    "PublicKey",
    "PrivateKey",
    "Certificate",
    "ecdh",
    "constant_time_equal",
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
    # test PKI (keygen)
    "private_key_from_seed",
    "CertificateFacts",
    "build_ca_certificate",
    "build_organisation_certificate",
    "build_device_certificate",
    "certificate_pem",
    "certificate_facts",
]

PublicKey = ec.EllipticCurvePublicKey
PrivateKey = ec.EllipticCurvePrivateKey
Certificate = x509.Certificate

_CURVE = ec.SECP256R1()
_SHA256 = hashes.SHA256()
_ECDSA = ec.ECDSA(_SHA256)
# Signing uses RFC 6979 deterministic nonces: a signature then depends only on the key and the bytes,
# so a seeded emulation produces the same GBCS bytes and event log on every run (and no nonce RNG can
# leak the key). Verifiers cannot tell the difference: it is ordinary ECDSA.
_ECDSA_SIGN = ec.ECDSA(_SHA256, deterministic_signing=True)


def constant_time_equal(a: bytes, b: bytes) -> bool:
    """``a == b`` in time independent of where they differ (checking a MAC must not leak its bytes)."""
    return hmac.compare_digest(a, b)


def ecdh(private: PrivateKey, public: PublicKey) -> bytes:
    """Static-static ECDH on P-256: the 32-byte shared secret Z (x-coordinate)."""
    return private.exchange(ec.ECDH(), public)


def kdf_one_step_sha256(z: bytes, other_info: bytes, length: int = 16) -> bytes:
    """NIST SP800-56A one-step KDF with SHA-256, one round (GBCS section 4): H(00000001 || Z || OtherInfo)."""
    return hashlib.sha256(b"\x00\x00\x00\x01" + z + other_info).digest()[:length]


def gcm_tag(key: bytes, iv: bytes, aad: bytes) -> bytes:
    """The full 16-byte AES-GCM tag over ``aad`` with an empty plaintext (GBCS MAC, UTRN MAC).

    Uses the one-shot AEAD API: about 6x faster per call than a streaming Cipher context, and
    this is where bulk UTRN issue/verify and MAC checks spend their time."""
    return AESGCM(key).encrypt(iv, b"", aad)


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
    """ECDSA P-256/SHA-256 signature as raw r||s (64 bytes), as GBCS carries it (RFC 6979 nonce)."""
    der = private.sign(data, _ECDSA_SIGN)
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


# -- test PKI: SMKI-shaped certificates (DOMAIN.md §5.2), used by gbcs.keygen ------------------------
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_OID_HARDWARE_MODULE_NAME = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.4")
# hwType inside the device certificates' HardwareModuleName, as found in the RTDS device certificates.
_HW_TYPE_DER = bytes.fromhex("060D2A863A0001848FB90F01020201")
_NOT_AFTER = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)  # as RTDS device certs


def private_key_from_seed(seed: bytes) -> PrivateKey:
    """A P-256 private key derived from ``seed`` (SHA-256, reduced mod n): reproducible TEST keys only."""
    scalar = int.from_bytes(hashlib.sha256(b"smetslab test key|" + seed).digest(), "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, _CURVE)


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """What a GBCS (SMKI-shaped) certificate says about its holder."""

    eui: bytes | None  # from x500UniqueIdentifier (organisations) or hardwareModuleName (devices)
    role: int | None  # organisation role from OU (2 hex digits); None for device certificates
    usage: str | None  # "ds" (digitalSignature), "ka" (keyAgreement), "ca" (keyCertSign) or None
    device: bool  # empty subject + hardwareModuleName
    subject: str
    issuer: str


def _usage_extension(usage: str) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=usage == "ds", content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=usage == "ka", key_cert_sign=usage == "ca",
        crl_sign=usage == "ca", encipher_only=False, decipher_only=False)


def _sign(subject: x509.Name, public: PublicKey, issuer_key: PrivateKey, issuer: Certificate | None,
          not_before: datetime.datetime, serial: int, usage: str,
          extra: list[tuple[x509.ExtensionType, bool]]) -> Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer is not None else subject)
        .public_key(public)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(_NOT_AFTER)
        .add_extension(_usage_extension(usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
    )
    for ext, critical in extra:
        builder = builder.add_extension(ext, critical=critical)
    # RFC 6979 here too: a seeded test PKI then yields the same certificate bytes in every process, and
    # so the same GBCS bytes for the join commands that carry them.
    return builder.sign(issuer_key, _SHA256, ecdsa_deterministic=True)


def build_ca_certificate(private: PrivateKey, *, common_name: str, role: int, issuer_key: PrivateKey | None,
                         issuer: Certificate | None, not_before: datetime.datetime, serial: int) -> Certificate:
    """A CA certificate (self-signed when ``issuer`` is None); OU carries the role (0 root, 7 issuing)."""
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"{role:02X}"),
                         x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    signer = issuer_key if issuer_key is not None else private
    return _sign(subject, private.public_key(), signer, issuer, not_before, serial, "ca",
                 [(x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0), True)])


def build_organisation_certificate(public: PublicKey, *, eui: bytes, role: int, usage: str,
                                   issuer_key: PrivateKey, issuer: Certificate,
                                   not_before: datetime.datetime, serial: int) -> Certificate:
    """Organisation certificate: OU = role as 2 hex digits, x500UniqueIdentifier = EUI (a BIT STRING)."""
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"{role:02X}"),
        # BIT STRING value: leading "unused bits" octet 00, then the 8 EUI bytes (as in RTDS)
        x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x00" + bytes(eui), _ASN1Type.BitString),
    ])
    return _sign(subject, public, issuer_key, issuer, not_before, serial, usage, [])


def build_device_certificate(public: PublicKey, *, eui: bytes, usage: str, issuer_key: PrivateKey,
                             issuer: Certificate, not_before: datetime.datetime, serial: int) -> Certificate:
    """Device certificate: empty subject, EUI in SubjectAltName otherName hardwareModuleName (critical)."""
    hw_serial = b"\x04\x08" + bytes(eui)
    body = _HW_TYPE_DER + hw_serial
    hw_module_name = b"\x30" + bytes((len(body),)) + body  # SEQUENCE { hwType OID, hwSerialNum OCTET STRING }
    san = x509.SubjectAlternativeName([x509.OtherName(_OID_HARDWARE_MODULE_NAME, hw_module_name)])
    return _sign(x509.Name([]), public, issuer_key, issuer, not_before, serial, usage, [(san, True)])


def certificate_pem(cert: Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _hw_serial(der: bytes) -> bytes | None:
    # HardwareModuleName ::= SEQUENCE { hwType OBJECT IDENTIFIER, hwSerialNum OCTET STRING }, short lengths
    if len(der) < 4 or der[0] != 0x30 or der[2] != 0x06:
        return None
    at = 4 + der[3]
    if at + 2 > len(der) or der[at] != 0x04 or at + 2 + der[at + 1] != len(der):
        return None
    return der[at + 2 :]


def certificate_facts(cert: Certificate) -> CertificateFacts:
    """EUI, role, usage of a certificate, read the way DOMAIN.md §5.2 describes them."""
    eui: bytes | None = None
    role: int | None = None
    for attr in cert.subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER):
        if isinstance(attr.value, bytes) and len(attr.value) == 9:
            eui = attr.value[1:]
    for attr in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME):
        text = attr.value if isinstance(attr.value, str) else ""
        if len(text) == 2 and all(c in "0123456789abcdefABCDEF" for c in text):
            role = int(text, 16)
    device = False
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if san is not None:
        for name in san.get_values_for_type(x509.OtherName):
            if name.type_id == _OID_HARDWARE_MODULE_NAME:
                serial = _hw_serial(name.value)
                if serial is not None and len(serial) == 8:
                    eui, device = serial, True
    usage: str | None = None
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        usage = "ca" if ku.key_cert_sign else "ds" if ku.digital_signature else "ka" if ku.key_agreement else None
    except x509.ExtensionNotFound:
        pass
    return CertificateFacts(eui=eui, role=None if device else role, usage=usage, device=device,
                            subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string())
