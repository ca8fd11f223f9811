"""How the devices apply ``smetslab.policy``, plus the few rules the policy package does not have yet.

The windows (``policy.windows``), the option catalogue and its combinations (``policy.options``) and
the post-verification top-up rules (``policy.topup``: counter cache size, lockout thresholds, credit
limits) come from ``smetslab.policy`` - defined once for the emulator and the fleet model. This
module binds them to the devices through two explicit integration points:

- ``JoinWindowPolicy.local_join_permitted(...)``: called by ``devices.chf`` for every local (non-DCC)
  join;
- ``TopUpAcceptance``: read by ``devices._topup``.

Which device types a local join may admit, per local-pairing mechanism, is the policy's rule now
(``policy.windows.local_join_permitted``); the meters apply ``policy.topup.check_top_up`` itself.
Device-side switches that stay here (they describe a meter's firmware, not a rule the fleet shares):
the routes a lockout watches, where the lockout gate sits, which refusals count as failures
(``TopUpAcceptance.lockout_*``), and ``counter_policy`` / ``verify_mac``.
(The stale-counter rule that makes the counter cache at-most-once has moved to
``policy.topup.CounterCachePolicy.refuse_stale``.)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Literal

from smetslab.devices.han import MANUAL_ROUTES, DeviceType, TopUpRoute
from smetslab.errors import InputError
from smetslab.policy import options as policy_options
from smetslab.policy import routes as policy_routes
from smetslab.policy import windows as policy_windows
from smetslab.policy.topup import CounterCachePolicy, CreditLimits, LockoutPolicy, TopUpAcceptancePolicy

__all__ = [
    "HHT_INTER_PAN_WINDOW_S",
    "HUB_BUTTON_WINDOW_S",
    "CountedFailure",
    "TopUpAcceptance",
    "JoinWindowPolicy",
]

HHT_INTER_PAN_WINDOW_S = policy_windows.HHT_WINDOW_S
"""The CH opens inter-PAN communication for 60 minutes after power-on (DOMAIN.md §3.6)."""

HUB_BUTTON_WINDOW_S = policy_windows.HUB_BUTTON_WINDOW_S
"""Defined once in ``smetslab.policy.windows`` (10 minutes, an assumption) and shared with the fleet model."""


# --------------------------------------------------------------------------------------------------
# Top-up acceptance (DOMAIN.md §1.8, §5.3)
# --------------------------------------------------------------------------------------------------


class CountedFailure(enum.Enum):
    """Which refusals count towards the manual-entry lockout (``TopUpAcceptance.lockout_counts``)."""

    FORMAT = "FORMAT"  # wrong length/characters, check digit, offset, undefined fields
    NOT_AUTHENTIC = "NOT_AUTHENTIC"
    DUPLICATE = "DUPLICATE"
    LIMIT = "LIMIT"  # value or balance limits


@dataclass(frozen=True, slots=True)
class TopUpAcceptance:
    """The meter's UTRN acceptance rules, each configurable.

    From ``smetslab.policy.topup`` (their defaults and sources): ``cache`` (size 100), ``lockout``
    (5 failures in 10 minutes -> 1 hour), ``limits`` (max credit per top-up, max meter balance).

    Device-side switches (a meter's firmware; the fleet model has no counterpart):
    - ``counter_policy``: how a typed UTRN's full counter is rebuilt from its 10 bits
      (``smetslab.gbcs.utrn.reconstruct_counter``; "low32_zero" or "track_high_bits").
    - ``verify_mac``: False only to model a meter that skips authentication (an attack study).
    - the stale-counter rule lives in ``policy.topup.CounterCachePolicy.refuse_stale`` (on by default):
      a full cache refuses counters at or below its smallest entry and evicts its smallest, so each
      counter credits at most once even for UTRNs typed out of order.
    - ``lockout_enabled``, ``lockout_routes`` (default: the manual routes, PPMID and meter keypad,
      sharing one tally), ``lockout_gate``: ``"before_checks"`` (default: nothing about a code is
      checked while locked, so a locked keypad is no MAC oracle) or ``"after_mac"`` (the lockout is
      checked with the other post-verification rules, as ``policy.topup.check_top_up`` orders them);
      ``lockout_counts``: which refusals count as failures (default: format, authenticity, duplicate -
      not value limits, which are not the typist's fault).
    """

    cache: CounterCachePolicy = field(default_factory=CounterCachePolicy)
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    limits: CreditLimits = field(default_factory=CreditLimits)
    counter_policy: Literal["low32_zero", "track_high_bits"] = "low32_zero"
    verify_mac: bool = True
    lockout_enabled: bool = True
    lockout_routes: frozenset[TopUpRoute] = MANUAL_ROUTES
    lockout_gate: Literal["before_checks", "after_mac"] = "before_checks"
    lockout_counts: frozenset[CountedFailure] = frozenset(
        {CountedFailure.FORMAT, CountedFailure.NOT_AUTHENTIC, CountedFailure.DUPLICATE})

    @property
    def policy(self) -> TopUpAcceptancePolicy:
        """The post-verification rules as ``policy.topup.check_top_up`` takes them."""
        return TopUpAcceptancePolicy(self.cache, self.lockout, self.limits)

    def __post_init__(self) -> None:
        if self.lockout_gate not in ("before_checks", "after_mac"):
            raise InputError(f"lockout_gate {self.lockout_gate!r}: allowed 'before_checks', 'after_mac'")
        if self.counter_policy not in ("low32_zero", "track_high_bits"):
            raise InputError(f"counter_policy {self.counter_policy!r}: allowed 'low32_zero', 'track_high_bits'")


# --------------------------------------------------------------------------------------------------
# Join windows (DOMAIN.md §3.6; DESIGN.md option catalogue; smetslab.policy.windows)
# --------------------------------------------------------------------------------------------------

_LOCAL_JOINERS = frozenset({DeviceType.HHT, DeviceType.PPMID})


def _without_firmware(mechanism: str) -> bool:
    """True if ``mechanism`` works on a hub without the option's firmware: ``policy.routes`` decides, with
    every other condition (new hub, hub in reach, a pre-registered spare) met, so the one definition of
    which mechanisms need firmware is the policy's."""
    return bool(policy_routes.local_pairing_possible(mechanism, firmware_ok=False, new_hub=True,
                                                     hub_reachable=True, preregistered=True))


@dataclass(frozen=True, slots=True)
class JoinWindowPolicy:
    """Decides whether the CHF may admit a *local* join (one not prepared by the DCC with CCS01).

    ``option`` is a catalogue id or a combination ``"a+b"`` (``smetslab.policy.options.combine``);
    the windows are ``smetslab.policy.windows``. A join is permitted if any mechanism in force
    permits it (the rule, with the device types each mechanism admits, is ``policy.windows.local_join_permitted``):

    - always: an HHT within ``hht_window_s`` (60 min) after power-on - unless ``alternating`` is in
      force, which replaces that window (DESIGN.md: "instead of the 60-minute window");
    - ``standing`` (secmp0037): an HHT or a PPMID at any time;
    - ``power_cycle`` (power_cycle_window): a PPMID too, in the same 60 minutes after power-on;
    - ``button`` (hub_button): an HHT or a PPMID within ``button_window_s`` after a button press;
    - ``alternating`` (alternating_windows): an HHT or a PPMID in the scheduled 5-minute windows;
    - ``preauth`` (firmware_preauth): a PPMID whose EUI and install code were pre-registered.

    ``firmware`` says whether the hub runs the option's firmware. Without it the mechanisms that need
    firmware are not in force - those ``policy.routes.local_pairing_possible`` refuses for want of
    firmware alone (standing, power_cycle, alternating, preauth) - and the hub keeps the baseline's
    power-on hour; the button is hardware and stays. The fleet model makes the same decision from the
    same predicate (``firmware_ok`` in ``fleet.model.evaluate_option``).

    No other device type ever joins locally.
    """

    option: str = "baseline"
    hht_window_s: float = HHT_INTER_PAN_WINDOW_S
    button_window_s: float = HUB_BUTTON_WINDOW_S
    alternating_windows_per_day: int = 1
    alternating_window_s: float = policy_windows.ALTERNATING_WINDOW_S
    firmware: bool = True

    def __post_init__(self) -> None:
        policy_options.combine(self.option, "join policy option")  # InputError for an unknown id
        if not isinstance(self.firmware, bool):
            raise InputError(f"firmware {self.firmware!r}: must be true or false")

    @property
    def mechanisms(self) -> frozenset[str]:
        """The option's local-pairing mechanisms this hub applies (those its firmware supports)."""
        offered = policy_options.combine(self.option).local_pairing
        if self.firmware:
            return offered
        return frozenset(m for m in offered if _without_firmware(m))

    def local_join_permitted(self, device_type: DeviceType, now: float, powered_on_at: float,
                             button_pressed_at: float | None, preregistered: bool = False) -> bool:
        """True if a local join of ``device_type`` may be admitted at ``now`` (seconds)."""
        if device_type not in _LOCAL_JOINERS:
            return False
        # The rule itself is the policy's (``policy.windows.local_join_permitted``), as the fleet reads it.
        return policy_windows.local_join_permitted(
            device_type.name, self.mechanisms, now, powered_on_at, button_pressed_at, preregistered,
            hht_window_s=self.hht_window_s, button_window_s=self.button_window_s,
            alternating_windows_per_day=self.alternating_windows_per_day,
            alternating_window_s=self.alternating_window_s)
