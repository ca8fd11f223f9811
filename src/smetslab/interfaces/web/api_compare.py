"""Compare runs over HTTP: scenarios as forms, runs with live progress and cancel, results, diffs, files.

Results come from the stored ``results.duckdb`` through the report's own reader and ranking (the page
shows what the report shows; nothing is recomputed here).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from smetslab.errors import InputError
from smetslab.interfaces.web.runs import ACTIVE, ERRORS, FILES, NotFound, RunManager, RunRecord
from smetslab.interfaces.web.schema import field_errors, scenario_form
from smetslab.risk.scoring import Method

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["compare"], responses=ERRORS)


def _runs(request: Request) -> RunManager:
    runs: RunManager = request.app.state.runs
    return runs


def _record(request: Request, run_id: str) -> RunRecord:
    try:
        return _runs(request).get(run_id)
    except KeyError:
        raise NotFound(f"run {run_id!r}: no such run in this workspace") from None


class ScenarioText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    yaml: Annotated[str, Field(min_length=1, max_length=1_000_000, description="a scenario YAML file's text; "
                               "'extends' may name a built-in scenario")]


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenario: dict[str, Any] = Field(description="the scenario's data (as GET /api/scenarios/{name} returns it)")
    sensitivity: bool = False
    rank_by: Annotated[str, Field(min_length=1, max_length=80)] = "no_route_days"


def _invalid(errors: list[dict[str, Any]]) -> JSONResponse:
    e = errors[0]
    value = "" if e["value"] is None else f" = {e['value']!r}"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return JSONResponse({"error": f"scenario: {e['field']}{value}: {e['message']}{more}", "errors": errors},
                        status_code=422)


def _validated(data: dict[str, Any]) -> Any:
    from smetslab.fleet.scenario import validate_scenario

    return validate_scenario(data, where="(form)")


@router.get("/scenario-form")
def form() -> dict[str, Any]:
    """Every scenario parameter with its kind, unit, allowed range and description, grouped as in
    docs/scenarios.md; the options and metrics catalogues."""
    return scenario_form()


@router.get("/scenarios")
def scenarios() -> dict[str, Any]:
    """The built-in scenarios."""
    from smetslab.interfaces.config import builtin_scenarios

    return {"scenarios": list(builtin_scenarios())}


@router.get("/scenarios/{name}")
def scenario(name: str) -> dict[str, Any]:
    """A built-in scenario's data, every parameter as {value, source}, ``extends`` resolved."""
    from smetslab.interfaces.config import builtin_scenarios, load_scenario

    if name not in builtin_scenarios():
        raise NotFound(f"scenario {name!r}: not a built-in scenario; allowed: {', '.join(builtin_scenarios())}")
    return {"scenario": load_scenario(name).model_dump(mode="json")}


@router.post("/scenarios/parse")
def parse_scenario(body: ScenarioText) -> Any:
    """An uploaded scenario YAML as data (``extends`` of a built-in merged in), or 422 naming each field."""
    from smetslab.interfaces.config import builtin_scenarios, parse_yaml, read_scenario_data

    try:
        head = parse_yaml(body.yaml, "scenario")
    except InputError:
        head = None  # read_scenario_data below reports where
    parent = head.get("extends") if isinstance(head, dict) else None
    if parent is not None and parent not in builtin_scenarios():
        # a path would name a file on the server: an upload may only extend what the server ships
        text = (f"extends = {parent!r}: an uploaded scenario may extend a built-in scenario only; allowed: "
                f"{', '.join(builtin_scenarios())}")
        return JSONResponse({"error": text, "errors": [{"field": "extends", "value": parent, "message": text}]},
                            status_code=422)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "uploaded.yaml"
        path.write_text(body.yaml, encoding="utf-8")
        try:
            data = read_scenario_data(path)
        except InputError as exc:
            text = str(exc).replace(repr(str(path)), "'uploaded.yaml'")
            return JSONResponse({"error": text, "errors": [{"field": "yaml", "value": None, "message": text}]},
                                status_code=422)
    errors = field_errors(data)
    if errors:
        return _invalid(errors)
    return {"scenario": _validated(data).model_dump(mode="json")}


@router.post("/scenarios/validate")
def validate(scenario: dict[str, Any]) -> Any:
    """Check scenario data: ``{"valid": true}`` or 422 with every problem ``{field, value, message}``."""
    errors = field_errors(scenario)
    if errors:
        return _invalid(errors)
    _validated(scenario)  # cross-field rules are checked too
    return {"valid": True}


@router.get("/runs")
def list_runs(request: Request) -> dict[str, Any]:
    """Every run stored in the workspace, newest first (they survive a restart)."""
    return {"runs": [r.public() for r in _runs(request).list()]}


@router.post("/runs", status_code=202)
def start_run(body: RunRequest, request: Request) -> Any:
    """Queue a compare run of the scenario; 422 naming each bad field; 429 when the run limit is reached."""
    from smetslab.fleet.sensitivity import check_rank_by

    errors = field_errors(body.scenario)
    if errors:
        return _invalid(errors)
    scen = _validated(body.scenario)
    check_rank_by(body.rank_by)
    return _runs(request).submit(scen, sensitivity=body.sensitivity, rank_by=body.rank_by).public()


@router.get("/runs/{run_id}")
def get_run(run_id: str, request: Request) -> dict[str, Any]:
    """One run's state and progress."""
    return _record(request, run_id).public()


@router.post("/runs/{run_id}/cancel")
def cancel_run(run_id: str, request: Request) -> dict[str, Any]:
    """Cancel a queued or running run (it stops at the next finished chunk)."""
    _record(request, run_id)
    return _runs(request).cancel(run_id).public()


@router.delete("/runs/{run_id}")
def delete_run(run_id: str, request: Request) -> dict[str, Any]:
    """Delete a finished, failed or cancelled run and its files."""
    _record(request, run_id)
    _runs(request).delete(run_id)
    return {"deleted": run_id}


@router.get("/runs/{run_id}/events")
async def run_events(run_id: str, request: Request) -> StreamingResponse:
    """Server-sent events: the run's record each time it changes, until it ends."""
    _record(request, run_id)
    runs = _runs(request)

    async def stream() -> AsyncIterator[str]:
        last = ""
        while True:
            rec = runs.get(run_id).public()
            text = json.dumps(rec)
            if text != last:
                last = text
                yield f"event: progress\ndata: {text}\n\n"
            if rec["state"] not in ACTIVE:
                yield f"event: end\ndata: {text}\n\n"
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.2)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"cache-control": "no-store", "x-accel-buffering": "no"})


def _finished_db(request: Request, run_id: str) -> Path:
    rec = _record(request, run_id)
    if rec.state != "finished":
        raise InputError(f"run {run_id!r}: is {rec.state}; results exist only for a finished run")
    return _runs(request).folder(run_id) / "results.duckdb"


RiskMethod = Method  # seed | nist | owasp, declared once in smetslab.risk.scoring; FastAPI validates it (422)


def _results(request: Request, run_id: str, rank_by: str | None = None,
             risk_method: RiskMethod | None = None, with_risk: bool = True) -> dict[str, Any]:
    from smetslab.fleet.metrics import METRICS
    from smetslab.fleet.sensitivity import check_rank_by
    from smetslab.interfaces.web.risk_views import risk_register_view
    from smetslab.report import ranking
    from smetslab.report.store import read_run  # the report's reader: the page shows what the report shows

    rec = _record(request, run_id)
    db = _finished_db(request, run_id)
    metric_meta = check_rank_by(rank_by or rec.rank_by)
    stored = read_run(db)
    ranked = ranking(stored.summary, rank_by or rec.rank_by, metrics=metric_meta, titles=stored.titles)
    rows = []
    for r in ranked:
        opt = stored.options.get(r.option)
        rows.append({"rank": r.rank, "option": r.option, "title": r.title,
                     "cpa_needed": bool(opt.cpa_needed) if opt else False,
                     "cells": {m: {"mean": c.mean, "lo": c.lo, "hi": c.hi, "delta": c.delta, "baseline": c.baseline,
                                   "n": c.n_replicates} for m, c in r.cells.items()}})
    present = {m for r in ranked for m in r.cells}
    metrics = [{"id": m.name, "label": m.label, "unit": m.unit, "kind": m.kind, "better": m.better}
               for m in METRICS.values() if m.name in present]
    return {"run": rec.public(), "rank_by": rank_by or rec.rank_by, "info": stored.info, "rows": rows,
            "metrics": metrics, "sensitivity": _sensitivity(_runs(request).folder(run_id)),
            "risk_register": risk_register_view(stored, risk_method, _sweeps(_runs(request).folder(run_id)))
            if with_risk else None}


def _sweeps(folder: Path) -> Any:
    """The run's ``SensitivityResult`` (None without sweeps, or when the file is unreadable)."""
    from smetslab.fleet.sensitivity import SensitivityResult

    f = folder / "sensitivity.json"
    if not f.is_file():
        return None
    try:
        return SensitivityResult.from_json(f.read_text(encoding="utf-8"))
    except InputError:
        return None


def _sensitivity(folder: Path) -> list[dict[str, Any]] | None:
    sens = _sweeps(folder)
    if sens is None:
        return None
    return [{"param": s.param, "label": s.label, "central": s.central_value, "source": s.source,
             "low": s.low.value, "high": s.high.value, "low_moved": s.low.positions_moved,
             "high_moved": s.high.positions_moved, "low_top_changed": s.low.top_changed,
             "high_top_changed": s.high.top_changed} for s in sens.ordered()]


@router.get("/runs/{run_id}/results")
def results(run_id: str, request: Request, rank_by: str | None = None,
            risk_method: RiskMethod | None = None) -> dict[str, Any]:
    """The ranked options with every metric's mean, 95% interval and change from baseline; the sweeps; the
    risk register scored with ``risk_method`` (default: the scenario's ``risk.method``)."""
    return _results(request, run_id, rank_by, risk_method)


@router.get("/runs/{run_id}/risk")
def risk(run_id: str, request: Request, method: RiskMethod | None = None) -> dict[str, Any]:
    """The run's risk register scored with ``method`` (seed, nist or owasp; default the scenario's
    ``risk.method``): per option the rating counts, appetite, top risks, heat map, every row and the changes
    against baseline; the options not beaten on harm, cost and risk together."""
    from smetslab.interfaces.web.risk_views import risk_register_view
    from smetslab.report.store import read_run

    stored = read_run(_finished_db(request, run_id))
    return risk_register_view(stored, method, _sweeps(_runs(request).folder(run_id)))


@router.get("/runs/{run_id}/compare/{other_id}")
def compare_runs(run_id: str, other_id: str, request: Request) -> dict[str, Any]:
    """What changed from run ``other_id`` (earlier) to ``run_id``: parameters, options, and how the
    ranking moved."""
    from smetslab.report.html import scenario_parameters

    now, before = _results(request, run_id, with_risk=False), _results(request, other_id, with_risk=False)
    runs = _runs(request)
    a = {p: (v, s) for p, v, s in scenario_parameters(runs.scenario(other_id).model_dump(mode="json"))}
    b = {p: (v, s) for p, v, s in scenario_parameters(runs.scenario(run_id).model_dump(mode="json"))}
    changed = [{"param": p, "before": a.get(p, (None, None))[0], "after": b.get(p, (None, None))[0],
                "source_before": a.get(p, (None, None))[1], "source_after": b.get(p, (None, None))[1]}
               for p in sorted(set(a) | set(b)) if a.get(p) != b.get(p)]
    rank_a = {r["option"]: r["rank"] for r in before["rows"]}
    rank_b = {r["option"]: r["rank"] for r in now["rows"]}
    rb = now["rank_by"]
    mean_a = {r["option"]: r["cells"].get(rb, {}).get("mean") for r in before["rows"]}
    moves = [{"option": o, "rank_before": rank_a.get(o), "rank_after": rank_b.get(o),
              "moved": None if o not in rank_a or o not in rank_b else rank_a[o] - rank_b[o],
              "rank_by_before": mean_a.get(o), "rank_by_after": next(
                  (r["cells"].get(rb, {}).get("mean") for r in now["rows"] if r["option"] == o), None)}
             for o in sorted(set(rank_a) | set(rank_b), key=lambda o: (rank_b.get(o, 10**6), o))]
    return {"run": run_id, "earlier": other_id, "rank_by": rb, "changed": changed, "ranking": moves}


@router.get("/runs/{run_id}/files/{name}", response_model=None)
def download(run_id: str, name: str, request: Request) -> FileResponse | HTMLResponse:
    """Download the run's scenario.yaml, results.duckdb or report.html."""
    rec = _record(request, run_id)
    if name not in FILES:
        raise NotFound(f"file {name!r}: allowed: {', '.join(FILES)}")
    path = _runs(request).folder(run_id) / name
    if name != "scenario.yaml" and rec.state != "finished":
        raise InputError(f"run {run_id!r}: is {rec.state}; {name} is ready when the run has finished")
    if not path.is_file():
        raise NotFound(f"run {run_id!r}: has no {name}")
    if name == "report.html" and request.query_params.get("inline") == "1":
        from smetslab.interfaces.web.app import REPORT_CSP

        resp = HTMLResponse(path.read_text(encoding="utf-8"))
        resp.headers["content-security-policy"] = REPORT_CSP
        return resp
    stem = f"{rec.name}-{run_id}"
    return FileResponse(path, media_type=FILES[name], filename=f"{stem}-{name}")


@router.get("/runs/{run_id}/scenario")
def run_scenario(run_id: str, request: Request) -> dict[str, Any]:
    """The scenario a run was asked to compute (to load it back into the form)."""
    from smetslab.interfaces.config import read_yaml

    _record(request, run_id)
    return {"scenario": read_yaml(_runs(request).folder(run_id) / "scenario.yaml")}
