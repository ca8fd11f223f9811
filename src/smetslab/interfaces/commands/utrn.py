"""`smetslab utrn ...` commands: issue (one, or in bulk as JSON lines), decode, verify."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from smetslab.errors import AuthenticationError, InputError
from smetslab.gbcs import utrn as utrn_core
from smetslab.gbcs.keystore import Keystore
from smetslab.interfaces.commands._common import emit_json
from smetslab.units import EUI64, parse_eui

app = typer.Typer(help="Issue, decode and verify UTRNs (20-digit prepayment top-up codes).",
                  no_args_is_help=True)

_REQUEST_FIELDS = ("supplier", "meter", "counter", "value", "value_class")
_OPTIONAL_FIELDS = ("value_class", "id")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="utrn")


# -- parsing helpers -----------------------------------------------------------------------------
def parse_counter(text: object, field: str = "counter") -> int:
    """A 64-bit counter given as an integer, a decimal string or a 0x-prefixed hex string."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    elif isinstance(text, str):
        t = text.strip().replace("_", "")
        try:
            value = int(t, 16) if t.lower().startswith("0x") else int(t, 10)
        except ValueError:
            raise InputError(f"{field} {text!r}: expected a decimal integer or 0x-prefixed hex, "
                             f"e.g. 12884901888 or 0x300000000") from None
    else:
        raise InputError(f"{field} {text!r}: expected a decimal integer or 0x-prefixed hex string")
    if not 0 <= value < 1 << 64:
        raise InputError(f"{field} {text!r}: out of range, allowed 0..0xFFFFFFFFFFFFFFFF (64-bit counter)")
    return value


def check_recoverable(counter: int, policy: str, field: str = "counter") -> None:
    """Refuse a counter a meter typing the UTRN in could not reconstruct (only bits 32..41 travel in the code,
    DOMAIN.md §1.9): the UTRN would be issued fine and then never verify on the keypad."""
    hint = "or --allow-unrecoverable if the meter is given the full counter (CS01a/b)"
    if counter & 0xFFFFFFFF:
        n = max(1, (counter >> 32) + 1)
        raise InputError(f"{field} {counter:#x}: its low 32 bits are not zero, so no meter can reconstruct it from "
                         f"the UTRN (only bits 32..41 travel in the code) and the UTRN would not verify; use a "
                         f"multiple of 2^32 such as {n << 32:#x}, {hint}")
    if policy == "low32_zero" and counter >> 42:
        raise InputError(f"{field} {counter:#x}: at or above 2^42, which a low32_zero meter cannot reconstruct "
                         f"(it assumes bits 42..63 are zero); use --policy track_high_bits for a meter that keeps "
                         f"its highest accepted counter, {hint}")


def _parse_value(value: object, field: str = "value") -> int:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InputError(f"{field} {value!r}: expected an integer 0..{utrn_core.MAX_VALUE}")


def _money(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


def _grouped(digits: str) -> str:
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def _decoded_dict(d: utrn_core.DecodedUTRN) -> dict[str, Any]:
    return {
        "utrn": d.utrn,
        "pptd": str(d.pptd),  # 19-digit integers lose precision as JSON numbers in many readers
        "check_digit": d.check_digit,
        "ptut": f"0x{d.ptut:016X}",
        "ctr10": d.ctr10,
        "value_class": d.value_class.label,
        "value": d.value,
        "value_pence": d.value_pence,
        "mac32": f"{d.mac32:08X}",
    }


def _load_keystore(path: Path) -> Keystore:
    return Keystore.from_directory(path)


def _one_utrn(parts: list[str]) -> str:
    # Accept the digits as one argument or as groups typed without quotes: "7394 6144 ..." or 7394 6144 ...
    return " ".join(parts)


# -- issue ---------------------------------------------------------------------------------------
@app.command("issue")
def issue_cmd(
    supplier: str = typer.Option(None, "--supplier", help="Supplier EUI-64 (16 hex digits; '-' or spaces allowed)."),
    meter: str = typer.Option(None, "--meter", help="Meter EUI-64 (ESME or GSME)."),
    counter: str = typer.Option(None, "--counter",
                                help="Full 64-bit UTRN counter, decimal or 0x hex (e.g. 0x300000000)."),
    value: int = typer.Option(None, "--value", help=f"Top-up value 0..{utrn_core.MAX_VALUE} in the unit of --class."),
    value_class: str = typer.Option("pennies", "--class", help="pennies (class 00) or pounds (class 01)."),
    keystore: Path = typer.Option(..., "--keystore", help="Key folder (<eui>[-pp]-<ds|ka>.<pem|key>)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    jsonl: bool = typer.Option(False, "--jsonl",
                               help="Bulk: read one JSON request per line on stdin (fields supplier, meter, "
                                    "counter, value, value_class, optional id); write one JSON result per line."),
    policy: str = typer.Option("low32_zero", "--policy",
                               help="The meter's counter reconstruction (as for 'utrn verify'): low32_zero "
                                    "recovers counters n << 32 below 2^42; track_high_bits also those above."),
    allow_unrecoverable: bool = typer.Option(
        False, "--allow-unrecoverable",
        help="Issue even a counter the meter cannot reconstruct from the UTRN's 10 counter bits (it verifies "
             "only where the meter is told the full counter, as in a CS01a/b command)."),
) -> int:
    """Issue a UTRN with the supplier's prepayment key agreement key."""
    if policy not in utrn_core.COUNTER_POLICIES:
        raise InputError(f"--policy {policy!r}: allowed are {', '.join(utrn_core.COUNTER_POLICIES)}")
    recoverable = None if allow_unrecoverable else policy
    if jsonl:
        given = [name for name, v in (("--supplier", supplier), ("--meter", meter), ("--counter", counter),
                                      ("--value", value)) if v is not None]
        if given:
            raise InputError(f"--jsonl reads every request from stdin; drop {', '.join(given)}")
        return _issue_bulk(_load_keystore(keystore), recoverable)
    missing = [name for name, v in (("--supplier", supplier), ("--meter", meter), ("--counter", counter),
                                    ("--value", value)) if v is None]
    if missing:
        raise InputError(f"utrn issue: missing {', '.join(missing)} (or use --jsonl to read requests from stdin)")
    s, m = parse_eui(supplier, "--supplier"), parse_eui(meter, "--meter")
    c = parse_counter(counter, "--counter")
    vc = utrn_core.parse_value_class(value_class)
    ks = _load_keystore(keystore)
    code = utrn_core.issue(ks, supplier=s, meter=m, counter=c, value=value, value_class=vc)
    if recoverable is not None:  # after every other check, so their messages come first
        check_recoverable(c, recoverable, "--counter")
    if as_json:
        emit_json(_issued_dict(code, s, m, c))
    else:
        sys.stdout.write(code + "\n")
    return 0


def _issued_dict(code: str, supplier: EUI64, meter: EUI64, counter: int) -> dict[str, Any]:
    d = utrn_core.decode(code)
    return {"utrn": code, "supplier": str(supplier), "meter": str(meter), "counter": counter,
            "counter_hex": f"0x{counter:016X}", "value_class": d.value_class.label, "value": d.value,
            "value_pence": d.value_pence}


def _issue_one_line(ks: Keystore, line_no: int, text: str, recoverable: str | None = None) -> dict[str, Any]:
    try:
        request = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _LineError(None, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(request, dict):
        raise _LineError(None, f"expected a JSON object with fields {', '.join(_REQUEST_FIELDS)}")
    try:
        return _issue_request(ks, line_no, request, recoverable)
    except _LineError as exc:
        exc.request_id = request.get("id")  # so a bulk caller can match the error to its request
        raise


def _issue_request(ks: Keystore, line_no: int, request: dict[str, Any],
                   recoverable: str | None = None) -> dict[str, Any]:
    unknown = sorted(set(request) - set(_REQUEST_FIELDS) - set(_OPTIONAL_FIELDS))
    if unknown:
        raise _LineError(unknown[0], f"field {unknown[0]!r} is not known; allowed are "
                                     f"{', '.join(_REQUEST_FIELDS)} and id")
    for name in _REQUEST_FIELDS:
        if name not in request and name not in _OPTIONAL_FIELDS:
            raise _LineError(name, f"field {name!r} is missing")
    parsed: dict[str, Any] = {}
    parsers: tuple[tuple[str, Callable[[Any, str], Any]], ...] = (
        ("supplier", _eui_field), ("meter", _eui_field), ("counter", parse_counter),
        ("value", _parse_value), ("value_class", _value_class_field))
    for name, parse in parsers:
        try:
            parsed[name] = parse(request[name], name) if name in request else utrn_core.ValueClass.PENNIES
        except InputError as exc:
            raise _LineError(name, str(exc)) from None
    try:
        code = utrn_core.issue(ks, **parsed)
    except InputError as exc:  # a range check inside issue, or a key not in the keystore
        field = "value" if str(exc).startswith("value ") else None
        raise _LineError(field, str(exc)) from None
    if recoverable is not None:
        try:
            check_recoverable(parsed["counter"], recoverable)
        except InputError as exc:
            raise _LineError("counter", str(exc)) from None
    result = {"line": line_no, **_issued_dict(code, parsed["supplier"], parsed["meter"], parsed["counter"])}
    if "id" in request:
        result["id"] = request["id"]
    return result


def _eui_field(value: object, field: str) -> EUI64:
    if not isinstance(value, str):
        raise InputError(f"{field} {value!r}: expected a string of 16 hex digits, e.g. \"00DB1234567890A0\"")
    return parse_eui(value, field)


def _value_class_field(value: object, field: str) -> utrn_core.ValueClass:
    return utrn_core.parse_value_class(value)


class _LineError(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        self.field, self.message = field, message
        self.request_id: Any = None
        super().__init__(message)


def _issue_bulk(ks: Keystore, recoverable: str | None = None) -> int:
    bad: list[int] = []
    out = sys.stdout
    for line_no, raw in enumerate(sys.stdin, start=1):
        text = raw.strip()
        if not text:
            continue  # blank lines separate nothing and are not requests
        try:
            result = _issue_one_line(ks, line_no, text, recoverable)
        except _LineError as exc:
            bad.append(line_no)
            result = {"line": line_no, "error": f"line {line_no}: {exc.message}", "field": exc.field}
            if exc.request_id is not None:
                result["id"] = exc.request_id
        out.write(json.dumps(result, separators=(",", ":")) + "\n")
    out.flush()
    if bad:
        shown = ", ".join(map(str, bad[:10])) + (" ..." if len(bad) > 10 else "")
        print(f"error: {len(bad)} request line(s) were bad (line {shown}); their results carry the error",
              file=sys.stderr)
        return 2
    return 0


# -- decode --------------------------------------------------------------------------------------
@app.command("decode")
def decode_cmd(
    utrn: list[str] = typer.Argument(..., help="The 20 digits (groups separated by spaces or '-' allowed)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> int:
    """Decode a UTRN without keys: check digit, counter bits, value class and value."""
    d = utrn_core.decode(_one_utrn(utrn))
    if as_json:
        emit_json(_decoded_dict(d))
        return 0
    print(f"UTRN         {_grouped(d.utrn)}")
    print(f"PPTD         {d.pptd}  (check digit {d.check_digit}: valid)")
    print(f"PTUT         0x{d.ptut:016X}")
    print(f"counter      bits 32..41 = {d.ctr10}  (full counter 0x{d.ctr10 << 32:016X} if its low 32 bits "
          f"are zero and it is below 2^42)")
    print(f"value        {_money(d.value_pence)}  (class {int(d.value_class):02b} {d.value_class.label}, "
          f"value {d.value})")
    print(f"MAC          {d.mac32:08X}  (not checked: decode uses no keys; see 'smetslab utrn verify')")
    return 0


# -- verify --------------------------------------------------------------------------------------
@app.command("verify")
def verify_cmd(
    utrn: list[str] = typer.Argument(..., help="The 20 digits (groups separated by spaces or '-' allowed)."),
    supplier: str = typer.Option(..., "--supplier", help="Supplier EUI-64 that issued the UTRN."),
    meter: str = typer.Option(..., "--meter", help="Meter EUI-64 the UTRN is for."),
    keystore: Path = typer.Option(..., "--keystore", help="Key folder (<eui>[-pp]-<ds|ka>.<pem|key>)."),
    counter: str = typer.Option(None, "--counter",
                                help="Full 64-bit counter if known (e.g. the GBCS header counter of CS01a/b)."),
    policy: str = typer.Option("low32_zero", "--policy",
                               help="Counter reconstruction when --counter is not given: low32_zero "
                                    "(counter = ctr10 << 32) or track_high_bits (bits 42..63 from "
                                    "--highest-accepted when given, else as low32_zero)."),
    highest_accepted: str = typer.Option(None, "--highest-accepted",
                                         help="Highest counter the meter accepted so far (track_high_bits)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> int:
    """Verify a UTRN as the meter would (format, check digit, offset, counter, MAC). Exit 1 if not authentic."""
    code = _one_utrn(utrn)
    s, m = parse_eui(supplier, "--supplier"), parse_eui(meter, "--meter")
    c = None if counter is None else parse_counter(counter, "--counter")
    high = None if highest_accepted is None else parse_counter(highest_accepted, "--highest-accepted")
    if policy not in utrn_core.COUNTER_POLICIES:
        raise InputError(f"--policy {policy!r}: allowed are {', '.join(utrn_core.COUNTER_POLICIES)}")
    utrn_core.decode(code)  # malformed codes are bad input (exit 2) before any key is loaded
    ks = _load_keystore(keystore)
    try:
        v = utrn_core.verify(ks, code, supplier=s, meter=m, counter=c, highest_accepted=high, policy=policy)
    except AuthenticationError:
        if as_json:
            emit_json({"authentic": False, "utrn": _normalised(code), "supplier": str(s), "meter": str(m)})
        else:
            print(f"error: not authentic: UTRN {_grouped(_normalised(code))} did not verify for supplier {s} "
                  f"and meter {m}", file=sys.stderr)
        return 1
    if as_json:
        emit_json({"authentic": True, **_decoded_dict(v.decoded), "supplier": str(s), "meter": str(m),
                   "counter": v.counter, "counter_hex": f"0x{v.counter:016X}"})
        return 0
    print(f"authentic    yes: UTRN {_grouped(v.utrn)} from supplier {s} for meter {m}")
    print(f"counter      0x{v.counter:016X} ({v.counter})")
    print(f"value        {_money(v.value_pence)}  (class {int(v.value_class):02b} {v.value_class.label}, "
          f"value {v.value})")
    return 0


def _normalised(code: str) -> str:
    return utrn_core.decode(code).utrn
