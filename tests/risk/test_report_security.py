"""The compare report's security section and risk.html: counts, heat maps, the register filter, the appetite line,
the options no other option beats (hand-worked on a small example), no scripts or external assets."""

from __future__ import annotations

from pathlib import Path

import pytest
from _riskkit import small

from smetslab.fleet import run
from smetslab.report import build_report
from smetslab.report.security import pareto_options, render_risk_page, run_registers
from smetslab.report.store import read_run
from smetslab.risk.register import OptionRegister, RegisterRow


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory):
    s = small().model_copy(update={"premises": 9000, "options": ["baseline", "secmp0037", "secmp0038"]})
    db = tmp_path_factory.mktemp("run") / "results.duckdb"
    run(s, db, workers=1)
    return read_run(db)


def test_the_compare_report_has_a_security_section_with_every_part(stored, tmp_path):
    html = build_report(stored.db_path, tmp_path / "report.html").read_text(encoding="utf-8")
    sec = html[html.index("id='security'"):]
    for part in ("Rating counts per option", "Not beaten on harm, cost and risk together", "Harm against risk",
                 "risk appetite: at most 4 High", "Likelihood &times; impact per option", "The register",
                 "id='rf-High'", "class='r-High'", "RLY-01", "Stability under the sensitivity sweeps"):
        assert part in sec, part
    assert "<script" not in html and "src=" not in sec and "href=" not in sec


def test_risk_html_stands_alone(stored):
    regs, rp, _ = run_registers(stored)
    page = render_risk_page(stored, regs, rp, generated_at="2026-01-01")
    assert page.startswith("<!DOCTYPE html>") and page.count("class='heat'") == 3 and "<script" not in page


def _reg(option: str, score: float) -> OptionRegister:
    row = RegisterRow(option, "T", "t", "dcc", "Spoofing", "insider", ("C",), 1, 0.0, 1, 1, 1.0, 0.0, score, "Low",
                      (), "")
    return OptionRegister(option, "seed", (row,))


def test_pareto_keeps_exactly_the_options_no_other_beats_on_harm_cost_and_risk():
    # hand-worked: a = (harm 1, cost 10, risk 5); b = (2, 10, 5) is beaten by a; c = (0.5, 30, 9) is better on
    # harm, so kept; d = (1, 10, 4) beats a on risk, so a goes
    means = {"a": {"no_route_days": 1.0, "cost_one_off_pence": 6.0, "cost_running_pence": 4.0},
             "b": {"no_route_days": 2.0, "cost_one_off_pence": 10.0, "cost_running_pence": 0.0},
             "c": {"no_route_days": 0.5, "cost_one_off_pence": 30.0, "cost_running_pence": 0.0},
             "d": {"no_route_days": 1.0, "cost_one_off_pence": 10.0, "cost_running_pence": 0.0}}
    regs = {"a": _reg("a", 5), "b": _reg("b", 5), "c": _reg("c", 9), "d": _reg("d", 4)}
    assert pareto_options(means, regs) == ["c", "d"]


def test_a_run_without_security_parameters_gets_a_note_not_an_error(stored):
    from dataclasses import replace

    from smetslab.report.security import security_section

    old = dict(stored.scenario)
    old.pop("risk")
    text = security_section(replace(stored, scenario=old))
    assert "Not available for this run" in text and "risk" in text
    assert isinstance(stored.db_path, Path)
