"""Payload codecs against every RTDS 4.5.0 message (content sliced by tests/gbcs/_rtds_content.py).

Expected values come from DOMAIN.md (§1.6 UTRN vectors, §1.7, §3.1, §3.5) and from the RTDS bytes
themselves (builders must reproduce the reference payloads exactly).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from _rtds_content import RTDSContent, load_rtds, one
from cryptography import x509

from smetslab.gbcs.payloads import (
    AccessRequest,
    AccessResponse,
    DataNotification,
    DerNode,
    GbzAlert,
    GbzPayload,
    JoinCommand,
    JoinResponse,
    ReadJoinDetailsCommand,
    ReadJoinDetailsResponse,
    UnjoinCommand,
    UnjoinResponse,
    decode_payload,
    encode_payload,
    parse_payload,
)
from smetslab.gbcs.payloads.axdr import DataType
from smetslab.gbcs.payloads.der import decode_der, encode_der, encode_typed_der
from smetslab.gbcs.payloads.dlms import (
    DeviceLogBackup,
    DeviceLogEntry,
    DlmsAlert,
    RegisterDevice,
    activate_emergency_credit_request,
    alert_notification,
    backup_pan_request,
    decode_dlms,
    encode_dlms,
    invoke_id_for,
    obis_text,
    parse_alert,
    register_device_request,
    restore_pan_request,
    top_up_request,
    unregister_device_request,
)
from smetslab.gbcs.payloads.gbz import (
    ConsumerTopUp,
    ConsumerTopUpResponse,
    FutureDatedAlert,
    GbzComponent,
    SelectAvailableEmergencyCredit,
    consumer_top_up_component,
    decode_gbz,
    decode_gbz_alert,
    encode_gbz,
    select_emergency_credit_component,
)

CS01A = "2.2_CS01a/CS01a_2.2_"
CS01B = "2.2_CS01b/CS01b_2.2_"
PCS01 = "NA_PCS01/PCS01_NA_SUCCESS_"


@pytest.fixture(scope="module")
def rtds(rtds_dir: Path) -> tuple[RTDSContent, ...]:
    items = load_rtds(rtds_dir)
    assert len(items) == 1275
    return items


# -- the whole corpus --------------------------------------------------------------------------------

def test_every_rtds_payload_decodes_to_json(rtds: tuple[RTDSContent, ...]) -> None:
    kinds: Counter[str] = Counter()
    for item in rtds:
        tree = decode_payload(item.message_code, item.content, cra=item.cra)
        json.dumps(tree, allow_nan=False)
        kinds[tree["kind"]] += 1
    # first-byte counts of the corpus (D9 389, DA 292, 0F 62, 01 09 354, DER 178)
    assert kinds == {"dlms-access-request": 389, "dlms-access-response": 292, "dlms-data-notification": 62,
                     "gbz": 354, "der": 178}


def test_every_rtds_payload_reencodes_byte_exact(rtds: tuple[RTDSContent, ...]) -> None:
    typed: Counter[str] = Counter()
    for item in rtds:
        p = parse_payload(item.message_code, item.content, cra=item.cra)
        assert encode_payload(p) == item.content, item.file
        typed[type(p).__name__] += 1
    assert typed["JoinCommand"] == 13 and typed["UnjoinCommand"] == 7 and typed["ReadJoinDetailsResponse"] == 2
    assert typed["RawPayload"] == 0


def test_each_codec_round_trips_its_rtds_payloads(rtds: tuple[RTDSContent, ...]) -> None:
    """The per-encoding codecs on their own: decode -> encode -> same bytes, decode again -> same value."""
    for item in rtds:
        c = item.content
        if c[:1] in (b"\xd9", b"\xda", b"\x0f"):
            d = decode_dlms(c)
            assert encode_dlms(d) == c and decode_dlms(encode_dlms(d)) == d
        elif c[:2] == b"\x01\x09":
            g: GbzPayload | GbzAlert = (decode_gbz_alert(c, message_code=item.message_code) if item.cra == 3
                                        else decode_gbz(c))
            assert encode_gbz(g) == c
        else:
            tree = decode_der(c)
            assert encode_der(tree) == c and decode_der(encode_der(tree)) == tree


def test_command_invoke_ids_follow_the_counter(rtds: tuple[RTDSContent, ...]) -> None:
    """DOMAIN.md §2.3 (I): invoke-id = 0x20000000 | (originator counter & 0xFFFFFF) on every command."""
    commands = [i for i in rtds if i.content[:1] == b"\xd9"]
    assert len(commands) == 389
    for item in commands:
        req = decode_dlms(item.content)
        assert isinstance(req, AccessRequest)
        assert req.invoke_id == invoke_id_for(item.counter), item.file


# -- top-up: CS01a (DLMS), CS01b and PCS01 (GBZ) ---------------------------------------------------------

@pytest.mark.parametrize(("outcome", "utrn"), [("SUCCESS", "73946144332040217315"),   # §1.6 vector #4
                                                ("ERROR", "73948959061972833313")])    # §1.6 vector #5
def test_cs01a_token_gateway_utrn(rtds: tuple[RTDSContent, ...], outcome: str, utrn: str) -> None:
    item = one(rtds, f"{CS01A}{outcome}_COMMAND")
    tree = decode_payload(item.message_code, item.content, cra=1)
    assert tree["utrn"] == utrn
    (req,) = tree["requests"]
    assert (req["access"], req["class_id"], req["obis"], req["method"]) == ("ACTION", 115, "0-0:19.40.0.255", 1)
    assert item.content.endswith(b"\x09\x14" + utrn.encode())             # octet-string(20) of ASCII digits
    assert encode_dlms(top_up_request(utrn, invoke_id=invoke_id_for(item.counter))) == item.content


@pytest.mark.parametrize(("outcome", "result"), [("SUCCESS", 0), ("ERROR", 1)])   # 1 = hardware-fault
def test_cs01a_response_action_result(rtds: tuple[RTDSContent, ...], outcome: str, result: int) -> None:
    item = one(rtds, f"{CS01A}{outcome}_RESPONSE")
    resp = parse_payload(item.message_code, item.content, cra=2)
    assert isinstance(resp, AccessResponse)
    assert [(r.kind.label, r.result) for r in resp.results] == [("ACTION", result)]
    assert decode_payload(item.message_code, item.content, cra=2)["success"] is (result == 0)


@pytest.mark.parametrize(("part", "device", "utrn"), [
    (f"{CS01B}SUCCESS_COMMAND", 0, "73950067887105178605"),   # §1.6 vector #6, originating device ESI
    (f"{CS01B}ERROR_COMMAND", 0, "12345678910121314156"),     # §1.6 vector #9 (invalid UTRN, still carried)
    (f"{PCS01}COMMAND", 2, "73941656880950804485"),           # §1.6 vector #8, from the PPMID (IHD device)
])
def test_consumer_top_up(rtds: tuple[RTDSContent, ...], part: str, device: int, utrn: str) -> None:
    item = one(rtds, part)
    p = parse_payload(item.message_code, item.content, cra=1)
    assert isinstance(p, GbzPayload)
    (c,) = p.components
    assert (c.cluster_id, c.header.frame_control, c.header.command_id, c.last) == (0x0705, 0x01, 0x04, True)
    assert c.payload == ConsumerTopUp(device, utrn.encode())
    tree = decode_payload(item.message_code, item.content, cra=1)
    assert (tree["utrn"], tree["originating_device"]) == (utrn, device)
    # the builder reproduces the RTDS payload
    assert encode_gbz(GbzPayload((consumer_top_up_component(utrn, originating_device=device),))) == item.content


@pytest.mark.parametrize(("part", "result", "value", "source", "credit"), [
    (f"{CS01B}SUCCESS_RESPONSE", 0, 1_250_000, 0, 25_144_000),   # 1250 p x 1000 (§1.7)
    (f"{CS01B}ERROR_RESPONSE", 0x01, -1, 0, -1),                 # Rejected-Invalid Top Up, -1s (§1.7)
    (f"{PCS01}RESPONSE", 0, 2_025_000, 2, 4_525_000),            # 2025 p from the PPMID
])
def test_consumer_top_up_response(rtds: tuple[RTDSContent, ...], part: str, result: int, value: int,
                                  source: int, credit: int) -> None:
    item = one(rtds, part)
    p = parse_payload(item.message_code, item.content, cra=2)
    assert isinstance(p, GbzPayload)
    (c,) = p.components
    assert (c.header.frame_control, c.header.command_id) == (0x09, 0x03)    # server->client cluster command
    assert c.payload == ConsumerTopUpResponse(result, value, source, credit)
    tree = decode_payload(item.message_code, item.content, cra=2)
    assert tree["top_up_response"]["top_up_value"] == value
    assert tree["top_up_response"]["result_name"] == ("Accepted" if result == 0 else "Rejected-Invalid Top Up")


# -- emergency credit: ECS09 (DLMS), GCS06 and PCS02 (GBZ) ------------------------------------------------

def test_ecs09_activate_emergency_credit(rtds: tuple[RTDSContent, ...]) -> None:
    item = one(rtds, "2.5_ECS09/ECS09_2.5_SUCCESS_COMMAND")
    req = parse_payload(item.message_code, item.content, cra=1)
    assert isinstance(req, AccessRequest)
    (spec,) = req.specs
    assert (spec.kind.label, spec.class_id, obis_text(spec.obis), spec.member_id) == ("ACTION", 112, "0-0:19.10.1.255", 3)
    assert req.data[0].type == DataType.INTEGER and req.data[0].value == 0
    assert activate_emergency_credit_request(invoke_id=invoke_id_for(item.counter)) == req
    assert decode_payload(item.message_code, item.content, cra=1)["emergency_credit"] == "activate"


@pytest.mark.parametrize(("part", "device"), [("2.5_GCS06/GCS06_2.5_SUCCESS_COMMAND", 0),
                                              ("NA_PCS02/PCS02_NA_SUCCESS_COMMAND", 2)])
def test_select_available_emergency_credit(rtds: tuple[RTDSContent, ...], part: str, device: int) -> None:
    item = one(rtds, part)
    p = parse_payload(item.message_code, item.content, cra=1)
    assert isinstance(p, GbzPayload)
    assert p.components[0].payload == SelectAvailableEmergencyCredit(0, device)
    built = GbzPayload((select_emergency_credit_component(issue_date_time=0, originating_device=device),))
    assert encode_gbz(built) == item.content


# -- CHF device log: CCS01, CCS02, CCS03, CCS07, CS14 -------------------------------------------------------

CCS01_REG = RegisterDevice(eui=bytes.fromhex("00DB1234567890A0"), install_code=b"0123456789ABCDEF", join_timeout=90)


def test_ccs01_register_device(rtds: tuple[RTDSContent, ...]) -> None:
    item = one(rtds, "8.11_CCS01/CCS01_8.11_SUCCESS_COMMAND")
    tree = decode_payload(item.message_code, item.content, cra=1)
    reg = tree["register_device"]
    assert reg["eui"] == "00DB1234567890A0"
    assert reg["install_code"] == {"hex": b"0123456789ABCDEF".hex().upper(), "text": "0123456789ABCDEF"}
    assert reg["join_timeout"] == 90 and reg["enable_joining"] is True
    assert (reg["field2_enum"], reg["field4_enum"]) == (1, 0)       # meanings unknown (DOMAIN.md §6 Q4)
    assert [(r["access"], r["class_id"], r["obis"]) for r in tree["requests"]] == [
        ("ACTION", 104, "0-0:30.3.0.255"), ("SET", 104, "0-0:30.3.0.255"), ("SET", 104, "0-0:30.3.0.255")]
    assert encode_dlms(register_device_request(CCS01_REG, invoke_id=invoke_id_for(item.counter))) == item.content


def test_ccs02_unregister_device(rtds: tuple[RTDSContent, ...]) -> None:
    item = one(rtds, "8.11_CCS02/CCS02_8.11_SUCCESS_COMMAND")
    assert decode_payload(item.message_code, item.content, cra=1)["unregister_device"] == {"eui": "00DB1234567890A0"}
    built = unregister_device_request(bytes.fromhex("00DB1234567890A0"), invoke_id=invoke_id_for(item.counter))
    assert encode_dlms(built) == item.content


def test_ccs03_restore_pan(rtds: tuple[RTDSContent, ...]) -> None:
    item = one(rtds, "8.12.1_CCS03/CCS03_8.12.1_SUCCESS_COMMAND")
    entries = (DeviceLogEntry(bytes.fromhex("00DB1234567890A0"), bytes.fromhex("83FED3407A939723A5C639B26916D506")),
               DeviceLogEntry(bytes.fromhex("00DB1234567890A1"), bytes.fromhex("83FED3407A939723A5C639B26916D505")))
    built = restore_pan_request(bytes.fromhex("0000000000000140"), entries, invoke_id=invoke_id_for(item.counter))
    assert encode_dlms(built) == item.content
    restore = decode_payload(item.message_code, item.content, cra=1)["restore_pan"]
    assert restore["extended_pan_id"] == "0000000000000140" and len(restore["entries"]) == 2


def test_ccs07_backup_pan(rtds: tuple[RTDSContent, ...]) -> None:
    cmd = one(rtds, "8.9_CCS07/CCS07_8.9_SUCCESS_COMMAND")
    assert encode_dlms(backup_pan_request(invoke_id=invoke_id_for(cmd.counter))) == cmd.content
    resp = one(rtds, "8.9_CCS07/CCS07_8.9_SUCCESS_RESPONSE")
    logs = decode_payload(resp.message_code, resp.content, cra=2)["device_logs"]
    assert logs["device_log"]["extended_pan_id"] == "0001020304050607"
    assert [e["eui"] for e in logs["device_log"]["entries"]] == ["00DB1234567890A0", "00DB1234567890A1"]
    assert [e["eui"] for e in logs["historic_device_log"]["entries"]] == ["00DB1234567890A3", "00DB1234567890A4"]
    assert logs["device_log"]["backup_date_time"].startswith("2015-01-01 00:00:00")


def test_cs14_device_log_alert(rtds: tuple[RTDSContent, ...]) -> None:
    item = one(rtds, "NA_CS14/CS14_NA_8F12_ALERT")
    n = parse_payload(item.message_code, item.content, cra=3)
    assert isinstance(n, DataNotification)
    alert = parse_alert(n)
    assert alert is not None and alert.code == 0x8F12
    backup = DeviceLogBackup.from_data(alert.items[0])
    assert backup.extended_pan_id == bytes.fromhex("0001020304050607")
    assert [e.eui.hex().upper() for e in backup.entries] == ["00DB1234567890A0", "00DB1234567890A1"]
    rebuilt = alert_notification(DlmsAlert(0x8F12, alert.timestamp, (backup.to_data(),)), invoke_id=n.invoke_id)
    assert encode_dlms(rebuilt) == item.content
    tree = decode_payload(item.message_code, item.content, cra=3)
    assert tree["alert"]["name"] == "0x8F12 CHF device log changed"
    assert tree["device_log"]["entries"][1]["hashed_link_key"] == "83FED3407A939723A5C639B26916D505"


# -- join / unjoin (DER) ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("part", "role", "other", "dtype"), [
    ("CS03A1_8.7.1_SUCCESS_COMMAND", 0, "00DB12345678909A", 4),
    ("CS03A2Critical_8.7.1_SUCCESS_COMMAND", 1, "00DB123456789093", 1),
    ("CS03B_8.7.2_SUCCESS_COMMAND", 2, "00DB12345678909C", 3),
    ("CS03CNonCritical_8.7.2_ERROR_COMMAND", 3, "00DB123456789093", 0),
])
def test_cs03_join_commands(rtds: tuple[RTDSContent, ...], part: str, role: int, other: str, dtype: int) -> None:
    item = one(rtds, part)
    p = parse_payload(item.message_code, item.content, cra=1)
    assert p == JoinCommand(role, bytes.fromhex(other), dtype, None)
    assert encode_typed_der(p) == item.content


def test_cs03c_with_certificate(rtds: tuple[RTDSContent, ...]) -> None:
    item = one(rtds, "CS03CCritical_8.7.1_SUCCESS_COMMAND")
    p = parse_payload(item.message_code, item.content, cra=1)
    assert isinstance(p, JoinCommand) and p.certificate is not None
    assert (p.method_role, p.other_device.hex().upper(), p.device_type) == (3, "00DB123456789098", 5)
    # the certificate is a whole X.509 certificate, and its hardwareModuleName is the other device's EUI
    cert = x509.load_der_x509_certificate(p.certificate)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    (other_name,) = san.get_values_for_type(x509.OtherName)
    assert other_name.type_id.dotted_string == "1.3.6.1.5.5.7.8.4"
    assert other_name.value.endswith(p.other_device)
    tree = decode_payload(item.message_code, item.content, cra=1)
    assert {k: tree["join"][k] for k in ("method_role", "other_device", "device_type")} == {
        "method_role": "Method C", "other_device": "00DB123456789098", "device_type": "PPMID"}
    assert int(tree["join"]["certificate"]["serial"], 16) == cert.serial_number
    assert encode_typed_der(p) == item.content


@pytest.mark.parametrize(("part", "code", "meaning"), [
    ("CS03A1_8.7.1_SUCCESS_RESPONSE", 0, "success"),
    ("CS03A1_8.7.1_ERROR_RESPONSE", 3, "incompatible with existing entry"),
    ("CS03CNonCritical_8.7.2_ERROR_RESPONSE", 11, "invalid or missing certificate"),   # §3.5: missing cert -> 11
])
def test_cs03_responses(rtds: tuple[RTDSContent, ...], part: str, code: int, meaning: str) -> None:
    item = one(rtds, part)
    assert parse_payload(item.message_code, item.content, cra=2) == JoinResponse(code)
    assert decode_payload(item.message_code, item.content, cra=2)["join_response"] == {"code": code, "meaning": meaning}


@pytest.mark.parametrize(("part", "other"), [("CS04ACNonCritical_8.8.2_SUCCESS_COMMAND", "0102030405060708"),
                                             ("CS04ACCritical_8.8.1_SUCCESS_COMMAND", "00DB123456789099"),
                                             ("CS04ACCritical_8.8.1_ERROR_COMMAND", "0303030303030303")])
def test_cs04ac_unjoin(rtds: tuple[RTDSContent, ...], part: str, other: str) -> None:
    item = one(rtds, part)
    p = parse_payload(item.message_code, item.content, cra=1)
    assert p == UnjoinCommand(bytes.fromhex(other))
    assert decode_payload(item.message_code, item.content, cra=1)["unjoin"] == {"other_device": other}
    assert encode_typed_der(p) == item.content


def test_cs04_responses(rtds: tuple[RTDSContent, ...]) -> None:
    ok = one(rtds, "CS04ACNonCritical_8.8.2_SUCCESS_RESPONSE")
    assert parse_payload(ok.message_code, ok.content, cra=2) == UnjoinResponse(0)
    bad = one(rtds, "CS04ACCritical_8.8.1_ERROR_RESPONSE")
    assert decode_payload(bad.message_code, bad.content, cra=2)["unjoin_response"] == {
        "code": 1, "meaning": "not in device log"}


def test_cs07_read_join_details(rtds: tuple[RTDSContent, ...]) -> None:
    cmd = one(rtds, "/CS07_8.9_SUCCESS_COMMAND")
    assert parse_payload(cmd.message_code, cmd.content, cra=1) == ReadJoinDetailsCommand()
    ok = one(rtds, "/CS07_8.9_SUCCESS_RESPONSE")
    p = parse_payload(ok.message_code, ok.content, cra=2)
    assert isinstance(p, ReadJoinDetailsResponse) and p.code == 0 and p.devices is not None
    assert [(d.eui.hex().upper(), d.device_type) for d in p.devices] == [
        ("0102030405060708", 3), ("00DB123456789099", 3), ("00DB123456789097", 5)]
    err = one(rtds, "/CS07_8.9_ERROR_RESPONSE")
    assert parse_payload(err.message_code, err.content, cra=2) == ReadJoinDetailsResponse(1, None)


def test_other_der_payloads_are_generic_trees(rtds: tuple[RTDSContent, ...]) -> None:
    der = [i for i in rtds if i.content[:1] in (b"\x30", b"\x02", b"\x04", b"\x05")]
    assert len(der) == 178
    generic = [i for i in der if isinstance(parse_payload(i.message_code, i.content, cra=i.cra), DerNode)]
    assert len(generic) == 178 - 38          # 38 typed join/unjoin/CS07 payloads
    # GBCS writes some non-minimal DER lengths (30 82 00 DE); the tree keeps them
    alert = one(rtds, "CS02bSupplierBySupplier_6.15.1_8F66_FUTURE_DATED_SUCCESS_ALERT")
    node = parse_payload(alert.message_code, alert.content, cra=3)
    assert isinstance(node, DerNode) and node.length_form == 2 and alert.content[:4] == bytes.fromhex("308200DE")
    tree = decode_payload(alert.message_code, alert.content, cra=3)
    assert tree["alert"]["code"] == "0x8F66" and tree["alert"]["timestamp"] == "2030-01-15T00:00:00Z"


# -- alerts ----------------------------------------------------------------------------------------------

def test_gbz_future_dated_alert(rtds: tuple[RTDSContent, ...]) -> None:
    item = one(rtds, "GCS01a_1.1.1_8F66_FUTURE_DATED_BLOCK_SUCCESS_ALERT_PUBLISH_BLOCK_THRESHOLDS")
    a = parse_payload(item.message_code, item.content, cra=3)
    assert isinstance(a, GbzAlert) and a.alert_code == 0x8F66
    assert a.body == FutureDatedAlert(message_code=0x006B, originator_counter=0x3ED, cluster_id=0x0700,
                                      frame_control=0x09, command_id=0x06)


@pytest.mark.parametrize(("part", "code"), [("GNCA-ZigBee_NA_810E", 0x810E), ("GNCA-DLMS_NA_810E", 0x810E),
                                            ("GCA-ZigBee_NA_8F30", 0x8F30), ("GCS53_NA_8F0A", 0x8F0A)])
def test_alert_names_in_tree(rtds: tuple[RTDSContent, ...], part: str, code: int) -> None:
    item = one(rtds, part)
    tree = decode_payload(item.message_code, item.content, cra=3)
    assert tree["alert"]["code"] == f"0x{code:04X}" and not tree["alert"]["name"].endswith("unknown")


def test_gcs53_alert_carries_an_encrypted_component(rtds: tuple[RTDSContent, ...]) -> None:
    item = one(rtds, "GCS53_NA_8F0A")
    a = parse_payload(item.message_code, item.content, cra=3)
    assert isinstance(a, GbzAlert) and isinstance(a.body, tuple)
    (c,) = a.body
    assert isinstance(c, GbzComponent) and c.encrypted and c.payload is None
    assert c.ciphered[:5] == bytes.fromhex("3100000000")        # security header: authenticated + encrypted


def test_encrypted_dlms_blocks_stay_ciphered(rtds: tuple[RTDSContent, ...]) -> None:
    """ECS68 alert: the sensitive billing data log is an octet-string starting 31 00000000 (§2.6)."""
    item = one(rtds, "ECS68_NA_8F0A_SINGLE_ALERT")
    n = parse_payload(item.message_code, item.content, cra=3)
    assert isinstance(n, DataNotification)
    alert = parse_alert(n)
    assert alert is not None and alert.items[-1].octets[:5] == bytes.fromhex("3100000000")
