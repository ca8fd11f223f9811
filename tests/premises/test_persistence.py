"""Persistence: the JSON state codec round-trips real device states, the SQLite store commits state and
log rows together or not at all, and a resumed run ends exactly as an uninterrupted one."""

from __future__ import annotations

import datetime
import enum
import json
import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from _premiseskit import ESME_EUI, GSME_EUI, METER_KEYS, issue, premises
from _storykit import fake_factory, fake_restore
from test_runner import KEYPAD_STORY

from smetslab.devices import DeviceType, TopUpRoute
from smetslab.devices import chf as C
from smetslab.devices import prepayment as pp
from smetslab.errors import InputError
from smetslab.interfaces.config import load_story
from smetslab.premises.engine import LogRecord
from smetslab.premises.persistence import PremisesStore, StateCodec, engine_snapshot, restore_engine
from smetslab.premises.runner import run_story
from smetslab.premises.site import Site, SiteConfig
from smetslab.premises.story import validate_story
from smetslab.units import EUI64

CODEC = StateCodec(refs={"keystore": METER_KEYS})


def busy_engine() -> object:
    """An engine whose devices have been through enough to fill every kind of field."""
    eng = premises(rate=300, option="hub_button")
    del eng.devices["PPMID"]  # a test stand-in, not a smetslab device
    eng.deliver("ESME", pp.ApplyTopUp(issue(ESME_EUI, 1, 500), TopUpRoute.KEYPAD))
    eng.deliver("ESME", pp.ApplyTopUp("12345678901234567890", TopUpRoute.KEYPAD))  # lockout tally
    eng.deliver("GSME", pp.ApplyTopUp(issue(GSME_EUI, 2, 700), TopUpRoute.PPMID))
    eng.now = 3 * 86_400.0  # type: ignore[assignment]
    eng.deliver("ESME", pp.Tick())  # consumption, alerts, a disconnection
    eng.deliver("CHF", C.PressHubButton())
    eng.deliver("CHF", C.RemoveDevice(GSME_EUI))  # historic log entry (bytes)
    eng.deliver("CHF", C.PreauthoriseDevice(EUI64("00DB1234567890A4"), bytes(range(16))))
    eng.rng.random(3)
    return eng


def test_codec_round_trips_real_device_states_through_json_text() -> None:
    eng = busy_engine()
    text = json.dumps(engine_snapshot(eng, CODEC))  # type: ignore[arg-type]
    assert "BEGIN PRIVATE KEY" not in text and '{"$ref":"keystore"}' in text.replace(" ", "")
    fresh = premises(rate=300, option="hub_button")
    del fresh.devices["PPMID"]
    restore_engine(fresh, json.loads(text), CODEC)
    for name, actor in eng.devices.items():  # type: ignore[attr-defined]
        assert fresh.devices[name].state == actor.state, name
        assert type(fresh.devices[name].state) is type(actor.state)
    esme = fresh.devices["ESME"].state
    assert esme.keystore is METER_KEYS
    assert esme.acceptance.lockout.locked_until_s == -math.inf and len(esme.acceptance.lockout.failure_times_s) == 1
    assert fresh.devices["CHF"].state.historic_log[0].eui == GSME_EUI
    assert isinstance(fresh.devices["CHF"].state.historic_log[0].eui, EUI64)
    assert fresh.now == 3 * 86_400.0 and fresh.rng.random() == eng.rng.random()  # type: ignore[attr-defined]


class Colour(enum.Enum):
    RED = 1


@dataclass(frozen=True)
class Foreign:
    x: int


def test_codec_value_kinds() -> None:
    codec = StateCodec()
    value = {"t": (1, 2.5, None, True), "f": frozenset({b"\x01", b"\x02"}), "inf": math.inf,
             "k": {(1, 2): "tuple key", 3: "int key"}, "l": [EUI64("00DB1234567890A0")], "n": -math.inf,
             "e": DeviceType.PPMID, "cmd": C.AddDevice(ESME_EUI, DeviceType.ESME, b"\x00" * 16, 90.0),
             "dt": datetime.datetime(2025, 1, 1, 6, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
             "np": np.int64(7), "$odd": "a key that looks like a tag", "s": {3, 1, 2}}
    text = codec.dumps(value)
    json.loads(text)  # standard JSON: no NaN/Infinity literals
    assert "Infinity" not in text
    back = codec.loads(text)
    assert back == value and isinstance(back["t"], tuple) and isinstance(back["f"], frozenset)
    assert back["e"] is DeviceType.PPMID and isinstance(back["l"][0], EUI64)
    assert back["dt"].utcoffset() == datetime.timedelta(hours=1) and type(back["np"]) is int
    assert type(back["s"]) is set and codec.dumps(value) == text  # sets are written in one order


def test_codec_names_where_an_unsupported_value_sits() -> None:
    with pytest.raises(TypeError, match=r"^book\.a\[1\]\[1\]: cannot store a builtins\.object"):
        StateCodec().encode({"a": [1, (2, object())]}, "book")
    with pytest.raises(TypeError, match=r"^state\.cmd\.install_code: cannot store a builtins\.object"):
        StateCodec().encode({"cmd": C.AddDevice(ESME_EUI, DeviceType.ESME, object(), 90.0)})  # type: ignore[arg-type]


def test_codec_round_trips_a_real_sites_states_exactly() -> None:
    """Every device state and the Site's own book, after a busy week, through JSON text and back."""
    s = Site(SiteConfig(seed=5, options="hub_button+secmp0038", consumer_tops_up_below_pence=500))
    s.install(0)
    s.wan_lost(86_400)
    s.ppmid_lost(2 * 86_400)
    s.replacement_ppmid_arrives(2 * 86_400 + 600)
    s.press_hub_button(2 * 86_400 + 900)
    s.attacker(3 * 86_400, kind="join_flood", duration_s=3600, rate_per_hour=60)
    s.run(3 * 86_400 + 1800)  # the flood still running: follow-ups on the agenda
    codec = StateCodec(refs={"keystore": s.keystore})
    assert s.book.agenda  # something pending is part of what is checked
    for name, value in [*((n, a.state) for n, a in s.engine.devices.items()), ("book", s.book)]:
        back = codec.loads(codec.dumps(value))
        assert back == value, name
        assert type(back) is type(value)


def test_codec_writes_and_reads_only_smetslab_classes() -> None:
    codec = StateCodec()
    with pytest.raises(TypeError, match=r"state\.x: .*Foreign is not a smetslab class"):
        codec.encode({"x": Foreign(1)})
    with pytest.raises(TypeError, match=r"state\.y: cannot store a .*Colour|state\.y: cannot store"):
        codec.encode({"y": object()})
    hostile = json.dumps({"$dc": "os:system", "fields": {}})
    with pytest.raises(InputError, match="class 'os:system' is not allowed"):
        codec.loads(hostile)
    with pytest.raises(InputError, match="refers to 'keystore', which was not supplied"):
        codec.loads('{"$ref": "keystore"}')
    with pytest.raises(InputError, match="has no field"):
        codec.loads(json.dumps({"$dc": "smetslab.devices.prepayment:Tick", "fields": {"bogus": 1}}))


# -- the store ---------------------------------------------------------------------------------------------

def r(t: float, n: int) -> LogRecord:
    return LogRecord(t, "ESME", "TopUpAccepted", {"n": n})


def test_commit_is_all_or_nothing(tmp_path: Path) -> None:
    with PremisesStore(tmp_path / "s.sqlite") as store:
        store.begin_run("s", "abc", {"seed": 1})
        assert store.commit(1.0, 1, {"v": 1}, [r(1, 0), r(1, 1)], first_seq=0) == 2
        # rows that would leave a gap: refused, and nothing of that transaction is kept
        with pytest.raises(ValueError, match="start at seq 5 but 2 rows are stored"):
            store.commit(2.0, 2, {"v": 2}, [r(2, 5)], first_seq=5)
        # a state that cannot be JSON: refused before anything is written
        with pytest.raises(ValueError):
            store.commit(2.0, 2, {"v": math.nan}, [r(2, 2)], first_seq=2)
        # a failure after the event rows went in (the checkpoint row cannot be written): rolled back
        with pytest.raises(TypeError):
            store.commit(2.0, object(), {"v": 2}, [r(2, 2)], first_seq=2)  # type: ignore[arg-type]
        assert store.event_count() == 2
        ck = store.checkpoint()
        assert ck is not None and (ck.time, ck.instants, ck.events, ck.state, ck.finished) == (1.0, 1, 2, {"v": 1}, False)
        assert [x.fields["n"] for x in store.records()] == [0, 1]
        assert store.commit(3.0, 2, {"v": 3}, [r(3, 2)], first_seq=2, finished=True) == 3
    with PremisesStore(tmp_path / "s.sqlite") as again:  # what another process sees after a restart
        ck = again.checkpoint()
        assert ck is not None and ck.state == {"v": 3} and ck.finished and again.event_count() == 3


def test_a_missing_row_is_reported_as_a_gap(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with PremisesStore(path) as store:
        store.commit(1.0, 1, {}, [r(1, 0), r(1, 1), r(1, 2)], first_seq=0)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM events WHERE seq = 1")
    with PremisesStore(path) as store, pytest.raises(ValueError, match="row 1 missing"):
        list(store.records())


def test_a_store_holds_one_story(tmp_path: Path) -> None:
    with PremisesStore(tmp_path / "s.sqlite") as store:
        store.begin_run("a", "sha-a", {})
        store.begin_run("a", "sha-a", {})  # the same story again: resume
        with pytest.raises(InputError, match="holds a run of story 'a'"):
            store.begin_run("b", "sha-b", {})
    (tmp_path / "junk.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(InputError, match="not a usable SQLite file"):
        PremisesStore(tmp_path / "junk.sqlite")


# -- persistent runs ------------------------------------------------------------------------------------------

def test_a_persistent_run_logs_and_ends_as_a_plain_one(tmp_path: Path) -> None:
    story = validate_story(KEYPAD_STORY)
    plain = run_story(story, site_factory=fake_factory)
    with PremisesStore(tmp_path / "p.sqlite") as store:
        kept = run_story(story, site_factory=fake_factory, restore_factory=fake_restore, store=store)
    assert kept.records == plain.records and kept.counters == plain.counters and kept.passed
    assert kept.instants > 400  # one commit per instant (ticks every 15 min over 5 days, plus steps)


def _commits(store: PremisesStore, crash_at: int | None, calls: list[int]) -> None:
    """Record each commit's instant count; raise Crash instead of the ``crash_at``-th commit (1-based)."""
    real_commit = store.commit

    def commit(*a: object, **kw: object) -> int:
        calls.append(a[1])  # type: ignore[arg-type]
        if len(calls) == crash_at:
            raise Crash
        return real_commit(*a, **kw)  # type: ignore[arg-type]

    store.commit = commit  # type: ignore[method-assign]


class Crash(Exception):
    pass


def test_committing_only_logged_instants_commits_far_fewer(tmp_path: Path) -> None:
    story = validate_story(KEYPAD_STORY)
    calls: list[int] = []
    with PremisesStore(tmp_path / "p.sqlite") as store:
        _commits(store, None, calls)
        run = run_story(story, site_factory=fake_factory, restore_factory=fake_restore, store=store,
                        commit_quiet_instants=False)
    assert run.instants == 481 and len(calls) < run.instants / 10
    assert run.records == run_story(story, site_factory=fake_factory).records


@pytest.mark.parametrize("quiet", [True, False], ids=["every-instant", "logged-instants-only"])
@pytest.mark.parametrize("fraction", [0.0, 0.2, 0.5, 0.95])
def test_resuming_from_any_checkpoint_ends_as_an_uninterrupted_run(tmp_path: Path, fraction: float,
                                                                   quiet: bool) -> None:
    """Crash instead of one commit (in process), resume from the file, compare with a plain run."""
    story = validate_story(KEYPAD_STORY)
    plain = run_story(story, site_factory=fake_factory)
    total: list[int] = []
    with PremisesStore(tmp_path / "count.sqlite") as store:
        _commits(store, None, total)
        run_story(story, site_factory=fake_factory, restore_factory=fake_restore, store=store,
                  commit_quiet_instants=quiet)
    crash_at = 2 + int(fraction * (len(total) - 3))  # at least one commit made, the final one not
    calls: list[int] = []
    path = tmp_path / "p.sqlite"
    with PremisesStore(path) as store:
        _commits(store, crash_at, calls)
        with pytest.raises(Crash):
            run_story(story, site_factory=fake_factory, restore_factory=fake_restore, store=store,
                      commit_quiet_instants=quiet)
    with PremisesStore(path) as store:
        ck = store.checkpoint()
        assert ck is not None and ck.instants == calls[-2] and not ck.finished
        resumed = run_story(story, site_factory=fake_factory, restore_factory=fake_restore, store=store,
                            commit_quiet_instants=quiet)
    assert resumed.resumed_from == ck.time
    assert resumed.records == plain.records  # no gap, nothing twice
    assert resumed.counters == plain.counters


EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "stories").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_story_crashed_mid_run_resumes_to_the_uninterrupted_log(tmp_path: Path, path: Path) -> None:
    """The real Site (floods, relays, GSME queues, local pairing, attackers): crash instead of a commit
    in the middle of a run that commits only logged instants, resume from the file, and the log and
    the counters are those of a run never interrupted."""
    story = load_story(path)
    plain = run_story(story)
    total: list[int] = []
    with PremisesStore(tmp_path / "count.sqlite") as store:
        _commits(store, None, total)
        run_story(story, store=store, commit_quiet_instants=False)
    calls: list[int] = []
    with PremisesStore(tmp_path / "p.sqlite") as store:
        _commits(store, max(2, len(total) // 2), calls)
        with pytest.raises(Crash):
            run_story(story, store=store, commit_quiet_instants=False)
    with PremisesStore(tmp_path / "p.sqlite") as store:
        resumed = run_story(story, store=store, commit_quiet_instants=False)
    assert resumed.resumed_from is not None and resumed.resumed_from > 0
    assert [r.to_json() for r in resumed.records] == [r.to_json() for r in plain.records]
    assert resumed.counters == plain.counters and resumed.passed
