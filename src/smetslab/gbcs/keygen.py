"""Generate a fresh test PKI shaped like the RTDS keystore (DOMAIN.md §5.2), so users without the
DCC reference keys can issue UTRNs and build, sign and verify GBCS messages.

What is made: a self-signed root CA (OU=00) and an issuing CA (OU=07) that signs everything else;
organisation certificates (OU = role as 2 hex digits, EUI in x500UniqueIdentifier) for two
suppliers (DS, KA and the prepayment PP-KA pair), the access control broker and the network
operator (DS, KA); device certificates (empty subject, EUI in SubjectAltName hardwareModuleName)
with DS and KA pairs for ESME, GSME, CHF, GPF, PPMID and HCALCS. Unlike the RTDS set, the device
private keys are kept too: the emulator plays the devices. All keys are P-256.

Default EUIs are the RTDS ones, so generated messages line up with the reference messages.
Files are named ``<eui>[-pp]-<ds|ka>.<pem|key>`` (what ``Keystore.from_directory`` reads), plus
``root-ca.pem``, ``issuing-ca.pem`` and a manifest ``smetslab-pki.json`` naming each entity.

Keys come from OS randomness unless a ``seed`` is given; a seed makes the keys (not the ECDSA
signatures on the certificates) reproducible - for tests, never for anything real.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from smetslab.errors import InputError
from smetslab.gbcs import crypto
from smetslab.gbcs.crypto import Certificate, PrivateKey
from smetslab.gbcs.keystore import KeyId, Keystore, KeyUsage
from smetslab.units import EUI64, parse_eui

__all__ = [
    "PKIEntities",
    "GeneratedKey",
    "TestPKI",
    "ROLE_NAMES",
    "MANIFEST_NAME",
    "generate_pki",
    "generate_keystore",
    "write_pki",
]

# Role numbers of the CS02 ASN.1 / certificate OU (DOMAIN.md §5.2).
ROLE_NAMES: dict[int, str] = {
    0: "root", 1: "recovery", 2: "supplier", 3: "network operator", 4: "access control broker",
    5: "transitional CoS", 6: "WAN provider", 7: "issuing authority", 127: "other",
}
_ROLE_SUPPLIER, _ROLE_NETWORK_OPERATOR, _ROLE_ACB = 2, 3, 4

MANIFEST_NAME = "smetslab-pki.json"
ROOT_CA_NAME = "root-ca.pem"
ISSUING_CA_NAME = "issuing-ca.pem"
DEFAULT_NOT_BEFORE = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True, slots=True)
class PKIEntities:
    """The EUI of every entity the test PKI holds keys for. Defaults: the RTDS EUIs (DOMAIN.md §5.2)."""

    supplier: EUI64 = EUI64("90B3D51F30010000")
    supplier2: EUI64 = EUI64("90B3D51F30030000")
    network_operator: EUI64 = EUI64("90B3D51F30020000")
    acb: EUI64 = EUI64("90B3D51F30000002")
    esme: EUI64 = EUI64("00DB1234567890A0")
    gsme: EUI64 = EUI64("00DB1234567890A1")
    chf: EUI64 = EUI64("00DB1234567890A2")
    gpf: EUI64 = EUI64("00DB1234567890A3")
    ppmid: EUI64 = EUI64("00DB1234567890A4")
    hcalcs: EUI64 = EUI64("00DB1234567890A5")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def with_overrides(self, overrides: Mapping[str, EUI64 | str]) -> PKIEntities:
        """A copy with some EUIs replaced (keys: entity names). Raises InputError for an unknown entity,
        a malformed EUI or two entities sharing an EUI (their key files would collide)."""
        changes: dict[str, EUI64] = {}
        for name, eui in overrides.items():
            key = name.strip().lower().replace("-", "_")
            if key not in self.names():
                raise InputError(f"entity {name!r}: unknown; allowed are {', '.join(self.names())}")
            changes[key] = parse_eui(eui, f"EUI of {key}")
        result = replace(self, **changes)
        seen: dict[bytes, str] = {}
        for name in self.names():
            eui = getattr(result, name)
            if bytes(eui) in seen:
                raise InputError(f"EUI {eui} is given to both {seen[bytes(eui)]} and {name}; each entity "
                                 f"needs its own EUI")
            seen[bytes(eui)] = name
        return result


@dataclass(frozen=True, slots=True)
class GeneratedKey:
    kid: KeyId
    entity: str  # field name in PKIEntities, e.g. "supplier", "esme"
    private: PrivateKey
    certificate: Certificate


@dataclass(frozen=True, slots=True)
class TestPKI:
    entities: PKIEntities
    root: Certificate
    issuing_ca: Certificate
    keys: tuple[GeneratedKey, ...]

    def keystore(self) -> Keystore:
        """An in-memory Keystore holding every generated key pair (private keys and certificates)."""
        ks = Keystore()
        for k in self.keys:
            ks.add(k.kid.eui, k.kid.usage, private=k.private, certificate=k.certificate,
                   prepayment=k.kid.prepayment)
        ks.source = "generated test PKI (memory)"
        return ks

    def files(self) -> dict[str, bytes]:
        """File name -> content, in the RTDS keystore layout (plus CA certificates and the manifest)."""
        out: dict[str, bytes] = {
            ROOT_CA_NAME: crypto.certificate_pem(self.root),
            ISSUING_CA_NAME: crypto.certificate_pem(self.issuing_ca),
        }
        for k in self.keys:
            stem = k.kid.file_stem()
            out[f"{stem}.pem"] = crypto.certificate_pem(k.certificate)
            out[f"{stem}.key"] = crypto.private_key_pem(k.private)
        manifest = {
            "generated_by": "smetslab keys generate",
            "note": "TEST keys only: private keys are stored unencrypted",
            "entities": {name: str(getattr(self.entities, name)) for name in self.entities.names()},
        }
        out[MANIFEST_NAME] = (json.dumps(manifest, indent=2) + "\n").encode()
        return out


# (entity, is_device, role, [(usage, prepayment)])
_PLAN: tuple[tuple[str, bool, int, tuple[tuple[KeyUsage, bool], ...]], ...] = (
    ("supplier", False, _ROLE_SUPPLIER, ((KeyUsage.DS, False), (KeyUsage.KA, False), (KeyUsage.KA, True))),
    ("supplier2", False, _ROLE_SUPPLIER, ((KeyUsage.DS, False), (KeyUsage.KA, False), (KeyUsage.KA, True))),
    ("network_operator", False, _ROLE_NETWORK_OPERATOR, ((KeyUsage.DS, False), (KeyUsage.KA, False))),
    ("acb", False, _ROLE_ACB, ((KeyUsage.DS, False), (KeyUsage.KA, False))),
    *((device, True, 0, ((KeyUsage.DS, False), (KeyUsage.KA, False)))
      for device in ("esme", "gsme", "chf", "gpf", "ppmid", "hcalcs")),
)


class _Source:
    """Key and serial-number source: seeded (reproducible test keys) or OS randomness."""

    def __init__(self, seed: int | bytes | None) -> None:
        if seed is None:
            self._seed: bytes | None = None
        elif isinstance(seed, bytes):
            self._seed = seed
        elif isinstance(seed, int) and not isinstance(seed, bool):
            self._seed = str(seed).encode()
        else:
            raise InputError(f"seed {seed!r}: expected an integer, bytes or nothing")

    def key(self, label: str) -> PrivateKey:
        if self._seed is None:
            return crypto.generate_private_key()
        return crypto.private_key_from_seed(self._seed + b"|" + label.encode())

    def serial(self, label: str) -> int:
        if self._seed is None:
            return secrets.randbits(126) | 1  # positive, below 2**127, never zero (RFC 5280)
        digest = hashlib.sha256(b"serial|" + self._seed + b"|" + label.encode()).digest()
        return (int.from_bytes(digest[:16], "big") >> 2) | 1


def generate_pki(entities: PKIEntities | None = None, *, seed: int | bytes | None = None,
                 not_before: datetime.datetime = DEFAULT_NOT_BEFORE) -> TestPKI:
    """Make a fresh test PKI in memory (no files). Certificates are valid from ``not_before`` to 9999."""
    ents = entities if entities is not None else PKIEntities()
    if not_before.tzinfo is None:
        raise InputError("not_before: expected a timezone-aware datetime (UTC)")
    src = _Source(seed)
    root_key = src.key("root-ca")
    root = crypto.build_ca_certificate(root_key, common_name="smetslab test root", role=0, issuer_key=None,
                                        issuer=None, not_before=not_before, serial=src.serial("root-ca"))
    ca_key = src.key("issuing-ca")
    ca = crypto.build_ca_certificate(ca_key, common_name="smetslab test issuing CA", role=7,
                                      issuer_key=root_key, issuer=root, not_before=not_before,
                                      serial=src.serial("issuing-ca"))
    keys: list[GeneratedKey] = []
    for entity, is_device, role, pairs in _PLAN:
        eui: EUI64 = getattr(ents, entity)
        for usage, prepayment in pairs:
            kid = KeyId(eui, usage, prepayment)
            label = f"{entity}|{kid.file_stem()}"
            private = src.key(label)
            public = crypto.public_key_of(private)
            if is_device:
                cert = crypto.build_device_certificate(public, eui=eui, usage=usage.value, issuer_key=ca_key,
                                                        issuer=ca, not_before=not_before,
                                                        serial=src.serial(label))
            else:
                cert = crypto.build_organisation_certificate(public, eui=eui, role=role, usage=usage.value,
                                                              issuer_key=ca_key, issuer=ca,
                                                              not_before=not_before, serial=src.serial(label))
            keys.append(GeneratedKey(kid, entity, private, cert))
    return TestPKI(ents, root, ca, tuple(keys))


def generate_keystore(entities: PKIEntities | None = None, *, seed: int | bytes | None = None) -> Keystore:
    """A Keystore holding a freshly generated test PKI (pure, in memory; for tests and the emulator)."""
    return generate_pki(entities, seed=seed).keystore()


def write_pki(directory: str | Path, pki: TestPKI, *, force: bool = False) -> list[Path]:
    """Write ``pki`` into ``directory`` (created if missing). Returns the paths written.

    Refuses (InputError, nothing written) if any target file exists, unless ``force``.
    Private key files are made readable by the owner only.
    """
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"keys directory {str(folder)!r}: exists and is not a directory")
    content = pki.files()
    if not force:
        existing = sorted(name for name in content if (folder / name).exists())
        if existing:
            shown = ", ".join(existing[:3]) + (f" and {len(existing) - 3} more" if len(existing) > 3 else "")
            raise InputError(f"keys directory {str(folder)!r}: already holds {shown}; "
                             f"pass --force to overwrite (force=True)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, data in content.items():
            path = folder / name
            private = name.endswith(".key")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            if private:
                os.chmod(path, 0o600)  # O_CREAT's mode does not apply to a file being overwritten
            written.append(path)
    except OSError as exc:
        raise InputError(f"keys directory {str(folder)!r}: cannot write ({exc.strerror})") from None
    return written
