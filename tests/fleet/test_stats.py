"""The Pareto rule, paired intervals and rank groups, on hand-worked examples."""

from __future__ import annotations

import math

import pytest

from smetslab.fleet.stats import (
    group_footrule,
    non_dominated,
    paired_interval,
    rank_groups,
    relative_half_width,
    significant,
)


def test_an_option_beaten_on_every_criterion_is_dropped() -> None:
    # b is worse than a on both criteria; c trades harm for cost, so a and c both stay
    assert non_dominated({"a": [1.0, 2.0], "b": [2.0, 3.0], "c": [0.5, 5.0]}) == ["a", "c"]


def test_equal_points_do_not_dominate_each_other() -> None:
    assert non_dominated({"a": [1.0, 1.0], "b": [1.0, 1.0]}) == ["a", "b"]


def test_better_on_one_and_equal_on_the_rest_dominates() -> None:
    assert non_dominated({"a": [1.0, 1.0], "b": [1.0, 2.0]}) == ["a"]


def test_criteria_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same number"):
        non_dominated({"a": [1.0], "b": [1.0, 2.0]})


# ---- paired intervals and rank groups (expected values worked by hand; t(0.975, 2) = 4.302652730) ----------

T2 = 4.302652730 / 3**0.5  # half-width per unit standard deviation with three replicates


def test_paired_interval_of_the_differences() -> None:
    # differences 2, 3, 4: mean 3, sd 1 -> 3 -/+ 4.3027 / sqrt(3)
    mean, lo, hi = paired_interval([3.0, 5.0, 7.0], [1.0, 2.0, 3.0])
    assert mean == pytest.approx(3.0)
    assert lo == pytest.approx(3.0 - T2) and hi == pytest.approx(3.0 + T2)


def test_pairing_separates_options_whose_own_intervals_overlap() -> None:
    # each option's own interval is 20 -/+ 24.8 and 21 -/+ 24.8; but it is 1 better in every replicate
    base, option = [10.0, 20.0, 30.0], [11.0, 21.0, 31.0]
    _, lo, hi = paired_interval(option, base)
    assert (lo, hi) == pytest.approx((1.0, 1.0))
    assert significant(lo, hi)


def test_replicates_that_do_not_pair_are_refused() -> None:
    with pytest.raises(ValueError, match="pair"):
        paired_interval([1.0, 2.0], [1.0, 2.0, 3.0])


def test_significance_needs_the_interval_to_exclude_zero() -> None:
    assert not significant(-0.1, 0.3)
    assert significant(0.1, 0.3) and significant(-0.3, -0.1)
    assert not significant(0.0, 0.0)  # identical in every replicate
    assert not significant(math.nan, math.nan)


def test_rank_groups_follow_the_group_leader() -> None:
    values = {
        "a": [1.0, 2.0, 3.0],
        "b": [1.1, 2.2, 3.3],   # b - a = 0.1, 0.2, 0.3: 0.2 -/+ 0.248 -> not significant, group of a
        "c": [2.0, 3.0, 4.0],   # c - a = 1, 1, 1 -> significant: a new group at rank 3
        "d": [2.1, 2.9, 4.05],  # d - c = 0.1, -0.1, 0.05 -> not significant, group of c
        "e": [9.0, 9.0, 9.0],   # e - c = 7, 6, 5: 6 -/+ 2.48 -> significant
    }
    assert rank_groups(["a", "b", "c", "d", "e"], values) == {"a": 1, "b": 1, "c": 3, "d": 3, "e": 5}


def test_an_option_without_values_is_a_group_of_its_own() -> None:
    values = {"a": [1.0, 2.0], "b": [math.nan, 2.0], "c": [1.0, 2.0]}
    assert rank_groups(["a", "b", "c"], values) == {"a": 1, "b": 2, "c": 3}


def test_relative_half_width() -> None:
    assert relative_half_width([9.0, 10.0, 11.0]) == pytest.approx(T2 / 10.0)
    assert relative_half_width([0.0, 0.0, 0.0]) == 0.0
    assert relative_half_width([-1.0, 0.0, 1.0]) == math.inf
    assert relative_half_width([5.0]) == math.inf


def test_group_footrule_counts_only_moves_out_of_a_rank_group() -> None:
    central = ["a", "b", "c", "d"]
    groups = {"a": 1, "b": 1, "c": 3, "d": 4}  # a and b tied (positions 0-1)
    assert group_footrule(central, groups, ["b", "a", "c", "d"]) == 0  # a swap inside the group
    # d to the top: d moves 3 (from its own span 3..3 to 0); a and b to 1 and 2 (span 0..1: b is 1 out);
    # c to 3 (span 2..2: 1 out) -> 3 + 0 + 1 + 1 = 5
    assert group_footrule(central, groups, ["d", "a", "b", "c"]) == 5
    # every option its own group: Spearman's footrule, |0-3| + |1-0| + |2-1| + |3-2| = 6
    assert group_footrule(central, {}, ["d", "a", "b", "c"]) == 6


def test_sweeps_do_not_count_moves_inside_a_rank_group(make) -> None:
    from smetslab.fleet.sensitivity import run_sweeps

    scen = make({"options": ["baseline", "secmp0037", "hub_button"], "replicates": 3, "sensitivity": [
        {"param": "incidents.ppmid_lost_per_year", "low": 0.02, "high": 0.15, "label": "PPMID loss"}]})
    central_value = scen.incidents.ppmid_lost_per_year.value

    def engine(s, workers=None):  # per-replicate no_route_days, by the swept value (worked by hand below)
        v = s.incidents.ppmid_lost_per_year.value
        days = {"secmp0037": [1.0, 2.0, 3.0], "hub_button": [1.1, 2.2, 3.3], "baseline": [9.0, 9.0, 9.0]}
        if v == 0.02:
            days["hub_button"] = [0.9, 1.8, 2.7]  # overtakes secmp0037, from inside their shared group
        elif v == 0.15:
            days["baseline"] = [0.5, 0.5, 0.5]  # jumps from its own group to the top
        else:
            assert v == central_value
        return {(o, r, "no_route_days"): x for o, xs in days.items() for r, x in enumerate(xs)}

    result = run_sweeps(scen, engine=engine)
    # central: secmp0037 (2.0), hub_button (2.2), baseline (9); hub_button - secmp0037 = 0.1, 0.2, 0.3:
    # 0.2 -/+ 0.248, not significant -> one group; baseline differs in every replicate by 6-8 -> its own
    assert result.central_ranking == ("secmp0037", "hub_button", "baseline")
    assert result.central_groups == {"secmp0037": 1, "hub_button": 1, "baseline": 3}
    (sweep,) = result.sweeps
    assert sweep.low.ranking == ("hub_button", "secmp0037", "baseline")
    assert sweep.low.positions_moved == 0  # a swap inside the group (the plain footrule would say 2)
    # baseline 2 -> 0 (2 places), secmp0037 0 -> 1 (inside its group's span 0-1), hub_button 1 -> 2 (1 place)
    assert sweep.high.positions_moved == 3
