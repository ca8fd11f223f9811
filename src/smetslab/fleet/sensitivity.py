"""One-at-a-time sensitivity sweeps, and the ranking rule they (and the report) use.

Theory of operation: the central scenario is run once in memory; then each entry of
``scenario.sensitivity`` is set to its ``low`` and to its ``high`` value (every other parameter at
its central value, the same seed, so the runs share their random numbers) and run again. For each
of those runs we record the mean of every metric per option (mean over replicates), the ranking of
the options under the ranking rule below, and how far each option moved and how much its headline
(rank-by) metric changed against the central run. The result is a plain value that can be saved to
JSON and read back, so the report shows the sweeps without re-running them.

The ranking rule is defined here, once, because both the sweeps (in ``fleet``) and the report (which
imports from ``fleet``, never the other way) rank options:

1. by the mean over replicates of the rank-by metric (default ``no_route_days``, days without a
   usable top-up route), best first in the direction the metric's catalogue entry says is better;
   values equal to the 4 significant figures the table shows count as a tie;
2. ties by total cost (``cost_one_off_pence`` + ``cost_running_pence``), cheaper first;
3. then by option id, so the order never depends on dict order.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from smetslab.errors import InputError
from smetslab.fleet.stats import group_footrule, rank_groups

__all__ = [
    "DEFAULT_RANK_BY",
    "COST_METRICS",
    "SweepPoint",
    "SweepResult",
    "SensitivityResult",
    "rank_options",
    "ranking_rule",
    "replicate_means",
    "run_sweeps",
    "analyse",
]

DEFAULT_RANK_BY = "no_route_days"
COST_METRICS = ("cost_one_off_pence", "cost_running_pence")
_TIE_DIGITS = 4  # significant figures shown in the table; closer values than that count as a tie

Means = dict[str, dict[str, float]]
"""option -> metric -> mean over replicates."""


class _MetricLike(Protocol):
    @property
    def better(self) -> str: ...


class _SweepSpecLike(Protocol):
    @property
    def param(self) -> str: ...
    @property
    def low(self) -> Any: ...
    @property
    def high(self) -> Any: ...
    @property
    def label(self) -> str: ...


def _metric_catalogue() -> Mapping[str, _MetricLike]:
    # imported late: this module is imported while the package may still be initialising
    from smetslab.fleet import METRICS

    return METRICS


def check_rank_by(rank_by: str, metrics: Mapping[str, _MetricLike] | None = None) -> Mapping[str, _MetricLike]:
    """Raise InputError unless ``rank_by`` is a metric id of the catalogue; returns the catalogue."""
    catalogue = _metric_catalogue() if metrics is None else metrics
    if rank_by not in catalogue:
        raise InputError(f"--rank-by {rank_by!r}: not a metric; allowed: {', '.join(sorted(catalogue))}")
    return catalogue


def ranking_rule(rank_by: str, metrics: Mapping[str, _MetricLike] | None = None) -> str:
    """The ranking rule in one sentence, for the terminal and the report."""
    catalogue = check_rank_by(rank_by, metrics)
    direction = "lowest" if catalogue[rank_by].better == "lower" else "highest"
    return (
        f"ranked by {rank_by} (mean over replicates, {direction} first; equal to "
        f"{_TIE_DIGITS} significant figures counts as a tie), ties by total cost "
        f"(cost_one_off_pence + cost_running_pence, cheapest first), then by option id"
    )


def _rounded(value: float) -> float:
    if math.isnan(value):
        return value
    return float(f"{value:.{_TIE_DIGITS}g}")


def total_cost(metric_means: Mapping[str, float]) -> float:
    """One-off plus running cost (pence); a missing cost metric counts as 0."""
    return math.fsum(metric_means.get(m, 0.0) for m in COST_METRICS)


def rank_options(
    means: Mapping[str, Mapping[str, float]],
    rank_by: str = DEFAULT_RANK_BY,
    *,
    metrics: Mapping[str, _MetricLike] | None = None,
) -> list[str]:
    """Option ids best first under the ranking rule (module docstring). Options without the
    rank-by metric, or with NaN, go last."""
    catalogue = check_rank_by(rank_by, metrics)
    sign = 1.0 if catalogue[rank_by].better == "lower" else -1.0

    def key(option: str) -> tuple[int, float, float, str]:
        value = means[option].get(rank_by, math.nan)
        missing = math.isnan(value)
        return (1 if missing else 0, 0.0 if missing else sign * _rounded(value), total_cost(means[option]), option)

    return sorted(means, key=key)


def replicate_means(values: Mapping[tuple[str, int, str], float]) -> Means:
    """Mean over replicates per option and metric, from ``run_in_memory``'s (option, replicate, metric) map.

    Sums in replicate order with fsum, so the result does not depend on the map's order.
    """
    grouped: dict[str, dict[str, list[tuple[int, float]]]] = {}
    for (option, replicate, metric), value in values.items():
        grouped.setdefault(option, {}).setdefault(metric, []).append((replicate, float(value)))
    return {
        option: {
            metric: math.fsum(v for _, v in sorted(pairs)) / len(pairs) for metric, pairs in sorted(by_metric.items())
        }
        for option, by_metric in sorted(grouped.items())
    }


@dataclass(frozen=True)
class SweepPoint:
    """One end (low or high) of one sweep: the parameter's value and what the run gave."""

    value: Any
    means: Means
    ranking: tuple[str, ...] = ()
    rank_change: dict[str, int] = field(default_factory=dict)
    """option -> rank here minus rank in the central run (positive = moved down the table)."""
    headline_delta: dict[str, float] = field(default_factory=dict)
    """option -> rank-by metric here minus central."""
    positions_moved: int = 0
    """Sum over options of how far each moved out of its central rank group (``fleet.stats.group_footrule``;
    Spearman's footrule distance to the central ranking when every option is its own group)."""
    top_changed: bool = False


@dataclass(frozen=True)
class SweepResult:
    """A parameter swept one at a time, at its low and high value."""

    param: str
    label: str
    central_value: Any
    source: str | None
    low: SweepPoint
    high: SweepPoint

    @property
    def positions_moved(self) -> int:
        """The larger footrule distance of the two ends."""
        return max(self.low.positions_moved, self.high.positions_moved)

    def headline_swing(self, option: str) -> float:
        """The largest absolute change of ``option``'s rank-by metric at either end."""
        return max(abs(self.low.headline_delta.get(option, 0.0)), abs(self.high.headline_delta.get(option, 0.0)))


@dataclass(frozen=True)
class SensitivityResult:
    """Every sweep of a scenario, against its central run, under one rank-by metric."""

    scenario_name: str
    scenario_sha256: str | None
    seed: int
    rank_by: str
    central: Means
    central_ranking: tuple[str, ...]
    sweeps: tuple[SweepResult, ...]
    central_groups: dict[str, int] = field(default_factory=dict)
    """Rank groups of the central ranking (``fleet.stats.rank_groups``): positions moved inside a group
    are not counted (``fleet.stats.group_footrule``). Empty: every option its own group."""

    def ordered(self) -> list[SweepResult]:
        """Sweeps most influential first: positions moved, then the swing of the central leader's headline."""
        leader = self.central_ranking[0] if self.central_ranking else ""
        return sorted(self.sweeps, key=lambda s: (-s.positions_moved, -s.headline_swing(leader), s.param))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, indent=1, default=_json_default)

    @classmethod
    def from_json(cls, text: str) -> SensitivityResult:
        """Read back :meth:`to_json`; raises InputError when the text is not a saved result."""
        try:
            raw = json.loads(text)
            sweeps = tuple(
                SweepResult(
                    param=s["param"],
                    label=s["label"],
                    central_value=s["central_value"],
                    source=s["source"],
                    low=_point(s["low"]),
                    high=_point(s["high"]),
                )
                for s in raw["sweeps"]
            )
            return cls(
                scenario_name=raw["scenario_name"],
                scenario_sha256=raw["scenario_sha256"],
                seed=int(raw["seed"]),
                rank_by=raw["rank_by"],
                central=raw["central"],
                central_ranking=tuple(raw["central_ranking"]),
                sweeps=sweeps,
                central_groups={str(k): int(v) for k, v in raw.get("central_groups", {}).items()},
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"sensitivity results: not a saved sensitivity result ({exc})") from None


def _point(raw: Mapping[str, Any]) -> SweepPoint:
    return SweepPoint(
        value=raw["value"],
        means=raw["means"],
        ranking=tuple(raw["ranking"]),
        rank_change={k: int(v) for k, v in raw["rank_change"].items()},
        headline_delta={k: float(v) for k, v in raw["headline_delta"].items()},
        positions_moved=int(raw["positions_moved"]),
        top_changed=bool(raw["top_changed"]),
    )


def _json_default(value: Any) -> Any:
    # parameter values are plain numbers in the schema, but a numpy scalar or an enum may slip in
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "value"):
        return value.value
    return str(value)


def _compare_point(
    value: Any,
    means: Means,
    central: Means,
    central_ranking: Sequence[str],
    rank_by: str,
    metrics: Mapping[str, _MetricLike] | None,
    groups: Mapping[str, int] | None = None,
) -> SweepPoint:
    ranking = rank_options(means, rank_by, metrics=metrics)
    central_pos = {o: i for i, o in enumerate(central_ranking)}
    here_pos = {o: i for i, o in enumerate(ranking)}
    rank_change = {o: here_pos[o] - central_pos[o] for o in ranking if o in central_pos}
    headline_delta = {
        o: means[o].get(rank_by, math.nan) - central[o].get(rank_by, math.nan) for o in ranking if o in central
    }
    return SweepPoint(
        value=value,
        means=means,
        ranking=tuple(ranking),
        rank_change=rank_change,
        headline_delta=headline_delta,
        positions_moved=group_footrule(central_ranking, groups or {}, ranking),
        top_changed=bool(ranking and central_ranking and ranking[0] != central_ranking[0]),
    )


def analyse(
    result: SensitivityResult, rank_by: str, *, metrics: Mapping[str, _MetricLike] | None = None
) -> SensitivityResult:
    """The same sweeps ranked by another metric (from the saved means; nothing is re-run). The rank groups
    are of the saved rank-by metric, so another metric counts every move."""
    central_ranking = rank_options(result.central, rank_by, metrics=metrics)
    groups = result.central_groups if rank_by == result.rank_by else {}
    sweeps = tuple(
        SweepResult(
            param=s.param,
            label=s.label,
            central_value=s.central_value,
            source=s.source,
            low=_compare_point(s.low.value, s.low.means, result.central, central_ranking, rank_by, metrics, groups),
            high=_compare_point(s.high.value, s.high.means, result.central, central_ranking, rank_by, metrics,
                                groups),
        )
        for s in result.sweeps
    )
    return SensitivityResult(
        scenario_name=result.scenario_name,
        scenario_sha256=result.scenario_sha256,
        seed=result.seed,
        rank_by=rank_by,
        central=result.central,
        central_ranking=tuple(central_ranking),
        sweeps=sweeps,
        central_groups=dict(groups),
    )


def param_field(scenario: Any, path: str) -> Any:
    """The object at a dotted parameter path (attributes or mapping keys); None when absent."""
    node = scenario
    for part in path.split("."):
        node = node.get(part) if isinstance(node, Mapping) else getattr(node, part, None)
        if node is None:
            return None
    return node


def _value_and_source(scenario: Any, path: str) -> tuple[Any, str | None]:
    """A parameter's central value (plain JSON) and its source, when the path names a ``{value, source}``."""
    node = param_field(scenario, path)
    if node is None:
        return None, None
    value = getattr(node, "value", node)
    if not isinstance(value, int | float | str | bool):
        value = _json_default(value)
    source = getattr(node, "source", None)
    return value, None if source is None else str(source)


Engine = Callable[..., Mapping[tuple[str, int, str], float]]


def _default_engine() -> Engine:
    from smetslab.fleet import run_in_memory

    return run_in_memory


def run_sweeps(
    scenario: Any,
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    rank_by: str = DEFAULT_RANK_BY,
    metrics: Mapping[str, _MetricLike] | None = None,
    engine: Engine | None = None,
    scenario_sha256: str | None = None,
) -> SensitivityResult:
    """Run the central scenario and each sweep of ``scenario.sensitivity`` at its low and high value.

    ``engine`` is ``fleet.run_in_memory`` unless given (``engine(scenario, workers=workers)``
    returning (option, replicate, metric) -> value). ``progress(done_runs, total_runs)`` is called
    after each run. Deterministic for the scenario's seed: every run keeps the seed. Raises
    InputError for an unknown ``rank_by`` or a sweep value the scenario refuses.
    """
    check_rank_by(rank_by, metrics)
    run = _default_engine() if engine is None else engine
    specs: Sequence[_SweepSpecLike] = list(scenario.sensitivity)
    total = 1 + 2 * len(specs)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    central_values = run(scenario, workers=workers)
    central = replicate_means(central_values)
    step()
    central_ranking = rank_options(central, rank_by, metrics=metrics)
    per_replicate: dict[str, list[tuple[int, float]]] = {}
    for (option, replicate, metric), value in central_values.items():
        if metric == rank_by:
            per_replicate.setdefault(option, []).append((replicate, float(value)))
    groups = rank_groups(central_ranking, {o: [v for _, v in sorted(rv)] for o, rv in per_replicate.items()})
    sweeps: list[SweepResult] = []
    for spec in specs:
        central_value, source = _value_and_source(scenario, spec.param)
        ends: list[SweepPoint] = []
        for value in (spec.low, spec.high):
            variant = scenario.with_param(spec.param, value)  # validated copy: a bad sweep value raises InputError
            means = replicate_means(run(variant, workers=workers))
            step()
            ends.append(_compare_point(value, means, central, central_ranking, rank_by, metrics, groups))
        sweeps.append(
            SweepResult(
                param=spec.param,
                label=spec.label or spec.param,
                central_value=central_value,
                source=source,
                low=ends[0],
                high=ends[1],
            )
        )
    return SensitivityResult(
        scenario_name=str(scenario.name),
        scenario_sha256=scenario_sha256,
        seed=int(scenario.seed),
        rank_by=rank_by,
        central=central,
        central_ranking=tuple(central_ranking),
        sweeps=tuple(sweeps),
        central_groups=groups,
    )


def options_in(result: SensitivityResult) -> Iterable[str]:
    """Every option id the sweeps ranked, in the central order."""
    return result.central_ranking
