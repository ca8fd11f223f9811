"""Helpers for the register tests: a small scenario (20,000 premises, one replicate) and its metric means."""

from __future__ import annotations

from typing import Any

from smetslab.fleet import run_in_memory
from smetslab.fleet.scenario import Scenario, validate_scenario
from smetslab.fleet.sensitivity import replicate_means
from smetslab.interfaces.config import load_scenario

OPTIONS = ["baseline", "secmp0037", "alternating_windows", "secmp0038", "hub_button", "meter_bluetooth"]


def small(**changes: Any) -> Scenario:
    """gb-default at 20,000 premises, one replicate, the options above; ``changes``: 'group.name' -> value."""
    d = load_scenario(None).model_dump(mode="python")
    d.update(premises=20_000, replicates=1, options=list(OPTIONS), sensitivity=[])
    for path, value in changes.items():
        g, n = path.split(".")
        d[g][n]["value"] = value
    return validate_scenario(d, "test")


def means_of(s: Scenario) -> dict[str, dict[str, float]]:
    return replicate_means(run_in_memory(s, workers=1))
