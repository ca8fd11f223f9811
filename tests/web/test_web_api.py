"""The workbench REST API: every endpoint with good input, bad input (422 naming field, value and what is
allowed), no token (401), limits (413, 429), runs kept across restarts, and no private key in any answer.

Expected values come from outside the web layer: the RTDS files and their keystore (a DCC reference
message whose MAC is valid), the README's worked UTRN example, the story files' own expectations, and
``fleet.run_in_memory`` (a second path through the engine) for a run's numbers.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from web_helpers import REPO, RTDS_DIR, make_settings, rtds_available, small_scenario

from smetslab.interfaces.web import create_app

CS01A = RTDS_DIR / "RTDS-4.5.0" / "2.2_CS01a" / "CS01a_2.2_SUCCESS_COMMAND_GBCS.HEX"
needs_rtds = pytest.mark.skipif(not rtds_available(), reason=f"RTDS corpus not found at {RTDS_DIR}")

# (method, path, json body) of every API endpoint with a valid request; {run} and {prun} are filled in
ENDPOINTS: list[tuple[str, str, Any]] = [
    ("GET", "/api/health", None),
    ("GET", "/api/openapi.json", None),
    ("GET", "/api/scenario-form", None),
    ("GET", "/api/scenarios", None),
    ("GET", "/api/scenarios/gb-default", None),
    ("POST", "/api/scenarios/parse", {"yaml": "extends: gb-default\nname: x\n"}),
    ("POST", "/api/scenarios/validate", {}),
    ("GET", "/api/runs", None),
    ("POST", "/api/runs", {"scenario": {}}),
    ("GET", "/api/runs/{run}", None),
    ("POST", "/api/runs/{run}/cancel", None),
    ("DELETE", "/api/runs/{run}", None),
    ("GET", "/api/runs/{run}/events", None),
    ("GET", "/api/runs/{run}/results", None),
    ("GET", "/api/runs/{run}/risk", None),
    ("GET", "/api/runs/{run}/compare/{run}", None),
    ("GET", "/api/runs/{run}/files/scenario.yaml", None),
    ("GET", "/api/runs/{run}/scenario", None),
    ("GET", "/api/keystores", None),
    ("POST", "/api/gbcs/parse", {"hex": "00"}),
    ("POST", "/api/gbcs/verify", {"messages": [{"hex": "00"}]}),
    ("POST", "/api/utrn/issue", {"supplier": "90B3D51F30010000", "meter": "00DB1234567890A0", "counter": 0,
                                 "value": 1}),
    ("POST", "/api/utrn/decode", {"utrn": "73943020233280817168"}),
    ("POST", "/api/utrn/verify", {"utrn": "73943020233280817168", "supplier": "90B3D51F30010000",
                                  "meter": "00DB1234567890A0"}),
    ("GET", "/api/stories", None),
    ("GET", "/api/stories/wan-lost-ppmid-broken-hub-button", None),
    ("GET", "/api/story-form", None),
    ("POST", "/api/premises/runs", {"yaml": "x"}),
    ("GET", "/api/premises/runs/{prun}/frames/0", None),
]


def _run(client: TestClient, auth: dict[str, str], **changes: Any) -> dict[str, Any]:
    r = client.post("/api/runs", json={"scenario": small_scenario(client, auth, **changes)}, headers=auth)
    assert r.status_code == 202, r.text
    rec: dict[str, Any] = r.json()
    return rec


def _wait(client: TestClient, auth: dict[str, str], run_id: str, timeout_s: float = 90) -> dict[str, Any]:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        rec: dict[str, Any] = client.get(f"/api/runs/{run_id}", headers=auth).json()
        if rec["state"] not in ("queued", "running"):
            return rec
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not end")


# -- token ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_every_endpoint_refuses_a_missing_or_wrong_token(client: TestClient, method: str, path: str,
                                                         body: Any) -> None:
    path = path.format(run="20260101-000000-abcdef", prun="p1")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-Smetslab-Token": "wrong"}):
        r = client.request(method, path, json=body, headers=headers)
        assert r.status_code == 401, (method, path, r.status_code)
        assert "token" in r.json()["error"]


@pytest.mark.parametrize("page", ["/", "/compare", "/premises", "/gbcs"])
def test_pages_without_the_token_are_refused(client: TestClient, page: str) -> None:
    r = client.get(page)
    assert r.status_code == 403
    assert "Access refused" in r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]


def test_a_page_visit_with_the_token_moves_it_to_a_cookie(client: TestClient, settings: Any) -> None:
    r = client.get(f"/compare?token={settings.token}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/compare"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = client.get("/compare")  # the client now carries the cookie
    assert page.status_code == 200 and "<form id=\"scenario-form\"" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_static_assets_are_served_without_the_token_and_reference_no_other_origin(client: TestClient) -> None:
    static = REPO / "src" / "smetslab" / "interfaces" / "web" / "static"
    templates = static.parent / "templates"
    for f in [*static.iterdir(), *templates.iterdir()]:
        text = f.read_text(encoding="utf-8")
        # no CDN, no remote font or script: every URL in the assets is relative to this server
        assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text), f.name
        assert "<script>" not in text and " style=" not in text, f"inline script/style in {f.name}"
        if f.parent == static:
            assert client.get(f"/static/{f.name}").status_code == 200


def test_a_cross_site_post_is_refused(client: TestClient, auth: dict[str, str]) -> None:
    r = client.post("/api/utrn/decode", json={"utrn": "73943020233280817168"},
                    headers={**auth, "Origin": "http://evil.example"})
    assert r.status_code == 403


# -- scenarios --------------------------------------------------------------------------------------------
def test_scenario_form_lists_every_parameter_with_unit_and_range(client: TestClient, auth: dict[str, str]) -> None:
    form = client.get("/api/scenario-form", headers=auth).json()
    data = yaml.safe_load((REPO / "src" / "smetslab" / "scenarios" / "gb-default.yaml").read_text())
    yaml_paths = {f"{g}.{n}" for g, v in data.items() if isinstance(v, dict) for n in v}
    params = {p["path"]: p for g in form["groups"] for p in g["params"]}
    assert set(params) == yaml_paths  # every parameter of the shipped scenario, nothing else
    # ranges and units as docs/scenarios.md states them
    assert params["incidents.no_wan_at_install_prob"]["min"] == 0.0
    assert params["incidents.no_wan_at_install_prob"]["max"] == 1.0
    assert params["remedy.baseline_max_days"]["exclusive_min"] == 0.0
    assert params["remedy.baseline_max_days"]["unit"] == "days"
    assert params["windows.alternating_windows_per_day"]["max"] == 144
    assert params["costs.engineer_visit_pence"]["unit"] == "pence"
    assert params["remedy.local_pairing_actor"]["choices"] == ["consumer", "engineer"]
    assert [g["id"] for g in form["groups"]][:3] == ["incidents", "remedy", "customer"]
    # list-valued parameters (issue 9's controls and bands) are lists, not text: the page edits them as
    # comma-separated items and sends a list back (a text kind made every run from the form fail with 422)
    assert params["risk.controls_in_force"]["kind"] == "list"
    assert "dcc_anomaly_detection" in params["risk.controls_in_force"]["choices"]
    assert params["attacker_classes.insider_stopped_by"]["kind"] == "list"
    assert params["risk.likelihood_edges"]["kind"] == "number_list"
    assert all(p["kind"] != "text" or isinstance(data[p["path"].split(".")[0]][p["name"]]["value"], str)
               for p in params.values())


def test_builtin_scenario_and_unknown_name(client: TestClient, auth: dict[str, str]) -> None:
    assert "gb-default" in client.get("/api/scenarios", headers=auth).json()["scenarios"]
    s = client.get("/api/scenarios/gb-default", headers=auth).json()["scenario"]
    assert s["remedy"]["baseline_max_days"] == {"value": 90.0, "source": s["remedy"]["baseline_max_days"]["source"]}
    r = client.get("/api/scenarios/nope", headers=auth)
    assert r.status_code == 404 and "'nope'" in r.json()["error"] and "gb-default" in r.json()["error"]


def test_uploaded_yaml_is_merged_with_its_builtin_parent(client: TestClient, auth: dict[str, str]) -> None:
    text = "extends: gb-default\nname: mine\nremedy:\n  baseline_max_days: {value: 20.0}\n"
    s = client.post("/api/scenarios/parse", json={"yaml": text}, headers=auth).json()["scenario"]
    assert s["name"] == "mine" and s["remedy"]["baseline_max_days"]["value"] == 20.0
    assert s["remedy"]["secmp0032_max_days"]["value"] == 30.0  # kept from gb-default


@pytest.mark.parametrize(("text", "needle"), [
    ("extends: gb-default\nincidents:\n  wan_lost_per_year: {value: -0.5}\n", "incidents.wan_lost_per_year.value"),
    ("extends: gb-default\nincidents: [\n", "not valid YAML"),
    ("extends: gb-default\nreplicates: 0\n", "replicates"),
    ("extends: /etc/hostname\n", "built-in scenario only"),
    ("extends: ../gb-default.yaml\n", "built-in scenario only"),
])
def test_bad_uploaded_yaml_gets_422_naming_the_field(client: TestClient, auth: dict[str, str], text: str,
                                                     needle: str) -> None:
    r = client.post("/api/scenarios/parse", json={"yaml": text}, headers=auth)
    assert r.status_code == 422 and needle in r.json()["error"]


def test_validation_names_each_bad_field_its_value_and_what_is_allowed(client: TestClient,
                                                                       auth: dict[str, str]) -> None:
    s = small_scenario(client, auth)
    assert client.post("/api/scenarios/validate", json=s, headers=auth).json() == {"valid": True}
    s["incidents"]["no_wan_at_install_prob"]["value"] = 1.5
    s["replicates"] = "two"
    s["options"] = ["baseline", "secmp0099"]
    r = client.post("/api/scenarios/validate", json=s, headers=auth)
    assert r.status_code == 422
    errors = {e["field"]: e for e in r.json()["errors"]}
    assert errors["incidents.no_wan_at_install_prob.value"]["value"] == 1.5
    assert "less than or equal to 1" in errors["incidents.no_wan_at_install_prob.value"]["message"]
    assert errors["replicates"]["value"] == "two"
    assert "secmp0099" in errors["options"]["message"] and "baseline" in errors["options"]["message"]
    assert r.json()["error"].startswith("scenario: ")


# -- runs ------------------------------------------------------------------------------------------------
def test_a_run_gives_the_engines_numbers_ranked_with_intervals(client: TestClient, auth: dict[str, str]) -> None:
    from smetslab.fleet import run_in_memory
    from smetslab.fleet.scenario import validate_scenario

    scen_data = small_scenario(client, auth)
    rec = _run(client, auth)
    assert rec["state"] in ("queued", "running") and rec["premises"] == 8192 and rec["replicates"] == 2
    done = _wait(client, auth, rec["id"])
    assert done["state"] == "finished" and done["done"] == done["total"] > 0
    res = client.get(f"/api/runs/{rec['id']}/results", headers=auth).json()
    # an independent path through the engine: the in-memory run of the same scenario, replicate by replicate
    values = run_in_memory(validate_scenario(scen_data), workers=1)
    for row in res["rows"]:
        per_rep = [values[(row["option"], r, "no_route_days")] for r in range(2)]
        cell = row["cells"]["no_route_days"]
        assert math.isclose(cell["mean"], statistics.fmean(per_rep), rel_tol=1e-9, abs_tol=1e-12)
        assert cell["lo"] <= cell["mean"] <= cell["hi"]
    means = [r["cells"]["no_route_days"]["mean"] for r in res["rows"]]
    assert means == sorted(means)  # ranked by no_route_days, lower is better (ties broken further)
    assert {r["option"] for r in res["rows"]} == {"baseline", "secmp0037", "hub_button", "secmp0032"}
    assert res["risk_register"]["available"] is True  # its contents: test_the_risk_register_of_a_run
    # the SSE stream of a finished run ends at once with its final record
    with client.stream("GET", f"/api/runs/{rec['id']}/events", headers=auth) as stream:
        text = "".join(stream.iter_text())
    assert "event: end" in text and '"state": "finished"' in text
    # downloads
    y = client.get(f"/api/runs/{rec['id']}/files/scenario.yaml", headers=auth)
    assert y.status_code == 200 and yaml.safe_load(y.text)["premises"] == 8192
    db = client.get(f"/api/runs/{rec['id']}/files/results.duckdb", headers=auth)
    assert db.status_code == 200 and len(db.content) > 10_000
    rep = client.get(f"/api/runs/{rec['id']}/files/report.html?inline=1", headers=auth)
    assert rep.status_code == 200 and "<svg" in rep.text and "script-src" not in rep.headers["content-security-policy"]
    assert client.get(f"/api/runs/{rec['id']}/files/other.txt", headers=auth).status_code == 404
    assert client.get(f"/api/runs/{rec['id']}/scenario", headers=auth).json()["scenario"]["name"] == "small"
    assert client.get("/api/runs/nope/results", headers=auth).status_code == 404


def test_the_risk_register_of_a_run(client: TestClient, auth: dict[str, str]) -> None:
    rec = _run(client, auth)
    assert _wait(client, auth, rec["id"])["state"] == "finished"
    reg = client.get(f"/api/runs/{rec['id']}/results", headers=auth).json()["risk_register"]
    assert reg["available"] and reg["method"] == "seed"  # gb-default's risk.method
    by = {o["option"]: o for o in reg["options"]}
    assert list(by) == ["baseline", "secmp0037", "hub_button", "secmp0032"]  # the scenario's order
    # docs/risk.md ("smetslab risk (seed method), risks / unique / Critical-High-Moderate-Low / appetite"):
    # baseline 49 / 30 / 0-3-14-13 within; secmp0037 52 / 32 / 0-10-14-8 over. The cut-down run lands in the
    # same likelihood bands.
    assert by["baseline"]["counts"] == {"risks": 49, "unique": 30, "critical": 0, "high": 3, "moderate": 14, "low": 13}
    assert by["baseline"]["within_appetite"] is True
    assert by["secmp0037"]["counts"] == {"risks": 52, "unique": 32, "critical": 0, "high": 10, "moderate": 14,
                                         "low": 8}
    assert by["secmp0037"]["within_appetite"] is False
    assert reg["appetite"] == {"max_rating": "High", "max_high": 4}  # docs/risk.md: "at most 4 are High"
    for o in reg["options"]:
        rows = o["rows"]
        # the counts are the rows' (risks = threat x CIA effect, docs/risk.md), the heat map holds every threat once
        assert o["counts"]["unique"] == len(rows) and o["counts"]["risks"] == sum(len(r["cia"]) for r in rows)
        for rating in ("Critical", "High", "Moderate", "Low"):
            assert o["counts"][rating.lower()] == sum(r["rating"] == rating for r in rows)
        cells = [c for line in o["heat"] for c in line]
        assert len(cells) == 25 and sum(c["count"] for c in cells) == len(rows)
        for r in rows:
            cell = o["heat"][5 - r["impact"]][r["likelihood"] - 1]
            assert (cell["likelihood"], cell["impact"]) == (r["likelihood"], r["impact"]) and cell["count"] >= 1
        # seed method (docs/risk.md): score = capability x (likelihood + impact)
        assert all(r["score"] == r["capability"] * (r["likelihood"] + r["impact"]) for r in rows)
        assert [r["score"] for r in o["top"]] == sorted((r["score"] for r in rows), reverse=True)[:5]
        assert all(r["drivers"] for r in o["top"])
        assert o["high_or_critical"] == o["counts"]["high"] + o["counts"]["critical"]
    # changes against baseline are the difference of the two registers' threats
    base = {r["threat"]: r["rating"] for r in by["baseline"]["rows"]}
    mine = {r["threat"]: r["rating"] for r in by["secmp0037"]["rows"]}
    assert set(by["secmp0037"]["new"]) == set(mine) - set(base) and by["secmp0037"]["removed"] == []
    assert {c["threat"] for c in by["secmp0037"]["changed"]} == {t for t in mine if t in base and mine[t] != base[t]}
    assert by["baseline"]["new"] is None
    assert reg["stability"] is None  # no sensitivity sweeps in this run
    # not beaten: no other option at least as good on harm, cost and total score together and better on one
    pts = {o["option"]: (o["harm"], o["cost_pence"], o["total_score"]) for o in reg["options"]}
    beaten = {a for a in pts for b in pts if b != a and all(x <= y for x, y in zip(pts[b], pts[a], strict=True))
              and pts[b] != pts[a]}
    assert reg["not_beaten"] == [o for o in pts if o not in beaten]
    assert [o["option"] for o in reg["options"] if o["not_beaten"]] == reg["not_beaten"]
    # another method, by query parameter; nist scores are likelihood x impact, 1-25 (docs/risk.md)
    nist = client.get(f"/api/runs/{rec['id']}/risk?method=nist", headers=auth).json()
    assert nist["method"] == "nist" and all(1 <= r["score"] <= 25 for o in nist["options"] for r in o["rows"])
    assert client.get(f"/api/runs/{rec['id']}/results?risk_method=owasp",
                      headers=auth).json()["risk_register"]["method"] == "owasp"


def test_a_run_without_security_parameters_has_no_register_and_says_why(client: TestClient,
                                                                        auth: dict[str, str], settings: Any) -> None:
    import dataclasses

    from smetslab.interfaces.web.risk_views import risk_register_view
    from smetslab.report.store import read_run

    rec = _run(client, auth, options=["baseline", "secmp0032"], replicates=1)
    assert _wait(client, auth, rec["id"])["state"] == "finished"
    stored = read_run(settings.workspace / "runs" / rec["id"] / "results.duckdb")
    # a results file of a version before issue 9: its scenario has no attacker classes and no risk group
    old = dataclasses.replace(stored, scenario={k: v for k, v in stored.scenario.items()
                                                if k not in ("attacker_classes", "risk")})
    view = risk_register_view(old)
    assert view["available"] is False and "attacker_classes" in view["reason"]
    assert risk_register_view(stored)["available"] is True


@pytest.mark.parametrize(("path", "field"), [("risk?method=cvss", "query.method"),
                                             ("results?risk_method=cvss", "query.risk_method")])
def test_a_bad_risk_method_is_refused_naming_what_is_allowed(client: TestClient, auth: dict[str, str], path: str,
                                                             field: str) -> None:
    from smetslab.risk import METHODS

    r = client.get(f"/api/runs/20260101-000000-abcdef/{path}", headers=auth)
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert err["field"] == field and err["value"] == "cvss"
    assert all(m in r.json()["error"] for m in METHODS) and "cvss" in r.json()["error"]


def test_the_risk_register_of_an_unfinished_or_unknown_run(client: TestClient, auth: dict[str, str]) -> None:
    assert client.get("/api/runs/nope/risk", headers=auth).status_code == 404
    rec = _run(client, auth, premises=65536 * 40, replicates=1)
    r = client.get(f"/api/runs/{rec['id']}/risk", headers=auth)
    assert r.status_code == 422 and "finished" in r.json()["error"]
    client.post(f"/api/runs/{rec['id']}/cancel", headers=auth)
    _wait(client, auth, rec["id"])


def test_bad_run_requests(client: TestClient, auth: dict[str, str]) -> None:
    s = small_scenario(client, auth)
    s["remedy"]["dcc_mean_days"]["value"] = 0
    r = client.post("/api/runs", json={"scenario": s}, headers=auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "remedy.dcc_mean_days.value"
    r = client.post("/api/runs", json={"scenario": small_scenario(client, auth), "rank_by": "happiness"}, headers=auth)
    assert r.status_code == 422 and "happiness" in r.json()["error"]
    r = client.post("/api/runs", json={"scenario": small_scenario(client, auth), "extra": 1}, headers=auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "extra"


def test_compare_two_runs_names_what_changed_and_how_the_ranking_moved(client: TestClient,
                                                                       auth: dict[str, str]) -> None:
    a = _run(client, auth)
    _wait(client, auth, a["id"])
    s = small_scenario(client, auth)
    s["remedy"]["baseline_max_days"]["value"] = 20.0
    r = client.post("/api/runs", json={"scenario": s}, headers=auth)
    b = _wait(client, auth, r.json()["id"])
    d = client.get(f"/api/runs/{b['id']}/compare/{a['id']}", headers=auth).json()
    assert [c["param"] for c in d["changed"]] == ["remedy.baseline_max_days"]
    assert d["changed"][0]["before"] == 90.0 and d["changed"][0]["after"] == 20.0
    before = {r["option"]: r["rank"] for r in client.get(f"/api/runs/{a['id']}/results", headers=auth).json()["rows"]}
    after = {r["option"]: r["rank"] for r in client.get(f"/api/runs/{b['id']}/results", headers=auth).json()["rows"]}
    for m in d["ranking"]:
        assert m["moved"] == before[m["option"]] - after[m["option"]]
    same = client.get(f"/api/runs/{a['id']}/compare/{a['id']}", headers=auth).json()
    assert same["changed"] == [] and all(m["moved"] == 0 for m in same["ranking"])


def test_cancel_stops_a_run_and_delete_removes_it(client: TestClient, auth: dict[str, str], settings: Any) -> None:
    rec = _run(client, auth, premises=65536 * 12, replicates=2)
    end = time.monotonic() + 30
    while client.get(f"/api/runs/{rec['id']}", headers=auth).json()["state"] == "queued" and time.monotonic() < end:
        time.sleep(0.02)
    assert client.delete(f"/api/runs/{rec['id']}", headers=auth).status_code == 422  # still running
    client.post(f"/api/runs/{rec['id']}/cancel", headers=auth)
    done = _wait(client, auth, rec["id"])
    assert done["state"] == "cancelled" and done["done"] < 24
    assert client.get(f"/api/runs/{rec['id']}/results", headers=auth).status_code == 422
    assert client.delete(f"/api/runs/{rec['id']}", headers=auth).json() == {"deleted": rec["id"]}
    assert not (settings.workspace / "runs" / rec["id"]).exists()
    assert client.post("/api/runs/nope/cancel", headers=auth).status_code == 404


def test_runs_beyond_the_queue_limit_are_refused_with_429(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "ws", max_queued_runs=1)
    auth = {"Authorization": f"Bearer {settings.token}"}
    with TestClient(create_app(settings)) as client:
        first = _run(client, auth, premises=65536 * 8)
        r = client.post("/api/runs", json={"scenario": small_scenario(client, auth)}, headers=auth)
        assert r.status_code == 429 and "limit is 1" in r.json()["error"]
        client.post(f"/api/runs/{first['id']}/cancel", headers=auth)
        _wait(client, auth, first["id"])
        assert client.post("/api/runs", json={"scenario": small_scenario(client, auth)},
                           headers=auth).status_code == 202


def test_runs_are_listed_after_a_restart_and_an_interrupted_run_resumes(tmp_path: Path) -> None:
    from smetslab.fleet import run_in_memory
    from smetslab.fleet.scenario import validate_scenario

    ws = tmp_path / "ws"
    settings = make_settings(ws)
    auth = {"Authorization": f"Bearer {settings.token}"}
    with TestClient(create_app(settings)) as client:
        scen = small_scenario(client, auth, premises=65536 * 3)
        finished = _wait(client, auth, _run(client, auth)["id"])
        # interrupt a run part-way: cancel after its first chunks, then make it look as a crash leaves it
        r = client.post("/api/runs", json={"scenario": scen}, headers=auth).json()
        end = time.monotonic() + 30
        while client.get(f"/api/runs/{r['id']}", headers=auth).json()["done"] < 2 and time.monotonic() < end:
            time.sleep(0.01)
        client.post(f"/api/runs/{r['id']}/cancel", headers=auth)
        partial = _wait(client, auth, r["id"])
    assert 0 < partial["done"] < partial["total"]
    run_json = ws / "runs" / r["id"] / "run.json"
    data = json.loads(run_json.read_text())
    data["state"] = "running"  # the server died while it ran
    run_json.write_text(json.dumps(data))
    # restart on the same workspace: both runs are listed; the interrupted one says so and resumes
    settings2 = make_settings(ws)
    auth2 = {"Authorization": f"Bearer {settings2.token}"}
    with TestClient(create_app(settings2)) as client:
        ids = [x["id"] for x in client.get("/api/runs", headers=auth2).json()["runs"]]
        assert finished["id"] in ids and r["id"] in ids
        resumed = _wait(client, auth2, r["id"])
        assert resumed["state"] == "finished"
        assert any("interrupted by a server restart" in n for n in resumed["notes"])
        res = client.get(f"/api/runs/{r['id']}/results", headers=auth2).json()
    values = run_in_memory(validate_scenario(scen), workers=1)
    for row in res["rows"]:
        want = statistics.fmean(values[(row["option"], k, "no_route_days")] for k in range(2))
        assert math.isclose(row["cells"]["no_route_days"]["mean"], want, rel_tol=1e-9, abs_tol=1e-12)
    # with resuming switched off the run is marked, not lost
    data = json.loads(run_json.read_text())
    data["state"] = "running"
    run_json.write_text(json.dumps(data))
    settings3 = make_settings(ws, resume_interrupted=False)
    with TestClient(create_app(settings3)) as client:
        rec = client.get(f"/api/runs/{r['id']}", headers={"Authorization": f"Bearer {settings3.token}"}).json()
    assert rec["state"] == "interrupted"


def test_request_bodies_above_the_limit_get_413(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "ws", max_body_bytes=4096)
    auth = {"Authorization": f"Bearer {settings.token}"}
    with TestClient(create_app(settings)) as client:
        r = client.post("/api/gbcs/parse", json={"hex": "00" * 5000}, headers=auth)
        assert r.status_code == 413 and "4096" in r.json()["error"]

        def chunked() -> Any:  # no Content-Length: the limit is enforced while reading
            yield b'{"hex": "' + b"00" * 5000 + b'"}'
        r = client.post("/api/gbcs/parse", content=chunked(), headers={**auth, "content-type": "application/json"})
        assert r.status_code == 413
        assert client.post("/api/gbcs/parse", json={"hex": "0"}, headers=auth).status_code == 422  # small: passes


# -- GBCS and UTRN tools ---------------------------------------------------------------------------------
@needs_rtds
def test_an_rtds_message_parses_with_mac_valid_and_a_tampered_one_does_not(client: TestClient,
                                                                          auth: dict[str, str]) -> None:
    hex_text = CS01A.read_text()
    d = client.post("/api/gbcs/parse", json={"hex": hex_text, "keystore": "configured"}, headers=auth).json()
    assert d["mac_status"] == "valid" and d["verdict"].startswith("MAC valid")
    assert d["message_code"] == "0x0007"  # CS01a, GBCS message code table
    raw = bytearray(bytes.fromhex("".join(hex_text.split())))
    raw[-1] ^= 0x01  # the last byte is in the MAC
    t = client.post("/api/gbcs/parse", json={"hex": raw.hex(), "keystore": "configured"}, headers=auth).json()
    assert t["mac_status"] == "invalid"
    # the generated test PKI does not hold the RTDS keys
    g = client.post("/api/gbcs/parse", json={"hex": hex_text, "keystore": "generated"}, headers=auth).json()
    assert g["mac_status"] != "valid"
    v = client.post("/api/gbcs/verify", json={"keystore": "configured", "messages": [
        {"name": "good", "hex": hex_text}, {"name": "tampered", "hex": raw.hex()}, {"name": "junk", "hex": "zz"}]},
        headers=auth).json()
    assert [x["mac"] for x in v["results"]] == ["valid", "invalid", None]
    assert "not a hex digit" in v["results"][2]["error"] and v["summary"]["ok"] is False


@pytest.mark.parametrize(("body", "field"), [
    ({"hex": "0G"}, "hex"),
    ({"hex": "ABC"}, "hex"),
    ({"hex": "00", "keystore": "mine"}, "keystore"),
    ({"hex": "00", "acb": "xyz"}, "acb"),
    ({}, "hex"),
])
def test_bad_parse_requests_name_the_field(client: TestClient, auth: dict[str, str], body: dict[str, Any],
                                           field: str) -> None:
    r = client.post("/api/gbcs/parse", json=body, headers=auth)
    assert r.status_code == 422 and r.json()["error"].startswith(field)


def test_truncated_message_is_a_422_codec_error(client: TestClient, auth: dict[str, str]) -> None:
    r = client.post("/api/gbcs/parse", json={"hex": "DD0000"}, headers=auth)
    assert r.status_code == 422 and "offset" in r.json()["error"]


def test_utrn_decode_matches_the_readme_worked_example(client: TestClient, auth: dict[str, str]) -> None:
    d = client.post("/api/utrn/decode", json={"utrn": "7394 3020 2332 8081 7168"}, headers=auth).json()
    assert (d["check_digit"], d["ctr10"], d["value_class"], d["value"]) == (8, 1, "pennies", 1000)
    r = client.post("/api/utrn/decode", json={"utrn": "12345678910121314156"}, headers=auth)
    assert r.status_code == 422 and "check digit is 6, expected 0" in r.json()["error"]


def test_utrn_issue_then_verify_and_refusals(client: TestClient, auth: dict[str, str]) -> None:
    req = {"supplier": "90B3D51F30010000", "meter": "00DB1234567890A0", "counter": 3 << 32, "value": 1234}
    code = client.post("/api/utrn/issue", json=req, headers=auth).json()
    assert len(code["utrn"]) == 20 and code["value"] == 1234 and code["ctr10"] == 3
    ok = client.post("/api/utrn/verify", json={"utrn": code["utrn"], "supplier": req["supplier"],
                                               "meter": req["meter"]}, headers=auth).json()
    assert ok["valid"] is True and ok["counter"] == "0x0000000300000000"
    other = client.post("/api/utrn/verify", json={"utrn": code["utrn"], "supplier": req["supplier"],
                                                  "meter": "00DB1234567890A1"}, headers=auth).json()
    assert other["valid"] is False
    r = client.post("/api/utrn/issue", json={**req, "value": 9000}, headers=auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "value"
    assert r.json()["errors"][0]["value"] == 9000 and "8191" in r.json()["errors"][0]["message"]
    r = client.post("/api/utrn/issue", json={**req, "meter": "00DB"}, headers=auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "meter"
    r = client.post("/api/utrn/issue", json={**req, "supplier": "90B3D51F30099999"}, headers=auth)
    assert r.status_code == 422 and "90B3D51F30099999" in r.json()["error"]  # no such key: named, not a crash


@needs_rtds
def test_an_rtds_utrn_verifies_against_the_rtds_keystore(client: TestClient, auth: dict[str, str]) -> None:
    d = client.post("/api/gbcs/parse", json={"hex": CS01A.read_text(), "keystore": "configured"},
                    headers=auth).json()
    utrn = re.search(r"\b(\d{20})\b", json.dumps(d["payload"]))
    assert utrn is not None
    counter = int(d["originator_counter"], 16)
    v = client.post("/api/utrn/verify", json={"keystore": "configured", "utrn": utrn.group(1),
                                              "supplier": d["originator"], "meter": d["recipient"],
                                              "counter": counter}, headers=auth).json()
    assert v["valid"] is True


# -- premises -------------------------------------------------------------------------------------------
def test_example_story_runs_with_its_verdicts_and_frames_decode_with_valid_security(client: TestClient,
                                                                                   auth: dict[str, str]) -> None:
    names = [s["name"] for s in client.get("/api/stories", headers=auth).json()["stories"]]
    assert "wan-lost-ppmid-broken-hub-button" in names
    text = client.get("/api/stories/wan-lost-ppmid-broken-hub-button", headers=auth).json()["yaml"]
    expected = len(yaml.safe_load(text)["expect"])
    run = client.post("/api/premises/runs", json={"yaml": text}, headers=auth).json()
    assert len(run["verdicts"]) == expected and run["passed"] is True
    assert run["steps"][0]["text"].lower().startswith("install")
    assert run["frames"], "a story with installs and top-ups sends GBCS frames"
    statuses = set()
    for f in run["frames"][:12]:
        d = client.get(f"/api/premises/runs/{run['id']}/frames/{f['n']}", headers=auth).json()["decode"]
        if f["message"]:  # the log's message name and the decoder's use case agree
            assert f["message"].split()[0] in (d["message_name"] or "")
        statuses.add((d["frame"], d["mac_status"], d["signature_status"]))
        assert "invalid" not in (d["mac_status"], d["signature_status"])  # the premises' own frames verify
    assert any(s[0] == "general-ciphering" and s[1] == "valid" for s in statuses)
    assert client.get(f"/api/premises/runs/{run['id']}/frames/99999", headers=auth).status_code == 404
    assert client.get("/api/premises/runs/p999/frames/0", headers=auth).status_code == 404
    assert client.get("/api/stories/nope", headers=auth).status_code == 404


def test_a_click_built_story_runs_and_a_failed_expectation_is_a_verdict(client: TestClient,
                                                                        auth: dict[str, str]) -> None:
    form = client.get("/api/story-form", headers=auth).json()
    assert "utrn_entered" in form["steps"] and "rogue_joins" in form["counters"]
    story = {"name": "built", "seed": 1, "options": "baseline", "horizon": "3d", "premises": {"fuel": "electricity"},
             "timeline": [{"at": "0", "do": "install"},
                          {"at": "1d", "do": "utrn_issued", "value_pence": 500, "route": "ppmid", "label": "1"},
                          {"at": "+5m", "do": "utrn_entered", "label": "1", "on": "ppmid"}],
             "expect": ["rogue_joins == 0", "topups_accepted == 99"]}
    run = client.post("/api/premises/runs", json={"story": story}, headers=auth).json()
    assert [v["passed"] for v in run["verdicts"]] == [True, False] and run["passed"] is False


@pytest.mark.parametrize(("body", "needle"), [
    ({"story": {"horizon": "1d", "timeline": [{"at": 0, "do": "dance"}]}}, "dance"),
    ({"yaml": "timeline: [\n"}, "not valid YAML"),
    ({}, "exactly one"),
])
def test_bad_stories_get_422_naming_the_field(client: TestClient, auth: dict[str, str], body: dict[str, Any],
                                              needle: str) -> None:
    r = client.post("/api/premises/runs", json=body, headers=auth)
    assert r.status_code == 422 and needle in r.json()["error"]


def test_premises_runs_beyond_the_limit_get_429(client: TestClient, auth: dict[str, str]) -> None:
    slots = client.app.state.premises._slots  # type: ignore[attr-defined]
    held = [slots.acquire(blocking=False) for _ in range(2)]
    try:
        story = {"timeline": [{"at": 0, "do": "install"}], "horizon": "1d"}
        r = client.post("/api/premises/runs", json={"story": story}, headers=auth)
        assert r.status_code == 429 and "limit" in r.json()["error"]
    finally:
        for h in held:
            if h:
                slots.release()


# -- keys never leave -----------------------------------------------------------------------------------
def _private_scalars(ks: Any) -> list[str]:
    from smetslab.gbcs.keystore import KeyUsage

    out = []
    for kid in ks.key_ids():
        if ks.has_private(kid):
            key = ks.private(kid.eui, KeyUsage(kid.usage), kid.prepayment)
            n = key.private_numbers().private_value
            out.append(f"{n:064x}")
    return out


def test_no_response_contains_private_key_material(client: TestClient, auth: dict[str, str]) -> None:
    tools = client.app.state.tools  # type: ignore[attr-defined]
    secrets_hex = [s for ks in tools.keystores.values() for s in _private_scalars(ks)]
    assert len(secrets_hex) >= 20
    bodies = []
    run = _wait(client, auth, _run(client, auth)["id"])
    story = client.get("/api/stories/wan-lost-ppmid-broken-hub-button", headers=auth).json()["yaml"]
    prun = client.post("/api/premises/runs", json={"yaml": story}, headers=auth)
    bodies.append(prun.text)
    prun_id = prun.json()["id"]
    calls = [("GET", p, b) for m, p, b in ENDPOINTS if m == "GET"] + [
        ("POST", "/api/gbcs/parse", {"hex": CS01A.read_text() if rtds_available() else "00", "keystore":
                                     "configured" if rtds_available() else "generated"}),
        ("POST", "/api/utrn/issue", {"supplier": "90B3D51F30010000", "meter": "00DB1234567890A0",
                                     "counter": 1 << 32, "value": 5}),
        ("POST", "/api/utrn/verify", {"utrn": "73943020233280817168", "supplier": "90B3D51F30010000",
                                      "meter": "00DB1234567890A0"}),
    ]
    for method, path, body in calls:
        path = path.format(run=run["id"], prun=prun_id)
        if path.endswith("/events"):
            continue
        bodies.append(client.request(method, path, json=body, headers=auth).text)
    for n in range(len(prun.json()["frames"])):
        bodies.append(client.get(f"/api/premises/runs/{prun_id}/frames/{n}", headers=auth).text)
    everything = "\n".join(bodies).lower()
    assert "private key-----" not in everything  # no PEM block of a private key
    for s in secrets_hex:
        assert s not in everything and s.lstrip("0") not in everything


def test_openapi_schema_lists_every_endpoint(client: TestClient, auth: dict[str, str]) -> None:
    schema = client.get("/api/openapi.json", headers=auth).json()
    listed = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    for method, path, _ in ENDPOINTS:
        if path == "/api/openapi.json":
            continue
        templ = re.sub(r"\{run\}", "{run_id}", path, count=1).replace("{run}", "{other_id}").replace("{prun}", "{run_id}")
        templ = templ.replace("/scenarios/gb-default", "/scenarios/{name}").replace(
            "/stories/wan-lost-ppmid-broken-hub-button", "/stories/{name}").replace("/files/scenario.yaml",
                                                                                   "/files/{name}")
        templ = re.sub(r"/frames/0$", "/frames/{n}", templ)
        assert (method, templ) in listed, (method, templ)
    # the documented error answer is the one the server gives (not FastAPI's default validation shape)
    issue = schema["paths"]["/api/utrn/issue"]["post"]["responses"]["422"]
    assert issue["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert set(schema["components"]["schemas"]["ErrorBody"]["properties"]) == {"error", "errors"}


def test_a_run_with_sensitivity_reports_its_sweeps(client: TestClient, auth: dict[str, str]) -> None:
    sweep = {"param": "remedy.baseline_max_days", "low": 10.0, "high": 200.0, "label": "DCC deadline"}
    s = small_scenario(client, auth, replicates=1, options=["baseline", "secmp0032"], sensitivity=[sweep])
    r = client.post("/api/runs", json={"scenario": s, "sensitivity": True}, headers=auth)
    done = _wait(client, auth, r.json()["id"])
    assert done["state"] == "finished", done
    res = client.get(f"/api/runs/{done['id']}/results", headers=auth).json()
    (row,) = res["sensitivity"]
    assert (row["param"], row["low"], row["high"], row["central"]) == ("remedy.baseline_max_days", 10.0, 200.0, 90.0)
    assert row["label"] == "DCC deadline"
    assert 0 <= row["low_moved"] <= 2 and 0 <= row["high_moved"] <= 2  # two options: at most one swap


def test_the_risk_register_shows_the_ratings_a_sweep_moves(client: TestClient, auth: dict[str, str]) -> None:
    # supply-chain capability from 5 down to 1: under the seed method (score = capability x (likelihood + impact),
    # Moderate from 12, docs/risk.md) every supply-chain threat scores at most 1 x (5 + 5) = 10, so each one not
    # already Low becomes Low at the low end; the high end is the central value, so nothing moves there
    sweep = {"param": "attacker_classes.supply_chain_threat_capability", "low": 1, "high": 5, "label": "supply chain"}
    s = small_scenario(client, auth, replicates=1, options=["baseline", "secmp0032"], sensitivity=[sweep])
    assert s["attacker_classes"]["supply_chain_threat_capability"]["value"] == 5
    r = client.post("/api/runs", json={"scenario": s, "sensitivity": True}, headers=auth)
    done = _wait(client, auth, r.json()["id"])
    assert done["state"] == "finished", done
    reg = client.get(f"/api/runs/{done['id']}/risk?method=seed", headers=auth).json()
    expected = {("low", o["option"], row["threat"], row["rating"]) for o in reg["options"] for row in o["rows"]
                if row["attacker"] == "supply_chain" and row["rating"] != "Low"}
    assert expected  # e.g. SHE-01, 5 x (1 + 5) = 30: High
    got = {(c["end"], c["option"], c["threat"], c["central"]) for c in reg["stability"]}
    assert got == expected
    assert all(c["moved"] == "Low" and c["value"] == 1 for c in reg["stability"])
