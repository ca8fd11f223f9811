"""Running a story: timeline -> ``Site`` calls, run to the horizon, expectations -> verdicts.

Theory of operation
-------------------
``run_story(story)`` builds a ``Site`` (``smetslab.premises.site``) from the story's seed, options and
premises, schedules every timeline step as a Site call at its absolute time (``schedule_timeline``),
runs the Site to the horizon and judges each expectation against ``Site.counters()`` and the event log
(``evaluate``). A failed expectation is a value (``Verdict(passed=False)``), not an exception: the
shell turns it into exit 1. Bad input - a counter the Site does not report, an event no device or
actor logs, a step the Site refuses - raises ``InputError`` naming the story field (exit 2), so a
typo can never make an expectation pass vacuously.

With a ``PremisesStore`` the run is persistent: the Site is driven one **instant** at a time (every
action at the same simulated time, including the HAN deliveries they trigger), and after each instant
the Site's ``state_snapshot()`` and the instant's event-log rows are committed in one transaction.
Committing at instant boundaries means no frame is ever half-way between two devices in a saved
state. A run that finds a checkpoint in its store resumes: ``Site.from_snapshot`` rebuilds the Site
as it was, the timeline steps after the checkpoint's time are scheduled again, and the log continues
at the next row. Credit is never lost or doubled (the meter's balance and counter cache commit with the
rows that report them), and because the Site's snapshot is complete between instants (its pending
follow-ups included) and the emulation is deterministic (seeded RNG, RFC 6979 signatures), a resumed
run's log and counters are identical to an uninterrupted run's, byte for byte.

``commit_quiet_instants=False`` (``--commit-logged-only``) commits only the instants that logged
something, and the end. It is safe for the same reason: nothing outside the premises saw a quiet
instant (it wrote no row), and whatever it changed inside (a meter's consumption, a frame queued for
the GSME) is recomputed identically when the premises resumes from the previous commit. A top-up is
always logged, so its credit is always committed with the instant that applied it.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import math
import pkgutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from smetslab.errors import InputError
from smetslab.premises.engine import Engine, LogRecord
from smetslab.premises.persistence import PremisesStore, story_digest
from smetslab.premises.story import (
    AttackerArrives,
    ButtonPressed,
    CounterExpectation,
    EmergencyCreditRequested,
    EngineerArrives,
    EventSelector,
    EventsExpectation,
    HubPowerCycled,
    Install,
    NeverExpectation,
    PPMIDLost,
    ReplacementPPMIDArrives,
    Story,
    SupplyEnableRequested,
    UTRNEntered,
    UTRNIssued,
    WANLost,
    WANRestored,
    format_time,
)

__all__ = [
    "SiteLike",
    "SiteFactory",
    "RestoreFactory",
    "site_config_fields",
    "build_site",
    "restore_site",
    "schedule_timeline",
    "describe_step",
    "Verdict",
    "StoryRun",
    "evaluate",
    "known_event_names",
    "run_story",
    "summary",
]


class SiteLike(Protocol):
    """What the runner needs of a ``premises.site.Site`` (the contract between the two modules)."""

    engine: Engine

    def install(self, at: float, *, wan: bool = True, ppmid: bool = True) -> None: ...
    def wan_lost(self, at: float) -> None: ...
    def wan_restored(self, at: float) -> None: ...
    def ppmid_lost(self, at: float) -> None: ...
    def replacement_ppmid_arrives(self, at: float) -> None: ...
    def press_hub_button(self, at: float) -> None: ...
    def power_cycle_hub(self, at: float) -> None: ...
    def issue_utrn(self, at: float, *, value_pence: int, fuel: str, route: str, label: str | None = None) -> None: ...
    def enter_utrn(self, at: float, *, label: str, on: str, fuel: str) -> None: ...
    def attacker(self, at: float, *, kind: str, credentials: bool = False, duration_s: float = 3600,
                 rate_per_hour: float = 60, delay_s: float = 3600) -> None: ...
    def emergency_credit(self, at: float, *, fuel: str, on: str) -> None: ...
    def enable_supply(self, at: float, *, fuel: str, on: str) -> None: ...
    def engineer_visit(self, at: float, *, duration_s: float = 7200.0) -> None: ...
    def run(self, until: float) -> None: ...
    def counters(self) -> dict[str, float]: ...
    def state_snapshot(self) -> dict[str, Any]: ...


SiteFactory = Callable[[Story], SiteLike]
RestoreFactory = Callable[[Story, dict[str, Any]], SiteLike]


def site_config_fields(story: Story) -> dict[str, Any]:
    """The ``SiteConfig`` fields a story sets: seed, options and the premises fields it writes (the
    others keep the Site's defaults)."""
    return {"seed": story.seed, "options": story.options, **story.premises.model_dump(exclude_unset=True)}


def build_site(story: Story) -> SiteLike:
    """The real Site for a story (``smetslab.premises.site``, imported when first needed)."""
    site_mod = importlib.import_module("smetslab.premises.site")
    site: SiteLike = site_mod.Site(site_mod.SiteConfig(**site_config_fields(story)))
    return site


def restore_site(story: Story, snapshot: dict[str, Any]) -> SiteLike:
    """The real Site rebuilt from a snapshot (``Site.from_snapshot``)."""
    site_mod = importlib.import_module("smetslab.premises.site")
    site: SiteLike = site_mod.Site.from_snapshot(snapshot, site_mod.SiteConfig(**site_config_fields(story)))
    return site


# --------------------------------------------------------------------------------------------------
# Timeline -> Site calls
# --------------------------------------------------------------------------------------------------


def describe_step(step: Any) -> str:
    """One line for the readable timeline, e.g. ``utrn_issued 1000p electricity via ppmid [first]``."""
    if isinstance(step, Install):
        extras = [w for w, on in (("no WAN", not step.wan), ("no PPMID", not step.ppmid)) if on]
        text = "install" + (f" ({', '.join(extras)})" if extras else "")
    elif isinstance(step, UTRNIssued):
        text = f"utrn_issued {step.value_pence}p {step.fuel} via {step.route}"
        text += f" [{step.label}]" if step.label else ""
    elif isinstance(step, UTRNEntered):
        text = f"utrn_entered [{step.label}] on {step.on}" + (f" ({step.fuel})" if step.fuel else "")
    elif isinstance(step, AttackerArrives):
        text = (f"attacker_arrives {step.kind}{' with credentials' if step.credentials else ''} for "
                f"{step.duration.text} at {step.rate_per_hour:g}/h")
    elif isinstance(step, EmergencyCreditRequested | SupplyEnableRequested):
        text = f"{step.do} {step.fuel} on {step.on}"
    elif isinstance(step, EngineerArrives):
        text = f"engineer_arrives for {step.duration.text}"
    else:
        text = str(step.do)
    return text + (f"  # {step.note}" if step.note else "")


def _call(site: SiteLike, story: Story, at: float, step: Any) -> None:
    if isinstance(step, Install):
        site.install(at, wan=step.wan, ppmid=step.ppmid)
    elif isinstance(step, WANLost):
        site.wan_lost(at)
    elif isinstance(step, WANRestored):
        site.wan_restored(at)
    elif isinstance(step, PPMIDLost):
        site.ppmid_lost(at)
    elif isinstance(step, ReplacementPPMIDArrives):
        site.replacement_ppmid_arrives(at)
    elif isinstance(step, ButtonPressed):
        site.press_hub_button(at)
    elif isinstance(step, HubPowerCycled):
        site.power_cycle_hub(at)
    elif isinstance(step, UTRNIssued):
        site.issue_utrn(at, value_pence=step.value_pence, fuel=step.fuel, route=step.route, label=step.label)
    elif isinstance(step, UTRNEntered):
        site.enter_utrn(at, label=step.label, on=step.on, fuel=step.fuel or story.issued_fuel(step.label))
    elif isinstance(step, AttackerArrives):
        site.attacker(at, kind=step.kind, credentials=step.credentials, duration_s=step.duration.seconds,
                      rate_per_hour=step.rate_per_hour, delay_s=step.delay.seconds)
    elif isinstance(step, EmergencyCreditRequested):
        site.emergency_credit(at, fuel=step.fuel, on=step.on)
    elif isinstance(step, SupplyEnableRequested):
        site.enable_supply(at, fuel=step.fuel, on=step.on)
    elif isinstance(step, EngineerArrives):
        site.engineer_visit(at, duration_s=step.duration.seconds)
    else:  # pragma: no cover - the schema admits no other step
        raise TypeError(f"no Site call for step {type(step).__name__}")


def schedule_timeline(site: SiteLike, story: Story, *, after: float | None = None,
                      where: str = "<story>") -> int:
    """Schedule each timeline step later than ``after`` (all when None) as a Site call. Returns how many.

    InputError naming ``timeline[i]`` when the Site refuses a step (e.g. a route this premises lacks).
    """
    n = 0
    for i, (at, step) in enumerate(story.steps()):
        if after is not None and at <= after:
            continue
        try:
            _call(site, story, at, step)
        except InputError as exc:
            raise InputError(f"story {where}: timeline[{i}] ({step.do} at {step.at.text}): {exc}") from None
        n += 1
    return n


# --------------------------------------------------------------------------------------------------
# Expectations -> verdicts
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Verdict:
    """One expectation judged: ``expect[index]`` written as ``expectation``; ``observed`` says what was seen."""

    index: int
    expectation: str
    passed: bool
    observed: str


_MEDIA_EVENTS = frozenset({"FrameQueued", "FrameDelivered", "FrameDropped", "DeviceWoke", "FramesLost",
                           "WANLost", "WANRestored", "WANUnavailable"})


def known_event_names() -> frozenset[str]:
    """Names of every event a device or actor can log: dataclasses of ``smetslab.devices`` and
    ``smetslab.premises`` modules, and the HAN/WAN media's own records."""
    names: set[str] = set(_MEDIA_EVENTS)
    for pkg_name in ("smetslab.devices", "smetslab.premises"):
        pkg = importlib.import_module(pkg_name)
        for info in pkgutil.iter_modules(pkg.__path__):
            try:
                mod = importlib.import_module(f"{pkg_name}.{info.name}")
            except ImportError:  # pragma: no cover - a sibling module mid-edit must not break a story run
                continue
            for obj in vars(mod).values():
                if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == mod.__name__:
                    names.add(obj.__name__)
    return frozenset(names)


def _compare(observed: float, op: str, expected: float) -> bool:
    # Counters such as hours are floats: equality within 1e-9 so 3600 s / 3600 == 1 however it was summed.
    close = math.isclose(observed, expected, rel_tol=1e-9, abs_tol=1e-9)
    return {"==": close, "!=": not close, "<=": observed <= expected or close, ">=": observed >= expected or close,
            "<": observed < expected and not close, ">": observed > expected and not close}[op]


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.6g}"


def _matches(rec: LogRecord, sel: EventSelector) -> bool:
    if rec.event != sel.event or (sel.device is not None and rec.device != sel.device):
        return False
    if sel.after is not None and rec.time < sel.after.seconds:
        return False
    if sel.before is not None and rec.time >= sel.before.seconds:
        return False
    return all(k in rec.fields and rec.fields[k] == v for k, v in sel.where.items())


def _check_selector(sel: EventSelector, path: str, records: Sequence[LogRecord], events: frozenset[str],
                    devices: frozenset[str], where: str, *, vacuous: bool,
                    extra_fields: Iterable[str] = ()) -> str:
    """Refuse a selector that names something nobody logs when the expectation would then pass with no
    record at all (``vacuous``); otherwise return a hint for the failure message ("" if all is known).

    Actors log events by name (not as classes), so an event that simply did not happen in this run
    cannot be told from a typo: that is only an input error when it would make the expectation pass."""
    hints = []
    if sel.event not in events:
        near = difflib.get_close_matches(sel.event, sorted(events), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        if vacuous:
            raise InputError(f"story {where}: {path}.event = {sel.event!r}: no device or actor logs this event"
                             f"{hint}")
        hints.append(f"nothing logged {sel.event!r}{hint}")
    if sel.device is not None and sel.device not in devices:
        if vacuous:
            raise InputError(f"story {where}: {path}.device = {sel.device!r}: not a device of this premises; "
                             f"allowed: {', '.join(sorted(devices))}")
        hints.append(f"nothing was logged by {sel.device!r}")
    named = [r for r in records if r.event == sel.event]
    if named:
        fields = set().union(*(r.fields for r in named)) | {"device"}
        for key in [*sel.where, *extra_fields]:
            if key not in fields:
                raise InputError(f"story {where}: {path}: {sel.event} has no field {key!r}; its fields: "
                                 f"{', '.join(sorted(fields))}")
    return "; ".join(hints)


def evaluate(story: Story, counters: Mapping[str, float], records: Sequence[LogRecord], *,
             devices: Iterable[str] = (), where: str = "<story>") -> list[Verdict]:
    """Judge every expectation. InputError for a counter, event, device or field nobody reports."""
    if not story.expect:
        return []
    events = known_event_names() | {r.event for r in records}
    device_names = frozenset(devices) | {r.device for r in records}
    verdicts: list[Verdict] = []
    for i, exp in enumerate(story.expect):
        path = f"expect[{i}]"
        if isinstance(exp, CounterExpectation):
            if exp.counter not in counters:
                near = difflib.get_close_matches(exp.counter, sorted(counters), n=1)
                hint = f"did you mean {near[0]!r}? " if near else ""
                raise InputError(f"story {where}: {path}.counter = {exp.counter!r}: not a counter of this premises; "
                                 f"{hint}allowed: {', '.join(sorted(counters))}")
            got = float(counters[exp.counter])
            verdicts.append(Verdict(i, exp.text(), _compare(got, exp.op, exp.value), f"{exp.counter} = {_num(got)}"))
        elif isinstance(exp, EventsExpectation):
            op, want = exp.count
            hint = _check_selector(exp.events, f"{path}.events", records, events, device_names, where,
                                   vacuous=_compare(0, op, want))
            n = sum(1 for r in records if _matches(r, exp.events))
            observed = f"{n} matching record{'s' * (n != 1)}" + (f"; {hint}" if hint else "")
            verdicts.append(Verdict(i, exp.text(), _compare(n, op, want), observed))
        elif isinstance(exp, NeverExpectation):
            sel = exp.never
            same = sel.twice_with_same or []
            _check_selector(sel, f"{path}.never", records, events, device_names, where, vacuous=True,
                            extra_fields=same)
            matching = [r for r in records if _matches(r, sel)]
            if not same:
                passed = not matching
                observed = ("none" if passed else
                            f"{len(matching)} record(s), first at {format_time(matching[0].time)} on {matching[0].device}")
            else:
                seen: dict[tuple[Any, ...], LogRecord] = {}
                clash: tuple[LogRecord, LogRecord] | None = None
                for r in matching:
                    key = tuple(repr(r.device if k == "device" else r.fields.get(k)) for k in same)
                    if key in seen:
                        clash = (seen[key], r)
                        break
                    seen[key] = r
                passed = clash is None
                if clash is None:
                    observed = f"{len(matching)} record(s), all distinct"
                else:
                    a, b = clash
                    vals = ", ".join(f"{k}={(b.device if k == 'device' else b.fields.get(k))}" for k in same)
                    observed = f"{vals} at {format_time(a.time)} and {format_time(b.time)}"
            verdicts.append(Verdict(i, exp.text(), passed, observed))
    return verdicts


# --------------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class StoryRun:
    """The outcome of a story: final counters, the whole event log, one verdict per expectation."""

    story: Story
    counters: dict[str, float]
    records: list[LogRecord]
    verdicts: list[Verdict]
    steps: list[tuple[float, str]]  # (time, description) of each timeline step
    resumed_from: float | None = None  # the checkpoint time a persistent run resumed from
    instants: int = 0  # instants committed (persistent runs)

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)

    @property
    def failed(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.passed]


def _check_counters_known(story: Story, counters: Mapping[str, float], where: str) -> None:
    # Before running: a misspelt counter should not cost a whole run to find out.
    for i, exp in enumerate(story.expect):
        if isinstance(exp, CounterExpectation) and exp.counter not in counters:
            near = difflib.get_close_matches(exp.counter, sorted(counters), n=1)
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise InputError(f"story {where}: expect[{i}].counter = {exp.counter!r}: not a counter of this "
                             f"premises; {hint}allowed: {', '.join(sorted(counters))}")


def run_story(story: Story, *, site_factory: SiteFactory | None = None, store: PremisesStore | None = None,
              restore_factory: RestoreFactory | None = None, where: str | None = None,
              commit_quiet_instants: bool = True) -> StoryRun:
    """Run ``story`` to its horizon and judge its expectations (persistently when ``store`` is given).

    ``commit_quiet_instants=False`` commits only the instants that logged something (and the end): an
    instant that logs nothing was seen by no one and changes no credit (every top-up is logged), so after
    a crash it is simply processed again, identically, from the previous commit. Fewer snapshots, same
    guarantees, same log (see the module docstring)."""
    where = where or repr(story.name or "<story>")
    factory = site_factory or build_site
    if store is not None:
        return _run_persistent(story, store, _named(factory, where), _named(restore_factory or restore_site, where),
                               where, commit_quiet_instants)
    site = _named(factory, where)(story)
    _check_counters_known(story, site.counters(), where)
    schedule_timeline(site, story, where=where)
    site.run(story.horizon.seconds)
    records = list(site.engine.log.records)
    counters = dict(site.counters())
    verdicts = evaluate(story, counters, records, devices=site.engine.devices, where=where)
    return StoryRun(story, counters, records, verdicts, _step_lines(story))


def _named(make: Callable[..., SiteLike], where: str) -> Callable[..., SiteLike]:
    """``make`` with a configuration the Site refuses reported against the story's premises block."""
    def call(*args: Any) -> SiteLike:
        try:
            return make(*args)
        except InputError as exc:
            raise InputError(f"story {where}: premises: {exc}") from None
    return call


def _step_lines(story: Story) -> list[tuple[float, str]]:
    return [(at, describe_step(step)) for at, step in story.steps()]


def _run_persistent(story: Story, store: PremisesStore, factory: SiteFactory, restorer: RestoreFactory,
                    where: str, commit_quiet_instants: bool) -> StoryRun:
    horizon = story.horizon.seconds
    store.begin_run(story.name, story_digest(story.model_dump_json()), site_config_fields(story))
    ckpt = store.checkpoint()
    if ckpt is None:
        site = factory(story)
        _check_counters_known(story, site.counters(), where)
        schedule_timeline(site, story, where=where)
        instants, stored, resumed_from, finished = 0, 0, None, False
    else:
        site = restorer(story, ckpt.state)
        _check_counters_known(story, site.counters(), where)
        schedule_timeline(site, story, after=ckpt.time, where=where)
        instants, stored, resumed_from, finished = ckpt.instants, ckpt.events, ckpt.time, ckpt.finished
    eng = site.engine
    logged = len(eng.log)
    if not finished:
        while (t := eng.next_time()) is not None and t <= horizon:
            eng.run(t)  # every action at t, including the deliveries they schedule at t
            instants += 1
            if commit_quiet_instants or len(eng.log) > logged:
                stored = store.commit(t, instants, site.state_snapshot(), eng.log.records[logged:],
                                      first_seq=stored)
                logged = len(eng.log)
        site.run(horizon)
        stored = store.commit(horizon, instants, site.state_snapshot(), eng.log.records[logged:],
                              first_seq=stored, finished=True)
    records = list(store.records())
    counters = dict(site.counters())
    verdicts = evaluate(story, counters, records, devices=eng.devices, where=where)
    return StoryRun(story, counters, records, verdicts, _step_lines(story), resumed_from, instants)


def summary(run: StoryRun) -> dict[str, Any]:
    """The run as a JSON-able dict (what ``--json`` prints)."""
    s = run.story
    return {
        "story": s.name,
        "seed": s.seed,
        "options": s.options,
        "horizon_s": s.horizon.seconds,
        "events": len(run.records),
        "counters": {k: run.counters[k] for k in sorted(run.counters)},
        "expectations": [{"index": v.index, "expectation": v.expectation, "passed": v.passed,
                          "observed": v.observed} for v in run.verdicts],
        "passed": run.passed,
        "failed": [v.expectation for v in run.failed],
        "resumed_from_s": run.resumed_from,
    }
