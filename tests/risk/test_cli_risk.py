"""`smetslab risk`: counts per option, JSON, risk.html, the register in the run's DuckDB, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import yaml

from smetslab.interfaces.cli import main


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("scen") / "tiny.yaml"
    p.write_text("extends: gb-default\nname: tiny\npremises: 9000\nreplicates: 1\nsensitivity: []\n"
                 "options: [baseline, secmp0037, secmp0038]\n")
    return p


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    return err


def test_risk_prints_counts_writes_risk_html_and_stores_the_register(scenario_file, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["risk", str(scenario_file), "--out", str(out), "--workers", "1"]) == 0
    text = capsys.readouterr().out
    assert "method seed" in text and "secmp0038" in text and "top 10 risks" in text
    page = (out / "risk.html").read_text(encoding="utf-8")
    assert "RLY-01" in page and "<script" not in page and "http" not in page.replace("http://www.w3.org", "")
    con = duckdb.connect(str(out / "results.duckdb"), read_only=True)
    try:
        n_rows = con.execute("SELECT count(*) FROM risk_register WHERE method = 'seed'").fetchone()
        rly = con.execute("SELECT rating FROM risk_register WHERE option = 'secmp0038' AND threat_id = 'RLY-01'").fetchone()
        counts = con.execute("SELECT option, unique_risks, within_appetite FROM risk_counts ORDER BY option").fetchall()
    finally:
        con.close()
    assert n_rows is not None and n_rows[0] > 90  # three options x ~30-36 threats
    assert rly == ("High",)
    assert [c[0] for c in counts] == ["baseline", "secmp0037", "secmp0038"]


def test_risk_json_and_method_reuse_the_finished_run(scenario_file, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["risk", str(scenario_file), "--out", str(out), "--workers", "1", "--json"]) == 0
    seed = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"not JSON: {c}"))
    assert main(["risk", str(scenario_file), "--out", str(out), "--method", "nist", "--json"]) == 0
    nist = json.loads(capsys.readouterr().out)
    assert seed["method"] == "seed" and nist["method"] == "nist"
    assert seed["counts"]["baseline"]["unique"] == nist["counts"]["baseline"]["unique"]  # same threats, other scores
    c = seed["counts"]["secmp0038"]
    assert c["risks"] >= c["unique"] and c["critical"] + c["high"] + c["moderate"] + c["low"] == c["unique"]
    assert c["new"] > 0 and set(seed["counts"]) == {"baseline", "secmp0037", "secmp0038"}
    rly = next(r for r in seed["registers"]["secmp0038"] if r["threat"] == "RLY-01")
    assert rly["impact_cia"] == {"C": rly["impact"], "I": rly["impact"], "A": rly["impact"]}  # a C, I and A threat
    flood = next(r for r in seed["registers"]["baseline"] if r["threat"] == "HJW-07")
    assert flood["impact_cia"]["A"] == flood["impact"] and flood["impact_cia"]["C"] == flood["impact_cia"]["I"] == 0
    con = duckdb.connect(str(out / "results.duckdb"), read_only=True)
    try:
        methods = con.execute("SELECT DISTINCT method FROM risk_counts ORDER BY method").fetchall()
    finally:
        con.close()
    assert methods == [("nist",), ("seed",)]  # each method's rows kept


def test_a_register_file_overrides_a_threat(scenario_file, tmp_path, capsys):
    from smetslab.risk.catalogue import builtin_catalogue_data

    t = next(x for x in builtin_catalogue_data()["threats"] if x["id"] == "RLY-01")
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump({"threats": [{**t, "impact": {"rule": "fixed", "level": 1},
                                                 "exposure": {**t["exposure"], "factor": 0.0}}]}))
    assert main(["risk", str(scenario_file), "--out", str(tmp_path / "r"), "--register", str(mine), "--json",
                 "--workers", "1"]) == 0
    reg = json.loads(capsys.readouterr().out)["registers"]["secmp0038"]
    assert next(r for r in reg if r["threat"] == "RLY-01")["rating"] == "Low"  # 5 x (1 + 1) = 10 < 12


def test_a_malformed_register_file_is_one_line_naming_the_field_exit_2(scenario_file, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("threats:\n  - {id: X-1, title: t, asset: toaster, stride: Spoofing, cia: [C], attacker: insider,"
                   " options: {}, exposure: {metric: no_route_days, scale: fleet, factor: 1.0},"
                   " impact: {rule: premises}, controls: [], source: s}\n")
    assert main(["risk", str(scenario_file), "--out", str(tmp_path / "r"), "--register", str(bad)]) == 2
    err = _one_line_error(capsys)
    assert "threats[48](X-1).asset" in err and "'toaster'" in err and "hub_join_window" in err
    assert not (tmp_path / "r").exists()  # refused before any run


@pytest.mark.parametrize("argv, needle", [
    (["--method", "gut-feel"], "--method 'gut-feel'"),
    (["--register", "/no/such/file.yaml"], "--register '/no/such/file.yaml': no such file"),
])
def test_bad_flags_are_one_line_errors(scenario_file, tmp_path, capsys, argv, needle):
    assert main(["risk", str(scenario_file), "--out", str(tmp_path / "r"), *argv]) == 2
    assert needle in _one_line_error(capsys)


def test_a_register_file_that_is_not_yaml_is_one_line(scenario_file, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("threats: [\n")
    assert main(["risk", str(scenario_file), "--register", str(bad)]) == 2
    assert "--register" in _one_line_error(capsys)
