"""Saving and restoring a premises: a JSON codec for device states and a transactional SQLite store.

Theory of operation
-------------------
A restarted premises must never accept a UTRN twice and never lose credit. Both hold if the meter's
state (its balance and its cache of used UTRN counters) and the event-log rows describing what
changed are written **together or not at all**: after a crash the premises resumes from the last
committed state, and whatever was being processed when it died is processed again from that state.
Because the emulation is deterministic and a meter refuses a counter it has already accepted, a
repeated input is harmless; because nothing is credited in memory without being committed, nothing
committed is lost.

``PremisesStore`` keeps one run in one SQLite file:

- ``run``: what is being run (story name, the SHA-256 of the validated story, the Site configuration);
- ``checkpoint``: the latest committed state (simulated time, instants processed, events logged, the
  state as JSON, finished or not) - one row, replaced at each commit;
- ``events``: the event log, one row per record, ``seq`` = 0, 1, 2, ... with no gap.

``commit(time, state, records)`` writes the new event rows and replaces the checkpoint in **one
transaction** (``BEGIN IMMEDIATE`` ... ``COMMIT``), after checking the rows continue the log exactly
(first new ``seq`` == rows already stored). The file uses SQLite's write-ahead log; with the default
``synchronous=NORMAL`` a committed transaction survives the process being killed (the case tested);
``synchronous="FULL"`` also survives the machine losing power, at one fsync per commit.

State is JSON, never pickle: ``StateCodec`` - the one state codec of the premises, used by
``Site.state_snapshot`` - writes frozen dataclasses, enums, bytes, EUI-64s, date-times, tuples,
(frozen)sets, non-finite floats and dicts with non-string keys as tagged JSON objects (``{"$dc": ...}``,
``{"$enum": ...}``, ...), and reads back only classes defined in ``smetslab`` modules, so a state file
cannot make the reader import or run anything else. Every value round-trips exactly (``decode(encode(x))
== x``, same types). Objects that must not be written (a keystore holding private keys) are passed as
named references (``refs={"keystore": ks}``): written as ``{"$ref": "keystore"}`` and supplied again on
reading. What the devices themselves hold is written: a state file carries install codes and HAN link
keys (as the hub's device log does), never an SMKI private key. The encoder runs once per committed
instant, so it dispatches on the exact type first and names the path of an unsupported value only
when it meets one.

``engine_snapshot`` / ``restore_engine`` capture what a bare ``Engine`` holds (clock, RNG state, every
device's state), for premises built directly on the engine (the tests' stand-in Site).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import hashlib
import importlib
import json
import math
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np

from smetslab.errors import InputError
from smetslab.premises.engine import Engine, LogRecord
from smetslab.units import EUI64, SimTime

__all__ = [
    "StateCodec",
    "Checkpoint",
    "PremisesStore",
    "engine_snapshot",
    "restore_engine",
    "story_digest",
]

_ALLOWED_MODULE_PREFIX = "smetslab."
_TAGS = ("$dc", "$enum", "$bytes", "$eui", "$tuple", "$frozenset", "$set", "$dict", "$float", "$dt", "$ref")


def _qualname(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


class _Unencodable(Exception):
    """Raised inside the encoder; the levels it passes through prepend where they are (so the fast path
    builds no path strings at all)."""

    def __init__(self, obj: object, reason: str) -> None:
        super().__init__(reason)
        self.obj = obj
        self.reason = reason
        self.where: list[str] = []


_DataclassInfo = tuple[str, tuple[str, ...]]
_DC_INFO: dict[type, _DataclassInfo | None] = {}


def _dataclass_info(cls: type) -> _DataclassInfo | None:
    """(qualified name, field names) of a dataclass type, None for any other type (cached per type)."""
    try:
        return _DC_INFO[cls]
    except KeyError:
        pass
    info: _DataclassInfo | None = None
    if dataclasses.is_dataclass(cls):
        info = (_qualname(cls), tuple(f.name for f in dataclasses.fields(cls)))
    _DC_INFO[cls] = info
    return info


class StateCodec:
    """JSON codec for premises and device states (dataclasses of plain values). Not pickle: see module doc.

    ``refs`` maps a name to an object written by reference (identity), e.g. the keystore.
    """

    def __init__(self, refs: Mapping[str, object] | None = None) -> None:
        self.refs: dict[str, object] = dict(refs or {})
        self._ref_ids = {id(v): k for k, v in self.refs.items()}

    # -- encoding ---------------------------------------------------------------------------------
    def encode(self, obj: Any, path: str = "state") -> Any:
        """A JSON-able form of ``obj``. TypeError (a bug: an unsupported type in a state) names the path."""
        try:
            return self._enc(obj)
        except _Unencodable as exc:
            raise TypeError(f"{path}{''.join(reversed(exc.where))}: {exc.reason}") from None

    def _enc(self, obj: Any) -> Any:
        # Called for every value of every snapshot (once per committed instant): the common exact types
        # first, and no path bookkeeping unless something fails.
        t = type(obj)
        if t is str or t is int or t is bool or obj is None:
            return obj
        if t is float:
            return obj if math.isfinite(obj) else {"$float": repr(obj)}
        ref = self._ref_ids.get(id(obj))
        if ref is not None:
            return {"$ref": ref}
        if isinstance(obj, enum.Enum):  # before int: IntEnum members are ints
            return {"$enum": _qualname(t), "name": obj.name}
        info = _dataclass_info(t)
        if info is not None:
            name, field_names = info
            if not t.__module__.startswith(_ALLOWED_MODULE_PREFIX):
                raise _Unencodable(obj, f"{name} is not a smetslab class; the state codec writes only those")
            fields = {}
            for f in field_names:
                try:
                    fields[f] = self._enc(getattr(obj, f))
                except _Unencodable as exc:
                    exc.where.append(f".{f}")
                    raise
            return {"$dc": name, "fields": fields}
        if isinstance(obj, EUI64):  # before bytes
            return {"$eui": str(obj)}
        if isinstance(obj, bytes | bytearray):
            return {"$bytes": bytes(obj).hex()}
        if isinstance(obj, tuple | list):
            items = []
            for i, v in enumerate(obj):
                try:
                    items.append(self._enc(v))
                except _Unencodable as exc:
                    exc.where.append(f"[{i}]")
                    raise
            return {"$tuple": items} if isinstance(obj, tuple) else items
        if isinstance(obj, frozenset | set):
            try:
                items = [self._enc(v) for v in obj]
            except _Unencodable as exc:
                exc.where.append("{}")
                raise
            items.sort(key=lambda x: json.dumps(x, sort_keys=True))  # a set has no order; the file should
            return {"$frozenset" if isinstance(obj, frozenset) else "$set": items}
        if isinstance(obj, dict):
            plain = all(type(k) is str and not k.startswith("$") for k in obj)
            out: Any = {} if plain else []
            for k, v in obj.items():
                try:
                    ev = self._enc(v)
                    if plain:
                        out[k] = ev
                    else:
                        out.append([self._enc(k), ev])
                except _Unencodable as exc:
                    exc.where.append(f".{k}" if plain else f"[{k!r}]")
                    raise
            return out if plain else {"$dict": out}
        if isinstance(obj, datetime.datetime):
            return {"$dt": obj.isoformat()}
        if isinstance(obj, bool | int | np.integer):  # int subclasses and numpy scalars
            return int(obj)
        if isinstance(obj, float | np.floating):
            x = float(obj)
            return x if math.isfinite(x) else {"$float": repr(x)}
        raise _Unencodable(obj, f"cannot store a {t.__module__}.{t.__qualname__} in a state (JSON codec: "
                                f"dataclasses, enums, bytes, EUI-64s, date-times, numbers, strings, tuples, "
                                f"lists, sets, dicts; pass other objects as refs)")

    def dumps(self, obj: Any) -> str:
        return json.dumps(self.encode(obj), separators=(",", ":"), allow_nan=False)

    # -- decoding ---------------------------------------------------------------------------------
    @staticmethod
    def _class(name: str, path: str) -> Any:
        module, _, qual = name.partition(":")
        if not module.startswith(_ALLOWED_MODULE_PREFIX) or not qual:
            raise InputError(f"{path}: class {name!r} is not allowed in a state file; only smetslab classes")
        try:
            obj: Any = importlib.import_module(module)
            for part in qual.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError):
            raise InputError(f"{path}: class {name!r} does not exist in this version of smetslab") from None
        return obj

    def decode(self, data: Any, path: str = "state") -> Any:
        """The object ``encode`` wrote. InputError for a tag, class or reference it does not know."""
        if data is None or isinstance(data, bool | int | float | str):
            return data
        if isinstance(data, list):
            return [self.decode(v, f"{path}[{i}]") for i, v in enumerate(data)]
        if not isinstance(data, dict):
            raise InputError(f"{path}: unexpected JSON value {data!r}")
        tag = next((t for t in _TAGS if t in data), None)
        if tag is None:
            return {k: self.decode(v, f"{path}.{k}") for k, v in data.items()}
        if tag == "$dc":
            cls = self._class(data["$dc"], path)
            if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
                raise InputError(f"{path}: {data['$dc']!r} is not a dataclass")
            raw = data.get("fields", {})
            known = {f.name: f for f in dataclasses.fields(cls)}
            unknown = set(raw) - set(known)
            if unknown:
                raise InputError(f"{path}: {data['$dc']} has no field(s) {sorted(unknown)}; the state file was "
                                 f"written by another version")
            values = {k: self.decode(v, f"{path}.{k}") for k, v in raw.items()}
            obj = cls(**{k: v for k, v in values.items() if known[k].init})
            for k, v in values.items():
                if not known[k].init:
                    object.__setattr__(obj, k, v)
            return obj
        if tag == "$enum":
            cls = self._class(data["$enum"], path)
            try:
                return cls[data["name"]]
            except (KeyError, TypeError):
                raise InputError(f"{path}: {data['$enum']} has no member {data.get('name')!r}") from None
        if tag == "$bytes":
            return bytes.fromhex(data["$bytes"])
        if tag == "$eui":
            return EUI64(data["$eui"])
        if tag == "$tuple":
            return tuple(self.decode(v, f"{path}[{i}]") for i, v in enumerate(data["$tuple"]))
        if tag == "$frozenset":
            return frozenset(self.decode(v, f"{path}{{}}") for v in data["$frozenset"])
        if tag == "$set":
            return {self.decode(v, f"{path}{{}}") for v in data["$set"]}
        if tag == "$dict":
            return {self.decode(k, f"{path}<key>"): self.decode(v, f"{path}[{i}]")
                    for i, (k, v) in enumerate(data["$dict"])}
        if tag == "$float":
            return float(data["$float"])
        if tag == "$dt":
            try:
                return datetime.datetime.fromisoformat(data["$dt"])
            except (TypeError, ValueError):
                raise InputError(f"{path}: {data['$dt']!r} is not an ISO 8601 date-time") from None
        name = data["$ref"]
        if name not in self.refs:
            raise InputError(f"{path}: the state refers to {name!r}, which was not supplied to the reader "
                             f"(supplied: {sorted(self.refs) or 'none'})")
        return self.refs[name]

    def loads(self, text: str) -> Any:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"state: not valid JSON at character {exc.pos}: {exc.msg}") from None
        return self.decode(data)


# --------------------------------------------------------------------------------------------------
# Engine-level snapshot (the building blocks of Site.state_snapshot)
# --------------------------------------------------------------------------------------------------


def engine_snapshot(engine: Engine, codec: StateCodec) -> dict[str, Any]:
    """The engine's clock, RNG state and every device's state, JSON-able (pending actions excluded)."""
    return {
        "now": float(engine.now),
        "seed": engine.seed,
        "rng": engine.rng.bit_generator.state,  # plain dict of ints and strings
        "devices": {name: codec.encode(actor.state, f"devices.{name}") for name, actor in engine.devices.items()},
    }


def restore_engine(engine: Engine, snap: Mapping[str, Any], codec: StateCodec) -> None:
    """Put an engine (with the same devices added) back in the state ``engine_snapshot`` saw."""
    missing = set(snap["devices"]) - set(engine.devices)
    if missing:
        raise InputError(f"snapshot devices {sorted(missing)}: not in this premises (has {sorted(engine.devices)})")
    for name, data in snap["devices"].items():
        engine.devices[name].state = codec.decode(data, f"devices.{name}")
    engine.rng.bit_generator.state = dict(snap["rng"])
    engine.now = SimTime(float(snap["now"]))


def story_digest(canonical: str) -> str:
    """SHA-256 (hex) of a story's canonical JSON: a store holds one story's run and refuses another's."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------------
# SQLite store
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Checkpoint:
    """The last committed state of a run."""

    time: float
    instants: int
    events: int
    state: dict[str, Any]
    finished: bool


_SCHEMA = """
CREATE TABLE IF NOT EXISTS run (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    story_name TEXT NOT NULL,
    story_sha256 TEXT NOT NULL,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    time REAL NOT NULL,
    instants INTEGER NOT NULL,
    events INTEGER NOT NULL,
    state TEXT NOT NULL,
    finished INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    device TEXT NOT NULL,
    event TEXT NOT NULL,
    fields TEXT NOT NULL
);
"""


class PremisesStore:
    """One premises run in one SQLite file: run identity, the latest checkpoint, the event log."""

    def __init__(self, path: Path | str, *, synchronous: Literal["NORMAL", "FULL"] = "NORMAL") -> None:
        self.path = Path(path)
        if self.path.exists() and self.path.is_dir():
            raise InputError(f"state database {str(self.path)!r}: is a directory, expected a file")
        try:
            # isolation_level=None: no implicit transactions; each commit is an explicit BEGIN..COMMIT
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"state database {str(self.path)!r}: not a usable SQLite file ({exc})") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> PremisesStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- run identity -----------------------------------------------------------------------------
    def run_info(self) -> tuple[str, str, dict[str, Any]] | None:
        row = self._db.execute("SELECT story_name, story_sha256, config FROM run WHERE id = 1").fetchone()
        return None if row is None else (row[0], row[1], json.loads(row[2]))

    def begin_run(self, story_name: str, story_sha256: str, config: Mapping[str, Any]) -> None:
        """Record which story this file holds. InputError if it already holds another story's run."""
        info = self.run_info()
        if info is not None:
            if info[1] != story_sha256:
                raise InputError(f"state database {str(self.path)!r}: holds a run of story {info[0]!r} "
                                 f"(another story, or the same file edited since); use a new file")
            return
        self._db.execute("INSERT INTO run (id, story_name, story_sha256, config) VALUES (1, ?, ?, ?)",
                         (story_name, story_sha256, json.dumps(dict(config), sort_keys=True)))

    # -- checkpoints ------------------------------------------------------------------------------
    def checkpoint(self) -> Checkpoint | None:
        row = self._db.execute("SELECT time, instants, events, state, finished FROM checkpoint WHERE id = 1").fetchone()
        if row is None:
            return None
        return Checkpoint(float(row[0]), int(row[1]), int(row[2]), json.loads(row[3]), bool(row[4]))

    def event_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def commit(self, time: float, instants: int, state: Mapping[str, Any], records: Iterable[LogRecord],
               *, first_seq: int, finished: bool = False) -> int:
        """Append ``records`` as rows ``first_seq, first_seq+1, ...`` and replace the checkpoint, in one
        transaction. Returns the number of events now stored. ValueError (a bug) if the rows would
        leave a gap in, or overlap, the stored log."""
        rows = [(first_seq + i, r.time, r.device, r.event, json.dumps(r.fields, separators=(",", ":")))
                for i, r in enumerate(records)]
        state_text = json.dumps(state, separators=(",", ":"), allow_nan=False)
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            stored = int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
            if stored != first_seq:
                raise ValueError(f"event log rows would start at seq {first_seq} but {stored} rows are stored")
            db.executemany("INSERT INTO events (seq, time, device, event, fields) VALUES (?, ?, ?, ?, ?)", rows)
            total = stored + len(rows)
            db.execute("INSERT OR REPLACE INTO checkpoint (id, time, instants, events, state, finished) "
                       "VALUES (1, ?, ?, ?, ?, ?)", (float(time), int(instants), total, state_text, int(finished)))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return total

    def records(self) -> Iterator[LogRecord]:
        """The stored event log in order. ValueError if a row is missing (the seqs are not 0..n-1)."""
        rows = self._db.execute("SELECT seq, time, device, event, fields FROM events ORDER BY seq")
        for expected, (seq, t, device, event, fields) in enumerate(rows):
            if seq != expected:
                raise ValueError(f"event log gap: row {expected} missing (next stored row is {seq})")
            yield LogRecord(float(t), device, event, json.loads(fields))
