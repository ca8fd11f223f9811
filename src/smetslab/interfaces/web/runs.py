"""Compare runs of the web workbench: stored in the workspace, run on a bounded pool, never silently lost.

Theory of operation
-------------------
Each run is a folder ``WORKSPACE/runs/<id>/`` holding ``run.json`` (its state), ``scenario.yaml`` (what was
asked), and, as it goes, ``results.duckdb`` (written by ``fleet.run``), ``sensitivity.json`` and
``report.html``. ``run.json`` is rewritten atomically on every state change, so the list of runs after a
restart is simply the folders on disk.

A fixed number of worker threads (``max_concurrent``) take runs from a queue; at most ``max_queued`` runs
may wait or run at once, and a submission beyond that is refused (HTTP 429), never dropped later.
Progress is the engine's own ``progress(done, total)`` callback; cancelling sets a flag the callback
checks, raising ``RunCancelled`` inside ``fleet.run`` at the next finished chunk (the chunks already
written stay in the results file).

A run found ``queued`` or ``running`` when the manager starts was interrupted by a restart: it is marked
``interrupted`` (with the time) and, unless resuming is switched off, queued again. ``fleet.run`` continues
an unfinished results file with the blocks still missing, so nothing already computed is redone.
"""

from __future__ import annotations

import json
import queue
import secrets
import shutil
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from smetslab.errors import InputError, SmetslabError
from smetslab.fleet.scenario import Scenario

__all__ = ["RunManager", "RunRecord", "RunCancelled", "LimitReached", "NotFound", "ACTIVE", "FILES", "ERRORS"]

ACTIVE = ("queued", "running")
FILES = {"scenario.yaml": "application/x-yaml", "results.duckdb": "application/octet-stream",
         "report.html": "text/html; charset=utf-8"}


class FieldProblem(BaseModel):
    field: str
    value: Any = None
    message: str


class ErrorBody(BaseModel):
    """Every error answer: one line naming the field, the value and what is allowed; 422s list each field."""

    error: str
    errors: list[FieldProblem] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing or wrong access token"},
    404: {"model": ErrorBody, "description": "no such run, story, frame or file"},
    413: {"model": ErrorBody, "description": "request body over --max-body"},
    422: {"model": ErrorBody, "description": "bad input: names the field, the value and what is allowed"},
    429: {"model": ErrorBody, "description": "over the run limits"},
}
"""The error answers of every API route, for the OpenAPI schema."""


class RunCancelled(Exception):
    """Raised inside the engine's progress callback to stop a run."""


class LimitReached(SmetslabError):
    """Too many runs queued or running (HTTP 429)."""


class NotFound(InputError):
    """A run, story, frame or file the request names does not exist (HTTP 404)."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class RunRecord:
    id: str
    name: str
    state: str  # queued | running | finished | failed | cancelled | interrupted
    created: str
    sha256: str
    sensitivity: bool = False
    rank_by: str = "no_route_days"
    phase: str = ""
    done: int = 0
    total: int = 0
    started: str | None = None
    ended: str | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    seed: int = 0
    premises: int = 0
    replicates: int = 0
    options: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return asdict(self)


class RunManager:
    """Owns the run folders of one workspace and the worker threads that fill them."""

    def __init__(self, workspace: Path, *, max_concurrent: int = 1, max_queued: int = 8, workers: int | None = 1,
                 resume_interrupted: bool = True) -> None:
        self.root = workspace / "runs"
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_concurrent, self.max_queued, self.workers = max_concurrent, max_queued, workers
        self._lock = threading.RLock()
        self._runs: dict[str, RunRecord] = {}
        self._cancel: dict[str, threading.Event] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stopping = threading.Event()
        self._load(resume_interrupted)
        self._threads = [threading.Thread(target=self._worker, name=f"smetslab-run-{i}", daemon=True)
                         for i in range(max_concurrent)]
        for t in self._threads:
            t.start()

    # -- storage ----------------------------------------------------------------------------------------
    def folder(self, run_id: str) -> Path:
        return self.root / run_id

    def _save(self, rec: RunRecord) -> None:
        path = self.folder(rec.id) / "run.json"
        tmp = path.with_name("run.json.tmp")
        tmp.write_text(json.dumps(rec.public(), indent=1), encoding="utf-8")
        tmp.replace(path)

    def _load(self, resume: bool) -> None:
        for f in sorted(self.root.glob("*/run.json")):
            try:
                data = json.loads(f.read_text(encoding="utf-8"))
                rec = RunRecord(**data)
            except (OSError, ValueError, TypeError):
                continue  # not a run folder of ours
            if rec.state in ACTIVE:
                rec.notes.append(f"{_now()}: interrupted by a server restart while {rec.state}")
                rec.state = "interrupted"
                if resume:
                    rec.notes.append(f"{_now()}: queued again; finished chunks are kept and not recomputed")
                    rec.state = "queued"
                    self._queue.put(rec.id)
                self._save(rec)
            self._runs[rec.id] = rec
            self._cancel[rec.id] = threading.Event()

    # -- queries --------------------------------------------------------------------------------------
    def list(self) -> list[RunRecord]:
        with self._lock:
            return sorted(self._runs.values(), key=lambda r: (r.created, r.id), reverse=True)

    def get(self, run_id: str) -> RunRecord:
        with self._lock:
            rec = self._runs.get(run_id)
        if rec is None:
            raise KeyError(run_id)
        return rec

    def scenario(self, run_id: str) -> Scenario:
        from smetslab.interfaces.config import load_scenario

        return load_scenario(self.folder(run_id) / "scenario.yaml")

    def active(self) -> int:
        with self._lock:
            return sum(1 for r in self._runs.values() if r.state in ACTIVE)

    # -- commands -------------------------------------------------------------------------------------
    def submit(self, scenario: Scenario, *, sensitivity: bool = False, rank_by: str = "no_route_days") -> RunRecord:
        with self._lock:
            if self.active() >= self.max_queued:
                raise LimitReached(f"runs: {self.active()} queued or running, the limit is {self.max_queued}; "
                                   f"wait for one to finish or cancel one")
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            run_id = f"{stamp}-{secrets.token_hex(3)}"
            folder = self.folder(run_id)
            folder.mkdir(parents=True)
            (folder / "scenario.yaml").write_text(
                yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True),
                encoding="utf-8")
            rec = RunRecord(id=run_id, name=scenario.name, state="queued", created=_now(), sha256=scenario.sha256(),
                            sensitivity=sensitivity, rank_by=rank_by, seed=scenario.seed,
                            premises=scenario.premises, replicates=scenario.replicates,
                            options=list(scenario.options))
            self._runs[run_id] = rec
            self._cancel[run_id] = threading.Event()
            self._save(rec)
        self._queue.put(run_id)
        return rec

    def cancel(self, run_id: str) -> RunRecord:
        rec = self.get(run_id)
        with self._lock:
            self._cancel[run_id].set()
            if rec.state == "queued":
                rec.state, rec.ended = "cancelled", _now()
                self._save(rec)
        return rec

    def delete(self, run_id: str) -> None:
        rec = self.get(run_id)
        if rec.state in ACTIVE:
            raise InputError(f"run {run_id!r}: is {rec.state}; cancel it before deleting it")
        with self._lock:
            del self._runs[run_id]
        shutil.rmtree(self.folder(run_id), ignore_errors=True)

    def shutdown(self) -> None:
        """Stop the workers; a run in progress stays ``running`` on disk, so the next start resumes it."""
        self._stopping.set()
        for ev in self._cancel.values():
            ev.set()
        for _ in self._threads:
            self._queue.put(None)
        for t in self._threads:
            t.join(timeout=30)

    # -- work -----------------------------------------------------------------------------------------
    def _worker(self) -> None:
        while True:
            run_id = self._queue.get()
            if run_id is None or self._stopping.is_set():
                return
            try:
                rec = self.get(run_id)
            except KeyError:
                continue
            if rec.state != "queued":
                continue
            self._execute(rec)

    def _progress(self, rec: RunRecord, phase: str) -> Any:
        cancel = self._cancel[rec.id]

        def update(done: int, total: int) -> None:
            if cancel.is_set():
                raise RunCancelled(rec.id)
            with self._lock:
                rec.phase, rec.done, rec.total = phase, done, total
        return update

    def _execute(self, rec: RunRecord) -> None:
        from smetslab.fleet import run as fleet_run
        from smetslab.report import build_report

        folder = self.folder(rec.id)
        with self._lock:
            rec.state, rec.started, rec.phase = "running", rec.started or _now(), "fleet run"
            self._save(rec)
        try:
            scen = self.scenario(rec.id)
            fleet_run(scen, folder / "results.duckdb", workers=self.workers, progress=self._progress(rec, "fleet run"))
            sens = None
            if rec.sensitivity:
                sens = self._sweeps(rec, scen, folder)
            with self._lock:
                rec.phase = "report"
            build_report(folder / "results.duckdb", folder / "report.html", sensitivity=sens, rank_by=rec.rank_by,
                         generated_at=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z"))
            final, error = "finished", None
        except RunCancelled:
            if self._stopping.is_set():  # a shutdown, not a user: leave it for the next start to resume
                return
            final, error = "cancelled", None
        except SmetslabError as exc:
            final, error = "failed", str(exc)
        except Exception as exc:  # a bug: keep the server up and say what happened in the run's record
            final, error = "failed", f"internal error: {type(exc).__name__}: {exc}"
        with self._lock:
            rec.state, rec.ended, rec.error = final, _now(), error
            if final == "finished":
                rec.phase, rec.done = "done", rec.total
            self._save(rec)

    def _sweeps(self, rec: RunRecord, scen: Scenario, folder: Path) -> Any:
        from smetslab.fleet.sensitivity import SensitivityResult, run_sweeps

        cache = folder / "sensitivity.json"
        if cache.is_file():
            try:
                return SensitivityResult.from_json(cache.read_text(encoding="utf-8"))
            except InputError:
                pass
        with self._lock:
            rec.phase, rec.done, rec.total = "sensitivity sweeps", 0, 0
        sens = run_sweeps(scen, workers=self.workers, progress=self._progress(rec, "sensitivity sweeps"),
                          rank_by=rec.rank_by, scenario_sha256=rec.sha256)
        tmp = cache.with_name(cache.name + ".tmp")
        tmp.write_text(sens.to_json(), encoding="utf-8")
        tmp.replace(cache)
        return sens

    def wait(self, run_id: str, timeout_s: float = 60.0) -> RunRecord:
        """Block until the run leaves the queue/running states (tests and the bench use this)."""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            rec = self.get(run_id)
            if rec.state not in ACTIVE:
                return rec
            time.sleep(0.05)
        return self.get(run_id)
