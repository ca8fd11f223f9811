"""The meter's UTRN acceptance pipeline (DOMAIN.md §1.8, §5.3), shared by the ESME and the GSME.

Order of checks (the first failing one decides the outcome):

0. manual-entry lockout, when ``TopUpAcceptance.lockout_gate == "before_checks"`` (default)
1. 20 ASCII digits                                   -> MALFORMED
2. check digit (GBCS Verhoeff variant)               -> BAD_CHECK_DIGIT
3. PPTD >= offset                                    -> BELOW_OFFSET
4. defined fields (zero lead bits, class 00 or 01)   -> UNDEFINED_FIELDS
5. full counter: the GBCS header counter when the UTRN came in a CS01a/CS01b command, else rebuilt
   from its 10 bits by the configured policy          -> COUNTER_UNRECONSTRUCTABLE
6. MAC with the meter's KA key and the supplier's PP-KA public key -> NOT_AUTHENTIC (0x8F63)
7. manual-entry lockout, when ``lockout_gate == "after_mac"``   -> LOCKED_OUT (0x81C5)
8. counter cache: counter already accepted           -> DUPLICATE (0x8F51);
   cache full and counter <= its smallest entry       -> STALE_COUNTER (0x8F51)
   (with that stale rule on, a full cache forgets its smallest counter, not its oldest)
9. value > max credit per top-up                     -> EXCEEDS_MAX_CREDIT (0x8F5B)
   balance + value > max meter balance               -> EXCEEDS_MAX_BALANCE (0x8F47)
10. accept: the counter enters the cache, the meter applies the credit.
Steps 7-9 are ``smetslab.policy.topup.check_top_up`` itself (lockout, duplicate, stale counter, limits):
the meters and the policy's tests share one rule path.

A refused manual entry (PPMID or meter keypad) counts towards the lockout when its kind is in
``lockout_counts``; the failure that starts a lockout raises 0x81C4 "UTRN Manual Entry Suspended".

Steps 1-6 call ``smetslab.gbcs.utrn`` (the integration point with the GBCS core: ``check_digit``,
``PPTD_OFFSET``, ``decode``, ``reconstruct_counter``, ``verify``); steps 7-9 use the rules of
``smetslab.policy.topup`` (cache membership, lockout bookkeeping, credit limits); nothing here
re-implements them.
A rejection is a value (``Verdict``), never an exception: the meter carries on and says why.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from smetslab.devices._evolve import evolve
from smetslab.devices._rules import CountedFailure, TopUpAcceptance
from smetslab.devices.han import Alert, TopUpRoute
from smetslab.errors import AuthenticationError, InputError
from smetslab.gbcs import utrn as gbcs_utrn
from smetslab.gbcs.keystore import Keystore
from smetslab.policy.topup import (
    LockoutState,
    TopUpRefusal,
    cache_after_accept,
    check_top_up,
    entry_permitted,
    register_failure,
)
from smetslab.units import EUI64

__all__ = ["Rejection", "ZCLTopUpResult", "AcceptanceState", "Verdict", "check_utrn"]


class Rejection(enum.Enum):
    """Why a UTRN was refused (one per pipeline step)."""

    LOCKED_OUT = "LOCKED_OUT"
    MALFORMED = "MALFORMED"
    BAD_CHECK_DIGIT = "BAD_CHECK_DIGIT"
    BELOW_OFFSET = "BELOW_OFFSET"
    UNDEFINED_FIELDS = "UNDEFINED_FIELDS"
    COUNTER_UNRECONSTRUCTABLE = "COUNTER_UNRECONSTRUCTABLE"
    NOT_AUTHENTIC = "NOT_AUTHENTIC"
    DUPLICATE = "DUPLICATE"
    STALE_COUNTER = "STALE_COUNTER"
    EXCEEDS_MAX_CREDIT = "EXCEEDS_MAX_CREDIT"
    EXCEEDS_MAX_BALANCE = "EXCEEDS_MAX_BALANCE"


_REJECTION = {
    TopUpRefusal.LOCKED_OUT: Rejection.LOCKED_OUT,
    TopUpRefusal.DUPLICATE: Rejection.DUPLICATE,
    TopUpRefusal.STALE_COUNTER: Rejection.STALE_COUNTER,
    TopUpRefusal.EXCEEDS_MAX_CREDIT_PER_TOP_UP: Rejection.EXCEEDS_MAX_CREDIT,
    TopUpRefusal.EXCEEDS_MAX_METER_BALANCE: Rejection.EXCEEDS_MAX_BALANCE,
}
"""policy.topup's refusals in the meter's words (the meter adds the steps before verification)."""


class ZCLTopUpResult(enum.IntEnum):
    """ZCL Consumer Top Up Response result types (ZSE Table D-154, DOMAIN.md §1.7)."""

    ACCEPTED = 0x00
    REJECTED_INVALID = 0x01
    REJECTED_DUPLICATE = 0x02
    REJECTED_ERROR = 0x03
    REJECTED_MAX_CREDIT_REACHED = 0x04
    REJECTED_KEYPAD_LOCK = 0x05
    REJECTED_TOP_UP_VALUE_TOO_LARGE = 0x06
    ACCEPTED_SUPPLY_ENABLED = 0x10
    ACCEPTED_SUPPLY_DISABLED = 0x11
    ACCEPTED_SUPPLY_ARMED = 0x12


_ALERT: dict[Rejection, Alert | None] = {
    Rejection.LOCKED_OUT: Alert.UTRN_REJECTED_AS_LOCKED_OUT,
    # No alert in the table names a mistyped code: those are refused without an alert (our choice).
    Rejection.MALFORMED: None,
    Rejection.BAD_CHECK_DIGIT: None,
    Rejection.BELOW_OFFSET: None,
    Rejection.UNDEFINED_FIELDS: None,
    Rejection.COUNTER_UNRECONSTRUCTABLE: Alert.UTRN_NOT_AUTHENTIC,
    # "Not for this device" (0x8F64) is indistinguishable from a forgery: both fail the MAC.
    Rejection.NOT_AUTHENTIC: Alert.UTRN_NOT_AUTHENTIC,
    Rejection.DUPLICATE: Alert.DUPLICATE_UTRN_ENTERED,
    Rejection.STALE_COUNTER: Alert.DUPLICATE_UTRN_ENTERED,
    Rejection.EXCEEDS_MAX_CREDIT: Alert.UTRN_EXCEEDS_MAX_CREDIT_THRESHOLD,
    Rejection.EXCEEDS_MAX_BALANCE: Alert.CREDIT_WOULD_EXCEED_MAX_METER_BALANCE,
}

_ZCL: dict[Rejection, ZCLTopUpResult] = {
    Rejection.LOCKED_OUT: ZCLTopUpResult.REJECTED_KEYPAD_LOCK,
    Rejection.DUPLICATE: ZCLTopUpResult.REJECTED_DUPLICATE,
    Rejection.STALE_COUNTER: ZCLTopUpResult.REJECTED_DUPLICATE,
    Rejection.EXCEEDS_MAX_CREDIT: ZCLTopUpResult.REJECTED_TOP_UP_VALUE_TOO_LARGE,
    Rejection.EXCEEDS_MAX_BALANCE: ZCLTopUpResult.REJECTED_MAX_CREDIT_REACHED,
}

_COUNTED: dict[Rejection, CountedFailure | None] = {
    Rejection.LOCKED_OUT: None,  # never extends its own lockout
    Rejection.MALFORMED: CountedFailure.FORMAT,
    Rejection.BAD_CHECK_DIGIT: CountedFailure.FORMAT,
    Rejection.BELOW_OFFSET: CountedFailure.FORMAT,
    Rejection.UNDEFINED_FIELDS: CountedFailure.FORMAT,
    Rejection.COUNTER_UNRECONSTRUCTABLE: CountedFailure.NOT_AUTHENTIC,
    Rejection.NOT_AUTHENTIC: CountedFailure.NOT_AUTHENTIC,
    Rejection.DUPLICATE: CountedFailure.DUPLICATE,
    Rejection.STALE_COUNTER: CountedFailure.DUPLICATE,
    Rejection.EXCEEDS_MAX_CREDIT: CountedFailure.LIMIT,
    Rejection.EXCEEDS_MAX_BALANCE: CountedFailure.LIMIT,
}

@dataclass(frozen=True, slots=True)
class AcceptanceState:
    """What the pipeline remembers between entries."""

    counter_cache: tuple[int, ...] = ()  # accepted counters, in order of acceptance
    highest_counter: int | None = None  # for counter reconstruction
    lockout: LockoutState = LockoutState()  # recent manual-entry failures, end of any lockout


@dataclass(frozen=True, slots=True)
class Verdict:
    """The pipeline's answer for one entry. ``alerts`` are raised whatever the outcome."""

    accepted: bool
    reason: Rejection | None
    counter: int | None  # full 64-bit counter, when it got that far
    value_pence: int  # 0 when not decoded
    alerts: tuple[Alert, ...]
    zcl_result: ZCLTopUpResult  # for an accepted entry the meter refines it by supply state


def _reject(acc: AcceptanceState, rules: TopUpAcceptance, reason: Rejection, route: TopUpRoute,
            now: float, counter: int | None = None, value_pence: int = 0) -> tuple[AcceptanceState, Verdict]:
    alerts: list[Alert] = []
    alert = _ALERT[reason]
    if alert is not None:
        alerts.append(alert)
    counted = _COUNTED[reason]
    if (rules.lockout_enabled and route in rules.lockout_routes and counted is not None
            and counted in rules.lockout_counts):
        after = register_failure(acc.lockout, now, rules.lockout)
        if after.locked_until_s != acc.lockout.locked_until_s:
            alerts.append(Alert.UTRN_MANUAL_ENTRY_SUSPENDED)
        acc = evolve(acc, lockout=after)
    zcl = _ZCL.get(reason, ZCLTopUpResult.REJECTED_INVALID)
    return acc, Verdict(False, reason, counter, value_pence, tuple(alerts), zcl)


def check_utrn(acc: AcceptanceState, rules: TopUpAcceptance, keystore: Keystore, *, supplier: EUI64,
               meter: EUI64, code: str, route: TopUpRoute, counter: int | None, balance_pence: int,
               now: float) -> tuple[AcceptanceState, Verdict]:
    """Run one UTRN entry through the pipeline. Returns the new pipeline state and the verdict.

    ``counter`` is the GBCS header counter of a CS01a/CS01b command (None for a typed UTRN).
    Raises only for a missing key (KeyNotFoundError: a configuration bug, not a domain outcome).
    """
    locked = (rules.lockout_enabled and route in rules.lockout_routes
              and not entry_permitted(acc.lockout.locked_until_s, now))
    if locked and rules.lockout_gate == "before_checks":
        return _reject(acc, rules, Rejection.LOCKED_OUT, route, now)

    if len(code) != 20 or not code.isascii() or not code.isdigit():
        return _reject(acc, rules, Rejection.MALFORMED, route, now)
    if gbcs_utrn.check_digit(code[:19]) != int(code[19]):
        return _reject(acc, rules, Rejection.BAD_CHECK_DIGIT, route, now)
    if int(code[:19]) < gbcs_utrn.PPTD_OFFSET:
        return _reject(acc, rules, Rejection.BELOW_OFFSET, route, now)
    try:
        decoded = gbcs_utrn.decode(code)
    except InputError:
        return _reject(acc, rules, Rejection.UNDEFINED_FIELDS, route, now)

    if counter is None:
        try:
            full = gbcs_utrn.reconstruct_counter(decoded.ctr10, acc.highest_counter, rules.counter_policy)
        except InputError:
            return _reject(acc, rules, Rejection.COUNTER_UNRECONSTRUCTABLE, route, now)
    else:
        full = counter

    if rules.verify_mac:
        try:
            gbcs_utrn.verify(keystore, code, supplier=supplier, meter=meter, counter=full)
        except AuthenticationError:
            return _reject(acc, rules, Rejection.NOT_AUTHENTIC, route, now, full, decoded.value_pence)

    # Post-verification rules: the one rule path, policy.topup.check_top_up (lockout - only here when the
    # gate is "after_mac", else it was checked first -, duplicate, stale counter, limits).
    value = decoded.value_pence
    cache = acc.counter_cache
    refusal = check_top_up(counter=full, value_pence=value, balance_pence=balance_pence, cache=cache,
                           lockout=acc.lockout, now_s=now, manual_entry=locked, policy=rules.policy)
    if refusal is not None:
        return _reject(acc, rules, _REJECTION[refusal], route, now, full, value)

    highest = full if acc.highest_counter is None else max(acc.highest_counter, full)
    acc = evolve(acc, counter_cache=cache_after_accept(cache, full, rules.cache), highest_counter=highest)
    return acc, Verdict(True, None, full, value, (), ZCLTopUpResult.ACCEPTED)
