"""One-at-a-time sweeps on a synthetic model whose metrics are closed forms of its parameters.

The synthetic model (no fleet engine): no_route_days per option from a WAN-loss rate r, a PPMID-loss
rate p and a same-supplier neighbour share s,

    baseline   = 90 r + 90 p              (90-day remedy, PPMID needs the WAN)
    secmp0032  = 30 r + 30 p              (30-day remedy)
    secmp0037  = 90 r +  1 p              (a lost PPMID pairs locally in a day)
    mesh_hub   = 90 r (1 - s) + 90 p      (a neighbour hub carries the WAN)

with costs baseline 0, secmp0032 1e11, secmp0037 1e9, mesh_hub 5e10 pence. Every expected ranking
below was worked out by hand from these formulas at the central (r, p, s) = (0.01, 0.05, 0.5).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from smetslab.errors import InputError
from smetslab.fleet.sensitivity import (
    SensitivityResult,
    analyse,
    rank_options,
    replicate_means,
    run_sweeps,
)


@dataclass(frozen=True)
class _Metric:
    better: str


METRICS = {
    "no_route_days": _Metric("lower"),
    "cost_one_off_pence": _Metric("lower"),
    "cost_running_pence": _Metric("lower"),
    "customers_served": _Metric("higher"),
}


@dataclass(frozen=True)
class Param:
    value: float
    source: str


@dataclass(frozen=True)
class Spec:
    param: str
    low: float
    high: float
    label: str


@dataclass(frozen=True)
class Rates:
    wan_lost: Param
    ppmid_lost: Param


@dataclass(frozen=True)
class Neighbours:
    same_supplier_share: Param


@dataclass(frozen=True)
class ToyScenario:
    """Stands in for ``Scenario``: the attributes and ``with_param`` run_sweeps uses."""

    name: str
    seed: int
    replicates: int
    incidents: Rates
    neighbours: Neighbours
    sensitivity: tuple[Spec, ...]

    def with_param(self, path: str, value: float) -> ToyScenario:
        if value < 0:
            raise InputError(f"{path} {value!r}: a rate must be >= 0")
        group, name = path.split(".")
        node = getattr(self, group)
        new = dataclasses.replace(node, **{name: dataclasses.replace(getattr(node, name), value=value)})
        return dataclasses.replace(self, **{group: new})


COSTS = {"baseline": 0.0, "secmp0032": 1e11, "secmp0037": 1e9, "mesh_hub": 5e10}


def toy_engine(scenario: ToyScenario, *, workers: int | None = None) -> dict[tuple[str, int, str], float]:
    r = scenario.incidents.wan_lost.value
    p = scenario.incidents.ppmid_lost.value
    s = scenario.neighbours.same_supplier_share.value
    days = {
        "baseline": 90 * r + 90 * p,
        "secmp0032": 30 * r + 30 * p,
        "secmp0037": 90 * r + 1 * p,
        "mesh_hub": 90 * r * (1 - s) + 90 * p,
    }
    out: dict[tuple[str, int, str], float] = {}
    for rep in range(scenario.replicates):
        for option, d in days.items():
            out[(option, rep, "no_route_days")] = d
            out[(option, rep, "cost_one_off_pence")] = COSTS[option]
            out[(option, rep, "cost_running_pence")] = 0.0
    return out


def toy(sweeps: tuple[Spec, ...]) -> ToyScenario:
    return ToyScenario(
        name="toy",
        seed=7,
        replicates=2,
        incidents=Rates(Param(0.01, "assumption: toy"), Param(0.05, "assumption: toy")),
        neighbours=Neighbours(Param(0.5, "assumption: toy share")),
        sensitivity=sweeps,
    )


SWEEPS = (
    Spec("incidents.ppmid_lost", 0.005, 0.1, "PPMID loss rate"),
    Spec("neighbours.same_supplier_share", 0.0, 1.0, "same-supplier neighbours"),
)


def test_central_ranking_follows_the_formulas():
    result = run_sweeps(toy(SWEEPS), engine=toy_engine, metrics=METRICS)
    # central: secmp0037 0.95, secmp0032 1.8, mesh_hub 4.95, baseline 5.4
    assert result.central_ranking == ("secmp0037", "secmp0032", "mesh_hub", "baseline")
    assert result.central["baseline"]["no_route_days"] == pytest.approx(5.4)


def test_low_ppmid_loss_reorders_and_changes_the_leader():
    result = run_sweeps(toy(SWEEPS), engine=toy_engine, metrics=METRICS)
    ppmid = next(s for s in result.sweeps if s.param == "incidents.ppmid_lost")
    # p = 0.005: secmp0032 0.45, mesh_hub 0.9, secmp0037 0.905, baseline 1.35
    assert ppmid.low.ranking == ("secmp0032", "mesh_hub", "secmp0037", "baseline")
    assert ppmid.low.rank_change == {"secmp0032": -1, "mesh_hub": -1, "secmp0037": 2, "baseline": 0}
    assert ppmid.low.positions_moved == 4
    assert ppmid.low.top_changed
    assert ppmid.low.headline_delta["secmp0037"] == pytest.approx(0.905 - 0.95)
    assert ppmid.low.headline_delta["baseline"] == pytest.approx(1.35 - 5.4)
    # p = 0.1: secmp0037 1.0, secmp0032 3.3, mesh_hub 9.45, baseline 9.9: the central order
    assert ppmid.high.ranking == result.central_ranking
    assert ppmid.high.positions_moved == 0 and not ppmid.high.top_changed
    assert ppmid.central_value == 0.05 and ppmid.source == "assumption: toy"


def test_a_tie_on_the_rank_metric_is_broken_by_cost():
    result = run_sweeps(toy(SWEEPS), engine=toy_engine, metrics=METRICS)
    share = next(s for s in result.sweeps if s.param == "neighbours.same_supplier_share")
    # s = 0: mesh_hub 0.9 + 4.5 = 5.4 ties baseline 5.4; baseline costs nothing, so it goes first
    assert share.low.ranking == ("secmp0037", "secmp0032", "baseline", "mesh_hub")
    assert share.low.rank_change["mesh_hub"] == 1 and share.low.rank_change["baseline"] == -1
    assert share.high.positions_moved == 0


def test_sweeps_order_most_influential_first():
    result = run_sweeps(toy(SWEEPS[::-1]), engine=toy_engine, metrics=METRICS)
    assert [s.param for s in result.ordered()] == ["incidents.ppmid_lost", "neighbours.same_supplier_share"]


def test_progress_counts_the_central_run_and_two_per_sweep():
    seen: list[tuple[int, int]] = []
    run_sweeps(toy(SWEEPS), engine=toy_engine, metrics=METRICS, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


def test_same_seed_same_result_and_json_round_trip():
    def noisy(scenario: ToyScenario, *, workers: int | None = None) -> dict[tuple[str, int, str], float]:
        rng = np.random.default_rng(scenario.seed)
        return {k: v + float(rng.normal(0, 0.01)) for k, v in sorted(toy_engine(scenario).items())}

    a = run_sweeps(toy(SWEEPS), engine=noisy, metrics=METRICS)
    b = run_sweeps(toy(SWEEPS), engine=noisy, metrics=METRICS)
    assert a == b
    assert SensitivityResult.from_json(a.to_json()) == a


def test_reranking_by_another_metric_uses_the_saved_means():
    result = run_sweeps(toy(SWEEPS), engine=toy_engine, metrics=METRICS)
    by_cost = analyse(result, "cost_one_off_pence", metrics=METRICS)
    assert by_cost.central_ranking == ("baseline", "secmp0037", "mesh_hub", "secmp0032")
    assert all(s.low.positions_moved == 0 and s.high.positions_moved == 0 for s in by_cost.sweeps)


def test_a_higher_is_better_metric_ranks_descending():
    means = {"a": {"customers_served": 3.0}, "b": {"customers_served": 9.0}, "c": {"customers_served": 5.0}}
    assert rank_options(means, "customers_served", metrics=METRICS) == ["b", "c", "a"]


def test_values_equal_to_four_significant_figures_tie():
    means = {
        # both show as 1.234: a tie, so the cheaper goes first although its unrounded value is higher
        "dear": {"no_route_days": 1.2341, "cost_one_off_pence": 9.0},
        "cheap": {"no_route_days": 1.2344, "cost_one_off_pence": 1.0},
        "worse": {"no_route_days": 1.236, "cost_one_off_pence": 0.0},
    }
    assert rank_options(means, "no_route_days", metrics=METRICS) == ["cheap", "dear", "worse"]


def test_replicate_means_average_each_option_and_metric():
    values = {("a", 0, "m"): 1.0, ("a", 1, "m"): 3.0, ("b", 0, "m"): 10.0, ("b", 1, "m"): 20.0, ("b", 2, "m"): 60.0}
    assert replicate_means(values) == {"a": {"m": 2.0}, "b": {"m": 30.0}}


def test_unknown_rank_metric_is_refused_before_any_run():
    calls: list[Any] = []

    def engine(scenario: ToyScenario, *, workers: int | None = None) -> dict[tuple[str, int, str], float]:
        calls.append(scenario)
        return toy_engine(scenario)

    with pytest.raises(InputError, match="not_a_metric"):
        run_sweeps(toy(SWEEPS), engine=engine, metrics=METRICS, rank_by="not_a_metric")
    assert calls == []


def test_a_sweep_value_the_scenario_refuses_is_an_input_error():
    with pytest.raises(InputError, match="incidents.ppmid_lost"):
        run_sweeps(toy((Spec("incidents.ppmid_lost", -1.0, 0.1, "bad"),)), engine=toy_engine, metrics=METRICS)


def test_real_engine_sweeps_are_deterministic_and_cite_the_parameter(tmp_path):
    from smetslab.interfaces.config import load_scenario

    path = tmp_path / "tiny.yaml"
    path.write_text(
        "extends: gb-default\nname: tiny-sweeps\npremises: 2000\nreplicates: 2\n"
        "options: [baseline, secmp0037, secmp0032]\n"
        "sensitivity:\n  - {param: remedy.dcc_mean_days, low: 15.0, high: 90.0, label: DCC restore}\n"
    )
    scenario = load_scenario(path)
    a = run_sweeps(scenario, workers=1)
    b = run_sweeps(scenario, workers=1)
    assert a == b
    (sweep,) = a.sweeps
    assert sweep.central_value == scenario.param("remedy.dcc_mean_days").value
    assert sweep.source == scenario.param("remedy.dcc_mean_days").source
    assert set(a.central_ranking) == {"baseline", "secmp0037", "secmp0032"}
    # the high end really ran the changed scenario: baseline waits longer for the DCC with a 90-day mean
    assert sweep.high.means["baseline"]["no_route_days"] > sweep.low.means["baseline"]["no_route_days"]
