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
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from smetslab.fleet.sensitivity import DEFAULT_RANK_BY, SensitivityResult, analyse, ranking_rule
from smetslab.report._format import fmt_delta, fmt_interval, fmt_number, fmt_value
from smetslab.report._store import StoredRun, read_run
from smetslab.report.plots import bars_svg, scatter_svg, tornado_svg
from smetslab.report.ranking import BASELINE, RankedOption, ranking
from smetslab.report.security import security_section

__all__ = ["build_report", "render_report", "scenario_parameters", "HARM_METRIC", "SECURITY_METRICS"]

HARM_METRIC = "no_route_days"
SECURITY_METRICS = ("expected_rogue_joins", "max_premises_per_compromise")

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
    head = ["<tr><th>rank</th><th>option (catalogue id and title)</th>"]
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
        cells = [f"<tr{cls}><td class='num'>{r.rank}</td><td><code>{_e(r.option)}</code><br>"
                 f"<span class='dim'>{_e(r.title)}</span></td>"]
        for m in metric_ids:
            c = r.cell(m)
            if c is None:
                cells.append("<td class='num'>\u2014</td>")
                continue
            _, unit, _, better, _ = _metric_info(metrics, m)
            iv = fmt_interval(c.lo, c.hi, unit)
            delta = "" if r.option == BASELINE else fmt_delta(c.delta, c.baseline, unit)
            cells.append(
                f"<td class='num'>{_e(fmt_value(c.mean, unit))}"
                + (f"<span class='iv'>{_e(iv)}</span>" if iv else "")
                + (f"<span class='delta {_better_class(c.delta, better)}'>\u0394 {_e(delta)}</span>" if delta else "")
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
        f"&ldquo;Positions moved&rdquo; is the sum over options of how many places each moved "
        f"(0 = same order). Most influential first.</p>"
        f"<figure>{svg}</figure><div class='scroll'><table>{''.join(rows)}</table></div>"
    )


def render_report(
    run: StoredRun,
    *,
    rank_by: str = DEFAULT_RANK_BY,
    sensitivity: SensitivityResult | None = None,
    metrics: Mapping[str, Any] | None = None,
    catalogue: Mapping[str, Any] | None = None,
    generated_at: str | None = None,
) -> str:
    """The report as an HTML string. ``metrics``/``catalogue`` default to ``fleet.METRICS`` and
    ``policy`` ``OPTIONS``; ``generated_at`` is the wall-clock date the shell passes in."""
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
    ranked = ranking(run.summary, rank_by, metrics=metrics, titles=titles)
    metric_ids = _metric_order(metrics, {row.metric for row in run.summary})
    labels = {m: (_metric_info(metrics, m)[0], _metric_info(metrics, m)[1]) for m in metric_ids}
    harm = rank_by if _metric_info(metrics, rank_by)[2] == "harm" else HARM_METRIC
    scatter = scatter_svg(ranked, harm, SECURITY_METRICS, labels)
    bars = bars_svg(ranked, metric_ids, labels)
    info = run.info
    name = info.get("scenario_name", run.scenario.get("name", "?"))
    n_reps = max((r.n_replicates for r in run.summary), default=0)
    if sensitivity is not None and sensitivity.rank_by != rank_by:
        sensitivity = analyse(sensitivity, rank_by, metrics=metrics)  # re-ranks the saved means; no re-run
    meta_rows = [
        ("scenario", name),
        ("scenario sha256", info.get("scenario_sha256", "")),
        ("seed", info.get("seed", "")),
        ("replicates", n_reps),
        ("smetslab version", info.get("version", "")),
        ("report generated", generated_at or "not recorded"),
        ("results file", run.db_path.name),
        ("backend", info.get("backend", "")),
        ("chunks", f"{info.get('n_chunks', '?')} work chunks of up to {info.get('chunk_premises', '?')} premises"),
        ("run status", info.get("status", "")),
    ]
    meta = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in meta_rows)
    params = scenario_parameters(run.scenario)
    param_rows = "".join(
        f"<tr><td><code>{_e(p)}</code></td><td>{_e(_plain(v, grouped=s is not None))}</td>"
        f"<td>{_e(s if s is not None else '(setting)')}</td></tr>"
        for p, v, s in params
    )
    top = ranked[0]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>smetslab compare: {_e(name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>No-WAN options compared: {_e(name)}</h1>",
        f"<p class='dim'>smetslab {_e(info.get('version', ''))} · seed {_e(info.get('seed', ''))} · "
        f"{n_reps} replicates · report generated {_e(generated_at or 'not recorded')}</p>",
        f"<table class='meta'>{meta}</table>",
        "<h2 id='ranking'>Ranking against baseline</h2>",
        f"<p><b>Rule:</b> {_e(ranking_rule(rank_by, metrics))}. Rank 1 is <code>{_e(top.option)}</code> "
        f"({_e(top.title)}). Every metric is shown, so the table can be read by any of them: each cell is the "
        f"mean over replicates, its 95% interval across replicates in brackets (none with one replicate), and "
        f"&Delta; the difference from <code>baseline</code>'s mean (green: better, red: worse). "
        f"&#9733; marks the rank-by metric. Per-premises-year averages unless the unit says otherwise.</p>",
        _ranked_table(ranked, metric_ids, metrics, rank_by),
        "<h2 id='harm-vs-security'>Customer harm against security exposure</h2>",
        f"<p>One point per option with its intervals; grey is <code>baseline</code>. Down and to the left is "
        f"better on both.</p><figure>{scatter}</figure>",
        "<h2 id='metrics'>Every metric, with intervals</h2>",
        f"<p>Options in rank order; bars are means, whiskers the 95% interval across replicates.</p>"
        f"<figure>{bars}</figure>",
    ]
    if sensitivity is not None:
        parts.append(_sensitivity_section(sensitivity, metrics, titles))
    else:
        parts.append("<h2 id='sensitivity'>Sensitivity</h2><p>Not run. Run <code>smetslab compare --sensitivity"
                     "</code> to see which assumptions move the ranking.</p>")
    parts.append(security_section(run, sensitivity))  # issue 9: smetslab.risk's register (report/security.py)
    parts += [
        "<h2 id='options'>Options (catalogue ids)</h2>",
        _options_table(ranked, run, catalogue),
        "<h2 id='metric-definitions'>Metrics</h2>",
        _metrics_table(metric_ids, metrics),
        "<h2 id='scenario'>Scenario: every parameter, its value and its source</h2>",
        f"<div class='scroll'><table><tr><th>parameter</th><th>value</th><th>source</th></tr>{param_rows}</table></div>",
        "<p class='dim'>Generated by smetslab from the results file above; the report reads results and never "
        "re-runs the model.</p></body></html>\n",
    ]
    return "".join(parts)


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
