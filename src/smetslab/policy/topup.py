"""Top-up acceptance rules a prepayment meter applies after a UTRN verifies (DOMAIN.md §1.8, §5.3).

Theory of operation: the cryptographic checks (length, check digit, PPTD offset, counter reconstruction,
MAC) belong to ``gbcs``; what follows them is policy and lives here, defined once for the meter emulator
and the fleet model. In DOMAIN.md §5.3's order:

1. manual-entry lockout: after ``max_failures`` failed entries within ``failure_window_s`` the keypad is
   locked for ``lockout_s`` (Landis+Gyr guidance: 5 in 10 minutes -> 1 hour; GBCS value uncertain);
2. counter cache: a UTRN whose counter is already cached is a duplicate; accepted counters enter a FIFO
   cache of ``size`` entries (100 after the Silicon Labs SE plugin comment; GBCS value uncertain);
3. value limits: refuse a top-up above the maximum credit per top-up, or one that would take the meter
   balance above the maximum meter balance (ZSE attributes 0x0022 / 0x0021; values are assumptions).

Every threshold is a field of a frozen dataclass with a default and a ``source`` string, so an analyst or
a story can change it and the report can cite it. Refusals are values (``TopUpRefusal``), not exceptions.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

from smetslab.errors import InputError
from smetslab.policy._types import Count, Flag, Time

__all__ = [
    "CounterCachePolicy",
    "LockoutPolicy",
    "CreditLimits",
    "TopUpAcceptancePolicy",
    "TopUpRefusal",
    "LockoutState",
    "counter_in_cache",
    "cache_after_accept",
    "entry_permitted",
    "register_failure",
    "within_credit_limits",
    "limit_refusal",
    "check_top_up",
    "counter_is_stale",
]


@dataclass(frozen=True)
class CounterCachePolicy:
    """The meter's cache of accepted UTRN counters (anti-replay)."""

    size: int = 100
    refuse_stale: bool = True
    source: str = ("DOMAIN.md §1.8/§5.3: 100 entries, circular buffer (FIFO), per the Silicon Labs SE prepayment "
                   "plugin comment citing GBCS 14.1; tagged U (GBCS text not seen). refuse_stale is our choice: "
                   "a plain FIFO forgets evicted counters and lets an out-of-order UTRN credit twice (found by the "
                   "meter's stateful test), so a full cache refuses counters at or below its smallest entry and "
                   "evicts its smallest, not its oldest")

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 1:
            raise InputError(f"counter cache size {self.size!r}: must be an integer >= 1")


@dataclass(frozen=True)
class LockoutPolicy:
    """Manual (keypad) UTRN entry lockout after repeated failures."""

    max_failures: int = 5
    failure_window_s: float = 600.0
    lockout_s: float = 3_600.0
    source: str = ("DOMAIN.md §1.8/§5.3: 'up to 5 attempts within 10 minutes, then locked out for 1 hour' "
                   "(Landis+Gyr SMETS2 meter, supplier help page); GBCS value uncertain")

    def __post_init__(self) -> None:
        if isinstance(self.max_failures, bool) or not isinstance(self.max_failures, int) or self.max_failures < 1:
            raise InputError(f"lockout max_failures {self.max_failures!r}: must be an integer >= 1")
        for name in ("failure_window_s", "lockout_s"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
                raise InputError(f"lockout {name} {v!r}: must be a finite number of seconds >= 0")


@dataclass(frozen=True)
class CreditLimits:
    """Value limits on a top-up, in integer pence."""

    max_credit_per_top_up_pence: int = 25_000
    max_meter_balance_pence: int = 100_000
    source: str = ("DOMAIN.md §1.8: rules exist (ZSE Max Credit Per Top Up 0x0022, Max Credit Limit 0x0021; "
                   "alerts 0x8F5B, 0x8F47); assumption: values £250 per top-up and £1,000 balance (no source "
                   "gives them)")

    def __post_init__(self) -> None:
        for name in ("max_credit_per_top_up_pence", "max_meter_balance_pence"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InputError(f"credit limit {name} {v!r}: must be integer pence >= 0")


@dataclass(frozen=True)
class TopUpAcceptancePolicy:
    """All the post-verification acceptance rules, each configurable."""

    cache: CounterCachePolicy = field(default_factory=CounterCachePolicy)
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    limits: CreditLimits = field(default_factory=CreditLimits)


class TopUpRefusal(enum.Enum):
    """Why a verified UTRN was refused (alert codes from DOMAIN.md §1.8)."""

    LOCKED_OUT = "locked_out"  # 0x81C5 UTRN rejected as locked out
    DUPLICATE = "duplicate"  # 0x8F51 Duplicate UTRN entered; ZCL result 0x02
    STALE_COUNTER = "stale_counter"  # 0x8F51 too: at or below everything a full cache still remembers
    EXCEEDS_MAX_CREDIT_PER_TOP_UP = "exceeds_max_credit_per_top_up"  # 0x8F5B; ZCL result 0x06
    EXCEEDS_MAX_METER_BALANCE = "exceeds_max_meter_balance"  # 0x8F47; ZCL result 0x04


@dataclass(frozen=True)
class LockoutState:
    """Recent failed manual entries (within the failure window) and when a lockout ends."""

    failure_times_s: tuple[float, ...] = ()
    locked_until_s: float = -math.inf


def counter_in_cache(cache: tuple[int, ...], counter: int) -> bool:
    """True if ``counter`` was already accepted (a replay or a UTRN typed twice)."""
    return counter in cache


def counter_is_stale(cache: tuple[int, ...], counter: int, policy: CounterCachePolicy) -> bool:
    """True if a full cache (with ``refuse_stale``) must refuse ``counter``: it is at or below the smallest
    counter kept, so it may be one the cache has already forgotten."""
    return policy.refuse_stale and len(cache) >= policy.size and counter <= min(cache)


def cache_after_accept(cache: tuple[int, ...], counter: int, policy: CounterCachePolicy) -> tuple[int, ...]:
    """The cache after accepting ``counter``, at most ``policy.size`` entries.

    With ``refuse_stale`` the smallest counter is forgotten, so every forgotten counter stays <= the
    smallest one kept and ``counter_is_stale`` still refuses it; without it, the oldest (plain FIFO).
    """
    grown = (*cache, counter)
    if len(grown) <= policy.size:
        return grown
    if not policy.refuse_stale:
        return grown[-policy.size:]
    victim = min(grown)
    return tuple(c for c in grown if c != victim)


def entry_permitted(locked_until_s: Time, now_s: Time) -> Flag:
    """Manual entry is allowed unless a lockout is running (``now < locked_until``)."""
    return now_s >= locked_until_s


def register_failure(state: LockoutState, now_s: float, policy: LockoutPolicy) -> LockoutState:
    """The lockout state after a failed manual entry at ``now_s``.

    Failures older than the window are forgotten; the ``max_failures``-th failure within the window starts a
    lockout of ``lockout_s`` and clears the count (assumption: a success does not reset the count).
    """
    recent = tuple(t for t in state.failure_times_s if now_s - t < policy.failure_window_s) + (now_s,)
    if len(recent) >= policy.max_failures:
        return LockoutState((), now_s + policy.lockout_s)
    return LockoutState(recent, state.locked_until_s)


def within_credit_limits(value_pence: Count, balance_pence: Count, limits: CreditLimits) -> Flag:
    """True when a top-up of ``value_pence`` onto ``balance_pence`` respects both limits (arrays allowed)."""
    per_top_up = value_pence <= limits.max_credit_per_top_up_pence
    balance = balance_pence + value_pence <= limits.max_meter_balance_pence
    return per_top_up & balance


def limit_refusal(value_pence: int, balance_pence: int, limits: CreditLimits) -> TopUpRefusal | None:
    """The value-limit refusal for one top-up, or None when it is within both limits."""
    if value_pence > limits.max_credit_per_top_up_pence:
        return TopUpRefusal.EXCEEDS_MAX_CREDIT_PER_TOP_UP
    if balance_pence + value_pence > limits.max_meter_balance_pence:
        return TopUpRefusal.EXCEEDS_MAX_METER_BALANCE
    return None


def check_top_up(*, counter: int, value_pence: int, balance_pence: int, cache: tuple[int, ...],
                 lockout: LockoutState, now_s: float, manual_entry: bool,
                 policy: TopUpAcceptancePolicy) -> TopUpRefusal | None:
    """Apply the acceptance rules to a verified UTRN in DOMAIN.md §5.3 order; None means accept.

    The caller then credits, updates the cache with ``cache_after_accept`` and, on a refusal of a manual
    entry, records it with ``register_failure``.
    """
    if manual_entry and not entry_permitted(lockout.locked_until_s, now_s):
        return TopUpRefusal.LOCKED_OUT
    if counter_in_cache(cache, counter):
        return TopUpRefusal.DUPLICATE
    if counter_is_stale(cache, counter, policy.cache):
        return TopUpRefusal.STALE_COUNTER
    return limit_refusal(value_pence, balance_pence, policy.limits)
