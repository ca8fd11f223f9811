"""The Pareto rule, paired intervals and rank groups, on hand-worked examples."""

from __future__ import annotations

import math

import pytest

from smetslab.fleet.stats import non_dominated, paired_interval, rank_groups, relative_half_width, significant


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
