"""Premises stories over HTTP: example or click-built stories, run, timeline, frame decode, verdicts.

A story runs through ``premises.runner.run_story`` unchanged; the site it builds is captured through
the runner's own ``site_factory`` hook so a frame can later be decoded and checked with the keys that
premises used (its seeded test PKI) - on the server; only verdicts and public fields leave it.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from smetslab.errors import InputError
from smetslab.interfaces.web.api_tools import parse_message
from smetslab.interfaces.web.runs import ERRORS, LimitReached, NotFound

__all__ = ["router", "PremisesRuns", "default_stories_dir"]

router = APIRouter(prefix="/api", tags=["premises"], responses=ERRORS)

MAX_RECORDS = 20_000
_KEEP = 16  # finished story runs kept in memory for frame decoding
FRAME_EVENTS = ("GBCSOut", "HANFrameOut")


def default_stories_dir() -> Path | None:
    """The repository's examples/stories when running from a checkout (a wheel ships no examples)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent / "examples" / "stories"
        if cand.is_dir():
            return cand
    return None


@dataclass
class _Stored:
    keystore: Any
    acb: Any
    wires: list[bytes]
    meta: list[dict[str, Any]]


class PremisesRuns:
    def __init__(self, settings: Any) -> None:
        self.stories_dir: Path | None = settings.stories_dir or default_stories_dir()
        self._slots = threading.BoundedSemaphore(settings.max_premises_runs)
        self._limit = settings.max_premises_runs
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, _Stored] = OrderedDict()
        self._ids = itertools.count(1)

    def stories(self) -> dict[str, Path]:
        if self.stories_dir is None or not self.stories_dir.is_dir():
            return {}
        return {p.stem: p for p in sorted(self.stories_dir.glob("*.yaml"))}

    def run(self, data: Any) -> dict[str, Any]:
        from smetslab.premises.runner import build_site, run_story, summary
        from smetslab.premises.story import validate_story

        story = validate_story(data, where="(request)")
        if not story.name:
            story = story.model_copy(update={"name": "click-built"})
        if not self._slots.acquire(blocking=False):
            raise LimitReached(f"premises runs: {self._limit} already running, the limit is {self._limit}; "
                               f"try again when one has finished")
        try:
            sites: list[Any] = []

            def capture(s: Any) -> Any:
                site = build_site(s)
                sites.append(site)
                return site

            result = run_story(story, site_factory=capture, where="(request)")
        finally:
            self._slots.release()
        site = sites[-1]
        records: list[dict[str, Any]] = []
        frames: list[dict[str, Any]] = []
        wires: list[bytes] = []
        for i, rec in enumerate(result.records[:MAX_RECORDS]):
            frame = rec.fields.get("frame")
            n = None
            if rec.event in FRAME_EVENTS and isinstance(frame, dict) and isinstance(frame.get("wire"), str):
                n = len(wires)
                wires.append(bytes.fromhex(frame["wire"]))
                frames.append({"n": n, "record": i, "time": rec.time, "device": rec.device, "event": rec.event,
                               "to": rec.fields.get("to"), "via": frame.get("via"), "message": frame.get("message"),
                               "bytes": len(wires[-1])})
            records.append({"i": i, "time": rec.time, "device": rec.device, "event": rec.event,
                            "text": _fields_text(rec.fields), "frame": n})
        run_id = f"p{next(self._ids)}"
        with self._lock:
            self._runs[run_id] = _Stored(getattr(site, "keystore", None), getattr(site, "acb", None), wires, frames)
            while len(self._runs) > _KEEP:
                self._runs.popitem(last=False)
        from smetslab.premises.story import format_time

        return {"id": run_id, "summary": summary(result),
                "steps": [{"time": t, "clock": format_time(t), "text": d} for t, d in result.steps],
                "devices": sorted({r["device"] for r in records}),
                "records": records, "truncated": len(result.records) > MAX_RECORDS, "frames": frames,
                "verdicts": [{"index": v.index, "expectation": v.expectation, "passed": v.passed,
                              "observed": v.observed} for v in result.verdicts],
                "passed": result.passed}

    def frame(self, run_id: str, n: int) -> dict[str, Any]:
        with self._lock:
            stored = self._runs.get(run_id)
        if stored is None:
            raise NotFound(f"premises run {run_id!r}: unknown or expired (the last {_KEEP} runs are kept); "
                           f"run the story again")
        if not 0 <= n < len(stored.wires):
            raise NotFound(f"frame {n}: allowed 0..{len(stored.wires) - 1}")
        tree = parse_message(stored.wires[n], stored.keystore, stored.acb)
        return {**stored.meta[n], "hex": stored.wires[n].hex().upper(), "decode": tree}


def _fields_text(fields: dict[str, Any]) -> str:
    parts = []
    for k, v in fields.items():
        if isinstance(v, dict):
            if "message" in v:
                parts.append(f"{k}={v['message']}")
            continue
        if isinstance(v, list):
            continue
        text = str(v)
        parts.append(f"{k}={text if len(text) <= 40 else text[:16] + '…' + text[-8:]}")
        if len(parts) == 6:
            break
    return " ".join(parts)


def _premises(request: Request) -> PremisesRuns:
    p: PremisesRuns = request.app.state.premises
    return p


class StoryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    yaml: Annotated[str | None, Field(max_length=500_000, description="a story YAML file's text")] = None
    story: dict[str, Any] | None = Field(None, description="the story as data (what the story builder sends)")


@router.get("/stories")
def stories(request: Request) -> dict[str, Any]:
    """The example stories this server offers, with their descriptions."""
    from smetslab.interfaces.config import read_yaml

    out = []
    for name, path in _premises(request).stories().items():
        try:
            data = read_yaml(path, "story")
        except InputError:
            continue
        if isinstance(data, dict):
            out.append({"name": name, "description": str(data.get("description", "")).strip(),
                        "options": data.get("options")})
    return {"stories": out}


@router.get("/stories/{name}")
def story(name: str, request: Request) -> dict[str, Any]:
    """An example story's YAML text."""
    found = _premises(request).stories()
    if name not in found:
        raise NotFound(f"story {name!r}: not an example story; allowed: {', '.join(found) or '(none)'}")
    return {"name": name, "yaml": found[name].read_text(encoding="utf-8")}


@router.get("/story-form")
def story_form() -> dict[str, Any]:
    """What a click-built story may contain: step kinds, counters, options."""
    from smetslab.policy.options import OPTIONS
    from smetslab.premises.story import COUNTERS, STEP_KINDS

    return {"steps": list(STEP_KINDS), "counters": COUNTERS, "options": list(OPTIONS)}


@router.post("/premises/runs")
def run_premises(body: StoryRequest, request: Request) -> dict[str, Any]:
    """Run a story (YAML text or data) to its horizon: timeline, frames, counters and verdicts."""
    if (body.yaml is None) == (body.story is None):
        raise InputError("body: give exactly one of 'yaml' (a story file's text) or 'story' (its data)")
    from smetslab.interfaces.config import parse_yaml

    data: Any = body.story
    if body.yaml is not None:
        data = parse_yaml(body.yaml, "yaml")
    return _premises(request).run(data)


@router.get("/premises/runs/{run_id}/frames/{n}")
def frame(run_id: str, n: int, request: Request) -> dict[str, Any]:
    """One HAN or WAN frame of a story run: its GBCS decode tree with MAC and signature status."""
    return _premises(request).frame(run_id, n)
