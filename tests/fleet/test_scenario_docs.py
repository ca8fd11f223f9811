"""docs/scenarios.md states each model parameter's meaning, bounds, gb-default value and source; each is declared
once elsewhere (the meaning and bounds in ``fleet.scenario``, the value and source in the built-in
``gb-default.yaml``), so the doc is checked against them row by row: a fact stated twice drifts otherwise (the
doc once gave ``risk.appetite_max_high`` as 6 when gb-default said 4)."""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from annotated_types import Ge, Gt, Le, Lt

from smetslab.fleet.scenario import GROUPS, Scenario
from smetslab.interfaces.config import builtin_scenarios

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"
PATHS = [f"{g}.{n}" for g, cls in GROUPS.items() for n in cls.model_fields]


def _rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| `([a-z_]+\.[a-z0-9_]+)` \| (.*) \|$", line)
        if m and m.group(1).split(".")[0] in GROUPS:
            assert m.group(1) not in rows, f"{m.group(1)}: two rows"
            rows[m.group(1)] = [c.strip() for c in re.split(r"(?<!\\)\|", m.group(2))]
    return rows


ROWS = _rows()
GB_DEFAULT: dict[str, Any] = yaml.safe_load(builtin_scenarios()["gb-default"].read_text(encoding="utf-8"))


def _declared(path: str) -> tuple[Any, str | None]:
    group, _, name = path.partition(".")
    field = GROUPS[group].model_fields[name]
    ann = field.annotation
    assert isinstance(ann, type)
    return ann.model_fields["value"], field.description  # type: ignore[attr-defined]


def test_every_parameter_has_one_row_and_no_row_names_an_unknown_one() -> None:
    assert sorted(ROWS) == sorted(PATHS)


@pytest.mark.parametrize("path", PATHS)
def test_the_row_states_the_declared_meaning_and_gb_defaults_value_and_source(path: str) -> None:
    typ, meaning, value, *source = ROWS[path]
    group, _, name = path.partition(".")
    given = GB_DEFAULT[group][name]
    assert meaning == _declared(path)[1]
    assert value in (repr(given["value"]), str(given["value"]))
    assert " | ".join(source) == given["source"].replace("|", "\\|")


@pytest.mark.parametrize("path", PATHS)
def test_the_row_states_the_declared_bounds(path: str) -> None:
    typ = ROWS[path][0]
    value, _ = _declared(path)
    if typing.get_origin(value.annotation) is typing.Literal:
        assert all(str(v) in typ for v in typing.get_args(value.annotation)), typ
        return
    if typ.startswith("list"):
        return  # list-valued parameters: the element rules are written out in words
    bounds = sorted(float(getattr(m, k)) for m in value.metadata for k in ("ge", "gt", "le", "lt")
                    if isinstance(m, Ge | Gt | Le | Lt) and getattr(m, k, None) is not None)
    stated = sorted(float(x.replace(",", "")) for x in re.findall(r"[<>]=?\s*(-?\d[\d,]*(?:\.\d+)?)", typ))
    assert stated == bounds, f"{path}: the doc says {typ!r}, the model's bounds are {bounds}"


def test_the_run_settings_default_the_doc_states_is_the_models() -> None:
    row = re.search(r"^\| `variance_reduction` \| true/false, default (true|false) \|", DOC.read_text(encoding="utf-8"),
                    flags=re.MULTILINE)
    assert row is not None
    assert (row.group(1) == "true") is Scenario.model_fields["variance_reduction"].default
