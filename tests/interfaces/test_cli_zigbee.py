"""`smetslab zigbee link-key` through the real entry point (vectors: DOMAIN.md §3.2)."""

from __future__ import annotations

import json

import pytest

from smetslab.interfaces.cli import main


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_link_key(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "zigbee", "link-key", "83FED3407A939723A5C639B26916D505")
    assert code == 0
    assert "66B6900981E1EE3CA4206B6B861C02BB" in out and "0xB5C3" in out and "C3B5" in out


def test_link_key_json_grouped_with_crc(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "zigbee", "link-key", "3031", "3233", "3435", "3637", "3839", "4142", "4344", "4546",
                        "F596", "--json")
    assert code == 0
    assert json.loads(out) == {"install_code": "30313233343536373839414243444546", "crc": "96F5",
                               "install_code_with_crc": "30313233343536373839414243444546F596",
                               "link_key": "17E92CAAA342C367E8EDDC58EEBA69ED"}


@pytest.mark.parametrize(("code_text", "message"), [
    ("83FED3407A939723A5C639B26916D505C3B6", "expected C3B5"),
    ("83FED3407A", "5 bytes"),
    ("XYZ", "hex digits"),
])
def test_link_key_bad_input(capsys: pytest.CaptureFixture[str], code_text: str, message: str) -> None:
    code, out, err = _run(capsys, "zigbee", "link-key", code_text)
    assert code == 2 and out == "" and message in err and err.startswith("error: ") and err.count("\n") == 1


def test_without_crc_flag(capsys: pytest.CaptureFixture[str]) -> None:
    # 8 bytes whose last two happen to be a valid CRC: --without-crc reads them as an 8-byte code.
    code, out, _ = _run(capsys, "zigbee", "link-key", "010203040506", "--json")
    six = json.loads(out)
    with_crc = six["install_code_with_crc"]
    code, out, _ = _run(capsys, "zigbee", "link-key", with_crc, "--json")
    assert json.loads(out)["link_key"] == six["link_key"]
    code, out, _ = _run(capsys, "zigbee", "link-key", with_crc, "--without-crc", "--json")
    assert json.loads(out)["install_code"] == with_crc and json.loads(out)["link_key"] != six["link_key"]
