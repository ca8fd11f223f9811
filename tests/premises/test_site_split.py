"""The Site split into collaborators (issue 10, point 1): what was, still is.

- A format-3 snapshot written *before* the split (``tests/premises/data/snapshot-v3-*.json``, each with its
  ``source``), taken while follow-ups of each kind were pending on the agenda, restores and continues to
  the event log that commit wrote: its digest and length, and its counters, are stored beside it.
- The collaborators reach into no other object's private names (``site._soon`` and the like), and none
  is handed the Site: each gets the few objects it needs.
- Devices are known by role (their EUI's ``DeviceType``), not by a prefix of their name.
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

import pytest

from smetslab.devices.han import DeviceType
from smetslab.interfaces.config import load_story
from smetslab.premises.runner import schedule_timeline, site_config_fields
from smetslab.premises.site import Site, SiteConfig

ROOT = Path(__file__).resolve().parents[2]
PREMISES = ROOT / "src" / "smetslab" / "premises"
SNAPSHOTS = sorted((Path(__file__).parent / "data").glob("snapshot-v3-*.json"))
COLLABORATORS = ("site", "agenda", "roster", "transport", "timeline", "household", "pairing", "routing", "clock",
                 "attacking", "snapshot", "measures", "book")


@pytest.mark.parametrize("path", SNAPSHOTS, ids=lambda p: p.stem)
def test_a_snapshot_from_before_the_split_continues_as_that_commit_did(path: Path) -> None:
    vector = json.loads(path.read_text())
    story = load_story(ROOT / vector["story"])
    config = SiteConfig(**site_config_fields(story))
    site = Site.from_snapshot(vector["snapshot"], config)
    assert {item.kind for item in site.book.agenda.values()} == set(vector["pending"])
    schedule_timeline(site, story, after=vector["cut_s"])
    site.run(story.horizon.seconds)
    tail = "\n".join(r.to_json() for r in site.engine.log.records)
    assert len(site.engine.log.records) == vector["tail_records"]
    assert hashlib.sha256(tail.encode()).hexdigest() == vector["tail_sha256"]
    assert site.counters() == vector["counters"]


def test_the_snapshots_cover_every_kind_of_follow_up_they_claim() -> None:
    # So the test above cannot pass by restoring an empty agenda.
    kinds = set().union(*(json.loads(p.read_text())["pending"] for p in SNAPSHOTS))
    assert {"_attack_attempt", "_joiner_try", "_start_local_pairing", "_visit_end", "deliver"} <= kinds


def _private_reach_ins(tree: ast.AST) -> list[str]:
    """``x._name`` where ``x`` is not ``self`` or ``cls`` (dunders and module aliases aside)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            out.append(f"line {node.lineno}: {ast.unparse(node)}")
    return out


@pytest.mark.parametrize("module", COLLABORATORS)
def test_no_collaborator_reaches_into_private_names(module: str) -> None:
    tree = ast.parse((PREMISES / f"{module}.py").read_text(encoding="utf-8"))
    assert _private_reach_ins(tree) == []


@pytest.mark.parametrize("module", [m for m in COLLABORATORS if m not in ("site", "snapshot")])
def test_no_collaborator_is_handed_the_site(module: str) -> None:
    tree = ast.parse((PREMISES / f"{module}.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            names = [a.arg for a in node.args.args + node.args.kwonlyargs]
            assert "site" not in names, f"{module}.{node.name} takes the Site"
        if isinstance(node, ast.ImportFrom):
            assert node.module != "smetslab.premises.site", f"{module} imports the Site"


@pytest.mark.parametrize("module", COLLABORATORS)
def test_no_device_is_told_apart_by_a_name_prefix(module: str) -> None:
    tree = ast.parse((PREMISES / f"{module}.py").read_text(encoding="utf-8"))
    calls = [ast.unparse(n) for n in ast.walk(tree)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "startswith"]
    assert calls == []


def test_roles_come_from_the_euis() -> None:
    site = Site(SiteConfig(seed=3))
    roster = site.roster
    # The RTDS EUIs of the test PKI (keygen.PKIEntities) and the IHD's (premises.config.IHD_EUI).
    assert str(roster.eui("ESME")) == "00DB1234567890A0" and roster.role("ESME") is DeviceType.ESME
    assert str(roster.eui("GSME")) == "00DB1234567890A1" and roster.role("GSME") is DeviceType.GSME
    assert str(roster.eui("PPMID")) == "00DB1234567890A4" and roster.role("PPMID") is DeviceType.PPMID
    assert roster.role("IHD") is DeviceType.TYPE2
    assert roster.role("CHF") is None and roster.role("GPF") is None  # the hub's own functions
    second = roster.new_ppmid()
    assert second == "PPMID-2" and roster.role(second) is DeviceType.PPMID
    assert roster.eui(second) != roster.eui("PPMID")
    # A device's role follows its EUI: relabel the second PPMID's EUI as an HHT and the roster agrees.
    roster.types[roster.eui(second)] = DeviceType.HHT
    assert roster.role(second) is DeviceType.HHT
