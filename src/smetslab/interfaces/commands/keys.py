"""`smetslab keys ...` commands: generate a test PKI, list a key folder."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import typer

from smetslab.errors import InputError
from smetslab.gbcs import crypto, keygen
from smetslab.gbcs.keystore import KeyId, Keystore
from smetslab.interfaces.commands._common import emit_json

app = typer.Typer(help="Generate and list GBCS key folders (<eui>[-pp]-<ds|ka>.<pem|key>).", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="keys")


@app.command("generate")
def generate_cmd(
    directory: Path = typer.Argument(..., help="Folder to write (created if missing)."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing key files."),
    eui: list[str] = typer.Option(
        [], "--eui", metavar="ENTITY=EUI",
        help=f"Override an entity's EUI (repeatable). Entities: {', '.join(keygen.PKIEntities.names())}."),
    seed: int = typer.Option(None, "--seed", help="Derive the keys from this seed (reproducible TEST keys)."),
) -> int:
    """Write a fresh test PKI: suppliers (DS, KA, PP-KA), ACB, network operator and devices (DS, KA)."""
    overrides: dict[str, str] = {}
    for item in eui:
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--eui {item!r}: expected ENTITY=EUI, e.g. esme=00DB1234567890B0")
        overrides[name] = value
    entities = keygen.PKIEntities().with_overrides(overrides)
    # The shell supplies the clock: certificates are valid from now (to 9999, like RTDS device certs).
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    pki = keygen.generate_pki(entities, seed=seed, not_before=now)
    written = keygen.write_pki(directory, pki, force=force)
    print(f"wrote {len(written)} files to {directory} (TEST keys; private keys unencrypted)")
    by_entity: dict[str, list[str]] = {}
    for k in pki.keys:
        by_entity.setdefault(k.entity, []).append(("PP-" if k.kid.prepayment else "") + k.kid.usage.name)
    for name in entities.names():
        print(f"  {name:<17} {getattr(entities, name)}  {', '.join(by_entity.get(name, []))}")
    return 0


def _role(ks: Keystore, kid: KeyId, entity_by_eui: dict[str, str]) -> tuple[str, str | None]:
    """(role text, problem or None) for one key id, read from its certificate."""
    try:
        cert = ks.certificate(kid.eui, kid.usage, kid.prepayment)
    except InputError as exc:
        return "?", str(exc)
    entity = entity_by_eui.get(str(kid.eui))
    if cert is None:
        return entity or "?", None
    facts = crypto.certificate_facts(cert)
    if facts.device:
        role = "device"
    elif facts.role is not None:
        role = keygen.ROLE_NAMES.get(facts.role, f"role {facts.role:02X}")
    else:
        role = "?"
    problem = None
    if facts.eui is not None and facts.eui != bytes(kid.eui):
        problem = f"certificate names EUI {facts.eui.hex().upper()}, file name says {kid.eui}"
    elif facts.usage not in (None, kid.usage.value):
        problem = f"certificate key usage is {facts.usage}, file name says {kid.usage.value}"
    return (f"{role} ({entity})" if entity else role), problem


@app.command("list")
def list_cmd(
    directory: Path = typer.Argument(..., help="Key folder."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per key."),
) -> int:
    """List the keys in a folder: EUI, role, usage, public side and whether the private key is present."""
    ks = Keystore.from_directory(directory)
    entity_by_eui: dict[str, str] = {}
    manifest = directory / keygen.MANIFEST_NAME
    if manifest.is_file():
        try:
            entities = json.loads(manifest.read_text()).get("entities", {})
            entity_by_eui = {str(v).upper(): k for k, v in entities.items() if isinstance(v, str)}
        except (OSError, ValueError, AttributeError):
            entity_by_eui = {}  # a damaged manifest only loses the entity names
    rows: list[dict[str, Any]] = []
    bad_files = ks.file_problems()  # every file parsed now: a corrupt key is never listed as usable
    for kid in ks.key_ids():
        role, problem = _role(ks, kid, entity_by_eui)
        problem = bad_files.get(kid, problem)
        stem = kid.file_stem()
        pem = directory / f"{stem}.pem"
        public = "none"
        if pem.is_file():
            public = "certificate" if b"BEGIN CERTIFICATE" in pem.read_bytes() else "public key"
        rows.append({"eui": str(kid.eui), "role": role, "usage": ("PP-" if kid.prepayment else "") + kid.usage.name,
                     "public": public, "private": ks.has_private(kid) and kid not in bad_files,
                     "problem": problem})
    if as_json:
        for row in rows:
            emit_json(row)
    else:
        print(f"{'EUI':<16}  {'role':<30}  {'usage':<5}  {'public':<11}  private")
        for r in rows:
            usable = "yes" if r["private"] else "no"
            line = f"{r['eui']:<16}  {r['role']:<30}  {r['usage']:<5}  {r['public']:<11}  {usable}"
            print(line + (f"  ! {r['problem']}" if r["problem"] else ""))
        print(f"{len(rows)} keys, {sum(r['private'] for r in rows)} with usable private key, in {directory}")
    if bad_files:
        first = next(iter(bad_files.values()))
        more = f" (and {len(bad_files) - 1} more bad key file(s), marked '!' above)" if len(bad_files) > 1 else ""
        raise InputError(f"keystore {str(directory)!r}: {first}{more}")
    return 0
