"""A small scenario run once per session for the register tests (20,000 premises, one replicate)."""

from __future__ import annotations

import pytest
from _riskkit import means_of, small

from smetslab.fleet.scenario import Scenario


@pytest.fixture(scope="session")
def default_run() -> tuple[Scenario, dict[str, dict[str, float]]]:
    s = small()
    return s, means_of(s)


@pytest.fixture(scope="session")
def no_cpa_run() -> tuple[Scenario, dict[str, dict[str, float]]]:
    s = small(**{"cpa.enforced": False})
    return s, means_of(s)
