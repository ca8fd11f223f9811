"""HHT: the installer's Hand-Held Terminal as a pure state machine ``step(state, input, now)``.

Theory of operation
-------------------
An installer's HHT is not prepared by the DCC with CCS01. It joins the SM HAN locally: the CH opens
inter-PAN communication for 60 minutes after power-on; the HHT runs inter-PAN CBKE with the CH and
hands over its install code and entity ID, and the CH logs and joins it (DOMAIN.md §3.6). Whether the
hub admits it at a given moment is the hub's join-window policy (``devices.chf``), not the HHT's.

The HHT here does two things:

- ``StartLocalJoin``: asks the hub for a local join (event ``LocalJoinRequested``, which the premises
  turns into a ``chf.LocalJoinRequest``); ``HANJoined`` or ``LocalJoinFailed`` tell it the outcome;
- carries DCC **commands for local delivery**: GBCS commands prepared by the DCC/supplier (real bytes,
  MAC'd and signed as over the WAN) that the installer loads (``LoadCommands``) and, once joined,
  delivers over the HAN (``DeliverCommands`` -> ``HANFrameOut`` with ``Via.LOCAL``); the devices'
  replies come back to it (``GBCSFrame`` with ``Via.LOCAL``) and it hands them on (``GBCSOut``) for
  the installer to return to the DCC. The HHT cannot make or check commands: it holds no such keys.

The state enum is ``HHTStatus``; ``TRANSITIONS`` maps (status, input type) to a handler; other
pairs are ignored with ``InputIgnored``; unknown input types raise.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from smetslab.devices._evolve import evolve
from smetslab.devices.han import GBCSFrame, GBCSOut, HANFrameOut, HANJoined, Via, envelope_of, gbcs_frame
from smetslab.errors import CodecError
from smetslab.units import EUI64, SimTime

__all__ = ["HHTStatus", "HHTState", "new_hht", "StartLocalJoin", "LocalJoinFailed", "LoadCommands",
           "DeliverCommands", "Leave", "LocalJoinRequested", "HHTJoined", "HHTJoinFailed", "CommandsLoaded",
           "CommandDelivered", "ReplyCollected", "HHTLeft", "InputIgnored", "TRANSITIONS", "step"]


class HHTStatus(enum.Enum):
    IDLE = "IDLE"  # not on the HAN
    JOINING = "JOINING"  # local join asked for, outcome pending
    JOINED = "JOINED"
    LEFT = "LEFT"  # the installer has gone


@dataclass(frozen=True, slots=True)
class HHTState:
    eui: EUI64
    install_code: bytes
    cbke_certificate_valid: bool = True
    status: HHTStatus = HHTStatus.IDLE
    held: tuple[tuple[EUI64, bytes], ...] = ()  # (recipient, wire)
    delivered: int = 0
    replies: int = 0


def new_hht(eui: EUI64, install_code: bytes, *, cbke_certificate_valid: bool = True) -> HHTState:
    return HHTState(eui=eui, install_code=bytes(install_code), cbke_certificate_valid=cbke_certificate_valid)


# -- inputs ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartLocalJoin:
    pass


@dataclass(frozen=True, slots=True)
class LocalJoinFailed:
    reason: str


@dataclass(frozen=True, slots=True)
class LoadCommands:
    """Commands for local delivery: (recipient EUI, GBCS wire bytes), delivered in this order."""

    commands: tuple[tuple[EUI64, bytes], ...]


@dataclass(frozen=True, slots=True)
class DeliverCommands:
    pass


@dataclass(frozen=True, slots=True)
class Leave:
    pass


# -- events ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocalJoinRequested:
    eui: EUI64
    install_code: bytes
    cbke_certificate_valid: bool


@dataclass(frozen=True, slots=True)
class HHTJoined:
    eui: EUI64


@dataclass(frozen=True, slots=True)
class HHTJoinFailed:
    reason: str


@dataclass(frozen=True, slots=True)
class CommandsLoaded:
    count: int


@dataclass(frozen=True, slots=True)
class CommandDelivered:
    to: EUI64
    message: str
    counter: int


@dataclass(frozen=True, slots=True)
class ReplyCollected:
    message: str
    counter: int


@dataclass(frozen=True, slots=True)
class HHTLeft:
    pass


@dataclass(frozen=True, slots=True)
class InputIgnored:
    input: str
    status: HHTStatus


_Result = tuple[HHTState, list[Any]]


def _start(state: HHTState, value: StartLocalJoin, now: float) -> _Result:
    return evolve(state, status=HHTStatus.JOINING), [
        LocalJoinRequested(state.eui, state.install_code, state.cbke_certificate_valid)]


def _joined(state: HHTState, value: HANJoined, now: float) -> _Result:
    return evolve(state, status=HHTStatus.JOINED), [HHTJoined(state.eui)]


def _failed(state: HHTState, value: LocalJoinFailed, now: float) -> _Result:
    return evolve(state, status=HHTStatus.IDLE), [HHTJoinFailed(value.reason)]


def _load(state: HHTState, value: LoadCommands, now: float) -> _Result:
    return evolve(state, held=state.held + tuple(value.commands)), [CommandsLoaded(len(value.commands))]


def _deliver(state: HHTState, value: DeliverCommands, now: float) -> _Result:
    events: list[Any] = []
    for to, wire in state.held:
        frame = gbcs_frame(wire, Via.LOCAL)
        events += [CommandDelivered(to, frame.message, frame.counter), HANFrameOut(to, frame)]
    return evolve(state, held=(), delivered=state.delivered + len(state.held)), events


def _reply(state: HHTState, value: GBCSFrame, now: float) -> _Result:
    try:
        env = envelope_of(value.wire)
    except CodecError:
        return state, [InputIgnored("GBCSFrame", state.status)]
    return evolve(state, replies=state.replies + 1), [ReplyCollected(value.message, env.counter),
                                                       GBCSOut(env.recipient, value)]


def _leave(state: HHTState, value: Leave, now: float) -> _Result:
    return evolve(state, status=HHTStatus.LEFT, held=()), [HHTLeft()]


_Handler = Callable[[HHTState, Any, float], _Result]
_I, _G, _J = HHTStatus.IDLE, HHTStatus.JOINING, HHTStatus.JOINED

TRANSITIONS: dict[tuple[HHTStatus, type], _Handler] = {
    (_I, StartLocalJoin): _start,
    (_G, HANJoined): _joined,
    (_G, LocalJoinFailed): _failed,
    (_I, LoadCommands): _load,
    (_G, LoadCommands): _load,
    (_J, LoadCommands): _load,
    (_J, DeliverCommands): _deliver,
    (_J, GBCSFrame): _reply,
    (_I, Leave): _leave,
    (_G, Leave): _leave,
    (_J, Leave): _leave,
}

_INPUT_TYPES = frozenset({StartLocalJoin, HANJoined, LocalJoinFailed, LoadCommands, DeliverCommands, GBCSFrame,
                          Leave})


def step(state: HHTState, value: Any, now: SimTime) -> tuple[HHTState, Sequence[Any]]:
    """One HHT transition."""
    if type(value) not in _INPUT_TYPES:
        raise TypeError(f"HHT has no input {type(value).__name__}")
    handler = TRANSITIONS.get((state.status, type(value)))
    if handler is None:
        return state, [InputIgnored(type(value).__name__, state.status)]
    return handler(state, value, float(now))
