"""Prepayment behaviour shared by the ESME and the GSME: credit, emergency credit, debt, supply.

Theory of operation
-------------------
A prepayment meter keeps one signed **meter balance** in integer pence. Top-ups add to it,
consumption (from an injected ``ConsumptionProfile``) and time-based debt recovery take from it.
Emergency credit (EC) is not a second purse: activating it lowers the floor the balance may fall
to, from the disablement threshold to ``disablement threshold - EC limit``; the next top-up repays
it simply by adding to the balance. Hence the conservation law every test checks:

    balance + consumed + debt recovered == initial balance + accepted top-ups      (pence, exactly)

The meter's enum state is the **supply state** (ENABLED, DISABLED, ARMED). It changes only through
the transition table each meter module declares (``esme.TRANSITIONS``, ``gsme.TRANSITIONS``), keyed
by (supply state, trigger). Two kinds of trigger feed it:

- conditions the meter detects: CREDIT_EXHAUSTED (the balance reached its floor while the supply was
  on or armed), CREDIT_RESTORED (a top-up lifted it above the floor), EC_ACTIVATED, and AUTO_ENABLE
  (fired right after arming when the meter is configured not to wait for the consumer);
- consumer requests: ENABLE_AT_METER (the button on the meter) and ENABLE_FROM_PPMID (PECS03, ESME
  only: a gas valve must be re-opened at the meter itself, DOMAIN.md §4.1).

Both tables list every condition for every state (self-loops included); a *request* with no entry
is refused with an event. After a disconnection the supply re-arms rather than re-enables, so a
person must be present when power or gas comes back (``arm_before_enable``, default True).

Each ``step(state, input, now)`` first brings the meter up to ``now`` (consumption, debt recovery
at each simulated midnight, disablement at the exact second credit ran out), then applies the
input, then raises threshold alerts on their falling edge. UTRNs go through ``devices._topup``
(DOMAIN.md §5.3 order). Refusals are events, never exceptions.

Nothing changes between inputs except by the clock, so ``next_due_s`` says in closed form when the
next change is due (a threshold crossed by consumption, a midnight with debt to recover): a premises
need not step the meter before then (``premises`` wakes it only when something is due).

Where DOMAIN.md is silent (all listed in docs/devices.md): debt is recovered once per simulated
day (midnight = multiples of 86 400 s) and only from credit above the disablement threshold, the
uncollected part stays owed; EC is available while the balance is below the EC threshold but not
below the disablement threshold (never while EC is still owed), ends when a top-up brings the
balance back to zero or above, and once exhausted is spent: the floor returns to the disablement
threshold and the negative balance must be repaid before the supply re-arms.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from smetslab.devices._evolve import evolve
from smetslab.devices._rules import TopUpAcceptance
from smetslab.devices._topup import AcceptanceState, Rejection, ZCLTopUpResult, check_utrn
from smetslab.devices.han import Alert, DeviceType, TopUpRoute
from smetslab.errors import InputError
from smetslab.gbcs.keystore import Keystore
from smetslab.units import EUI64, SimTime

__all__ = [
    "SupplyState",
    "SupplyTrigger",
    "TransitionTable",
    "ConsumptionProfile",
    "FlatRate",
    "DailyShape",
    "PrepaymentConfig",
    "MeterState",
    "new_meter",
    # inputs
    "Tick",
    "ApplyTopUp",
    "ActivateEmergencyCredit",
    "EnableSupply",
    "MeterInput",
    # events
    "TopUpAccepted",
    "TopUpRejected",
    "AlertRaised",
    "EmergencyCreditActivated",
    "EmergencyCreditRefused",
    "EmergencyCreditRepaid",
    "ECRefusal",
    "SupplyDisabled",
    "SupplyArmed",
    "SupplyEnabled",
    "SupplyEnableRefused",
    "DebtRecovered",
    "MeterEvent",
    "step",
    "next_due_s",
    "DAY_S",
]

DAY_S = 86_400


class SupplyState(enum.Enum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"
    ARMED = "ARMED"  # credit is back but the supply stays off until someone enables it


class SupplyTrigger(enum.Enum):
    CREDIT_EXHAUSTED = "CREDIT_EXHAUSTED"
    CREDIT_RESTORED = "CREDIT_RESTORED"
    EC_ACTIVATED = "EC_ACTIVATED"
    AUTO_ENABLE = "AUTO_ENABLE"
    ENABLE_AT_METER = "ENABLE_AT_METER"
    ENABLE_FROM_PPMID = "ENABLE_FROM_PPMID"


CONDITIONS = frozenset({SupplyTrigger.CREDIT_EXHAUSTED, SupplyTrigger.CREDIT_RESTORED,
                        SupplyTrigger.EC_ACTIVATED, SupplyTrigger.AUTO_ENABLE})

TransitionTable = Mapping[tuple[SupplyState, SupplyTrigger], SupplyState]


# --------------------------------------------------------------------------------------------------
# Consumption profiles
# --------------------------------------------------------------------------------------------------


class ConsumptionProfile(Protocol):
    """What the premises would spend with the supply on, as a cumulative integer-pence curve.

    ``cumulative_pence(t)`` must be a non-decreasing integer function of time with value 0 at
    t = 0. The cost over [a, b] is ``cumulative_pence(b) - cumulative_pence(a)``: additive, so the
    total charged does not depend on how often the meter is ticked.
    """

    def cumulative_pence(self, t: float) -> int: ...


@dataclass(frozen=True, slots=True)
class FlatRate:
    """A constant spend of ``pence_per_day`` (energy + standing charge)."""

    pence_per_day: int

    def __post_init__(self) -> None:
        if not isinstance(self.pence_per_day, int) or self.pence_per_day < 0:
            raise InputError(f"pence_per_day {self.pence_per_day!r}: must be a non-negative integer")

    def cumulative_pence(self, t: float) -> int:
        return (max(0, math.floor(t)) * self.pence_per_day) // DAY_S


@dataclass(frozen=True, slots=True)
class DailyShape:
    """A day of 24 hourly spends (pence per hour), repeated every day; spread evenly in each hour."""

    hourly_pence: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.hourly_pence) != 24 or any(not isinstance(h, int) or h < 0 for h in self.hourly_pence):
            raise InputError(f"hourly_pence {self.hourly_pence!r}: expected 24 non-negative integers")

    def cumulative_pence(self, t: float) -> int:
        s = max(0, math.floor(t))
        day, rest = divmod(s, DAY_S)
        hour, sec = divmod(rest, 3600)
        return day * sum(self.hourly_pence) + sum(self.hourly_pence[:hour]) + (self.hourly_pence[hour] * sec) // 3600


# --------------------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrepaymentConfig:
    """Prepayment parameters (ZSE Prepayment cluster names in brackets). Defaults are assumptions.

    - ``emergency_credit_limit_pence`` (EC Limit 0x0010): how far below the disablement threshold EC
      lets the balance go. 0 = no emergency credit.
    - ``emergency_credit_threshold_pence`` (EC Threshold 0x0011): EC becomes available below this.
    - ``low_credit_threshold_pence`` (Low Credit Warning 0x0031): alert 0x810D below this.
    - ``disablement_threshold_pence`` (Cut-off value 0x0040): supply disabled at or below this.
    - ``debt_recovery_per_day_pence``: time-based debt recovery, collected at each midnight.
    - ``arm_before_enable``: after credit returns, ARM and wait for a person (True) or re-enable.
    """

    emergency_credit_limit_pence: int = 500
    emergency_credit_threshold_pence: int = 100
    low_credit_threshold_pence: int = 300
    disablement_threshold_pence: int = 0
    debt_recovery_per_day_pence: int = 0
    arm_before_enable: bool = True

    def __post_init__(self) -> None:
        for name in ("emergency_credit_limit_pence", "emergency_credit_threshold_pence",
                     "low_credit_threshold_pence", "debt_recovery_per_day_pence"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise InputError(f"{name} {v!r}: must be a non-negative integer number of pence")
        if not isinstance(self.disablement_threshold_pence, int):
            raise InputError(f"disablement_threshold_pence {self.disablement_threshold_pence!r}: "
                             f"must be an integer number of pence")


@dataclass(frozen=True, slots=True)
class MeterState:
    """Everything a prepayment meter knows. Money in integer pence, times in seconds."""

    kind: DeviceType  # ESME or GSME
    meter: EUI64
    supplier: EUI64
    keystore: Keystore = field(compare=False, repr=False)  # holds this meter's KA private key
    profile: ConsumptionProfile
    config: PrepaymentConfig
    rules: TopUpAcceptance
    supply: SupplyState
    balance_pence: int
    debt_pence: int
    ec_active: bool
    updated_at: float
    acceptance: AcceptanceState = AcceptanceState()
    initial_balance_pence: int = 0
    consumed_pence: int = 0
    debt_recovered_pence: int = 0
    topped_up_pence: int = 0
    supply_off_since: float | None = None  # start of the current loss of supply (DISABLED or ARMED)
    supply_off_s: float = 0.0  # completed losses of supply, seconds
    low_credit_alerted: bool = False
    ec_available_alerted: bool = False

    @property
    def floor_pence(self) -> int:
        """The lowest balance the supply runs at: disablement threshold, minus EC when active."""
        ec = self.config.emergency_credit_limit_pence if self.ec_active else 0
        return self.config.disablement_threshold_pence - ec

    @property
    def credit_remaining_pence(self) -> int:
        """ZSE Credit Remaining: the positive part of the balance."""
        return max(self.balance_pence, 0)

    @property
    def emergency_credit_remaining_pence(self) -> int:
        """ZSE Emergency Credit Remaining: unused EC (the full limit when EC is not active)."""
        limit = self.config.emergency_credit_limit_pence
        if not self.ec_active:
            return limit
        return max(0, min(limit, self.balance_pence - self.floor_pence))

    def off_seconds(self, now: float) -> float:
        """Total seconds without supply up to ``now`` (completed losses plus the current one)."""
        current = 0.0 if self.supply_off_since is None else max(0.0, now - self.supply_off_since)
        return self.supply_off_s + current


_evolve = evolve  # a meter steps several times per input: not the generic dataclasses.replace


def new_meter(kind: DeviceType, *, meter: EUI64, supplier: EUI64, keystore: Keystore,
              profile: ConsumptionProfile, balance_pence: int, debt_pence: int = 0,
              config: PrepaymentConfig | None = None, rules: TopUpAcceptance | None = None,
              now: float = 0.0) -> MeterState:
    """A freshly commissioned prepayment meter with its supply on (disabled at once if no credit)."""
    if kind not in (DeviceType.ESME, DeviceType.GSME):
        raise InputError(f"meter kind {kind!r}: expected ESME or GSME")
    for name, v in (("balance_pence", balance_pence), ("debt_pence", debt_pence)):
        if not isinstance(v, int) or isinstance(v, bool):
            raise InputError(f"{name} {v!r}: must be an integer number of pence")
    if debt_pence < 0:
        raise InputError(f"debt_pence {debt_pence}: must be >= 0")
    return MeterState(
        kind=kind, meter=meter, supplier=supplier, keystore=keystore, profile=profile,
        config=config or PrepaymentConfig(), rules=rules or TopUpAcceptance(),
        supply=SupplyState.ENABLED, balance_pence=balance_pence, debt_pence=debt_pence,
        ec_active=False, updated_at=float(now), initial_balance_pence=balance_pence,
    )


# --------------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tick:
    """Bring the meter up to now (consumption, debt recovery, alerts). No other effect."""


@dataclass(frozen=True, slots=True)
class ApplyTopUp:
    """A UTRN for this meter: ``counter`` is the GBCS header counter when it came in CS01a/CS01b."""

    utrn: str
    route: TopUpRoute
    counter: int | None = None


@dataclass(frozen=True, slots=True)
class ActivateEmergencyCredit:
    """ECS09/GCS06 (REMOTE), PECS02/PCS02 (PPMID) or the meter's own button (KEYPAD)."""

    route: TopUpRoute


@dataclass(frozen=True, slots=True)
class EnableSupply:
    """A person asks to re-enable an ARMED supply: at the meter (KEYPAD) or via PECS03 (PPMID)."""

    route: TopUpRoute


MeterInput = Tick | ApplyTopUp | ActivateEmergencyCredit | EnableSupply


# --------------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TopUpAccepted:
    utrn: str
    counter: int
    value_pence: int
    route: TopUpRoute
    use_case: str | None  # CS01a/CS01b (remote), PECS01/PCS01 (PPMID), None (meter keypad)
    balance_pence: int
    zcl_result: ZCLTopUpResult


@dataclass(frozen=True, slots=True)
class TopUpRejected:
    utrn: str
    reason: Rejection
    route: TopUpRoute
    use_case: str | None
    zcl_result: ZCLTopUpResult


@dataclass(frozen=True, slots=True)
class AlertRaised:
    """The meter raised a GBCS alert (whether it is sent over the WAN is the premises' business)."""

    code: int
    name: str

    @classmethod
    def of(cls, alert: Alert) -> AlertRaised:
        return cls(int(alert), alert.name)


class ECRefusal(enum.Enum):
    NO_EMERGENCY_CREDIT = "NO_EMERGENCY_CREDIT"  # EC limit is 0
    ALREADY_ACTIVE = "ALREADY_ACTIVE"
    NOT_AVAILABLE = "NOT_AVAILABLE"  # balance not below the EC threshold, or EC still owed


@dataclass(frozen=True, slots=True)
class EmergencyCreditActivated:
    route: TopUpRoute
    use_case: str | None
    balance_pence: int


@dataclass(frozen=True, slots=True)
class EmergencyCreditRefused:
    route: TopUpRoute
    use_case: str | None
    reason: ECRefusal


@dataclass(frozen=True, slots=True)
class EmergencyCreditRepaid:
    balance_pence: int


@dataclass(frozen=True, slots=True)
class SupplyDisabled:
    at: float  # the second the credit ran out (may be earlier than the step's now)
    emergency_credit_exhausted: bool


@dataclass(frozen=True, slots=True)
class SupplyArmed:
    trigger: SupplyTrigger


@dataclass(frozen=True, slots=True)
class SupplyEnabled:
    trigger: SupplyTrigger


@dataclass(frozen=True, slots=True)
class SupplyEnableRefused:
    route: TopUpRoute
    supply: SupplyState


@dataclass(frozen=True, slots=True)
class DebtRecovered:
    amount_pence: int
    debt_pence: int  # still owed


MeterEvent = (TopUpAccepted | TopUpRejected | AlertRaised | EmergencyCreditActivated | EmergencyCreditRefused
              | EmergencyCreditRepaid | SupplyDisabled | SupplyArmed | SupplyEnabled | SupplyEnableRefused
              | DebtRecovered)


# --------------------------------------------------------------------------------------------------
# Supply transitions
# --------------------------------------------------------------------------------------------------


def _fire(state: MeterState, trigger: SupplyTrigger, table: TransitionTable, at: float,
          events: list[MeterEvent]) -> MeterState | None:
    """Apply ``trigger`` through ``table``. None when the table has no entry (a refused request)."""
    target = table.get((state.supply, trigger))
    if target is None:
        return None
    if target is state.supply:
        return state
    before = state.supply
    if target is SupplyState.DISABLED:
        exhausted_ec = state.ec_active
        events.append(SupplyDisabled(at=at, emergency_credit_exhausted=exhausted_ec))
        events.append(AlertRaised.of(Alert.EMERGENCY_CREDIT_EXHAUSTED if exhausted_ec
                                     else Alert.CREDIT_BELOW_DISABLEMENT_THRESHOLD))
        off_since = state.supply_off_since if state.supply_off_since is not None else at
        # Exhausted EC is spent: the floor returns to the disablement threshold and the negative
        # balance is what is owed, so a top-up must repay it before the supply can re-arm.
        state = _evolve(state, supply=target, supply_off_since=off_since, ec_active=False)
    elif target is SupplyState.ARMED:
        events.append(SupplyArmed(trigger))
        ec_path = trigger is SupplyTrigger.EC_ACTIVATED and before is SupplyState.DISABLED
        events.append(AlertRaised.of(Alert.SUPPLY_DISABLED_THEN_ARMED_ACTIVATE_EC_TRIGGERED if ec_path
                                     else Alert.SUPPLY_ARMED))
        state = _evolve(state, supply=target)
        if not state.config.arm_before_enable:
            after = _fire(state, SupplyTrigger.AUTO_ENABLE, table, at, events)
            assert after is not None, "transition table must list AUTO_ENABLE for ARMED"
            state = after
    else:  # ENABLED
        events.append(SupplyEnabled(trigger))
        off = state.supply_off_s
        if state.supply_off_since is not None:
            off += max(0.0, at - state.supply_off_since)
        state = _evolve(state, supply=target, supply_off_since=None, supply_off_s=off)
    return state


def _condition(state: MeterState, trigger: SupplyTrigger, table: TransitionTable, at: float,
               events: list[MeterEvent]) -> MeterState:
    after = _fire(state, trigger, table, at, events)
    if after is None:
        raise AssertionError(f"transition table has no entry for condition ({state.supply}, {trigger})")
    return after


# --------------------------------------------------------------------------------------------------
# Time: consumption and debt recovery
# --------------------------------------------------------------------------------------------------


def _crossing_time(profile: ConsumptionProfile, t0: float, t1: float, room: int) -> float:
    """The first whole second in [t0, t1] by which spend since t0 reaches ``room`` pence (t1 if none)."""
    c0 = profile.cumulative_pence(t0)
    if room <= 0:
        return t0
    lo, hi = math.ceil(t0), math.floor(t1)
    if lo > hi or profile.cumulative_pence(hi) - c0 < room:
        return t1
    while lo < hi:  # invariant: spend by hi reaches room
        mid = (lo + hi) // 2
        if profile.cumulative_pence(mid) - c0 >= room:
            hi = mid
        else:
            lo = mid + 1
    return float(hi)


def _consume(state: MeterState, t0: float, t1: float, table: TransitionTable,
             events: list[MeterEvent]) -> MeterState:
    if state.supply is not SupplyState.ENABLED:
        return state
    due = state.profile.cumulative_pence(t1) - state.profile.cumulative_pence(t0)
    room = max(state.balance_pence - state.floor_pence, 0)
    pay = min(due, room)
    if pay:
        state = _evolve(state, balance_pence=state.balance_pence - pay, consumed_pence=state.consumed_pence + pay)
    if state.balance_pence <= state.floor_pence:
        at = _crossing_time(state.profile, t0, t1, room)
        state = _condition(state, SupplyTrigger.CREDIT_EXHAUSTED, table, at, events)
    return state


def _recover_debt(state: MeterState, events: list[MeterEvent]) -> MeterState:
    # Only from positive credit: recovering debt must not by itself cut the supply (our choice).
    amount = min(state.config.debt_recovery_per_day_pence, state.debt_pence,
                 max(state.balance_pence - max(state.config.disablement_threshold_pence, 0), 0))
    if amount <= 0:
        return state
    events.append(DebtRecovered(amount, state.debt_pence - amount))
    return _evolve(state, balance_pence=state.balance_pence - amount, debt_pence=state.debt_pence - amount,
                   debt_recovered_pence=state.debt_recovered_pence + amount)


def _advance(state: MeterState, now: float, table: TransitionTable, events: list[MeterEvent]) -> MeterState:
    t = state.updated_at
    if now < t:
        raise ValueError(f"meter {state.meter}: time went backwards ({now} s < {t} s)")
    while t < now:
        midnight = (math.floor(t / DAY_S) + 1) * DAY_S
        end = min(now, midnight)
        state = _consume(state, t, end, table, events)
        if end == midnight:
            state = _recover_debt(state, events)
        t = end
    state = _evolve(state, updated_at=float(now))
    if state.supply is not SupplyState.DISABLED and state.balance_pence <= state.floor_pence:
        state = _condition(state, SupplyTrigger.CREDIT_EXHAUSTED, table, now, events)
    return state


def _ec_available(state: MeterState) -> bool:
    """EC may be activated: not in use, not owed (balance at or above the disablement threshold),
    and the balance is below the EC threshold."""
    cfg = state.config
    return (not state.ec_active and cfg.emergency_credit_limit_pence > 0
            and cfg.disablement_threshold_pence <= state.balance_pence < cfg.emergency_credit_threshold_pence)


def _edge_alerts(state: MeterState, events: list[MeterEvent]) -> MeterState:
    cfg = state.config
    low = state.balance_pence < cfg.low_credit_threshold_pence
    if low and not state.low_credit_alerted:
        events.append(AlertRaised.of(Alert.COMBINED_CREDIT_BELOW_LOW_CREDIT_THRESHOLD))
    ec_avail = _ec_available(state)
    if ec_avail and not state.ec_available_alerted:
        events.append(AlertRaised.of(Alert.EMERGENCY_CREDIT_HAS_BECOME_AVAILABLE))
    if low != state.low_credit_alerted or ec_avail != state.ec_available_alerted:
        state = _evolve(state, low_credit_alerted=low, ec_available_alerted=ec_avail)
    return state


# --------------------------------------------------------------------------------------------------
# Input handlers
# --------------------------------------------------------------------------------------------------


def _top_up(state: MeterState, cmd: ApplyTopUp, now: float, table: TransitionTable,
            use_case: str | None, events: list[MeterEvent]) -> MeterState:
    acc, verdict = check_utrn(state.acceptance, state.rules, state.keystore, supplier=state.supplier,
                              meter=state.meter, code=cmd.utrn, route=cmd.route, counter=cmd.counter,
                              balance_pence=state.balance_pence, now=now)
    state = _evolve(state, acceptance=acc)
    if not verdict.accepted:
        assert verdict.reason is not None
        events.append(TopUpRejected(cmd.utrn, verdict.reason, cmd.route, use_case, verdict.zcl_result))
        events.extend(AlertRaised.of(a) for a in verdict.alerts)
        return state
    assert verdict.counter is not None
    value = verdict.value_pence
    owed_before = state.balance_pence < 0
    state = _evolve(state, balance_pence=state.balance_pence + value, topped_up_pence=state.topped_up_pence + value)
    follow: list[MeterEvent] = []
    if state.balance_pence >= 0 and (state.ec_active or owed_before):
        state = _evolve(state, ec_active=False)  # EC repaid in full: the floor goes back up
        follow.append(EmergencyCreditRepaid(state.balance_pence))
    if state.balance_pence > state.floor_pence:
        state = _condition(state, SupplyTrigger.CREDIT_RESTORED, table, now, follow)
    result = {SupplyState.ENABLED: ZCLTopUpResult.ACCEPTED_SUPPLY_ENABLED,
              SupplyState.DISABLED: ZCLTopUpResult.ACCEPTED_SUPPLY_DISABLED,
              SupplyState.ARMED: ZCLTopUpResult.ACCEPTED_SUPPLY_ARMED}[state.supply]
    events.append(TopUpAccepted(cmd.utrn, verdict.counter, value, cmd.route, use_case, state.balance_pence, result))
    if cmd.route is not TopUpRoute.REMOTE:
        events.append(AlertRaised.of(Alert.CREDIT_ADDED_LOCALLY))
    events.extend(follow)
    return state


def _activate_ec(state: MeterState, cmd: ActivateEmergencyCredit, now: float, table: TransitionTable,
                 use_case: str | None, events: list[MeterEvent]) -> MeterState:
    cfg = state.config
    refusal = None
    if cfg.emergency_credit_limit_pence == 0:
        refusal = ECRefusal.NO_EMERGENCY_CREDIT
    elif state.ec_active:
        refusal = ECRefusal.ALREADY_ACTIVE
    elif not _ec_available(state):
        refusal = ECRefusal.NOT_AVAILABLE
    if refusal is not None:
        events.append(EmergencyCreditRefused(cmd.route, use_case, refusal))
        return state
    state = _evolve(state, ec_active=True)
    events.append(EmergencyCreditActivated(cmd.route, use_case, state.balance_pence))
    events.append(AlertRaised.of(Alert.EMERGENCY_CREDIT_ACTIVATED))
    if state.balance_pence > state.floor_pence:
        state = _condition(state, SupplyTrigger.EC_ACTIVATED, table, now, events)
    return state


def _enable(state: MeterState, cmd: EnableSupply, now: float, table: TransitionTable,
            events: list[MeterEvent]) -> MeterState:
    trigger = {TopUpRoute.KEYPAD: SupplyTrigger.ENABLE_AT_METER,
               TopUpRoute.PPMID: SupplyTrigger.ENABLE_FROM_PPMID}.get(cmd.route)
    after = None if trigger is None else _fire(state, trigger, table, now, events)
    if after is None:
        events.append(SupplyEnableRefused(cmd.route, state.supply))
        return state
    return after


def step(state: MeterState, value: MeterInput, now: SimTime, *, table: TransitionTable,
         use_cases: Mapping[tuple[type, TopUpRoute], str]) -> tuple[MeterState, Sequence[MeterEvent]]:
    """One transition of a prepayment meter (``esme.step`` / ``gsme.step`` bind the table)."""
    events: list[MeterEvent] = []
    state = _advance(state, now, table, events)
    if isinstance(value, ApplyTopUp):
        state = _top_up(state, value, now, table, use_cases.get((ApplyTopUp, value.route)), events)
    elif isinstance(value, ActivateEmergencyCredit):
        state = _activate_ec(state, value, now, table, use_cases.get((ActivateEmergencyCredit, value.route)),
                             events)
    elif isinstance(value, EnableSupply):
        state = _enable(state, value, now, table, events)
    elif not isinstance(value, Tick):
        raise TypeError(f"{state.kind.name} has no input {type(value).__name__}")
    state = _edge_alerts(state, events)
    return state, events


def _first_second_spent(profile: ConsumptionProfile, t0: float, amount: int) -> float:
    """The first whole second ``t > t0`` by which the spend since ``t0`` reaches ``amount`` pence (inf if never).

    Exponential then binary search over whole seconds: ``cumulative_pence`` is non-decreasing, so this is
    exact for any profile, without knowing its shape."""
    c0 = profile.cumulative_pence(t0)
    lo = math.floor(t0) + 1  # strictly after t0: at t0 itself the meter is up to date
    if isinstance(profile, FlatRate):  # floor(t) * rate // DAY_S >= c0 + amount, solved exactly in integers
        if profile.pence_per_day == 0:
            return math.inf
        return float(max(lo, -((-(c0 + amount) * DAY_S) // profile.pence_per_day)))
    if profile.cumulative_pence(lo) - c0 >= amount:
        return float(lo)
    span = DAY_S
    hi = lo + span
    limit = lo + 1000 * 366 * DAY_S  # a thousand years: a profile that spends nothing never gets there
    while profile.cumulative_pence(hi) - c0 < amount:
        if hi >= limit:
            return math.inf
        lo, span = hi, span * 2
        hi = min(lo + span, limit)
    while lo < hi:  # invariant: spend by hi reaches amount; by lo - 1 (or lo, initially) it does not
        mid = (lo + hi) // 2
        if profile.cumulative_pence(mid) - c0 >= amount:
            hi = mid
        else:
            lo = mid + 1
    return float(hi)


def next_due_s(state: MeterState, *, thresholds_pence: Sequence[int] = ()) -> float:
    """When the meter, left alone after ``state.updated_at``, next needs stepping (seconds; inf: never).

    Stepping it earlier changes nothing a later step would not (consumption is additive and the
    disablement time is exact), so a premises may wake it only then: the first second by which
    consumption takes the balance to the floor (supply disabled) or below the low-credit, EC or
    disablement threshold (alerts, EC availability) or below any of ``thresholds_pence`` (e.g. where a
    consumer tops up), or the next midnight while debt is being recovered. Conservative: an earlier
    answer only costs a step that changes nothing."""
    t0 = state.updated_at
    due = math.inf
    cfg = state.config
    if state.debt_pence > 0 and cfg.debt_recovery_per_day_pence > 0:
        due = float((math.floor(t0 / DAY_S) + 1) * DAY_S)
    if state.supply is not SupplyState.ENABLED:
        return due  # no consumption: the balance only moves with an input
    b = state.balance_pence
    amounts = [b - state.floor_pence] if b > state.floor_pence else []
    for x in (cfg.low_credit_threshold_pence, cfg.emergency_credit_threshold_pence,
              cfg.disablement_threshold_pence, *thresholds_pence):
        if b >= x:
            amounts.append(b - x + 1)  # "below x" is reached when the spend is b - x + 1
    for amount in sorted(set(a for a in amounts if a > 0)):
        t = _first_second_spent(state.profile, t0, amount)
        if t < due:
            due = t
        break  # the smallest amount is crossed first
    return due
