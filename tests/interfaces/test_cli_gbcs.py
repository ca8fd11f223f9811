"""`smetslab gbcs parse|verify|sign` through the real entry point, with exit codes and JSON output."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from smetslab.gbcs import crypto, frames, security
from smetslab.gbcs.frames import CRA, GeneralCiphering, GeneralSigning, OtherInformation
from smetslab.gbcs.keystore import Keystore, KeyUsage
from smetslab.interfaces.cli import main
from smetslab.units import EUI64

SUPPLIER = EUI64("90B3D51F30010000")
ACB = EUI64("90B3D51F30000002")
ESME = EUI64("00DB1234567890A0")
CS01A_COMMAND = "RTDS-4.5.0/2.2_CS01a/CS01a_2.2_SUCCESS_COMMAND_GBCS.HEX"
ECS09_PRECOMMAND = "RTDS-4.5.0/2.5_ECS09/ECS09_2.5_SUCCESS_PRECOMMAND_GBCS.HEX"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def own_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A key folder in the RTDS layout with fresh keys: supplier DS+KA, ACB KA, ESME DS+KA (all private)."""
    folder = tmp_path_factory.mktemp("keys")
    for eui, usage in [(SUPPLIER, "ds"), (SUPPLIER, "ka"), (ACB, "ka"), (ESME, "ds"), (ESME, "ka")]:
        key = crypto.generate_private_key()
        (folder / f"{eui.hex()}-{usage}.key").write_bytes(crypto.private_key_pem(key))
        (folder / f"{eui.hex()}-{usage}.pem").write_bytes(crypto.public_key_pem(key.public_key()))
    return folder


def precommand() -> GeneralSigning:
    return GeneralSigning(CRA.COMMAND, 0x3E8, SUPPLIER, ESME, OtherInformation(0x0020),
                          bytes.fromhex("D9200003E800010300700000130A01FF03010F00"), signature_field=False)


# -- parse ------------------------------------------------------------------------------------------


def test_parse_rtds_file_shows_the_fields_and_the_mac_status(capsys: pytest.CaptureFixture[str],
                                                             rtds_dir: Path) -> None:
    code, out, err = run(capsys, "gbcs", "parse", str(rtds_dir / CS01A_COMMAND), "--keystore",
                         str(rtds_dir / "keystore"))
    assert code == 0 and err == ""
    assert "general-ciphering, 100 bytes" in out  # index.csv: bytes = 100
    assert "originator: 90B3D51F30010000" in out and "recipient: 00DB1234567890A0" in out
    assert "message code: 0x0007 CS01a" in out  # name from smetslab.gbcs.codes (DOMAIN.md §2.7)
    assert "MAC: 5D439FB5EF72197A2A924C32" in out  # DOMAIN.md §2.5 worked example
    assert "status: valid" in out and "signature: null (00)" in out
    # the payload tree (smetslab.gbcs.payloads): the UTRN travels as ASCII digits in the content
    assert "dlms-access-request" in out and bytes.fromhex("3733393436313434333332303430323137333135").decode() in out


def test_parse_json_matches_the_index(capsys: pytest.CaptureFixture[str], rtds_dir: Path) -> None:
    with (rtds_dir / "index.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["use_case"] in ("ECS21b", "GCS61", "ECS09", "CS01a")]
    assert len(rows) >= 8
    for row in rows:
        code, out, _ = run(capsys, "gbcs", "parse", str(rtds_dir / row["file"]), "--json", "--keystore",
                           str(rtds_dir / "keystore"))
        d = json.loads(out)
        assert code == 0
        assert d["frame"] == row["frame"] and d["cra"] == row["cra"]
        assert d["message_code"] == row["message_code"].upper().replace("0X", "0x")
        assert d["originator"].lower() == row["originator"] and d["recipient"].lower() == row["recipient"]
        assert int(d["originator_counter"], 16) == int(row["originator_counter"], 16)
        assert d["mac_status"] == {"valid": "valid", "n/a": "absent"}[row["mac"]]
        assert d["signature_status"] == {"valid": "valid", "none(00)": "absent", "absent": "absent"}[row["signature"]]
        assert bytes.fromhex(d["content"]) == frames.apdu_of(
            frames.decode(bytes.fromhex((rtds_dir / row["file"]).read_text()))).content


def test_parse_shows_decrypted_protected_payloads(capsys: pytest.CaptureFixture[str], rtds_dir: Path) -> None:
    f = rtds_dir / "RTDS-4.5.0/4.3_ECS19/ECS19_4.3_SUCCESS_RESPONSE_GBCS.HEX"
    code, out, _ = run(capsys, "gbcs", "parse", str(f), "--json", "--keystore", str(rtds_dir / "keystore"))
    [block] = json.loads(out)["protected_payloads"]
    assert code == 0 and block["status"] == "valid" and block["kind"] == "dlms"
    assert len(block["plaintext"]) == 2 * 34


def test_parse_hex_argument_with_own_keys(capsys: pytest.CaptureFixture[str], own_keys: Path) -> None:
    ks = Keystore.from_directory(own_keys)
    wire = security.build_command(precommand(), ks, acb=ACB, signed=True)
    code, out, _ = run(capsys, "gbcs", "parse", wire.hex(), "--keystore", str(own_keys), "--json")
    d = json.loads(out)
    assert code == 0 and (d["mac_status"], d["signature_status"]) == ("valid", "valid")
    assert d["file"] is None and d["signature"] == wire[-76:-12].hex().upper()
    tampered = bytearray(wire)
    tampered[40] ^= 1
    code, out, _ = run(capsys, "gbcs", "parse", bytes(tampered).hex(), "--keystore", str(own_keys))
    assert code == 1 and "status: invalid" in out


def test_parse_without_keys_shows_no_status(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "gbcs", "parse", " ".join(frames.encode(precommand()).hex()[i:i + 2]
                                                          for i in range(0, 2 * 60, 2)) + frames.encode(precommand()).hex()[120:])
    assert code == 0
    assert "absent (no field: pre-command)" in out and "status:" not in out


@pytest.mark.parametrize(("args", "words"), [
    (["DF09ZZ"], "not a hex digit"),
    (["DF090"], "odd number of hex digits"),
    (["DF0901"], "truncated"),
    (["DD0100"], "GBT"),
    (["DF09", "--keystore", "/no/such/folder"], "not a directory"),
    (["DF09", "--acb", "90B3"], "--acb"),
    (["no/such/file.hex"], "no such file"),
    (["   "], "empty"),
])
def test_parse_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], args: list[str],
                                               words: str) -> None:
    code, out, err = run(capsys, "gbcs", "parse", *args)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and words in err


# -- verify -----------------------------------------------------------------------------------------


def test_verify_the_rtds_folder_as_json(capsys: pytest.CaptureFixture[str], rtds_dir: Path) -> None:
    code, out, _ = run(capsys, "gbcs", "verify", str(rtds_dir), "--keystore", str(rtds_dir / "keystore"), "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    *records, summary = lines
    assert code == 0
    assert len(records) == 1275  # the keystore, README and index.csv are not messages
    assert summary["messages"] == 1275 and summary["undecodable"] == 0 and summary["ok"] is True
    assert summary["mac"] == {"valid": 811, "invalid": 0, "unknown_key": 4, "absent": 460}
    assert summary["signature"] == {"valid": 472, "invalid": 0, "unknown_key": 0, "absent": 803}
    with (rtds_dir / "index.csv").open(newline="") as fh:
        index = {str(rtds_dir / r["file"]): r for r in csv.DictReader(fh)}
    for rec in records:
        row = index[rec["file"]]
        assert rec["decoded"] is True and rec["error"] is None
        assert rec["cra"] == row["cra"] and rec["originator"].lower() == row["originator"]
        assert int(rec["message_code"], 16) == int(row["message_code"], 16)
        if row["use_case"] in ("PCS01", "PCS02"):
            assert rec["mac"] == "unknown_key"


def test_verify_reports_tampered_and_undecodable_files(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                       own_keys: Path) -> None:
    ks = Keystore.from_directory(own_keys)
    good = security.build_command(precommand(), ks, acb=ACB, signed=True)
    (tmp_path / "good.hex").write_text(good.hex().upper())
    bad = bytearray(good)
    bad[-1] ^= 0x80
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "tampered.HEX").write_text(bytes(bad).hex())
    (sub / "message.txt").write_text(good[:-3].hex() + "\n")  # hex content without a .hex name: a message
    (sub / "notes.md").write_text("# not a message\n")
    (sub / "odd.txt").write_text("ABC")  # odd number of hex digits and no .hex name: not a message
    (sub / "broken.hex").write_text("DF09XX")
    code, out, _ = run(capsys, "gbcs", "verify", str(tmp_path), "--keystore", str(own_keys), "--json")
    records = {Path(r["file"]).name: r for r in map(json.loads, out.splitlines()[:-1])}
    summary = json.loads(out.splitlines()[-1])
    assert code == 1
    assert set(records) == {"good.hex", "tampered.HEX", "message.txt", "broken.hex"}
    assert (records["good.hex"]["mac"], records["good.hex"]["signature"]) == ("valid", "valid")
    assert (records["tampered.HEX"]["mac"], records["tampered.HEX"]["signature"]) == ("invalid", "valid")
    assert records["message.txt"]["decoded"] is False and "truncated" in records["message.txt"]["error"]
    assert records["broken.hex"]["decoded"] is False and "hex digit" in records["broken.hex"]["error"]
    assert summary["undecodable"] == 2 and summary["mac"]["invalid"] == 1 and summary["ok"] is False


def test_verify_readable_output_and_success_exit(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 own_keys: Path) -> None:
    ks = Keystore.from_directory(own_keys)
    f = tmp_path / "cmd.hex"
    f.write_text(security.build_command(precommand(), ks, acb=ACB).hex())
    code, out, _ = run(capsys, "gbcs", "verify", str(f), "--keystore", str(own_keys))
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert "mac=valid" in lines[0] and "signature=absent" in lines[0] and str(f) in lines[0]
    assert lines[1].startswith("1 messages: 1 decoded, 0 undecodable") and lines[1].endswith("OK")


@pytest.mark.parametrize("case", ["missing path", "missing keystore", "empty folder", "bad acb"])
def test_verify_bad_input_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, own_keys: Path,
                                 case: str) -> None:
    args = {
        "missing path": [str(tmp_path / "nope"), "--keystore", str(own_keys)],
        "missing keystore": [str(tmp_path), "--keystore", str(tmp_path / "nokeys")],
        "empty folder": [str(tmp_path), "--keystore", str(own_keys)],
        "bad acb": [str(tmp_path), "--keystore", str(own_keys), "--acb", "XYZ"],
    }[case]
    code, _, err = run(capsys, "gbcs", "verify", *args)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1


# -- sign -------------------------------------------------------------------------------------------


def test_sign_an_rtds_precommand_then_mac_it(capsys: pytest.CaptureFixture[str], rtds_dir: Path) -> None:
    keys = str(rtds_dir / "keystore")
    pre = (rtds_dir / ECS09_PRECOMMAND).read_text().strip()
    code, out, _ = run(capsys, "gbcs", "sign", pre, "--keystore", keys)
    signed = bytes.fromhex(out.strip())
    assert code == 0 and signed[:-65] == bytes.fromhex(pre) and signed[-65] == 0x40
    ks = Keystore.from_directory(rtds_dir / "keystore")
    security.verify(signed, ks)
    code, out, _ = run(capsys, "gbcs", "sign", str(rtds_dir / ECS09_PRECOMMAND), "--keystore", keys, "--mac")
    macd = frames.decode(bytes.fromhex(out.strip()))
    assert code == 0 and isinstance(macd, GeneralCiphering) and macd.apdu.signature is not None
    assert security.check(bytes.fromhex(out.strip()), ks, acb=ACB).mac == "valid"


def test_sign_with_own_keys_and_a_named_signer(capsys: pytest.CaptureFixture[str], own_keys: Path) -> None:
    code, out, _ = run(capsys, "gbcs", "sign", frames.encode(precommand()).hex(), "--keystore", str(own_keys),
                       "--signer", "00-DB-12-34-56-78-90-A0")
    signed = bytes.fromhex(out.strip())
    assert code == 0
    device_ds = Keystore.from_directory(own_keys).public(ESME, KeyUsage.DS)
    crypto.ecdsa_verify_raw(device_ds, signed[1:-65], signed[-64:])


@pytest.mark.parametrize(("extra", "words"), [
    (["--signer", "0102030405060708"], "no private 0102030405060708 DS key"),
    (["--signer", "01020304"], "--signer"),
    (["--mac", "--acb", "0102030405060708"], "cannot agree a key"),
])
def test_sign_bad_input_exit_2(capsys: pytest.CaptureFixture[str], own_keys: Path, extra: list[str],
                               words: str) -> None:
    code, out, err = run(capsys, "gbcs", "sign", frames.encode(precommand()).hex(), "--keystore", str(own_keys),
                         *extra)
    assert code == 2 and out == "" and err.startswith("error: ") and words in err


def test_sign_refuses_an_already_signed_message(capsys: pytest.CaptureFixture[str], own_keys: Path) -> None:
    ks = Keystore.from_directory(own_keys)
    signed = frames.encode(security.sign(precommand(), ks))
    code, _, err = run(capsys, "gbcs", "sign", signed.hex(), "--keystore", str(own_keys))
    assert code == 2 and "already carries a signature" in err
