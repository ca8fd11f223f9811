"""Helpers for the premises tests: a seeded test PKI with every party's keys, and small builders."""

from __future__ import annotations

from functools import cache

from smetslab.gbcs import keygen
from smetslab.gbcs.keystore import Keystore
from smetslab.premises.engine import LogRecord
from smetslab.premises.site import Site, SiteConfig

E = keygen.PKIEntities()
DAY = 86_400.0
HOUR = 3_600.0


@cache
def _pki() -> keygen.TestPKI:
    return keygen.generate_pki(E, seed=20240101)


def keystore() -> Keystore:
    return _pki().keystore()


def flip(wire: bytes, index: int) -> bytes:
    """``wire`` with one bit of byte ``index`` flipped (negative: from the end, e.g. inside the MAC)."""
    i = index % len(wire)
    return wire[:i] + bytes([wire[i] ^ 0x01]) + wire[i + 1:]


def site(**kw: object) -> Site:
    return Site(SiteConfig(**kw))  # type: ignore[arg-type]


def events(s: Site, event: str, device: str | None = None) -> list[LogRecord]:
    return s.engine.log.select(device=device, event=event)
