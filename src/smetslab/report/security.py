"""The security section of the compare report, and the standalone ``risk.html`` of ``smetslab risk``.

Reads a finished run (its metric means and scenario) and scores the risk register with ``smetslab.risk``
(scoring is arithmetic on stored results: nothing is simulated again). No scripts and no external assets:
the register's filter is CSS radio buttons, the charts hand-written inline SVG. Every piece of text that
comes from data goes through ``html.escape``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from smetslab.errors import InputError
from smetslab.fleet.stats import non_dominated
from smetslab.report.store import StoredRun
from smetslab.risk.catalogue import Catalogue, load_catalogue
from smetslab.risk.register import BASELINE, OptionRegister, RiskParams, StabilityChange, registers, stability
from smetslab.risk.scoring import RATINGS, Method

__all__ = ["run_means", "run_registers", "security_section", "render_risk_page", "pareto_options", "HARM", "COSTS"]

HARM = "no_route_days"
COSTS = ("cost_one_off_pence", "cost_running_pence")
_COLOUR = {"Low": "#d9f0d3", "Moderate": "#fee08b", "High": "#fc8d59", "Critical": "#d73027"}

_CSS = """
.heat{display:inline-block;margin:4px 10px 10px 0;vertical-align:top}.heat table{font-size:0.7em}
.heat td{width:1.6em;height:1.4em;text-align:center;padding:0}.heat caption{font-size:0.8em;text-align:left}
.rf input{margin-left:10px}.rating{font-weight:600}
#rf-Critical:checked~div tr.r-Low,#rf-Critical:checked~div tr.r-Moderate,#rf-Critical:checked~div tr.r-High{display:none}
#rf-High:checked~div tr.r-Low,#rf-High:checked~div tr.r-Moderate,#rf-High:checked~div tr.r-Critical{display:none}
#rf-Moderate:checked~div tr.r-Low,#rf-Moderate:checked~div tr.r-High,#rf-Moderate:checked~div tr.r-Critical{display:none}
#rf-Low:checked~div tr.r-Moderate,#rf-Low:checked~div tr.r-High,#rf-Low:checked~div tr.r-Critical{display:none}
"""


def _e(v: Any) -> str:
    return html.escape(str(v), quote=True)


def run_means(run: StoredRun) -> dict[str, dict[str, float]]:
    """option -> metric -> mean over replicates, as stored."""
    out: dict[str, dict[str, float]] = {}
    for row in run.summary:
        out.setdefault(row.option, {})[row.metric] = float(row.mean)
    return out


def run_registers(run: StoredRun, method: Method | None = None, catalogue: Catalogue | None = None
                  ) -> tuple[dict[str, OptionRegister], RiskParams, Any]:
    """The run's registers (every option), the risk parameters and the validated scenario.

    Raises InputError when the run's scenario has no security parameters (a run of an older version)."""
    from smetslab.fleet.scenario import validate_scenario

    scen = validate_scenario(run.scenario, where=f"stored in {run.db_path.name}")
    rp = RiskParams.from_scenario(scen, method)
    means = run_means(run)
    order = [o for o in scen.options if o in means]
    return registers(means, rp, catalogue or load_catalogue(), method, order), rp, scen


def pareto_options(means: Mapping[str, Mapping[str, float]], regs: Mapping[str, OptionRegister]) -> list[str]:
    """The options no other option beats on harm, cost and risk together (``fleet.stats.non_dominated``)."""
    pts = {o: (means[o].get(HARM, 0.0), sum(means[o].get(c, 0.0) for c in COSTS), regs[o].total_score)
           for o in regs}
    return non_dominated(pts)


def _counts_table(regs: Mapping[str, OptionRegister], pareto: Sequence[str], means: Mapping[str, Mapping[str, float]]) -> str:
    head = ("option", "risks", "unique", "critical", "high", "moderate", "low", "new", "removed", "changed",
            "total score", "appetite", "reach (premises)", "grid MW", "not beaten")
    rows = []
    for o, r in regs.items():
        c = r.counts
        m = means.get(o, {})
        cells = [f"<td><code>{_e(o)}</code></td>"] + [
            f"<td class='num'>{c[k]}</td>" for k in ("risks", "unique", "critical", "high", "moderate", "low")]
        if o == BASELINE:
            cells += ["<td class='num'>&mdash;</td>"] * 3
        else:
            cells += [f"<td class='num'>{c[k]}</td>" for k in ("new", "removed", "changed")]
        cells += [f"<td class='num'>{r.total_score:g}</td>",
                  f"<td class='{'better' if r.within_appetite else 'worse'}'>"
                  f"{'within' if r.within_appetite else 'over'}</td>",
                  f"<td class='num'>{m.get('max_premises_per_compromise', float('nan')):,.0f}</td>",
                  f"<td class='num'>{m.get('grid_mw_per_compromise', float('nan')):,.1f}</td>",
                  f"<td>{'&#10003;' if o in pareto else ''}</td>"]
        rows.append(f"<tr{' class=baseline' if o == BASELINE else ''}>{''.join(cells)}</tr>")
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    return f"<div class='scroll'><table><tr>{th}</tr>{''.join(rows)}</table></div>"


def _heat_maps(regs: Mapping[str, OptionRegister]) -> str:
    out = []
    for o, r in regs.items():
        grid = [[0] * 5 for _ in range(5)]
        for row in r.rows:
            grid[row.impact - 1][row.likelihood - 1] += 1
        trs = []
        for im in range(5, 0, -1):
            tds = []
            for lk in range(1, 6):
                n = grid[im - 1][lk - 1]
                shade = _COLOUR[RATINGS[min(3, (lk * im) // 6)]]
                tds.append(f"<td style='background:{shade}'>{n or ''}</td>")
            trs.append(f"<tr><th>{im}</th>{''.join(tds)}</tr>")
        foot = "<tr><th></th>" + "".join(f"<th>{lk}</th>" for lk in range(1, 6)) + "</tr>"
        out.append(f"<div class='heat'><table><caption><code>{_e(o)}</code></caption>{''.join(trs)}{foot}"
                   f"</table></div>")
    return ("<p class='dim'>Rows: impact 5 (top) to 1; columns: likelihood 1 to 5; each cell counts the option's "
            "threats there (shading: likelihood &times; impact).</p>" + "".join(out))


def _harm_risk_svg(regs: Mapping[str, OptionRegister], means: Mapping[str, Mapping[str, float]], appetite_high: int) -> str:
    pts = [(o, means[o].get(HARM, 0.0), r.counts["high"] + r.counts["critical"]) for o, r in regs.items()]
    if not pts:
        return ""
    w, h, pad = 640, 360, 50
    xmax = max(p[1] for p in pts) * 1.1 or 1.0
    ymax = max(max(p[2] for p in pts), appetite_high) + 2

    def sx(x: float) -> float:
        return pad + (w - 2 * pad) * x / xmax

    def sy(y: float) -> float:
        return h - pad - (h - 2 * pad) * y / ymax

    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {w} {h}' width='{w}' height='{h}' "
             f"font-size='10' font-family='sans-serif'>",
             f"<line x1='{pad}' y1='{h - pad}' x2='{w - pad}' y2='{h - pad}' stroke='#333'/>",
             f"<line x1='{pad}' y1='{pad}' x2='{pad}' y2='{h - pad}' stroke='#333'/>",
             f"<line x1='{pad}' y1='{sy(appetite_high + 0.5):.1f}' x2='{w - pad}' y2='{sy(appetite_high + 0.5):.1f}' "
             f"stroke='#b42318' stroke-dasharray='5,4'/>",
             f"<text x='{w - pad}' y='{sy(appetite_high + 0.5) - 4:.1f}' text-anchor='end' fill='#b42318'>"
             f"risk appetite: at most {appetite_high} High, no Critical</text>",
             f"<text x='{w / 2}' y='{h - 12}' text-anchor='middle'>days without a top-up route per premises-year "
             f"(harm)</text>",
             f"<text x='14' y='{h / 2}' text-anchor='middle' transform='rotate(-90 14 {h / 2})'>risks rated High "
             f"or Critical</text>",
             f"<text x='{pad}' y='{h - pad + 14}' text-anchor='middle'>0</text>",
             f"<text x='{w - pad}' y='{h - pad + 14}' text-anchor='middle'>{xmax:.3g}</text>",
             f"<text x='{pad - 6}' y='{sy(ymax) + 4:.1f}' text-anchor='end'>{ymax}</text>"]
    for i, (o, x, y) in enumerate(pts):
        colour = "#b42318" if not regs[o].within_appetite else "#1a7f37"
        parts.append(f"<circle cx='{sx(x):.1f}' cy='{sy(y):.1f}' r='4' fill='{colour}'><title>{_e(o)}: "
                     f"{x:.3g} days, {y} High/Critical</title></circle>")
        parts.append(f"<text x='{sx(x) + 6:.1f}' y='{sy(y) - 4 - 9 * (i % 2):.1f}'>{_e(o)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _register_table(regs: Mapping[str, OptionRegister]) -> str:
    radios = "".join(
        f"<input type='radio' name='rf' id='rf-{r}'{' checked' if r == 'All' else ''}>"
        f"<label for='rf-{r}'>{r}</label>" for r in ("All", "Critical", "High", "Moderate", "Low"))
    head = ("option", "threat", "title", "asset", "STRIDE", "attacker", "C/I/A impact", "capability", "likelihood",
            "impact", "score", "rating", "what drives it")
    rows = []
    for o, reg in regs.items():
        for r in sorted(reg.rows, key=lambda x: (-x.score, x.threat_id)):
            cia = "/".join(str(v) for v in r.impact_cia.values())
            rows.append(
                f"<tr class='r-{r.rating}'><td><code>{_e(o)}</code></td><td><code>{_e(r.threat_id)}</code></td>"
                f"<td>{_e(r.title)}</td><td>{_e(r.asset)}</td><td>{_e(r.stride)}</td><td>{_e(r.attacker)}</td>"
                f"<td class='num'>{cia}</td><td class='num'>{r.capability}</td><td class='num'>{r.likelihood}</td>"
                f"<td class='num'>{r.impact}</td><td class='num'>{r.score:g}</td>"
                f"<td class='rating' style='background:{_COLOUR[r.rating]}'>{r.rating}</td>"
                f"<td class='dim'>{_e(r.drivers)}</td></tr>")
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    return (f"<div class='rf'>Show rating: {radios}<div class='scroll'><table><tr>{th}</tr>{''.join(rows)}"
            f"</table></div></div>")


def _stability_table(changes: Sequence[StabilityChange]) -> str:
    if not changes:
        return "<p>No risk changes rating when a swept assumption moves to its low or high value.</p>"
    rows = "".join(
        f"<tr><td>{_e(c.label)}</td><td>{_e(c.end)} = {_e(c.value)}</td><td><code>{_e(c.option)}</code></td>"
        f"<td><code>{_e(c.threat_id)}</code></td><td>{_e(c.central or 'absent')}</td>"
        f"<td>{_e(c.moved or 'absent')}</td></tr>" for c in changes)
    return ("<div class='scroll'><table><tr><th>swept assumption</th><th>end</th><th>option</th><th>threat</th>"
            f"<th>central rating</th><th>rating there</th></tr>{rows}</table></div>")


def _body(regs: Mapping[str, OptionRegister], rp: RiskParams, means: Mapping[str, Mapping[str, float]],
          changes: Sequence[StabilityChange] | None, swept: bool) -> str:
    pareto = pareto_options(means, regs)
    method = next(iter(regs.values())).method if regs else rp.method
    parts = [
        f"<p>Every threat of the catalogue that applies to an option, scored with the <b>{_e(method)}</b> method "
        f"(docs/risk.md). Likelihood comes from the option's simulated metrics through the scenario's bands "
        f"(expected successful attacks a year across {rp.national_premises:,.0f} premises: edges "
        f"{', '.join(f'{x:g}' for x in rp.likelihood_edges)}); impact from the reach of one success, escalating "
        f"to 5 at the normal infeed loss limit ({rp.normal_infeed_loss_mw:g} MW). Risk appetite: no rating above "
        f"{_e(rp.appetite_max_rating)}, at most {rp.appetite_max_high} High. Risks count each threat once per "
        f"CIA effect (the seed's 'risks'); unique risks count threats.</p>",
        "<h3>Rating counts per option</h3>", _counts_table(regs, pareto, means),
        f"<p><b>Not beaten on harm, cost and risk together</b> (no other option is at least as good on days "
        f"without a route, total cost and total risk score, and better on one): "
        f"{', '.join(f'<code>{_e(o)}</code>' for o in pareto) or 'none'}.</p>",
        "<h3>Harm against risk</h3>", f"<figure>{_harm_risk_svg(regs, means, rp.appetite_max_high)}</figure>",
        "<h3>Likelihood &times; impact per option</h3>", _heat_maps(regs),
        "<h3>The register</h3>", _register_table(regs),
        "<h3>Stability under the sensitivity sweeps</h3>",
        _stability_table(changes or []) if swept else
        "<p>Not run. Run <code>smetslab compare --sensitivity</code> to see which risks change rating when an "
        "assumption moves.</p>",
    ]
    return "".join(parts)


def security_section(run: StoredRun, sensitivity: Any = None, *, method: Method | None = None,
                     catalogue: Catalogue | None = None) -> str:
    """The compare report's security section (a note instead when the run predates the security parameters)."""
    try:
        regs, rp, scen = run_registers(run, method, catalogue)
    except InputError as exc:
        return (f"<h2 id='security'>Security: risk register</h2><p>Not available for this run: {_e(exc)}</p>")
    cat = catalogue or load_catalogue()
    changes = stability(sensitivity, scen, cat, method) if sensitivity is not None else None
    return (f"<style>{_CSS}</style><h2 id='security'>Security: risk register</h2>"
            + _body(regs, rp, run_means(run), changes, sensitivity is not None))


def render_risk_page(run: StoredRun, regs: Mapping[str, OptionRegister], rp: RiskParams, *,
                     changes: Sequence[StabilityChange] | None = None, generated_at: str | None = None) -> str:
    """``risk.html``: the register of a run on its own page."""
    from smetslab.report.html import _CSS as REPORT_CSS

    name = run.info.get("scenario_name", "?")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>smetslab risk: {_e(name)}</title><style>{REPORT_CSS}{_CSS}</style></head><body>"
            f"<h1>Risk register: {_e(name)}</h1><p class='dim'>smetslab {_e(run.info.get('version', ''))} · seed "
            f"{_e(run.info.get('seed', ''))} · generated {_e(generated_at or 'not recorded')} · results "
            f"{_e(run.db_path.name)}</p>" + _body(regs, rp, run_means(run), changes, changes is not None)
            + "</body></html>\n")
