"""Keys and builders for the HAN device tests: a seeded test PKI (every party's private keys) and the
GBCS commands the DCC and the supplier would send, built with ``smetslab.gbcs.messages``."""

from __future__ import annotations

from functools import cache

from smetslab.gbcs import keygen
from smetslab.gbcs import messages as M
from smetslab.gbcs.keystore import Keystore, KeyUsage

E = keygen.PKIEntities()


@cache
def pki() -> keygen.TestPKI:
    return keygen.generate_pki(E, seed=20240101)


def keystore() -> Keystore:
    return pki().keystore()


def only(*holders: tuple[object, KeyUsage, bool]) -> Keystore:
    """A keystore holding just these (EUI, usage, private?) keys: private ones with their public side,
    others public only - to prove which key pair a MAC or signature really needs."""
    ks = Keystore()
    for k in pki().keys:
        for eui, usage, private in holders:
            if k.kid.eui == eui and k.kid.usage is usage and not k.kid.prepayment:
                if private:
                    ks.add(eui, usage, private=k.private, certificate=k.certificate)
                else:
                    ks.add(eui, usage, public=k.certificate.public_key(), certificate=k.certificate)
    return ks


def cs03a2(ks: Keystore, counter: int, *, supplier: object = E.supplier, meter: object = E.esme) -> bytes:
    """The DCC's CS03A2 to the PPMID (ACB-originated, the supplier as supplementary remote party)."""
    return M.CS03A2Command(originator=E.acb, recipient=E.ppmid, counter=counter, other_device=meter,
                           supplementary_remote_party=supplier,
                           supplementary_remote_party_counter=counter << 32).build(ks, acb=E.acb)


def cs03c(ks: Keystore, counter: int, *, certificate_of: object = E.gsme) -> bytes:
    return M.CS03CCommand(originator=E.acb, recipient=E.ppmid, counter=counter, other_device=E.gsme, device_type=0,
                          certificate=M.ka_certificate_der(ks, certificate_of), supplementary_remote_party=E.supplier,
                          supplementary_remote_party_counter=counter << 32).build(ks, acb=E.acb)


def flip(wire: bytes, index: int) -> bytes:
    """``wire`` with one bit of byte ``index`` flipped (negative: from the end, e.g. inside the MAC)."""
    i = index % len(wire)
    return wire[:i] + bytes([wire[i] ^ 0x01]) + wire[i + 1:]
