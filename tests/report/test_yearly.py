"""The report's per-year view and the line ``smetslab compare`` prints for a multi-year run.

A real three-year run (8,192 premises, 2 replicates, three options, ``--precision off``) through the CLI; the
expected figures are computed here from the raw per-replicate rows of its results file (mean of two values;
the 95% interval with Student's t for 1 degree of freedom, 12.706, from the t table) and, for the fleet's
growth, from the closed form of the scenario's growth assumption; never from the report code.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from smetslab.interfaces.cli import main
from smetslab.report import build_report
from smetslab.report.yearly import per_year_line

T_975_DF1 = 12.706204736  # Student's t, two-sided 95%, 1 degree of freedom (any t table)
GROWTH = 0.02  # gb-default's growth.prepay_fleet_per_year
YEARS = 3
OPTIONS = ("baseline", "hub_button", "secmp0037")
YEARLY = ("no_route_days", "self_disconnection_hours", "gas_self_disconnection_hours", "utrn_only_days",
          "wan_down_days", "debt_pence")


@pytest.fixture(scope="module")
def three_years(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, str]]:
    """(results file, report HTML, compare's stdout) of the three-year run."""
    root = tmp_path_factory.mktemp("yearly")
    scenario = root / "three-years.yaml"
    scenario.write_text(
        "extends: gb-default\nname: three-years\npremises: 8192\nreplicates: 2\nhorizon_days: 1095\n"
        f"options: [{', '.join(OPTIONS)}]\n", encoding="utf-8")
    out = io.StringIO()
    saved = os.environ.pop("COLUMNS", None)  # stdout is a pipe: the 80-column compact table
    try:
        with contextlib.redirect_stdout(out):
            code = main(["compare", str(scenario), "--out", str(root / "run"), "--precision", "off",
                         "--workers", "1"])
    finally:
        if saved is not None:
            os.environ["COLUMNS"] = saved
    assert code == 0, out.getvalue()
    yield root / "run" / "results.duckdb", (root / "run" / "report.html").read_text(encoding="utf-8"), out.getvalue()


def _section(html_text: str) -> str:
    start = html_text.index("<h2 id='per-year'>")
    end = html_text.find("<h2", start + 1)
    return html_text[start:] if end < 0 else html_text[start:end]


def _stored(db: Path) -> dict[tuple[str, str], list[float]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT option, metric, replicate, value FROM metrics WHERE metric LIKE '%@y%' "
                           "ORDER BY option, metric, replicate").fetchall()
    finally:
        con.close()
    out: dict[tuple[str, str], list[float]] = {}
    for o, m, _r, v in rows:
        out.setdefault((o, m), []).append(float(v))
    return out


def _cells(section: str, metric: str, option: str) -> list[str]:
    """The ``title`` (exact figures) of each year's cell in the row of ``metric`` and ``option``."""
    row = re.search(rf"<tr(?: class='baseline')? data-metric='{re.escape(metric)}' data-option='{re.escape(option)}'>(.*?)</tr>",
                    section, re.S)
    assert row is not None, (metric, option)
    return re.findall(r"<td class='num' title='([^']*)'>", row.group(1))


def _parse_title(title: str) -> tuple[float, float, float]:
    m = re.fullmatch(r"mean (\S+), 95% interval (\S+) to (\S+)", title)
    assert m is not None, title
    return float(m[1]), float(m[2]), float(m[3])


def _expected(values: list[float]) -> tuple[float, float, float]:
    """Mean and 95% t-interval of two replicates, by hand: s = |a - b| / sqrt 2, half-width = t * s / sqrt 2."""
    a, b = values
    mean = (a + b) / 2
    half = T_975_DF1 * abs(a - b) / 2
    lo = max(mean - half, 0.0) if min(a, b) >= 0 else mean - half  # counts and durations: not below 0
    return mean, lo, mean + half


def test_the_section_lists_each_year_and_nothing_more(three_years: tuple[Path, str, str]) -> None:
    _, report, _ = three_years
    section = _section(report)
    heads = re.findall(r"<th>year (\d+)<br>", section)
    assert heads and set(heads) == {"1", "2", "3"}
    assert "days 730\u20131,095" in section  # the last year ends at the horizon
    for metric in YEARLY:
        assert f"<h3 id='per-year-{metric}'>" in section, metric
        assert section.count(f"data-metric='{metric}'") == len(OPTIONS), metric
    assert section.count("<svg") == len(YEARLY)  # one line chart per metric, inline
    # options in rank order, as in the ranked table
    rows = re.findall(r"data-metric='no_route_days' data-option='([^']+)'", section)
    ranked = re.findall(r"<tr(?: class='baseline')?><td class='num'>\d+=?</td><td><code>([^<]+)</code>",
                        report)
    assert rows == [o for o in ranked if o in OPTIONS]


def test_every_figure_is_the_stored_per_year_value(three_years: tuple[Path, str, str]) -> None:
    db, report, _ = three_years
    section = _section(report)
    stored = _stored(db)
    assert len(stored) == len(OPTIONS) * (len(YEARLY) + 1) * YEARS
    for metric in YEARLY:
        for option in OPTIONS:
            titles = _cells(section, metric, option)
            assert len(titles) == YEARS
            for year, title in enumerate(titles, start=1):
                values = stored[(option, f"{metric}@y{year}")]
                assert len(values) == 2
                mean, lo, hi = _expected(values)
                got = _parse_title(title) if values[0] != values[1] else (float(title.split()[1]), mean, mean)
                assert got == pytest.approx((mean, lo, hi), rel=1e-6, abs=1e-12), (metric, option, year)


def test_the_fleet_grows_as_the_growth_assumption_says(three_years: tuple[Path, str, str]) -> None:
    db, report, _ = three_years
    titles = _cells(_section(report), "fleet_share", "*")  # one row: growth is the same for every option
    assert len(titles) == YEARS
    stored = _stored(db)
    for year, title in enumerate(titles, start=1):
        mean = _parse_title(title)[0]
        assert mean == pytest.approx(_expected(stored[("baseline", f"fleet_share@y{year}")])[0], rel=1e-6)
        # premises present by day t: (1+g)^((t-H)/365) of the end-of-horizon fleet; premises-years lived in year
        # y / premises = the integral of that over the year = ((1+g)^(y-Y) - (1+g)^(y-1-Y)) / ln(1+g)
        closed = ((1 + GROWTH) ** (year - YEARS) - (1 + GROWTH) ** (year - 1 - YEARS)) / math.log1p(GROWTH)
        assert mean == pytest.approx(closed, abs=0.006), year  # Monte Carlo over 8,192 premises
    assert [_parse_title(t)[0] for t in titles] == sorted(_parse_title(t)[0] for t in titles)


def test_per_year_figures_stay_out_of_the_other_sections(three_years: tuple[Path, str, str]) -> None:
    _, report, _ = three_years
    section = _section(report)
    rest = report.replace(section, "")
    assert "@y" not in rest  # the ranked table, national figures, bar charts and metric list: METRICS only
    assert "no_route_days@yN" in section


def test_compare_prints_one_line_pointing_to_the_section(three_years: tuple[Path, str, str]) -> None:
    _, _, stdout = three_years
    lines = [line for line in stdout.splitlines() if "per-year" in line or "per year" in line]
    assert lines == ["per year: a 3-year horizon; each option year by year in report.html#per-year"]
    assert all(len(line) <= 80 for line in stdout.splitlines() if not line.startswith(("report:", "results:",
                                                                                       "out:")))


def test_a_one_year_run_says_so_in_one_sentence(synthetic_db: Path, tmp_path: Path) -> None:
    # a one-year run stores its figures for year 1 only (as the fleet model does); they stay out of every table
    con = duckdb.connect(str(synthetic_db))
    try:
        con.execute("INSERT INTO metrics (option, metric, replicate, value) SELECT option, metric || '@y1', "
                    "replicate, value FROM metrics WHERE metric = 'no_route_days'")
    finally:
        con.close()
    report = build_report(synthetic_db, tmp_path / "r.html").read_text(encoding="utf-8")
    section = _section(report)
    text = re.sub(r"<[^>]+>", "", section).removeprefix("Per year")
    assert text.startswith("This run's horizon is one year (365 days), so there is no per-year view")
    assert "<table" not in section and "<svg" not in section
    assert len(re.findall(r"[.!?](?:\s|$)", text)) == 1 and text.endswith(".")  # one sentence
    assert "@y" not in report.replace(section, "")


def test_the_ten_year_line_fits_80_columns() -> None:
    from types import SimpleNamespace

    rows = [SimpleNamespace(option="baseline", metric=f"no_route_days@y{y}", mean=1.0, lo=1.0, hi=1.0, n_replicates=1)
            for y in range(1, 11)]
    assert per_year_line(rows) == "per year: a 10-year horizon; each option year by year in report.html#per-year"
    assert len(per_year_line(rows)) <= 80
    assert per_year_line(rows[:1]) == ""  # a one-year run: no line


def test_the_ten_year_example_is_gb_default_over_3650_days() -> None:
    from smetslab.interfaces.config import load_scenario

    scen = load_scenario(Path(__file__).resolve().parents[2] / "examples" / "gb-10-years.yaml")
    default = load_scenario("gb-default")
    assert (scen.horizon_days, scen.premises, scen.replicates) == (3650.0, 16384, 3)
    assert scen.options == default.options and scen.seed == default.seed
