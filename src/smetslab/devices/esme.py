"""ESME: the electricity smart meter as a prepayment state machine ``step(state, input, now)``.

Theory of operation
-------------------
The ESME's behaviour is the shared prepayment model of ``devices.prepayment`` (one signed balance in
integer pence, emergency credit as a lower floor, daily debt recovery, consumption from an injected
profile, the UTRN acceptance pipeline of DOMAIN.md §5.3) driven by the table below. What makes it an
ESME rather than a GSME:

- its supply is a load switch that the PPMID may close when ARMED: ZSE "Local Change Supply" with
  "supply on" only (PECS03, DOMAIN.md §2.7, §4.1) -> trigger ENABLE_FROM_PPMID;
- its GBCS use-case names: CS01a (remote top-up), PECS01 (PPMID top-up, carried as a plain ZSE
  Consumer Top Up on the pairwise-secured HAN link), ECS09 / PECS02 (emergency credit), PECS03.

The state enum is ``SupplyState``; every change of it is an entry of ``TRANSITIONS``. Conditions
(credit exhausted/restored, EC activated, auto-enable) are listed for every state, self-loops
included; a consumer request missing from the table is refused with ``SupplyEnableRefused``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from smetslab.devices._rules import TopUpAcceptance
from smetslab.devices.han import DeviceType, TopUpRoute
from smetslab.devices.prepayment import (
    ActivateEmergencyCredit,
    ApplyTopUp,
    ConsumptionProfile,
    MeterEvent,
    MeterInput,
    MeterState,
    PrepaymentConfig,
    SupplyState,
    SupplyTrigger,
    TransitionTable,
    new_meter,
)
from smetslab.devices.prepayment import step as _prepayment_step
from smetslab.gbcs.keystore import Keystore
from smetslab.units import EUI64, SimTime

__all__ = ["TRANSITIONS", "USE_CASES", "new_esme", "step"]

_E, _D, _A = SupplyState.ENABLED, SupplyState.DISABLED, SupplyState.ARMED
_T = SupplyTrigger

TRANSITIONS: TransitionTable = {
    # (state, trigger)                  -> new state
    (_E, _T.CREDIT_EXHAUSTED): _D,  # credit (and EC, if active) used up: load switch opens
    (_E, _T.CREDIT_RESTORED): _E,
    (_E, _T.EC_ACTIVATED): _E,  # EC taken while still on: only the floor moves
    (_E, _T.AUTO_ENABLE): _E,
    (_D, _T.CREDIT_EXHAUSTED): _D,
    (_D, _T.CREDIT_RESTORED): _A,  # a top-up lifted the balance above the floor: arm, wait for a person
    (_D, _T.EC_ACTIVATED): _A,  # alert 0x8168 "supply disabled then armed - activate EC triggered"
    (_D, _T.AUTO_ENABLE): _D,
    (_A, _T.CREDIT_EXHAUSTED): _D,  # debt recovery can empty an armed meter
    (_A, _T.CREDIT_RESTORED): _A,
    (_A, _T.EC_ACTIVATED): _A,
    (_A, _T.AUTO_ENABLE): _E,  # only when arm_before_enable is False
    (_A, _T.ENABLE_AT_METER): _E,  # the button on the meter
    (_A, _T.ENABLE_FROM_PPMID): _E,  # PECS03: ESME only
}

USE_CASES: dict[tuple[type, TopUpRoute], str] = {
    (ApplyTopUp, TopUpRoute.REMOTE): "CS01a",
    (ApplyTopUp, TopUpRoute.PPMID): "PECS01",
    (ActivateEmergencyCredit, TopUpRoute.REMOTE): "ECS09",
    (ActivateEmergencyCredit, TopUpRoute.PPMID): "PECS02",
}


def new_esme(*, meter: EUI64, supplier: EUI64, keystore: Keystore, profile: ConsumptionProfile,
             balance_pence: int, debt_pence: int = 0, config: PrepaymentConfig | None = None,
             rules: TopUpAcceptance | None = None, now: float = 0.0) -> MeterState:
    """A commissioned prepayment ESME, supply enabled. ``keystore`` must hold the ESME's KA private
    key and the supplier's prepayment KA public key (to check UTRN MACs)."""
    return new_meter(DeviceType.ESME, meter=meter, supplier=supplier, keystore=keystore, profile=profile,
                     balance_pence=balance_pence, debt_pence=debt_pence, config=config, rules=rules, now=now)


def step(state: MeterState, value: MeterInput | Any, now: SimTime) -> tuple[MeterState, Sequence[MeterEvent]]:
    """One ESME transition: bring the meter up to ``now``, apply ``value``, report events."""
    if state.kind is not DeviceType.ESME:
        raise TypeError(f"esme.step given a {state.kind.name} state")
    return _prepayment_step(state, value, now, table=TRANSITIONS, use_cases=USE_CASES)
