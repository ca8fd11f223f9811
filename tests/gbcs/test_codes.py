"""Code tables (smetslab.gbcs.codes) against DOMAIN.md §2.7/§3.5/§1.7 and the RTDS index."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest
from _rtds_content import load_rtds

from smetslab.gbcs.codes import (
    ALERTS,
    MESSAGES,
    DeviceType,
    JoinMethodRole,
    JoinResponse,
    OriginatingDevice,
    TopUpResult,
    UnjoinResponse,
    alert_info,
    alert_name,
    message_info,
    message_name,
)

# DOMAIN.md §2.7, table "Prepayment, PPMID, joining, device log": code -> use case id.
DOMAIN_MESSAGE_CODES = {
    0x0007: "CS01a", 0x0097: "CS01b", 0x009B: "PCS01", 0x0090: "PCS02", 0x0116: "PECS01", 0x0117: "PECS02",
    0x0118: "PECS03", 0x0119: "HECS01", 0x0020: "ECS09", 0x0070: "GCS06", 0x001C: "ECS04a", 0x00B3: "ECS04b",
    0x0086: "GCS40a", 0x00B4: "GCS40b", 0x00C0: "GCS40c", 0x00C2: "GCS40d", 0x001A: "ECS02", 0x001B: "ECS03",
    0x006C: "GCS02", 0x006D: "GCS03", 0x001F: "ECS08", 0x00DE: "ECS08a", 0x006F: "GCS05", 0x001E: "ECS07",
    0x006E: "GCS04", 0x002D: "ECS19", 0x0075: "GCS14", 0x003B: "ECS26a", 0x00B5: "GCS21b", 0x0069: "ECS82",
    0x008D: "GCS60", 0x004F: "ECS42", 0x0050: "ECS43", 0x0051: "ECS44", 0x0081: "GCS32", 0x0085: "GCS39",
    0x0001: "CCS01", 0x0002: "CCS02", 0x0003: "CCS03", 0x010F: "CCS06", 0x00FE: "CCS07", 0x000D: "CS03A1",
    0x00AB: "CS03A2", 0x000E: "CS03B", 0x00AF: "CS03C", 0x000F: "CS04AC", 0x0010: "CS04B", 0x0013: "CS07",
    0x0018: "CS14", 0x0129: "CS08", 0x012B: "CS09",
}

# DOMAIN.md §2.7 alert list: code -> words its name must contain.
DOMAIN_ALERTS = {
    0x810D: "low credit threshold", 0x810E: "credit added locally", 0x8119: "emergency credit has become available",
    0x81AA: "emergency credit exhausted", 0x81AB: "emergency credit activated", 0x8168: "activate emergency credit",
    0x8F0F: "disablement threshold", 0x8F32: "supply armed", 0x8F47: "maximum meter balance",
    0x8F51: "duplicate utrn", 0x8F5B: "maximum credit threshold", 0x8F63: "utrn not authentic",
    0x8F64: "utrn not for this device", 0x81C4: "manual entry suspended", 0x81C5: "locked out",
    0x8154: "han interface command successfully", 0x8155: "han interface command not successfully",
    0x8161: "user interface command input successfully", 0x8162: "user interface command input not",
    0x81A6: "customer acknowledged", 0x8183: "joined smhan", 0x8F48: "joining failed", 0x8F49: "joining succeeded",
    0x8F4A: "unjoining failed", 0x8F4B: "unjoining succeeded", 0x8F12: "chf device log", 0x8071: "gpf device log",
    0x8F30: "authority", 0x8F3D: "trusted source authentication", 0x8F1E: "integrity check",
    0x8F84: "remote party message to esme", 0x8F66: "future-dated command successfully",
    0x8F67: "future-dated command not",
}

_USE_CASE_TOKEN = re.compile(r"[A-Z]+\d+[A-Za-z0-9]*")


def _index_rows(rtds_dir: Path) -> list[dict[str, str]]:
    with (rtds_dir / "index.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_message_name_format() -> None:
    assert message_name(0x0007) == "0x0007 CS01a Apply Prepayment Top Up to an ESME"
    assert message_name(0x0097) == "0x0097 CS01b Apply Prepayment Top Up to a GSME"
    assert message_name(0x00CC) == "0x00CC Future Dated Execution Of Instruction Alert (DLMS COSEM)"
    assert message_name(0x011A) == "0x011A ECS46d"          # RTDS names only the use case
    assert message_name(0x7777) == "0x7777 unknown"
    assert message_info(0x7777) is None


@pytest.mark.parametrize(("code", "use_case"), sorted(DOMAIN_MESSAGE_CODES.items()))
def test_domain_message_codes(code: int, use_case: str) -> None:
    info = message_info(code)
    assert info is not None and info.use_case == use_case
    assert message_name(code).startswith(f"0x{code:04X} {use_case} ")


def test_generic_alert_codes_named() -> None:
    assert message_name(0x1000) == "0x1000 Generic Critical Alert"
    assert message_name(0x1001) == "0x1001 Generic Non Critical Alert"


def test_message_types_from_domain_2_2() -> None:
    # DOMAIN.md §2.2: examples of critical and non-critical commands; PCS01/02 the PPMID-GSME type.
    for code in (0x0020, 0x0070, 0x000D, 0x00AF, 0x000F, 0x004F, 0x0050, 0x0051):
        assert MESSAGES[code].message_type.startswith("SME.C.C"), hex(code)
    for code in (0x0007, 0x0097, 0x0001, 0x0002, 0x000E, 0x0013):
        assert "SME.C.NC" in MESSAGES[code].message_type, hex(code)
    assert MESSAGES[0x009B].message_type == MESSAGES[0x0090].message_type == "SME.C.PPMID-GSME"
    assert MESSAGES[0x0018].message_type == "SME.A.NC"       # CS14


def test_every_rtds_message_code_has_a_name(rtds_dir: Path) -> None:
    rows = _index_rows(rtds_dir)
    assert len(rows) == 1275
    codes = {int(r["message_code"], 16) for r in rows}
    unnamed = sorted(hex(c) for c in codes if message_name(c).endswith(" unknown"))
    assert not unnamed
    assert len(codes) == 233


def test_names_agree_with_index(rtds_dir: Path) -> None:
    """Use case ids and titles match the index's message_name column (titles may drop its typos)."""
    for row in _index_rows(rtds_dir):
        info = message_info(int(row["message_code"], 16))
        assert info is not None
        index_name = row["message_name"].replace("Futured", "Future")
        token = index_name.split()[0]
        if _USE_CASE_TOKEN.fullmatch(token) and info.use_case:
            assert info.use_case == token or info.use_case == row["use_case"], row["file"]
        if info.title and "(per RTDS dir" not in index_name:    # the index has no title for those
            assert info.title.lower() in index_name.lower() or info.use_case == "CCS05CCS04", row["file"]


def test_message_type_matches_rtds_protection(rtds_dir: Path) -> None:
    """GBCS type vs what RTDS shows: signed commands are critical, unsigned non-critical (§2.2)."""
    seen: dict[int, set[str]] = defaultdict(set)
    for row in _index_rows(rtds_dir):
        seen[int(row["message_code"], 16)].add(f"{row['kind']}:{row['signature']}")
    for code, kinds in seen.items():
        t = MESSAGES[code].message_type
        if code in (0x009B, 0x0090):
            continue                                   # device-to-device, own type
        if "COMMAND:valid" in kinds:
            assert "SME.C.C" in t, hex(code)
        if "COMMAND:none(00)" in kinds:
            assert "SME.C.NC" in t, hex(code)
        if "ALERT:valid" in kinds:
            assert t == "SME.A.C", hex(code)
        if "ALERT:none(00)" in kinds:
            assert t == "SME.A.NC", hex(code)


def test_payload_encoding_matches_rtds(rtds_dir: Path) -> None:
    for item in load_rtds(rtds_dir):
        first = item.content[:1]
        seen = "DLMS" if first in (b"\xd9", b"\xda", b"\x0f") else "GBZ" if item.content[:2] == b"\x01\x09" else "DER"
        assert seen in MESSAGES[item.message_code].payload.split("/"), item.file


@pytest.mark.parametrize(("code", "words"), sorted(DOMAIN_ALERTS.items()))
def test_domain_alert_names(code: int, words: str) -> None:
    name = alert_name(code)
    assert name.startswith(f"0x{code:04X} ")
    assert words in name.lower()
    info = alert_info(code)
    assert info is not None and info.source == "DOMAIN §2.7"


def _rtds_alert_code(content: bytes) -> int:
    """Alert code read straight from the bytes (DOMAIN.md §2.3), independent of the payload codecs."""
    if content[:1] == b"\x0f":
        assert content[5:9] == b"\x00\x02" + content[7:8] + b"\x12"   # no date-time, structure, long-unsigned
        return int.from_bytes(content[9:11], "big")
    if content[:2] == b"\x01\x09":
        return int.from_bytes(content[3:5], "big")
    i = content.index(b"\x02\x03\x00") + 3                          # DER: INTEGER 00 8F xx
    return int.from_bytes(content[i : i + 2], "big")


def test_every_rtds_alert_code_has_a_name(rtds_dir: Path) -> None:
    codes = {_rtds_alert_code(i.content) for i in load_rtds(rtds_dir) if i.cra == 3}
    assert len(codes) == 22
    assert {0x8F12, 0x810E, 0x8F66, 0x8F67, 0x8071, 0x8F8B} <= codes
    assert not [hex(c) for c in codes if alert_name(c).endswith(" unknown")]
    assert alert_name(0x1234) == "0x1234 unknown"


def test_alert_table_is_consistent() -> None:
    for code, info in ALERTS.items():
        assert info.code == code and 0x8000 <= code <= 0x8FFF and info.name


def test_join_enums_domain_3_5() -> None:
    assert [(m.value, m.title) for m in JoinMethodRole] == [
        (0, "Method A initiator"), (1, "Method A responder"), (2, "Method B"), (3, "Method C")]
    assert [(d.value, d.title) for d in DeviceType] == [
        (0, "GSME"), (1, "ESME"), (2, "CHF"), (3, "GPF"), (4, "HCALCS"), (5, "PPMID"), (6, "Type 2")]
    assert len(JoinResponse) == 14
    assert JoinResponse(4).title == "device log full"
    assert JoinResponse(11).title == "invalid or missing certificate"
    assert JoinResponse(13).title == "no CBKE response"
    assert JoinResponse(7).title == "key establishment: unknown issuer"
    assert [(u.value, u.title) for u in UnjoinResponse] == [
        (0, "success"), (1, "not in device log"), (2, "other failure")]


def test_zcl_prepayment_enums_domain_1_7() -> None:
    expected = {0x00: "Accepted", 0x01: "Rejected-Invalid Top Up", 0x02: "Rejected-Duplicate Top Up",
                0x03: "Rejected-Error", 0x04: "Rejected-Max Credit Reached", 0x05: "Rejected-Keypad Lock",
                0x06: "Rejected-Top Up Value Too Large", 0x10: "Accepted-Supply Enabled",
                0x11: "Accepted-Supply Disabled", 0x12: "Accepted-Supply Armed"}
    assert {r.value: r.title for r in TopUpResult} == expected
    assert {d.value: d.title for d in OriginatingDevice} == {
        0: "Energy Service Interface", 1: "Meter", 2: "In-Home Display Device"}
