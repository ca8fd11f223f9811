"""The self-contained HTML report of a compare run.

One file: CSS in a ``<style>`` element, charts as inline SVG, no scripts and no network assets, so it
can be mailed to a working group and opened anywhere. It reads a finished results file (and, when
the sweeps were run, their saved result); it never re-runs the model. Every piece of text that
comes from data (ids, titles, sources, values) goes through ``html.escape``.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smetslab.fleet.sensitivity import DEFAULT_RANK_BY, SensitivityResult, analyse, ranking_rule
from smetslab.report.formatting import fmt_delta, fmt_interval, fmt_number, fmt_value
from smetslab.report.national import national_section
from smetslab.report.plots import bars_svg, scatter_svg, tornado_svg
from smetslab.report.ranking import (
    BASELINE,
    HARM_METRIC,
    SECURITY_METRICS,
    RankedOption,
    harm_metric,
    option_count,
    ranking,
    unbeaten,
)
from smetslab.report.security import security_section
from smetslab.report.store import StoredRun, is_yearly, read_run
from smetslab.report.yearly import yearly_section

__all__ = ["build_report", "render_report", "scenario_parameters", "HARM_METRIC", "SECURITY_METRICS", "SECTIONS",
           "ReportContext", "Section", "option_count", "precision_sentence"]


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:24px auto;
max-width:1400px;padding:0 16px;color:#1b1b1b;line-height:1.4}
h1{font-size:1.6em;margin-bottom:0.2em}h2{margin-top:1.8em;border-bottom:1px solid #ccc;padding-bottom:4px}
table{border-collapse:collapse;font-size:0.82em;margin:8px 0}
th,td{border:1px solid #d0d0d0;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f2f2f2}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}.dim{color:#666;font-size:0.9em}.iv{color:#555;font-size:0.85em;display:block}
.delta{font-size:0.85em;display:block}.better{color:#1a7f37}.worse{color:#b42318}
tr.baseline td{background:#f7f7f7}code{background:#f4f4f4;padding:0 3px}
.meta td:first-child{font-weight:600}svg{max-width:100%;height:auto}td.src{min-width:16em}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _metric_info(metrics: Mapping[str, Any], metric: str) -> tuple[str, str, str, str, str]:
    """(label, unit, kind, better, description) with safe defaults for a metric the catalogue lacks."""
    info = metrics.get(metric)
    return (
        str(getattr(info, "label", metric)),
        str(getattr(info, "unit", "")),
        str(getattr(info, "kind", "")),
        str(getattr(info, "better", "lower")),
        str(getattr(info, "description", "")),
    )


def _metric_order(metrics: Mapping[str, Any], present: Iterable[str]) -> list[str]:
    present_set = set(present)
    ordered = [m for m in metrics if m in present_set]
    return ordered + sorted(present_set - set(ordered))


def scenario_parameters(node: Any, prefix: str = "") -> list[tuple[str, Any, str | None]]:
    """Every (dotted path, value, source) of a scenario's JSON: a ``{value, source}`` object is one
    parameter; any other leaf is a setting without a source (None)."""
    rows: list[tuple[str, Any, str | None]] = []
    if isinstance(node, Mapping):
        if "value" in node and "source" in node:
            rows.append((prefix, node["value"], None if node["source"] is None else str(node["source"])))
            return rows
        for key, child in node.items():
            rows.extend(scenario_parameters(child, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(node, list) and any(isinstance(x, Mapping) for x in node):
        for i, child in enumerate(node):
            rows.extend(scenario_parameters(child, f"{prefix}[{i}]"))
    else:
        rows.append((prefix, node, None))
    return rows


def _plain(value: Any, *, grouped: bool = True) -> str:
    """A parameter value as text; ``grouped`` puts thousands separators in integers (pence amounts run to
    twelve digits) but not in settings such as the seed."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return fmt_number(value)
    if isinstance(value, int):
        return f"{value:,}" if grouped else str(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _better_class(delta: float | None, better: str) -> str:
    if delta is None or delta == 0 or math.isnan(delta):
        return ""
    good = delta < 0 if better == "lower" else delta > 0
    return "better" if good else "worse"


def _ranked_table(ranked: Sequence[RankedOption], metric_ids: Sequence[str], metrics: Mapping[str, Any],
                  rank_by: str) -> str:
    head = ["<tr><th>rank (group)</th><th>option (catalogue id and title)</th>"]
    for m in metric_ids:
        label, unit, kind, better, _ = _metric_info(metrics, m)
        mark = " \u2605" if m == rank_by else ""
        head.append(
            f"<th title='{_e(m)}'>{_e(label)}{mark}<br><span class='dim'><code>{_e(m)}</code>"
            f"{' · ' + _e(unit) if unit else ''}<br>{_e(kind)}, {_e(better)} is better</span></th>"
        )
    head.append("</tr>")
    body = []
    for r in ranked:
        cls = " class='baseline'" if r.option == BASELINE else ""
        cells = [f"<tr{cls}><td class='num'>{_e(r.rank_label)}</td><td><code>{_e(r.option)}</code><br>"
                 f"<span class='dim'>{_e(r.title)}</span></td>"]
        for m in metric_ids:
            c = r.cell(m)
            if c is None:
                cells.append("<td class='num'>\u2014</td>")
                continue
            _, unit, _, better, _ = _metric_info(metrics, m)
            iv = fmt_interval(c.lo, c.hi, unit)
            delta = "" if r.option == BASELINE else fmt_delta(c.delta, c.baseline, unit)
            paired = ""
            if delta and c.delta_lo is not None and c.delta_hi is not None and c.delta_lo != c.delta_hi:
                paired = fmt_interval(c.delta_lo, c.delta_hi, unit) + ("" if c.delta_significant else " n.s.")
            cells.append(
                f"<td class='num'>{_e(fmt_value(c.mean, unit))}"
                + (f"<span class='iv'>{_e(iv)}</span>" if iv else "")
                + (f"<span class='delta {_better_class(c.delta, better)}'>\u0394 {_e(delta)}</span>" if delta else "")
                + (f"<span class='iv'>\u0394 {_e(paired)}</span>" if paired else "")
                + "</td>"
            )
        cells.append("</tr>")
        body.append("".join(cells))
    return f"<div class='scroll'><table class='ranked'>{''.join(head)}{''.join(body)}</table></div>"


def _options_table(ranked: Sequence[RankedOption], run: StoredRun, catalogue: Mapping[str, Any]) -> str:
    rows = ["<tr><th>id</th><th>title</th><th>components</th><th>CPA needed</th><th>new hardware only</th>"
            "<th>what changes</th></tr>"]
    for r in ranked:
        stored = run.options.get(r.option)
        components = stored.components if stored else r.option
        parts = [p for p in (components or r.option).replace(",", "+").split("+") if p]
        desc = " + ".join(str(getattr(catalogue.get(p), "description", "")) for p in parts if p in catalogue)
        rows.append(
            f"<tr><td><code>{_e(r.option)}</code></td><td>{_e(r.title)}</td><td>{_e(components)}</td>"
            f"<td>{_e('yes' if stored and stored.cpa_needed else 'no' if stored else '?')}</td>"
            f"<td>{_e('yes' if stored and stored.new_hardware_only else 'no' if stored else '?')}</td>"
            f"<td>{_e(desc)}</td></tr>"
        )
    return f"<table>{''.join(rows)}</table>"


def _metrics_table(metric_ids: Sequence[str], metrics: Mapping[str, Any]) -> str:
    rows = ["<tr><th>id</th><th>label</th><th>unit</th><th>kind</th><th>better</th><th>description</th></tr>"]
    for m in metric_ids:
        label, unit, kind, better, desc = _metric_info(metrics, m)
        rows.append(f"<tr><td><code>{_e(m)}</code></td><td>{_e(label)}</td><td>{_e(unit)}</td><td>{_e(kind)}</td>"
                    f"<td>{_e(better)}</td><td>{_e(desc)}</td></tr>")
    return f"<table>{''.join(rows)}</table>"


def _moves(rank_change: Mapping[str, int]) -> str:
    moved = sorted((o, d) for o, d in rank_change.items() if d)
    if not moved:
        return "no change"
    down, up = "\u2193", "\u2191"  # a move down the table (worse rank) or up
    return ", ".join(f"{o} {down if d > 0 else up}{abs(d)}" for o, d in moved)


def _sensitivity_section(result: SensitivityResult, metrics: Mapping[str, Any], titles: Mapping[str, str]) -> str:
    if not result.sweeps:
        return ("<h2 id='sensitivity'>Sensitivity</h2><p>The sweeps were run, but the scenario lists none: add "
                "entries under <code>sensitivity:</code> (parameter path, low, high, label).</p>")
    _, unit, _, _, _ = _metric_info(metrics, result.rank_by)
    svg = tornado_svg(result, unit)
    leader = result.central_ranking[0] if result.central_ranking else ""
    rows = ["<tr><th>assumption</th><th>parameter</th><th>source</th><th>low / central / high</th>"
            "<th>positions moved (low / high)</th><th>top option (low / high)</th>"
            f"<th>ranking changes at low</th><th>ranking changes at high</th>"
            f"<th>\u0394 {_e(result.rank_by)} of {_e(leader)} (low / high)</th></tr>"]
    for s in result.ordered():
        lo_d = s.low.headline_delta.get(leader, math.nan)
        hi_d = s.high.headline_delta.get(leader, math.nan)
        rows.append(
            f"<tr><td>{_e(s.label)}</td><td><code>{_e(s.param)}</code></td><td class='src'>{_e(s.source or '')}</td>"
            f"<td class='num'>{_e(_plain(s.low.value))} /<br>{_e(_plain(s.central_value))} /<br>"
            f"{_e(_plain(s.high.value))}</td>"
            f"<td class='num'>{s.low.positions_moved} / {s.high.positions_moved}</td>"
            f"<td><code>{_e(s.low.ranking[0] if s.low.ranking else '')}</code> / "
            f"<code>{_e(s.high.ranking[0] if s.high.ranking else '')}</code></td>"
            f"<td>{_e(_moves(s.low.rank_change))}</td><td>{_e(_moves(s.high.rank_change))}</td>"
            f"<td class='num'>{_e(fmt_value(lo_d, unit))} / {_e(fmt_value(hi_d, unit))}</td></tr>"
        )
    central = ", ".join(f"{i}. {o}" for i, o in enumerate(result.central_ranking, start=1))
    return (
        "<h2 id='sensitivity'>Sensitivity: which assumptions move the ranking</h2>"
        f"<p>Each assumption below was set to its low and then its high value, every other one at its "
        f"central value, with the same seed ({result.seed}), and the scenario run again in memory. "
        f"Central ranking by <code>{_e(result.rank_by)}</code>: {_e(central)}. "
        f"&ldquo;Positions moved&rdquo; is the sum over options of how many places each moved out of its "
        f"central rank group{' (every option is its own group here)' if not result.central_groups else ''}; a "
        f"swap inside a group, whose order the replicates never established, moves nothing (0 = the same "
        f"order up to such swaps). Most influential first.</p>"
        f"<figure>{svg}</figure><div class='scroll'><table>{''.join(rows)}</table></div>"
    )


@dataclass(frozen=True)
class ReportContext:
    """Everything a section of the report may show, computed once (nothing here re-runs the model)."""

    run: StoredRun
    ranked: Sequence[RankedOption]
    metric_ids: Sequence[str]
    metrics: Mapping[str, Any]
    catalogue: Mapping[str, Any]
    rank_by: str
    titles: Mapping[str, str]
    sensitivity: SensitivityResult | None
    generated_at: str | None


Section = Callable[[ReportContext], str]


def _header_section(ctx: ReportContext) -> str:
    info, run = ctx.run.info, ctx.run
    name = info.get("scenario_name", run.scenario.get("name", "?"))
    n_reps = max((r.n_replicates for r in run.summary), default=0)
    meta_rows = [
        ("scenario", name),
        ("scenario sha256", info.get("scenario_sha256", "")),
        ("seed", info.get("seed", "")),
        ("replicates", n_reps),
        ("precision", precision_sentence(info, n_reps)),
        ("entries compared", option_count([r.option for r in ctx.ranked])),
        ("smetslab version", info.get("version", "")),
        ("report generated", ctx.generated_at or "not recorded"),
        ("results file", run.db_path.name),
        ("backend", info.get("backend", "")),
        ("chunks", f"{info.get('n_chunks', '?')} work chunks of up to {info.get('chunk_premises', '?')} premises"),
        ("run status", info.get("status", "")),
    ]
    meta = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in meta_rows)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>smetslab compare: {_e(name)}</title><style>{_CSS}</style></head><body>"
        f"<h1>No-WAN options compared: {_e(name)}</h1>"
        f"<p class='dim'>smetslab {_e(info.get('version', ''))} · seed {_e(info.get('seed', ''))} · "
        f"{n_reps} replicates · report generated {_e(ctx.generated_at or 'not recorded')}</p>"
        f"<table class='meta'>{meta}</table>"
    )


def precision_sentence(info: Mapping[str, str], n_replicates: int) -> str:
    """What ``--precision`` reached, from the run's ``run_info`` (``fleet.precision`` writes it)."""
    target = info.get("precision_target")
    if not target:
        return f"fixed replicate count ({n_replicates}); no precision target"
    reached = info.get("precision_reached", "?")
    metric = info.get("precision_metric", "?")
    met = info.get("precision_met") == "true"
    try:
        pct = f"{100 * float(reached):.2f}%"
    except ValueError:
        pct = reached
    try:
        steps = [int(k) for k, _ in json.loads(info.get("precision_rounds") or "[]")]
    except (ValueError, TypeError):
        steps = []
    arrow = " \u2192 "
    path = f" ({arrow.join(str(k) for k in steps)})" if len(steps) > 1 else ""
    return (f"target: 95% half-width of baseline's {metric} within {100 * float(target):g}% of its mean; "
            f"reached {pct} with {n_replicates} replicates{path}"
            + ("" if met else f" - NOT met: stopped at the cap of {info.get('precision_cap', '?')} replicates"))


def _ranking_section(ctx: ReportContext) -> str:
    front = unbeaten(ctx.ranked, ctx.rank_by, ctx.metrics)
    harm = harm_metric(ctx.rank_by, ctx.metrics)
    shared = sorted({r.group for r in ctx.ranked if r.group_size > 1})
    groups = ("; ".join(", ".join(f"<code>{_e(r.option)}</code>" for r in ctx.ranked if r.group == g)
                        for g in shared)) or "none"
    front_text = ", ".join(f"<code>{_e(o)}</code> ({_e(ctx.titles.get(o, ''))})" for o in front) or "none"
    return (
        "<h2 id='ranking'>Ranking against baseline</h2>"
        f"<p><b>Rule:</b> {_e(ranking_rule(ctx.rank_by, ctx.metrics))}. <b>Rank groups:</b> walking down the "
        f"ranking, an option shares the group of the option above it while its paired difference in "
        f"<code>{_e(ctx.rank_by)}</code> from the group's first member is not significant (the 95% interval of "
        f"the per-replicate differences contains 0); a shared group is shown as <code>n=</code>. Shared groups: "
        f"{groups}. The order inside a group is within the noise of the replicates.</p>"
        f"<p><b>No option beats these on harm, cost and security together</b> (<code>{_e(harm)}</code>, total "
        f"cost, {', '.join(f'<code>{_e(m)}</code>' for m in SECURITY_METRICS)}; means): {front_text}. Every other "
        f"option is worse than one of them on at least one of these and no better on any. Which of them to prefer "
        f"is a trade-off for the reader, not a ranking.</p>"
        f"<p>Each cell is the mean over replicates, its 95% interval across replicates in brackets (none with one "
        f"replicate), and &Delta; the difference from <code>baseline</code>'s mean (green: better, red: worse) "
        f"with, below it, the 95% interval of the paired per-replicate differences (every option sees the same "
        f"premises and incidents in a replicate, so the pairs share their noise). &#9733; marks the rank-by "
        f"metric. Per-premises-year averages unless the unit says otherwise.</p>"
        + _ranked_table(ctx.ranked, ctx.metric_ids, ctx.metrics, ctx.rank_by)
    )


def _charts_section(ctx: ReportContext) -> str:
    labels = {m: (_metric_info(ctx.metrics, m)[0], _metric_info(ctx.metrics, m)[1]) for m in ctx.metric_ids}
    harm = ctx.rank_by if _metric_info(ctx.metrics, ctx.rank_by)[2] == "harm" else HARM_METRIC
    scatter = scatter_svg(ctx.ranked, harm, SECURITY_METRICS, labels)
    bars = bars_svg(ctx.ranked, ctx.metric_ids, labels)
    return (
        "<h2 id='harm-vs-security'>Customer harm against security exposure</h2>"
        f"<p>One point per option with its intervals; grey is <code>baseline</code>. Down and to the left is "
        f"better on both.</p><figure>{scatter}</figure>"
        "<h2 id='metrics'>Every metric, with intervals</h2>"
        f"<p>Options in rank order; bars are means, whiskers the 95% interval across replicates.</p>"
        f"<figure>{bars}</figure>"
    )


def _national_section(ctx: ReportContext) -> str:
    return national_section(ctx.ranked, ctx.metric_ids, ctx.metrics, ctx.run.scenario)


def _sensitivity(ctx: ReportContext) -> str:
    if ctx.sensitivity is not None:
        return _sensitivity_section(ctx.sensitivity, ctx.metrics, ctx.titles)
    return ("<h2 id='sensitivity'>Sensitivity</h2><p>Not run. Run <code>smetslab compare --sensitivity"
            "</code> to see which assumptions move the ranking.</p>")


def _reference_section(ctx: ReportContext) -> str:
    params = scenario_parameters(ctx.run.scenario)
    param_rows = "".join(
        f"<tr><td><code>{_e(p)}</code></td><td>{_e(_plain(v, grouped=s is not None))}</td>"
        f"<td>{_e(s if s is not None else '(setting)')}</td></tr>"
        for p, v, s in params
    )
    return (
        "<h2 id='options'>Options (catalogue ids)</h2>"
        + _options_table(ctx.ranked, ctx.run, ctx.catalogue)
        + "<h2 id='metric-definitions'>Metrics</h2>"
        + _metrics_table(ctx.metric_ids, ctx.metrics)
        + "<h2 id='scenario'>Scenario: every parameter, its value and its source</h2>"
        f"<div class='scroll'><table><tr><th>parameter</th><th>value</th><th>source</th></tr>{param_rows}</table>"
        "</div>"
    )


def _security_section(ctx: ReportContext) -> str:
    """The risk register's views (smetslab.risk, report/security.py)."""
    return security_section(ctx.run, ctx.sensitivity)


SECTIONS: list[Section] = [
    _header_section,
    _ranking_section,
    _national_section,
    _charts_section,
    yearly_section,
    _sensitivity,
    _security_section,
    _reference_section,
]
"""The report's sections in order; each renders HTML from the context. Another section is one function
inserted here."""


def render_report(
    run: StoredRun,
    *,
    rank_by: str = DEFAULT_RANK_BY,
    sensitivity: SensitivityResult | None = None,
    metrics: Mapping[str, Any] | None = None,
    catalogue: Mapping[str, Any] | None = None,
    generated_at: str | None = None,
    sections: Sequence[Section] | None = None,
) -> str:
    """The report as an HTML string. ``metrics``/``catalogue`` default to ``fleet.METRICS`` and
    ``policy`` ``OPTIONS``; ``generated_at`` is the wall-clock date the shell passes in; ``sections``
    defaults to ``SECTIONS``."""
    if metrics is None:
        from smetslab.fleet import METRICS as metrics
    if catalogue is None:
        from smetslab.fleet import OPTIONS as catalogue
    assert metrics is not None and catalogue is not None
    titles = dict(run.titles)
    for option in {row.option for row in run.summary}:
        if not titles.get(option):
            parts = option.split("+")
            titles[option] = " + ".join(str(getattr(catalogue.get(p), "title", p)) for p in parts)
    ranked = ranking(run.summary, rank_by, metrics=metrics, titles=titles, values=run.values)
    # the per-year figures (``<metric>@y<N>``) are in ``run.yearly`` for the per-year section, never here
    metric_ids = _metric_order(metrics, {row.metric for row in run.summary if not is_yearly(row.metric)})
    if sensitivity is not None and sensitivity.rank_by != rank_by:
        sensitivity = analyse(sensitivity, rank_by, metrics=metrics)  # re-ranks the saved means; no re-run
    ctx = ReportContext(run=run, ranked=ranked, metric_ids=metric_ids, metrics=metrics, catalogue=catalogue,
                        rank_by=rank_by, titles=titles, sensitivity=sensitivity, generated_at=generated_at)
    body = "".join(section(ctx) for section in (SECTIONS if sections is None else sections))
    return body + ("<p class='dim'>Generated by smetslab from the results file above; the report reads results "
                   "and never re-runs the model.</p></body></html>\n")


def build_report(
    db_path: str | Path,
    out_html: str | Path,
    *,
    sensitivity: SensitivityResult | None = None,
    rank_by: str = DEFAULT_RANK_BY,
    generated_at: str | None = None,
) -> Path:
    """Write the self-contained report of the finished run in ``db_path`` to ``out_html``.

    Raises InputError when the results file is missing, not a results file, or not finished.
    """
    run = read_run(db_path)
    text = render_report(run, rank_by=rank_by, sensitivity=sensitivity, generated_at=generated_at)
    out = Path(out_html)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)  # a reader never sees half a report
    return out
