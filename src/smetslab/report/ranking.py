"""The ranked table of options against ``baseline``, from the run's summary rows.

The rule itself (rank-by metric, ties by total cost, then id) lives in
``smetslab.fleet.sensitivity.rank_options`` so the sweeps and the report cannot disagree; this
module attaches every metric's mean, interval and difference from baseline to each ranked option.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from smetslab.errors import InputError
from smetslab.fleet.sensitivity import DEFAULT_RANK_BY, rank_options

__all__ = ["BASELINE", "MetricCell", "RankedOption", "SummaryLike", "ranking"]

BASELINE = "baseline"


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
    from baseline's mean (None when baseline was not run)."""

    metric: str
    mean: float
    lo: float
    hi: float
    n_replicates: int
    delta: float | None
    baseline: float | None


@dataclass(frozen=True)
class RankedOption:
    """An option's place in the ranking and every metric it reported."""

    rank: int
    option: str
    title: str
    cells: dict[str, MetricCell]

    def cell(self, metric: str) -> MetricCell | None:
        return self.cells.get(metric)


def ranking(
    summary: Iterable[SummaryLike],
    rank_by: str = DEFAULT_RANK_BY,
    *,
    metrics: Mapping[str, object] | None = None,
    titles: Mapping[str, str] | None = None,
) -> list[RankedOption]:
    """Options best first under the ranking rule, each with every metric's cell.

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
    ranked: list[RankedOption] = []
    for position, option in enumerate(order, start=1):
        cells: dict[str, MetricCell] = {}
        for metric, row in sorted(by_option[option].items()):
            base_row = base.get(metric)
            base_mean = None if base_row is None else float(base_row.mean)
            delta = None if base_mean is None else float(row.mean) - base_mean
            if delta is not None and math.isnan(delta):
                delta = None
            cells[metric] = MetricCell(
                metric=metric,
                mean=float(row.mean),
                lo=float(row.lo),
                hi=float(row.hi),
                n_replicates=int(row.n_replicates),
                delta=delta,
                baseline=base_mean,
            )
        title = (titles or {}).get(option, "")
        ranked.append(RankedOption(rank=position, option=option, title=title, cells=cells))
    return ranked
