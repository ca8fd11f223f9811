"""Every example story in examples/stories/ passes on the real premises (exit 0), and a story with a
deliberately wrong expectation fails with exit 1 naming it. Also: the stories cover what issue 3 asks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from smetslab.interfaces.cli import main
from smetslab.interfaces.config import load_story
from smetslab.premises.story import AttackerArrives, Install, UTRNEntered, UTRNIssued

STORIES = sorted((Path(__file__).resolve().parents[2] / "examples" / "stories").glob("*.yaml"))


def test_there_are_at_least_eight_example_stories() -> None:
    assert len(STORIES) >= 8


@pytest.mark.parametrize("path", STORIES, ids=[p.stem for p in STORIES])
def test_example_story_passes(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["premises", "run", str(path), "--json"])
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert code == 0, f"{path.name}: failed {summary['failed']}; {err}"
    assert summary["passed"] and summary["expectations"], path.name  # every example states expectations


def test_a_deliberately_wrong_expectation_exits_1_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = yaml.safe_load((STORIES[0].parent / "wan-lost-ppmid-paired.yaml").read_text())
    data["expect"] = ["topups_accepted == 5", "ppmid_paired == 1"]  # the story credits 4 top-ups
    path = tmp_path / "wrong.yaml"
    path.write_text(yaml.safe_dump(data))
    code = main(["premises", "run", str(path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert err == "failed: expect[0] topups_accepted == 5 (observed topups_accepted = 4)\n"
    assert "✗ expect[0] topups_accepted == 5" in out and "✓ expect[1] ppmid_paired == 1" in out


def test_the_examples_cover_the_issue() -> None:
    """No WAN at install; WAN lost with the PPMID paired; WAN lost then PPMID broken under baseline and
    each local-pairing option; rogue joins with the window closed and open; a join flood; SECMP0038
    relaying and a replay; one UTRN typed on the PPMID and the meter keypad."""
    stories = [load_story(p) for p in STORIES]
    steps = {s.name: [step for _, step in s.steps()] for s in stories}
    kinds = {s.name: {step.do for step in steps[s.name]} for s in stories}
    assert any(isinstance(st, Install) and not st.wan for ss in steps.values() for st in ss)
    broken = {s.options for s in stories if {"wan_lost", "ppmid_lost", "replacement_ppmid_arrives"} <= kinds[s.name]}
    assert {"baseline", "secmp0037", "power_cycle_window", "hub_button", "alternating_windows", "firmware_preauth",
            "meter_bluetooth", "meter_nfc"} <= broken
    assert any({"wan_lost"} <= kinds[s.name] and "ppmid_lost" not in kinds[s.name]
               and any(isinstance(st, UTRNIssued) and st.route == "ppmid" for st in steps[s.name]) for s in stories)
    attacks = {st.kind for ss in steps.values() for st in ss if isinstance(st, AttackerArrives)}
    assert {"rogue_join", "join_flood", "relay_replay"} <= attacks
    assert any(isinstance(st, UTRNIssued) and st.route == "relay" for ss in steps.values() for st in ss)
    typed_twice = [s.name for s in stories
                   if any(isinstance(st, UTRNEntered) and st.on == "meter_keypad" for st in steps[s.name])
                   and any(isinstance(st, UTRNIssued) and st.route == "ppmid" and st.label for st in steps[s.name])]
    assert typed_twice


def test_the_complete_example_in_docs_stories_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "stories.md").read_text()
    block = doc.split("## A complete example", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    path = tmp_path / "doc.yaml"
    path.write_text(block)
    code = main(["premises", "run", str(path), "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["passed"] and len(summary["expectations"]) == 4
