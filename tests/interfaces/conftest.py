"""Interface tests: the signal soaks are marked ``slow`` and run only when asked (``-m slow``)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _slow_only_when_asked(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("slow") and "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("slow soak: pytest tests/interfaces -m slow")
