"""`smetslab keys generate|list` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smetslab.gbcs import utrn
from smetslab.gbcs.keystore import Keystore
from smetslab.interfaces.cli import main


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_then_list_then_use(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "pki"
    code, out, _ = _run(capsys, "keys", "generate", str(folder), "--seed", "3")
    assert code == 0 and "wrote 47 files" in out and "90B3D51F30010000  DS, KA, PP-KA" in out
    code, out, _ = _run(capsys, "keys", "list", str(folder), "--json")
    rows = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and len(rows) == 22  # 2 suppliers x 3 + ACB, NO x 2 + 6 devices x 2
    by_key = {(r["eui"], r["usage"]): r for r in rows}
    assert by_key[("90B3D51F30010000", "PP-KA")]["role"] == "supplier (supplier)"
    assert by_key[("90B3D51F30000002", "KA")]["role"] == "access control broker (acb)"
    assert by_key[("90B3D51F30020000", "DS")]["role"] == "network operator (network_operator)"
    assert by_key[("00DB1234567890A4", "KA")]["role"] == "device (ppmid)"
    assert all(r["private"] and r["public"] == "certificate" and r["problem"] is None for r in rows)
    ks = Keystore.from_directory(folder)
    code_ = utrn.issue(ks, supplier="90B3D51F30030000", meter="00DB1234567890A1", counter=2 << 32, value=3)
    assert utrn.verify(ks, code_, supplier="90B3D51F30030000", meter="00DB1234567890A1").value == 3


def test_generate_refuses_to_overwrite_without_force(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert _run(capsys, "keys", "generate", str(tmp_path))[0] == 0
    code, out, err = _run(capsys, "keys", "generate", str(tmp_path))
    assert code == 2 and out == "" and "--force" in err and err.count("\n") == 1
    assert _run(capsys, "keys", "generate", str(tmp_path), "--force")[0] == 0


def test_generate_with_eui_overrides(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = _run(capsys, "keys", "generate", str(tmp_path), "--eui", "esme=00-DB-00-00-00-00-00-0E")
    assert code == 0 and (tmp_path / "00db00000000000e-ka.key").is_file()
    assert not (tmp_path / "00db1234567890a0-ka.key").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--eui", "esme"], "expected ENTITY=EUI"),
    (["--eui", "meter=00DB000000000001"], "entity 'meter': unknown"),
    (["--eui", "esme=xyz"], "16 hex digits"),
])
def test_generate_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str) -> None:
    code, out, err = _run(capsys, "keys", "generate", str(tmp_path / "k"), *args)
    assert code == 2 and message in err and err.count("\n") == 1
    assert not (tmp_path / "k").exists()


@pytest.mark.rtds
def test_list_rtds_keystore_reads_roles_from_certificates(capsys: pytest.CaptureFixture[str], rtds_dir: Path) -> None:
    code, out, _ = _run(capsys, "keys", "list", str(rtds_dir / "keystore"), "--json")
    rows = {(r["eui"], r["usage"]): r for r in map(json.loads, out.splitlines())}
    assert code == 0
    # DOMAIN.md §5.2: roles from OU; device certs; the 90B3D51F30000007 KA quirk; the bare public key
    assert rows[("90B3D51F30000001", "DS")]["role"] == "recovery"
    assert rows[("90B3D51F30020000", "KA")]["role"] == "network operator"
    assert rows[("00DB1234567890A0", "KA")]["role"] == "device" and not rows[("00DB1234567890A0", "KA")]["private"]
    assert "90B3D51F30030000" in rows[("90B3D51F30000007", "KA")]["problem"]
    assert rows[("FFFFFFFFFFFFFFFE", "KA")]["public"] == "public key"
    assert sum(r["private"] for r in rows.values()) == 18


def test_list_missing_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(capsys, "keys", "list", str(tmp_path / "none"))
    assert code == 2 and "not a directory" in err


def test_list_reports_an_unreadable_key_file_on_its_row(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "00db1234567890a0-ka.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n")
    code, out, err = _run(capsys, "keys", "list", str(tmp_path))
    assert code == 2 and "00DB1234567890A0" in out and "not a readable PEM" in out
    assert err.count("\n") == 1 and err.startswith("error: ") and "00db1234567890a0-ka.pem" in err
