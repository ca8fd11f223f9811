"""Conformance against the DCC Reference Test Data Set (RTDS 4.5.0), read in place via ``rtds_dir``.

Expected values come from the RTDS itself (its bytes, MACs and signatures), its ``index.csv`` (an
independent parse: message code, CRA, frame type, titles, counters, expected check results) and
the worked example and unit vectors of DOMAIN.md §2.5.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import random
from pathlib import Path

import pytest

from smetslab.errors import AuthenticationError, CodecError, KeyNotFoundError
from smetslab.gbcs import frames, security
from smetslab.gbcs.frames import CRA, GeneralCiphering, GeneralSigning
from smetslab.gbcs.kdf import derive_key, other_info
from smetslab.gbcs.keystore import KeyId, Keystore, KeyUsage
from smetslab.units import EUI64

ACB = EUI64("90B3D51F30000002")

# index.csv vocabulary -> check() status
MAC_STATUS = {"valid": "valid", "n/a": "absent", "unverifiable(device-originated)": "unknown_key",
              "unverifiable(no key)": "unknown_key"}
SIGNATURE_STATUS = {"valid": "valid", "none(00)": "absent", "absent": "absent"}


@dataclasses.dataclass(frozen=True)
class Message:
    row: dict[str, str]
    wire: bytes

    @property
    def name(self) -> str:
        return self.row["file"]


@pytest.fixture(scope="module")
def corpus(rtds_dir: Path) -> list[Message]:
    with (rtds_dir / "index.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [Message(r, bytes.fromhex((rtds_dir / r["file"]).read_text().strip())) for r in rows]


@pytest.fixture(scope="module")
def keys(rtds_dir: Path) -> Keystore:
    return Keystore.from_directory(rtds_dir / "keystore")


def by_file(corpus: list[Message], suffix: str) -> Message:
    [m] = [m for m in corpus if m.name.endswith(suffix)]
    return m


def test_all_1275_messages_decode_and_reencode_byte_for_byte(corpus: list[Message]) -> None:
    assert len(corpus) == 1275
    for m in corpus:
        assert frames.encode(frames.decode(m.wire)) == m.wire, m.name


def test_decoded_fields_match_the_index(corpus: list[Message]) -> None:
    kinds = collections.Counter()
    for m in corpus:
        f = frames.decode(m.wire)
        a = frames.apdu_of(f)
        r = m.row
        assert ("general-ciphering" if isinstance(f, GeneralCiphering) else "general-signing") == r["frame"], m.name
        assert a.cra.name.lower() == r["cra"], m.name
        assert a.message_code == int(r["message_code"], 16), m.name
        assert a.originator.hex() == r["originator"] and a.recipient.hex() == r["recipient"], m.name
        assert a.originator_counter == int(r["originator_counter"], 16), m.name
        party = a.other_information.supplementary_remote_party_id
        assert (party.hex() if party is not None else "") == r["supplementary_remote_party"], m.name
        assert len(a.other_information.encode()) == int(r["other_info_len"]), m.name
        assert (a.date_time is not None) == (r["header_datetime"] == "yes"), m.name
        # the file kind agrees with the CRA flag; pre-commands are the unsigned bare commands
        kinds[(r["kind"], a.cra.name, a.signature_field)] += 1
    assert kinds[("PRECOMMAND", "COMMAND", False)] == 178
    assert sum(v for (kind, cra, _), v in kinds.items() if kind == "COMMAND" and cra == "COMMAND") == 501
    assert kinds[("RESPONSE", "RESPONSE", True)] == 503 and kinds[("ALERT", "ALERT", True)] == 93


def test_check_results_match_the_index_and_the_headline_counts(corpus: list[Message], keys: Keystore) -> None:
    macs = collections.Counter()
    signatures = collections.Counter()
    for m in corpus:
        result = security.check(m.wire, keys, acb=ACB)
        assert result.mac == MAC_STATUS[m.row["mac"]], m.name
        assert result.signature == SIGNATURE_STATUS[m.row["signature"]], m.name
        macs[result.mac] += 1
        signatures[result.signature] += 1
    assert macs == {"valid": 811, "absent": 460, "unknown_key": 4}
    assert signatures == {"valid": 472, "absent": 803}


def test_ppmid_gsme_messages_report_unknown_key(corpus: list[Message], keys: Keystore) -> None:
    pcs = [m for m in corpus if m.row["use_case"] in ("PCS01", "PCS02")]
    assert len(pcs) == 4
    for m in pcs:
        result = security.check(m.wire, keys, acb=ACB)
        assert (result.mac, result.signature) == ("unknown_key", "absent"), m.name
        with pytest.raises(KeyNotFoundError):
            security.verify(m.wire, keys, acb=ACB)


def test_every_protected_rtds_message_verifies(corpus: list[Message], keys: Keystore) -> None:
    verified = 0
    for m in corpus:
        if m.row["mac"] == "valid" or m.row["signature"] == "valid":
            security.verify(m.wire, keys, acb=ACB)
            verified += 1
    assert verified == 1275 - 178 - 4  # all but the pre-commands and the PPMID<->GSME messages


def test_mac_wrap_rebuilds_every_macd_rtds_command_byte_for_byte(corpus: list[Message], keys: Keystore) -> None:
    rebuilt = 0
    for m in corpus:
        f = frames.decode(m.wire)
        if isinstance(f, GeneralCiphering) and m.row["mac"] == "valid":
            assert frames.encode(security.mac_wrap(f.apdu, keys, ACB)) == m.wire, m.name
            rebuilt += 1
    assert rebuilt == 811


def test_signed_precommands_equal_their_rtds_commands_except_for_the_random_signature(
        corpus: list[Message], keys: Keystore) -> None:
    pairs = 0
    for m in corpus:
        if m.row["kind"] != "PRECOMMAND":
            continue
        sibling = m.name.replace("_PRECOMMAND_", "_COMMAND_")
        commands = [c for c in corpus if c.name == sibling]
        signed = security.sign_precommand(m.wire, keys)
        mine = frames.decode(signed)
        assert isinstance(mine, GeneralSigning) and mine.signature is not None
        security.verify_signature(mine, keys)
        if commands:
            theirs = frames.apdu_of(frames.decode(commands[0].wire))
            if theirs.signature is not None:
                assert dataclasses.replace(mine, signature=theirs.signature) == theirs, m.name
                pairs += 1
    assert pairs >= 150


# -- DOMAIN.md §2.5 worked example and unit vectors -----------------------------------------------


def test_worked_example_cs01a_command_and_response(corpus: list[Message], keys: Keystore) -> None:
    cmd = frames.decode(by_file(corpus, "2.2_CS01a/CS01a_2.2_SUCCESS_COMMAND_GBCS.HEX").wire)
    rsp = frames.decode(by_file(corpus, "2.2_CS01a/CS01a_2.2_SUCCESS_RESPONSE_GBCS.HEX").wire)
    assert isinstance(cmd, GeneralCiphering) and isinstance(rsp, GeneralCiphering)
    assert security.mac_key(cmd.apdu, keys, ACB).hex().upper() == "1FF6C2DA093143CBB880B6E2DE9E4CD6"
    assert security.compute_mac(cmd.apdu, keys, ACB).hex().upper() == "5D439FB5EF72197A2A924C32"
    assert security.mac_key(rsp.apdu, keys).hex().upper() == "18336F03EA806506B6A945DE676BE6BB"
    assert security.compute_mac(rsp.apdu, keys).hex().upper() == "E0F2FADBA9F0C5292A56F416"


@pytest.mark.parametrize(("pair", "orig", "mode", "counter", "recip", "key"), [
    (("90B3D51F30000002", "00DB1234567890A0"), "90B3D51F30010000", 1, 0x0000000100000000, "00DB1234567890A0",
     "6A93E360717394015DF93E031218C9A6"),
    (("90B3D51F30010000", "00DB1234567890A0"), "00DB1234567890A0", 2, 0x0000000100000000, "90B3D51F30010000",
     "03FD30815577C49EB7E3834B63EF8302"),
    (("90B3D51F30010000", "00DB1234567890A0"), "00DB1234567890A0", 3, 0x00000000000007D1, "90B3D51F30010000",
     "558FB1FA6660AF0D9E8365C47804B8FA"),
])
def test_kdf_unit_vectors(keys: Keystore, pair: tuple[str, str], orig: str, mode: int, counter: int,
                          recip: str, key: str) -> None:
    z = keys.agree(KeyId(EUI64(pair[0]), KeyUsage.KA), KeyId(EUI64(pair[1]), KeyUsage.KA))
    assert derive_key(z, other_info(bytes.fromhex(orig), mode, counter, bytes.fromhex(recip))).hex().upper() == key
    # and through the frame-level key selection, which must pick the same pair
    apdu = GeneralSigning(CRA(mode), counter, EUI64(orig), EUI64(recip), frames.OtherInformation(1), b"")
    assert security.mac_key(apdu, keys, ACB).hex().upper() == key


# -- protected payloads (§2.6) --------------------------------------------------------------------


def test_protected_payloads_decrypt(corpus: list[Message], keys: Keystore) -> None:
    decrypted: dict[str, int] = collections.Counter()
    for m in corpus:
        f = frames.decode(m.wire)
        for block, plaintext in security.decrypt_protected(f, keys):
            assert len(plaintext) == len(block.ciphertext)
            decrypted[m.row["use_case"]] += 1
    # DOMAIN.md §2.6 names these as carrying ciphered blocks (DLMS and GBZ)
    for use_case in ("ECS19", "ECS21b", "GCS16b", "GCS61", "GCS14"):
        assert decrypted[use_case] >= 1, use_case
    assert sum(decrypted.values()) >= 60


def test_ecs19_prepayment_registers_decrypt_to_a_dlms_structure(corpus: list[Message], keys: Keystore) -> None:
    f = frames.decode(by_file(corpus, "4.3_ECS19/ECS19_4.3_SUCCESS_RESPONSE_GBCS.HEX").wire)
    [(block, plaintext)] = security.decrypt_protected(f, keys)
    assert block.kind == "dlms"
    assert plaintext[:1] == b"\x02"  # DLMS structure tag: the register values
    tampered = dataclasses.replace(block, ciphertext=bytes((block.ciphertext[0] ^ 1,)) + block.ciphertext[1:])
    content = frames.apdu_of(f).content
    start = block.offset + 5
    bad = content[:start] + tampered.ciphertext + content[start + len(tampered.ciphertext):]
    with pytest.raises(AuthenticationError):
        security.decrypt_protected(dataclasses.replace(frames.apdu_of(f), content=bad), keys)


def test_urp_protected_payload_needs_the_supplementary_remote_party(corpus: list[Message], keys: Keystore) -> None:
    # ECS21b URP response: the header recipient is the ACB, the payload is for supplier 90B3D51F30010000
    f = frames.decode(by_file(corpus, "ECS21b_4.14_URP_SUCCESS_RESPONSE_GBCS.HEX").wire)
    apdu = frames.apdu_of(f)
    assert apdu.recipient == ACB and apdu.other_information.supplementary_originator_counter is not None
    assert len(security.decrypt_protected(f, keys)) == 1
    without = dataclasses.replace(apdu, other_information=frames.OtherInformation(apdu.message_code))
    with pytest.raises((AuthenticationError, KeyNotFoundError)):
        security.decrypt_protected(without, keys)


# -- tampering RTDS messages ----------------------------------------------------------------------

REFUSED = (AuthenticationError, CodecError, KeyNotFoundError)


def _protected(corpus: list[Message]) -> list[Message]:
    return [m for m in corpus if m.row["mac"] == "valid" or m.row["signature"] == "valid"]


def test_tampering_any_byte_of_sampled_rtds_messages_is_detected(corpus: list[Message], keys: Keystore) -> None:
    rng = random.Random(7)
    sample = rng.sample(_protected(corpus), 25)
    cases = 0
    for m in sample:
        for at in range(len(m.wire)):
            damaged = bytearray(m.wire)
            damaged[at] ^= rng.randrange(1, 256)
            with pytest.raises(REFUSED):
                security.verify(bytes(damaged), keys, acb=ACB)
            cases += 1
    assert cases > 2000


@pytest.mark.slow
def test_tampering_any_byte_of_every_rtds_message_is_detected(corpus: list[Message], keys: Keystore) -> None:
    for m in _protected(corpus):
        for at in range(len(m.wire)):
            damaged = bytearray(m.wire)
            damaged[at] ^= 0x5A
            with pytest.raises(REFUSED):
                security.verify(bytes(damaged), keys, acb=ACB)
