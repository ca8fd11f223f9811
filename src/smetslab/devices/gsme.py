"""GSME: the gas smart meter as a prepayment state machine ``step(state, input, now)``.

Theory of operation
-------------------
Same prepayment model as the ESME (``devices.prepayment``): signed balance in integer pence,
emergency credit as a lower floor, daily debt recovery, consumption from an injected profile, the
UTRN acceptance pipeline of DOMAIN.md §5.3. What makes it a GSME:

- its supply is a valve, and a gas valve may only be re-opened by a person at the meter: the table
  has no ENABLE_FROM_PPMID entry, so a PPMID request is refused (DOMAIN.md §4.1: gas re-enable needs
  action on the gas meter itself);
- it is battery powered and sleeps: this machine does not model radio sleep, the premises HAN
  medium queues its frames at the hub (``premises.engine.HANMedium``);
- its GBCS use-case names: CS01b (remote top-up), PCS01 (PPMID top-up, a MAC'd GBCS frame carrying a
  ZCL Consumer Top Up), GCS06 / PCS02 (emergency credit).

The state enum is ``SupplyState``; every change of it is an entry of ``TRANSITIONS``.
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

__all__ = ["TRANSITIONS", "USE_CASES", "new_gsme", "step"]

_E, _D, _A = SupplyState.ENABLED, SupplyState.DISABLED, SupplyState.ARMED
_T = SupplyTrigger

TRANSITIONS: TransitionTable = {
    # (state, trigger)                  -> new state
    (_E, _T.CREDIT_EXHAUSTED): _D,  # valve closes
    (_E, _T.CREDIT_RESTORED): _E,
    (_E, _T.EC_ACTIVATED): _E,
    (_E, _T.AUTO_ENABLE): _E,
    (_D, _T.CREDIT_EXHAUSTED): _D,
    (_D, _T.CREDIT_RESTORED): _A,
    (_D, _T.EC_ACTIVATED): _A,
    (_D, _T.AUTO_ENABLE): _D,
    (_A, _T.CREDIT_EXHAUSTED): _D,
    (_A, _T.CREDIT_RESTORED): _A,
    (_A, _T.EC_ACTIVATED): _A,
    (_A, _T.AUTO_ENABLE): _E,
    (_A, _T.ENABLE_AT_METER): _E,  # only at the meter: no (ARMED, ENABLE_FROM_PPMID) for gas
}

USE_CASES: dict[tuple[type, TopUpRoute], str] = {
    (ApplyTopUp, TopUpRoute.REMOTE): "CS01b",
    (ApplyTopUp, TopUpRoute.PPMID): "PCS01",
    (ActivateEmergencyCredit, TopUpRoute.REMOTE): "GCS06",
    (ActivateEmergencyCredit, TopUpRoute.PPMID): "PCS02",
}


def new_gsme(*, meter: EUI64, supplier: EUI64, keystore: Keystore, profile: ConsumptionProfile,
             balance_pence: int, debt_pence: int = 0, config: PrepaymentConfig | None = None,
             rules: TopUpAcceptance | None = None, now: float = 0.0) -> MeterState:
    """A commissioned prepayment GSME, valve open. ``keystore`` must hold the GSME's KA private key
    and the supplier's prepayment KA public key."""
    return new_meter(DeviceType.GSME, meter=meter, supplier=supplier, keystore=keystore, profile=profile,
                     balance_pence=balance_pence, debt_pence=debt_pence, config=config, rules=rules, now=now)


def step(state: MeterState, value: MeterInput | Any, now: SimTime) -> tuple[MeterState, Sequence[MeterEvent]]:
    """One GSME transition: bring the meter up to ``now``, apply ``value``, report events."""
    if state.kind is not DeviceType.GSME:
        raise TypeError(f"gsme.step given a {state.kind.name} state")
    return _prepayment_step(state, value, now, table=TRANSITIONS, use_cases=USE_CASES)
