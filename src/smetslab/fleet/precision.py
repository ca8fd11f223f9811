"""Precision, not a replicate count: add replicates until the headline interval is narrow enough.

Theory of operation: a replicate's random numbers depend only on (seed, replicate, block) (``fleet.model``),
so replicates 0..n-1 are the same whatever n is, and a run of n + k replicates is the run of n plus k more.
``run_to_precision`` starts at the scenario's ``replicates``, runs (``fleet.engine.run``, so every backend
and the resumable store work as usual), measures the 95% half-width of baseline's headline metric relative
to its mean (``fleet.stats.relative_half_width``), and while that is above the target grows the count by the
rule in ``next_replicates`` up to a cap. The growth uses only the numbers already computed, so the same seed
gives the same sequence of counts and the same final numbers, on any backend. Each round reuses the store:
the finished replicates' block sums stay, only the new replicates' blocks are computed.

The store records a run under the scenario's hash; a scenario that differs only in ``replicates`` is the
same experiment, so the store also records ``identity_sha256`` (the hash with ``replicates`` set to 1),
and a round re-labels the stored run with the larger count before continuing it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smetslab.errors import InputError
from smetslab.fleet import store
from smetslab.fleet.scenario import Scenario
from smetslab.fleet.stats import relative_half_width

__all__ = ["clear_precision", "DEFAULT_PRECISION", "DEFAULT_MAX_REPLICATES", "PrecisionResult", "identity_sha256", "next_replicates",
           "run_to_precision", "parse_precision"]

DEFAULT_PRECISION = 0.05
"""Target: baseline's headline 95% half-width within 5% of its mean (the issue's working-group standard)."""
DEFAULT_MAX_REPLICATES = 400
"""The cap: the built-in gb-default needs about 80 replicates for 5% (docs/compare.md); the scenario schema
allows 1,000."""
HEADLINE_OPTION = "baseline"

Runner = Callable[..., Any]


@dataclass(frozen=True)
class PrecisionResult:
    """What ``run_to_precision`` reached."""

    target: float
    metric: str
    option: str
    replicates: int
    reached: float
    met: bool
    cap: int
    rounds: tuple[tuple[int, float], ...]
    """(replicates, relative half-width) after each round, in order."""
    scenario: Scenario
    """The scenario with the final replicate count (what the store now holds)."""


def identity_sha256(scenario: Scenario) -> str:
    """The scenario's hash with ``replicates`` set to 1: the same experiment at any replicate count."""
    return scenario.model_copy(update={"replicates": 1}).sha256()


def parse_precision(text: str) -> float | None:
    """``--precision``: a relative half-width in (0, 1), e.g. ``0.05``, or ``off`` (None: the scenario's fixed
    replicate count). Raises InputError naming the value otherwise."""
    if text.strip().lower() == "off":
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0.0 < value < 1.0):
        raise InputError(f"--precision {text!r}: expected a relative half-width between 0 and 1 (e.g. 0.05 for "
                         f"5% of the mean), or 'off' for the scenario's fixed replicate count")
    return value


def next_replicates(n: int, reached: float, target: float, cap: int) -> int:
    """The next replicate count after ``n`` replicates reached a relative half-width ``reached``.

    The half-width shrinks as 1/sqrt(n), so about n (reached / target)^2 replicates are needed; ask for 10%
    more to land above the target rather than just below it, at least n + 2 (so the loop always moves), at
    most 2n (an estimate from few replicates is rough: doubling at most keeps the overshoot small, and each
    round only computes the new replicates), never above ``cap``.
    """
    if math.isinf(reached) or math.isnan(reached):
        want = 2 * n
    else:
        want = math.ceil(1.1 * n * (reached / target) ** 2)
    return min(cap, max(n + 2, min(want, 2 * n)))


def _headline_values(db: Path, option: str, metric: str) -> list[float]:
    con = store.open_store(db)
    try:
        rows = con.execute("SELECT replicate, value FROM metrics WHERE option = ? AND metric = ? ORDER BY replicate",
                           [option, metric]).fetchall()
    finally:
        con.close()
    return [float(v) for _, v in rows]


def _stored_identity(info: dict[str, str]) -> str | None:
    """The identity of a stored run: recorded, or (a run made without --precision) from its scenario."""
    if info.get("identity_sha256"):
        return info["identity_sha256"]
    if not info.get("scenario_json"):
        return None
    from smetslab.fleet.scenario import validate_scenario

    try:
        return identity_sha256(validate_scenario(json.loads(info["scenario_json"]), where="(stored)"))
    except (InputError, ValueError):
        return None


def _write_identity(db: Path, scenario: Scenario) -> None:
    con = store.open_store(db)
    try:
        store.write_info(con, {"identity_sha256": identity_sha256(scenario)})
    finally:
        con.close()


def _relabel(db: Path, scenario: Scenario) -> None:
    """Let ``engine.run`` continue a stored run of the same experiment with ``scenario.replicates`` replicates:
    the finished replicates' block sums stay, the new replicates' blocks are missing and get computed."""
    if not db.exists():
        return
    con = store.open_store(db)
    try:
        info = store.read_info(con)
        if not info or info.get("scenario_sha256") == scenario.sha256():
            return
        if _stored_identity(info) != identity_sha256(scenario):
            return  # another scenario: engine.run refuses it with its own message
        if int(info.get("replicates", "0")) > scenario.replicates:
            raise InputError(f"results file {str(db)!r}: holds {info.get('replicates')} replicates, more than the "
                             f"{scenario.replicates} asked for")
        store.write_info(con, {"scenario_json": scenario.canonical_json(), "scenario_sha256": scenario.sha256(),
                               "replicates": str(scenario.replicates), "status": "running"})
    finally:
        con.close()


def _stored_replicates(db: Path, scenario: Scenario) -> int:
    """How many replicates a stored run of the same experiment already has (0 if none)."""
    if not db.exists():
        return 0
    con = store.open_store(db)
    try:
        info = store.read_info(con)
    finally:
        con.close()
    if _stored_identity(info) != identity_sha256(scenario):
        return 0
    return int(info.get("replicates", "0"))


def clear_precision(db_path: str | Path) -> None:
    """Mark a run made with a fixed replicate count (``--precision off``): no target, nothing reached."""
    con = store.open_store(Path(db_path))
    try:
        store.write_info(con, {"precision_target": "", "precision_reached": "", "precision_met": ""})
    finally:
        con.close()


def run_to_precision(
    scenario: Scenario,
    db_path: str | Path,
    *,
    target: float = DEFAULT_PRECISION,
    cap: int = DEFAULT_MAX_REPLICATES,
    metric: str = "no_route_days",
    option: str = HEADLINE_OPTION,
    recompute: bool = False,
    runner: Runner | None = None,
    **run_kwargs: Any,
) -> PrecisionResult:
    """Run ``scenario`` into ``db_path`` with replicates added until ``option``'s ``metric`` has a 95%
    half-width within ``target`` of its mean, or ``cap`` replicates. ``run_kwargs`` go to ``engine.run``
    (workers, scheduler, progress, chunk_premises); ``runner`` replaces ``engine.run`` (tests).

    Raises InputError for a target outside (0, 1), a cap below the scenario's replicates, or an option or
    metric the run does not produce."""
    if not (0.0 < target < 1.0):
        raise InputError(f"precision {target!r}: expected a relative half-width between 0 and 1")
    if cap < scenario.replicates or cap > 1000:
        raise InputError(f"--max-replicates {cap}: must be between the scenario's replicates "
                         f"({scenario.replicates}) and 1000")
    if option not in scenario.options:
        raise InputError(f"precision: option {option!r} is not in the scenario's options")
    if runner is None:
        from smetslab.fleet.engine import run as runner
    assert runner is not None
    db = Path(db_path)
    n = scenario.replicates if recompute else max(scenario.replicates, _stored_replicates(db, scenario))
    rounds: list[tuple[int, float]] = []
    first = True
    while True:
        current = scenario.model_copy(update={"replicates": n})
        if not (recompute and first):
            _relabel(db, current)
        runner(current, db, recompute=recompute and first, **run_kwargs)
        first = False
        _write_identity(db, scenario)
        values = _headline_values(db, option, metric)
        if not values:
            raise InputError(f"precision: the run has no {metric!r} for {option!r}")
        reached = relative_half_width(values)
        rounds.append((n, reached))
        met = reached <= target
        if met or n >= cap:
            break
        n = next_replicates(n, reached, target, cap)
    con = store.open_store(db)
    try:
        # the rounds of earlier calls on this file (a run continued with a tighter target, or reused) come first
        try:
            earlier = [(int(k), v) for k, v in json.loads(store.read_info(con).get("precision_rounds") or "[]")
                       if int(k) < rounds[0][0]]
        except (ValueError, TypeError):
            earlier = []
        history = [*earlier, *((k, v if math.isfinite(v) else None) for k, v in rounds)]
        store.write_info(con, {
            "identity_sha256": identity_sha256(scenario), "requested_sha256": scenario.sha256(),
            "precision_target": repr(target),
            "precision_metric": metric, "precision_option": option, "precision_reached": repr(reached),
            "precision_met": "true" if met else "false", "precision_cap": str(cap),
            "precision_rounds": store.info_json([[k, v] for k, v in history]),
        })
    finally:
        con.close()
    return PrecisionResult(target, metric, option, n, reached, met, cap, tuple(rounds), current)
