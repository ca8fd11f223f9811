"""The report's per-year view of a multi-year run: the yearly metrics per option and year, with intervals,
the fleet's growth, and one small line chart per metric (options as lines, years on the x axis).

The figures are the ``<metric>@y<N>`` rows the fleet model stores beside the metrics
(``fleet.metrics.YEARLY_METRICS``; ``read_run`` keeps them in ``StoredRun.yearly``, apart from the
whole-horizon metrics). Nothing is recomputed: a cell is the stored summary (mean and 95% interval
across replicates) of that option, metric and year. The point of the view is growth: an option that
needs new hardware reaches only premises installed after the horizon starts, so its harm falls year by
year as those premises grow into the fleet, while a firmware option's falls once its rollout is done.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from smetslab.report.formatting import fmt_interval, fmt_value
from smetslab.report.plots import _figure, _style, _svg, metric_scale
from smetslab.report.ranking import BASELINE, SummaryLike

if TYPE_CHECKING:
    from smetslab.report.html import ReportContext

__all__ = ["YEARLY_SHOWN", "FLEET_SHARE", "parse_yearly", "years_of", "per_year_line", "yearly_table", "yearly_lines_svg", "yearly_section"]

FLEET_SHARE = "fleet_share"
YEARLY_SHOWN = ("no_route_days", "self_disconnection_hours", "gas_self_disconnection_hours", "utrn_only_days",
                "wan_down_days", "debt_pence")
"""The per-year metrics shown with a chart each, in this order (``fleet.metrics.YEARLY_METRICS`` less the
fleet's growth, which is shown once: it is the same for every option)."""

_KEY = re.compile(r"^(?P<metric>.+)@y(?P<year>[1-9][0-9]*)$")

Cell = tuple[float, float, float]
"""(mean, lo, hi) of one option, metric and year."""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def parse_yearly(rows: Sequence[SummaryLike]) -> dict[str, dict[str, dict[int, Cell]]]:
    """metric -> option -> year (1-based) -> (mean, lo, hi), from the ``<metric>@y<N>`` summary rows."""
    out: dict[str, dict[str, dict[int, Cell]]] = {}
    for r in rows:
        m = _KEY.match(r.metric)
        if m is None:
            continue
        out.setdefault(m["metric"], {}).setdefault(r.option, {})[int(m["year"])] = (
            float(r.mean), float(r.lo), float(r.hi))
    return out


def _years(parsed: Mapping[str, Mapping[str, Mapping[int, Cell]]]) -> list[int]:
    return sorted({y for by_option in parsed.values() for by_year in by_option.values() for y in by_year})


def years_of(rows: Sequence[SummaryLike]) -> int:
    """How many years of the horizon the per-year rows cover (0 when there are none)."""
    return max(_years(parse_yearly(rows)), default=0)


def per_year_line(rows: Sequence[SummaryLike]) -> str:
    """The one line ``smetslab compare`` prints for a multi-year run (under 80 columns); empty otherwise."""
    n = years_of(rows)
    return f"per year: a {n}-year horizon; each option year by year in report.html#per-year" if n > 1 else ""


def _year_span(year: int, horizon_days: float | None) -> str:
    """``days 730–1,095`` (the last year may be a part year)."""
    lo = 365 * (year - 1)
    hi = 365 * year if horizon_days is None else min(365 * year, horizon_days)
    return f"days {lo:,}\u2013{hi:,.0f}"


def _cell_html(cell: Cell | None, unit: str) -> str:
    if cell is None:
        return "<td class='num'>\u2014</td>"
    mean, lo, hi = cell
    iv = fmt_interval(lo, hi, unit)
    # the exact stored figures in the tooltip: the shown value is rounded to 4 significant figures
    exact = f"mean {mean:.9g}" + (f", 95% interval {lo:.9g} to {hi:.9g}" if lo != hi else "")
    return (f"<td class='num' title='{_e(exact)}'>{_e(fmt_value(mean, unit))}"
            + (f"<span class='iv'>{_e(iv)}</span>" if iv else "") + "</td>")


def yearly_table(by_option: Mapping[str, Mapping[int, Cell]], options: Sequence[str], years: Sequence[int],
                 unit: str, metric: str, titles: Mapping[str, str], new_hardware: Mapping[str, bool],
                 horizon_days: float | None = None) -> str:
    """One row per option (in the order given), one column per year: mean and 95% interval."""
    head = "".join(f"<th>year {y}<br><span class='dim'>{_e(_year_span(y, horizon_days))}</span></th>"
                   for y in years)
    rows = [f"<tr><th>option</th>{head}</tr>"]
    for o in options:
        if o not in by_option:
            continue
        cls = " class='baseline'" if o == BASELINE else ""
        tag = " <span class='dim'>(new hardware only)</span>" if new_hardware.get(o) else ""
        cells = "".join(_cell_html(by_option[o].get(y), unit) for y in years)
        rows.append(f"<tr{cls} data-metric='{_e(metric)}' data-option='{_e(o)}'><td><code>{_e(o)}</code>{tag}"
                    f"<br><span class='dim'>{_e(titles.get(o, ''))}</span></td>{cells}</tr>")
    return f"<div class='scroll'><table class='yearly'>{''.join(rows)}</table></div>"


def yearly_lines_svg(by_option: Mapping[str, Mapping[int, Cell]], options: Sequence[str], years: Sequence[int],
                     label: str, unit: str, new_hardware: Mapping[str, bool], salt: str) -> str:
    """A small line chart: one line per option (colour and marker as in the report's other charts; dashed
    for new-hardware-only options), the year on the x axis, the mean on the y axis."""
    shown = [o for o in options if o in by_option]
    if not shown or not years:
        return ""
    scale, unit = metric_scale(unit)
    fig = _figure(7.4, 0.9 + 0.11 * max(len(shown), 18))
    ax = fig.add_axes((0.09, 0.14, 0.55, 0.76))
    for i, o in enumerate(shown):
        colour, marker = _style(i, o)
        xs = [y for y in years if y in by_option[o]]
        ys = [by_option[o][y][0] / scale for y in xs]
        ax.plot(xs, ys, color=colour, marker=marker, markersize=3.5, linewidth=1.4 if o == BASELINE else 1.0,
                linestyle="--" if new_hardware.get(o) else "-", label=o)
    ax.set_xticks(list(years), [str(y) for y in years])
    ax.set_xlabel("year of the horizon", fontsize=7)
    ax.set_ylabel(unit, fontsize=7)
    ax.tick_params(labelsize=7)
    ax.grid(True, linewidth=0.3, alpha=0.6)
    ax.set_title(label, fontsize=8)
    ax.set_ylim(bottom=0.0)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=6, frameon=False,
              title="option (dashed: new hardware only)", title_fontsize=6)
    return _svg(fig, salt)


def _horizon_days(scenario: Mapping[str, Any]) -> float | None:
    raw = scenario.get("horizon_days")
    if isinstance(raw, Mapping):
        raw = raw.get("value")
    try:
        return None if raw is None else float(raw)
    except (TypeError, ValueError):
        return None


def _fleet_rows(by_option: Mapping[str, Mapping[int, Cell]], options: Sequence[str], years: Sequence[int],
                horizon_days: float | None) -> str:
    """The fleet's growth once when every option has the same (it does: growth does not depend on the option);
    per option otherwise."""
    present = [o for o in options if o in by_option]
    if not present:
        return ""
    same = all(by_option[o] == by_option[present[0]] for o in present)
    head = "".join(f"<th>year {y}<br><span class='dim'>{_e(_year_span(y, horizon_days))}</span></th>"
                   for y in years)
    rows = [f"<tr><th>{'fleet' if same else 'option'}</th>{head}</tr>"]
    for o in present[:1] if same else present:
        name = "premises-years lived in the year / premises at the end of the horizon" if same else o
        cells = "".join(_cell_html(by_option[o].get(y), "share") for y in years)
        rows.append(f"<tr data-metric='{FLEET_SHARE}' data-option='{_e('*' if same else o)}'><td>{_e(name)}</td>"
                    f"{cells}</tr>")
    return f"<div class='scroll'><table class='yearly'>{''.join(rows)}</table></div>"


def yearly_section(ctx: ReportContext) -> str:
    """The per-year view; for a one-year run, one sentence saying there is none."""
    parsed = parse_yearly(ctx.run.yearly)
    years = _years(parsed)
    horizon = _horizon_days(ctx.run.scenario)
    if len(years) <= 1:
        span = f" ({horizon:g} days)" if horizon is not None else ""
        return ("<h2 id='per-year'>Per year</h2><p>This run's horizon is one year" + _e(span)
                + ", so there is no per-year view: set <code>horizon_days</code> to more than 365 (up to 3650, "
                "as in <code>examples/gb-10-years.yaml</code>) to see the options year by year as the fleet "
                "grows.</p>")
    options = [r.option for r in ctx.ranked]
    options += sorted({o for by_option in parsed.values() for o in by_option} - set(options))
    new_hw = {o: row.new_hardware_only for o, row in ctx.run.options.items()}
    parts = [
        "<h2 id='per-year'>Per year: how the options grow into the fleet</h2>",
        f"<p>The horizon of {len(years)} years{' (' + _e(f'{horizon:,.0f}') + ' days)' if horizon else ''} "
        "year by year. Each cell is the mean over replicates of the figure for premises-years lived in that "
        "year, its 95% interval across replicates below (none with one replicate); the exact stored value "
        "is in the cell's tooltip. A stretch without a route, without the WAN or off supply counts in the "
        "years it overlaps (what runs past the horizon's end in the last year); UTRN-only days and arrears in "
        "the year the no-WAN case starts. An option that needs new hardware (dashed in the charts) reaches "
        "only premises installed after the horizon starts, so its figures fall year by year as those premises "
        "grow into the fleet; a firmware option's fall once its rollout is done. Options in rank order.</p>",
    ]
    if FLEET_SHARE in parsed:
        parts.append("<h3 id='per-year-fleet'>The fleet's growth</h3><p>The share of the sample's premises "
                     "(the fleet at the end of the horizon) living in each year, as premises-years: new "
                     "prepayment premises join the fleet through the horizon "
                     "(<code>growth.prepay_fleet_per_year</code>).</p>"
                     + _fleet_rows(parsed[FLEET_SHARE], options, years, horizon))
    shown = [m for m in YEARLY_SHOWN if m in parsed]
    shown += sorted(set(parsed) - set(shown) - {FLEET_SHARE})
    for m in shown:
        info = ctx.metrics.get(m)
        label = str(getattr(info, "label", m))
        unit = str(getattr(info, "unit", ""))
        svg = yearly_lines_svg(parsed[m], options, years, label, unit, new_hw, salt=f"yearly-{m}")
        parts.append(
            f"<h3 id='per-year-{_e(m)}'>{_e(label)} <span class='dim'><code>{_e(m)}@yN</code>"
            f"{' · ' + _e(unit) if unit else ''}</span></h3>"
            + (f"<figure>{svg}</figure>" if svg else "")
            + yearly_table(parsed[m], options, years, unit, m, ctx.titles, new_hw, horizon)
        )
    return "".join(parts)
