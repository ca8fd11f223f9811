"""GBCS MAC, signature and protected-payload security with keys generated here (no RTDS needed).

Independent sources: OtherInfo layout and key-pair rules of DOMAIN.md §2.5, the GCM vector of
gbcs-parser test/crypto.test.ts (IV = system title ‖ 00000000), and ECDH/ECDSA/GCM recomputed
with the primitives directly where a property needs an expected value.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smetslab.errors import AuthenticationError, CodecError, InputError, KeyNotFoundError
from smetslab.gbcs import crypto, frames, security
from smetslab.gbcs.frames import CRA, GeneralCiphering, GeneralSigning, OtherInformation
from smetslab.gbcs.kdf import ALGORITHM_ID, derive_key, other_info
from smetslab.gbcs.keystore import Keystore, KeyUsage
from smetslab.units import EUI64

SUPPLIER = EUI64("90B3D51F30010000")
ACB = EUI64("90B3D51F30000002")
ESME = EUI64("00DB1234567890A0")
GSME = EUI64("00DB1234567890A1")
PPMID = EUI64("00DB1234567890A4")
KA, DS = KeyUsage.KA, KeyUsage.DS

_KEYS = {(eui, usage): crypto.generate_private_key()
         for eui in (SUPPLIER, ACB, ESME, GSME, PPMID) for usage in (KA, DS)}


def keystore(private: set[tuple[EUI64, KeyUsage]], public: set[tuple[EUI64, KeyUsage]] | None = None) -> Keystore:
    """An in-memory keystore holding the given private keys and (by default) every public key."""
    ks = Keystore()
    for (eui, usage), key in _KEYS.items():
        if (eui, usage) in private:
            ks.add(eui, usage, private=key)
        elif public is None or (eui, usage) in public:
            ks.add(eui, usage, public=key.public_key())
    return ks


DCC_SIDE = keystore({(ACB, KA), (SUPPLIER, DS), (SUPPLIER, KA)})  # ACB MACs, supplier signs and reads replies
ESME_SIDE = keystore({(ESME, KA), (ESME, DS)})
EVERYONE = keystore(set(_KEYS))


def command(**changes: object) -> GeneralSigning:
    base = GeneralSigning(CRA.COMMAND, 0x100000000, SUPPLIER, ESME, OtherInformation(0x0020),
                          bytes.fromhex("D9200003E800010300700000130A01FF03010F00"))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def response(**changes: object) -> GeneralSigning:
    base = GeneralSigning(CRA.RESPONSE, 0x100000000, ESME, SUPPLIER, OtherInformation(0x0020),
                          bytes.fromhex("DA200003E8000001000103 00".replace(" ", "")))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def z(a: tuple[EUI64, KeyUsage], b: tuple[EUI64, KeyUsage]) -> bytes:
    return crypto.ecdh(_KEYS[a], _KEYS[b].public_key())


def expected_mac(key: bytes, originator: bytes, apdu_bytes: bytes) -> bytes:
    # §2.5: IV = originator ‖ 00000000, AAD = 11 00000000 00 ‖ APDU, first 12 bytes of the tag
    return crypto.gcm_tag(key, originator + bytes(4), bytes.fromhex("110000000000") + apdu_bytes)[:12]


# -- KDF and MAC layout -----------------------------------------------------------------------


def test_other_info_layout() -> None:
    info = other_info(SUPPLIER, 1, 0x0102030405060708, ESME)
    assert info.hex().upper() == ("60857406080300" "90B3D51F30010000" "09" "01" "0102030405060708"
                                  "00DB1234567890A0")
    assert ALGORITHM_ID.hex() == "60857406080300"


@pytest.mark.parametrize("bad", [(b"1234567", 1, 0, ESME), (SUPPLIER, 0, 0, ESME), (SUPPLIER, 5, 0, ESME),
                                 (SUPPLIER, 1, 1 << 64, ESME)])
def test_other_info_refuses_bad_fields(bad: tuple[bytes, int, int, bytes]) -> None:
    with pytest.raises(InputError):
        other_info(*bad)


def test_gcm_with_the_gbcs_iv_rule_reproduces_the_gbcs_parser_vector() -> None:
    # gbcs-parser test/crypto.test.ts "gcm nominal": key 00..0f, system title 90b3d51f30030000
    key = bytes(range(16))
    iv = bytes.fromhex("90b3d51f30030000") + bytes(4)
    ct, tag = crypto.gcm_encrypt(key, iv, b"helloworld", b"one two three")
    assert (ct.hex(), tag.hex()) == ("584fa806b24491178829d46c38", "6b33bdcb1e223242ec20b957")
    assert crypto.gcm_tag(key, iv, b"helloworld")[:12].hex() == "fb3afed43b78508864f00da3"


def test_command_mac_key_is_acb_ka_with_device_ka_and_names_the_header_originator() -> None:
    apdu = command()
    want = derive_key(z((ACB, KA), (ESME, KA)), other_info(SUPPLIER, 1, 0x100000000, ESME))
    assert security.mac_key(apdu, DCC_SIDE, ACB) == want
    assert security.mac_key(apdu, ESME_SIDE, ACB) == want  # the device side derives the same key
    wrapped = security.mac_wrap(apdu, DCC_SIDE, ACB)
    assert wrapped.mac == expected_mac(want, SUPPLIER, frames.encode_apdu(apdu))


@pytest.mark.parametrize(("cra", "mode"), [(CRA.RESPONSE, 2), (CRA.ALERT, 3)])
def test_response_and_alert_mac_keys_are_device_ka_with_recipient_ka(cra: CRA, mode: int) -> None:
    apdu = response(cra=cra, originator_counter=0x7D1)
    want = derive_key(z((ESME, KA), (SUPPLIER, KA)), other_info(ESME, mode, 0x7D1, SUPPLIER))
    assert security.mac_key(apdu, ESME_SIDE) == want
    assert security.mac_key(apdu, DCC_SIDE) == want


def test_device_to_device_commands_use_the_two_devices_keys() -> None:
    pcs01 = command(originator=PPMID, recipient=GSME, other_information=OtherInformation(0x009B))
    assert security.mac_key_ids(pcs01, ACB)[0].eui == PPMID
    want = derive_key(z((PPMID, KA), (GSME, KA)), other_info(PPMID, 1, 0x100000000, GSME))
    assert security.mac_key(pcs01, keystore({(GSME, KA)}), ACB) == want
    # without either device's private key the MAC cannot be checked: unknown, never "invalid"
    wire = frames.encode(security.mac_wrap(pcs01, keystore({(PPMID, KA)})))
    result = security.check(wire, keystore({(ACB, KA), (SUPPLIER, KA)}), acb=ACB)
    assert (result.mac, result.signature) == ("unknown_key", "absent")
    assert security.check(wire, keystore({(GSME, KA)}), acb=ACB).mac == "valid"


# -- building and verifying -------------------------------------------------------------------


def test_critical_command_signed_then_macd_verifies_on_the_device() -> None:
    wire = security.build_command(command(), DCC_SIDE, acb=ACB, signed=True)
    frame = security.verify(wire, ESME_SIDE, acb=ACB)
    assert isinstance(frame, GeneralCiphering) and frame.apdu.signature is not None
    signed = frames.signed_bytes(frame.apdu)
    crypto.ecdsa_verify_raw(_KEYS[(SUPPLIER, DS)].public_key(), signed, frame.apdu.signature)
    result = security.check(wire, ESME_SIDE, acb=ACB)
    assert (result.mac, result.signature, result.ok) == ("valid", "valid", True)


def test_signed_response_verifies_at_the_supplier() -> None:
    signed = security.sign(response(), ESME_SIDE)
    wire = frames.encode(signed)
    assert security.verify(wire, DCC_SIDE) == signed
    assert (security.check(wire, DCC_SIDE).signature, security.check(wire, DCC_SIDE).mac) == ("valid", "absent")


def test_sign_precommand_accepts_absent_and_null_signature_fields() -> None:
    for pre in (command(signature_field=False), command()):
        wire = security.sign_precommand(frames.encode(pre), DCC_SIDE)
        assert wire[:-65] == frames.encode(pre.__class__(**{**_fields(pre), "signature_field": False}))
        assert wire[-65] == 0x40
        got = frames.decode(wire)
        assert isinstance(got, GeneralSigning)
        crypto.ecdsa_verify_raw(_KEYS[(SUPPLIER, DS)].public_key(), wire[1:-65], wire[-64:])
        # then the ACB wraps it and the device accepts it
        macd = frames.encode(security.mac_wrap(got, DCC_SIDE, ACB))
        security.verify(macd, ESME_SIDE, acb=ACB)


def _fields(a: GeneralSigning) -> dict[str, object]:
    return {f.name: getattr(a, f.name) for f in dataclasses.fields(a)}


def test_sign_precommand_with_another_signer() -> None:
    ks = keystore({(ACB, DS)})
    wire = security.sign_precommand(frames.encode(command(signature_field=False)), ks, signer=str(ACB))
    crypto.ecdsa_verify_raw(_KEYS[(ACB, DS)].public_key(), wire[1:-65], wire[-64:])
    with pytest.raises(AuthenticationError):  # the originator (supplier) did not sign it
        security.verify(wire, EVERYONE)


def test_sign_precommand_refuses_signed_or_wrapped_input_and_missing_keys() -> None:
    signed = security.sign(command(), DCC_SIDE)
    with pytest.raises(InputError, match="already carries a signature"):
        security.sign_precommand(frames.encode(signed), DCC_SIDE)
    with pytest.raises(InputError, match="MAC-wrapped"):
        security.sign_precommand(frames.encode(security.mac_wrap(command(), DCC_SIDE, ACB)), DCC_SIDE)
    with pytest.raises(KeyNotFoundError):
        security.sign_precommand(frames.encode(command()), ESME_SIDE)
    with pytest.raises(CodecError):
        security.sign_precommand(b"\xdf\x09", DCC_SIDE)


def test_mac_wrap_gives_an_absent_signature_field_the_null_byte() -> None:
    wrapped = security.mac_wrap(command(signature_field=False), DCC_SIDE, ACB)
    assert wrapped.apdu.signature_field and frames.encode(wrapped)[-13] == 0x00
    security.verify(frames.encode(wrapped), ESME_SIDE, acb=ACB)


def test_statuses_valid_invalid_unknown_key_absent() -> None:
    wire = security.build_command(command(), DCC_SIDE, acb=ACB, signed=True)
    assert _statuses(wire, ESME_SIDE) == ("valid", "valid")
    tampered_mac = wire[:-1] + bytes((wire[-1] ^ 1,))
    assert _statuses(tampered_mac, ESME_SIDE) == ("invalid", "valid")
    tampered_sig = wire[:-13] + bytes((wire[-13] ^ 1,)) + wire[-12:]  # last signature byte
    assert _statuses(tampered_sig, ESME_SIDE) == ("invalid", "invalid")
    no_supplier = keystore({(ESME, KA)}, public={(ACB, KA)})
    assert _statuses(wire, no_supplier) == ("valid", "unknown_key")
    assert _statuses(wire, keystore(set(), public={(SUPPLIER, DS)})) == ("unknown_key", "valid")
    assert _statuses(frames.encode(command(signature_field=False)), EVERYONE) == ("absent", "absent")


def _statuses(wire: bytes, ks: Keystore) -> tuple[str, str]:
    r = security.check(wire, ks, acb=ACB)
    return r.mac, r.signature


def test_wrong_acb_makes_command_macs_invalid() -> None:
    wire = security.build_command(command(), DCC_SIDE, acb=ACB)
    other_acb = keystore({(SUPPLIER, KA)})  # the supplier's KA pretending to be the ACB
    assert security.check(wire, other_acb, acb=SUPPLIER).mac == "invalid"
    with pytest.raises(AuthenticationError):
        security.verify(wire, other_acb, acb=SUPPLIER)


def test_verify_raises_for_missing_keys_and_for_unprotected_frames() -> None:
    wire = security.build_command(command(), DCC_SIDE, acb=ACB)
    with pytest.raises(KeyNotFoundError):
        security.verify(wire, keystore(set()), acb=ACB)
    with pytest.raises(AuthenticationError):
        security.verify(frames.encode(command()), EVERYONE)
    with pytest.raises(AuthenticationError):
        security.verify_signature(command(), EVERYONE)
    with pytest.raises(AuthenticationError):
        security.verify_mac(command(), EVERYONE)  # type: ignore[arg-type]


def test_verify_mac_and_signature_on_typed_frames() -> None:
    frame = security.mac_wrap(security.sign(command(), DCC_SIDE), DCC_SIDE, ACB)
    security.verify_mac(frame, ESME_SIDE, ACB)
    security.verify_signature(frame, ESME_SIDE)
    with pytest.raises(AuthenticationError):
        security.verify_mac(dataclasses.replace(frame, mac=bytes(12)), ESME_SIDE, ACB)
    forged = dataclasses.replace(frame.apdu, originator_counter=frame.apdu.originator_counter + 1)
    with pytest.raises(AuthenticationError):
        security.verify_signature(forged, ESME_SIDE)


# -- tampering: no altered message is ever accepted ------------------------------------------------


# A flip inside an EUI can name a party whose keys are not held: refused with KeyNotFoundError.
REFUSED = (AuthenticationError, CodecError, KeyNotFoundError)


def _flip(wire: bytes, bit: int) -> bytes:
    bit %= 8 * len(wire)
    return wire[:bit // 8] + bytes((wire[bit // 8] ^ (0x80 >> bit % 8),)) + wire[bit // 8 + 1:]


def test_every_single_bit_flip_of_a_signed_macd_command_is_refused() -> None:
    wire = security.build_command(
        command(other_information=OtherInformation(0x0020, SUPPLIER, 5)), DCC_SIDE, acb=ACB, signed=True)
    for bit in range(8 * len(wire)):
        with pytest.raises(REFUSED):
            security.verify(_flip(wire, bit), ESME_SIDE, acb=ACB)
    security.verify(wire, ESME_SIDE, acb=ACB)  # and the untouched one passes


@st.composite
def commands(draw: st.DrawFn) -> GeneralSigning:
    other = draw(st.sampled_from([
        OtherInformation(draw(st.integers(0, 0xFFFF).filter(lambda c: c not in (0x9B, 0x90)))),
        OtherInformation(0x0001, SUPPLIER, draw(st.integers(0, (1 << 64) - 1))),
    ]))
    return command(originator_counter=draw(st.integers(0, (1 << 64) - 1)), other_information=other,
                   content=draw(st.binary(max_size=300)),
                   date_time=draw(st.none() | st.binary(min_size=12, max_size=12)))


@given(commands(), st.booleans(), st.integers(min_value=0))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_tampered_command_is_accepted(apdu: GeneralSigning, signed: bool, bit: int) -> None:
    wire = security.build_command(apdu, DCC_SIDE, acb=ACB, signed=signed)
    with pytest.raises(REFUSED):
        security.verify(_flip(wire, bit), ESME_SIDE, acb=ACB)
    tampered = _flip(wire, bit)
    try:
        result = security.check(tampered, ESME_SIDE, acb=ACB)
    except CodecError:
        return
    assert not (result.mac == "valid" and result.signature in ("valid", "absent"))


@given(st.sampled_from([CRA.RESPONSE, CRA.ALERT]), st.binary(max_size=200), st.booleans(), st.integers(min_value=0))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_tampered_response_or_alert_is_accepted(cra: CRA, content: bytes, macd: bool, bit: int) -> None:
    apdu = security.sign(response(cra=cra, content=content), ESME_SIDE)
    wire = frames.encode(security.mac_wrap(apdu, ESME_SIDE) if macd else apdu)
    security.verify(wire, DCC_SIDE)
    with pytest.raises(REFUSED):
        security.verify(_flip(wire, bit), DCC_SIDE)


# -- protected payloads ----------------------------------------------------------------------------


def _dlms_response_with(block: bytes, apdu: GeneralSigning) -> GeneralSigning:
    # DA invoke-id(4) 00 00 count 01 data: octet-string 09 <len> block ...  count 01 result GET 01 00
    length = bytes((len(block),)) if len(block) < 0x80 else b"\x81" + bytes((len(block),))
    content = bytes.fromhex("DA20000001" "00" "00" "01") + b"\x09" + length + block + bytes.fromhex("010100")
    return dataclasses.replace(apdu, content=content)


@pytest.mark.parametrize("size", [0, 1, 40, 200])
def test_protected_payload_round_trip(size: int) -> None:
    plaintext = bytes((i * 7) & 0xFF for i in range(size))
    head = response(other_information=OtherInformation(0x002D))
    block = security.encrypt_block(head, ESME_SIDE, plaintext)
    assert block[:5] == bytes.fromhex("3100000000") and len(block) == 5 + size + 12
    frame = _dlms_response_with(block, head)
    [(found, got)] = security.decrypt_protected(frame, DCC_SIDE)
    assert got == plaintext and found.kind == "dlms"
    # key: KDF mode 04 between device and recipient (§2.6)
    key = derive_key(z((ESME, KA), (SUPPLIER, KA)), other_info(ESME, 4, 0x100000000, SUPPLIER))
    assert crypto.gcm_decrypt(key, ESME + bytes(4), b"\x31", found.ciphertext, found.tag) == plaintext


def test_protected_payload_uses_the_supplementary_remote_party_and_originator_counter() -> None:
    head = response(recipient=ACB, other_information=OtherInformation(0x0034, SUPPLIER, 9, 0x7D2))
    plaintext = b"prepayment registers"
    frame = _dlms_response_with(security.encrypt_block(head, ESME_SIDE, plaintext), head)
    key = derive_key(z((ESME, KA), (SUPPLIER, KA)), other_info(ESME, 4, 0x7D2, SUPPLIER))
    [(block, got)] = security.decrypt_protected(frame, keystore({(SUPPLIER, KA)}))
    assert got == plaintext
    assert crypto.gcm_decrypt(key, ESME + bytes(4), b"\x31", block.ciphertext, block.tag) == plaintext


def test_gbz_protected_component_is_found_and_decrypted() -> None:
    head = response(other_information=OtherInformation(0x0075))
    block = security.encrypt_block(head, ESME_SIDE, b"\x00\x00\x2b\x20\xa1")
    # GBZ: 01 09 count | control 03 (last, encrypted) cluster 0705 length | 00 00 | ZCL 08 01 01 | len | block
    body = b"\x00\x00" + bytes.fromhex("080101") + len(block).to_bytes(2, "big") + block
    content = bytes.fromhex("010901" "03" "0705") + len(body).to_bytes(2, "big") + body
    [(found, got)] = security.decrypt_protected(dataclasses.replace(head, content=content), DCC_SIDE)
    assert (found.kind, found.offset, got) == ("gbz", 15, b"\x00\x00\x2b\x20\xa1")


def test_tampered_protected_payload_is_refused() -> None:
    head = response()
    block = bytearray(security.encrypt_block(head, ESME_SIDE, b"secret balance"))
    block[7] ^= 0x01
    with pytest.raises(AuthenticationError):
        security.decrypt_protected(_dlms_response_with(bytes(block), head), DCC_SIDE)
    with pytest.raises(KeyNotFoundError):
        security.decrypt_protected(_dlms_response_with(bytes(block), head), keystore(set()))


def test_contents_without_protected_blocks() -> None:
    assert security.find_protected_blocks(b"") == []
    assert security.find_protected_blocks(bytes.fromhex("30031100000000")) == []
    # the header bytes without a framing length prefix are plaintext, not a block
    assert security.find_protected_blocks(bytes.fromhex("DA2000000100000109053100000000")) == []
    assert security.decrypt_protected(command(), EVERYONE) == []


def test_signatures_are_deterministic_so_seeded_runs_repeat_byte_for_byte():
    # RFC 6979: same key, same bytes -> same signature (and it still verifies as ordinary ECDSA).
    from smetslab.gbcs import crypto

    key = crypto.generate_private_key()
    a = crypto.ecdsa_sign_raw(key, b"general-signing APDU")
    assert a == crypto.ecdsa_sign_raw(key, b"general-signing APDU")
    assert a != crypto.ecdsa_sign_raw(key, b"general-signing APDV")
    crypto.ecdsa_verify_raw(crypto.public_key_of(key), b"general-signing APDU", a)
