"""Use-case messages with keys generated here (no RTDS needed): round trips, tampering, strictness.

Independent sources: DOMAIN.md §2.1/§2.2 (which frame and protection each message class gets,
response counter = command counter, titles swapped), §2.3 (payload first bytes), §1.7 (the ZCL
originating devices 0 and 2), the RTDS time stamp bytes 07DF0101FF000000008000FF and 1C374A80
(both 2015-01-01T00:00Z), and the primitives recomputed directly where a property needs them.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smetslab.errors import AuthenticationError, CodecError, InputError, KeyNotFoundError
from smetslab.gbcs import frames, keygen, security
from smetslab.gbcs import messages as m
from smetslab.gbcs.frames import CRA, GeneralCiphering, GeneralSigning
from smetslab.gbcs.keystore import Keystore, KeyUsage
from smetslab.gbcs.messages import DeviceLogBackup, DeviceLogEntry, DlmsDateTime, JoinedDevice
from smetslab.gbcs.payloads.dlms import invoke_id_for
from smetslab.units import EUI64

PKI = keygen.generate_pki(seed=20240611)
KEYS = PKI.keystore()
E = PKI.entities
SUPPLIER, ACB, ESME, GSME, CHF, PPMID, HCALCS = E.supplier, E.acb, E.esme, E.gsme, E.chf, E.ppmid, E.hcalcs
UTC = datetime.UTC

# -- strategies ----------------------------------------------------------------------------------------

u64 = st.integers(0, (1 << 64) - 1)
u8 = st.integers(0, 0xFF)
i32 = st.integers(-(1 << 31), (1 << 31) - 1)
eui = st.binary(min_size=8, max_size=8).map(EUI64)
utrn = st.from_regex(r"[0-9]{20}", fullmatch=True)
dlms_time = st.builds(DlmsDateTime, year=st.integers(0, 0xFFFF), month=u8, day=u8, hour=u8, minute=u8, second=u8,
                      hundredths=u8, day_of_week=u8, deviation=st.integers(-0x8000, 0x7FFF), clock_status=u8)
zigbee_seconds = st.integers(0, 0xFFFFFFFF)
entry = st.builds(DeviceLogEntry, eui=st.binary(min_size=8, max_size=8),
                  hashed_link_key=st.one_of(st.just(b""), st.binary(min_size=16, max_size=16)))
backup = st.builds(DeviceLogBackup, backup_date_time=st.binary(min_size=12, max_size=12),
                   extended_pan_id=st.binary(min_size=8, max_size=8),
                   entries=st.lists(entry, max_size=4).map(tuple))
log_or_none = st.one_of(st.none(), backup)
PPMID_CERT = m.ka_certificate_der(KEYS, PPMID)
GSME_CERT = m.ka_certificate_der(KEYS, GSME)


def header(originator: EUI64, recipient: EUI64, acb_variant: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """Header fields; the ACB variant originates at the ACB and names the supplier as supplementary party."""
    if acb_variant:
        return st.fixed_dictionaries({"originator": st.just(ACB), "recipient": st.just(recipient), "counter": u64,
                                      "supplementary_remote_party": st.just(SUPPLIER),
                                      "supplementary_remote_party_counter": u64})
    return st.fixed_dictionaries({"originator": st.just(originator), "recipient": st.just(recipient), "counter": u64})


def reply(h: dict[str, Any]) -> dict[str, Any]:
    return {**h, "originator": h["recipient"], "recipient": h["originator"]}


def messages_of(cls: type[m.Message], fields: dict[str, st.SearchStrategy[Any]],
                headers: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[m.Message]:
    return st.builds(lambda h, f: cls(**h, **f), headers, st.fixed_dictionaries(fields))


def either(originator: EUI64, recipient: EUI64) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(header(originator, recipient), header(originator, recipient, acb_variant=True))


CCS = header(ACB, CHF, acb_variant=True)
STRATEGIES: dict[str, st.SearchStrategy[m.Message]] = {
    "CS01aCommand": messages_of(m.CS01aCommand, {"utrn": utrn}, header(SUPPLIER, ESME)),
    "CS01aResponse": messages_of(m.CS01aResponse, {"date_time": dlms_time, "result": u8},
                                 header(SUPPLIER, ESME).map(reply)),
    "CS01bCommand": messages_of(m.CS01bCommand, {"utrn": utrn}, header(SUPPLIER, GSME)),
    "CS01bResponse": messages_of(m.CS01bResponse, {"date_time": dlms_time, "result": u8, "top_up_value": i32,
                                                   "credit_remaining": i32, "source": u8},
                                 header(SUPPLIER, GSME).map(reply)),
    "PCS01Command": messages_of(m.PCS01Command, {"utrn": utrn}, header(PPMID, GSME)),
    "PCS01Response": messages_of(m.PCS01Response, {"result": u8, "top_up_value": i32, "credit_remaining": i32},
                                 header(PPMID, GSME).map(reply)),
    "PCS02Command": messages_of(m.PCS02Command, {"issue_date_time": zigbee_seconds}, header(PPMID, GSME)),
    "PCS02Response": messages_of(m.PCS02Response, {"status": u8}, header(PPMID, GSME).map(reply)),
    "ECS09Command": messages_of(m.ECS09Command, {}, header(SUPPLIER, ESME)),
    "ECS09Response": messages_of(m.ECS09Response, {"result": u8}, header(SUPPLIER, ESME).map(reply)),
    "GCS06Command": messages_of(m.GCS06Command, {"issue_date_time": zigbee_seconds}, header(SUPPLIER, GSME)),
    "GCS06Response": messages_of(m.GCS06Response, {"status": u8}, header(SUPPLIER, GSME).map(reply)),
    "CCS01Command": messages_of(m.CCS01Command, {"device": eui, "install_code": st.binary(min_size=1, max_size=32),
                                                 "join_timeout": st.integers(0, 0xFFFF), "enable_joining": st.booleans(),
                                                 "field2_enum": u8, "field4_enum": u8}, CCS),
    "CCS01Response": messages_of(m.CCS01Response, {"results": st.tuples(u8, u8, u8)}, CCS.map(reply)),
    "CCS02Command": messages_of(m.CCS02Command, {"device": eui}, CCS),
    "CCS02Response": messages_of(m.CCS02Response, {"result": u8}, CCS.map(reply)),
    "CCS03Command": messages_of(m.CCS03Command, {"extended_pan_id": eui,
                                                 "entries": st.lists(entry, max_size=4).map(tuple)}, CCS),
    "CCS03Response": messages_of(m.CCS03Response, {"result": u8}, CCS.map(reply)),
    "CCS07Command": messages_of(m.CCS07Command, {}, CCS),
    "CCS07Response": messages_of(m.CCS07Response, {"device_log": log_or_none, "historic_device_log": log_or_none,
                                                   "results": st.tuples(u8, u8)}, CCS.map(reply)),
    "CS14Alert": messages_of(m.CS14Alert, {"timestamp": dlms_time, "device_log": backup}, header(CHF, ACB)),
    "CS03A1Command": messages_of(m.CS03A1Command, {"other_device": eui, "device_type": st.integers(0, 6),
                                                   "method_role": st.integers(0, 3)}, header(SUPPLIER, ESME)),
    "CS03A1Response": messages_of(m.CS03A1Response, {"code": st.integers(0, 13)}, header(SUPPLIER, ESME).map(reply)),
    "CS03A2Command": messages_of(m.CS03A2Command, {"other_device": eui}, either(SUPPLIER, PPMID)),
    "CS03A2Response": messages_of(m.CS03A2Response, {"code": st.integers(0, 13)}, either(SUPPLIER, HCALCS).map(reply)),
    "CS03CCommand": messages_of(m.CS03CCommand, {"other_device": st.sampled_from([PPMID, GSME]),
                                                 "device_type": st.sampled_from([0, 5]),
                                                 "certificate": st.sampled_from([PPMID_CERT, GSME_CERT, None])},
                                either(SUPPLIER, GSME)),
    "CS03CResponse": messages_of(m.CS03CResponse, {"code": st.integers(0, 13)}, either(SUPPLIER, PPMID).map(reply)),
    "CS04ACCommand": messages_of(m.CS04ACCommand, {"other_device": eui}, either(SUPPLIER, ESME)),
    "CS04ACResponse": messages_of(m.CS04ACResponse, {"code": st.integers(0, 2)}, either(SUPPLIER, ESME).map(reply)),
    "CS07Command": messages_of(m.CS07Command, {}, either(SUPPLIER, GSME)),
    "CS07Response": messages_of(m.CS07Response, {"code": st.integers(0, 1), "devices": st.one_of(
        st.none(), st.lists(st.builds(JoinedDevice, eui=st.binary(min_size=8, max_size=8),
                                      device_type=st.integers(0, 6)), max_size=4).map(tuple))},
                                either(SUPPLIER, GSME).map(reply)),
    "DeviceAlert": messages_of(m.DeviceAlert, {
        "alert_code": st.sampled_from(sorted(m.PREPAYMENT_ALERT_CODES)) | st.integers(0, 0xFFFF),
        "timestamp": st.one_of(dlms_time, zigbee_seconds), "critical": st.sampled_from([None, True, False])},
        st.sampled_from([ESME, GSME]).flatmap(lambda d: header(d, SUPPLIER))),
}

# Every class the package exports is exercised (a new use case needs a strategy here).
EXPORTED = {name for name in m.__all__ if isinstance(getattr(m, name), type)
            and issubclass(getattr(m, name), m.Message) and getattr(m, name) is not m.Message}


def test_every_use_case_has_a_strategy() -> None:
    assert set(STRATEGIES) == EXPORTED
    assert len(EXPORTED) == 32


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", sorted(STRATEGIES))
@FAST
@given(data=st.data())
def test_build_then_read_gives_the_same_message(name: str, data: st.DataObject) -> None:
    msg = data.draw(STRATEGIES[name])
    wire = m.build(msg, KEYS)
    assert m.read(wire, KEYS, type(msg)) == msg
    assert m.read(wire, KEYS) == msg                # found by message code and CRA alone
    assert m.peek(wire) == msg


@pytest.mark.parametrize("name", sorted(STRATEGIES))
@FAST
@given(data=st.data())
def test_no_tampered_message_reads_as_valid(name: str, data: st.DataObject) -> None:
    msg = data.draw(STRATEGIES[name])
    wire = m.build(msg, KEYS)
    bit = data.draw(st.integers(0, 8 * len(wire) - 1))
    tampered = bytearray(wire)
    tampered[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises((AuthenticationError, CodecError, KeyNotFoundError)):
        m.read(bytes(tampered), KEYS)
    cut = data.draw(st.integers(0, len(wire) - 1))
    with pytest.raises((AuthenticationError, CodecError, KeyNotFoundError)):
        m.read(wire[:cut], KEYS)
    with pytest.raises(CodecError):
        m.read(wire + b"\x00", KEYS)


# -- protection, counters and layout follow DOMAIN.md §2.1/§2.2 -------------------------------------------

PROTECTION = {  # §2.2, from the GBCS message class of each use case
    "CS01aCommand": "mac", "CS01aResponse": "mac", "CS01bCommand": "mac", "CS01bResponse": "mac",
    "PCS01Command": "mac", "PCS01Response": "mac", "PCS02Command": "mac", "PCS02Response": "mac",
    "ECS09Command": "signed+mac", "ECS09Response": "signed", "GCS06Command": "signed+mac", "GCS06Response": "signed",
    "CCS01Command": "mac", "CCS01Response": "mac", "CCS02Command": "mac", "CCS02Response": "mac",
    "CCS03Command": "mac", "CCS03Response": "mac", "CCS07Command": "mac", "CCS07Response": "mac",
    "CS14Alert": "mac", "CS03A1Command": "signed+mac", "CS03A1Response": "signed",
    "CS03A2Command": "signed+mac", "CS03A2Response": "signed", "CS03CCommand": "signed+mac",
    "CS03CResponse": "signed", "CS04ACCommand": "signed+mac", "CS04ACResponse": "signed",
    "CS07Command": "mac", "CS07Response": "mac",
}


@pytest.mark.parametrize("name", sorted(PROTECTION))
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_frame_layout_and_who_signs(name: str, data: st.DataObject) -> None:
    msg = data.draw(STRATEGIES[name])
    wire = m.build(msg, KEYS)
    frame = frames.decode(wire)
    apdu = frames.apdu_of(frame)
    kind = PROTECTION[name]
    assert isinstance(frame, GeneralCiphering) == (kind != "signed")
    assert (apdu.signature is not None) == (kind != "mac")
    if apdu.signature is not None:                 # the originator's DS key signed (supplier, ACB or device)
        security.verify_signature(frame, KEYS)
        other = Keystore()
        other.add(apdu.originator, KeyUsage.DS, public=KEYS.public(ESME if apdu.originator != ESME else GSME,
                                                                     KeyUsage.DS))
        with pytest.raises(AuthenticationError):
            security.verify_signature(frame, other)
    assert (apdu.originator, apdu.recipient, apdu.originator_counter) == (msg.originator, msg.recipient, msg.counter)
    assert apdu.cra.name.lower() in name.lower()


def test_commands_mac_via_the_acb_and_replies_between_the_two_parties() -> None:
    """§2.5: a command's MAC key comes from the ACB's KA key, a reply's from the device and remote party."""
    cmd = m.CS01aCommand(originator=SUPPLIER, recipient=ESME, counter=0x3_0000_0000, utrn="7" * 20)
    wire = m.build(cmd, KEYS)
    device_side = Keystore()                        # what an ESME holds: its own KA, the ACB's public KA
    device_side.add(ESME, KeyUsage.KA, private=KEYS.private(ESME, KeyUsage.KA))
    device_side.add(ACB, KeyUsage.KA, public=KEYS.public(ACB, KeyUsage.KA))
    assert m.read(wire, device_side) == cmd
    supplier_only = Keystore()                      # the supplier's KA key does not key a command MAC
    supplier_only.add(SUPPLIER, KeyUsage.KA, private=KEYS.private(SUPPLIER, KeyUsage.KA))
    supplier_only.add(ESME, KeyUsage.KA, public=KEYS.public(ESME, KeyUsage.KA))
    with pytest.raises(KeyNotFoundError):
        m.build(cmd, supplier_only)
    answer = m.CS01aResponse.replying_to(cmd, date_time=DlmsDateTime(2015, 1, 1, 0, 0, 0), result=0)
    assert m.read(m.build(answer, supplier_only), supplier_only) == answer


def test_ppmid_to_gsme_is_keyed_between_the_two_devices() -> None:
    cmd = m.PCS01Command(originator=PPMID, recipient=GSME, counter=0x2710, utrn="7" * 20)
    gsme_side = Keystore()
    gsme_side.add(GSME, KeyUsage.KA, private=KEYS.private(GSME, KeyUsage.KA))
    gsme_side.add(PPMID, KeyUsage.KA, public=KEYS.public(PPMID, KeyUsage.KA))
    assert m.read(m.build(cmd, KEYS), gsme_side) == cmd
    no_ppmid = Keystore()                           # the ACB's key is of no use here
    no_ppmid.add(GSME, KeyUsage.KA, private=KEYS.private(GSME, KeyUsage.KA))
    no_ppmid.add(ACB, KeyUsage.KA, public=KEYS.public(ACB, KeyUsage.KA))
    with pytest.raises(KeyNotFoundError):
        m.read(m.build(cmd, KEYS), no_ppmid)


def test_replying_to_swaps_titles_and_keeps_counter_and_supplementary_party() -> None:
    cmd = m.CS03CCommand(originator=ACB, recipient=PPMID, counter=0x515, supplementary_remote_party=SUPPLIER,
                         supplementary_remote_party_counter=1001, other_device=GSME, device_type=0,
                         certificate=GSME_CERT)
    resp = m.CS03CResponse.replying_to(cmd, code=0)
    assert (resp.originator, resp.recipient, resp.counter) == (PPMID, ACB, 0x515)
    assert (resp.supplementary_remote_party, resp.supplementary_remote_party_counter) == (SUPPLIER, 1001)
    with pytest.raises(InputError):
        m.CS03A2Response.replying_to(cmd, code=0)   # the response of another use case
    with pytest.raises(InputError):
        m.CS03CCommand.replying_to(cmd)             # not a response at all


def test_dlms_invoke_id_and_payload_first_bytes() -> None:
    """§2.3: DLMS commands carry 0x20000000 | (counter & 0xFFFFFF); content types by first byte."""
    counter = 0x1234_5678_9ABC
    cases: list[tuple[m.Message, bytes]] = [
        (m.CS01aCommand(originator=SUPPLIER, recipient=ESME, counter=counter, utrn="1" * 20), b"\xd9"),
        (m.ECS09Response(originator=ESME, recipient=SUPPLIER, counter=counter), b"\xda"),
        (m.CS14Alert(originator=CHF, recipient=ACB, counter=counter, timestamp=DlmsDateTime(2020, 1, 1, 0, 0, 0),
                     device_log=DeviceLogBackup(bytes(12), bytes(8), ())), b"\x0f"),
        (m.DeviceAlert(originator=GSME, recipient=SUPPLIER, counter=counter, alert_code=0x810E, timestamp=5),
         b"\x01\x09"),
        (m.CS04ACCommand(originator=SUPPLIER, recipient=ESME, counter=counter, other_device=PPMID), b"\x04\x08"),
    ]
    for msg, first in cases:
        content = frames.apdu_of(frames.decode(m.build(msg, KEYS))).content
        assert content.startswith(first)
        if first[0] in (0xD9, 0xDA, 0x0F):
            assert content[1:5] == (0x20000000 | (counter & 0xFFFFFF)).to_bytes(4, "big")


def test_originating_device_is_0_from_the_supplier_and_2_from_the_ppmid() -> None:
    """§1.7: the ZCL originating-device byte of Consumer Top Up / Select Emergency Credit."""
    def device_byte(msg: m.Message, offset_from_end: int) -> int:
        return frames.apdu_of(frames.decode(m.build(msg, KEYS))).content[-offset_from_end]

    code = "73941656880950804485"
    assert device_byte(m.CS01bCommand(originator=SUPPLIER, recipient=GSME, counter=1, utrn=code), 22) == 0
    assert device_byte(m.PCS01Command(originator=PPMID, recipient=GSME, counter=1, utrn=code), 22) == 2
    assert device_byte(m.GCS06Command(originator=SUPPLIER, recipient=GSME, counter=1), 1) == 0
    assert device_byte(m.PCS02Command(originator=PPMID, recipient=GSME, counter=1), 1) == 2


def test_alert_class_follows_the_code_unless_given() -> None:
    def build(code: int, critical: bool | None = None) -> frames.Frame:
        alert = m.DeviceAlert(originator=ESME, recipient=SUPPLIER, counter=9, alert_code=code,
                              timestamp=DlmsDateTime(2020, 1, 1, 0, 0, 0), critical=critical)
        return frames.decode(m.build(alert, KEYS))

    for code in (0x8F51, 0x8F63, 0x8F64, 0x8F5B, 0x8F47):
        f = build(code)
        assert isinstance(f, GeneralSigning) and f.signature is not None and f.message_code == 0x1000
    for code in (0x810E, 0x81C4, 0x81C5):
        f = build(code)
        assert isinstance(f, GeneralCiphering) and f.apdu.signature is None and f.apdu.message_code == 0x1001
    forced = build(0x810E, critical=True)
    assert isinstance(forced, GeneralSigning) and forced.message_code == 0x1000


# -- strict reading -------------------------------------------------------------------------------------


def _remac(apdu: GeneralSigning) -> bytes:
    return frames.encode(security.mac_wrap(apdu, KEYS))


def test_a_foreign_invoke_id_is_accepted_but_extra_payload_is_not() -> None:
    cmd = m.CS01aCommand(originator=SUPPLIER, recipient=ESME, counter=7, utrn="9" * 20)
    apdu = frames.apdu_of(frames.decode(m.build(cmd, KEYS)))
    assert apdu.content[1:5] == invoke_id_for(7).to_bytes(4, "big")
    other_id = apdu.content[:1] + bytes.fromhex("20000099") + apdu.content[5:]
    assert m.read(_remac(dataclasses.replace(apdu, content=other_id)), KEYS) == cmd
    # A second request in the same access-request, correctly MAC'd, is not a CS01a command.
    doubled = bytearray(apdu.content)
    spec = bytes(doubled[7:17])                       # 03 0073 00001328 00FF 01: the ACTION spec
    data = bytes(doubled[18:])                        # 09 14 <utrn>
    doubled_content = bytes(doubled[:6]) + b"\x02" + spec + spec + b"\x02" + data + data
    with pytest.raises(CodecError):
        m.read(_remac(dataclasses.replace(apdu, content=doubled_content)), KEYS)


def test_layout_mismatches_are_refused() -> None:
    cmd = m.ECS09Command(originator=SUPPLIER, recipient=ESME, counter=5)
    signed = security.sign(frames.apdu_of(frames.decode(m.precommand(cmd))), KEYS)
    with pytest.raises(AuthenticationError):          # signed but not MAC'd: the ACB never saw it
        m.read(frames.encode(dataclasses.replace(signed, signature_field=True)), KEYS)
    resp = m.ECS09Response(originator=ESME, recipient=SUPPLIER, counter=5)
    wrapped = _remac(frames.apdu_of(frames.decode(m.build(resp, KEYS))))
    with pytest.raises(CodecError, match="bare"):     # a reply to a critical command is not MAC-wrapped
        m.read(wrapped, KEYS)
    noncritical = m.CS01aCommand(originator=SUPPLIER, recipient=ESME, counter=5, utrn="1" * 20)
    apdu = frames.apdu_of(frames.decode(m.build(noncritical, KEYS)))
    with pytest.raises(CodecError, match="signature"):
        m.read(_remac(security.sign(apdu, KEYS)), KEYS)
    with_party = dataclasses.replace(apdu, other_information=frames.OtherInformation(0x0007, SUPPLIER, 3))
    m.read(_remac(dataclasses.replace(apdu, other_information=frames.OtherInformation(0x0007))), KEYS)
    with pytest.raises(CodecError, match="supplementary"):
        m.read(_remac(with_party), KEYS)
    with pytest.raises(CodecError, match="date-time"):
        m.read(_remac(dataclasses.replace(apdu, date_time=bytes(12))), KEYS)


def test_payload_bytes_beyond_the_typed_fields_are_refused() -> None:
    """The reader re-encodes the fields: whatever they cannot express is refused, MAC or not."""
    def content_of(msg: m.Message) -> GeneralSigning:
        return frames.apdu_of(frames.decode(m.build(msg, KEYS)))

    topup = content_of(m.CS01aCommand(originator=SUPPLIER, recipient=ESME, counter=7, utrn="9" * 20))
    dated = topup.content[:5] + b"\x0c" + bytes(12) + topup.content[6:]     # access-request date-time present
    ec = content_of(m.ECS09Command(originator=SUPPLIER, recipient=ESME, counter=7))
    assert ec.content.endswith(b"\x0f\x00")                                # argument integer 0 (§2.7)
    ccs07 = content_of(m.CCS07Command(originator=ACB, recipient=CHF, counter=7, supplementary_remote_party=SUPPLIER,
                                      supplementary_remote_party_counter=1))
    ccs02 = content_of(m.CCS02Command(originator=ACB, recipient=CHF, counter=7, device=ESME,
                                      supplementary_remote_party=SUPPLIER, supplementary_remote_party_counter=1))
    for apdu, content in ((topup, dated), (ec, ec.content[:-1] + b"\x01"), (ccs07, ccs02.content)):
        forged = dataclasses.replace(apdu, content=content)
        if apdu.other_information.message_code == 0x0020:
            forged = security.sign(dataclasses.replace(forged, signature=None), KEYS)
        with pytest.raises(CodecError, match="form this use case has"):
            m.read(_remac(forged), KEYS)


def test_a_reply_without_its_header_date_time_is_refused() -> None:
    reply = m.CS01aResponse(originator=ESME, recipient=SUPPLIER, counter=3, date_time=DlmsDateTime(2015, 1, 1, 0, 0, 0))
    apdu = frames.apdu_of(frames.decode(m.build(reply, KEYS)))
    assert apdu.date_time == bytes.fromhex("07DF0101FF000000008000FF")
    with pytest.raises(CodecError, match="date-time"):
        m.read(_remac(dataclasses.replace(apdu, date_time=None)), KEYS)


def test_ccs_commands_need_the_supplementary_remote_party() -> None:
    with pytest.raises(InputError, match="supplementary"):
        m.CCS02Command(originator=ACB, recipient=CHF, counter=1, device=ESME)
    ccs = m.CCS02Command(originator=ACB, recipient=CHF, counter=1, device=ESME, supplementary_remote_party=SUPPLIER,
                         supplementary_remote_party_counter=2)
    apdu = frames.apdu_of(frames.decode(m.build(ccs, KEYS)))
    bare = dataclasses.replace(apdu, other_information=frames.OtherInformation(0x0002))
    with pytest.raises(CodecError, match="supplementary"):
        m.read(_remac(bare), KEYS)


@pytest.mark.parametrize(("make", "field"), [
    (lambda: m.CS01aCommand(originator=SUPPLIER, recipient=ESME, counter=1, utrn="123"), "utrn"),
    (lambda: m.CS01aCommand(originator=SUPPLIER, recipient=ESME, counter=-1, utrn="1" * 20), "counter"),
    (lambda: m.CS01aCommand(originator=SUPPLIER, recipient=ESME, counter=1 << 64, utrn="1" * 20), "counter"),
    (lambda: m.CS01aCommand(originator=SUPPLIER, recipient=ESME, counter=1, utrn="1" * 20,
                            supplementary_remote_party=SUPPLIER, supplementary_remote_party_counter=1),
     "supplementary"),
    (lambda: m.CS07Command(originator=ACB, recipient=ESME, counter=1, supplementary_remote_party=SUPPLIER),
     "supplementary"),
    (lambda: m.CS01bResponse(originator=GSME, recipient=SUPPLIER, counter=1, date_time=DlmsDateTime(2015, 1, 1, 0, 0, 0),
                             result=0, top_up_value=1 << 31, credit_remaining=0), "top_up_value"),
    (lambda: m.CCS01Command(originator=ACB, recipient=CHF, counter=1, supplementary_remote_party=SUPPLIER,
                            supplementary_remote_party_counter=1, device=ESME, install_code=b"", join_timeout=90),
     "install_code"),
    (lambda: m.CS03CCommand(originator=SUPPLIER, recipient=GSME, counter=1, other_device=PPMID, device_type=5,
                            certificate=b"\x02\x01\x00"), "certificate"),
    (lambda: m.DeviceAlert(originator=ESME, recipient=SUPPLIER, counter=1, alert_code=0x10000, timestamp=0),
     "alert_code"),
    (lambda: m.CS01aCommand(originator="not an EUI", recipient=ESME, counter=1, utrn="1" * 20), "originator"),
])
def test_bad_fields_raise_input_error_naming_the_field(make: Callable[[], m.Message], field: str) -> None:
    with pytest.raises(InputError, match=field):
        make()


def test_precommands() -> None:
    cmd = m.GCS06Command(originator=SUPPLIER, recipient=GSME, counter=0x3E8, issue_date_time=42)
    pre = m.precommand(cmd)
    apdu = frames.decode(pre)
    assert isinstance(apdu, GeneralSigning) and not apdu.signature_field      # no signature field (RTDS)
    assert m.peek(pre) == cmd
    with pytest.raises(AuthenticationError):
        m.read(pre, KEYS)
    wire = m.complete_precommand(pre, KEYS)
    assert m.read(wire, KEYS) == cmd
    with pytest.raises(InputError):
        m.precommand(m.CS01aCommand(originator=SUPPLIER, recipient=ESME, counter=1, utrn="1" * 20))


def test_envelope_routes_without_keys() -> None:
    cmd = m.CCS07Command(originator=ACB, recipient=CHF, counter=0x514, supplementary_remote_party=SUPPLIER,
                         supplementary_remote_party_counter=1000)
    env = m.envelope(m.build(cmd, KEYS))
    assert (env.message_code, env.cra, env.originator, env.recipient, env.counter) == (0x00FE, CRA.COMMAND, ACB, CHF,
                                                                                       0x514)
    assert (env.supplementary_remote_party, env.supplementary_remote_party_counter) == (SUPPLIER, 1000)
    assert (env.mac, env.signed) == (True, False)
    assert "CCS07" in env.name


def test_unknown_use_case_is_a_codec_error() -> None:
    apdu = GeneralSigning(CRA.COMMAND, 1, SUPPLIER, ESME, frames.OtherInformation(0x0019), b"\xd9")
    with pytest.raises(CodecError, match="not a use case"):
        m.read(_remac(apdu), KEYS)


# -- time stamps ----------------------------------------------------------------------------------------


def test_time_stamps_match_the_rtds_encodings() -> None:
    new_year_2015 = datetime.datetime(2015, 1, 1, tzinfo=UTC)
    assert DlmsDateTime.from_datetime(new_year_2015).encode() == bytes.fromhex("07DF0101FF000000008000FF")
    assert m.zigbee_time(new_year_2015) == 0x1C374A80
    assert m.from_zigbee_time(0x1C374A80) == new_year_2015
    when = datetime.datetime(2024, 2, 29, 23, 59, 58, 120_000, tzinfo=UTC)
    assert DlmsDateTime.from_datetime(when).to_datetime() == when
    with pytest.raises(InputError):
        DlmsDateTime.from_datetime(datetime.datetime(2024, 1, 1))          # naive: ambiguous
    with pytest.raises(InputError):
        DlmsDateTime(0xFFFF, 1, 1, 0, 0, 0).to_datetime()                   # year not specified


@given(dlms_time)
def test_dlms_date_time_decodes_what_it_encodes(t: DlmsDateTime) -> None:
    raw = t.encode()
    assert len(raw) == 12 and DlmsDateTime.decode(raw) == t


def test_certificate_helpers() -> None:
    assert m.certificate_eui(PPMID_CERT) == PPMID
    assert m.certificate_eui(GSME_CERT) == GSME
    assert m.certificate_eui(b"\x30\x03\x02\x01\x00") is None
