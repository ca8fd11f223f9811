"""Keys by (EUI, usage, public/private, prepayment), loaded from a folder laid out like the RTDS keystore.

File names are ``<eui>[-pp]-<ds|ka>.<pem|key>``: ``.pem`` is the public side (an X.509 certificate
or a bare SubjectPublicKeyInfo), ``.key`` a PKCS#8 private key; ``-pp`` marks a supplier's
prepayment (UTRN) key-agreement pair. Every key file is read at open (all the I/O happens there, so
a device step that needs a key never touches the disk) and parsed on first use, so a malformed file
is reported (by name) only when a key it holds is needed; an unreadable one at open.

ECDH secrets are cached per key pair: deriving them dominates GBCS verification time, and the
secret for a fixed pair of static keys never changes.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path

from smetslab.errors import InputError, KeyNotFoundError
from smetslab.gbcs import crypto
from smetslab.gbcs.crypto import Certificate, PrivateKey, PublicKey
from smetslab.units import EUI64, parse_eui

__all__ = ["Keystore", "KeyUsage", "KeyId"]

_NAME = re.compile(r"^(?P<eui>[0-9a-fA-F]{16})(?P<pp>-pp)?-(?P<usage>ds|ka)\.(?P<ext>pem|key)$")


class KeyUsage(enum.Enum):
    DS = "ds"  # digital signature (ECDSA)
    KA = "ka"  # key agreement (ECDH)


@dataclass(frozen=True, slots=True)
class KeyId:
    eui: EUI64
    usage: KeyUsage
    prepayment: bool = False

    def file_stem(self) -> str:
        return f"{self.eui.hex()}{'-pp' if self.prepayment else ''}-{self.usage.value}"

    def __str__(self) -> str:
        return f"{self.eui} {'prepayment ' if self.prepayment else ''}{self.usage.name}"


class Keystore:
    """A set of GBCS keys. Build with ``from_directory`` or add keys in memory with ``add``."""

    def __init__(self) -> None:
        self._public_files: dict[KeyId, tuple[Path, bytes]] = {}  # read at open, parsed on first use
        self._private_files: dict[KeyId, tuple[Path, bytes]] = {}
        self._public: dict[KeyId, tuple[PublicKey, Certificate | None]] = {}
        self._private: dict[KeyId, PrivateKey] = {}
        self._secrets: dict[tuple[KeyId, KeyId], bytes] = {}
        self._ka_secrets: dict[tuple[bytes, bytes], bytes] = {}  # agree_ka's, by the two EUIs
        self.source: str = "memory"

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_directory(cls, path: str | Path) -> Keystore:
        """Read a key folder (every key file's bytes, now). Raises InputError if it is missing, holds no key
        files, or one cannot be read."""
        folder = Path(path)
        if not folder.is_dir():
            raise InputError(f"keystore {str(folder)!r}: not a directory; pass a folder of "
                             f"<eui>[-pp]-<ds|ka>.<pem|key> files (e.g. from 'smetslab keys generate DIR')")
        ks = cls()
        ks.source = str(folder)
        for f in sorted(folder.iterdir()):
            m = _NAME.match(f.name)
            if not m or not f.is_file():
                continue
            kid = KeyId(parse_eui(m["eui"]), KeyUsage(m["usage"]), bool(m["pp"]))
            (ks._public_files if m["ext"] == "pem" else ks._private_files)[kid] = (f, _read(f))
        if not ks._public_files and not ks._private_files:
            raise InputError(f"keystore {str(folder)!r}: no key files named <eui>[-pp]-<ds|ka>.<pem|key> found")
        return ks

    def add(self, eui: EUI64 | str, usage: KeyUsage, *, public: PublicKey | None = None,
            private: PrivateKey | None = None, certificate: Certificate | None = None,
            prepayment: bool = False) -> KeyId:
        """Add a key in memory. Giving the private key also makes its public side available."""
        kid = KeyId(parse_eui(eui), usage, prepayment)
        if private is not None:
            self._private[kid] = private
            if public is None:
                public = crypto.public_key_of(private)
        if public is not None:
            self._public[kid] = (public, certificate)
        self._secrets = {k: v for k, v in self._secrets.items() if kid not in k}
        self._ka_secrets.clear()  # a replaced key must not leave its old secret behind
        return kid

    # -- look-up ------------------------------------------------------------------------------
    def key_ids(self) -> list[KeyId]:
        ids = set(self._public_files) | set(self._private_files) | set(self._public) | set(self._private)
        return sorted(ids, key=lambda k: (bytes(k.eui), k.usage.value, k.prepayment))

    def has_public(self, kid: KeyId) -> bool:
        return kid in self._public or kid in self._public_files or self.has_private(kid)

    def has_private(self, kid: KeyId) -> bool:
        return kid in self._private or kid in self._private_files

    def public(self, eui: EUI64 | str, usage: KeyUsage, prepayment: bool = False) -> PublicKey:
        """The public key (from a certificate, bare public key, or derived from the private key)."""
        return self._public_entry(KeyId(parse_eui(eui), usage, prepayment))[0]

    def certificate(self, eui: EUI64 | str, usage: KeyUsage, prepayment: bool = False) -> Certificate | None:
        return self._public_entry(KeyId(parse_eui(eui), usage, prepayment))[1]

    def private(self, eui: EUI64 | str, usage: KeyUsage, prepayment: bool = False) -> PrivateKey:
        return self._private_key(KeyId(parse_eui(eui), usage, prepayment))

    def _public_entry(self, kid: KeyId) -> tuple[PublicKey, Certificate | None]:
        entry = self._public.get(kid)
        if entry is not None:
            return entry
        stored = self._public_files.get(kid)
        if stored is not None:
            entry = crypto.load_public_pem(stored[1], f"key file {str(stored[0])!r}")
        elif self.has_private(kid):
            entry = (crypto.public_key_of(self._private_key(kid)), None)
        else:
            raise KeyNotFoundError(f"no public {kid} key in keystore {self.source!r} "
                                   f"(looked for {kid.file_stem()}.pem)")
        self._public[kid] = entry
        return entry

    def _private_key(self, kid: KeyId) -> PrivateKey:
        key = self._private.get(kid)
        if key is not None:
            return key
        stored = self._private_files.get(kid)
        if stored is None:
            raise KeyNotFoundError(f"no private {kid} key in keystore {self.source!r} "
                                   f"(looked for {kid.file_stem()}.key)")
        key = crypto.load_private_pem(stored[1], f"key file {str(stored[0])!r}")
        self._private[kid] = key
        return key

    def file_problems(self) -> dict[KeyId, str]:
        """Parse every key file now (normally each is parsed on first use) and say what is wrong with each bad
        one: unreadable, not a P-256 key or certificate, or a private key that is not the pair of the public
        key beside it. Key ids with no problem are absent. Used by ``keys list`` so a corrupt file is never
        shown as usable."""
        problems: dict[KeyId, str] = {}
        for kid in self.key_ids():
            try:
                private = self._private_key(kid) if self.has_private(kid) else None
                public = self._public_entry(kid)[0] if kid in self._public_files or kid in self._public else None
            except InputError as exc:
                problems[kid] = _short(str(exc))
                continue
            if private is not None and public is not None and \
                    crypto.public_key_der(crypto.public_key_of(private)) != crypto.public_key_der(public):
                problems[kid] = (f"key file {str(self._private_files.get(kid, kid.file_stem() + '.key'))!r}: the "
                                 f"private key is not the pair of the public key in {kid.file_stem()}.pem")
        return problems

    # -- key agreement ------------------------------------------------------------------------
    def agree_ka(self, a: EUI64, b: EUI64) -> bytes:
        """``agree(KeyId(a, KA), KeyId(b, KA))``, remembered by the two EUIs (every GBCS MAC asks for one)."""
        z = self._ka_secrets.get((a, b))
        if z is None:
            z = self._ka_secrets[(a, b)] = self.agree(KeyId(a, KeyUsage.KA), KeyId(b, KeyUsage.KA))
        return z

    def agree(self, a: KeyId, b: KeyId) -> bytes:
        """The ECDH shared secret Z between key-agreement keys ``a`` and ``b``.

        ECDH is symmetric, so whichever side's private key the keystore holds is used
        (``a``'s private × ``b``'s public, else ``b``'s private × ``a``'s public). Cached.
        Raises KeyNotFoundError if neither private key, or the needed public key, is present.
        """
        cached = self._secrets.get((a, b))
        if cached is not None:
            return cached
        if self.has_private(a) and self.has_public(b):
            z = crypto.ecdh(self._private_key(a), self._public_entry(b)[0])
        elif self.has_private(b) and self.has_public(a):
            z = crypto.ecdh(self._private_key(b), self._public_entry(a)[0])
        else:
            raise KeyNotFoundError(f"cannot agree a key between {a} and {b}: keystore {self.source!r} "
                                   f"holds neither side's private key together with the other's public key")
        self._secrets[(a, b)] = z
        self._secrets[(b, a)] = z
        return z


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"key file {str(path)!r}: cannot be read ({exc.strerror})") from None
