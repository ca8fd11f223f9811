"""Shared fixtures. The RTDS conformance corpus is read in place from ../shared/gbcs-rtds (never copied)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RTDS_DIR = Path(os.environ.get("SMETSLAB_RTDS", REPO.parent / "shared" / "gbcs-rtds"))


def rtds_available() -> bool:
    return (RTDS_DIR / "index.csv").is_file() and (RTDS_DIR / "keystore").is_dir()


@pytest.fixture(scope="session")
def rtds_dir() -> Path:
    """The RTDS 4.5.0 folder (messages, keystore, index.csv); skips when it is not beside the checkout."""
    if not rtds_available():
        pytest.skip(f"RTDS corpus not found at {RTDS_DIR} (set SMETSLAB_RTDS or place shared/gbcs-rtds "
                    f"beside the checkout); conformance checks need the DCC reference messages")
    return RTDS_DIR
