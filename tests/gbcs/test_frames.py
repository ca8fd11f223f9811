"""GBCS frame codec: layouts of DOMAIN.md §2.1, strictness, round trips, and a decoder that only
ever raises CodecError. Expected bytes are written out by hand from the §2.1 tables."""

from __future__ import annotations

import csv
import dataclasses
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smetslab.errors import CodecError, InputError
from smetslab.gbcs import frames
from smetslab.gbcs.frames import CRA, GeneralCiphering, GeneralSigning, OtherInformation
from smetslab.units import EUI64

SUPPLIER = EUI64("90B3D51F30010000")
ESME = EUI64("00DB1234567890A0")
MAC = bytes(range(12))

# §2.1 by hand: DF | 09 CRA counter | 08 orig | 08 recip | date-time 00 | len 02 code 0007 | len 05 content | 00
APDU_HEX = ("DF" "09" "01" "0000000000000003" "08" "90B3D51F30010000" "08" "00DB1234567890A0"
            "00" "02" "0007" "05" "D920000003" "00")
# DD | six empty fields | length (5 + 40 + 12 = 57 = 0x39) | 11 00000000 | APDU | MAC
FRAME_HEX = "DD" "000000000000" "39" "1100000000" + APDU_HEX + MAC.hex().upper()


def apdu(**changes: object) -> GeneralSigning:
    base = GeneralSigning(CRA.COMMAND, 3, SUPPLIER, ESME, OtherInformation(0x0007), bytes.fromhex("D920000003"))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def codec_error(data: bytes) -> CodecError:
    with pytest.raises(CodecError) as info:
        frames.decode(data)
    return info.value


# -- layouts ------------------------------------------------------------------------------------


def test_general_signing_layout_matches_the_hand_written_bytes() -> None:
    assert frames.encode(apdu()).hex().upper() == APDU_HEX
    assert frames.decode(bytes.fromhex(APDU_HEX)) == apdu()


def test_general_ciphering_layout_matches_the_hand_written_bytes() -> None:
    frame = GeneralCiphering(apdu(), MAC)
    assert frames.encode(frame).hex().upper() == FRAME_HEX
    decoded = frames.decode(bytes.fromhex(FRAME_HEX))
    assert isinstance(decoded, GeneralCiphering)
    assert decoded.mac == MAC and decoded.apdu.message_code == 0x0007 and decoded.apdu.originator_counter == 3
    assert decoded.apdu.originator == SUPPLIER and decoded.apdu.recipient == ESME


def test_fields_decode_to_their_types() -> None:
    dt = bytes.fromhex("07DF0101FF000000008000FF")
    wire = frames.encode(apdu(cra=CRA.RESPONSE, date_time=dt, signature=bytes(range(64))))
    got = frames.decode(wire)
    assert isinstance(got, GeneralSigning)
    assert got.cra is CRA.RESPONSE and isinstance(got.originator, EUI64) and str(got.originator) == str(SUPPLIER)
    assert got.date_time == dt and got.signature == bytes(range(64))
    # 0C then the 12 date-time bytes sit right after the recipient title
    assert wire[29:42].hex().upper() == "0C07DF0101FF000000008000FF"
    assert wire[-65:-64] == b"\x40"


@pytest.mark.parametrize(("length", "prefix"), [
    (0, "00"), (127, "7F"), (128, "8180"), (255, "81FF"), (256, "820100"), (1000, "8203E8"),
])
def test_content_length_uses_the_minimal_ber_form(length: int, prefix: str) -> None:
    wire = frames.encode(apdu(content=b"\xab" * length))
    at = 30 + 3  # 29 header bytes, date-time 00, then other-information 02 0007
    assert wire[at:at + len(prefix) // 2].hex().upper() == prefix
    assert frames.decode(wire) == apdu(content=b"\xab" * length)


@pytest.mark.parametrize(("content_len", "prefix", "inner"), [
    # inner = security header 5 + APDU (33 + content length prefix + content + 1) + MAC 12
    (10, "3E", 62), (100, "8198", 152), (300, "820162", 354),
])
def test_ciphering_length_forms(content_len: int, prefix: str, inner: int) -> None:
    wire = frames.encode(GeneralCiphering(apdu(content=bytes(content_len)), MAC))
    assert wire[7:7 + len(prefix) // 2].hex().upper() == prefix
    assert len(wire) == 7 + len(prefix) // 2 + inner


def test_frame_too_long_for_the_supported_length_forms_is_refused_on_encode() -> None:
    with pytest.raises(InputError, match="too long"):
        frames.encode(GeneralCiphering(apdu(content=bytes(0xFFF0)), MAC))


@pytest.mark.parametrize(("other", "wire_hex"), [
    (OtherInformation(0x00A0), "00A0"),
    (OtherInformation(0x0123, EUI64("90B3D51F30010008")), "012390B3D51F30010008"),
    (OtherInformation(0x0001, SUPPLIER, 7), "000190B3D51F300100000000000000000007"),
    (OtherInformation(0x0034, SUPPLIER, 7, 0x7D2),
     "003490B3D51F30010000000000000000000700000000000007D2"),
])
def test_other_information_variants(other: OtherInformation, wire_hex: str) -> None:
    assert other.encode().hex().upper() == wire_hex
    wire = frames.encode(apdu(other_information=other))
    assert frames.decode(wire) == apdu(other_information=other)


def test_other_information_with_a_der_certificate() -> None:
    cert = bytes.fromhex("308190") + bytes(0x90)  # a SEQUENCE of 144 bytes: 81 nn long form
    other = OtherInformation(0x00A0, SUPPLIER, 1, ka_certificate=cert)
    wire = frames.encode(apdu(other_information=other))
    assert frames.decode(wire) == apdu(other_information=other)
    assert wire[30:32] == b"\x81\xa5"  # other-information length 2 + 8 + 8 + 147 = 165


@pytest.mark.parametrize("bad", [
    {"supplementary_remote_party_counter": 1},
    {"supplementary_remote_party_id": SUPPLIER, "supplementary_originator_counter": 1},
    {"supplementary_remote_party_id": SUPPLIER, "supplementary_remote_party_counter": 1,
     "supplementary_originator_counter": 2, "ka_certificate": b"\x30\x81\x80" + bytes(128)},
    {"supplementary_remote_party_id": SUPPLIER, "supplementary_remote_party_counter": 1,
     "ka_certificate": b"\x30\x03abc"},
])
def test_inconsistent_other_information_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InputError):
        OtherInformation(0x0001, **bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [
    {"originator_counter": -1}, {"originator_counter": 1 << 64}, {"date_time": bytes(11)},
    {"signature": bytes(63)}, {"signature": bytes(64), "signature_field": False},
    {"cra": CRA.RESPONSE, "signature_field": False}, {"cra": 2},
])
def test_invalid_general_signing_fields_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InputError):
        apdu(**bad)


def test_general_ciphering_needs_a_signature_field_and_a_12_byte_mac() -> None:
    with pytest.raises(InputError):
        GeneralCiphering(apdu(signature_field=False), MAC)
    with pytest.raises(InputError):
        GeneralCiphering(apdu(), bytes(16))


def test_signature_field_absent_null_and_present() -> None:
    absent = frames.encode(apdu(signature_field=False))
    assert absent == bytes.fromhex(APDU_HEX)[:-1]
    got = frames.decode(absent)
    assert isinstance(got, GeneralSigning) and got.signature is None and not got.signature_field
    null = frames.decode(bytes.fromhex(APDU_HEX))
    assert isinstance(null, GeneralSigning) and null.signature is None and null.signature_field
    signed = frames.encode(apdu(signature=b"\x11" * 64))
    assert signed == bytes.fromhex(APDU_HEX)[:-1] + b"\x40" + b"\x11" * 64


def test_signed_bytes_run_from_the_transaction_id_to_the_last_content_byte() -> None:
    assert frames.signed_bytes(apdu(signature=b"\x22" * 64)) == bytes.fromhex(APDU_HEX)[1:-1]


def test_format_date_time() -> None:
    assert frames.format_date_time(bytes.fromhex("07DF0101FF000000008000FF")) == "2015-01-01 00:00:00.00 status FF"
    assert frames.format_date_time(bytes.fromhex("FFFF0C1FFF173B0A00FFC400")) == (
        "****-12-31 23:59:10.00 deviation -60 min status 00")


# -- strictness: each rule named, with its offset ------------------------------------------------

FRAME = bytes.fromhex(FRAME_HEX)
APDU_BYTES = bytes.fromhex(APDU_HEX)


def _with(data: bytes, at: int, value: int) -> bytes:
    return data[:at] + bytes((value,)) + data[at + 1:]


@pytest.mark.parametrize(("data", "offset", "words"), [
    (b"", 0, "empty"),
    (b"\x30" + FRAME[1:], 0, "frame tag"),
    (_with(FRAME, 1, 0x01), 1, "GBT"),
    (_with(FRAME, 4, 0x01), 4, "empty (00)"),
    (_with(FRAME, 8, 0x10), 8, "security header"),
    (_with(FRAME, 12, 0x01), 12, "security header"),
    (_with(FRAME, 7, 0x3A), 65, "truncated"),
    (_with(FRAME, 7, 0x37), 63, "trailing"),
    (FRAME + b"\x00", 65, "trailing"),
    (_with(FRAME, 13, 0xDD), 13, "expected DF"),
    (_with(APDU_BYTES, 1, 0x0A), 1, "transaction-id length"),
    (_with(APDU_BYTES, 2, 0x04), 2, "CRA flag"),
    (_with(APDU_BYTES, 2, 0x00), 2, "CRA flag"),
    (_with(APDU_BYTES, 11, 0x07), 11, "originator system title"),
    (_with(APDU_BYTES, 20, 0x09), 20, "recipient system title"),
    (_with(APDU_BYTES, 29, 0x0B), 29, "date-time length"),
    (_with(APDU_BYTES, 30, 0x03), 31, "other-information length"),
    (APDU_BYTES[:30] + b"\x81\x02\x00\x07" + APDU_BYTES[33:], 30, "not minimal"),
    (APDU_BYTES[:33] + b"\x81\x05" + APDU_BYTES[34:], 33, "not minimal"),
    (APDU_BYTES[:33] + b"\x82\x00\x05" + APDU_BYTES[34:], 33, "not minimal"),
    (APDU_BYTES[:33] + b"\x83\x00\x00\x05" + APDU_BYTES[34:], 33, "allowed forms"),
    (APDU_BYTES[:33] + b"\x80" + APDU_BYTES[34:], 33, "allowed forms"),
    (APDU_BYTES + b"\x00", 40, "trailing"),
    (_with(APDU_BYTES, 39, 0x41), 39, "signature length"),
    (APDU_BYTES[:-1] + b"\x40" + bytes(63), 103, "signature truncated"),
    (APDU_BYTES[:-1] + b"\x40" + bytes(65), 104, "trailing"),
    (_with(APDU_BYTES, 2, 0x02)[:-1], 39, "only a pre-command"),
    (FRAME[:7], 7, "ciphered-content length"),
    (FRAME[:10], 10, "truncated"),
])
def test_each_malformation_is_a_codec_error_with_its_offset(data: bytes, offset: int, words: str) -> None:
    err = codec_error(data)
    assert err.offset == offset, str(err)
    assert words.lower() in str(err).lower()


def test_dd_frame_without_signature_field_is_refused() -> None:
    inner = b"\x11\x00\x00\x00\x00" + APDU_BYTES[:-1] + MAC
    err = codec_error(b"\xdd" + bytes(6) + bytes((len(inner),)) + inner)
    assert "signature field missing" in str(err)


@pytest.mark.parametrize("length", [1, 3, 9, 11, 17, 19, 25, 27, 40])
def test_other_information_lengths_outside_the_gbcs_layouts_are_refused(length: int) -> None:
    body = b"\x00\x07" + bytes(length - 2) if length >= 2 else b"\x00"
    data = APDU_BYTES[:30] + bytes((length,)) + body + APDU_BYTES[33:]
    with pytest.raises(CodecError) as info:
        frames.decode(data)
    assert info.value.offset is not None and 30 <= info.value.offset <= 33 + 16


def test_certificate_that_does_not_fill_other_information_is_refused() -> None:
    cert = b"\x30\x81\x90" + bytes(0x90)
    good = frames.encode(apdu(other_information=OtherInformation(0x00A0, SUPPLIER, 1, ka_certificate=cert)))
    # claim one byte less in the DER header: the DER no longer spans the other-information
    bad = good.replace(b"\x30\x81\x90", b"\x30\x81\x8f", 1)
    assert "does not fill" in str(codec_error(bad))
    bad = good.replace(b"\x30\x81\x90", b"\x31\x81\x90", 1)
    assert "DER certificate" in str(codec_error(bad))


# -- properties -----------------------------------------------------------------------------------

euis = st.binary(min_size=8, max_size=8).map(EUI64)
counters = st.integers(min_value=0, max_value=(1 << 64) - 1)


@st.composite
def other_infos(draw: st.DrawFn) -> OtherInformation:
    code = draw(st.integers(0, 0xFFFF))
    shape = draw(st.sampled_from(["2", "10", "18", "26", "cert"]))
    if shape == "2":
        return OtherInformation(code)
    if shape == "10":
        return OtherInformation(code, draw(euis))
    if shape == "18":
        return OtherInformation(code, draw(euis), draw(counters))
    if shape == "26":
        return OtherInformation(code, draw(euis), draw(counters), draw(counters))
    body = draw(st.binary(min_size=128, max_size=400))
    head = b"\x30\x81" + bytes((len(body),)) if len(body) < 256 else b"\x30\x82" + len(body).to_bytes(2, "big")
    return OtherInformation(code, draw(euis), draw(counters), ka_certificate=head + body)


@st.composite
def apdus(draw: st.DrawFn) -> GeneralSigning:
    cra = draw(st.sampled_from(list(CRA)))
    sig = draw(st.sampled_from(["absent", "null", "present"]) if cra is CRA.COMMAND
               else st.sampled_from(["null", "present"]))
    return GeneralSigning(
        cra, draw(counters), draw(euis), draw(euis), draw(other_infos()),
        draw(st.binary(max_size=600)),
        draw(st.none() | st.binary(min_size=12, max_size=12)),
        draw(st.binary(min_size=64, max_size=64)) if sig == "present" else None,
        sig != "absent",
    )


@st.composite
def any_frames(draw: st.DrawFn) -> frames.Frame:
    a = draw(apdus())
    if a.signature_field and draw(st.booleans()):
        return GeneralCiphering(a, draw(st.binary(min_size=12, max_size=12)))
    return a


@given(any_frames())
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_decode_inverts_encode(frame: frames.Frame) -> None:
    wire = frames.encode(frame)
    assert frames.decode(wire) == frame
    assert frames.encode(frames.decode(wire)) == wire


@given(any_frames(), st.data())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_every_truncation_of_a_frame_is_refused_or_is_an_unprotected_precommand(
        frame: frames.Frame, data: st.DataObject) -> None:
    wire = frames.encode(frame)
    cut = data.draw(st.integers(0, len(wire) - 1))
    try:
        got = frames.decode(wire[:cut])
    except CodecError:
        return
    # The only proper prefix that is itself a frame: a bare command cut at its content's end,
    # which is a pre-command carrying no protection (so it can never pass for the original).
    assert isinstance(got, GeneralSigning) and not got.signature_field and got.signature is None
    assert isinstance(frame, GeneralSigning) and frame.cra is CRA.COMMAND


@given(st.binary(max_size=300))
@settings(max_examples=1500)
def test_random_bytes_raise_only_codec_error(data: bytes) -> None:
    try:
        frame = frames.decode(data)
    except CodecError:
        return
    assert frames.encode(frame) == data  # anything accepted is canonical


@given(st.sampled_from([b"\xdd\x00\x00\x00\x00\x00\x00", b"\xdf\x09\x01", b"\xdf\x09\x02", b"\xdd\x00"]),
       st.binary(max_size=200))
@settings(max_examples=1500)
def test_random_bytes_behind_a_valid_prefix_raise_only_codec_error(prefix: bytes, tail: bytes) -> None:
    try:
        frame = frames.decode(prefix + tail)
    except CodecError:
        return
    assert frames.encode(frame) == prefix + tail


# -- RTDS: every truncation and random damage of the reference messages ---------------------------


def _rtds_messages(rtds_dir: Path) -> list[tuple[str, bytes]]:
    with (rtds_dir / "index.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [(r["file"], bytes.fromhex((rtds_dir / r["file"]).read_text().strip())) for r in rows]


@pytest.fixture(scope="module")
def rtds_messages(rtds_dir: Path) -> list[tuple[str, bytes]]:
    return _rtds_messages(rtds_dir)


def test_every_truncation_of_every_rtds_message_is_refused(rtds_messages: list[tuple[str, bytes]]) -> None:
    cases = 0
    allowed = 0
    for name, wire in rtds_messages:
        original = frames.decode(wire)
        for cut in range(len(wire)):
            cases += 1
            try:
                got = frames.decode(wire[:cut])
            except CodecError as exc:
                assert exc.offset is not None and 0 <= exc.offset <= cut, (name, cut, exc)
                continue
            # only a signed bare command cut right after its content decodes: as an unsigned pre-command
            assert isinstance(original, GeneralSigning) and original.cra is CRA.COMMAND, (name, cut)
            assert got == dataclasses.replace(original, signature=None, signature_field=False), (name, cut)
            allowed += 1
    assert cases > 300_000
    assert allowed == 4  # the four signed CS02 commands (RTDS README)


def test_random_damage_to_rtds_messages_raises_only_codec_error(rtds_messages: list[tuple[str, bytes]]) -> None:
    rng = random.Random(20240601)
    for _ in range(6000):
        _name, wire = rng.choice(rtds_messages)
        damaged = bytearray(wire)
        op = rng.randrange(4)
        at = rng.randrange(len(wire))
        if op == 0:
            damaged[at] = rng.randrange(256)
        elif op == 1:
            del damaged[at:at + rng.randrange(1, 8)]
        elif op == 2:
            damaged[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
        else:
            damaged[at:] = bytes(rng.randrange(256) for _ in range(len(wire) - at))
        try:
            frame = frames.decode(bytes(damaged))
        except CodecError:
            continue
        assert frames.encode(frame) == bytes(damaged)
