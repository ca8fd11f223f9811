"""Stories: a premises, the options in force, a timeline and the outcomes expected, as validated data.

Theory of operation
-------------------
A story file is YAML. The shell reads it (``smetslab.interfaces.config.load_story``: one YAML reader and
one file-error formatter for stories and scenarios) and ``validate_story(data)`` turns the plain data
into a ``Story`` (pydantic v2, every model ``extra="forbid"``), or raises ``InputError`` with one line
naming the field path (``timeline[3].at``), the value and what is allowed. Nothing here runs the
emulator: ``premises.runner`` turns a ``Story`` into ``Site`` calls and judges the expectations.

Times (``at``, ``horizon``, ``after``, ``before``, ``duration``) are written in the story time syntax of
``premises.times`` (seconds, ``"2d 3h"``, ``"PT90M"``, ``"day 2 09:30"``; ``"+10m"`` for a timeline step's
``at``): always an offset from the start of the emulation (t = 0), never a wall-clock date. The
``premises`` mapping is ``premises.config.PremisesSettings``, where each setting is declared once.

Expectations come in three shapes (each list item is exactly one):

- a counter comparison over ``Site.counters()``: the shorthand ``"topups_accepted == 3"`` or the
  mapping ``{counter: topups_accepted, op: "==", value: 3}``;
- an event count over the event log: ``{events: {event: TopUpAccepted, device: ESME}, count: ">= 1"}``;
- a "never" condition: ``{never: {event: TopUpAccepted, twice_with_same: [utrn]}}`` (no two records
  share those fields) or ``{never: {event: DeviceJoined, where: {via: LOCAL}}}`` (no such record).

Counter names are checked against the running ``Site`` (the runner does it before running), event
names against the device modules and the log (after the run): a typo is an input error, never an
expectation that passes vacuously.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictInt,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from smetslab.errors import InputError
from smetslab.premises.config import Options, PremisesSettings, Seed
from smetslab.premises.times import DAY_S, TIME_SYNTAX, StepTime, Time, TimeSpec, format_time, parse_time
from smetslab.validation import one_line

__all__ = [
    "TimeSpec",
    "parse_time",
    "format_time",
    "Premises",
    "Step",
    "STEP_KINDS",
    "CounterExpectation",
    "EventSelector",
    "EventsExpectation",
    "NeverExpectation",
    "Expectation",
    "Story",
    "COUNTERS",
    "COMPARISONS",
    "validate_story",
    "story_error",
    "DAY_S",
    "TIME_SYNTAX",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------------------------------
# Premises: the one declaration is premises.config.PremisesSettings
# --------------------------------------------------------------------------------------------------


class Premises(PremisesSettings):
    """A story's ``premises`` mapping: ``PremisesSettings`` (``premises.config``, where every field's type,
    bound, default and description is declared once); seed and options come from the story's top level.
    Only the fields a story writes are passed on to ``SiteConfig``."""

    def fuels(self) -> frozenset[str]:
        return frozenset({"electricity", "gas"}) if self.fuel == "dual" else frozenset({self.fuel})


# --------------------------------------------------------------------------------------------------
# Timeline steps
# --------------------------------------------------------------------------------------------------


class _Step(_Model):
    at: StepTime
    note: str | None = None  # shown beside the step in the readable timeline


class Install(_Step):
    do: Literal["install"]
    wan: StrictBool = True  # False: no WAN at install
    ppmid: StrictBool = True  # False: installed without a PPMID


class WANLost(_Step):
    do: Literal["wan_lost"]


class WANRestored(_Step):
    do: Literal["wan_restored"]


class PPMIDLost(_Step):
    do: Literal["ppmid_lost"]


class ReplacementPPMIDArrives(_Step):
    do: Literal["replacement_ppmid_arrives"]


class ButtonPressed(_Step):
    do: Literal["button_pressed"]


class HubPowerCycled(_Step):
    do: Literal["hub_power_cycled"]


Fuel = Literal["electricity", "gas"]


class UTRNIssued(_Step):
    do: Literal["utrn_issued"]
    value_pence: StrictInt = Field(ge=0)
    fuel: Fuel = "electricity"
    route: Literal["wan", "relay", "phone_app", "ppmid", "meter_keypad", "sms"]
    label: str | None = None  # so a later utrn_entered can re-type it


class _OnStep(_Step):
    """A step with an ``on`` field."""

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        # YAML 1.1 reads a bare `on:` key as the boolean true; the story means the field "on".
        if isinstance(data, dict) and True in data and "on" not in data:
            data = {("on" if k is True else k): v for k, v in data.items()}
        return data


class UTRNEntered(_OnStep):
    do: Literal["utrn_entered"]
    label: str
    on: Literal["ppmid", "meter_keypad"]
    fuel: Fuel | None = None  # default: the fuel the labelled UTRN was issued for


AttackKind = Literal["rogue_join", "join_flood", "replay_utrn", "forge_utrn", "replay_command", "forge_command",
                     "relay_drop", "relay_delay", "relay_replay", "relay_flood"]


class AttackerArrives(_Step):
    do: Literal["attacker_arrives"]
    kind: AttackKind
    credentials: StrictBool = False
    duration: Time = TimeSpec(seconds=3600.0, text="1h")
    rate_per_hour: float = Field(60.0, gt=0)
    delay: Time = TimeSpec(seconds=3600.0, text="1h")  # relay_delay: how long each command is held


class EmergencyCreditRequested(_OnStep):
    do: Literal["emergency_credit_requested"]
    fuel: Fuel = "electricity"
    on: Literal["ppmid", "meter", "wan"]


class SupplyEnableRequested(_OnStep):
    do: Literal["supply_enable_requested"]
    fuel: Fuel = "electricity"
    on: Literal["ppmid", "meter"]


class EngineerArrives(_Step):
    do: Literal["engineer_arrives"]
    duration: Time = TimeSpec(seconds=7200.0, text="2h")


_STEP_MODELS: tuple[type[_Step], ...] = (Install, WANLost, WANRestored, PPMIDLost, ReplacementPPMIDArrives,
                                         ButtonPressed, HubPowerCycled, UTRNIssued, UTRNEntered, AttackerArrives,
                                         EmergencyCreditRequested, SupplyEnableRequested, EngineerArrives)
STEP_KINDS: tuple[str, ...] = tuple(m.model_fields["do"].annotation.__args__[0]  # type: ignore[union-attr]
                                    for m in _STEP_MODELS)


def _step_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        tag = value.get("do")
        return tag if isinstance(tag, str) and tag in STEP_KINDS else None
    return getattr(value, "do", None)


Step = Annotated[
    Annotated[Install, Tag("install")] | Annotated[WANLost, Tag("wan_lost")]
    | Annotated[WANRestored, Tag("wan_restored")] | Annotated[PPMIDLost, Tag("ppmid_lost")]
    | Annotated[ReplacementPPMIDArrives, Tag("replacement_ppmid_arrives")]
    | Annotated[ButtonPressed, Tag("button_pressed")] | Annotated[HubPowerCycled, Tag("hub_power_cycled")]
    | Annotated[UTRNIssued, Tag("utrn_issued")] | Annotated[UTRNEntered, Tag("utrn_entered")]
    | Annotated[AttackerArrives, Tag("attacker_arrives")]
    | Annotated[EmergencyCreditRequested, Tag("emergency_credit_requested")]
    | Annotated[SupplyEnableRequested, Tag("supply_enable_requested")]
    | Annotated[EngineerArrives, Tag("engineer_arrives")],
    Discriminator(_step_tag, custom_error_type="step_kind",
                  custom_error_message=f"missing or unknown 'do'; allowed: {', '.join(STEP_KINDS)}"),
]


# --------------------------------------------------------------------------------------------------
# Expectations
# --------------------------------------------------------------------------------------------------

COUNTERS: dict[str, str] = {
    "topups_accepted": "UTRNs a meter accepted (any route)",
    "topups_rejected": "UTRN entries a meter refused (any reason)",
    "topups_credited_pence": "total credit added by accepted UTRNs, pence",
    "duplicate_utrns_rejected": "UTRNs refused because their counter was already used",
    "forged_rejected": "UTRNs or commands refused as not authentic",
    "rogue_joins": "attacker devices that joined the HAN",
    "rogue_join_attempts": "attacker join attempts",
    "legit_joins": "genuine devices that joined the HAN",
    "dos_blocked_joins": "genuine joins blocked by an attack (e.g. a full device log)",
    "self_disconnected_hours": "hours a meter's supply was off for lack of credit",
    "no_route_hours": "hours with no usable top-up route",
    "utrn_only_hours": "hours when typing a UTRN was the only top-up route",
    "ppmid_paired": "1 if a PPMID is joined at the end, else 0",
    "replays_rejected": "replayed UTRNs or commands refused",
    "commands_relayed": "GBCS commands the Wi-Fi PPMID relayed onto the HAN (SECMP0038)",
    "engineer_visits": "engineer visits the story needed",
    "join_window_open_hours": "hours a local-join window was open",
}
"""The counters of ``Site.counters()`` named by the contract (the Site may offer more; the runner
accepts any name the Site reports and refuses any other)."""

COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
_SHORTHAND_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=|<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)\s*")
_COUNT_RE = re.compile(r"\s*(==|!=|<=|>=|<|>)?\s*(\d+)\s*")

Scalar = str | int | float | bool | None


class CounterExpectation(_Model):
    """``counter op value`` over ``Site.counters()`` at the horizon."""

    counter: str
    op: Literal["==", "!=", "<=", ">=", "<", ">"]
    value: float
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            m = _SHORTHAND_RE.fullmatch(data)
            if m is None:
                raise ValueError(f"expected '<counter> <op> <number>' with op one of {', '.join(COMPARISONS)}, "
                                 f"e.g. 'topups_accepted == 3'")
            return {"counter": m.group(1), "op": m.group(2), "value": float(m.group(3))}
        return data

    def text(self) -> str:
        v = int(self.value) if self.value == int(self.value) else self.value
        return self.name or f"{self.counter} {self.op} {v}"


class EventSelector(_Model):
    """Which event-log records: by ``event`` name, optionally ``device``, field values and a time span."""

    event: str
    device: str | None = None
    where: dict[str, Scalar] = Field(default_factory=dict)
    after: Time | None = None  # inclusive
    before: Time | None = None  # exclusive

    @model_validator(mode="after")
    def _span(self) -> EventSelector:
        if self.after is not None and self.before is not None and self.before.seconds <= self.after.seconds:
            raise ValueError(f"before ({self.before.text}) must be later than after ({self.after.text})")
        return self

    def text(self) -> str:
        parts = [self.event]
        if self.device:
            parts.append(f"on {self.device}")
        if self.where:
            parts.append("with " + ", ".join(f"{k}={v}" for k, v in self.where.items()))
        if self.after is not None:
            parts.append(f"from {self.after.text}")
        if self.before is not None:
            parts.append(f"before {self.before.text}")
        return " ".join(parts)


def _count_spec(value: Any) -> tuple[str, int]:
    if isinstance(value, bool):
        raise ValueError("expected a count such as 2 or '>= 1'")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a count must be >= 0")
        return ("==", value)
    if isinstance(value, str):
        m = _COUNT_RE.fullmatch(value)
        if m is not None:
            return (m.group(1) or "==", int(m.group(2)))
    if isinstance(value, tuple) and len(value) == 2:
        return value
    raise ValueError(f"expected a count such as 2 or '>= 1' (op one of {', '.join(COMPARISONS)})")


class EventsExpectation(_Model):
    """The number of matching records compares with ``count`` (``2`` means ``== 2``; or ``">= 1"``)."""

    events: EventSelector
    count: Annotated[tuple[str, int], BeforeValidator(_count_spec)]
    name: str | None = None

    def text(self) -> str:
        op, n = self.count
        return self.name or f"count of {self.events.text()} {op} {n}"


class NeverSelector(EventSelector):
    """``twice_with_same``: the condition is two matching records sharing these fields (``device``
    counts as a field); without it, any matching record at all."""

    twice_with_same: list[str] | None = None

    @field_validator("twice_with_same", mode="before")
    @classmethod
    def _one_or_list(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("twice_with_same")
    @classmethod
    def _non_empty(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and not v:
            raise ValueError("name at least one field, e.g. [utrn]")
        return v


class NeverExpectation(_Model):
    never: NeverSelector
    name: str | None = None

    def text(self) -> str:
        same = self.never.twice_with_same
        if same:
            return self.name or f"never {self.never.text()} twice with the same {', '.join(same)}"
        return self.name or f"never {self.never.text()}"


_EXPECT_KINDS = ("counter", "events", "never")


def _expect_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "counter"
    if isinstance(value, dict):
        found = [k for k in _EXPECT_KINDS if k in value]
        return found[0] if len(found) == 1 else None
    if isinstance(value, CounterExpectation):
        return "counter"
    if isinstance(value, EventsExpectation):
        return "events"
    if isinstance(value, NeverExpectation):
        return "never"
    return None


Expectation = Annotated[
    Annotated[CounterExpectation, Tag("counter")] | Annotated[EventsExpectation, Tag("events")]
    | Annotated[NeverExpectation, Tag("never")],
    Discriminator(_expect_tag, custom_error_type="expectation_kind",
                  custom_error_message="expected 'counter op number' (e.g. 'topups_accepted == 3') or a "
                                       "mapping with exactly one of 'counter', 'events', 'never'"),
]


# --------------------------------------------------------------------------------------------------
# Story
# --------------------------------------------------------------------------------------------------


class Story(_Model):
    """One story file, validated. ``steps()`` gives the timeline with absolute times, in file order."""

    name: str = ""
    description: str = ""
    seed: Seed
    options: Options
    horizon: Time
    premises: Premises = Field(default_factory=lambda: Premises())
    timeline: list[Step] = Field(min_length=1)
    expect: list[Expectation] = Field(default_factory=list)

    @field_validator("horizon")
    @classmethod
    def _positive(cls, v: TimeSpec) -> TimeSpec:
        if v.seconds <= 0:
            raise ValueError("the horizon must be later than t = 0")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Story:
        fuels = self.premises.fuels()
        labels: dict[str, tuple[float, str]] = {}
        prev = 0.0
        for i, step in enumerate(self.timeline):
            at = prev + step.at.seconds if step.at.relative else step.at.seconds
            where = f"timeline[{i}]"
            if at > self.horizon.seconds:
                raise ValueError(f"{where}.at = {step.at.text!r}: is {format_time(at)}, after the horizon "
                                 f"({self.horizon.text} = {format_time(self.horizon.seconds)}); allowed: "
                                 f"times up to the horizon")
            if isinstance(step, EmergencyCreditRequested | SupplyEnableRequested) and step.fuel not in fuels:
                raise ValueError(f"{where}.fuel = {step.fuel!r}: the premises has no {step.fuel} meter "
                                 f"(premises.fuel = {self.premises.fuel!r}); allowed: {', '.join(sorted(fuels))}")
            if isinstance(step, UTRNIssued):
                if step.fuel not in fuels:
                    raise ValueError(f"{where}.fuel = {step.fuel!r}: the premises has no {step.fuel} meter "
                                     f"(premises.fuel = {self.premises.fuel!r}); allowed: {', '.join(sorted(fuels))}")
                if step.label is not None:
                    if step.label in labels:
                        raise ValueError(f"{where}.label = {step.label!r}: already used by "
                                         f"{labels[step.label][1]}; each label once")
                    labels[step.label] = (at, where)
            if isinstance(step, UTRNEntered):
                issued = labels.get(step.label)
                if issued is None:
                    known = ", ".join(repr(k) for k in labels) or "none so far"
                    raise ValueError(f"{where}.label = {step.label!r}: no earlier utrn_issued step has this "
                                     f"label; labels issued earlier: {known}")
                if issued[0] > at:
                    raise ValueError(f"{where}.label = {step.label!r}: entered at {format_time(at)}, before it "
                                     f"is issued ({issued[1]}, {format_time(issued[0])})")
                if step.fuel is not None and step.fuel not in fuels:
                    raise ValueError(f"{where}.fuel = {step.fuel!r}: the premises has no {step.fuel} meter "
                                     f"(premises.fuel = {self.premises.fuel!r})")
            prev = at
        installs = [i for i, s in enumerate(self.timeline) if isinstance(s, Install)]
        if len(installs) > 1:
            raise ValueError(f"timeline[{installs[1]}].do = 'install': the premises is installed once "
                             f"(already at timeline[{installs[0]}])")
        return self

    def steps(self) -> list[tuple[float, Any]]:
        """(absolute time in seconds, step) for each timeline step, in file order."""
        out: list[tuple[float, Any]] = []
        prev = 0.0
        for step in self.timeline:
            at = prev + step.at.seconds if step.at.relative else step.at.seconds
            out.append((at, step))
            prev = at
        return out

    def issued_fuel(self, label: str) -> str:
        for step in self.timeline:
            if isinstance(step, UTRNIssued) and step.label == label:
                return step.fuel
        raise KeyError(label)

    def expectation_texts(self) -> list[str]:
        return [e.text() for e in self.expect]


# --------------------------------------------------------------------------------------------------
# Loading, with one-line errors
# --------------------------------------------------------------------------------------------------

def _allowed_fields(data: Any, loc: tuple[int | str, ...]) -> list[str] | None:
    """The field names allowed where an unknown one was found (walks the models along ``loc``)."""
    cls: Any = Story
    node: Any = data
    for part in loc[:-1]:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if cls is _STEP_UNION:
                tag = _step_tag(node)
                cls = dict(zip(STEP_KINDS, _STEP_MODELS, strict=True)).get(tag or "")
            elif cls is _EXPECT_UNION:
                cls = {"counter": CounterExpectation, "events": EventsExpectation,
                       "never": NeverExpectation}.get(_expect_tag(node) or "")
            continue
        fields = getattr(cls, "model_fields", None)
        if fields is None or part not in fields:
            return None
        node = node.get(part) if isinstance(node, dict) else None
        ann = fields[part].annotation
        cls = {"timeline": _STEP_UNION, "expect": _EXPECT_UNION, "never": NeverSelector,
               "events": EventSelector, "premises": Premises}.get(str(part), ann)
    fields = getattr(cls, "model_fields", None)
    return list(fields) if fields is not None else None


_STEP_UNION = object()
_EXPECT_UNION = object()


def story_error(exc: ValidationError, where: str, data: Any = None) -> InputError:
    """One line naming the field path, the value and what is allowed, for the first problem found
    (``smetslab.validation.one_line`` with the story's unions and allowed fields)."""
    return one_line(exc, "story", where, allowed_fields=lambda loc: _allowed_fields(data, loc),
                    union_tags={"timeline": STEP_KINDS, "expect": _EXPECT_KINDS},
                    discriminators={"step_kind": ("do", STEP_KINDS)}, literal_intro="allowed:")


def validate_story(data: Any, where: str = "<data>") -> Story:
    """Validate plain data (parsed YAML) into a Story; InputError (one line) on any problem."""
    if not isinstance(data, dict):
        raise InputError(f"story {where}: expected a mapping of fields at the top level (name, seed, options, "
                         f"horizon, premises, timeline, expect), got {type(data).__name__}")
    try:
        story = Story.model_validate(data)
    except ValidationError as exc:
        raise story_error(exc, where, data) from None
    return story
