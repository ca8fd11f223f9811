"""The discrete-event engine of the premises emulator: virtual clock, event queue, event log, HAN, WAN.

Theory of operation
-------------------
Nothing here reads the wall clock. ``Engine.now`` is a virtual clock in seconds (``SimTime``) that
jumps from one scheduled action to the next. Actions sit in a heap keyed by ``(time, priority,
sequence)``: the sequence number is the order of scheduling, so two runs that schedule the same
actions in the same order process them in the same order, whatever the heap does with equal keys.
Everything random draws from ``Engine.rng``, a numpy Generator seeded once; the same seed therefore
gives the same event log, byte for byte.

Devices are pure state machines ``step(state, input, now) -> (state, events)`` (see
``smetslab.devices``). The engine keeps each device's current state in a ``DeviceActor``; to deliver
an input it calls the step function, stores the new state and appends every event to the
``EventLog`` as a record ``(time, device, event, fields)``, exportable as JSON lines.

Two media carry inputs between devices:

- ``HANMedium``: delivers a frame from one device to another only when both are on the SM HAN (the
  CHF itself, or a device the CHF's device log shows as joined) and the hub is powered. The GSME is
  battery powered and sleeps, so frames for a *sleepy* device wait in a queue at the hub and are
  handed over when the device next wakes (it wakes every ``wake_interval_s``).
- ``WANLink``: the hub's link to the DCC. Its availability is a schedule of change points (WAN lost
  at t1, restored at t2, ...). A message sent while it is down is not delivered and the sender is
  told (``False``) so the sending actor can decide whether to retry.

Priorities order simultaneous actions: power and network changes first (a WAN lost at t affects a
command sent at t), then deliveries, then scheduled inputs, then periodic ticks, then observers.
"""

from __future__ import annotations

import bisect
import dataclasses
import enum
import heapq
import itertools
import json
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import IO, Any

import numpy as np

from smetslab.devices import chf as chf_machine
from smetslab.units import EUI64, SimTime

__all__ = [
    "Priority",
    "LogRecord",
    "EventLog",
    "DeviceActor",
    "Engine",
    "AvailabilitySchedule",
    "HANMedium",
    "WANLink",
    "event_fields",
]


class Priority(enum.IntEnum):
    """Tie-break between actions scheduled for the same instant (lower runs first)."""

    POWER = 0  # a hub switched off at t drops what arrives at t
    NETWORK = 10  # WAN lost/restored at t applies to sends at t
    DELIVERY = 20  # frames in flight
    INPUT = 30  # scheduled inputs (story steps, consumers, attackers)
    TICK = 40  # periodic consumption ticks, sleepy-device wake-ups
    OBSERVE = 90  # probes that only read state


# --------------------------------------------------------------------------------------------------
# Event log
# --------------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """A JSON-friendly copy of an event field: enums by name, bytes as hex, EUIs as 16 hex digits."""
    t = type(value)
    if t is str or t is int or t is float or t is bool or value is None:  # most fields: nothing to do
        return value
    if isinstance(value, EUI64):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex().upper()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value) if _logged(f)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, frozenset | set) else items
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _logged(f: dataclasses.Field[Any]) -> bool:
    # A field declared with metadata {"log": False} stays out of the log (today: the TC link key handed
    # over in HANJoined). GBCS wire bytes are logged: signing is deterministic (RFC 6979), so a seed
    # still gives one log, byte for byte.
    return bool(f.metadata.get("log", True))


def event_fields(event: Any) -> dict[str, Any]:
    """The fields of a device event (a dataclass) as a JSON-friendly dict (fields marked
    ``metadata={"log": False}`` are left out)."""
    if dataclasses.is_dataclass(event) and not isinstance(event, type):
        return {f.name: _jsonable(getattr(event, f.name)) for f in dataclasses.fields(event) if _logged(f)}
    return {"value": _jsonable(event)}


class LogRecord:
    """One line of the event log: at ``time`` (s), ``device`` emitted ``event`` with ``fields``.

    A device event's ``fields`` are made JSON-friendly when first read, not when logged: most records
    of a long run are never read one by one (the runner counts and filters them by name), and the
    conversion was a quarter of a quiet run. Device events are frozen dataclasses, so reading later
    gives what reading at once would have."""

    __slots__ = ("time", "device", "event", "_fields", "_source")

    def __init__(self, time: float, device: str, event: str, fields: dict[str, Any] | None = None, *,
                 source: Any = None) -> None:
        self.time = time
        self.device = device
        self.event = event
        self._fields = fields
        self._source = source

    @property
    def fields(self) -> dict[str, Any]:
        if self._fields is None:
            self._fields = event_fields(self._source) if self._source is not None else {}
            self._source = None
        return self._fields

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LogRecord):
            return NotImplemented
        return (self.time, self.device, self.event, self.fields) == (other.time, other.device, other.event,
                                                                     other.fields)

    __hash__ = None  # type: ignore[assignment]  # mutable cache inside, like the dataclass it replaces

    def __repr__(self) -> str:
        return (f"LogRecord(time={self.time!r}, device={self.device!r}, event={self.event!r}, "
                f"fields={self.fields!r})")

    def to_json(self) -> str:
        return json.dumps({"time": self.time, "device": self.device, "event": self.event,
                           "fields": self.fields}, separators=(",", ":"), sort_keys=False)


_FROZEN: dict[type, bool] = {}  # event type -> a frozen dataclass (its fields may be read later)


class EventLog:
    """Append-only list of ``LogRecord``; filter with ``select``, export with ``write_jsonl``."""

    def __init__(self) -> None:
        self.records: list[LogRecord] = []

    def append(self, time: float, device: str, event: Any) -> LogRecord:
        t = type(event)
        frozen = _FROZEN.get(t)
        if frozen is None:
            params = getattr(t, "__dataclass_params__", None)
            frozen = _FROZEN[t] = params is not None and bool(params.frozen)
        rec = (LogRecord(float(time), device, type(event).__name__, source=event) if frozen
               else LogRecord(float(time), device, type(event).__name__, event_fields(event)))
        self.records.append(rec)
        return rec

    def note(self, time: float, device: str, event: str, /, **fields: Any) -> LogRecord:
        """Record an engine-level happening (no device event object), e.g. ``FrameQueued``."""
        rec = LogRecord(float(time), device, event, {k: _jsonable(v) for k, v in fields.items()})
        self.records.append(rec)
        return rec

    def select(self, *, device: str | None = None, event: str | None = None) -> list[LogRecord]:
        return [r for r in self.records
                if (device is None or r.device == device) and (event is None or r.event == event)]

    def write_jsonl(self, stream: IO[str]) -> None:
        for rec in self.records:
            stream.write(rec.to_json() + "\n")

    def to_jsonl(self) -> str:
        return "".join(rec.to_json() + "\n" for rec in self.records)

    def __len__(self) -> int:
        return len(self.records)


# --------------------------------------------------------------------------------------------------
# Engine
# --------------------------------------------------------------------------------------------------

Step = Callable[[Any, Any, SimTime], tuple[Any, Sequence[Any]]]
EventHook = Callable[["Engine", "DeviceActor", Any], None]
ActionHook = Callable[[int, int], None]


@dataclasses.dataclass(slots=True)
class DeviceActor:
    """A device in the emulation: its name, EUI, current state and pure step function."""

    name: str
    eui: EUI64 | None
    state: Any
    step: Step


class Engine:
    """Virtual clock + deterministic event queue + seeded RNG + event log + the devices' states."""

    def __init__(self, *, seed: int, start: float = 0.0) -> None:
        self.seed = seed
        self.rng: np.random.Generator = np.random.default_rng(seed)
        self.now: SimTime = SimTime(float(start))
        self.log = EventLog()
        self.devices: dict[str, DeviceActor] = {}
        self._names: dict[EUI64, str] = {}  # EUI -> name of the first device added with it
        self._queue: list[tuple[float, int, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._hooks: list[EventHook] = []
        self._after: list[ActionHook] = []
        self.priority: int = int(Priority.INPUT)  # of the action being processed (or last processed)

    # -- devices --------------------------------------------------------------------------------
    def add_device(self, name: str, state: Any, step: Step, *, eui: EUI64 | None = None) -> DeviceActor:
        if name in self.devices:
            raise ValueError(f"device {name!r} added twice")
        actor = DeviceActor(name, eui, state, step)
        self.devices[name] = actor
        if eui is not None:
            self._names.setdefault(eui, name)
        return actor

    def device_named(self, eui: EUI64) -> str | None:
        """The name of the device with this EUI (None if no such device is emulated)."""
        return self._names.get(eui)

    def on_event(self, hook: EventHook) -> None:
        """Call ``hook(engine, actor, event)`` for every event a device emits (after it is logged)."""
        self._hooks.append(hook)

    def deliver(self, device: str, value: Any) -> list[Any]:
        """Give ``value`` to ``device``'s state machine now; log and return the events it emits."""
        actor = self.devices[device]
        actor.state, events = actor.step(actor.state, value, self.now)
        events = list(events)
        for ev in events:
            self.log.append(self.now, device, ev)
        for ev in events:
            for hook in self._hooks:
                hook(self, actor, ev)
        return events

    def after_action(self, hook: ActionHook) -> None:
        """Call ``hook(priority, first)`` after every action the queue runs: its priority, and the index of
        the first log record it wrote (``len(log)`` if none): how the premises learns what happened
        (``premises.clock``)."""
        self._after.append(hook)

    # -- scheduling -----------------------------------------------------------------------------
    def schedule(self, at: float, action: Callable[[], None], *, priority: int = Priority.INPUT) -> None:
        """Run ``action()`` at virtual time ``at`` (not before now: the past cannot be changed)."""
        if at < self.now:
            raise ValueError(f"cannot schedule at t={at} s: the clock is already at {self.now} s")
        heapq.heappush(self._queue, (float(at), int(priority), next(self._seq), action))

    def schedule_input(self, at: float, device: str, value: Any, *, priority: int = Priority.INPUT) -> None:
        """Deliver ``value`` to ``device`` at time ``at``."""
        if device not in self.devices:
            raise ValueError(f"no device named {device!r}; known: {sorted(self.devices)}")
        def deliver() -> None:
            self.deliver(device, value)

        self.schedule(at, deliver, priority=priority)

    def every(self, interval_s: float, action: Callable[[], None], *, start: float | None = None,
              until: float | None = None, priority: int = Priority.TICK) -> None:
        """Run ``action()`` every ``interval_s`` from ``start`` (default now) while time <= ``until``."""
        if interval_s <= 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s}")
        first = self.now if start is None else start

        def fire(at: float) -> None:
            action()
            nxt = at + interval_s
            if until is None or nxt <= until:
                self.schedule(nxt, lambda: fire(nxt), priority=priority)

        if until is None or first <= until:
            self.schedule(first, lambda: fire(first), priority=priority)

    def pending(self) -> int:
        return len(self._queue)

    def next_time(self) -> float | None:
        """The time of the next scheduled action (None when the queue is empty)."""
        return self._queue[0][0] if self._queue else None

    def step(self) -> bool:
        """Process the next action. False when the queue is empty."""
        if not self._queue:
            return False
        at, prio, _seq, action = heapq.heappop(self._queue)
        self.now = SimTime(at)
        self.priority = prio
        if not self._after:
            action()
            return True
        n = len(self.log.records)
        action()
        for hook in self._after:
            hook(prio, n)
        return True

    def run(self, until: float) -> None:
        """Process every action scheduled at or before ``until``; the clock then reads ``until``."""
        while self._queue and self._queue[0][0] <= until:
            self.step()
        if until > self.now:
            self.now = SimTime(float(until))


# --------------------------------------------------------------------------------------------------
# WAN availability
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class AvailabilitySchedule:
    """Whether the WAN is up, as change points: ``changes`` = ((t, up), ...) sorted by t.

    Availability at time t is the value of the last change at or before t (a change at t applies
    at t), else ``initially_available``.
    """

    initially_available: bool = True
    changes: tuple[tuple[float, bool], ...] = ()

    def __post_init__(self) -> None:
        times = [t for t, _ in self.changes]
        if times != sorted(times):
            raise ValueError(f"WAN availability changes must be sorted by time, got {times}")

    @classmethod
    def with_outages(cls, outages: Iterable[tuple[float, float]]) -> AvailabilitySchedule:
        """Up except during each ``[start, end)`` outage (end may be ``inf``: never restored)."""
        changes: list[tuple[float, bool]] = []
        last_end = -np.inf
        for start, end in sorted(outages):
            if start < last_end or end <= start:
                raise ValueError(f"WAN outages must be disjoint, non-empty intervals; got ({start}, {end})")
            changes.append((float(start), False))
            if end != np.inf:
                changes.append((float(end), True))
            last_end = end
        return cls(True, tuple(changes))

    def available(self, t: float) -> bool:
        i = bisect.bisect_right([c for c, _ in self.changes], t)
        return self.initially_available if i == 0 else self.changes[i - 1][1]


# --------------------------------------------------------------------------------------------------
# HAN medium
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _Sleepy:
    wake_interval_s: float
    queue: deque[tuple[str, Any, float]]
    capacity: int


_DELIVERY = int(Priority.DELIVERY)


class HANMedium:
    """Delivers frames (typed device inputs) between devices joined to the SM HAN.

    ``hub`` names the CHF actor: its state says which EUIs are joined and whether it is powered.
    Frames to a sleepy device queue at the hub (at most ``capacity`` per device; a frame arriving
    at a full queue is dropped and logged) until the device wakes.
    """

    def __init__(self, engine: Engine, *, hub: str, latency_s: float = 0.0) -> None:
        if hub not in engine.devices:
            raise ValueError(f"hub {hub!r} is not a device of the engine")
        self.engine = engine
        self.hub = hub
        self._hub_actor = engine.devices[hub]  # its state changes, the actor does not
        self.latency_s = latency_s
        self._sleepy: dict[str, _Sleepy] = {}
        self._joined_of: object = None  # the hub state ``_joined`` was read from
        self._joined: dict[EUI64, bool] = {}
        engine.on_event(self._watch_hub)

    def _watch_hub(self, engine: Engine, actor: DeviceActor, event: Any) -> None:
        if actor.name == self.hub and isinstance(event, chf_machine.PoweredOff):
            self.power_lost()

    # -- membership ------------------------------------------------------------------------------
    def _hub_state(self) -> chf_machine.CHFState:
        state: chf_machine.CHFState = self._hub_actor.state
        return state

    def hub_powered(self) -> bool:
        return chf_machine.is_powered(self._hub_actor.state)

    def on_han(self, device: str) -> bool:
        """True if ``device`` may use the SM HAN now: the hub itself, or joined per the device log."""
        if device == self.hub:
            return True
        eui = self.engine.devices[device].eui
        if eui is None:
            return False
        # Asked several times per frame; the answer changes only with the hub's state (a new object each
        # time it changes), so it is remembered per state.
        state = self._hub_state()
        if state is not self._joined_of:
            self._joined_of, self._joined = state, {}
        joined = self._joined.get(eui)
        if joined is None:
            joined = self._joined[eui] = chf_machine.is_joined(state, eui)
        return joined

    # -- sleepy devices ----------------------------------------------------------------------------
    def add_sleepy(self, device: str, *, wake_interval_s: float, first_wake: float | None = None,
                   capacity: int = 16) -> None:
        """Mark ``device`` as sleepy: it polls the hub every ``wake_interval_s`` seconds."""
        if device not in self.engine.devices:
            raise ValueError(f"no device named {device!r}")
        self._sleepy[device] = _Sleepy(wake_interval_s, deque(), capacity)
        start = self.engine.now + wake_interval_s if first_wake is None else first_wake
        self.engine.every(wake_interval_s, lambda: self._wake(device), start=start)

    def queued(self, device: str) -> int:
        sleepy = self._sleepy.get(device)
        return 0 if sleepy is None else len(sleepy.queue)

    def _wake(self, device: str) -> None:
        sleepy = self._sleepy[device]
        now = self.engine.now
        if not sleepy.queue:
            return
        if not self.hub_powered():
            return  # the queue is lost with the hub's power; see power_lost()
        self.engine.log.note(now, "HAN", "DeviceWoke", device=device, queued=len(sleepy.queue))
        while sleepy.queue:
            src, payload, _sent_at = sleepy.queue.popleft()
            self._hand_over(src, device, payload)

    def power_lost(self) -> None:
        """The hub lost power: frames queued for sleepy devices are lost (the queue is volatile).

        Called automatically when the hub's state machine reports ``PoweredOff``."""
        for device, sleepy in self._sleepy.items():
            if sleepy.queue:
                self.engine.log.note(self.engine.now, "HAN", "FramesLost", device=device,
                                     count=len(sleepy.queue), reason="HUB_POWER_LOST")
                sleepy.queue.clear()

    # -- sending -----------------------------------------------------------------------------------
    def send(self, src: str, dst: str, payload: Any) -> bool:
        """Send ``payload`` from ``src`` to ``dst``. Returns False (and logs why) if not sent."""
        engine, now = self.engine, self.engine.now
        frame = type(payload).__name__
        reason = None
        if not self.hub_powered():
            reason = "HUB_UNPOWERED"
        elif not self.on_han(src):
            reason = "SENDER_NOT_JOINED"
        elif not self.on_han(dst):
            reason = "RECIPIENT_NOT_JOINED"
        if reason is not None:
            engine.log.note(now, "HAN", "FrameDropped", src=src, dst=dst, frame=frame, reason=reason)
            return False
        sleepy = self._sleepy.get(dst)
        if sleepy is not None:
            if len(sleepy.queue) >= sleepy.capacity:
                engine.log.note(now, "HAN", "FrameDropped", src=src, dst=dst, frame=frame, reason="QUEUE_FULL")
                return False
            sleepy.queue.append((src, payload, now))
            engine.log.note(now, "HAN", "FrameQueued", src=src, dst=dst, frame=frame, queued=len(sleepy.queue))
            return True
        engine.schedule(now + self.latency_s, lambda: self._arrive(src, dst, payload), priority=_DELIVERY)
        return True

    def _arrive(self, src: str, dst: str, payload: Any) -> None:
        # Conditions can change while a frame is in flight (hub switched off, device removed).
        if not self.hub_powered() or not self.on_han(dst):
            self.engine.log.note(self.engine.now, "HAN", "FrameDropped", src=src, dst=dst,
                                 frame=type(payload).__name__, reason="LOST_IN_FLIGHT")
            return
        self._handed(src, dst, payload)  # on the HAN: just checked

    def _hand_over(self, src: str, dst: str, payload: Any) -> None:
        if not self.on_han(dst):
            self.engine.log.note(self.engine.now, "HAN", "FrameDropped", src=src, dst=dst,
                                 frame=type(payload).__name__, reason="RECIPIENT_NOT_JOINED")
            return
        self._handed(src, dst, payload)

    def _handed(self, src: str, dst: str, payload: Any) -> None:
        self.engine.log.note(self.engine.now, "HAN", "FrameDelivered", src=src, dst=dst,
                             frame=type(payload).__name__)
        self.engine.deliver(dst, payload)


# --------------------------------------------------------------------------------------------------
# WAN link
# --------------------------------------------------------------------------------------------------


class WANLink:
    """The hub's WAN connection to the DCC, up or down according to an ``AvailabilitySchedule``.

    Downstream messages go DCC → hub (delivered to the hub itself, or forwarded over the HAN to a
    meter/PPMID, queued there if the recipient sleeps). Upstream messages go device → hub → DCC
    (``to_dcc`` handler). Either direction needs the WAN up and the hub powered.
    """

    def __init__(self, engine: Engine, schedule: AvailabilitySchedule, *, han: HANMedium,
                 latency_s: float = 0.0, to_dcc: Callable[[str, Any], None] | None = None) -> None:
        self.engine = engine
        self.schedule = schedule
        self.han = han
        self.latency_s = latency_s
        self.to_dcc = to_dcc
        for t, up in schedule.changes:
            if t >= engine.now:
                engine.schedule(t, self._change_logger(up), priority=Priority.NETWORK)

    def _change_logger(self, up: bool) -> Callable[[], None]:
        def log_change() -> None:
            self.engine.log.note(self.engine.now, "WAN", "WANRestored" if up else "WANLost")

        return log_change

    def available(self) -> bool:
        return self.schedule.available(self.engine.now) and self.han.hub_powered()

    def send_to_device(self, dst: str, payload: Any) -> bool:
        """DCC → ``dst``. Returns False (logged ``WANUnavailable``) when the WAN or hub is down."""
        engine = self.engine
        if not self.available():
            engine.log.note(engine.now, "WAN", "WANUnavailable", direction="down", dst=dst,
                            frame=type(payload).__name__)
            return False

        def arrive() -> None:
            if not self.available():
                engine.log.note(engine.now, "WAN", "WANUnavailable", direction="down", dst=dst,
                                frame=type(payload).__name__)
                return
            if dst == self.han.hub:
                engine.deliver(dst, payload)
            else:
                self.han.send(self.han.hub, dst, payload)

        engine.schedule(engine.now + self.latency_s, arrive, priority=Priority.DELIVERY)
        return True

    def send_to_dcc(self, src: str, payload: Any) -> bool:
        """``src`` → hub → DCC. Returns False (logged) when the WAN or hub is down."""
        engine = self.engine
        if not self.available():
            engine.log.note(engine.now, "WAN", "WANUnavailable", direction="up", src=src,
                            frame=type(payload).__name__)
            return False
        if self.to_dcc is not None:
            handler = self.to_dcc
            engine.schedule(engine.now + self.latency_s, lambda: handler(src, payload),
                            priority=Priority.DELIVERY)
        return True
