"""UTRN vectors (DOMAIN.md §1.6, tests/vectors/utrn.json), RTDS cross-checks and counter policies."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from smetslab.errors import AuthenticationError, InputError, KeyNotFoundError
from smetslab.gbcs import keygen, utrn
from smetslab.gbcs.keystore import Keystore

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "utrn.json").read_text())
SUPPLIER = "90B3D51F30010000"
ESME = "00DB1234567890A0"
OWN_KEYS = keygen.generate_keystore(seed=4)  # for checks that must run without the RTDS keys


def _int(text: str | int | None) -> int | None:
    return None if text is None else int(text, 0) if isinstance(text, str) else text


@pytest.fixture(scope="module")
def rtds_keys(rtds_dir: Path) -> Keystore:
    return Keystore.from_directory(rtds_dir / "keystore")


# -- check digit: no keys needed -------------------------------------------------------------------
@pytest.mark.parametrize("vec", VECTORS["check_digits"], ids=lambda v: v["pptd"])
def test_check_digit_vectors(vec: dict) -> None:
    assert utrn.check_digit(vec["pptd"]) == vec["check_digit"]


def test_check_digit_uses_the_gbcs_inverse_table_not_the_classic_one() -> None:
    # Vector #1 ends with accumulator 6: the classic Verhoeff inverse maps 6 -> 6, GBCS 14.8c maps 6 -> 3.
    assert utrn.check_digit("7394333345718904331") == 3
    assert utrn.check_digit("0000000000000000000") == _reference_check_digit("0000000000000000000")


@pytest.mark.parametrize("bad", ["739433334571890433", "73943333457189043310", "739433334571890433x", "７３９４３３３３４５７１８９０４３３１"])
def test_check_digit_refuses_anything_but_19_ascii_digits(bad: str) -> None:
    with pytest.raises(InputError, match="19 decimal digits"):
        utrn.check_digit(bad)


# An independent check-digit reference: the D5 group product in closed form (r^a s^b rule) instead of
# the multiplication table, with P and I copied from DOMAIN.md §1.4. Used to build negative vectors.
_P = ((0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4), (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
      (8, 9, 1, 6, 0, 4, 3, 5, 2, 7), (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
      (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8))
_INV = (1, 2, 6, 7, 5, 8, 3, 0, 9, 4)


def _d5(a: int, b: int) -> int:
    if a < 5 and b < 5:
        return (a + b) % 5
    if a < 5:
        return 5 + (a + b) % 5
    if b < 5:
        return 5 + (a - b) % 5
    return (a - b) % 5


def _reference_check_digit(digits: str) -> int:
    acc = 0
    for i, ch in enumerate(digits):
        acc = _d5(acc, _P[(4 + i) % 8][int(ch)])
    return _INV[acc]


def test_reference_check_digit_reproduces_the_domain_vectors() -> None:
    # The reference that built the constructed vectors must itself agree with the sources.
    for vec in VECTORS["check_digits"]:
        assert _reference_check_digit(vec["pptd"]) == vec["check_digit"]


# -- decode: no keys -------------------------------------------------------------------------------
@pytest.mark.parametrize("vec", VECTORS["decoded"], ids=lambda v: v["utrn"])
def test_decode_vectors(vec: dict) -> None:
    d = utrn.decode(vec["utrn"])
    assert d.utrn == re.sub(r"[ -]", "", vec["utrn"])
    assert (d.ctr10, d.value_class.label, d.value, d.value_pence) == (
        vec["ctr10"], vec["value_class"], vec["value"], vec["value_pence"])
    assert d.pptd == int(d.utrn[:19]) and d.check_digit == int(d.utrn[19])
    assert d.ptut == d.pptd - 7_394_156_990_786_306_048
    if "mac32" in vec:
        assert d.mac32 == int(vec["mac32"], 16)


@pytest.mark.parametrize("vec", [v for v in VECTORS["issued"] if v["utrn"]], ids=lambda v: v["name"])
def test_decode_issued_vectors_gives_their_fields(vec: dict) -> None:
    d = utrn.decode(vec["utrn"])
    assert d.pptd == int(vec["pptd"])
    assert d.ctr10 == (_int(vec["counter"]) or 0) >> 32
    assert (d.value_class.label, d.value) == (vec["value_class"], vec["value"])


@pytest.mark.parametrize("vec", VECTORS["rejected_format"], ids=lambda v: v["utrn"] or "empty")
def test_decode_rejects_malformed_codes_naming_the_problem(vec: dict) -> None:
    with pytest.raises(InputError, match=re.escape(vec["error"])):
        utrn.decode(vec["utrn"])


def test_decode_error_says_what_is_allowed() -> None:
    with pytest.raises(InputError, match="must be 20.*spaces or hyphens"):
        utrn.decode("1234")
    with pytest.raises(InputError, match=r"expected 5 for the first 19 digits; check for a mistyped digit"):
        utrn.decode("73946144332040217316")
    with pytest.raises(InputError, match=r"allowed are 00 \(pennies\) and 01 \(pounds\)"):
        utrn.decode("73942626542452737218")
    with pytest.raises(InputError, match="starts with 739..753"):
        utrn.decode("73941569907863060474")


def test_decode_refuses_non_strings() -> None:
    with pytest.raises(InputError, match="20 decimal digits"):
        utrn.decode(73946144332040217315)  # type: ignore[arg-type]


# -- RTDS keys: issue and verify the vectors -------------------------------------------------------
@pytest.mark.rtds
@pytest.mark.parametrize("vec", VECTORS["issued"], ids=lambda v: v["name"])
def test_issue_reproduces_vectors(rtds_keys: Keystore, vec: dict) -> None:
    code = utrn.issue(rtds_keys, supplier=vec["supplier"], meter=vec["meter"], counter=_int(vec["counter"]),
                      value=vec["value"], value_class=vec["value_class"])
    assert code[:19] == vec["pptd"]
    if vec["utrn"]:
        assert code == vec["utrn"]


@pytest.mark.rtds
@pytest.mark.parametrize("vec", [v for v in VECTORS["issued"] if v["utrn"]], ids=lambda v: v["name"])
def test_verify_vectors_with_default_policy(rtds_keys: Keystore, vec: dict) -> None:
    v = utrn.verify(rtds_keys, vec["utrn"], supplier=vec["supplier"], meter=vec["meter"])
    assert v.counter == _int(vec["counter"])
    assert (v.value, v.value_class.label) == (vec["value"], vec["value_class"])
    assert (str(v.supplier), str(v.meter)) == (vec["supplier"], vec["meter"])
    # ... and with the full counter given explicitly, as a CS01a/CS01b header would give it
    assert utrn.verify(rtds_keys, vec["utrn"], supplier=vec["supplier"], meter=vec["meter"],
                       counter=_int(vec["counter"])).counter == _int(vec["counter"])


@pytest.mark.rtds
@pytest.mark.parametrize("vec", VECTORS["intermediates"], ids=lambda v: v["name"])
def test_mac_intermediate_values(rtds_keys: Keystore, vec: dict) -> None:
    mi = utrn.mac_inputs(rtds_keys, vec["supplier"], vec["meter"], _int(vec["counter"]) or 0, int(vec["hi32"], 16))
    assert mi.key.hex().upper() == vec["key"]
    assert mi.tag.hex().upper() == vec["tag"]
    assert mi.iv == bytes.fromhex(vec["supplier"]) + bytes(4)
    if "other_info" in vec:
        assert mi.other_info == bytes.fromhex(vec["other_info"].replace(" ", ""))
        assert mi.aad == bytes.fromhex(vec["aad"].replace(" ", ""))
    if "ptut" in vec:  # PTUT = hi32 || the LAST four tag bytes
        assert vec["ptut"] == vec["hi32"] + vec["tag"][-8:]


@pytest.mark.rtds
@pytest.mark.parametrize("vec", VECTORS["rejected_mac"], ids=lambda v: f"{v['utrn']}-{v['meter']}-{v['counter']}")
def test_verify_rejects_wrong_keys_and_counters(rtds_keys: Keystore, vec: dict) -> None:
    with pytest.raises(AuthenticationError) as exc:
        utrn.verify(rtds_keys, vec["utrn"], supplier=vec["supplier"], meter=vec["meter"], counter=_int(vec["counter"]))
    assert str(exc.value) == "UTRN failed authentication"  # terse: never says which part was wrong


@pytest.mark.parametrize("vec", VECTORS["rejected_issue"], ids=lambda v: f"{v['field']}={v['value']}")
def test_issue_rejects_bad_fields(vec: dict) -> None:
    request = {"supplier": SUPPLIER, "meter": ESME, "counter": 1 << 32, "value": 100, "value_class": "pennies"}
    utrn.issue(OWN_KEYS, **request)  # the unchanged request is fine
    request[vec["field"]] = vec["value"]
    with pytest.raises(InputError, match=vec["field"]):
        utrn.issue(OWN_KEYS, **request)


@pytest.mark.rtds
def test_issue_with_the_wrong_class_gives_a_different_code(rtds_keys: Keystore) -> None:
    """Vector #1 issued as class pennies instead of pounds (DOMAIN.md §1.6 rejection vector): the PPTD is
    worked out here without the code under test - the PTUT layout (DOMAIN.md §1: 7 zero bits | ctr10 |
    class 00 = pennies | 13-bit value), the GMAC with ``cryptography`` over #1's published key and AAD
    with the high word changed (the KDF inputs carry no class, so the key is #1's), the GBCS 14 offset."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    code = utrn.issue(rtds_keys, supplier=SUPPLIER, meter=ESME, counter=1 << 32, value=100, value_class="pennies")
    (v1,) = [v for v in VECTORS["intermediates"] if v["name"] == "1"]
    hi32 = (1 << 15) | (0b00 << 13) | 100  # ctr10 = 1 (counter 2**32), class pennies, value 100
    assert f"{(1 << 15) | (0b01 << 13) | 100:08X}" == v1["hi32"]  # the layout read right: #1 is pounds
    aad = bytes.fromhex(v1["aad"].replace(" ", "")[:-8]) + hi32.to_bytes(4, "big")
    tag = AESGCM(bytes.fromhex(v1["key"])).encrypt(bytes.fromhex(SUPPLIER) + bytes(4), b"", aad)
    ptut = (hi32 << 32) | int.from_bytes(tag[-4:], "big")
    assert code[:19] == str(ptut + 0x669D529B714A0000)  # PPTD = PTUT + the GBCS 14 offset
    assert code[:19] != "7394333345718904331"  # and so not vector #1 (class pounds)


@pytest.mark.rtds
def test_eui_forms_are_accepted(rtds_keys: Keystore) -> None:
    code = utrn.issue(rtds_keys, supplier="90-B3-D5-1F-30-01-00-00", meter="00db 1234 5678 90a0",
                      counter=1 << 32, value=100, value_class="POUNDS")
    assert code == "73943333457189043313"


def test_unknown_meter_is_a_key_error_naming_the_eui() -> None:
    with pytest.raises(KeyNotFoundError, match="00DB1234567890FF"):
        utrn.issue(OWN_KEYS, supplier=SUPPLIER, meter="00DB1234567890FF", counter=1 << 32, value=1)


# -- RTDS command files: the UTRN inside CS01a / CS01b -------------------------------------------------
CS01_FILES = {
    "2.2_CS01a/CS01a_2.2_SUCCESS_COMMAND_GBCS.HEX": ("73946144332040217315", ESME),
    "2.2_CS01a/CS01a_2.2_ERROR_COMMAND_GBCS.HEX": ("73948959061972833313", ESME),
    "2.2_CS01b/CS01b_2.2_SUCCESS_COMMAND_GBCS.HEX": ("73950067887105178605", "00DB1234567890A1"),
}


def _utrn_and_header_counter(path: Path) -> tuple[str, int, str, str]:
    """The 20 ASCII digits in the payload and the GBCS header fields, sliced by hand (no frames module)."""
    raw = bytes.fromhex(path.read_text().strip())
    found = re.findall(rb"(?<![0-9])[0-9]{20}(?![0-9])", raw)
    assert len(found) == 1, found
    at = raw.index(b"\xdf\x09\x01")  # general-signing tag, transaction-id length 9, CRA command
    counter = int.from_bytes(raw[at + 3 : at + 11], "big")
    assert raw[at + 11] == 0x08 and raw[at + 20] == 0x08  # system-title lengths
    originator, recipient = raw[at + 12 : at + 20].hex().upper(), raw[at + 21 : at + 29].hex().upper()
    return found[0].decode(), counter, originator, recipient


@pytest.mark.rtds
@pytest.mark.parametrize("name", sorted(CS01_FILES))
def test_rtds_cs01_utrn_verifies_with_the_header_counter(rtds_dir: Path, rtds_keys: Keystore, name: str) -> None:
    code, counter, originator, recipient = _utrn_and_header_counter(rtds_dir / "RTDS-4.5.0" / name)
    assert (code, recipient) == CS01_FILES[name]
    v = utrn.verify(rtds_keys, code, supplier=originator, meter=recipient)
    assert v.counter == counter  # the default reconstruction gives exactly the header counter
    assert utrn.verify(rtds_keys, code, supplier=originator, meter=recipient, counter=counter).counter == counter


@pytest.mark.rtds
def test_rtds_cs01b_error_utrn_is_rejected_as_malformed(rtds_dir: Path) -> None:
    code, counter, _, recipient = _utrn_and_header_counter(
        rtds_dir / "RTDS-4.5.0" / "2.2_CS01b" / "CS01b_2.2_ERROR_COMMAND_GBCS.HEX")
    assert (code, counter, recipient) == ("12345678910121314156", 7 << 32, "00DB1234567890A1")
    with pytest.raises(InputError, match="check digit"):
        utrn.decode(code)


@pytest.mark.rtds
def test_rtds_pcs01_utrn_decodes_but_its_dummy_mac_does_not_verify(rtds_dir: Path, rtds_keys: Keystore) -> None:
    raw = bytes.fromhex((rtds_dir / "RTDS-4.5.0" / "NA_PCS01" / "PCS01_NA_SUCCESS_COMMAND_GBCS.HEX").read_text().strip())
    (code,) = re.findall(rb"[0-9]{20}", raw)
    d = utrn.decode(code.decode())
    assert (d.ctr10, d.value_class, d.value, d.mac32) == (0, utrn.ValueClass.PENNIES, 2025, 0)
    with pytest.raises(AuthenticationError):
        utrn.verify(rtds_keys, code.decode(), supplier=SUPPLIER, meter="00DB1234567890A1")


# -- counter reconstruction (DOMAIN.md §1.9) -----------------------------------------------------------
def test_low32_zero_policy_is_ctr10_shifted() -> None:
    assert utrn.reconstruct_counter(5) == 5 << 32
    assert utrn.reconstruct_counter(5, (9 << 42) | (700 << 32), "low32_zero") == 5 << 32
    assert utrn.reconstruct_counter(1023) == 0x3FF_0000_0000


@pytest.mark.parametrize(("ctr10", "highest", "expected"), [
    (10, (7 << 42) | (3 << 32), (7 << 42) | (10 << 32)),  # moving forward inside the 10-bit window
    (3, (7 << 42) | (1000 << 32), (8 << 42) | (3 << 32)),  # 10 bits wrapped: bits 42.. bumped
    (3, (7 << 42) | (3 << 32), (7 << 42) | (3 << 32)),  # same counter: the duplicate check decides later
    (3, None, 3 << 32),  # nothing accepted yet
    # SmartDCC "epoch" counters: 1_700_000_000 = 0x6553F100, so ctr10 = 0x100 and bits 42.. = 0x1954FC
    (0x104, 1_700_000_000 << 32, (0x1954FC << 42) | (0x104 << 32)),
    (0x004, 1_700_000_000 << 32, (0x1954FD << 42) | (0x004 << 32)),
])
def test_track_high_bits_policy(ctr10: int, highest: int | None, expected: int) -> None:
    assert utrn.reconstruct_counter(ctr10, highest, "track_high_bits") == expected


def test_reconstruction_refuses_bad_arguments() -> None:
    with pytest.raises(InputError, match="ctr10 1024"):
        utrn.reconstruct_counter(1024)
    with pytest.raises(InputError, match="low32_zero, track_high_bits"):
        utrn.reconstruct_counter(1, None, "newest")
    with pytest.raises(InputError, match="exhausted"):
        utrn.reconstruct_counter(4, (((1 << 22) - 1) << 42) | (5 << 32), "track_high_bits")


@pytest.mark.rtds
def test_verify_with_track_high_bits_accepts_epoch_counters(rtds_keys: Keystore) -> None:
    counter = 1_700_000_000 << 32  # above 2**42: low32_zero cannot reconstruct it
    code = utrn.issue(rtds_keys, supplier=SUPPLIER, meter=ESME, counter=counter, value=500)
    with pytest.raises(AuthenticationError):
        utrn.verify(rtds_keys, code, supplier=SUPPLIER, meter=ESME)
    v = utrn.verify(rtds_keys, code, supplier=SUPPLIER, meter=ESME, policy="track_high_bits",
                    highest_accepted=counter - (5 << 32))
    assert v.counter == counter
