"""docs/devices.md names the devices' inputs and events: every such name is one the code has (a fact stated
twice drifts; docs/devices.md once said ``JoinRefused`` for a refused local join, which the CHF emits as
``LocalJoinRefused``)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import smetslab.devices as devices

DOC = Path(__file__).resolve().parents[2] / "docs" / "devices.md"


def _code_names() -> set[str]:
    names: set[str] = set()
    for m in pkgutil.iter_modules(devices.__path__):
        names |= set(dir(importlib.import_module(f"smetslab.devices.{m.name}")))
    return names


def test_every_name_docs_devices_md_gives_exists_in_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    cited = set(re.findall(r"`([A-Z][a-z][A-Za-z0-9]+)[`(]", text))  # `TopUpRejected`, `LocalJoinRefused(...`
    missing = sorted(cited - _code_names() - {"TypeError"})
    assert cited and not missing, missing


def test_the_refused_local_join_example_names_the_event_the_chf_emits() -> None:
    from smetslab.devices import chf
    text = DOC.read_text(encoding="utf-8")
    assert "`LocalJoinRefused(reason=WINDOW_CLOSED)`" in text
    assert "WINDOW_CLOSED" in chf.JoinRefusal.__members__
