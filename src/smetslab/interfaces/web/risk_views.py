"""The risk register of a finished run as JSON for the Compare page (issue 9's views in the workbench).

Nothing is scored here: the registers come from ``report.security.run_registers`` (the same path the compare
report's security section and ``smetslab risk`` take, so the page shows what the report shows), the options
not beaten on harm, cost and risk from ``report.security.pareto_options`` (``fleet.stats.non_dominated``).
This module only lays their values out for the page's own script to draw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smetslab.errors import InputError
from smetslab.risk import METHODS, RATINGS
from smetslab.risk.register import BASELINE, OptionRegister
from smetslab.risk.scoring import Method

if TYPE_CHECKING:
    from smetslab.report.store import StoredRun

__all__ = ["risk_register_view", "TOP_RISKS"]

TOP_RISKS = 5
"""How many of an option's risks the summary lists (highest score first); the table has them all."""

_COUNTS = ("risks", "unique", "critical", "high", "moderate", "low")


def _row(r: Any) -> dict[str, Any]:
    return {"threat": r.threat_id, "title": r.title, "asset": r.asset, "stride": r.stride, "attacker": r.attacker,
            "cia": list(r.cia), "capability": r.capability, "attacks_per_year": r.attacks_per_year,
            "likelihood": r.likelihood, "impact": r.impact, "score": r.score, "rating": r.rating,
            "controls": list(r.controls), "drivers": r.drivers}


def _heat(reg: OptionRegister) -> list[list[dict[str, Any]]]:
    """5 x 5 cells, rows impact 5 (top) to 1, columns likelihood 1 to 5: how many threats sit there and the
    worst rating among them (None for an empty cell)."""
    grid: list[list[dict[str, Any]]] = [
        [{"likelihood": lk, "impact": im, "count": 0, "worst": None} for lk in range(1, 6)] for im in range(5, 0, -1)]
    for r in reg.rows:
        cell = grid[5 - r.impact][r.likelihood - 1]
        cell["count"] += 1
        if cell["worst"] is None or RATINGS.index(r.rating) > RATINGS.index(cell["worst"]):
            cell["worst"] = r.rating
    return grid


def _option(reg: OptionRegister, means: dict[str, float], pareto: list[str]) -> dict[str, Any]:
    from smetslab.report.security import COSTS, HARM

    ordered = sorted(reg.rows, key=lambda x: (-x.score, x.threat_id))
    base = reg.option == BASELINE
    return {
        "option": reg.option,
        "counts": {k: reg.counts[k] for k in _COUNTS},
        "within_appetite": reg.within_appetite,
        "total_score": reg.total_score,
        "harm": means.get(HARM, 0.0),
        "cost_pence": sum(means.get(c, 0.0) for c in COSTS),
        "high_or_critical": reg.counts["high"] + reg.counts["critical"],
        "not_beaten": reg.option in pareto,
        "top": [_row(r) for r in ordered[:TOP_RISKS]],
        "rows": [_row(r) for r in ordered],
        "heat": _heat(reg),
        # against baseline (baseline itself has none)
        "new": None if base else list(reg.new),
        "removed": None if base else list(reg.removed),
        "changed": None if base else [{"threat": t, "baseline": a, "rating": b} for t, a, b in reg.changed],
    }


def _stability(sensitivity: Any, scen: Any, method: Method | None) -> list[dict[str, Any]] | None:
    """Ratings that move when a swept assumption moves to its low or high value (``risk.stability``); None
    when the run has no sensitivity sweeps."""
    if sensitivity is None:
        return None
    from smetslab.risk import load_catalogue, stability

    return [{"param": c.param, "label": c.label, "end": c.end, "value": c.value, "option": c.option,
             "threat": c.threat_id, "central": c.central, "moved": c.moved}
            for c in stability(sensitivity, scen, load_catalogue(), method)]


def risk_register_view(stored: StoredRun, method: Method | None = None, sensitivity: Any = None) -> dict[str, Any]:
    """The register of a stored run (``report.store.read_run``), scored with ``method`` (None: the scenario's ``risk.method``);
    with the run's ``fleet.sensitivity.SensitivityResult``, also the ratings its sweeps move.

    ``{"available": False, "reason": ...}`` when the run's scenario has no security parameters (a run of an
    older version); the views otherwise."""
    from smetslab.report.security import pareto_options, run_means, run_registers

    try:
        regs, rp, scen = run_registers(stored, method)
    except InputError as exc:
        return {"available": False, "reason": str(exc), "methods": list(METHODS)}
    means = run_means(stored)
    pareto = pareto_options(means, regs)
    return {
        "available": True,
        "method": next(iter(regs.values())).method if regs else (method or rp.method),
        "methods": list(METHODS),
        "ratings": list(RATINGS),
        "appetite": {"max_rating": rp.appetite_max_rating, "max_high": rp.appetite_max_high},
        "likelihood_edges": list(rp.likelihood_edges),
        "national_premises": rp.national_premises,
        "not_beaten": pareto,
        "options": [_option(r, means.get(o, {}), pareto) for o, r in regs.items()],
        "stability": _stability(sensitivity, scen, method),
    }
