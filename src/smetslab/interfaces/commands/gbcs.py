"""`smetslab gbcs ...` commands: parse a message into a tree, verify MACs and signatures over
files and folders, sign a pre-command.

Bad input (malformed hex, a truncated frame, a missing keystore, an unknown EUI) raises
InputError/CodecError, which ``interfaces.cli.main`` prints as one line with exit code 2.
``verify`` reports per message and exits 1 if anything is invalid or undecodable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.text import Text
from rich.tree import Tree

from smetslab.errors import CodecError, InputError, KeyNotFoundError, SmetslabError
from smetslab.gbcs import frames, security
from smetslab.gbcs.codes import message_name
from smetslab.gbcs.frames import GeneralCiphering, GeneralSigning
from smetslab.gbcs.keystore import Keystore
from smetslab.gbcs.payloads import decode_payload
from smetslab.interfaces.commands._common import console, emit_json, read_text_file
from smetslab.interfaces.hexinput import HEX_DIGITS, WHITESPACE, parse_hex
from smetslab.units import EUI64, parse_eui

app = typer.Typer(help="GBCS messages: parse, verify MACs and signatures, sign pre-commands.",
                  no_args_is_help=True)



_MAX_MESSAGE_FILE = 1 << 20  # larger files are not GBCS messages (65,535 bytes at most)
_STATUSES = ("valid", "invalid", "unknown_key", "absent")

_ACB_HELP = "Access Control Broker EUI whose KA key MACs commands (RTDS: 90B3D51F30000002)."


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="gbcs")


# -- input -----------------------------------------------------------------------------------------




def _read_message(arg: str, field: str) -> tuple[str, bytes]:
    """(label, bytes) from a HEX|FILE argument: an existing file is read, anything else is hex."""
    path = Path(arg)
    try:
        is_file = path.is_file()
    except OSError:  # e.g. a long hex string is too long for a file name
        is_file = False
    if is_file:
        return str(path), parse_hex(read_text_file(path, field), f"{field} file {str(path)!r}")
    looks_like_path = "/" in arg or "\\" in arg or arg.lower().endswith((".hex", ".txt"))
    if looks_like_path and not HEX_DIGITS.fullmatch(WHITESPACE.sub("", arg)):
        raise InputError(f"{field} {arg!r}: no such file, and not hex digits; pass hex or a file of hex")
    return "(argument)", parse_hex(arg, field)


def _keystore(path: Path | None) -> Keystore | None:
    return None if path is None else Keystore.from_directory(path)


def _acb(text: str) -> EUI64:
    return parse_eui(text, "--acb")


# -- describing a frame -------------------------------------------------------------------------------


def _name(code: int) -> str | None:
    """The use case and title for a message code, without the code ``message_name`` prefixes."""
    name = message_name(code)
    prefix = f"0x{code:04X} "
    if name.startswith(prefix):
        name = name[len(prefix):]
    return None if name == "unknown" else name


def _payload(apdu: GeneralSigning) -> tuple[Any, str | None]:
    """(decoded payload or None, error or None). A payload the decoder cannot read must not hide
    the frame, which did decode: its CodecError becomes a note beside the raw hex."""
    try:
        return decode_payload(apdu.message_code, apdu.content, cra=int(apdu.cra)), None
    except SmetslabError as exc:
        return None, str(exc)


def _signature_text(apdu: GeneralSigning) -> str:
    if apdu.signature is not None:
        return apdu.signature.hex().upper()
    return "null (00)" if apdu.signature_field else "absent (no field: pre-command)"


def describe(frame: frames.Frame, ks: Keystore | None, acb: EUI64, data: bytes) -> dict[str, Any]:
    """A JSON-serialisable description of a decoded frame (and its security status with keys)."""
    apdu = frames.apdu_of(frame)
    oi = apdu.other_information
    other: dict[str, Any] = {"message_code": f"0x{oi.message_code:04X}"}
    if oi.supplementary_remote_party_id is not None:
        other["supplementary_remote_party_id"] = str(oi.supplementary_remote_party_id)
    if oi.supplementary_remote_party_counter is not None:
        other["supplementary_remote_party_counter"] = f"0x{oi.supplementary_remote_party_counter:016X}"
    if oi.supplementary_originator_counter is not None:
        other["supplementary_originator_counter"] = f"0x{oi.supplementary_originator_counter:016X}"
    if oi.ka_certificate is not None:
        other["ka_certificate"] = oi.ka_certificate.hex().upper()
    payload, payload_error = _payload(apdu)
    out: dict[str, Any] = {
        "frame": "general-ciphering" if isinstance(frame, GeneralCiphering) else "general-signing",
        "bytes": len(data),
        "cra": apdu.cra.name.lower(),
        "originator_counter": f"0x{apdu.originator_counter:016X}",
        "originator": str(apdu.originator),
        "recipient": str(apdu.recipient),
        "date_time": None if apdu.date_time is None else {
            "hex": apdu.date_time.hex().upper(), "text": frames.format_date_time(apdu.date_time)},
        "message_code": f"0x{apdu.message_code:04X}",
        "message_name": _name(apdu.message_code),
        "other_information": other,
        "content": apdu.content.hex().upper(),
        "payload": payload,
        "payload_error": payload_error,
        "signature": _signature_text(apdu),
        "mac": frame.mac.hex().upper() if isinstance(frame, GeneralCiphering) else None,
    }
    if ks is not None:
        result = security.check(data, ks, acb=acb)
        out["mac_status"], out["signature_status"] = result.mac, result.signature
        out["protected_payloads"] = _protected(frame, ks)
    return out


def _protected(frame: frames.Frame, ks: Keystore) -> list[dict[str, Any]]:
    blocks = security.find_protected_blocks(frames.apdu_of(frame).content)
    if not blocks:
        return []
    try:
        return [{"kind": b.kind, "offset": b.offset, "plaintext": p.hex().upper(), "status": "valid"}
                for b, p in security.decrypt_protected(frame, ks)]
    except KeyNotFoundError:
        status = "unknown_key"
    except SmetslabError:  # AuthenticationError: a tag did not verify
        status = "invalid"
    return [{"kind": b.kind, "offset": b.offset, "plaintext": None, "status": status} for b in blocks]


def _tree(label: str, d: dict[str, Any]) -> Tree:
    root = Tree(Text(label, style="bold"))
    root.add(Text(f"frame: {d['frame']}, {d['bytes']} bytes"))
    root.add(Text(f"CRA: {d['cra']}"))
    root.add(Text(f"originator counter: {d['originator_counter']}"))
    root.add(Text(f"originator: {d['originator']}"))
    root.add(Text(f"recipient: {d['recipient']}"))
    dt = d["date_time"]
    root.add(Text(f"date-time: {'absent' if dt is None else dt['text'] + ' (' + dt['hex'] + ')'}"))
    name = d["message_name"]
    root.add(Text(f"message code: {d['message_code']}" + (f" {name}" if name else "")))
    other = {k: v for k, v in d["other_information"].items() if k not in ("message_code", "ka_certificate")}
    cert = d["other_information"].get("ka_certificate")
    if other or cert:
        node = root.add(Text("other information"))
        _add(node, other)
        if cert:
            _hex_lines(node.add(Text(f"remote party KA certificate: {len(cert) // 2} bytes DER")), cert)
    content = root.add(Text(f"content: {len(d['content']) // 2} bytes"))
    if d["payload"] is not None:
        _add(content, d["payload"])
    else:
        if d["payload_error"]:
            content.add(Text(f"payload not decoded: {d['payload_error']}", style="yellow"))
        _hex_lines(content, d["content"])
    for block in d.get("protected_payloads", []):
        node = content.add(Text(f"protected {block['kind']} block at content offset {block['offset']}"))
        if block["plaintext"] is not None:
            _hex_lines(node.add(Text(f"decrypted ({len(block['plaintext']) // 2} bytes)")), block["plaintext"])
        else:
            node.add(_status_text(block["status"]))
    sig = root.add(Text(f"signature: {d['signature']}"))
    if "signature_status" in d:
        sig.add(_status_text(d["signature_status"]))
    if d["mac"] is not None:
        mac = root.add(Text(f"MAC: {d['mac']}"))
        if "mac_status" in d:
            mac.add(_status_text(d["mac_status"]))
    elif "mac_status" in d:
        root.add(Text("MAC: absent (no general-ciphering wrapper)"))
    return root


def _hex_lines(node: Tree, hex_text: str, width: int = 64) -> None:
    for i in range(0, len(hex_text), width):
        node.add(Text(hex_text[i:i + width]))


def _status_text(status: str) -> Text:
    style = {"valid": "green", "invalid": "bold red", "unknown_key": "yellow"}.get(status, "")
    return Text(f"status: {status}", style=style)


def _add(node: Tree, value: Any) -> None:
    """Render a JSON-like value (the payload decoder's dict) as tree branches."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                _add(node.add(Text(str(key))), item)
            else:
                node.add(Text(f"{key}: {_scalar(item)}"))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict | list) and item:
                _add(node.add(Text(f"[{i}]")), item)
            else:
                node.add(Text(f"[{i}] {_scalar(item)}"))
    else:
        node.add(Text(_scalar(value)))


def _scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bytes):
        return value.hex().upper()
    if isinstance(value, dict | list):
        return "{}" if isinstance(value, dict) else "[]"
    return str(value)


# -- commands ----------------------------------------------------------------------------------------


@app.command("parse")
def parse_cmd(
    message: str = typer.Argument(..., metavar="HEX|FILE", help="The message as hex digits, or a file holding them."),
    keystore: Path | None = typer.Option(None, "--keystore", help="Key folder: also check the MAC and signature."),
    acb: str = typer.Option(str(security.RTDS_ACB), "--acb", help=_ACB_HELP),
    json_out: bool = typer.Option(False, "--json", help="One JSON object instead of the tree."),
) -> int:
    """Decode one GBCS message into a readable tree: frame fields, message code and name, payload."""
    label, data = _read_message(message, "message")
    acb_eui = _acb(acb)
    ks = _keystore(keystore)
    frame = frames.decode(data)
    d = describe(frame, ks, acb_eui, data)
    if json_out:
        emit_json({"file": None if label == "(argument)" else label, **d})
    else:
        console.print(_tree(label, d), soft_wrap=False)  # let the tree wrap its own long lines
    return 1 if ks is not None and "invalid" in (d["mac_status"], d["signature_status"]) else 0


def _walk(paths: list[Path]) -> Iterator[tuple[Path, bytes | None, str | None]]:
    """(file, bytes or None, error) for each message file: named files always; in folders, *.hex
    files and any other file whose whole content is hex digits."""
    for path in paths:
        if path.is_dir():
            for f in sorted(p for p in path.rglob("*") if p.is_file()):
                item = _message_file(f, named=False)
                if item is not None:
                    yield item
        elif path.is_file():
            item = _message_file(path, named=True)
            assert item is not None
            yield item
        else:
            raise InputError(f"path {str(path)!r}: no such file or folder")


def _message_file(f: Path, *, named: bool) -> tuple[Path, bytes | None, str | None] | None:
    is_hex_name = f.suffix.lower() == ".hex"
    if not (named or is_hex_name):
        try:
            if f.stat().st_size > _MAX_MESSAGE_FILE:
                return None
            raw = f.read_bytes()
        except OSError:
            return None
        compact = WHITESPACE.sub("", raw.decode("ascii", errors="replace"))
        if not compact or not HEX_DIGITS.fullmatch(compact) or len(compact) % 2:
            return None  # not a message: README, keys, CSV ...
        return f, bytes.fromhex(compact), None
    try:
        return f, parse_hex(read_text_file(f, "message file"), f"message file {str(f)!r}"), None
    except InputError as exc:
        return f, None, str(exc)


@app.command("verify")
def verify_cmd(
    paths: list[Path] = typer.Argument(..., metavar="PATH...", help="Message files and/or folders (searched recursively)."),
    keystore: Path = typer.Option(..., "--keystore", help="Key folder: <eui>[-pp]-<ds|ka>.<pem|key>."),
    acb: str = typer.Option(str(security.RTDS_ACB), "--acb", help=_ACB_HELP),
    json_out: bool = typer.Option(False, "--json", help="JSON lines: one object per message, then a summary."),
) -> int:
    """Check the MAC and signature of every message; exit 1 if any is invalid or undecodable."""
    acb_eui = _acb(acb)
    ks = Keystore.from_directory(keystore)
    macs: Counter[str] = Counter()
    signatures: Counter[str] = Counter()
    total = undecodable = 0
    for f, data, error in _walk(paths):
        total += 1
        record: dict[str, Any] = {"file": str(f), "decoded": False, "mac": None, "signature": None,
                                  "error": error, "message_code": None, "message_name": None,
                                  "cra": None, "originator": None, "recipient": None}
        if data is not None:
            try:
                result = security.check(data, ks, acb=acb_eui)
            except CodecError as exc:
                record["error"] = str(exc)
            else:
                apdu = frames.apdu_of(result.frame)
                record.update(decoded=True, mac=result.mac, signature=result.signature,
                              message_code=f"0x{apdu.message_code:04X}", message_name=_name(apdu.message_code),
                              cra=apdu.cra.name.lower(), originator=str(apdu.originator),
                              recipient=str(apdu.recipient))
                macs[result.mac] += 1
                signatures[result.signature] += 1
        if not record["decoded"]:
            undecodable += 1
        if json_out:
            emit_json(record)
        else:
            console.print(_line(record), highlight=False)
    if total == 0:
        raise InputError(f"paths {[str(p) for p in paths]}: no message files found (*.hex, or files of hex digits)")
    failed = undecodable > 0 or macs["invalid"] > 0 or signatures["invalid"] > 0
    summary = {"summary": True, "messages": total, "decoded": total - undecodable, "undecodable": undecodable,
               "mac": {s: macs[s] for s in _STATUSES}, "signature": {s: signatures[s] for s in _STATUSES},
               "ok": not failed}
    if json_out:
        emit_json(summary)
    else:
        console.print(
            f"{total} messages: {total - undecodable} decoded, {undecodable} undecodable; "
            f"MAC {', '.join(f'{macs[s]} {s}' for s in _STATUSES)}; "
            f"signature {', '.join(f'{signatures[s]} {s}' for s in _STATUSES)} -> {'OK' if not failed else 'FAILED'}",
            markup=False, highlight=False)
    return 1 if failed else 0


def _line(r: dict[str, Any]) -> Text:
    if not r["decoded"]:
        return Text(f"ERROR  {r['file']}: {r['error']}", style="bold red")
    bad = "invalid" in (r["mac"], r["signature"])
    verdict = "FAIL " if bad else "ok   "
    text = (f"{verdict}  mac={r['mac']:<11} signature={r['signature']:<11} {r['message_code']} "
            f"{r['cra']:<8} {r['originator']} -> {r['recipient']}  {r['file']}")
    return Text(text, style="bold red" if bad else "")


@app.command("sign")
def sign_cmd(
    precommand: str = typer.Argument(..., metavar="PRECOMMAND", help="The pre-command as hex, or a file of hex."),
    keystore: Path = typer.Option(..., "--keystore", help="Key folder holding the signer's DS private key."),
    signer: str | None = typer.Option(None, "--signer", help="EUI of the signer (default: the frame's originator)."),
    mac: bool = typer.Option(False, "--mac", help="Also MAC-wrap it (needs the ACB's KA private key)."),
    acb: str = typer.Option(str(security.RTDS_ACB), "--acb", help=_ACB_HELP),
) -> int:
    """Sign a pre-command (drop its 00/absent signature field, append 40 ‖ r‖s); print the hex."""
    _label, data = _read_message(precommand, "pre-command")
    signer_eui = None if signer is None else parse_eui(signer, "--signer")
    acb_eui = _acb(acb)
    ks = Keystore.from_directory(keystore)
    signed = security.sign_precommand(data, ks, signer_eui)
    if mac:
        apdu = frames.decode(signed)
        assert isinstance(apdu, GeneralSigning)
        signed = frames.encode(security.mac_wrap(apdu, ks, acb_eui))
    typer.echo(signed.hex().upper())
    return 0
