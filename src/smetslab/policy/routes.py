"""Top-up route rules: which ways of topping up a prepayment meter are usable at a given moment.

Routes (DESIGN.md background): the WAN (app/online -> DCC -> hub -> meter), a UTRN typed on a paired
PPMID, a UTRN typed on the meter's own keypad (if the consumer can reach it), a phone app over the meter's
Bluetooth/NFC (``meter_bluetooth``/``meter_nfc``, new meters only), and the SECMP0038 relay (supplier ->
broadband -> joined Wi-Fi PPMID -> HAN). UTRN routes need the consumer to obtain and type 20 digits; the
WAN, phone and relay routes do not. All rules are pure and accept bools or numpy bool arrays.
"""

from __future__ import annotations

import numpy as np

from smetslab.policy._types import Flag, Time

__all__ = [
    "phone_route_available",
    "relay_available",
    "utrn_route_available",
    "remote_route_available",
    "any_route_available",
    "local_pairing_possible",
    "emergency_credit_activatable",
    "supply_enable_possible",
    "self_disconnection_hours",
]


def phone_route_available(phone_radio_fitted: Flag, new_meter: Flag, has_smartphone: Flag) -> Flag:
    """``meter_bluetooth``/``meter_nfc``: a phone app reaches a new meter carrying the radio."""
    return phone_radio_fitted & new_meter & has_smartphone


def relay_available(relay_option: Flag, wan_up: Flag, has_broadband: Flag, wifi_ppmid: Flag,
                    ppmid_joined: Flag) -> Flag:
    """``secmp0038``: commands relayed via broadband while the WAN is down; needs an already-joined Wi-Fi PPMID."""
    wan_down: Flag = np.logical_not(wan_up) if isinstance(wan_up, np.ndarray) else not wan_up
    return relay_option & wan_down & has_broadband & wifi_ppmid & ppmid_joined


def utrn_route_available(ppmid_joined: Flag, meter_keypad_reachable: Flag) -> Flag:
    """A UTRN can be typed on a joined PPMID or on the meter's keypad (if reachable)."""
    return ppmid_joined | meter_keypad_reachable


def remote_route_available(wan_up: Flag, phone_route: Flag, relay: Flag) -> Flag:
    """A route that needs no typed UTRN: the WAN, the phone app or the SECMP0038 relay."""
    return wan_up | phone_route | relay


def any_route_available(wan_up: Flag, phone_route: Flag, relay: Flag, ppmid_joined: Flag,
                        meter_keypad_reachable: Flag) -> Flag:
    """True when the customer has some usable way to top up."""
    return remote_route_available(wan_up, phone_route, relay) | utrn_route_available(ppmid_joined,
                                                                                      meter_keypad_reachable)


def local_pairing_possible(mechanism: str, *, firmware_ok: Flag, new_hub: Flag, hub_reachable: Flag,
                           preregistered: Flag, can_power_cycle: Flag | None = None) -> Flag:
    """Whether a PPMID can join without the WAN by ``mechanism`` (one of LOCAL_PAIRING_MECHANISMS).

    standing / alternating: the hub runs the option's firmware; power_cycle: firmware, and the consumer can reach
    the hub and power-cycle it (``can_power_cycle``: the hub is powered from the electricity meter, so the fleet
    model draws it on its own; default: whoever can reach the hub can); button: a new hub with the button, within reach;
    preauth: the spare's credentials were pre-registered while the WAN was up.
    """
    if mechanism in ("standing", "alternating"):
        return firmware_ok
    if mechanism == "power_cycle":
        return firmware_ok & hub_reachable & (True if can_power_cycle is None else can_power_cycle)
    if mechanism == "button":
        return new_hub & hub_reachable
    if mechanism == "preauth":
        return firmware_ok & preregistered
    raise ValueError(f"local pairing mechanism {mechanism!r}: allowed standing, preauth, button, "
                     f"power_cycle, alternating")


def emergency_credit_activatable(wan_up: Flag, ppmid_joined: Flag, meter_keypad_reachable: Flag) -> Flag:
    """Whether the consumer can activate emergency credit: it is not automatic, someone must ask for it at the
    meter (if reachable), on a joined PPMID (PECS02/PCS02) or remotely through the supplier (ECS09/GCS06,
    which need the WAN). DOMAIN.md §2.7, §4.1."""
    return wan_up | ppmid_joined | meter_keypad_reachable


def supply_enable_possible(ppmid_joined: Flag, meter_keypad_reachable: Flag) -> Flag:
    """Whether an *armed* electricity supply can be switched back on: once credit is back the meter waits for
    a person (``arm_before_enable``), at the meter or on a joined PPMID (PECS03, "supply on" only). A remote
    top-up alone leaves it off. DOMAIN.md §4.1. Gas: only at the meter (the fleet model's gas meters wait for the
    visiting engineer or ``remedy.gas_enable_days``)."""
    return ppmid_joined | meter_keypad_reachable


def self_disconnection_hours(no_route_days: Time, credit_pence: Time, emergency_credit_pence: Time,
                             daily_spend_pence: Time, enable_days: Time = 0.0) -> Time:
    """Hours off supply around a stretch of ``no_route_days`` with no way to top up.

    The meter runs on its credit plus ``emergency_credit_pence`` - pass only emergency credit that can be
    activated during the stretch (``emergency_credit_activatable``) - and disconnects when they run out at
    ``r = (C + E) / s`` days. If that happens inside the stretch, the supply stays off until a route is back
    *and* someone can switch the armed supply on (``supply_enable_possible``): the later of the stretch's end
    and ``enable_days`` (days from the start of the stretch; 0: as soon as a route returns). Otherwise the
    consumer tops up when the route returns and never goes off:
    ``24 * (max(days, enable_days) - r)`` if ``r < days``, else 0.
    """
    run_out_days = (np.asarray(credit_pence, dtype=np.float64) + emergency_credit_pence) / daily_spend_pence
    days = np.asarray(no_route_days, dtype=np.float64)
    hours = np.where(run_out_days < days, 24.0 * (np.maximum(days, enable_days) - run_out_days), 0.0)
    return hours if isinstance(hours, np.ndarray) and hours.ndim else float(hours)
