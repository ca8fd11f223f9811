"""The options not beaten on harm, cost and security together (hand-worked examples)."""

from __future__ import annotations

from smetslab.fleet import METRICS
from smetslab.fleet.store import SummaryRow
from smetslab.report import ranking
from smetslab.report.ranking import unbeaten


def _rows(means: dict[str, dict[str, float]]) -> list[SummaryRow]:
    return [SummaryRow(o, m, v, v, v, 1) for o, ms in means.items() for m, v in ms.items()]


def _option(harm: float, one_off: float, rogue: float, reach: float) -> dict[str, float]:
    return {"no_route_days": harm, "cost_one_off_pence": one_off, "cost_running_pence": 0.0,
            "expected_rogue_joins": rogue, "max_premises_per_compromise": reach}


def test_a_difference_below_the_fourth_significant_figure_does_not_keep_an_option() -> None:
    # "mesh" is worse on harm and dearer than "button"; its rogue joins are lower only in the 5th figure
    # (2.37108e-7 against 2.37123e-7, both 2.371e-7 to 4 figures), so "button" beats it on all four
    means = {"baseline": _option(9.4, 0.0, 2.37108e-7, 40.0), "button": _option(1.06, 3.4e6, 2.37123e-7, 40.0),
             "mesh": _option(2.92, 1.15e7, 2.37108e-7, 40.0)}
    ranked = ranking(_rows(means), "no_route_days", metrics=METRICS)
    # baseline stays: it is the cheapest (0 against 3.4m)
    assert unbeaten(ranked, "no_route_days", METRICS) == ["button", "baseline"]


def test_a_real_security_difference_keeps_an_option() -> None:
    means = {"baseline": _option(9.4, 0.0, 1e-7, 40.0), "button": _option(1.0, 3e6, 5e-7, 40.0),
             "window": _option(0.5, 3e6, 9e-4, 5000.0)}
    ranked = ranking(_rows(means), "no_route_days", metrics=METRICS)
    assert unbeaten(ranked, "no_route_days", METRICS) == ["window", "button", "baseline"]
