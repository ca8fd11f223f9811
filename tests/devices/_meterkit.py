"""Test keys and UTRNs for the device tests: a supplier and two meters with freshly generated keys.

The supplier's keystore holds its prepayment KA private key and the meters' KA public keys; each
meter's keystore holds only its own KA private key and the supplier's PP-KA public key - as in the
field, so a meter that verifies a UTRN has used its own key.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from smetslab.gbcs import crypto, utrn
from smetslab.gbcs.keystore import Keystore, KeyUsage
from smetslab.units import EUI64

SUPPLIER = EUI64("90B3D51F30010000")
OTHER_SUPPLIER = EUI64("90B3D51F30030000")
ESME_EUI = EUI64("00DB1234567890A0")
GSME_EUI = EUI64("00DB1234567890A1")


@dataclass(frozen=True)
class Keys:
    supplier: Keystore  # supplier head-end
    other_supplier: Keystore  # a supplier this meter does not belong to
    esme: Keystore
    gsme: Keystore

    def issue(self, meter: EUI64, k: int, value: int, value_class: str = "pennies", *,
              counter: int | None = None, supplier: str = "ours") -> str:
        """A UTRN for ``meter`` with counter ``k << 32`` (or ``counter``), as the supplier issues it."""
        ks = self.supplier if supplier == "ours" else self.other_supplier
        eui = SUPPLIER if supplier == "ours" else OTHER_SUPPLIER
        return utrn.issue(ks, supplier=eui, meter=meter, counter=(k << 32) if counter is None else counter,
                          value=value, value_class=value_class)


@cache
def keys() -> Keys:
    pp = crypto.generate_private_key()
    pp_other = crypto.generate_private_key()
    esme_ka = crypto.generate_private_key()
    gsme_ka = crypto.generate_private_key()

    supplier = Keystore()
    supplier.add(SUPPLIER, KeyUsage.KA, private=pp, prepayment=True)
    other = Keystore()
    # The other supplier signs as SUPPLIER's EUI with a different key: a forger without our key.
    other.add(SUPPLIER, KeyUsage.KA, private=pp_other, prepayment=True)
    other.add(OTHER_SUPPLIER, KeyUsage.KA, private=pp_other, prepayment=True)
    esme = Keystore()
    esme.add(ESME_EUI, KeyUsage.KA, private=esme_ka)
    esme.add(SUPPLIER, KeyUsage.KA, public=crypto.public_key_of(pp), prepayment=True)
    gsme = Keystore()
    gsme.add(GSME_EUI, KeyUsage.KA, private=gsme_ka)
    gsme.add(SUPPLIER, KeyUsage.KA, public=crypto.public_key_of(pp), prepayment=True)
    for ks in (supplier, other):
        ks.add(ESME_EUI, KeyUsage.KA, public=crypto.public_key_of(esme_ka))
        ks.add(GSME_EUI, KeyUsage.KA, public=crypto.public_key_of(gsme_ka))
    return Keys(supplier, other, esme, gsme)


def with_check_digit(pptd19: str) -> str:
    """19 PPTD digits + their GBCS check digit (computed by the GBCS core, not by the meter)."""
    return pptd19 + str(utrn.check_digit(pptd19))


def tamper(code: str, position: int = 10) -> str:
    """Change one PPTD digit and fix the check digit, so only the MAC can catch it."""
    d = code[position]
    new = str((int(d) + 1) % 10)
    return with_check_digit(code[:position] + new + code[position + 1 : 19])
