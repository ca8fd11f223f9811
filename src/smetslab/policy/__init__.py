"""smetslab.policy: every option and device-behaviour rule defined once (join windows, WAN remedies,
top-up routes and acceptance), as pure functions on scalars (the emulator) or numpy arrays (the fleet)."""

from smetslab.policy.options import OPTIONS, OptionEffect, OptionInfo, combine, components_of
from smetslab.policy.topup import (
    CounterCachePolicy,
    CreditLimits,
    LockoutPolicy,
    LockoutState,
    TopUpAcceptancePolicy,
    TopUpRefusal,
    check_top_up,
)

__all__ = [
    "OPTIONS",
    "OptionInfo",
    "OptionEffect",
    "combine",
    "components_of",
    "CounterCachePolicy",
    "LockoutPolicy",
    "CreditLimits",
    "TopUpAcceptancePolicy",
    "TopUpRefusal",
    "LockoutState",
    "check_top_up",
]
