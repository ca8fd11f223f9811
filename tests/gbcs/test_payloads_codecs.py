"""Payload codecs without RTDS: hand vectors from DOMAIN.md / the DLMS and ZCL layouts, malformed
input, encoder validation, and property tests that decode(encode(x)) == x."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smetslab.errors import CodecError, InputError
from smetslab.gbcs.payloads import RawPayload, axdr, decode_payload, encode_payload, parse_payload
from smetslab.gbcs.payloads.axdr import (
    BitString,
    CompactArray,
    Data,
    DataType,
    TypeDescription,
    decode_data,
    describe_date_time,
    encode_data,
)
from smetslab.gbcs.payloads.der import (
    DerNode,
    JoinCommand,
    JoinedDevice,
    JoinResponse,
    ReadJoinDetailsCommand,
    ReadJoinDetailsResponse,
    UnjoinCommand,
    UnjoinResponse,
    decode_der,
    decode_join_command,
    decode_join_response,
    decode_read_join_details_command,
    decode_read_join_details_response,
    decode_unjoin_command,
    decode_unjoin_response,
    encode_der,
    encode_typed_der,
)
from smetslab.gbcs.payloads.dlms import (
    AccessKind,
    AccessRequest,
    AccessResponse,
    DataNotification,
    RequestSpec,
    ResponseSpec,
    decode_dlms,
    encode_dlms,
    parse_obis,
    top_up_request,
    top_up_utrn,
)
from smetslab.gbcs.payloads.gbz import (
    ConsumerTopUp,
    ConsumerTopUpResponse,
    DefaultResponse,
    FirmwareReceipt,
    FutureDatedAlert,
    GbzAlert,
    GbzComponent,
    GbzPayload,
    IntegrityWarning,
    RawZcl,
    ReadAttributes,
    SelectAvailableEmergencyCredit,
    ZclHeader,
    consumer_top_up_component,
    decode_gbz,
    decode_gbz_alert,
    encode_gbz,
    zigbee_time_text,
)

UTRN = "73946144332040217315"     # DOMAIN.md §1.6 vector #4


# -- hand vectors --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "wire"), [
    (axdr.long_unsigned(90), "12005A"),                      # CCS01 join timeout
    (axdr.boolean(True), "03FF"),
    (axdr.boolean(False), "0300"),
    (axdr.integer(-1), "0FFF"),
    (axdr.long(-2), "10FFFE"),
    (axdr.double_long(-1), "05FFFFFFFF"),
    (axdr.double_long_unsigned(0x1C35F900), "061C35F900"),
    (axdr.long64(-2), "14FFFFFFFFFFFFFFFE"),
    (axdr.long64_unsigned(1), "150000000000000001"),
    (axdr.enum(1), "1601"),
    (axdr.unsigned(255), "11FF"),
    (axdr.null_data(), "00"),
    (axdr.visible_string("Reset"), "0A055265736574"),
    (axdr.octet_string(b"\xAA" * 128), "098180" + "AA" * 128),      # long-form length
    (axdr.octet_string(b"\xAA" * 300), "0982012C" + "AA" * 300),
    (Data(DataType.BIT_STRING, BitString(32, bytes.fromhex("E0000006"))), "0420E0000006"),   # RTDS DBCH04
    (Data(DataType.BIT_STRING, BitString(3, b"\xA0")), "0403A0"),
    (axdr.structure(axdr.octet_string(bytes.fromhex("00DB1234567890A0")), axdr.enum(1)),
     "0202090800DB1234567890A01601"),
    (axdr.array(), "0100"),
    (Data(DataType.DATE_TIME, bytes.fromhex("07DF0101FF000000008000FF")), "1907DF0101FF000000008000FF"),
    (Data(DataType.COMPACT_ARRAY, CompactArray(TypeDescription(DataType.LONG_UNSIGNED), bytes.fromhex("00010002"))),
     "131204" "00010002"),
])
def test_axdr_vectors(data: Data, wire: str) -> None:
    assert encode_data(data) == bytes.fromhex(wire)
    assert decode_data(bytes.fromhex(wire)) == data


@pytest.mark.parametrize(("wire", "offset", "words"), [
    ("09810541424344 45", 1, "non-minimal"),     # 81 05: length 5 must be written 05
    ("098200" "10" + "00" * 16, 1, "non-minimal"),
    ("0301", 1, "boolean"),                      # only 00 / FF
    ("07", 0, "unknown type tag 0x07"),
    ("0905414243", 2, "truncated octet-string"),   # offset: where the missing string starts
    ("0203" "1100", 2, "3 members but only 2"),
    ("12", 1, "truncated long-unsigned"),
    ("1100" "00", 2, "trailing"),
    ("0180", 1, "unsupported length form"),
])
def test_axdr_malformed(wire: str, offset: int, words: str) -> None:
    with pytest.raises(CodecError) as e:
        decode_data(bytes.fromhex(wire.replace(" ", "")))
    assert e.value.offset == offset and words in str(e.value)


def test_axdr_base_offset_is_added() -> None:
    with pytest.raises(CodecError) as e:
        decode_data(bytes.fromhex("0301"), base=100)
    assert e.value.offset == 101 and "at byte offset 101" in str(e.value)


def test_axdr_depth_limit_is_a_codec_error() -> None:
    deep = bytes.fromhex("0201") * 5000 + b"\x00"
    with pytest.raises(CodecError, match="nested deeper"):
        decode_data(deep)


@pytest.mark.parametrize(("data", "words"), [
    (axdr.unsigned(256), "outside 0..255"),
    (axdr.integer(128), "outside -128..127"),
    (Data(DataType.BOOLEAN, 1), "bool"),
    (Data(DataType.BIT_STRING, BitString(9, b"\x00")), "ceil"),
    (Data(DataType.DATE_TIME, b"\x00" * 11), "12 raw bytes"),
    (Data(DataType.OCTET_STRING, "text"), "bytes"),   # type: ignore[arg-type]
])
def test_axdr_encoder_refuses_bad_values(data: Data, words: str) -> None:
    with pytest.raises(InputError, match=words):
        encode_data(data)


@pytest.mark.parametrize(("raw", "text"), [
    ("07DF0101FF000000008000FF", "2015-01-01 00:00:00.00 status 0xFF"),
    ("07DE0C1FFF173200008000FF", "2014-12-31 23:50:00.00 status 0xFF"),
    ("FFFFFFFFFFFFFFFFFF8000FF", "****-**-** **:**:**.** status 0xFF"),
    ("07E00AFEFF0000000000000000", None),                       # 13 bytes: not a date-time
    ("07E00A1E07173B3B63FFC400", "2016-10-30 23:59:59.99 dev -60 min status 0x00"),
    ("07E00D01FF000000008000FF", None),                         # month 13
])
def test_describe_date_time(raw: str, text: str | None) -> None:
    assert describe_date_time(bytes.fromhex(raw)) == text


def test_obis_parsing() -> None:
    assert parse_obis("0-0:19.40.0.255") == bytes([0, 0, 19, 40, 0, 255])
    for bad in ("0-0:19.40.0", "0-0:19.40.0.256", "x"):
        with pytest.raises(InputError, match="OBIS"):
            parse_obis(bad)


def test_cs01a_payload_from_the_domain_layout() -> None:
    """DOMAIN.md §1.7/§2.3: D9, invoke id, no date-time, 1 ACTION spec (115, 0-0:19.40.0.255, method 1),
    1 datum octet-string(20) of the UTRN's ASCII digits."""
    wire = bytes.fromhex("D9" "20000003" "00" "01" "03" "0073" "0000132800FF" "01" "01" "0914") + UTRN.encode()
    req = decode_dlms(wire)
    assert isinstance(req, AccessRequest) and top_up_utrn(req) == UTRN
    assert encode_dlms(top_up_request(UTRN, invoke_id=0x20000003)) == wire


def test_access_response_and_notification_layouts() -> None:
    # CCS01 response shape (§2.3): no date-time, specs not echoed, 3 null data, ACTION/SET/SET results
    wire = bytes.fromhex("DA2000051600" "00" "03000000" "03" "0300" "0200" "02FA")
    resp = decode_dlms(wire)
    assert resp == AccessResponse(0x20000516, (axdr.null_data(),) * 3,
                                  (ResponseSpec(AccessKind.ACTION, 0), ResponseSpec(AccessKind.SET, 0),
                                   ResponseSpec(AccessKind.SET, 0xFA)))
    assert encode_dlms(resp) == wire
    note = bytes.fromhex("0F20000FA000" "0202" "12810E" "090C07DF0101FF000000008000FF")
    n = decode_dlms(note)
    assert isinstance(n, DataNotification) and n.body.items[0] == axdr.long_unsigned(0x810E)
    assert encode_dlms(n) == note


def test_get_with_selection_spec() -> None:
    """ECS35a shape: GET-with-selection carries its access-selector and parameters inside the spec."""
    wire = bytes.fromhex("D9200003EA00" "01" "04" "0007" "0000636200FF" "02" "01" "0203"
                         "061C35F900" "061C374A80" "0100" "01" "00")
    req = decode_dlms(wire)
    assert isinstance(req, AccessRequest)
    (spec,) = req.specs
    assert (spec.kind, spec.class_id, spec.member_id, spec.selector) == (AccessKind.GET_WITH_SELECTION, 7, 2, 1)
    assert spec.parameters is not None and spec.parameters.type == DataType.STRUCTURE
    assert req.data == (axdr.null_data(),)
    assert encode_dlms(req) == wire


@pytest.mark.parametrize(("wire", "words"), [
    ("D920", "truncated long-invoke-id"),
    ("C0010000", "DLMS APDU tag 0xC0"),
    ("D9200000030001" "06", "choice 6"),
    ("DA2000000000" "02", "presence flag 2"),
    ("DA20000000000000" "01" "0400", "choice 4"),
    ("D920000003" "00" "00" "00" "FF", "trailing"),
    ("D9200000030005", "5 elements but only 0"),
])
def test_dlms_malformed(wire: str, words: str) -> None:
    with pytest.raises(CodecError, match=words):
        decode_dlms(bytes.fromhex(wire))


def test_dlms_encoder_validation() -> None:
    with pytest.raises(InputError, match="UTRN"):
        top_up_request("1234", invoke_id=1)
    with pytest.raises(InputError, match="6 bytes"):
        encode_dlms(AccessRequest(1, (RequestSpec(AccessKind.GET, 1, b"\x00" * 5, 2),), (axdr.null_data(),)))
    with pytest.raises(InputError, match="access-selector"):
        encode_dlms(AccessRequest(1, (RequestSpec(AccessKind.GET_WITH_SELECTION, 1, b"\x00" * 6, 2),), ()))
    with pytest.raises(InputError, match="invoke-id"):
        encode_dlms(DataNotification(1 << 32, axdr.null_data()))


def test_cs01b_payload_from_the_domain_layout() -> None:
    """DOMAIN.md §1.7/§2.3: 01 09, 1 component, control 01 (last), cluster 0705, length 0019, ZCL 01 00 04,
    originating device 00, octet-string 14 + 20 ASCII digits."""
    wire = bytes.fromhex("0109" "01" "01" "0705" "0019" "010004" "00" "14") + UTRN.encode()
    p = decode_gbz(wire)
    assert p == GbzPayload((GbzComponent(0x01, 0x0705, ZclHeader(0x01, 0, 0x04), ConsumerTopUp(0, UTRN.encode())),))
    assert encode_gbz(GbzPayload((consumer_top_up_component(UTRN, originating_device=0),))) == wire
    assert decode_payload(0x0097, wire, cra=1)["utrn"] == UTRN


def test_consumer_top_up_response_layout() -> None:
    # result u8, value int32 LE, source u8, credit int32 LE (§1.7); 1250 p reported as 1 250 000
    wire = bytes.fromhex("0109" "01" "01" "0705" "000D" "090003" "00" "D0121300" "00" "C0AA7F01")
    (c,) = decode_gbz(wire).components
    assert c.payload == ConsumerTopUpResponse(0, 1_250_000, 0, 25_144_000)
    err = bytes.fromhex("0109" "01" "01" "0705" "000D" "090003" "01" "FFFFFFFF" "00" "FFFFFFFF")
    assert decode_gbz(err).components[0].payload == ConsumerTopUpResponse(1, -1, 0, -1)


def test_gbz_future_dated_component_and_manufacturer_header() -> None:
    wire = bytes.fromhex("0109" "01" "11" "0705" "000D" "1C0E6C00" "05" "3412" "07" "0A" "00F9351C")
    (c,) = decode_gbz(wire).components
    assert c.future_dated and c.from_date_time == 0x1C0E6C00
    assert c.header == ZclHeader(0x05, 7, 0x0A, manufacturer_code=0x1234)
    assert c.payload == RawZcl(bytes.fromhex("00F9351C"))
    assert encode_gbz(GbzPayload((c,))) == wire


def test_gbz_encrypted_component_keeps_ciphered_bytes() -> None:
    ciphered = bytes.fromhex("3100000000") + b"\x11" * 7 + b"\x22" * 12
    wire = bytes.fromhex("0109" "01" "03" "0702" "001F" "0000" "180001" "0018") + ciphered
    (c,) = decode_gbz(wire).components
    assert c.encrypted and c.payload is None and c.ciphered == ciphered
    assert encode_gbz(GbzPayload((c,))) == wire


@pytest.mark.parametrize(("wire", "words"), [
    ("010801", "profile id 0x0108"),
    ("010902" "01070500050100", "cannot fit"),
    ("010901" "0107050005" "010004" "00" "FF", "truncated top up code"),   # code length FF, 0 bytes left
    ("010901" "0107050003" "090003", "truncated result type"),
    ("010901" "0107050004" "090003" "00", "truncated top up value"),
    ("010901" "0107050003" "010004", "truncated originating device"),
    ("010901" "0100000004" "00000B" "00", "truncated default response status"),
    ("010901" "0100000006" "00000B" "000000", "unexpected bytes after DefaultResponse"),
    ("010901" "0100000004" "000000" "01", "whole number of 2-byte ids"),
    ("010901" "0307020007" "0000" "180001" "0005" "31", "truncated ciphered information"),
    ("010901" "01070500FF010004", "runs past the end"),
])
def test_gbz_malformed(wire: str, words: str) -> None:
    with pytest.raises(CodecError, match=words):
        decode_gbz(bytes.fromhex(wire))


def test_gbz_alert_layouts() -> None:
    plain = bytes.fromhex("0109" "00" "810E" "1C374A80")
    a = decode_gbz_alert(plain)
    assert a == GbzAlert(0x810E, 0x1C374A80, 0, b"")
    assert zigbee_time_text(a.timestamp) == "2015-01-01T00:00:00Z"   # 0x1C374A80 s = 5479 days after 2000-01-01
    fd = bytes.fromhex("0109" "01" "8F66" "38818890" "0E" "006B" "00000000000003ED" "0700" "09" "06")
    assert decode_gbz_alert(fd, message_code=0x00CD).body == FutureDatedAlert(0x006B, 0x3ED, 0x0700, 0x09, 0x06)
    with pytest.raises(CodecError, match="length 13"):
        decode_gbz_alert(fd.replace(bytes.fromhex("0E006B"), bytes.fromhex("0D006B")), message_code=0x00CD)
    miiwa = bytes.fromhex("0109" "01" "81A0" "1C374A80" "0005")
    assert decode_gbz_alert(miiwa, message_code=0x00F2).body == IntegrityWarning(5)
    fdra = bytes.fromhex("0109" "01" "8F72" "1C374A80" "0920") + b"\xA1" * 32
    assert decode_gbz_alert(fdra, message_code=0x00CF).body == FirmwareReceipt(b"\xA1" * 32)
    for wire, code in ((plain, None), (fd, 0x00CD), (miiwa, 0x00F2), (fdra, 0x00CF)):
        assert encode_gbz(decode_gbz_alert(wire, message_code=code)) == wire


def test_gbz_builders_validate() -> None:
    with pytest.raises(InputError, match="UTRN"):
        consumer_top_up_component("7394614433204021731x", originating_device=0)
    with pytest.raises(InputError, match="allowed 0..255"):
        encode_gbz(GbzPayload((GbzComponent(1, 0x0705, ZclHeader(1, 0, 4), ConsumerTopUp(256, b"")),)))
    with pytest.raises(InputError, match="manufacturer code"):
        encode_gbz(GbzPayload((GbzComponent(1, 0x0705, ZclHeader(0x05, 0, 4), RawZcl(b"")),)))


# -- DER ---------------------------------------------------------------------------------------------

def test_join_command_der_layout() -> None:
    """§3.5: SEQUENCE { INTEGER role, OCTET STRING(8) EUI, INTEGER type } -- RTDS CS03A1 bytes."""
    wire = bytes.fromhex("3010" "020100" "040800DB12345678909A" "020105")
    cmd = decode_join_command(wire)
    assert cmd == JoinCommand(0, bytes.fromhex("00DB12345678909A"), 5)
    assert encode_typed_der(cmd) == wire
    assert decode_payload(0x000D, wire, cra=1)["join"]["device_type"] == "PPMID"


@pytest.mark.parametrize(("typed", "wire"), [
    (JoinResponse(0), "020100"), (JoinResponse(11), "02010B"), (JoinResponse(128), "02020080"),
    (UnjoinCommand(bytes.fromhex("0102030405060708")), "04080102030405060708"), (UnjoinResponse(1), "020101"),
    (ReadJoinDetailsCommand(), "0500"), (ReadJoinDetailsResponse(1), "3003020101"),
    (ReadJoinDetailsResponse(0, (JoinedDevice(bytes(8), 3),)), "3014" "020100" "300F" "300D" "04080000000000000000" "020103"),
])
def test_typed_der_vectors(typed: object, wire: str) -> None:
    assert encode_typed_der(typed) == bytes.fromhex(wire)   # type: ignore[arg-type]


@pytest.mark.parametrize(("decoder", "wire", "words"), [
    (decode_join_response, "02020001", "not canonical"),          # INTEGER with a redundant leading zero
    (decode_join_response, "0400", "expected INTEGER"),
    (decode_unjoin_command, "0407" + "00" * 7, "expected 8"),
    (decode_join_command, "3003020100", "expected 3 or 4"),
    (decode_read_join_details_command, "0501" + "00", "NULL with content"),
    (decode_read_join_details_response, "3000", "expected 1 or 2"),
    (decode_unjoin_response, "0200", "empty INTEGER"),
    (decode_join_command, "308110" "020100" "040800DB12345678909A" "020105", "not canonical"),   # 81 10: non-minimal
])
def test_typed_der_refuses(decoder: object, wire: str, words: str) -> None:
    with pytest.raises(CodecError, match=words):
        decoder(bytes.fromhex(wire))   # type: ignore[operator]


@pytest.mark.parametrize(("wire", "words"), [
    ("3080", "indefinite"), ("30850000000000", "5 octets"), ("3004020100", "runs past the end"),
    ("1FFFFFFFFF01", "longer than 4"), ("020100" "00", "trailing"), ("", "truncated DER tag"),
])
def test_der_malformed(wire: str, words: str) -> None:
    with pytest.raises(CodecError, match=words):
        decode_der(bytes.fromhex(wire))


def test_der_keeps_non_minimal_lengths_and_high_tags() -> None:
    wire = bytes.fromhex("30820005" "020100" "0500")         # 82 0005: GBCS-style non-minimal length
    node = decode_der(wire)
    assert node.length_form == 2 and encode_der(node) == wire
    assert encode_der(DerNode(node.tag, node.content)) == bytes.fromhex("3005" "020100" "0500")
    high = bytes.fromhex("1F8101" "01" "FF")                # high-tag-number form, tag 129
    assert encode_der(decode_der(high)) == high


def test_der_depth_limit() -> None:
    body = b"\x05\x00"
    for _ in range(200):
        n = len(body)
        body = b"\x30" + (bytes([n]) if n < 0x80 else b"\x82" + n.to_bytes(2, "big")) + body
    with pytest.raises(CodecError, match="nested deeper"):
        decode_der(body)


# -- decode_payload dispatch ---------------------------------------------------------------------------

def test_dispatch_and_errors() -> None:
    assert decode_payload(0x7777, b"\x42\x42", cra=1) == {"kind": "raw", "hex": "4242"}
    assert isinstance(parse_payload(0x7777, b"", cra=2), RawPayload)
    with pytest.raises(CodecError, match="expected DLMS"):
        parse_payload(0x0007, b"\x01", cra=1)            # CS01a always carries DLMS
    with pytest.raises(CodecError):
        parse_payload(0x000D, b"\x30\x05", cra=1)        # CS03A1 is DER: must parse
    with pytest.raises(InputError, match="CRA flag"):
        parse_payload(0x0007, b"", cra=4)
    # well-formed DER of another shape under a join code: shown as a generic tree
    tree = decode_payload(0x000D, bytes.fromhex("3003020107"), cra=1)
    assert tree["kind"] == "der" and "join" not in tree and tree["der"]["tag"] == "SEQUENCE"
    assert encode_payload(parse_payload(0x000D, bytes.fromhex("3003020107"), cra=1)) == bytes.fromhex("3003020107")


# -- property tests: encode -> decode round trips -------------------------------------------------------

def _int_data(t: DataType, width: int, signed: bool) -> st.SearchStrategy[Data]:
    lo, hi = (-(1 << (8 * width - 1)), (1 << (8 * width - 1)) - 1) if signed else (0, (1 << (8 * width)) - 1)
    return st.integers(lo, hi).map(lambda v: Data(t, v))


_simple_types = st.sampled_from([DataType.BOOLEAN, DataType.LONG_UNSIGNED, DataType.DOUBLE_LONG, DataType.ENUM,
                                 DataType.OCTET_STRING, DataType.FLOAT32, DataType.DATE_TIME])
type_descriptions = st.recursive(
    _simple_types.map(TypeDescription),
    lambda inner: st.one_of(
        st.tuples(st.integers(0, 0xFFFF), inner).map(lambda ci: TypeDescription(DataType.ARRAY, ci[0], (ci[1],))),
        st.lists(inner, max_size=4).map(lambda ms: TypeDescription(DataType.STRUCTURE, 0, tuple(ms))),
    ),
    max_leaves=6,
)

leaf_data = st.one_of(
    st.just(Data(DataType.NULL_DATA)), st.just(Data(DataType.DONT_CARE)),
    st.booleans().map(axdr.boolean),
    st.integers(0, 70).flatmap(lambda bits: st.binary(min_size=(bits + 7) // 8, max_size=(bits + 7) // 8)
                               .map(lambda b: Data(DataType.BIT_STRING, BitString(bits, b)))),
    _int_data(DataType.DOUBLE_LONG, 4, True), _int_data(DataType.DOUBLE_LONG_UNSIGNED, 4, False),
    _int_data(DataType.INTEGER, 1, True), _int_data(DataType.LONG, 2, True), _int_data(DataType.UNSIGNED, 1, False),
    _int_data(DataType.LONG_UNSIGNED, 2, False), _int_data(DataType.LONG64, 8, True),
    _int_data(DataType.LONG64_UNSIGNED, 8, False), _int_data(DataType.ENUM, 1, False), _int_data(DataType.BCD, 1, False),
    st.sampled_from([DataType.OCTET_STRING, DataType.VISIBLE_STRING, DataType.UTF8_STRING]).flatmap(
        lambda t: st.binary(max_size=300).map(lambda b: Data(t, b))),
    st.sampled_from([(DataType.FLOAT32, 4), (DataType.FLOAT64, 8), (DataType.DATE_TIME, 12), (DataType.DATE, 5),
                     (DataType.TIME, 4)]).flatmap(lambda tw: st.binary(min_size=tw[1], max_size=tw[1])
                                                  .map(lambda b: Data(tw[0], b))),
    st.tuples(type_descriptions, st.binary(max_size=40)).map(
        lambda dc: Data(DataType.COMPACT_ARRAY, CompactArray(dc[0], dc[1]))),
)
dlms_data = st.recursive(
    leaf_data,
    lambda inner: st.tuples(st.sampled_from([DataType.ARRAY, DataType.STRUCTURE]), st.lists(inner, max_size=5))
    .map(lambda tl: Data(tl[0], tuple(tl[1]))),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(d=dlms_data)
def test_axdr_round_trip(d: Data) -> None:
    wire = encode_data(d)
    assert decode_data(wire) == d
    assert encode_data(decode_data(wire)) == wire


obis = st.binary(min_size=6, max_size=6)
request_specs = st.one_of(
    st.builds(RequestSpec, st.sampled_from([AccessKind.GET, AccessKind.SET, AccessKind.ACTION]),
              st.integers(0, 0xFFFF), obis, st.integers(-128, 127)),
    st.builds(RequestSpec, st.sampled_from([AccessKind.GET_WITH_SELECTION, AccessKind.SET_WITH_SELECTION]),
              st.integers(0, 0xFFFF), obis, st.integers(-128, 127), st.integers(0, 255), dlms_data),
)
date_times = st.one_of(st.just(b""), st.binary(min_size=12, max_size=12))
invoke_ids = st.integers(0, 0xFFFFFFFF)
data_lists = st.lists(dlms_data, max_size=4).map(tuple)
dlms_payloads = st.one_of(
    st.builds(AccessRequest, invoke_ids, st.lists(request_specs, max_size=4).map(tuple), data_lists, date_times),
    st.builds(AccessResponse, invoke_ids, data_lists,
              st.lists(st.builds(ResponseSpec, st.sampled_from([AccessKind.GET, AccessKind.SET, AccessKind.ACTION]),
                                 st.integers(0, 255)), max_size=4).map(tuple),
              date_times, st.one_of(st.none(), st.lists(request_specs, max_size=3).map(tuple))),
    st.builds(DataNotification, invoke_ids, dlms_data, date_times),
)


@settings(max_examples=300, deadline=None)
@given(p=dlms_payloads)
def test_dlms_round_trip(p: AccessRequest | AccessResponse | DataNotification) -> None:
    wire = encode_dlms(p)
    assert decode_dlms(wire) == p
    assert encode_dlms(decode_dlms(wire)) == wire


u8 = st.integers(0, 255)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
i32 = st.integers(-(1 << 31), (1 << 31) - 1)


@st.composite
def zcl_commands(draw: st.DrawFn) -> tuple[int, ZclHeader, object]:
    """(cluster, header, payload) triples that decode back to the same payload type."""
    flags = draw(st.sampled_from([0x00, 0x10]))          # disable-default-response may vary freely
    seq = draw(u8)
    kind = draw(st.sampled_from(["top_up", "top_up_resp", "select_ec", "default", "read", "raw_cluster",
                                 "raw_manufacturer"]))
    if kind == "top_up":
        return 0x0705, ZclHeader(0x01 | flags, seq, 0x04), ConsumerTopUp(draw(u8), draw(st.binary(max_size=255)))
    if kind == "top_up_resp":
        return 0x0705, ZclHeader(0x09 | flags, seq, 0x03), ConsumerTopUpResponse(draw(u8), draw(i32), draw(u8), draw(i32))
    if kind == "select_ec":
        return 0x0705, ZclHeader(0x01 | flags, seq, 0x00), SelectAvailableEmergencyCredit(draw(u32), draw(u8))
    if kind == "default":
        return draw(u16), ZclHeader(draw(st.sampled_from([0x00, 0x08])) | flags, seq, 0x0B), DefaultResponse(draw(u8), draw(u8))
    if kind == "read":
        return draw(u16), ZclHeader(flags, seq, 0x00), ReadAttributes(tuple(draw(st.lists(u16, max_size=6))))
    if kind == "raw_cluster":
        cluster = draw(u16.filter(lambda c: c != 0x0705))
        return cluster, ZclHeader(0x01 | draw(st.sampled_from([0, 0x08])) | flags, seq, draw(u8)), RawZcl(draw(st.binary(max_size=60)))
    return draw(u16), ZclHeader(0x05 | flags, seq, draw(u8), draw(u16)), RawZcl(draw(st.binary(max_size=60)))


@st.composite
def gbz_components(draw: st.DrawFn) -> GbzComponent:
    extra = draw(st.sampled_from([0x00, 0x01, 0x20, 0x41, 0x80]))  # last / reserved bits ride along as sent
    if draw(st.booleans()):
        header = ZclHeader(draw(u8.filter(lambda f: not f & 0x04)), draw(u8), draw(u8))
        return GbzComponent(0x02 | extra, draw(u16), header, None, None, draw(u8), draw(u8),
                            draw(st.binary(max_size=80)))
    cluster, header, payload = draw(zcl_commands())
    if draw(st.booleans()):
        return GbzComponent(0x10 | extra, cluster, header, payload, draw(u32))   # type: ignore[arg-type]
    return GbzComponent(extra, cluster, header, payload)                         # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(components=st.lists(gbz_components(), max_size=4))
def test_gbz_round_trip(components: list[GbzComponent]) -> None:
    p = GbzPayload(tuple(components))
    wire = encode_gbz(p)
    assert decode_gbz(wire) == p
    assert encode_gbz(decode_gbz(wire)) == wire


@settings(max_examples=200, deadline=None)
@given(code=u16, ts=u32, choice=st.integers(0, 4), components=st.lists(gbz_components(), min_size=1, max_size=3),
       fd=st.builds(FutureDatedAlert, u16, st.integers(0, (1 << 64) - 1), u16, u8, u8), raw=st.binary(max_size=20),
       other=u16, digest=st.binary(max_size=200))
def test_gbz_alert_round_trip(code: int, ts: int, choice: int, components: list[GbzComponent],
                              fd: FutureDatedAlert, raw: bytes, other: int, digest: bytes) -> None:
    alert, message_code = [
        (GbzAlert(code, ts, len(components), tuple(components)), 0x1000),
        (GbzAlert(code, ts, 1, fd), 0x00CD),
        (GbzAlert(code, ts, 0, raw), 0x1001),
        (GbzAlert(code, ts, 1, IntegrityWarning(other)), 0x00F2),
        (GbzAlert(code, ts, 1, FirmwareReceipt(digest)), 0x00CF),
    ][choice]
    wire = encode_gbz(alert)
    assert decode_gbz_alert(wire, message_code=message_code) == alert


@st.composite
def der_nodes(draw: st.DrawFn, depth: int = 0) -> DerNode:
    constructed = depth < 3 and draw(st.booleans())
    if draw(st.integers(0, 9)) == 0:
        high = draw(st.lists(st.integers(0x80, 0xFF), max_size=2))
        tag = bytes([draw(st.sampled_from([0x1F, 0x5F, 0x9F, 0xDF])) | (0x20 if constructed else 0)])
        tag += bytes(high) + bytes([draw(st.integers(0, 0x7F))])
    else:
        tag = bytes([(draw(st.integers(0, 0x1E)) | draw(st.sampled_from([0x00, 0x40, 0x80, 0xC0])))
                     | (0x20 if constructed else 0)])
    content: bytes | tuple[DerNode, ...]
    if constructed:
        content = tuple(draw(st.lists(der_nodes(depth + 1), max_size=3)))
        size = len(encode_der(DerNode(tag, content)))
    else:
        content = draw(st.binary(max_size=300))
        size = len(content)
    form = draw(st.one_of(st.none(), st.integers(1, 3)))
    minimal_long = 0 if size < 0x80 else (size.bit_length() + 7) // 8
    if form is not None and (form == minimal_long or size >= 1 << (8 * form)):
        form = None          # that form is the minimal one (decodes as None) or cannot hold the length
    return DerNode(tag, content, form)


@settings(max_examples=300, deadline=None)
@given(node=der_nodes())
def test_der_round_trip(node: DerNode) -> None:
    wire = encode_der(node)
    assert decode_der(wire) == node


eui = st.binary(min_size=8, max_size=8)
certificates = st.one_of(st.none(), der_nodes().filter(lambda n: n.tag == b"\x30").map(encode_der),
                         st.lists(der_nodes(), max_size=3).map(lambda kids: encode_der(DerNode(b"\x30", tuple(kids)))))
big_int = st.integers(-(1 << 70), 1 << 70)


@settings(max_examples=300, deadline=None)
@given(t=st.one_of(
    st.builds(JoinCommand, big_int, eui, big_int, certificates),
    st.builds(JoinResponse, big_int), st.builds(UnjoinResponse, big_int), st.builds(UnjoinCommand, eui),
    st.just(ReadJoinDetailsCommand()),
    st.builds(ReadJoinDetailsResponse, big_int,
              st.one_of(st.none(), st.lists(st.builds(JoinedDevice, eui, big_int), max_size=4).map(tuple))),
))
def test_typed_der_round_trip(t: object) -> None:
    wire = encode_typed_der(t)   # type: ignore[arg-type]
    decoder = {JoinCommand: decode_join_command, JoinResponse: decode_join_response,
               UnjoinResponse: decode_unjoin_response, UnjoinCommand: decode_unjoin_command,
               ReadJoinDetailsCommand: decode_read_join_details_command,
               ReadJoinDetailsResponse: decode_read_join_details_response}[type(t)]
    assert decoder(wire) == t
