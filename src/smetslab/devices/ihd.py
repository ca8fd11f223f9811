"""IHD: the In-Home Display, a Type 2 HAN device, as a pure state machine ``step(state, input, now)``.

Theory of operation
-------------------
A Type 2 device "can only send or receive HAN Only Messages" (DOMAIN.md §3.4): it holds no SMKI
certificates, takes part in no GBCS remote-party exchange and cannot top up. The IHD joins the SM
HAN (CCS01 with device type "Type 2" and an install-code join), then shows what the meters report
(credit, emergency credit, debt, supply state: ZSE Prepayment cluster attributes, DOMAIN.md §4.1).
Which items a display must show is not in our sources (open question 8): we show those four.

The state enum is ``IHDStatus`` (UNJOINED, JOINED, BROKEN); ``TRANSITIONS`` maps (status, input
type) to a handler; other pairs are ignored with ``InputIgnored``; unknown input types raise.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from smetslab.devices._evolve import evolve
from smetslab.devices.han import DisplayUpdated, Fuel, HANJoined, MeterReport, show_report
from smetslab.units import EUI64, SimTime

__all__ = ["IHDStatus", "IHDState", "new_ihd", "Break", "DisplayUpdated", "IHDBroken", "InputIgnored",
           "TRANSITIONS", "step"]


class IHDStatus(enum.Enum):
    UNJOINED = "UNJOINED"
    JOINED = "JOINED"
    BROKEN = "BROKEN"


@dataclass(frozen=True, slots=True)
class IHDState:
    eui: EUI64
    install_code: bytes
    status: IHDStatus = IHDStatus.UNJOINED
    display: tuple[MeterReport, ...] = ()

    def shown(self, fuel: Fuel) -> MeterReport | None:
        for r in self.display:
            if r.fuel is fuel:
                return r
        return None


def new_ihd(eui: EUI64, install_code: bytes) -> IHDState:
    return IHDState(eui=eui, install_code=bytes(install_code))


@dataclass(frozen=True, slots=True)
class Break:
    pass


@dataclass(frozen=True, slots=True)
class IHDJoined:
    eui: EUI64


@dataclass(frozen=True, slots=True)
class IHDBroken:
    pass


@dataclass(frozen=True, slots=True)
class InputIgnored:
    input: str
    status: IHDStatus


_Result = tuple[IHDState, list[Any]]


def _joined(state: IHDState, value: HANJoined, now: float) -> _Result:
    return evolve(state, status=IHDStatus.JOINED), [IHDJoined(state.eui)]


def _report(state: IHDState, value: MeterReport, now: float) -> _Result:
    display, shown = show_report(state.display, value)
    return evolve(state, display=display), [shown]


def _break(state: IHDState, value: Break, now: float) -> _Result:
    return evolve(state, status=IHDStatus.BROKEN), [IHDBroken()]


_Handler = Callable[[IHDState, Any, float], _Result]

TRANSITIONS: dict[tuple[IHDStatus, type], _Handler] = {
    (IHDStatus.UNJOINED, HANJoined): _joined,
    (IHDStatus.JOINED, MeterReport): _report,
    (IHDStatus.UNJOINED, Break): _break,
    (IHDStatus.JOINED, Break): _break,
}

_INPUT_TYPES = frozenset({HANJoined, MeterReport, Break})


def step(state: IHDState, value: Any, now: SimTime) -> tuple[IHDState, Sequence[Any]]:
    """One IHD transition."""
    if type(value) not in _INPUT_TYPES:
        raise TypeError(f"IHD has no input {type(value).__name__}")
    handler = TRANSITIONS.get((state.status, type(value)))
    if handler is None:
        return state, [InputIgnored(type(value).__name__, state.status)]
    return handler(state, value, float(now))
