"""GPF: the Gas Proxy Function of the Communications Hub, as a pure state machine.

Theory of operation
-------------------
The GSME is battery powered and sleeps, so the hub's GPF stands in for it on the SM HAN:

- it keeps a **mirror** of the GSME's prepayment data, refreshed each time the GSME reports
  (``GSMEReported``), which the displays (PPMID, IHD) read without waking the meter
  (``PublishMirror``, answered with the mirror's age);
- it **queues** what is addressed to the GSME (``ForwardToGSME``) and hands the queue over, oldest
  first, when the GSME next wakes and polls (``GSMEWoke``). The queue is bounded (``capacity``, a
  frame arriving at a full queue is dropped) and volatile: it is lost when the hub loses power
  (``HubPoweredOff``), as the GPF lives in the hub.

The GPF needs no join of its own (a GPF never holds a TC link key, DOMAIN.md §3.1); its entity ID is
the Extended PAN ID printed on the hub. How the hub carries GBCS to the GSME (ZSE Tunnelling 0x0704 per
one CH emulator, DOMAIN.md open question 6) is below this model: a queued frame is handed over whole.

The state enum is ``GPFStatus`` (EMPTY until the first report, then MIRRORING); ``TRANSITIONS`` maps
(status, input type) to a handler; other pairs are ignored with ``InputIgnored``; unknown input
types raise TypeError.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from smetslab.devices._evolve import evolve
from smetslab.devices.han import HANFrameOut, MeterReport
from smetslab.units import EUI64, SimTime

__all__ = ["GPFStatus", "GPFState", "new_gpf", "GSMEReported", "PublishMirror", "ForwardToGSME", "GSMEWoke",
           "HubPoweredOff", "MirrorUpdated", "MirrorPublished", "FrameQueued", "FrameDropped", "QueueHandedOver",
           "FramesLost", "InputIgnored", "TRANSITIONS", "step", "DEFAULT_QUEUE_CAPACITY"]

DEFAULT_QUEUE_CAPACITY = 16  # assumption: no source gives the GPF's queue size


class GPFStatus(enum.Enum):
    EMPTY = "EMPTY"  # no report from the GSME yet
    MIRRORING = "MIRRORING"


@dataclass(frozen=True, slots=True)
class GPFState:
    eui: EUI64
    gsme: EUI64
    status: GPFStatus = GPFStatus.EMPTY
    mirror: MeterReport | None = None
    mirrored_at: float | None = None
    queue: tuple[Any, ...] = ()  # frames waiting for the GSME, oldest first
    capacity: int = DEFAULT_QUEUE_CAPACITY
    forwarded: int = 0


def new_gpf(eui: EUI64, gsme: EUI64, *, capacity: int = DEFAULT_QUEUE_CAPACITY) -> GPFState:
    return GPFState(eui=eui, gsme=gsme, capacity=capacity)


# -- inputs ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GSMEReported:
    report: MeterReport


@dataclass(frozen=True, slots=True)
class PublishMirror:
    """Send the mirror to these display devices."""

    to: tuple[EUI64, ...]


@dataclass(frozen=True, slots=True)
class ForwardToGSME:
    frame: Any


@dataclass(frozen=True, slots=True)
class GSMEWoke:
    """The GSME woke and polls its proxy."""


@dataclass(frozen=True, slots=True)
class HubPoweredOff:
    pass


# -- events ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MirrorUpdated:
    credit_pence: int
    supply: str


@dataclass(frozen=True, slots=True)
class MirrorPublished:
    to: tuple[EUI64, ...]
    age_s: float  # how old the mirrored data is: the GSME reports only when it wakes


@dataclass(frozen=True, slots=True)
class FrameQueued:
    frame: str
    queued: int


@dataclass(frozen=True, slots=True)
class FrameDropped:
    frame: str
    reason: str  # QUEUE_FULL


@dataclass(frozen=True, slots=True)
class QueueHandedOver:
    frames: int


@dataclass(frozen=True, slots=True)
class FramesLost:
    count: int
    reason: str  # HUB_POWER_LOST


@dataclass(frozen=True, slots=True)
class InputIgnored:
    input: str
    status: GPFStatus


_Result = tuple[GPFState, list[Any]]


def _reported(state: GPFState, value: GSMEReported, now: float) -> _Result:
    r = value.report
    return (evolve(state, status=GPFStatus.MIRRORING, mirror=r, mirrored_at=now),
            [MirrorUpdated(r.credit_pence, r.supply)])


def _publish(state: GPFState, value: PublishMirror, now: float) -> _Result:
    assert state.mirror is not None and state.mirrored_at is not None
    return state, [MirrorPublished(value.to, now - state.mirrored_at),
                   *(HANFrameOut(eui, state.mirror) for eui in value.to)]


def _forward(state: GPFState, value: ForwardToGSME, now: float) -> _Result:
    name = type(value.frame).__name__
    if len(state.queue) >= state.capacity:
        return state, [FrameDropped(name, "QUEUE_FULL")]
    queue = (*state.queue, value.frame)
    return evolve(state, queue=queue), [FrameQueued(name, len(queue))]


def _woke(state: GPFState, value: GSMEWoke, now: float) -> _Result:
    if not state.queue:
        return state, []  # nothing waiting: the poll is not worth a log line
    out = [QueueHandedOver(len(state.queue)), *(HANFrameOut(state.gsme, f) for f in state.queue)]
    return evolve(state, queue=(), forwarded=state.forwarded + len(state.queue)), out


def _power_off(state: GPFState, value: HubPoweredOff, now: float) -> _Result:
    if not state.queue:
        return state, []
    return evolve(state, queue=()), [FramesLost(len(state.queue), "HUB_POWER_LOST")]


_Handler = Callable[[GPFState, Any, float], _Result]
_E, _M = GPFStatus.EMPTY, GPFStatus.MIRRORING

TRANSITIONS: dict[tuple[GPFStatus, type], _Handler] = {
    (_E, GSMEReported): _reported,
    (_M, GSMEReported): _reported,
    (_M, PublishMirror): _publish,
    (_E, ForwardToGSME): _forward,
    (_M, ForwardToGSME): _forward,
    (_E, GSMEWoke): _woke,
    (_M, GSMEWoke): _woke,
    (_E, HubPoweredOff): _power_off,
    (_M, HubPoweredOff): _power_off,
}

_INPUT_TYPES = frozenset({GSMEReported, PublishMirror, ForwardToGSME, GSMEWoke, HubPoweredOff})


def step(state: GPFState, value: Any, now: SimTime) -> tuple[GPFState, Sequence[Any]]:
    """One GPF transition."""
    if type(value) not in _INPUT_TYPES:
        raise TypeError(f"GPF has no input {type(value).__name__}")
    handler = TRANSITIONS.get((state.status, type(value)))
    if handler is None:
        return state, [InputIgnored(type(value).__name__, state.status)]
    return handler(state, value, float(now))
