"""The HTML report from a hand-written results file: content, intervals, escaping, self-containment."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from synthetic_store import (
    OPTION_TITLES,
    SCENARIO,
    SEED,
    T_HALF_WIDTH_PER_SPREAD,
    VERSION,
    write_store,
)

from smetslab.errors import InputError
from smetslab.fleet.sensitivity import SensitivityResult, SweepPoint, SweepResult
from smetslab.report import build_report, ranking
from smetslab.report.html import scenario_parameters
from smetslab.report.store import read_run

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Checker(HTMLParser):
    """Every non-void element is closed in order; collects src/href attributes and element names."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.urls: list[str] = []
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href")]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href")]

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(text: str) -> _Checker:
    checker = _Checker()
    checker.feed(text)
    checker.close()
    return checker


@pytest.fixture(scope="module")
def report_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One report of the synthetic store, shared by the read-only checks below (a build takes ~1 s)."""
    folder = tmp_path_factory.mktemp("report")
    db = write_store(folder / "results.duckdb")
    out = build_report(db, folder / "report.html", generated_at="2026-01-02 03:04:05 UTC")
    return out.read_text(encoding="utf-8")


def test_report_is_well_formed_and_self_contained(report_text: str):
    checker = _parse(report_text)
    assert checker.errors == [] and checker.stack == []
    assert report_text.startswith("<!DOCTYPE html>")
    # no network asset: nothing fetched over http(s) or protocol-relative, no external script or stylesheet
    assert [u for u in checker.urls if re.match(r"\s*(https?:)?//", u, re.I)] == []
    assert "script" not in checker.tags and "link" not in checker.tags and "iframe" not in checker.tags
    assert "@import" not in report_text and "url(http" not in report_text
    assert report_text.count("<svg") >= 2  # the harm/security scatter and the per-metric bars, inline


def test_report_names_every_option_by_id_and_title(report_text: str):
    text = "".join(_parse(report_text).text)
    for option, title in OPTION_TITLES.items():
        assert option in text
        assert title in text


def test_report_prints_seed_version_date_and_rule(report_text: str):
    text = " ".join(_parse(report_text).text)
    assert f"seed {SEED}" in text
    assert VERSION in text
    assert "2026-01-02 03:04:05 UTC" in text
    assert "ranked by no_route_days" in text and "ties by total cost" in text


def test_report_shows_intervals_from_the_replicates(report_text: str):
    text = "".join(_parse(report_text).text)
    # baseline no_route_days: 19, 20, 21 -> 20 -/+ 2.4841 -> [17.52-22.48]
    half = T_HALF_WIDTH_PER_SPREAD * 1.0
    assert f"[{20 - half:.4g}\u2013{20 + half:.4g}]" == "[17.52\u201322.48]"
    assert "[17.52\u201322.48]" in text
    # secmp0037 self_disconnection_hours: 4, 6, 8 -> 6 -/+ 4.968 -> [1.032-10.97]
    assert "[1.032\u201310.97]" in text
    # secmp0037 against baseline on no_route_days: 4 - 20 = -16, -80%
    assert "\u0394 \u221216 (\u221280%)" in text


def test_report_lists_every_scenario_parameter_with_value_and_source(report_text: str):
    text = "".join(_parse(report_text).text)
    expected = [
        ("premises", "5,000", "assumption: a small synthetic fleet"),
        ("incidents.wan_lost_per_year", "0.01", "DESIGN.md: 99% WAN availability"),
        ("incidents.ppmid_lost_per_year", "0.05", "assumption: <b>1 in 20</b> & rising"),
        ("remedy.dcc_cap_days", "90", "SEC F7.18 via DESIGN.md"),
    ]
    for path, value, source in expected:
        assert re.search(re.escape(path) + r"\s*" + re.escape(value) + r"\s*" + re.escape(source), text), path


def test_text_from_the_data_is_escaped(report_text: str):
    # the scenario name and a source carry markup; it must arrive as text, never as elements
    assert "<b>1 in 20</b>" not in report_text
    assert html.escape("assumption: <b>1 in 20</b> & rising") in report_text
    assert "synthetic <test>" not in report_text
    assert "synthetic &lt;test&gt; &amp; co" in report_text


def test_report_ranked_table_is_in_rank_order(synthetic_db: Path):
    from smetslab.fleet import METRICS

    run = read_run(synthetic_db)
    ranked = ranking(run.summary, "no_route_days", metrics=METRICS, titles=run.titles)
    # by hand: 4.0 (secmp0037, £300m) and 4.0 (secmp0037+secmp0032, £1.3bn) tie -> cheaper first; 6; 12; 20
    assert [r.option for r in ranked] == ["secmp0037", "secmp0037+secmp0032", "hub_button", "secmp0032", "baseline"]
    text = build_report(synthetic_db, synthetic_db.parent / "r.html").read_text(encoding="utf-8")
    table = text[text.index("class='ranked'") : text.index("</table>", text.index("class='ranked'"))]
    positions = [table.index(f"<code>{html.escape(o)}</code>") for o in [r.option for r in ranked]]
    assert positions == sorted(positions)


def _sensitivity() -> SensitivityResult:
    central = {"baseline": {"no_route_days": 20.0}, "secmp0037": {"no_route_days": 4.0},
               "hub_button": {"no_route_days": 6.0}}
    low = {"baseline": {"no_route_days": 8.0}, "secmp0037": {"no_route_days": 7.0},
           "hub_button": {"no_route_days": 6.0}}
    return SensitivityResult(
        scenario_name=SCENARIO["name"], scenario_sha256="5" * 64, seed=SEED, rank_by="no_route_days",
        central=central, central_ranking=("secmp0037", "hub_button", "baseline"),
        sweeps=(SweepResult(
            param="incidents.ppmid_lost_per_year", label="PPMID <loss> rate", central_value=0.05,
            source="assumption: toy",
            low=SweepPoint(0.01, low, ("hub_button", "secmp0037", "baseline"),
                           {"hub_button": -1, "secmp0037": 1, "baseline": 0},
                           {"baseline": -12.0, "secmp0037": 3.0, "hub_button": 0.0}, 2, True),
            high=SweepPoint(0.1, central, ("secmp0037", "hub_button", "baseline"),
                            {"hub_button": 0, "secmp0037": 0, "baseline": 0},
                            {"baseline": 0.0, "secmp0037": 0.0, "hub_button": 0.0}, 0, False),
        ),),
    )


def test_report_with_sensitivity_has_the_tornado_and_the_sweep_table(synthetic_db: Path):
    plain = build_report(synthetic_db, synthetic_db.parent / "plain.html").read_text(encoding="utf-8")
    text = build_report(synthetic_db, synthetic_db.parent / "sens.html", sensitivity=_sensitivity()).read_text(
        encoding="utf-8")
    assert text.count("<svg") == plain.count("<svg") + 1
    assert "Not run" in plain and "Not run" not in text
    words = "".join(_parse(text).text)
    assert "PPMID <loss> rate" in words and "PPMID <loss> rate" not in text  # escaped
    assert "hub_button \u21911, secmp0037 \u21931" in words  # the moves at the low value
    assert "2 / 0" in words  # positions moved low / high
    assert _parse(text).errors == []


def test_unfinished_run_is_refused(tmp_path: Path):
    db = write_store(tmp_path / "results.duckdb", status="running")
    with pytest.raises(InputError, match="status is 'running'"):
        build_report(db, tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()


def test_missing_or_foreign_file_is_refused(tmp_path: Path):
    with pytest.raises(InputError, match="no such file"):
        build_report(tmp_path / "nope.duckdb", tmp_path / "report.html")
    import duckdb

    con = duckdb.connect(str(tmp_path / "other.duckdb"))
    con.execute("CREATE TABLE t(x INTEGER)")
    con.close()
    with pytest.raises(InputError, match="not a smetslab results file"):
        build_report(tmp_path / "other.duckdb", tmp_path / "report.html")


def test_scenario_parameters_walks_nested_values_and_settings():
    rows = scenario_parameters(SCENARIO)
    assert ("incidents.ppmid_lost_per_year", 0.05, "assumption: <b>1 in 20</b> & rising") in rows
    assert ("seed", 1234, None) in rows
    assert ("sensitivity[0].label", "PPMID loss", None) in rows
