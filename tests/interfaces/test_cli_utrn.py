"""`smetslab utrn issue|decode|verify` through the real entry point (exit codes, one-line errors)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from smetslab.gbcs import keygen
from smetslab.interfaces.cli import main

SUPPLIER, ESME, GSME = "90B3D51F30010000", "00DB1234567890A0", "00DB1234567890A1"


@pytest.fixture(scope="module")
def own_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    keygen.write_pki(folder, keygen.generate_pki(seed=11))
    return folder


@pytest.fixture(scope="module")
def rtds_keys(rtds_dir: Path) -> Path:
    return rtds_dir / "keystore"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.rtds
def test_issue_reproduces_rtds_vector_4(capsys: pytest.CaptureFixture[str], rtds_keys: Path) -> None:
    code, out, err = _run(capsys, "utrn", "issue", "--supplier", SUPPLIER, "--meter", "00DB-1234-5678-90A0",
                          "--counter", "0x300000000", "--value", "10", "--class", "pounds", "--keystore", str(rtds_keys))
    assert (code, out, err) == (0, "73946144332040217315\n", "")


@pytest.mark.rtds
def test_issue_json_with_decimal_counter(capsys: pytest.CaptureFixture[str], rtds_keys: Path) -> None:
    code, out, _ = _run(capsys, "utrn", "issue", "--supplier", SUPPLIER, "--meter", GSME, "--counter",
                        "25769803776", "--value", "1250", "--keystore", str(rtds_keys), "--json")
    assert code == 0
    obj = json.loads(out)
    assert obj["utrn"] == "73950067887105178605"  # DOMAIN.md §1.6 #6
    assert (obj["counter"], obj["value_class"], obj["value_pence"]) == (0x600000000, "pennies", 1250)


def test_decode_needs_no_keys_and_accepts_groups(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "utrn", "decode", "7394", "6144", "3320", "4021", "7315")
    assert code == 0
    assert "£10.00" in out and "bits 32..41 = 3" in out and "9CD029E3" in out
    code, out, _ = _run(capsys, "utrn", "decode", "7394-3333-4571-8904-3313", "--json")
    obj = json.loads(out)
    assert (obj["ctr10"], obj["value_class"], obj["value"], obj["value_pence"]) == (1, "pounds", 100, 10000)
    assert obj["pptd"] == "7394333345718904331" and obj["ptut"] == "0x0000A064D51CA60B"


@pytest.mark.parametrize(("utrn", "message"), [
    ("12345678910121314156", "check digit is 6"),
    ("1234", "has 4 digits, must be 20"),
    ("7394614433204021731X", "is not a digit"),
    ("73941569907863060474", "below the GBCS offset"),
])
def test_decode_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], utrn: str, message: str) -> None:
    code, out, err = _run(capsys, "utrn", "decode", utrn)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


@pytest.mark.rtds
def test_verify_authentic_and_not(capsys: pytest.CaptureFixture[str], rtds_keys: Path) -> None:
    code, out, _ = _run(capsys, "utrn", "verify", "73946144332040217315", "--supplier", SUPPLIER, "--meter", ESME,
                        "--keystore", str(rtds_keys))
    assert code == 0 and "authentic    yes" in out and "0x0000000300000000" in out
    code, out, err = _run(capsys, "utrn", "verify", "73946144332040217315", "--supplier", SUPPLIER, "--meter", GSME,
                          "--keystore", str(rtds_keys))
    assert code == 1 and out == "" and "not authentic" in err and err.count("\n") == 1
    code, out, _ = _run(capsys, "utrn", "verify", "73946144332040217315", "--supplier", SUPPLIER, "--meter", GSME,
                        "--keystore", str(rtds_keys), "--json")
    assert code == 1 and json.loads(out)["authentic"] is False


@pytest.mark.rtds
def test_verify_with_explicit_counter(capsys: pytest.CaptureFixture[str], rtds_keys: Path) -> None:
    args = ["utrn", "verify", "73946144332040217315", "--supplier", SUPPLIER, "--meter", ESME, "--keystore",
            str(rtds_keys), "--json", "--counter"]
    code, out, _ = _run(capsys, *args, "0x300000000")
    assert code == 0 and json.loads(out)["counter"] == 0x300000000
    code, _, _ = _run(capsys, *args, "0x300000001")  # the MAC covers the low 32 bits too
    assert code == 1


def test_verify_malformed_is_exit_2_before_keys_are_read(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(capsys, "utrn", "verify", "73946144332040217316", "--supplier", SUPPLIER, "--meter", ESME,
                        "--keystore", str(tmp_path / "missing"))
    assert code == 2 and "check digit" in err


def test_issue_then_verify_with_generated_keys(capsys: pytest.CaptureFixture[str], own_keys: Path) -> None:
    code, out, _ = _run(capsys, "utrn", "issue", "--supplier", SUPPLIER, "--meter", GSME, "--counter", "0x2A00000000",
                        "--value", "75", "--class", "pounds", "--keystore", str(own_keys))
    assert code == 0
    issued = out.strip()
    code, out, _ = _run(capsys, "utrn", "verify", issued, "--supplier", SUPPLIER, "--meter", GSME,
                        "--keystore", str(own_keys), "--json")
    obj = json.loads(out)
    assert code == 0 and obj["authentic"] and (obj["counter"], obj["value_pence"]) == (0x2A00000000, 7500)


@pytest.mark.parametrize(("args", "message"), [
    (["--supplier", "90B3D51F3001000"], "--supplier '90B3D51F3001000': expected 16 hex digits"),
    (["--counter", "0xZZ"], "--counter '0xZZ': expected a decimal integer or 0x-prefixed hex"),
    (["--counter", "18446744073709551616"], "out of range"),
    (["--value", "8192"], "value 8192: out of range, allowed 0..8191"),
    (["--class", "shillings"], "expected 'pennies' (class 00) or 'pounds' (class 01)"),
    (["--meter", "00DB1234567890FF"], "00DB1234567890FF"),
])
def test_issue_bad_input(capsys: pytest.CaptureFixture[str], own_keys: Path, args: list[str], message: str) -> None:
    base = {"--supplier": SUPPLIER, "--meter": ESME, "--counter": "1", "--value": "1", "--class": "pennies"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [x for kv in base.items() for x in kv]
    code, out, err = _run(capsys, "utrn", "issue", *flat, "--keystore", str(own_keys))
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


def test_issue_missing_options_and_missing_keystore(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(capsys, "utrn", "issue", "--supplier", SUPPLIER, "--keystore", str(tmp_path))
    assert code == 2 and "missing --meter, --counter, --value" in err
    code, _, err = _run(capsys, "utrn", "issue", "--supplier", SUPPLIER, "--meter", ESME, "--counter", "1",
                        "--value", "1", "--keystore", str(tmp_path / "nope"))
    assert code == 2 and "not a directory" in err


@pytest.mark.rtds
def test_jsonl_bulk(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, rtds_keys: Path) -> None:
    lines = [
        {"supplier": SUPPLIER, "meter": ESME, "counter": "0x100000000", "value": 100, "value_class": "pounds", "id": 7},
        {"supplier": SUPPLIER, "meter": ESME, "counter": 0x400000000, "value": 1234},
        {"supplier": SUPPLIER, "meter": ESME, "counter": 1, "value": 8192, "id": "c3"},
        "not json",
        {"supplier": SUPPLIER, "meter": ESME, "counter": 1},
        {"supplier": SUPPLIER, "meter": ESME, "counter": 1, "value": 1, "valu_class": "pounds"},
        {"supplier": 12, "meter": ESME, "counter": 1, "value": 1},
        {"supplier": SUPPLIER, "meter": GSME, "counter": "0x600000000", "value": 1250, "value_class": "pennies"},
    ]
    text = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    code, out, err = _run(capsys, "utrn", "issue", "--jsonl", "--keystore", str(rtds_keys))
    results = [json.loads(x) for x in out.splitlines()]
    assert code == 2
    assert [r["line"] for r in results] == list(range(1, 9))
    assert results[0]["utrn"] == "73943333457189043313" and results[0]["id"] == 7  # DOMAIN.md §1.6 #1
    assert results[1]["utrn"] == "73947252416745201637"  # #2, class defaults to pennies
    assert results[7]["utrn"] == "73950067887105178605"  # #6: bad lines did not stop the run
    assert (results[2]["field"], results[2]["error"][:7], results[2]["id"]) == ("value", "line 3:", "c3")
    assert "not valid JSON" in results[3]["error"]
    assert results[4]["field"] == "value" and "missing" in results[4]["error"]
    assert results[5]["field"] == "valu_class" and "not known" in results[5]["error"]
    assert results[6]["field"] == "supplier" and "16 hex digits" in results[6]["error"]
    assert "5 request line(s) were bad (line 3, 4, 5, 6, 7)" in err


def test_jsonl_all_good_exits_0(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                own_keys: Path) -> None:
    reqs = [{"supplier": SUPPLIER, "meter": ESME, "counter": k << 32, "value": k} for k in range(1, 51)]
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(json.dumps(r) + "\n" for r in reqs)))
    code, out, err = _run(capsys, "utrn", "issue", "--jsonl", "--keystore", str(own_keys))
    results = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and err == "" and len(results) == 50
    assert len({r["utrn"] for r in results}) == 50
    assert [r["value"] for r in results] == list(range(1, 51))


def test_jsonl_refuses_single_request_options(capsys: pytest.CaptureFixture[str], own_keys: Path) -> None:
    code, _, err = _run(capsys, "utrn", "issue", "--jsonl", "--meter", ESME, "--keystore", str(own_keys))
    assert code == 2 and "drop --meter" in err
