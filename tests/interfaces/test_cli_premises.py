"""`smetslab premises run` through the real entry point: exit 0/1/2, one-line errors naming the story
field, failed expectations named on stderr, the event log as JSON lines, --json, --db,
--commit-logged-only."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "premises"))
from _storykit import fake_factory, fake_restore  # noqa: E402

from smetslab.interfaces.cli import main  # noqa: E402
from smetslab.premises import runner  # noqa: E402
from smetslab.premises.persistence import PremisesStore  # noqa: E402

STORY: dict[str, Any] = {
    "name": "cli", "seed": 5, "horizon": "3d",
    "premises": {"initial_credit_pence": 800, "daily_spend_pence": 100},
    "timeline": [
        {"at": 0, "do": "install"},
        {"at": "1d", "do": "utrn_issued", "value_pence": 400, "route": "meter_keypad", "label": "a",
         "note": "typed at the meter"},
        {"at": "+1h", "do": "utrn_entered", "label": "a", "on": "ppmid"},
    ],
    "expect": ["topups_accepted == 1", "duplicate_utrns_rejected == 1",
               {"never": {"event": "TopUpAccepted", "twice_with_same": "utrn"}}],
}


@pytest.fixture
def stand_in_site(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs use the tests' stand-in Site (real meters and UTRN crypto) in place of premises.site."""
    monkeypatch.setattr(runner, "build_site", fake_factory)
    monkeypatch.setattr(runner, "restore_site", fake_restore)


def write(tmp_path: Path, data: dict[str, Any], name: str = "story.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_passing_story_prints_timeline_summary_and_writes_events(
        stand_in_site: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "out.jsonl"
    code, out, err = cli(capsys, "premises", "run", str(write(tmp_path, STORY)), "--events", str(events))
    assert (code, err) == (0, "")
    assert "Story cli" in out and "utrn_issued 400p electricity via meter_keypad [a]  # typed at the meter" in out
    assert "TopUpAccepted" in out and "TopUpRejected" in out and "PASSED 3 of 3" in out
    lines = [json.loads(x) for x in events.read_text().splitlines()]
    assert lines and all(set(x) == {"time", "device", "event", "fields"} for x in lines)
    acc = [x for x in lines if x["event"] == "TopUpAccepted"]
    assert len(acc) == 1 and acc[0]["time"] == 86_400.0 and acc[0]["fields"]["value_pence"] == 400
    assert acc[0]["device"] == "ESME" and acc[0]["fields"]["route"] == "KEYPAD"


def test_json_summary(stand_in_site: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "premises", "run", str(write(tmp_path, STORY)), "--json")
    assert code == 0
    obj = json.loads(out)
    assert obj["passed"] is True and obj["story"] == "cli" and obj["seed"] == 5 and obj["horizon_s"] == 259_200.0
    assert obj["counters"]["topups_credited_pence"] == 400.0
    assert [e["passed"] for e in obj["expectations"]] == [True, True, True]


def test_a_wrong_expectation_exits_1_naming_it(stand_in_site: None, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    data = {**STORY, "expect": ["topups_accepted == 2", "rogue_joins == 0"]}
    code, out, err = cli(capsys, "premises", "run", str(write(tmp_path, data)))
    assert code == 1
    assert err == "failed: expect[0] topups_accepted == 2 (observed topups_accepted = 1)\n"
    assert "FAILED 1 of 2" in out
    code, out, err = cli(capsys, "premises", "run", str(write(tmp_path, data)), "--json")
    assert code == 1 and json.loads(out)["failed"] == ["topups_accepted == 2"]
    assert "expect[0] topups_accepted == 2" in err


@pytest.mark.parametrize(("mutate", "needle"), [
    (lambda d: d["timeline"][1].__setitem__("at", "1 fortnight"), "timeline[1].at = '1 fortnight': not a time"),
    (lambda d: d["timeline"][2].__setitem__("on", "phone"), "timeline[2].on = 'phone'"),
    (lambda d: d.__setitem__("options", "magic"), "options = 'magic': unknown option 'magic'"),
    (lambda d: d.__setitem__("expect", ["topups_acepted == 1"]), "expect[0].counter = 'topups_acepted': not a "
                                                                 "counter of this premises; did you mean"),
    (lambda d: d.__setitem__("expect", [{"never": {"event": "TopUpAcepted"}}]), "expect[0].never.event"),
])
def test_malformed_story_exits_2_with_one_line(stand_in_site: None, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               mutate: Any, needle: str) -> None:
    data = json.loads(json.dumps(STORY))
    mutate(data)
    code, out, err = cli(capsys, "premises", "run", str(write(tmp_path, data)))
    assert code == 2 and out == ""
    assert err.startswith("error: story ") and err.count("\n") == 1 and needle in err


def test_missing_file_and_bad_yaml_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "premises", "run", str(tmp_path / "nope.yaml"))
    assert code == 2 and "no such file" in err and err.count("\n") == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("horizon: [1d\n")
    code, _, err = cli(capsys, "premises", "run", str(bad))
    assert code == 2 and "not valid YAML at line" in err


def test_db_persists_and_a_second_run_resumes_from_the_finished_checkpoint(
        stand_in_site: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story, db = write(tmp_path, STORY), tmp_path / "state.sqlite"
    code, out1, _ = cli(capsys, "premises", "run", str(story), "--db", str(db), "--json")
    assert code == 0 and json.loads(out1)["resumed_from_s"] is None
    code, out2, _ = cli(capsys, "premises", "run", str(story), "--db", str(db), "--json")
    first, second = json.loads(out1), json.loads(out2)
    assert code == 0 and second["resumed_from_s"] == 259_200.0
    assert second["counters"] == first["counters"] and second["events"] == first["events"]
    other = write(tmp_path, {**STORY, "seed": 6}, "other.yaml")
    code, _, err = cli(capsys, "premises", "run", str(other), "--db", str(db))
    assert code == 2 and "holds a run of story 'cli'" in err


def test_commit_logged_only_commits_fewer_instants_and_logs_the_same(
        stand_in_site: None, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    story = write(tmp_path, STORY)
    commits: list[int] = []
    real_commit = PremisesStore.commit

    def counting(self: PremisesStore, *args: Any, **kwargs: Any) -> int:
        commits.append(args[1])  # instants processed so far
        return real_commit(self, *args, **kwargs)

    monkeypatch.setattr(PremisesStore, "commit", counting)
    outs = {}
    for name, flag in (("every", []), ("logged", ["--commit-logged-only"])):
        commits.clear()
        events = tmp_path / f"{name}.jsonl"
        code, out, err = cli(capsys, "premises", "run", str(story), "--db", str(tmp_path / f"{name}.sqlite"),
                             "--events", str(events), "--json", *flag)
        assert (code, err) == (0, "")
        outs[name] = (list(commits), events.read_text(), json.loads(out)["counters"])
    every, logged = outs["every"], outs["logged"]
    # 3 days of 15-minute ticks: 288 instants plus the steps' own; one commit each, plus the end
    assert len(every[0]) == every[0][-1] + 1 and every[0][-1] >= 288
    assert logged[0][-1] == every[0][-1] and len(logged[0]) < len(every[0]) / 10
    assert logged[1:] == every[1:]  # the same log, byte for byte, and the same counters


def test_commit_logged_only_needs_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "premises", "run", str(write(tmp_path, STORY)), "--commit-logged-only")
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert err.startswith("error: --commit-logged-only: only with --db")
