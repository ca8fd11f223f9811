"""Help text: every word of every help is printed (nothing cut at 80 columns or in a pipe), and what it claims
holds (issue 7)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

from smetslab.interfaces.cli import app, main

SUPPLIER, ESME = "90B3D51F30010000", "00DB1234567890A0"


def _commands() -> list[tuple[list[str], object]]:
    out: list[tuple[list[str], object]] = []

    def walk(path: list[str], cmd: object) -> None:
        out.append((path, cmd))
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk([*path, name], sub)

    walk([], typer.main.get_command(app))
    return out


COMMANDS = _commands()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("columns", ["80", "60"])
@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[" ".join(p) or "smetslab" for p, _ in COMMANDS])
def test_help_prints_every_word(path, cmd, columns, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", columns)
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert "…" not in out and not re.search(r"\w\.\.\.$", out, re.M), out
    flat = _squash(out)
    texts = [cmd.help or ""] + [p.help or "" for p in getattr(cmd, "params", []) if getattr(p, "help", None)]
    for sub in (getattr(cmd, "commands", None) or {}).values():
        texts.append((sub.help or "").split("\n\n")[0])
    for text in texts:
        first = text.split("\n\n")[0]
        assert _squash(first) in flat, f"{' '.join(path)}: help text cut: {first!r}\n{out}"


def test_verify_help_claim_track_high_bits_without_highest_accepted(tmp_path: Path, capsys):
    """`utrn verify --help` says track_high_bits takes bits 42..63 from --highest-accepted *when given*, so it
    must verify without it (as low32_zero does); DOMAIN.md §1.9: counter = ctr10 << 32 when nothing is known."""
    assert main(["keys", "generate", str(tmp_path / "k"), "--seed", "5"]) == 0
    capsys.readouterr()
    assert main(["utrn", "issue", "--keystore", str(tmp_path / "k"), "--supplier", SUPPLIER, "--meter", ESME,
                 "--counter", "0x300000000", "--value", "10"]) == 0
    code = capsys.readouterr().out.strip()
    assert main(["utrn", "verify", code, "--keystore", str(tmp_path / "k"), "--supplier", SUPPLIER, "--meter", ESME,
                 "--policy", "track_high_bits"]) == 0
    out = capsys.readouterr().out
    assert "0x0000000300000000" in out
    assert main(["utrn", "verify", "--help"]) == 0
    helptext = _squash(capsys.readouterr().out)  # click may break "--highest-accepted" after its hyphen
    assert _squash("needs --highest-accepted") not in helptext
    assert _squash("from --highest-accepted when given, else as low32_zero") in helptext
