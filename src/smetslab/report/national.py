"""National figures in human units: every metric of the sample scaled to the scenario's national fleet.

The fleet model runs a sample (``premises``) for ``horizon_days``; an analyst quotes the nation. Each metric's
``MetricInfo.national`` says how its value scales (``fleet.metrics.National``), with ``costs.national_premises``
the size of the GB prepayment fleet the scenario stands for. Per-customer figures of durations are shown in
minutes, hours or days as fits. Pure functions of the stored numbers: nothing is re-run.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smetslab.report.formatting import fmt_duration, fmt_money, fmt_number
from smetslab.report.ranking import BASELINE, RankedOption

__all__ = ["NationalScale", "national_scale", "national_value", "per_customer", "national_section",
           "harm_sources", "distributions", "SECMP0032_PARAM"]

SECMP0032_PARAM = ("costs", "secmp0032_national")
"""The DCC's cost of SECMP0032 (about \u00a31bn), the yardstick the costs are shown beside."""


@dataclass(frozen=True)
class NationalScale:
    """The sample, the nation it stands for, and the horizon."""

    premises: float
    national_premises: float
    years: float

    @property
    def factor(self) -> float:
        """national_premises / premises."""
        return self.national_premises / self.premises


def _param_value(scenario: Mapping[str, Any], *path: str) -> Any:
    node: Any = scenario
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    if isinstance(node, Mapping) and "value" in node:
        return node["value"]
    return node


def national_scale(scenario: Mapping[str, Any]) -> NationalScale | None:
    """The scale of a stored scenario (its JSON); None when it lacks premises, horizon or national_premises."""
    premises = _param_value(scenario, "premises")
    national = _param_value(scenario, "costs", "national_premises")
    horizon = _param_value(scenario, "horizon_days")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in (premises, national,
                                                                                          horizon)):
        return None
    return NationalScale(float(premises), float(national), float(horizon) / 365.0)


def national_value(info: Any, value: float, scale: NationalScale) -> float | None:
    """The national figure of one metric value, by the metric's ``national`` rule; None for fleet-level
    metrics (reach, a flag), which do not scale."""
    rule = getattr(info, "national", "per_premises_year")
    if rule == "per_premises_year":
        return value * scale.national_premises * scale.years
    if rule == "share_of_premises":
        return value * scale.national_premises
    if rule == "fleet_total":
        return value * scale.factor
    return None


def per_customer(info: Any, value: float) -> str:
    """A per-premises-year value per customer in human units ("10.3 min a year"); empty when it does not
    apply (totals, shares, flags)."""
    rule = getattr(info, "national", "per_premises_year")
    quantity = getattr(info, "quantity", "count")
    if rule != "per_premises_year" or math.isnan(value):
        return ""
    if quantity == "days":
        return f"{fmt_duration(value)} a year"
    if quantity == "hours":
        return f"{fmt_duration(value / 24.0)} a year"
    if value > 0 and value < 1:
        return f"1 in {fmt_number(float(f'{1 / value:.3g}'))} a year"
    return f"{fmt_number(value)} a year"


def _three(value: float) -> str:
    """3 significant figures, grouped: 4,410; 32,100; 1.23 million; 37.6 billion."""
    if math.isnan(value):
        return "\u2014"
    for scale, word in ((1e9, "billion"), (1e6, "million")):
        if abs(value) >= scale:
            return f"{float(f'{value / scale:.3g}'):g} {word}"
    rounded = float(f"{value:.3g}")
    return f"{rounded:,.0f}" if abs(rounded) >= 1000 else fmt_number(rounded)


def national_text(info: Any, value: float, scale: NationalScale) -> str:
    """A national figure with its unit: "32,100 customer-days without a top-up route", "\u00a3450m"."""
    nat = national_value(info, value, scale)
    if nat is None:
        return ""
    if getattr(info, "quantity", "count") == "pence":
        return fmt_money(nat)
    noun = getattr(info, "noun", "") or str(getattr(info, "label", "")).lower()
    if getattr(info, "national", "") == "share_of_premises":
        noun = noun or "customers"
    return f"{_three(nat)} {noun}".strip()


def harm_sources(ranked: Sequence[RankedOption], metrics: Mapping[str, Any]) -> dict[str, list[str]]:
    """parent metric -> its parts (metrics whose ``part_of`` names it) present in the results."""
    present = {m for r in ranked for m in r.cells}
    out: dict[str, list[str]] = {}
    for name, info in metrics.items():
        parent = getattr(info, "part_of", None)
        if parent and name in present and parent in present:
            out.setdefault(parent, []).append(name)
    return out


def distributions(ranked: Sequence[RankedOption], metrics: Mapping[str, Any]) -> dict[str, list[str]]:
    """metric -> the metrics that are points of its distribution (``distribution_of``), by ``above``."""
    present = {m for r in ranked for m in r.cells}
    out: dict[str, list[tuple[float, str]]] = {}
    for name, info in metrics.items():
        parent, above = getattr(info, "distribution_of", None), getattr(info, "above", None)
        if parent and above is not None and name in present:
            out.setdefault(parent, []).append((float(above), name))
    return {p: [n for _, n in sorted(points)] for p, points in out.items()}


def _distribution_table(parent: str, points: Sequence[str], ranked: Sequence[RankedOption],
                        metrics: Mapping[str, Any], scale: NationalScale) -> str:
    unit = str(getattr(metrics.get(parent), "quantity", ""))
    head = "".join(f"<th>more than {_e(fmt_number(float(getattr(metrics.get(p), 'above', 0.0))))} {_e(unit)}"
                   f"<br><span class='dim'><code>{_e(p)}</code></span></th>" for p in points)
    rows = [f"<tr><th>option</th>{head}</tr>"]
    for r in ranked:
        cells = [f"<tr><td><code>{_e(r.option)}</code></td>"]
        for p in points:
            c = r.cell(p)
            if c is None:
                cells.append("<td class='num'>\u2014</td>")
                continue
            nat, lo, hi = (national_value(metrics.get(p), v, scale) for v in (c.mean, c.lo, c.hi))
            iv = "" if lo is None or hi is None or lo == hi else f"[{_three(lo)}\u2013{_three(hi)}]"
            cells.append(f"<td class='num'>{_e('' if nat is None else _three(nat))}"
                         + (f"<span class='iv'>{_e(iv)}</span>" if iv else "") + "</td>")
        rows.append("".join(cells) + "</tr>")
    label = getattr(metrics.get(parent), "label", parent)
    return (f"<p>Customers nationally whose {_e(str(label).lower())} (<code>{_e(parent)}</code>) over the horizon "
            f"exceed each threshold, with 95% intervals:</p><table class='distribution'>{''.join(rows)}</table>")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _national_table(ranked: Sequence[RankedOption], metric_ids: Sequence[str], metrics: Mapping[str, Any],
                    scale: NationalScale) -> str:
    shown = [m for m in metric_ids if getattr(metrics.get(m), "national", "fleet_level") != "fleet_level"]
    head = "".join(f"<th>{_e(getattr(metrics.get(m), 'label', m))}<br><span class='dim'><code>{_e(m)}</code>"
                   f"</span></th>" for m in shown)
    rows = [f"<tr><th>option</th>{head}</tr>"]
    for r in ranked:
        cls = " class='baseline'" if r.option == BASELINE else ""
        cells = [f"<tr{cls}><td><code>{_e(r.option)}</code></td>"]
        for m in shown:
            c, info = r.cell(m), metrics.get(m)
            if c is None:
                cells.append("<td class='num'>\u2014</td>")
                continue
            text = national_text(info, c.mean, scale)
            lo, hi = national_value(info, c.lo, scale), national_value(info, c.hi, scale)
            iv = ""
            if lo is not None and hi is not None and lo != hi:
                iv = (f"[{fmt_money(lo)}\u2013{fmt_money(hi)}]" if getattr(info, "quantity", "") == "pence"
                      else f"[{_three(lo)}\u2013{_three(hi)}]")
            each = per_customer(info, c.mean)
            cells.append(f"<td class='num'>{_e(text)}" + (f"<span class='iv'>{_e(iv)}</span>" if iv else "")
                         + (f"<span class='iv'>per customer: {_e(each)}</span>" if each else "") + "</td>")
        rows.append("".join(cells) + "</tr>")
    return f"<div class='scroll'><table class='national'>{''.join(rows)}</table></div>"


def _costs_paragraph(ranked: Sequence[RankedOption], scenario: Mapping[str, Any], scale: NationalScale) -> str:
    yardstick = _param_value(scenario, *SECMP0032_PARAM)
    if not isinstance(yardstick, int | float) or isinstance(yardstick, bool) or yardstick <= 0:
        return ""
    parts = []
    for r in ranked:
        one, run = r.cell("cost_one_off_pence"), r.cell("cost_running_pence")
        if one is None and run is None:
            continue
        total = ((one.mean if one else 0.0) + (run.mean if run else 0.0)) * scale.factor
        parts.append(f"<code>{_e(r.option)}</code> {_e(fmt_money(total))} "
                     f"({_e(fmt_number(float(f'{100 * total / yardstick:.3g}')))}%)")
    if not parts:
        return ""
    return (f"<p><b>Costs at national scale, beside SECMP0032's {_e(fmt_money(float(yardstick)))}</b> "
            f"(<code>costs.secmp0032_national</code>, the DCC's estimate): one-off + running over the horizon, "
            f"and in per cent of that figure: {'; '.join(parts)}.</p>")


def _sources_table(parent: str, parts: Sequence[str], ranked: Sequence[RankedOption],
                   metrics: Mapping[str, Any]) -> str:
    head = "".join(f"<th>{_e(getattr(metrics.get(p), 'label', p))}<br><span class='dim'><code>{_e(p)}</code>"
                   f"</span></th>" for p in parts)
    rows = [f"<tr><th>option</th><th>{_e(getattr(metrics.get(parent), 'label', parent))}</th>{head}</tr>"]
    for r in ranked:
        total = r.cell(parent)
        if total is None:
            continue
        cells = [f"<tr><td><code>{_e(r.option)}</code></td><td class='num'>{_e(fmt_number(total.mean))}</td>"]
        for p in parts:
            c = r.cell(p)
            share = "" if c is None or total.mean == 0 else f" ({fmt_number(round(100 * c.mean / total.mean, 1))}%)"
            cells.append(f"<td class='num'>{_e('—' if c is None else fmt_number(c.mean))}{_e(share)}</td>")
        rows.append("".join(cells) + "</tr>")
    return f"<table class='sources'>{''.join(rows)}</table>"


def _sources_sentence(parent: str, parts: Sequence[str], ranked: Sequence[RankedOption],
                      metrics: Mapping[str, Any]) -> str:
    base = next((r for r in ranked if r.option == BASELINE), None)
    total = base.cell(parent) if base else None
    if base is None or total is None or total.mean == 0:
        return ""
    shares = sorted(((c.mean / total.mean, p) for p in parts if (c := base.cell(p)) is not None), reverse=True)
    if not shares:
        return ""
    share, top = shares[0]
    label = getattr(metrics.get(top), "label", top)
    return (f"<p>For <code>baseline</code>, {_e(fmt_number(round(100 * share, 1)))}% of "
            f"<code>{_e(parent)}</code> comes from {_e(label)} (<code>{_e(top)}</code>).</p>")


def national_section(ranked: Sequence[RankedOption], metric_ids: Sequence[str], metrics: Mapping[str, Any],
                     scenario: Mapping[str, Any]) -> str:
    """The report's "National figures" and "Where the harm comes from" sections (HTML)."""
    scale = national_scale(scenario)
    out = ["<h2 id='national'>National figures</h2>"]
    if scale is None:
        out.append("<p>The stored scenario has no <code>premises</code>, <code>horizon_days</code> or "
                   "<code>costs.national_premises</code>; national figures cannot be scaled.</p>")
    else:
        years = fmt_number(scale.years)
        out.append(
            f"<p>Every metric scaled from the {_e(_three(scale.premises))} premises of this scenario to the "
            f"{_e(_three(scale.national_premises))} of <code>costs.national_premises</code>, over the horizon of "
            f"{_e(years)} year{'s' if scale.years != 1 else ''}: averages per premises-year &times; national "
            f"premises &times; years; fleet totals (costs) &times; national / sample premises; shares of premises "
            f"&times; national premises (customers). Under each: the 95% interval, and the figure per customer "
            f"(per premises-year) in minutes, hours or days. The largest reach of one compromise and CPA are "
            f"properties of the fleet and are not scaled.</p>")
        customers = [m for m in metric_ids if getattr(metrics.get(m), "national", "") == "share_of_premises"]
        if not customers:
            out.append("<p class='dim'>This run has no metric counting customers (a share of premises); the "
                       "totals below are customer-days and -hours summed over the fleet.</p>")
        out.append(_national_table(ranked, metric_ids, metrics, scale))
        out.append(_costs_paragraph(ranked, scenario, scale))
        for parent, points in distributions(ranked, metrics).items():
            out.append(_distribution_table(parent, points, ranked, metrics, scale))
    out.append("<h2 id='harm-sources'>Where the harm comes from</h2>")
    sources = harm_sources(ranked, metrics)
    if not sources:
        out.append("<p>This run's metrics do not split any harm by cause (no metric declares "
                   "<code>part_of</code>).</p>")
    for parent, parts in sources.items():
        out.append(_sources_sentence(parent, parts, ranked, metrics))
        out.append(_sources_table(parent, parts, ranked, metrics))
    return "".join(out)
