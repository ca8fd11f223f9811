"""The scenario as a form: every parameter with its type, unit, allowed range and description.

Everything here is derived from the pydantic model in ``fleet.scenario`` (the one place the ranges and
descriptions are declared), so the form can never drift from what the validator accepts. Validation
errors come back per field (``field_errors``) so the page can show each one at its input.
"""

from __future__ import annotations

import typing
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ValidationError

from smetslab.fleet.metrics import METRICS
from smetslab.fleet.scenario import GROUPS, Scenario
from smetslab.policy.options import OPTIONS
from smetslab.validation import problems

__all__ = ["scenario_form", "field_errors", "unit_of"]

# a unit is read from the parameter's name first (the house style puts it there), then from its type
_NAME_UNITS: tuple[tuple[str, str], ...] = (
    ("_pence", "pence"), ("_national", "pence, national"), ("_days", "days"), ("_minutes", "minutes"),
    ("_prob", "probability 0-1"), ("_share", "share 0-1"), ("_per_year", "per premises-year"),
    ("_risk", "relative risk (1 = average)"), ("_premises", "premises"), ("_reach", "share 0-1"),
)


def unit_of(group: str, name: str, value_type: Any) -> str:
    """The unit of a parameter, from its name (``*_pence``, ``*_days``, ...) or else its type."""
    if name == "national_premises":
        return "premises"
    for suffix, unit in _NAME_UNITS:
        if name.endswith(suffix):
            return unit
    if value_type is bool:
        return "yes/no"
    if typing.get_origin(value_type) is typing.Literal or value_type is str:
        return "choice" if typing.get_origin(value_type) is typing.Literal else "text"
    if group == "incidents":
        return "per premises-year"
    return ""


def _range(metadata: list[Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for m in metadata:
        if isinstance(m, Ge):
            out["min"] = float(m.ge)  # type: ignore[arg-type]
        elif isinstance(m, Gt):
            out["exclusive_min"] = float(m.gt)  # type: ignore[arg-type]
        elif isinstance(m, Le):
            out["max"] = float(m.le)  # type: ignore[arg-type]
        elif isinstance(m, Lt):
            out["exclusive_max"] = float(m.lt)  # type: ignore[arg-type]
    return out


def _kind(value_type: Any) -> tuple[str, list[str] | None]:
    if value_type is bool:
        return "bool", None
    if value_type is int:
        return "int", None
    if value_type is float:
        return "float", None
    if typing.get_origin(value_type) is typing.Literal:
        return "choice", [str(a) for a in typing.get_args(value_type)]
    if typing.get_origin(value_type) is list:
        # a list (controls, likelihood band edges): the page edits it as comma-separated items
        (item,) = typing.get_args(value_type)
        if typing.get_origin(item) is typing.Annotated:
            item = typing.get_args(item)[0]
        if typing.get_origin(item) is typing.Literal:
            return "list", [str(a) for a in typing.get_args(item)]
        return ("number_list" if item in (int, float) else "text_list"), None
    return "text", None


def _top_level(name: str) -> dict[str, Any]:
    f = Scenario.model_fields[name]
    value_type = f.annotation
    metadata = list(f.metadata)
    if typing.get_origin(value_type) is typing.Annotated:
        args = typing.get_args(value_type)
        value_type, metadata = args[0], [*metadata, *args[1:]]
        metadata = [x for m in metadata for x in (getattr(m, "metadata", None) or [m])]
    kind, choices = _kind(value_type)
    return {"path": name, "kind": kind, "choices": choices, **_range(metadata)}


def scenario_form() -> dict[str, Any]:
    """The form description: run settings, options with titles, groups of parameters, metrics."""
    groups = []
    for gid, cls in GROUPS.items():
        params = []
        for name, f in cls.model_fields.items():
            ann = f.annotation
            assert isinstance(ann, type) and issubclass(ann, BaseModel)
            vf = ann.model_fields["value"]
            kind, choices = _kind(vf.annotation)
            params.append({
                "path": f"{gid}.{name}", "name": name, "kind": kind, "choices": choices,
                "unit": unit_of(gid, name, vf.annotation), "description": f.description or "",
                **_range(list(vf.metadata)),
            })
        groups.append({"id": gid, "title": (cls.__doc__ or gid).strip().splitlines()[0], "params": params})
    settings = [_top_level(n) for n in ("name", "description", "seed", "replicates", "premises", "horizon_days")]
    options = [{"id": o.id, "title": o.title, "cpa_needed": o.cpa_needed, "new_hardware_only": o.new_hardware_only}
               for o in OPTIONS.values()]
    metrics = [{"id": m.name, "label": m.label, "unit": m.unit, "kind": m.kind, "better": m.better}
               for m in METRICS.values()]
    return {"settings": settings, "options": options, "groups": groups, "metrics": metrics,
            "combine": "join option ids with '+' to combine them, e.g. secmp0037+secmp0032"}


def field_errors(data: Any) -> list[dict[str, Any]]:
    """Every problem pydantic finds in scenario data, one per field: ``{field, value, message}``.

    ``field`` is the dotted path of the input (``incidents.wan_lost_per_year`` for a parameter: its
    ``.value``/``.source`` suffix is kept so the page can mark the right box). Empty when it is valid."""
    if not isinstance(data, dict):
        return [{"field": "scenario", "value": type(data).__name__, "message": "expected a mapping of fields"}]
    try:
        Scenario.model_validate(data)
    except ValidationError as exc:
        return [{**p, "field": p["field"] or "scenario"} for p in problems(exc)]
    return []
