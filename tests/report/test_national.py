"""National figures, where the harm comes from, the non-dominated options, rank groups and the precision
statement in the report, on the hand-written synthetic store (synthetic_store.py).

The synthetic fleet is 5,000 premises for one year, standing for 4,500,000 (costs.national_premises):
national totals of per-premises-year metrics are value x 4,500,000 x 1; fleet totals (costs) x 900.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

from synthetic_store import metric_rows, write_store

from smetslab.fleet import METRICS
from smetslab.report.html import SECTIONS, render_report
from smetslab.report.national import national_scale, national_text, per_customer
from smetslab.report.store import read_run

NO_CHARTS = [s for s in SECTIONS if s.__name__ != "_charts_section"]  # the charts take a second each; not tested here


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _text(html_text: str) -> str:
    p = _Text()
    p.feed(html_text)
    return " ".join(" ".join(p.parts).split())


def _section(html_text: str, anchor: str) -> str:
    start = html_text.index(f"id='{anchor}'")
    nxt = html_text.find("<h2 ", start)
    return _text(html_text[start: nxt if nxt > 0 else None])


def test_scale_of_the_synthetic_scenario(synthetic_db: Path) -> None:
    scale = national_scale(read_run(synthetic_db).scenario)
    assert scale is not None
    assert (scale.premises, scale.national_premises, scale.years, scale.factor) == (5000, 4_500_000, 1.0, 900.0)


def test_national_totals_and_per_customer_figures(synthetic_db: Path) -> None:
    run = read_run(synthetic_db)
    text = _section(render_report(run, sections=NO_CHARTS), "national")
    # baseline no_route_days 20 per premises-year x 4.5m premises x 1 year = 90 million customer-days
    assert "90 million customer-days without a top-up route" in text
    # its interval 20 -/+ 2.4841 -> 17.52 and 22.48 x 4.5m = 78.8 million and 101 million
    assert "[78.8 million\u2013101 million]" in text
    # per customer: 20 days a year; self-disconnection 30 hours (1.25 days, under two days: hours)
    assert "per customer: 20 days a year" in text and "per customer: 30 h a year" in text
    # engineer visits 0.1 per premises-year: 1 in 10 a year, 450,000 nationally
    assert "450,000 engineer visits" in text and "per customer: 1 in 10 a year" in text
    # hub_button one-off 8e10 pence (GBP 800m) for 5,000 premises x 900 = GBP 720bn
    assert "\u00a3720bn" in text
    # costs beside SECMP0032's GBP 1bn: secmp0037 (3e10 + 0) x 900 = 2.7e13 pence = GBP 270bn = 27,000% of it
    assert "beside SECMP0032's \u00a31bn" in text and "secmp0037 \u00a3270bn (27,000%)" in text


def test_units_follow_the_metric_metadata() -> None:
    scale = national_scale({"premises": 1000, "horizon_days": 730, "costs": {"national_premises": {"value": 10_000}}})
    assert scale is not None and scale.years == 2.0
    days = METRICS["no_route_days"]
    # 0.00714 days per premises-year: 10.3 minutes a year each; 0.00714 x 10,000 x 2 years = 142.8 -> 143
    assert per_customer(days, 0.00714) == "10.3 min a year"
    assert national_text(days, 0.00714, scale) == "143 customer-days without a top-up route"
    reach = METRICS["max_premises_per_compromise"]
    assert national_text(reach, 5000.0, scale) == ""  # a fleet-level figure is not scaled
    share = replace(METRICS["no_route_days"], name="c7", national="share_of_premises", noun="customers")
    assert national_text(share, 0.0125, scale) == "125 customers"  # 1.25% of 10,000
    assert national_text(days, 0.2207, scale) == "4,410 customer-days without a top-up route"  # 4,414 -> 3 s.f.
    assert national_text(days, 1880.0, scale) == "37.6 million customer-days without a top-up route"
    assert national_text(days, 1.88e6, scale) == "37.6 billion customer-days without a top-up route"


def test_where_the_harm_comes_from_is_built_from_part_of_metadata(tmp_path: Path) -> None:
    # two cause metrics, 75% and 25% of no_route_days, declared only through the catalogue
    rows = metric_rows()
    extra = [(o, r, f"no_route_days_{cause}", v * share) for o, r, m, v in rows if m == "no_route_days"
             for cause, share in (("install", 0.75), ("later", 0.25))]
    db = write_store(tmp_path / "results.duckdb", rows=rows + extra)
    metrics = dict(METRICS)
    for cause, label in (("install", "no WAN at install"), ("later", "WAN lost later")):
        metrics[f"no_route_days_{cause}"] = replace(METRICS["no_route_days"], name=f"no_route_days_{cause}",
                                                    label=label, part_of="no_route_days")
    text = _section(render_report(read_run(db), metrics=metrics, sections=NO_CHARTS), "harm-sources")
    assert "For baseline , 75% of no_route_days comes from no WAN at install" in text
    assert re.search(r"baseline 20 15 \(75%\) 5 \(25%\)", text)


def test_without_cause_metrics_the_report_says_so(synthetic_db: Path) -> None:
    assert "do not split any harm by cause" in _section(render_report(read_run(synthetic_db), sections=NO_CHARTS), "harm-sources")


def test_non_dominated_options_replace_the_rank_one_sentence(synthetic_db: Path) -> None:
    text = _section(render_report(read_run(synthetic_db), sections=NO_CHARTS), "ranking")
    # by hand (harm, total cost, rogue joins, reach): secmp0037+secmp0032 (4, 1.3e11, 9, 250000) is beaten by
    # secmp0037 (4, 3e10, 9, 250000); every other option is best or unbeaten on something
    front = re.search(r"No option beats these on harm, cost and security together .*?: (.*?)\. Every other", text)
    assert front is not None
    assert re.findall(r"(\S+) \(", front.group(1)) == ["secmp0037", "hub_button", "secmp0032", "baseline"]
    assert "Rank 1 is" not in text


def test_rank_groups_in_the_report(synthetic_db: Path) -> None:
    text = _section(render_report(read_run(synthetic_db), sections=NO_CHARTS), "ranking")
    # secmp0037 and the combination are equal in every replicate: one shared group, shown 1=
    assert "Shared groups: secmp0037 , secmp0037+secmp0032" in text
    assert text.count("1= ") == 2


def test_the_precision_reached_is_stated(tmp_path: Path) -> None:
    info = {"precision_target": "0.05", "precision_reached": "0.0493", "precision_met": "true",
            "precision_metric": "no_route_days", "precision_cap": "400",
            "precision_rounds": "[[1,null],[2,0.5],[3,0.0493]]"}
    db = write_store(tmp_path / "results.duckdb", info=info)
    text = _text(render_report(read_run(db), sections=NO_CHARTS))
    assert ("target: 95% half-width of baseline's no_route_days within 5% of its mean; reached 4.93% with 3 "
            "replicates (1 \u2192 2 \u2192 3)") in text


def test_a_section_is_one_function_in_the_list(synthetic_db: Path) -> None:
    extra = "<h2 id='security-extra'>Extra</h2>"
    out = render_report(read_run(synthetic_db), sections=[*NO_CHARTS[:2], lambda ctx: extra, *NO_CHARTS[2:]])
    assert out.index("id='ranking'") < out.index(extra) < out.index("id='national'")


def test_distribution_points_become_customers_above_each_threshold(tmp_path: Path) -> None:
    # shares of premises with more than 7 and more than 30 no-route days: baseline 2% and 0.5% (every
    # replicate), so 0.02 x 4.5m = 90,000 and 0.005 x 4.5m = 22,500 customers
    rows = metric_rows()
    extra = []
    for o, r, m, _ in rows:
        if m == "no_route_days":
            share7, share30 = (0.02, 0.005) if o == "baseline" else (0.01, 0.001)
            extra += [(o, r, "c7", share7), (o, r, "c30", share30)]
    db = write_store(tmp_path / "results.duckdb", rows=rows + extra)
    metrics = dict(METRICS)
    for name, above in (("c30", 30.0), ("c7", 7.0)):  # declared out of order: shown by threshold
        metrics[name] = replace(METRICS["no_route_days"], name=name, label=f"over {above:g}", national="share_of_premises",
                                noun="customers", distribution_of="no_route_days", above=above)
    text = _section(render_report(read_run(db), metrics=metrics, sections=NO_CHARTS), "national")
    assert "more than 7 days c7 more than 30 days c30" in text
    assert re.search(r"baseline 90,000 22,500", text)
    assert re.search(r"secmp0037 45,000 4,500", text)
