"""Fixtures of the report tests: a results file written by hand to the fleet contract's schema."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # synthetic_store.py sits beside the tests that use it

from synthetic_store import write_store  # noqa: E402


@pytest.fixture
def synthetic_db(tmp_path: Path) -> Path:
    """A finished synthetic run (see synthetic_store.py for its hand-computable numbers)."""
    return write_store(tmp_path / "results.duckdb")
