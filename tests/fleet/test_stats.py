"""The Pareto rule, on hand-worked examples."""

from __future__ import annotations

import pytest

from smetslab.fleet.stats import non_dominated


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
