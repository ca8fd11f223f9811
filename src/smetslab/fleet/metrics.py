"""The fleet model's output metrics (the contract with the report): id, label, unit, kind, direction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from smetslab.policy.attackers import ATTACKER_CLASSES

__all__ = ["MetricInfo", "METRICS", "PER_PREMISES_YEAR", "FLEET_TOTAL", "FLEET_LEVEL"]


@dataclass(frozen=True)
class MetricInfo:
    name: str
    label: str
    unit: str
    kind: Literal["harm", "cost", "security", "operations"]
    better: Literal["lower", "higher"]
    description: str


def _m(name: str, label: str, unit: str, kind: Literal["harm", "cost", "security", "operations"],
       description: str, better: Literal["lower", "higher"] = "lower") -> MetricInfo:
    return MetricInfo(name, label, unit, kind, better, description)


METRICS: dict[str, MetricInfo] = {m.name: m for m in (
    _m("no_route_days", "Days without a usable top-up route", "days per premises-year", "harm",
       "Days on which the customer has no way to top up: WAN down, no joined PPMID, meter keypad out of reach, "
       "no phone or relay route, and no engineer has restored one yet."),
    _m("self_disconnection_hours", "Self-disconnection hours", "hours per premises-year", "harm",
       "Hours off supply because credit and emergency credit ran out while no top-up route existed."),
    _m("utrn_only_days", "UTRN-only days", "days per premises-year", "harm",
       "Days on which the WAN is down and the only way to top up is to obtain a 20-digit UTRN and type it on the "
       "PPMID or the meter keypad (no phone-app or relay route)."),
    _m("engineer_visits", "Engineer visits", "visits per premises-year", "operations",
       "Visits to restore a route, fit a repeater, do a local pairing (when engineers pair) or retrofit a hub."),
    _m("replacement_ppmids", "Replacement PPMIDs", "PPMIDs per premises-year", "operations",
       "Replacement PPMIDs sent after a loss (not needed where a phone-app route replaces the PPMID)."),
    _m("cost_one_off_pence", "One-off cost", "pence, fleet total", "cost",
       "Development, hardware premiums, retrofits, repeaters, spares, CPA and programme capital for the scenario's "
       "fleet (national programme costs scaled by premises / national_premises)."),
    _m("cost_running_pence", "Running cost", "pence, fleet total over the horizon", "cost",
       "Engineer visits, replacement PPMIDs and yearly running costs over the horizon."),
    _m("join_window_open_hours", "Join-window-open hours", "hours per premises-year", "security",
       "Hours during which a device may join the hub's HAN locally (without the DCC), including the meter's "
       "phone-radio pairing on Bluetooth/NFC meters."),
    _m("expected_rogue_joins", "Expected rogue joins", "joins per premises-year", "security",
       "Expected successful rogue joins, summed over the attacker classes (opportunistic, persistent, physical, "
       "schedule-aware, insider, supply chain): each class's prevalence x its chance of getting in given the "
       "windows the option opens (docs/risk.md)."),
    _m("dos_blocked_joins", "DoS-blocked joins", "joins per premises-year", "security",
       "Expected legitimate local joins (installer HHT joins and local PPMID pairings) blocked by join floods: "
       "each join x the share of the time joins are permitted that floods take away (docs/risk.md)."),
    _m("max_premises_per_compromise", "Largest reach of one compromise", "premises (fleet level)", "security",
       "The largest number of premises one compromise can reach under the option: radio reach for windows, a "
       "campaign's reach for a standing window, a supplier's share of the fleet for a cloud relay or phone app."),
    _m("cpa_needed", "CPA needed", "0/1", "security",
       "1 if the option gives a PPMID or phone HHT-like powers and CPA is enforced in the scenario."),
    _m("wan_down_days", "WAN-down days", "days per premises-year", "harm",
       "Days without the WAN (the remote top-up route), context for the other harm metrics."),
    _m("han_dos_hours", "HAN availability lost to floods", "hours per premises-year", "security",
       "Hours the hub's local joins are denied by floods, summed over attacker classes: a flood occupies the hub "
       "only while it accepts joins (key establishment), or fills the device log until it is cleared."),
    *(_m(f"rogue_joins_{c}", f"Rogue joins: {c.replace('_', ' ')} attackers", "joins per premises-year", "security",
         f"Expected successful rogue joins by {c.replace('_', '-')} attackers (policy.attackers; docs/risk.md).")
      for c in ATTACKER_CLASSES),
    *(_m(f"dos_hours_{c}", f"HAN hours lost: {c.replace('_', ' ')} attackers", "hours per premises-year", "security",
         f"HAN availability lost to floods by {c.replace('_', '-')} attackers (policy.attackers; docs/risk.md).")
      for c in ATTACKER_CLASSES),
    _m("grid_mw_per_compromise", "Grid load one compromise can switch", "MW (fleet level)", "security",
       "Largest reach of one compromise x after-diversity demand per premises at the worst hour x switchable share; "
       "compare with GB loss-of-infeed limits (docs/risk.md, 'Grid impact')."),
    _m("relay_premises_share", "Premises with a relay route", "share of premises", "security",
       "Share of premises whose supplier can relay commands through a Wi-Fi PPMID (SECMP0038): the premises one "
       "breach of a supplier's relay cloud exposes."),
    _m("phone_app_premises_share", "Premises with a phone-app route", "share of premises", "security",
       "Share of premises whose meter accepts a phone app over Bluetooth/NFC: exposed to one app back-end breach."),
)}

PER_PREMISES_YEAR = ("no_route_days", "self_disconnection_hours", "utrn_only_days", "engineer_visits",
                     "replacement_ppmids", "join_window_open_hours", "expected_rogue_joins", "dos_blocked_joins",
                     "wan_down_days", "han_dos_hours", *(f"rogue_joins_{c}" for c in ATTACKER_CLASSES),
                     *(f"dos_hours_{c}" for c in ATTACKER_CLASSES))
FLEET_TOTAL = ("cost_one_off_pence", "cost_running_pence")
FLEET_LEVEL = ("max_premises_per_compromise", "cpa_needed", "grid_mw_per_compromise", "relay_premises_share",
               "phone_app_premises_share")
