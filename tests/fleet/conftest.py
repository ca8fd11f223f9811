"""Small scenarios for the fleet tests, built from the shipped default with overrides."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from smetslab.fleet.scenario import Scenario, validate_scenario
from smetslab.interfaces.config import builtin_scenarios, read_scenario_data


def make_scenario(top: dict[str, Any] | None = None, **params: Any) -> Scenario:
    """gb-default with run settings from ``top`` and parameters given as group__name=value."""
    data = copy.deepcopy(read_scenario_data(builtin_scenarios()["gb-default"]))
    data["sensitivity"] = []
    data.update(top or {})
    for key, value in params.items():
        group, name = key.split("__", 1)
        data[group][name]["value"] = value
    return validate_scenario(data, where="test")


@pytest.fixture
def small() -> Scenario:
    return make_scenario({"premises": 3 * 8192 + 100, "replicates": 2, "seed": 11})


@pytest.fixture
def make():
    """The ``make_scenario`` builder, as a fixture (tests/ has no packages to import from)."""
    return make_scenario
