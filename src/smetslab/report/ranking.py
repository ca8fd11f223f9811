"""The ranked table of options against ``baseline``, from the run's summary rows.

The rule itself (rank-by metric, ties by total cost, then id) lives in
``smetslab.fleet.sensitivity.rank_options`` so the sweeps and the report cannot disagree; this
module attaches every metric's mean, interval and difference from baseline to each ranked option.
Given the per-replicate values, each difference from baseline carries the 95% interval of the paired
per-replicate differences, and options whose rank-by difference is not significant share a rank group
(``fleet.stats.rank_groups``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from smetslab.errors import InputError
from smetslab.fleet.sensitivity import DEFAULT_RANK_BY, rank_options, total_cost
from smetslab.fleet.stats import non_dominated, paired_interval, rank_groups, significant

__all__ = ["BASELINE", "MetricCell", "RankedOption", "SummaryLike", "ranking", "unbeaten", "HARM_METRIC",
           "SECURITY_METRICS", "option_count"]

BASELINE = "baseline"
HARM_METRIC = "no_route_days"
SECURITY_METRICS = ("expected_rogue_joins", "max_premises_per_compromise")


class SummaryLike(Protocol):
    """A row of ``fleet.summarise``: one option and metric over the replicates."""

    @property
    def option(self) -> str: ...
    @property
    def metric(self) -> str: ...
    @property
    def mean(self) -> float: ...
    @property
    def lo(self) -> float: ...
    @property
    def hi(self) -> float: ...
    @property
    def n_replicates(self) -> int: ...


@dataclass(frozen=True)
class MetricCell:
    """One option's value of one metric: mean and 95% interval over replicates, and the change
    from baseline's mean (None when baseline was not run) with the 95% interval of the paired
    per-replicate differences (None without per-replicate values)."""

    metric: str
    mean: float
    lo: float
    hi: float
    n_replicates: int
    delta: float | None
    baseline: float | None
    delta_lo: float | None = None
    delta_hi: float | None = None

    @property
    def delta_significant(self) -> bool | None:
        """Whether the paired interval of the change from baseline excludes 0 (None: not known)."""
        if self.delta_lo is None or self.delta_hi is None:
            return None
        return significant(self.delta_lo, self.delta_hi)


@dataclass(frozen=True)
class RankedOption:
    """An option's place in the ranking and every metric it reported. ``group`` is the rank of the first
    member of its rank group (equal to ``rank`` when the option is a group of its own); ``group_size``
    counts the options in that group."""

    rank: int
    option: str
    title: str
    cells: dict[str, MetricCell]
    group: int = 0
    group_size: int = 1

    @property
    def rank_label(self) -> str:
        """``3`` for an option alone in its group, ``3=`` for every member of a shared group (as in a league
        table where tied entries share the rank of the first)."""
        shown = self.group or self.rank
        return f"{shown}=" if self.group_size > 1 else str(shown)

    def cell(self, metric: str) -> MetricCell | None:
        return self.cells.get(metric)


def ranking(
    summary: Iterable[SummaryLike],
    rank_by: str = DEFAULT_RANK_BY,
    *,
    metrics: Mapping[str, object] | None = None,
    titles: Mapping[str, str] | None = None,
    values: Mapping[tuple[str, str], Sequence[float]] | None = None,
) -> list[RankedOption]:
    """Options best first under the ranking rule, each with every metric's cell.

    ``values`` maps (option, metric) to the per-replicate values (``StoredRun.values``); with them the
    changes from baseline get paired intervals and the options rank groups, without them every option is
    its own group.

    Raises InputError when ``rank_by`` is not a metric or the summary is empty.
    """
    rows = list(summary)
    if not rows:
        raise InputError("results: the summary has no rows; was the run finished?")
    by_option: dict[str, dict[str, SummaryLike]] = {}
    for row in rows:
        by_option.setdefault(row.option, {})[row.metric] = row
    means = {o: {m: float(r.mean) for m, r in ms.items()} for o, ms in by_option.items()}
    order = rank_options(means, rank_by, metrics=metrics)  # type: ignore[arg-type]
    base = by_option.get(BASELINE, {})
    reps = values or {}
    groups = rank_groups(order, {o: reps[(o, rank_by)] for o in order if (o, rank_by) in reps})
    sizes = {g: sum(1 for x in groups.values() if x == g) for g in set(groups.values())}
    ranked: list[RankedOption] = []
    for position, option in enumerate(order, start=1):
        cells: dict[str, MetricCell] = {}
        for metric, row in sorted(by_option[option].items()):
            base_row = base.get(metric)
            base_mean = None if base_row is None else float(base_row.mean)
            delta = None if base_mean is None else float(row.mean) - base_mean
            if delta is not None and math.isnan(delta):
                delta = None
            d_lo = d_hi = None
            mine, theirs = reps.get((option, metric)), reps.get((BASELINE, metric))
            if delta is not None and mine is not None and theirs is not None and len(mine) == len(theirs):
                _, d_lo, d_hi = paired_interval(mine, theirs)
            cells[metric] = MetricCell(
                metric=metric,
                mean=float(row.mean),
                lo=float(row.lo),
                hi=float(row.hi),
                n_replicates=int(row.n_replicates),
                delta=delta,
                baseline=base_mean,
                delta_lo=d_lo,
                delta_hi=d_hi,
            )
        title = (titles or {}).get(option, "")
        group = groups.get(option, position)
        ranked.append(RankedOption(rank=position, option=option, title=title, cells=cells, group=group,
                                   group_size=sizes.get(group, 1)))
    return ranked


def harm_metric(rank_by: str, metrics: Mapping[str, object]) -> str:
    """The harm criterion: the rank-by metric when it is a harm metric, else ``no_route_days``."""
    return rank_by if getattr(metrics.get(rank_by), "kind", "") == "harm" else HARM_METRIC


def unbeaten(ranked: Sequence[RankedOption], rank_by: str, metrics: Mapping[str, object]) -> list[str]:
    """The options no other beats on harm, cost and security together (``fleet.stats.non_dominated`` over
    the means of the harm metric, total cost and ``SECURITY_METRICS``, each turned lower-is-better), in
    rank order. Means equal to 4 significant figures count as equal, as in the ranking rule: a difference of
    0.01% in expected rogue joins must not keep an option that is worse on everything else. An option
    missing one of them is left out."""
    points: dict[str, list[float]] = {}
    for r in ranked:
        means = {m: c.mean for m, c in r.cells.items()}
        crit = []
        for m in (harm_metric(rank_by, metrics), *SECURITY_METRICS):
            sign = 1.0 if getattr(metrics.get(m), "better", "lower") == "lower" else -1.0
            crit.append(sign * means.get(m, math.nan))
        crit.insert(1, total_cost(means))
        if not any(math.isnan(v) for v in crit):
            points[r.option] = [float(f"{v:.4g}") for v in crit]
    return non_dominated(points)


def option_count(options: Sequence[str]) -> str:
    """What was compared, said one way in the terminal, the report and the docs: the catalogue's options
    (``baseline`` included) and the combinations (``a+b``) a scenario lists."""
    combos = sum(1 for o in options if "+" in o)
    singles = len(options) - combos
    return (f"{len(options)} entries compared: {singles} catalogue option{'s' if singles != 1 else ''} "
            f"(baseline included) and {combos} combination{'s' if combos != 1 else ''}")
