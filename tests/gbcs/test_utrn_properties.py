"""UTRN properties with our own generated keys: round trips between a supplier-side and a meter-side
keystore, and no tampered, misdirected or re-classed UTRN is ever accepted."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from smetslab.errors import AuthenticationError, InputError
from smetslab.gbcs import keygen, utrn
from smetslab.gbcs.keystore import Keystore, KeyUsage

PKI = keygen.generate_pki(seed=20240101)
E = PKI.entities
METERS = (E.esme, E.gsme)
SUPPLIERS = (E.supplier, E.supplier2)


def _supplier_side() -> Keystore:
    """What a supplier holds: its prepayment KA private keys and the meters' KA certificates."""
    ks = Keystore()
    for k in PKI.keys:
        if k.kid.prepayment:
            ks.add(k.kid.eui, KeyUsage.KA, private=k.private, prepayment=True)
        elif k.kid.eui in METERS and k.kid.usage is KeyUsage.KA:
            ks.add(k.kid.eui, KeyUsage.KA, public=k.certificate.public_key(), certificate=k.certificate)
    return ks


def _meter_side(meter: bytes) -> Keystore:
    """What one meter holds: its own KA private key and the suppliers' prepayment KA certificates."""
    ks = Keystore()
    for k in PKI.keys:
        if k.kid.prepayment:
            ks.add(k.kid.eui, KeyUsage.KA, public=k.certificate.public_key(), certificate=k.certificate,
                   prepayment=True)
        elif k.kid.eui == meter and k.kid.usage is KeyUsage.KA:
            ks.add(k.kid.eui, KeyUsage.KA, private=k.private)
    return ks


SUPPLIER_KS = _supplier_side()
METER_KS = {bytes(m): _meter_side(m) for m in METERS}
ALL_KS = PKI.keystore()  # holds every private key: a wrong meter/supplier is a MAC failure, not a key error

counters = st.integers(min_value=0, max_value=(1 << 64) - 1)
small_counters = st.integers(min_value=0, max_value=1023).map(lambda k: k << 32)  # low 32 bits zero, < 2**42
values = st.integers(min_value=0, max_value=utrn.MAX_VALUE)
classes = st.sampled_from(["pennies", "pounds"])
meters = st.sampled_from(METERS)
suppliers = st.sampled_from(SUPPLIERS)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _rerender(ptut: int) -> str:
    digits = str(utrn.PPTD_OFFSET + ptut)
    return digits + str(utrn.check_digit(digits))


@FAST
@given(supplier=suppliers, meter=meters, counter=counters, value=values, vc=classes)
def test_issue_then_verify_on_the_meter_side(supplier: bytes, meter: bytes, counter: int, value: int, vc: str) -> None:
    code = utrn.issue(SUPPLIER_KS, supplier=supplier, meter=meter, counter=counter, value=value, value_class=vc)
    assert len(code) == 20 and code.isdigit()
    v = utrn.verify(METER_KS[bytes(meter)], code, supplier=supplier, meter=meter, counter=counter)
    assert (v.counter, v.value, v.value_class.label) == (counter, value, vc)
    assert v.value_pence == (value if vc == "pennies" else 100 * value)
    assert v.decoded.ctr10 == (counter >> 32) & 0x3FF


@FAST
@given(meter=meters, counter=small_counters, value=values, vc=classes)
def test_keypad_round_trip_reconstructs_the_counter(meter: bytes, counter: int, value: int, vc: str) -> None:
    code = utrn.issue(SUPPLIER_KS, supplier=E.supplier, meter=meter, counter=counter, value=value, value_class=vc)
    assert utrn.verify(METER_KS[bytes(meter)], code, supplier=E.supplier, meter=meter).counter == counter


@FAST
@given(highest_k=st.integers(min_value=0, max_value=(1 << 32) - 1), step=st.integers(min_value=1, max_value=1023))
def test_track_high_bits_recovers_any_counter_less_than_a_window_ahead(highest_k: int, step: int) -> None:
    highest = highest_k << 32
    nxt = highest + (step << 32)
    assume(nxt < 1 << 64)
    assert utrn.reconstruct_counter((nxt >> 32) & 0x3FF, highest, "track_high_bits") == nxt


@FAST
@given(meter=meters, counter=counters, value=values, vc=classes, pos=st.integers(0, 19), delta=st.integers(1, 9))
def test_any_changed_digit_is_rejected(meter: bytes, counter: int, value: int, vc: str, pos: int, delta: int) -> None:
    code = utrn.issue(SUPPLIER_KS, supplier=E.supplier, meter=meter, counter=counter, value=value, value_class=vc)
    tampered = code[:pos] + str((int(code[pos]) + delta) % 10) + code[pos + 1 :]
    with pytest.raises((InputError, AuthenticationError)):
        utrn.verify(METER_KS[bytes(meter)], tampered, supplier=E.supplier, meter=meter, counter=counter)


@FAST
@given(meter=meters, counter=counters, value=values, vc=classes, bit=st.integers(0, 56))
def test_any_flipped_ptut_bit_with_a_fixed_up_check_digit_is_rejected(
        meter: bytes, counter: int, value: int, vc: str, bit: int) -> None:
    # A forger who knows the check-digit algorithm: only the MAC (or a field check) can stop this.
    code = utrn.issue(SUPPLIER_KS, supplier=E.supplier, meter=meter, counter=counter, value=value, value_class=vc)
    forged = _rerender(utrn.decode(code).ptut ^ (1 << bit))
    with pytest.raises((InputError, AuthenticationError)):
        utrn.verify(METER_KS[bytes(meter)], forged, supplier=E.supplier, meter=meter, counter=counter)


@FAST
@given(meter=meters, counter=counters, value=values, vc=classes)
def test_swapped_value_class_is_rejected(meter: bytes, counter: int, value: int, vc: str) -> None:
    # Same digits for "value", other unit: 100x the credit if it were accepted.
    code = utrn.issue(SUPPLIER_KS, supplier=E.supplier, meter=meter, counter=counter, value=value, value_class=vc)
    swapped = _rerender(utrn.decode(code).ptut ^ (1 << 45))
    assert utrn.decode(swapped).value_class.label != vc
    with pytest.raises(AuthenticationError):
        utrn.verify(METER_KS[bytes(meter)], swapped, supplier=E.supplier, meter=meter, counter=counter)


@FAST
@given(counter=counters, value=values, vc=classes)
def test_utrn_for_another_meter_is_rejected(counter: int, value: int, vc: str) -> None:
    code = utrn.issue(SUPPLIER_KS, supplier=E.supplier, meter=E.esme, counter=counter, value=value, value_class=vc)
    for other in (E.gsme, E.ppmid, E.chf):
        with pytest.raises(AuthenticationError):
            utrn.verify(ALL_KS, code, supplier=E.supplier, meter=other, counter=counter)


@FAST
@given(counter=counters, value=values, vc=classes)
def test_utrn_from_another_supplier_is_rejected(counter: int, value: int, vc: str) -> None:
    code = utrn.issue(SUPPLIER_KS, supplier=E.supplier, meter=E.gsme, counter=counter, value=value, value_class=vc)
    with pytest.raises(AuthenticationError):
        utrn.verify(METER_KS[bytes(E.gsme)], code, supplier=E.supplier2, meter=E.gsme, counter=counter)


@FAST
@given(counter=counters, other=counters, value=values)
def test_a_different_full_counter_is_rejected(counter: int, other: int, value: int) -> None:
    assume(other != counter)
    code = utrn.issue(SUPPLIER_KS, supplier=E.supplier, meter=E.esme, counter=counter, value=value)
    with pytest.raises(AuthenticationError):
        utrn.verify(METER_KS[bytes(E.esme)], code, supplier=E.supplier, meter=E.esme, counter=other)


def test_meter_without_the_supplier_key_cannot_check() -> None:
    # A meter keystore lacking the supplier's PP-KA certificate must say so, not "not authentic".
    ks = Keystore()
    meter_key = next(k for k in PKI.keys if k.kid.eui == E.esme and k.kid.usage is KeyUsage.KA)
    ks.add(E.esme, KeyUsage.KA, private=meter_key.private)
    code = utrn.issue(SUPPLIER_KS, supplier=E.supplier, meter=E.esme, counter=1 << 32, value=1)
    with pytest.raises(InputError, match="prepayment KA"):
        utrn.verify(ks, code, supplier=E.supplier, meter=E.esme)


pptds = st.text(alphabet="0123456789", min_size=19, max_size=19)


@settings(max_examples=300, deadline=None)
@given(pptd=pptds, pos=st.integers(0, 18), delta=st.integers(1, 9))
def test_check_digit_catches_every_single_digit_error(pptd: str, pos: int, delta: int) -> None:
    changed = pptd[:pos] + str((int(pptd[pos]) + delta) % 10) + pptd[pos + 1 :]
    assert utrn.check_digit(changed) != utrn.check_digit(pptd)


@settings(max_examples=300, deadline=None)
@given(pptd=pptds, pos=st.integers(0, 17))
def test_check_digit_catches_every_adjacent_swap(pptd: str, pos: int) -> None:
    assume(pptd[pos] != pptd[pos + 1])
    swapped = pptd[:pos] + pptd[pos + 1] + pptd[pos] + pptd[pos + 2 :]
    assert utrn.check_digit(swapped) != utrn.check_digit(pptd)
