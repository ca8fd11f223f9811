"""A persistent emulation killed with SIGKILL mid-sequence (a real process, a real kill), restarted
until it finishes: the credit equals what the story issued, no UTRN credits twice, and the event log
has no gap - it is the log of a run that was never interrupted, byte for byte, on the stand-in Site
and on the real one (real GBCS: the log carries the signed frames' bytes).

Expected values come from the story itself (the sum of the UTRNs it issues; the number it re-types)
and from the same story run in this process without interruption, never from the killed run."""

from __future__ import annotations

import functools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from _storykit import fake_factory

from smetslab.interfaces.config import load_story
from smetslab.premises.persistence import PremisesStore
from smetslab.premises.runner import run_story
from smetslab.premises.story import validate_story

HERE = Path(__file__).resolve().parent
DAYS = 30
REAL_DAYS = 240
"""The real Site's run is longer: it wakes the meters only when something is due (issue 10), so 30 days are
about 160 instants, too few to be killed three times on the way; 240 days are about 1,300."""


def kill_story(days: int = DAYS) -> dict[str, Any]:
    """A UTRN a day, alternating fuels, typed on the meter keypad; every third one typed again on the
    PPMID an hour later (must be refused as a duplicate)."""
    timeline: list[dict[str, Any]] = [{"at": 0, "do": "install"}, {"at": "12h", "do": "wan_lost"}]
    for d in range(1, days):
        fuel = "electricity" if d % 2 else "gas"
        timeline.append({"at": f"day {d} 08:00", "do": "utrn_issued", "value_pence": 300 + d, "fuel": fuel,
                         "route": "meter_keypad", "label": f"u{d}"})
        if d % 3 == 0:
            timeline.append({"at": "+1h", "do": "utrn_entered", "label": f"u{d}", "on": "ppmid"})
    return {"name": "kill-me", "seed": 21, "horizon": f"{days}d",
            "premises": {"initial_credit_pence": 1000, "daily_spend_pence": 200},
            "timeline": timeline,
            "expect": [{"never": {"event": "TopUpAccepted", "twice_with_same": "utrn"}}]}


def expected_credit(days: int = DAYS) -> int:
    return sum(300 + d for d in range(1, days))


def expected_duplicates(days: int = DAYS) -> int:
    return len([d for d in range(1, days) if d % 3 == 0])


EXPECTED_CREDIT = expected_credit()
EXPECTED_DUPLICATES = expected_duplicates()

CHILD = """
import json, sys
sys.path.insert(0, {here!r})
from _storykit import fake_factory, fake_restore
from smetslab.premises.persistence import PremisesStore
from smetslab.premises.runner import run_story, summary
from smetslab.premises.story import validate_story
from smetslab.interfaces.config import load_story
with PremisesStore(sys.argv[2]) as store:
    run = run_story(load_story(sys.argv[1]), site_factory=fake_factory, restore_factory=fake_restore, store=store)
print(json.dumps(summary(run)))
"""


def _progress(db: Path) -> tuple[int, bool] | None:
    """(instants committed, finished) read without writing, as another process would."""
    if not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as con:
            row = con.execute("SELECT instants, finished FROM checkpoint WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # tables not created yet, or a writer holds the lock
        return None
    return None if row is None else (int(row[0]), bool(row[1]))


def _start(story: Path, db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CHILD.format(here=str(HERE)), str(story), str(db)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _kill_when(proc: subprocess.Popen[str], db: Path, at_least: int, timeout_s: float = 120.0) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        p = _progress(db)
        if p is not None and p[0] >= at_least:
            assert not p[1], "the run finished before it could be killed; make the story longer"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            assert proc.returncode == -signal.SIGKILL
            return p[0]
        if proc.poll() is not None:
            raise AssertionError(f"child ended before the kill: rc={proc.returncode} {proc.stderr.read()}")  # type: ignore[union-attr]
        time.sleep(0.002)
    proc.kill()
    raise AssertionError("child made no progress")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_sigkilled_premises_resumes_without_double_credit_or_lost_events(tmp_path: Path) -> None:
    story_path = tmp_path / "kill.yaml"
    story_path.write_text(yaml.safe_dump(kill_story()))
    db = tmp_path / "state.sqlite"

    # Three kills at different points of the sequence, each after the previous restart made progress.
    seen = []
    for target in (150, 1_000, 2_000):
        proc = _start(story_path, db)
        seen.append(_kill_when(proc, db, target))
        p = _progress(db)
        assert p is not None and not p[1]  # killed mid-run: a checkpoint, unfinished
    assert seen == sorted(seen) and seen[0] >= 150

    final = _start(story_path, db)
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err
    summary = json.loads(out)
    assert summary["resumed_from_s"] is not None and summary["resumed_from_s"] > 0
    assert summary["passed"] is True

    with PremisesStore(db) as store:
        ck = store.checkpoint()
        assert ck is not None and ck.finished
        records = list(store.records())  # raises on a missing row
    accepted = [r for r in records if r.event == "TopUpAccepted"]
    # credited total == what the story issued; each UTRN credited once; each re-typing refused
    assert sum(r.fields["value_pence"] for r in accepted) == EXPECTED_CREDIT
    assert summary["counters"]["topups_credited_pence"] == EXPECTED_CREDIT  # the meters' own totals
    assert len({r.fields["utrn"] for r in accepted}) == len(accepted) == DAYS - 1
    dup = [r for r in records if r.event == "TopUpRejected" and r.fields["reason"] == "DUPLICATE"]
    assert len(dup) == EXPECTED_DUPLICATES
    # no gap, nothing twice: the very log of a run never interrupted
    uninterrupted = run_story(load_story(story_path), site_factory=fake_factory)
    assert records == uninterrupted.records


def _rows(db: Path) -> list[tuple[float, str, str]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
        return [(t, d, e) for t, d, e in con.execute("SELECT time, device, event FROM events ORDER BY seq")]


@functools.cache
def uninterrupted_real_run() -> tuple[str, dict[str, float]]:
    """The kill story on the real Site, in this process, never interrupted: (JSON lines, counters)."""
    run = run_story(validate_story({**kill_story(REAL_DAYS), "name": "kill-real"}))
    assert run.passed
    return "".join(r.to_json() + "\n" for r in run.records), run.counters


def _check_against_uninterrupted(events: Path, summary: dict[str, Any], db: Path) -> None:
    """The resumed run's log and counters are exactly the uninterrupted run's; the credit is what the
    story issued (from the story, not the emulator), each UTRN credited once, each re-typing refused."""
    jsonl, counters = uninterrupted_real_run()
    assert events.read_text(encoding="utf-8") == jsonl  # byte for byte: no gap, nothing twice, same bytes
    assert summary["counters"] == counters
    with PremisesStore(db) as store:
        ck = store.checkpoint()
        records = list(store.records())  # raises on a missing row
    assert ck is not None and ck.finished and ck.events == len(records)
    accepted = [r for r in records if r.event == "TopUpAccepted"]
    assert sum(r.fields["value_pence"] for r in accepted) == expected_credit(REAL_DAYS)
    assert summary["counters"]["topups_credited_pence"] == expected_credit(REAL_DAYS)
    assert len({r.fields["utrn"] for r in accepted}) == len(accepted) == REAL_DAYS - 1
    assert summary["counters"]["duplicate_utrns_rejected"] == expected_duplicates(REAL_DAYS)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_sigkilled_cli_run_on_the_real_site_ends_exactly_as_an_uninterrupted_run(tmp_path: Path) -> None:
    """`smetslab premises run STORY --db FILE` on the real Site (real GBCS), killed three times from
    outside wherever it happens to be, then run to the end: its event log is the uninterrupted run's,
    byte for byte, and so are its counters (the snapshot is complete between instants and signing is
    deterministic). What was committed is never rewritten by a later restart."""
    story_path = tmp_path / "kill.yaml"
    story_path.write_text(yaml.safe_dump({**kill_story(REAL_DAYS), "name": "kill-real"}))
    db, events = tmp_path / "state.sqlite", tmp_path / "events.jsonl"
    cmd = [sys.executable, "-m", "smetslab", "premises", "run", str(story_path), "--db", str(db), "--json"]
    prefixes = []
    for target in (150, 700, 1_100):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _kill_when(proc, db, target)
        prefixes.append(_rows(db))
    final = subprocess.run([*cmd, "--events", str(events)], capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    summary = json.loads(final.stdout)
    assert summary["resumed_from_s"] is not None and summary["resumed_from_s"] > 0

    rows = _rows(db)
    for before in prefixes:  # committed rows are never rewritten or lost by a later restart
        assert rows[:len(before)] == before
    _check_against_uninterrupted(events, summary, db)


SELF_KILL = """
import os, signal, sys
from smetslab.interfaces.cli import main
from smetslab.premises import persistence

kill_at, where = int(sys.argv[1]), sys.argv[2]
real_commit = persistence.PremisesStore.commit
commits = 0


class DieAtCommit:
    # The store's connection, except that this process is SIGKILLed when the transaction would commit:
    # the event rows and the new checkpoint are written but never committed.
    def __init__(self, db):
        self.db = db

    def execute(self, sql, *args):
        if sql == "COMMIT":
            os.kill(os.getpid(), signal.SIGKILL)
        return self.db.execute(sql, *args)

    def executemany(self, *args):
        return self.db.executemany(*args)


def commit(self, *args, **kwargs):
    global commits
    commits += 1
    if commits == kill_at:
        if where == "inside":
            self._db = DieAtCommit(self._db)
        else:
            os.kill(os.getpid(), signal.SIGKILL)
    return real_commit(self, *args, **kwargs)


persistence.PremisesStore.commit = commit
sys.exit(main(sys.argv[3:]))
"""


def _progress_exact(db: Path) -> tuple[int, int, int]:
    """(instants in the checkpoint, events it counts, event rows stored), read as a restarted process would."""
    with PremisesStore(db) as store:
        ck = store.checkpoint()
        assert ck is not None and not ck.finished
        return ck.instants, ck.events, store.event_count()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_commit_logged_only_survives_kills_inside_a_transaction_and_ends_as_an_uninterrupted_run(
        tmp_path: Path) -> None:
    """`--commit-logged-only` (a commit only for instants that logged something) with the process
    SIGKILLed at chosen commits - twice *inside* the transaction, after the rows and the checkpoint
    were written but before COMMIT - and once restarted without the flag: every kill leaves the last
    committed checkpoint and exactly its rows, and the finished run is the uninterrupted one, byte for
    byte."""
    story_path = tmp_path / "kill.yaml"
    story_path.write_text(yaml.safe_dump({**kill_story(REAL_DAYS), "name": "kill-real"}))
    db, events = tmp_path / "state.sqlite", tmp_path / "events.jsonl"
    run_args = ["premises", "run", str(story_path), "--db", str(db), "--json"]
    seen = []
    for kill_at, where, flag in ((5, "inside", ["--commit-logged-only"]), (300, "before", []),
                                 (20, "inside", ["--commit-logged-only"])):
        proc = subprocess.run([sys.executable, "-c", SELF_KILL, str(kill_at), where, *run_args, *flag],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        instants, counted, stored = _progress_exact(db)
        assert counted == stored  # the rows of the killed transaction are gone with its checkpoint
        seen.append(instants)
    assert seen == sorted(seen) and len(set(seen)) == 3  # each restart resumed and made progress

    final = subprocess.run([sys.executable, "-m", "smetslab", *run_args, "--commit-logged-only",
                            "--events", str(events)], capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    summary = json.loads(final.stdout)
    assert summary["resumed_from_s"] is not None and summary["resumed_from_s"] > 0
    _check_against_uninterrupted(events, summary, db)
