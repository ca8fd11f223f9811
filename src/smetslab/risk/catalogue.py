"""The threat catalogue: a strict YAML schema, the built-in catalogue (package data) and user overrides.

Theory of operation: ``data/catalogue.yaml`` lists threats, the controls that lower their likelihood and
the scoring methods' bands, each with a ``source``. ``load_catalogue`` validates it (pydantic, strict,
closed: an unknown field is an error), merges a user's file over it (``--register FILE``: a threat with
an existing id replaces it, a new id is added; controls and methods merge by name) and turns the first
problem into one ``InputError`` line naming the field path, the value and what is allowed.
"""

from __future__ import annotations

import copy
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from smetslab.errors import InputError
from smetslab.fleet.metrics import METRICS
from smetslab.policy.attackers import ATTACKER_CLASSES, CONTROLS
from smetslab.policy.options import OPTIONS
from smetslab.validation import one_line

__all__ = ["Threat", "Catalogue", "ControlInfo", "load_catalogue", "builtin_catalogue_data", "STRIDE", "ASSETS",
           "validate_catalogue"]

_STRICT = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

STRIDE = ("Spoofing", "Tampering", "Repudiation", "Information disclosure", "Denial of service",
          "Elevation of privilege")
ASSETS = ("hub_join_window", "ppmid", "hht", "meter_keypad", "utrn", "wifi_relay_cloud", "phone_app",
          "bluetooth_nfc_radio", "mesh_neighbours", "repeaters_and_base_stations", "supplier_head_end", "dcc")
Source = Annotated[str, Field(min_length=1, pattern=r"\S")]


def _in(allowed: tuple[str, ...], what: str) -> Any:
    def check(v: str) -> str:
        if v not in allowed:
            raise ValueError(f"unknown {what} {v!r}; allowed: {', '.join(allowed)}")
        return v
    return check


class ThreatOptions(BaseModel):
    """Options that create the threat (it exists only under them; empty: under every option), remove it,
    or change its exposure (documentation: the change itself comes from the simulated metrics)."""

    model_config = _STRICT
    creates: list[str] = []
    removes: list[str] = []
    changes: list[str] = []

    @field_validator("creates", "removes", "changes")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        for o in v:
            _in(tuple(OPTIONS), "option")(o)
        return v


class Exposure(BaseModel):
    """Expected successful attacks a year = metric x (national premises if ``scale`` is fleet) x factor."""

    model_config = _STRICT
    metric: str
    scale: Literal["fleet", "one"]
    factor: Annotated[float, Field(ge=0.0)]

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: str) -> str:
        return _in(tuple(METRICS), "metric")(v)  # type: ignore[no-any-return]


class Impact(BaseModel):
    """How far one success reaches: ``premises`` (one), ``radio`` (one attacker position's radio reach),
    ``option`` (the option's largest reach of one compromise) or ``fixed`` (``level``)."""

    model_config = _STRICT
    rule: Literal["premises", "radio", "option", "fixed"]
    level: Annotated[int, Field(ge=1, le=5)] | None = None

    @model_validator(mode="after")
    def _level(self) -> Impact:
        if (self.rule == "fixed") != (self.level is not None):
            raise ValueError("level is required with rule 'fixed' and allowed only with it")
        return self


class Threat(BaseModel):
    model_config = _STRICT
    id: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")]
    title: Annotated[str, Field(min_length=1)]
    asset: str
    stride: str
    cia: Annotated[list[Literal["C", "I", "A"]], Field(min_length=1)]
    attacker: str
    options: ThreatOptions
    exposure: Exposure
    impact: Impact
    controls: list[str]
    source: Source

    @field_validator("asset")
    @classmethod
    def _asset(cls, v: str) -> str:
        return _in(ASSETS, "asset")(v)  # type: ignore[no-any-return]

    @field_validator("stride")
    @classmethod
    def _stride(cls, v: str) -> str:
        return _in(STRIDE, "STRIDE category")(v)  # type: ignore[no-any-return]

    @field_validator("attacker")
    @classmethod
    def _attacker(cls, v: str) -> str:
        return _in(ATTACKER_CLASSES, "attacker class")(v)  # type: ignore[no-any-return]

    @field_validator("controls")
    @classmethod
    def _controls(cls, v: list[str]) -> list[str]:
        for c in v:
            _in(CONTROLS, "control")(c)
        return v

    @field_validator("cia")
    @classmethod
    def _cia_once(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"{v}: each of C, I, A at most once")
        return v


class ControlInfo(BaseModel):
    model_config = _STRICT
    likelihood_levels: Annotated[int, Field(ge=0, le=4)]
    source: Source


class Bands(BaseModel):
    """Lowest score of each rating (below ``Moderate``: Low)."""

    model_config = _STRICT
    Critical: float
    High: float
    Moderate: float

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if not self.Critical > self.High > self.Moderate:
            raise ValueError(f"Critical {self.Critical:g} > High {self.High:g} > Moderate {self.Moderate:g} required")
        return self


class BandedMethod(BaseModel):
    model_config = _STRICT
    bands: Bands
    source: Source


class OwaspMethod(BaseModel):
    model_config = _STRICT
    level_edges: Annotated[list[float], Field(min_length=2, max_length=2)]
    source: Source

    @field_validator("level_edges")
    @classmethod
    def _edges(cls, v: list[float]) -> list[float]:
        if not 0 < v[0] < v[1] <= 9:
            raise ValueError(f"{v}: need 0 < LOW/MEDIUM edge < MEDIUM/HIGH edge <= 9")
        return v


class Methods(BaseModel):
    model_config = _STRICT
    seed: BandedMethod
    nist: BandedMethod
    owasp: OwaspMethod


class Catalogue(BaseModel):
    """A validated catalogue: threats (unique ids), controls (every control of ``policy.attackers``), methods."""

    model_config = _STRICT
    version: Literal[1]
    controls: dict[str, ControlInfo]
    methods: Methods
    threats: Annotated[list[Threat], Field(min_length=1)]

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        missing = [c for c in CONTROLS if c not in self.controls]
        if missing:
            raise ValueError(f"controls: missing {', '.join(missing)} (every control needs likelihood_levels)")
        unknown = [c for c in self.controls if c not in CONTROLS]
        if unknown:
            raise ValueError(f"controls: unknown {', '.join(unknown)}; allowed: {', '.join(CONTROLS)}")
        ids = [t.id for t in self.threats]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"threats: id {dup[0]!r} appears twice; ids must be unique")
        return self

    def threat(self, threat_id: str) -> Threat:
        for t in self.threats:
            if t.id == threat_id:
                return t
        raise InputError(f"threat {threat_id!r}: not in the catalogue")


def _loc_text(loc: tuple[int | str, ...], data: Any) -> str:
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            tid = node[part].get("id") if isinstance(node, list) and part < len(node) \
                and isinstance(node[part], dict) else None
            out += f"[{part}]" + (f"({tid})" if tid else "")
        else:
            out += f".{part}" if out else str(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return out or "(top level)"


def catalogue_error(exc: ValidationError, where: str, data: Any) -> InputError:
    """One line: the field path (with the threat id), the value and what is allowed (``validation.one_line``)."""
    return one_line(exc, "risk catalogue", where, path_text=lambda loc: _loc_text(loc, data),
                    allowed_fields=_allowed_fields)


def _allowed_fields(loc: tuple[int | str, ...]) -> list[str] | None:
    """The field names allowed beside an unknown one at ``loc`` (the models along the path)."""
    cls: Any = Catalogue
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = getattr(cls, "model_fields", None)
        if fields is None or part not in fields:
            return None
        ann = fields[part].annotation
        args = getattr(ann, "__args__", ())
        cls = next((a for a in args if hasattr(a, "model_fields")), ann)  # list[Threat] -> Threat
    fields = getattr(cls, "model_fields", None)
    return list(fields) if fields is not None else None


def validate_catalogue(data: Any, where: str = "<data>") -> Catalogue:
    """Validate plain data into a Catalogue; InputError (one line) on any problem."""
    if not isinstance(data, dict):
        raise InputError(f"risk catalogue {where}: expected a mapping with version, controls, methods, threats; "
                         f"got {type(data).__name__}")
    try:
        return Catalogue.model_validate(data)
    except ValidationError as exc:
        raise catalogue_error(exc, where, data) from None


@cache
def _builtin_text() -> str:
    return resources.files("smetslab.risk").joinpath("data/catalogue.yaml").read_text(encoding="utf-8")


@cache
def _builtin_parsed() -> dict[str, Any]:
    data = yaml.load(_builtin_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert isinstance(data, dict)
    return data


def builtin_catalogue_data() -> dict[str, Any]:
    """The shipped catalogue as plain data (package data ``smetslab/risk/data/catalogue.yaml``); a fresh copy."""
    return copy.deepcopy(_builtin_parsed())


_OVERRIDE_KEYS = ("version", "controls", "methods", "threats")


def _merge(base: dict[str, Any], extra: Any, where: str) -> dict[str, Any]:
    if not isinstance(extra, dict):
        raise InputError(f"risk catalogue {where}: expected a mapping with any of {', '.join(_OVERRIDE_KEYS)}; "
                         f"got {type(extra).__name__}")
    unknown = [k for k in extra if k not in _OVERRIDE_KEYS]
    if unknown:
        raise InputError(f"risk catalogue {where}: unknown field {unknown[0]!r}; allowed: {', '.join(_OVERRIDE_KEYS)}")
    out = dict(base)
    if "version" in extra:
        out["version"] = extra["version"]
    for key in ("controls", "methods"):
        if key in extra:
            if not isinstance(extra[key], dict):
                raise InputError(f"risk catalogue {where}: {key} = {extra[key]!r}: expected a mapping by name")
            out[key] = {**base[key], **extra[key]}
    if "threats" in extra:
        if not isinstance(extra["threats"], list):
            raise InputError(f"risk catalogue {where}: threats = {extra['threats']!r}: expected a list of threats")
        threats = list(base["threats"])
        index = {t.get("id"): i for i, t in enumerate(threats) if isinstance(t, dict)}
        for i, t in enumerate(extra["threats"]):
            tid = t.get("id") if isinstance(t, dict) else None
            if tid is None:
                raise InputError(f"risk catalogue {where}: threats[{i}]: each threat needs an id (a mapping with "
                                 f"id, title, asset, stride, cia, attacker, options, exposure, impact, controls, source)")
            if tid in index:
                threats[index[tid]] = t
            else:
                index[tid] = len(threats)
                threats.append(t)
        out["threats"] = threats
    return out


def load_catalogue(extra: Any | None = None, where: str = "<override>") -> Catalogue:
    """The built-in catalogue, with ``extra`` (plain data from a user's YAML) merged over it."""
    base = builtin_catalogue_data()
    if extra is None:
        return validate_catalogue(base, "(built-in)")
    return validate_catalogue(_merge(base, extra, where), where)
