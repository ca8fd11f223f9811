"""A premises' settings: ``SiteConfig``, plain data a story fills (the ``premises`` mapping of docs/stories.md,
plus the seed and the options). Money in integer pence, times in seconds. Its defaults are the premises'
defaults; ``premises.story.Premises`` validates a story's mapping and passes on only the fields a story
writes, so these are the defaults a story gets.
"""

from __future__ import annotations

import datetime
import hashlib
import math
from dataclasses import dataclass, field
from typing import Literal

from smetslab.devices.han import Fuel
from smetslab.errors import InputError
from smetslab.gbcs.keystore import Keystore
from smetslab.policy import options as policy_options
from smetslab.policy import windows as policy_windows
from smetslab.units import EUI64

__all__ = ["SiteConfig", "install_code", "METER_NAME", "IHD_EUI"]

METER_NAME = {Fuel.ELECTRICITY: "ESME", Fuel.GAS: "GSME"}
"""Engine device names of the meters."""
IHD_EUI = EUI64("00DB1234567890B0")
"""The premises' in-home display."""


@dataclass(frozen=True)
class SiteConfig:
    """A premises, all plain data (a story fills it). Money in integer pence, times in seconds.

    Contract fields first (``seed`` ... ``device_log_capacity``); the rest have defaults. Assumptions
    are labelled in docs/emulator.md.
    """

    seed: int = 0
    options: str = "baseline"
    fuel: Literal["dual", "electricity", "gas"] = "dual"
    initial_credit_pence: int = 1000
    daily_spend_pence: int = 300
    meter_keypad_reachable: bool = True
    broadband: bool = True
    phone: bool = True
    consumer_tops_up_below_pence: int | None = None
    keystore: Keystore | None = field(default=None, compare=False, repr=False)
    device_log_capacity: int = 16
    # -- beyond the contract ------------------------------------------------------------------------
    top_up_pence: int = 2000  # what the consumer buys each time
    hub_reachable: bool | None = None  # None: same as meter_keypad_reachable (the hub sits on the meter)
    smartphone: bool = True  # for the meter_bluetooth / meter_nfc phone app
    wifi_ppmid: bool = True  # the PPMID has the Wi-Fi module SECMP0038 needs
    new_hub: bool = True  # the hub is new enough to have the hub_button
    new_meters: bool = True  # the meters carry the radio meter_bluetooth / meter_nfc need
    firmware_ok: bool = True  # the hub runs the option's firmware (secmp0037, windows, preauth)
    mesh_neighbour: Literal["none", "same_supplier", "other_supplier"] = "none"
    mesh_broker_days: float = 7.0
    replay_rule: Literal["strictly_greater", "unseen", "off"] = "strictly_greater"
    emergency_credit_pence: int = 500
    debt_pence: int = 0
    debt_recovery_per_day_pence: int = 0
    gsme_wake_interval_s: float = 1800.0
    tick_s: float = 3600.0
    display_interval_s: float = 86_400.0
    join_timeout_min: int = 90  # CCS01 JoinTimePeriod, read as minutes (RTDS 90)
    join_delay_s: float = 10.0  # a logged device joins this long after its CCS01
    cbke_s: float = 5.0  # key establishment keeps the hub busy this long per local join attempt
    join_retry_s: float = 600.0
    max_join_retries: int = 50
    pending_s: float = 21_600.0  # the consumer waits this long for a top-up before trying again
    engineer_after_no_route_days: float | None = None  # None: no engineer is sent automatically
    wan_latency_s: float = 0.0
    epoch: str = "2025-01-01T00:00:00+00:00"  # simulated t = 0 (for GBCS time stamps)
    # the hub's join windows (the fleet scenario's ``windows`` group; defaults from ``policy.windows``)
    hht_window_s: float = policy_windows.HHT_WINDOW_S
    hub_button_window_s: float = policy_windows.HUB_BUTTON_WINDOW_S
    alternating_windows_per_day: int = 1
    alternating_window_s: float = policy_windows.ALTERNATING_WINDOW_S

    def __post_init__(self) -> None:
        def bad(name: str, allowed: str) -> InputError:
            return InputError(f"{name} {getattr(self, name)!r}: {allowed}")

        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise bad("seed", "must be an integer")
        policy_options.combine(self.options, "options")  # InputError naming the unknown part
        if self.fuel not in ("dual", "electricity", "gas"):
            raise bad("fuel", "allowed 'dual', 'electricity', 'gas'")
        for name in ("initial_credit_pence", "daily_spend_pence", "top_up_pence", "emergency_credit_pence",
                     "debt_pence", "debt_recovery_per_day_pence"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise bad(name, "must be an integer number of pence")
        for name in ("daily_spend_pence", "top_up_pence", "emergency_credit_pence", "debt_pence",
                     "debt_recovery_per_day_pence"):
            if getattr(self, name) < 0:
                raise bad(name, "must be >= 0")
        if self.consumer_tops_up_below_pence is not None and (
                isinstance(self.consumer_tops_up_below_pence, bool)
                or not isinstance(self.consumer_tops_up_below_pence, int)):
            raise bad("consumer_tops_up_below_pence", "must be an integer number of pence or null")
        for name in ("meter_keypad_reachable", "broadband", "phone", "smartphone", "wifi_ppmid", "new_hub",
                     "new_meters", "firmware_ok"):
            if not isinstance(getattr(self, name), bool):
                raise bad(name, "must be true or false")
        if self.hub_reachable is not None and not isinstance(self.hub_reachable, bool):
            raise bad("hub_reachable", "must be true, false or null")
        if isinstance(self.device_log_capacity, bool) or not isinstance(self.device_log_capacity, int) \
                or self.device_log_capacity < 4:
            raise bad("device_log_capacity", "must be an integer >= 4 (the meters, IHD and PPMID need entries)")
        if self.mesh_neighbour not in ("none", "same_supplier", "other_supplier"):
            raise bad("mesh_neighbour", "allowed 'none', 'same_supplier', 'other_supplier'")
        if self.replay_rule not in ("strictly_greater", "unseen", "off"):
            raise bad("replay_rule", "allowed 'strictly_greater', 'unseen', 'off'")
        for name in ("gsme_wake_interval_s", "tick_s", "display_interval_s", "join_delay_s", "cbke_s",
                     "join_retry_s", "pending_s", "mesh_broker_days", "hht_window_s", "hub_button_window_s",
                     "alternating_window_s"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
                raise bad(name, "must be a finite number > 0")
        if isinstance(self.wan_latency_s, bool) or not isinstance(self.wan_latency_s, int | float) \
                or self.wan_latency_s < 0:
            raise bad("wan_latency_s", "must be a number >= 0")
        if isinstance(self.join_timeout_min, bool) or not isinstance(self.join_timeout_min, int) \
                or not 1 <= self.join_timeout_min <= 0xFFFF:
            raise bad("join_timeout_min", "must be an integer 1..65535 (minutes)")
        if self.engineer_after_no_route_days is not None and (
                isinstance(self.engineer_after_no_route_days, bool)
                or not isinstance(self.engineer_after_no_route_days, int | float)
                or self.engineer_after_no_route_days < 0):
            raise bad("engineer_after_no_route_days", "must be a number of days >= 0 or null")
        n = self.alternating_windows_per_day
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 144:
            raise bad("alternating_windows_per_day", "must be an integer 1..144")
        if self.alternating_window_s > policy_windows.DAY_S / n / 2:
            raise bad("alternating_window_s", f"must be at most half the spacing of {n} windows a day "
                                              f"({policy_windows.DAY_S / n / 2:g} s)")
        try:
            when = datetime.datetime.fromisoformat(self.epoch)
        except (TypeError, ValueError):
            raise bad("epoch", "must be an ISO 8601 date-time with a UTC offset") from None
        if when.tzinfo is None:
            raise bad("epoch", "must carry a UTC offset, e.g. 2025-01-01T00:00:00+00:00")

    @property
    def fuels(self) -> tuple[Fuel, ...]:
        return {"dual": (Fuel.ELECTRICITY, Fuel.GAS), "electricity": (Fuel.ELECTRICITY,),
                "gas": (Fuel.GAS,)}[self.fuel]

    @property
    def hub_in_reach(self) -> bool:
        return self.meter_keypad_reachable if self.hub_reachable is None else self.hub_reachable

    @property
    def epoch_datetime(self) -> datetime.datetime:
        return datetime.datetime.fromisoformat(self.epoch)


def install_code(seed: int, eui: EUI64) -> bytes:
    # Deterministic per premises and device: a story replays with the same codes.
    return hashlib.sha256(b"smetslab install code|%d|" % seed + bytes(eui)).digest()[:16]
