"""`smetslab zigbee ...` commands."""

from __future__ import annotations

import typer

from smetslab.interfaces.commands._common import emit_json
from smetslab.zigbee import parse_install_code

app = typer.Typer(help="ZigBee HAN helpers (install codes, link keys).", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="zigbee")


@app.command("link-key")
def link_key_cmd(
    install_code: list[str] = typer.Argument(
        ..., help="Install code in hex: 6/8/12/16 bytes, or 8/10/14/18 with the CRC appended (low byte first)."),
    with_crc: bool = typer.Option(None, "--with-crc/--without-crc",
                                  help="Say whether the last 2 bytes are the CRC (default: decided by length; "
                                       "8 bytes count as 6 + CRC only if the CRC matches)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> int:
    """Derive the ZigBee link key from an install code (CRC-16/X-25 + AES-MMO hash)."""
    code = parse_install_code(" ".join(install_code), with_crc)
    crc_le = code.crc.to_bytes(2, "little").hex().upper()
    key = code.link_key.hex().upper()
    if as_json:
        emit_json({"install_code": code.code.hex().upper(), "crc": f"{code.crc:04X}",
                   "install_code_with_crc": code.with_crc.hex().upper(), "link_key": key})
        return 0
    print(f"install code  {code.code.hex().upper()}  ({len(code.code)} bytes)")
    print(f"CRC-16/X-25   0x{code.crc:04X}  (appended low byte first: {crc_le})")
    print(f"link key      {key}")
    return 0
