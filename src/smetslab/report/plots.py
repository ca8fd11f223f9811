"""The report's charts as inline SVG strings (matplotlib, no pyplot, no display).

Figures are built with ``matplotlib.figure.Figure`` directly rather than pyplot, so no global
backend or figure registry is touched (the CLI may run in a process that already set one). Text
stays text in the SVG (``svg.fonttype: none``) so the report is searchable and small; the hash salt
is fixed per chart so the same results always give the same bytes and two charts in one page
never share an element id.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from smetslab.fleet.sensitivity import SensitivityResult
from smetslab.report.formatting import fmt_number, is_money
from smetslab.report.ranking import BASELINE, RankedOption

__all__ = ["scatter_svg", "bars_svg", "tornado_svg", "metric_scale"]

_BASE_COLOUR = "#7a7a7a"
_OPTION_COLOUR = "#1f5fa8"
_LOW_COLOUR = "#2b8a3e"
_HIGH_COLOUR = "#c2410c"


def metric_scale(unit: str) -> tuple[float, str]:
    """Divide values by this to plot them, and the axis unit: pence are plotted in £m."""
    if is_money(unit):
        return 1e8, "£m"
    return 1.0, unit


def _svg(fig: Any, salt: str) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(
            buf,
            format="svg",
            # no date (same results, same bytes) and no Dublin Core type URL in the metadata
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    text = buf.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE: the SVG sits inside HTML


def _figure(width_in: float, height_in: float) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=100)
    return fig


def _err(cell_mean: float, lo: float, hi: float, scale: float) -> tuple[float, float]:
    # error bars go from the interval's ends; a one-replicate run has lo == hi == mean (no bar)
    return max(0.0, (cell_mean - lo) / scale), max(0.0, (hi - cell_mean) / scale)


_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h", "*", "p", "d", "8", "H")


def _style(index: int, option: str) -> tuple[str, str]:
    """(colour, marker) of the option at ``index`` in rank order; baseline is always grey."""
    from matplotlib import colormaps

    if option == BASELINE:
        return _BASE_COLOUR, "o"
    palette = [colormaps["tab20"](i) for i in range(20) if i not in (14, 15)]  # 14, 15 are baseline's greys
    colour = palette[index % len(palette)]
    return "#{:02x}{:02x}{:02x}".format(*(round(255 * c) for c in colour[:3])), _MARKERS[index % len(_MARKERS)]


def _auto_scale(ax: Any, axis: str, values: Sequence[float]) -> str:
    """Log scale when the values span more than two orders of magnitude (security exposure often spans
    seven: one compromise reaching 40 premises or 5,000); symlog when some are zero. Returns the scale."""
    finite = [v for v in values if not math.isnan(v)]
    positive = [v for v in finite if v > 0]
    if len(positive) < 2 or max(positive) / min(positive) < 100 or any(v < 0 for v in finite):
        return "linear"
    setter = ax.set_xscale if axis == "x" else ax.set_yscale
    if len(positive) == len(finite):
        setter("log")
        return "log"
    setter("symlog", linthresh=min(positive))
    return "symlog"


def scatter_svg(
    ranked: Sequence[RankedOption],
    harm_metric: str,
    security_metrics: Sequence[str],
    labels: Mapping[str, tuple[str, str]],
) -> str:
    """Customer harm (x) against each security-exposure metric (y), one point per option with its
    intervals on both axes, each option its own colour and marker (legend: rank and id).
    ``labels`` maps metric -> (label, unit)."""
    panels = [m for m in security_metrics if any(r.cell(m) for r in ranked)]
    if not panels or not any(r.cell(harm_metric) for r in ranked):
        return ""
    fig = _figure(4.6 * len(panels) + 2.8, 4.4)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    xlabel, xunit = labels.get(harm_metric, (harm_metric, ""))
    xscale, xunit = metric_scale(xunit)
    handles = []
    for k, (ax, metric) in enumerate(zip(axes, panels, strict=True)):
        ylabel, yunit = labels.get(metric, (metric, ""))
        yscale, yunit = metric_scale(yunit)
        xs, ys = [], []
        for i, r in enumerate(ranked):
            x, y = r.cell(harm_metric), r.cell(metric)
            if x is None or y is None:
                continue
            colour, marker = _style(i, r.option)
            xe, ye = _err(x.mean, x.lo, x.hi, xscale), _err(y.mean, y.lo, y.hi, yscale)
            h = ax.errorbar(
                [x.mean / xscale], [y.mean / yscale],
                xerr=[[xe[0]], [xe[1]]], yerr=[[ye[0]], [ye[1]]],
                fmt=marker, color=colour, ecolor=colour, elinewidth=0.8, capsize=2, markersize=6,
                alpha=0.9, label=f"{r.rank}. {r.option}",
            )
            ax.annotate(str(r.rank), (x.mean / xscale, y.mean / yscale), xytext=(4, 3),
                        textcoords="offset points", fontsize=6, color=colour)
            xs.append(x.mean / xscale)
            ys.append(y.mean / yscale)
            if k == 0:
                handles.append(h)
        xs_kind = _auto_scale(ax, "x", xs)
        ys_kind = _auto_scale(ax, "y", ys)
        ax.set_xlabel((f"{xlabel} ({xunit})" if xunit else xlabel) + ("" if xs_kind == "linear" else f", {xs_kind}"),
                      fontsize=8)
        ax.set_ylabel((f"{ylabel} ({yunit})" if yunit else ylabel) + ("" if ys_kind == "linear" else f", {ys_kind}"),
                      fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, linewidth=0.3, alpha=0.6)
        ax.set_title(f"customer harm vs {metric}", fontsize=9)
    fig.legend(handles=handles, loc="center right", fontsize=7, frameon=False, title="rank. option",
               title_fontsize=7)
    fig.tight_layout(rect=(0.0, 0.0, 1.0 - 2.6 / (4.6 * len(panels) + 2.8), 1.0))
    return _svg(fig, "scatter")


def bars_svg(
    ranked: Sequence[RankedOption],
    metrics: Sequence[str],
    labels: Mapping[str, tuple[str, str]],
) -> str:
    """One horizontal bar chart per metric: every option (in rank order) with its interval."""
    shown = [m for m in metrics if any(r.cell(m) for r in ranked)]
    if not shown:
        return ""
    ncols = 3 if len(shown) >= 3 else len(shown)
    nrows = math.ceil(len(shown) / ncols)
    # fixed margins instead of tight_layout: with a dozen panels the layout pass costs more than the
    # drawing, and the space the labels need is known from the longest option id
    label_in = 0.3 + 0.055 * max(len(r.option) for r in ranked)
    plot_in, title_in, axis_in = 2.8, 0.45, 0.35
    panel_h = 0.22 * len(ranked) + 0.1
    width, height = ncols * (label_in + plot_in) + 0.2, nrows * (panel_h + title_in + axis_in)
    fig = _figure(width, height)
    fig.subplots_adjust(left=label_in / width, right=1 - 0.2 / width, bottom=axis_in / height,
                        top=1 - title_in / height, wspace=label_in / plot_in,
                        hspace=(title_in + axis_in) / panel_h)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    names = [r.option for r in ranked]
    ys = list(range(len(ranked)))
    for ax, metric in zip(axes, shown, strict=False):
        label, unit = labels.get(metric, (metric, ""))
        scale, unit = metric_scale(unit)
        means, lo_err, hi_err, colours = [], [], [], []
        for r in ranked:
            c = r.cell(metric)
            if c is None or math.isnan(c.mean):
                means.append(0.0)
                lo_err.append(0.0)
                hi_err.append(0.0)
            else:
                means.append(c.mean / scale)
                e = _err(c.mean, c.lo, c.hi, scale)
                lo_err.append(e[0])
                hi_err.append(e[1])
            colours.append(_BASE_COLOUR if r.option == BASELINE else _OPTION_COLOUR)
        ax.barh(ys, means, xerr=[lo_err, hi_err], color=colours, height=0.65,
                error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "black"})
        ax.set_yticks(ys, names, fontsize=7)
        ax.invert_yaxis()  # rank 1 at the top, as in the table
        ax.tick_params(axis="x", labelsize=7)
        ax.set_title(f"{label}" + (f" ({unit})" if unit else ""), fontsize=8)
        ax.grid(True, axis="x", linewidth=0.3, alpha=0.6)
    for ax in axes[len(shown):]:
        ax.set_visible(False)
    return _svg(fig, "bars")


def _value_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if abs(value) >= 1e6:  # pence amounts in the hundreds of billions: keep the tick label short
        return f"{value:.3g}"
    return fmt_number(float(value))


def tornado_svg(result: SensitivityResult, headline_unit: str = "") -> str:
    """Two tornado charts of the sweeps, most influential first.

    Left: rank positions moved (Spearman footrule against the central ranking) with the parameter
    at its low value (bar to the left) and at its high value (to the right). Right: the central
    leader's advantage over baseline in the rank-by metric, from its value at low to its value at
    high, around the central advantage.
    """
    sweeps = result.ordered()
    if not sweeps:
        return ""
    leader = result.central_ranking[0] if result.central_ranking else ""
    rank_by = result.rank_by
    scale, unit = metric_scale(headline_unit)

    def advantage(means: Mapping[str, Mapping[str, float]]) -> float:
        # for the leader itself being baseline, plot baseline's own headline value instead
        lead = means.get(leader, {}).get(rank_by, math.nan)
        if leader == BASELINE:
            return lead / scale
        return (means.get(BASELINE, {}).get(rank_by, math.nan) - lead) / scale

    central_adv = advantage(result.central)
    height = 1.2 + 0.42 * len(sweeps)
    fig = _figure(11.0, height)
    ax_rank, ax_adv = fig.subplots(1, 2)
    ys = list(range(len(sweeps)))
    names = [f"{s.label}\n[{_value_text(s.low.value)} / {_value_text(s.central_value)} / {_value_text(s.high.value)}]"
             for s in sweeps]
    low_moves = [-s.low.positions_moved for s in sweeps]
    high_moves = [s.high.positions_moved for s in sweeps]
    ax_rank.barh(ys, low_moves, color=_LOW_COLOUR, height=0.6, label="at low value")
    ax_rank.barh(ys, high_moves, color=_HIGH_COLOUR, height=0.6, label="at high value")
    for y, s in zip(ys, sweeps, strict=True):
        for point, sign in ((s.low, -1), (s.high, 1)):
            if point.top_changed:
                ax_rank.annotate(f"top: {point.ranking[0]}", (sign * point.positions_moved, y),
                                 xytext=(3 * sign, 0), textcoords="offset points", fontsize=6,
                                 ha="left" if sign > 0 else "right", va="center")
    widest = max([1, *[abs(v) for v in low_moves + high_moves]])
    ax_rank.set_xlim(-widest * 1.6, widest * 1.6)
    ax_rank.axvline(0, color="black", linewidth=0.6)
    ax_rank.set_yticks(ys, names, fontsize=7)
    ax_rank.invert_yaxis()
    ax_rank.tick_params(axis="x", labelsize=7)
    ax_rank.set_xlabel("rank positions moved out of rank groups (sum over options)\nlow value \u2190 | \u2192 high value",
                       fontsize=8)
    ax_rank.set_title(f"which assumptions move the ranking by {rank_by}", fontsize=9)
    ax_rank.legend(fontsize=7, loc="lower right")
    ax_rank.grid(True, axis="x", linewidth=0.3, alpha=0.6)

    lows = [advantage(s.low.means) - central_adv for s in sweeps]
    highs = [advantage(s.high.means) - central_adv for s in sweeps]
    for y, lo, hi in zip(ys, lows, highs, strict=True):
        # both ends can move the same way: draw the longer bar first so the shorter stays visible on top
        ends = sorted(((lo, _LOW_COLOUR), (hi, _HIGH_COLOUR)), key=lambda e: -abs(e[0]) if not math.isnan(e[0]) else 0)
        for width, colour in ends:
            ax_adv.barh([y], [width], left=central_adv, color=colour, height=0.6 if colour == _LOW_COLOUR else 0.4)
    from matplotlib.patches import Patch

    ax_adv.legend(handles=[Patch(color=_LOW_COLOUR, label="at low value"), Patch(color=_HIGH_COLOUR,
                                                                                 label="at high value")],
                  fontsize=7, loc="lower right")
    ax_adv.axvline(central_adv, color="black", linewidth=0.6)
    ax_adv.set_yticks(ys, ["" for _ in ys])
    ax_adv.invert_yaxis()
    ax_adv.tick_params(axis="x", labelsize=7)
    what = f"{rank_by} of {leader}" if leader == BASELINE else f"{leader}'s advantage\nover baseline in {rank_by}"
    ax_adv.set_xlabel(f"{what}" + (f" ({unit})" if unit else ""), fontsize=8)
    ax_adv.set_title(f"by how much (central: {fmt_number(central_adv)})", fontsize=9)
    ax_adv.grid(True, axis="x", linewidth=0.3, alpha=0.6)
    fig.tight_layout()
    return _svg(fig, "tornado")
