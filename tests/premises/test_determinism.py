"""Same story, same seed: the same event log as JSON lines, byte for byte, on the real Site - in separate
processes (each with its own hash seed), for a story whose log carries supplier-signed GBCS commands
(CS03C with a KA certificate, GCS06) and signed responses. ECDSA signing (commands and the seeded test
PKI's certificates) uses RFC 6979 nonces, so the bytes cannot differ between runs; with random nonces
this test fails.

The signed frames are checked independently: each logged command wire verifies with the story seed's
test PKI through ``gbcs.messages.read`` (and no longer does with one byte of its signature changed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from smetslab.errors import AuthenticationError, CodecError
from smetslab.gbcs import keygen
from smetslab.gbcs import messages as M
from smetslab.premises.runner import run_story
from smetslab.premises.story import validate_story

SIGNED_STORY: dict[str, Any] = {
    "name": "signed-commands", "seed": 11, "horizon": "4d",
    "premises": {"initial_credit_pence": 300, "daily_spend_pence": 400},
    "timeline": [
        {"at": 0, "do": "install", "note": "CCS01s, then CS03A1/CS03A2 and CS03C pairing the PPMID"},
        {"at": "1d", "do": "emergency_credit_requested", "fuel": "electricity", "on": "wan", "note": "ECS09"},
        {"at": "+1h", "do": "emergency_credit_requested", "fuel": "gas", "on": "wan", "note": "GCS06"},
        {"at": "+1h", "do": "utrn_issued", "value_pence": 1000, "fuel": "electricity", "route": "wan"},
        {"at": "day 2", "do": "ppmid_lost"},
        {"at": "+2h", "do": "replacement_ppmid_arrives", "note": "CCS02, and the pairing commands again"},
        {"at": "+3h", "do": "attacker_arrives", "kind": "replay_command", "duration": "1h", "rate_per_hour": 4},
    ],
    "expect": ["ppmid_paired == 1", "ec_activations == 2", "replays_rejected >= 1"],
}


def _cli_events(story: Path, out: Path, hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    proc = subprocess.run([sys.executable, "-m", "smetslab", "premises", "run", str(story), "--events", str(out),
                           "--json"], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    return out.read_text(encoding="utf-8")


def _logged_commands(jsonl: str) -> list[tuple[str, bytes]]:
    """(message label, wire) of every GBCS command frame in the log."""
    found = []
    for line in jsonl.splitlines():
        frame = json.loads(line)["fields"].get("frame")
        if isinstance(frame, dict) and frame.get("message", "").endswith("command"):
            found.append((frame["message"], bytes.fromhex(frame["wire"])))
    return found


def test_same_seed_same_jsonl_event_log_byte_for_byte_across_processes(tmp_path: Path) -> None:
    story = tmp_path / "signed.yaml"
    story.write_text(yaml.safe_dump(SIGNED_STORY, sort_keys=False))
    first = _cli_events(story, tmp_path / "a.jsonl", "1")
    second = _cli_events(story, tmp_path / "b.jsonl", "2")
    here = "".join(r.to_json() + "\n" for r in run_story(validate_story(SIGNED_STORY)).records)
    assert first == second == here

    commands = _logged_commands(first)
    labels = {label for label, _ in commands}
    assert {"CS03C command", "GCS06 command"} <= labels  # signed by the supplier, in the compared bytes
    pki = keygen.generate_pki(keygen.PKIEntities(), seed=SIGNED_STORY["seed"])
    keys, acb, supplier = pki.keystore(), keygen.PKIEntities().acb, keygen.PKIEntities().supplier
    for label, wire in commands:
        msg = M.read(wire, keys, acb=acb)  # verifies MAC and signature, or raises
        assert msg.spec.use_case == label.split()[0] and msg.originator == supplier
        forged = wire[:-1] + bytes([wire[-1] ^ 0x01])  # the last byte of the signature
        with pytest.raises((AuthenticationError, CodecError)):
            M.read(forged, keys, acb=acb)

    other = validate_story({**SIGNED_STORY, "seed": 12})
    assert "".join(r.to_json() + "\n" for r in run_story(other).records) != first  # the seed matters
