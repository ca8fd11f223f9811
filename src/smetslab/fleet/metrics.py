"""The fleet model's output metrics (the contract with the report): id, label, unit, kind, direction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["MetricInfo", "METRICS", "PER_PREMISES_YEAR", "FLEET_TOTAL", "FLEET_LEVEL", "SHARE_OF_PREMISES",
           "YEARLY_METRICS"]


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
       "Expected successful rogue joins: targeted premises x attempts x share of time a join is permitted "
       "(x radio reach for phone radios) x attacker capability."),
    _m("dos_blocked_joins", "DoS-blocked joins", "joins per premises-year", "security",
       "Expected legitimate local joins (installer HHT joins and local PPMID pairings) blocked by join floods."),
    _m("max_premises_per_compromise", "Largest reach of one compromise", "premises (fleet level)", "security",
       "The largest number of premises one compromise can reach under the option: radio reach for windows, a "
       "campaign's reach for a standing window, a supplier's share of the fleet for a cloud relay or phone app."),
    _m("cpa_needed", "CPA needed", "0/1", "security",
       "1 if the option gives a PPMID or phone HHT-like powers and CPA is enforced in the scenario."),
    _m("wan_down_days", "WAN-down days", "days per premises-year", "harm",
       "Days without the WAN (the remote top-up route), context for the other harm metrics."),
    # -- where the no-route days come from (they add up to no_route_days) -------------------------------
    _m("no_route_days_install", "No-route days: no WAN at install", "days per premises-year", "harm",
       "No-route days in cases where an install found no WAN (the new PPMID cannot be paired without it)."),
    _m("no_route_days_wan_lost", "No-route days: WAN lost later", "days per premises-year", "harm",
       "No-route days in cases where the WAN was lost after install and the PPMID was lost or broke during the "
       "outage (a no-route day in such a case needs both)."),
    _m("no_route_days_unremedied", "No-route days in cases never remedied", "days per premises-year", "harm",
       "No-route days (of either cause) in the no-WAN cases the DCC does not make good (SEC F7.18: up to 1%), "
       "counted to the end of the horizon."),
    # -- how the harm falls on customers: cases per premises of the sample over the horizon (x national
    # premises = customers; a customer rarely has two cases at the default rates) ---------------------------
    _m("no_route_customers_share", "Customers left without a top-up route", "cases per premises over the horizon",
       "harm", "No-WAN cases that leave the customer without any top-up route for a while, per premises "
       "(x national premises = customers affected)."),
    _m("no_route_over_1d_share", "Customers without a route > 1 day", "cases per premises over the horizon", "harm",
       "No-WAN cases whose no-route spell exceeds 1 day, per premises."),
    _m("no_route_over_7d_share", "Customers without a route > 7 days", "cases per premises over the horizon", "harm",
       "No-WAN cases whose no-route spell exceeds 7 days, per premises."),
    _m("no_route_over_30d_share", "Customers without a route > 30 days", "cases per premises over the horizon",
       "harm", "No-WAN cases whose no-route spell exceeds 30 days, per premises."),
    _m("no_route_over_90d_share", "Customers without a route > 90 days", "cases per premises over the horizon",
       "harm", "No-WAN cases whose no-route spell exceeds 90 days, per premises."),
    _m("unremedied_customers_share", "Customers left without WAN past the horizon",
       "cases per premises over the horizon", "harm",
       "No-WAN cases the DCC does not make good (F7.18's up to 1%) and no WAN option fixes, per premises: the "
       "customer is still without the WAN at the end of the horizon."),
    _m("self_disconnection_events", "Self-disconnections (electricity)", "events per premises-year", "harm",
       "No-WAN cases in which the electricity meter ran out of credit and went off supply."),
    _m("gas_self_disconnection_hours", "Gas self-disconnection hours", "hours per premises-year", "harm",
       "Hours a gas prepayment meter is off supply (over all premises): like electricity, but the gas supply is "
       "re-enabled only at the meter (DOMAIN.md §4.1), by the visiting engineer or someone who can reach it."),
    _m("gas_self_disconnection_events", "Self-disconnections (gas)", "events per premises-year", "harm",
       "No-WAN cases in which a gas meter ran out of credit and went off supply."),
    # -- debt ---------------------------------------------------------------------------------------------
    _m("debt_pence", "Arrears built in no-WAN cases", "pence per premises-year", "harm",
       "Arrears: standing charges accrued while off supply (both fuels) plus consumption billed while the meter "
       "is in a no-WAN credit-mode fallback (x national premises-years = national total)."),
    _m("debt_self_disconnection_pence", "Arrears while off supply", "pence per premises-year", "harm",
       "Standing charges (electricity and gas apart) accrued as debt while self-disconnected."),
    _m("debt_credit_mode_pence", "Arrears in credit-mode fallback", "pence per premises-year", "harm",
       "Consumption billed while an engineer left the meter in credit mode until the WAN returned (when engineers "
       "cannot pair a PPMID with the WAN down)."),
    _m("debt_mean_per_indebted_pence", "Mean arrears per customer in debt", "pence per case with arrears",
       "harm", "Total no-WAN arrears divided by the no-WAN cases that built any."),
    _m("debt_over_threshold_share", "Customers with arrears above the threshold",
       "cases per premises over the horizon", "harm",
       "No-WAN cases whose arrears exceed debt.threshold_pence, per premises."),
)}

SHARE_OF_PREMISES = {"no_route_customers_share": "premises_no_route_any",
                     "no_route_over_1d_share": "premises_no_route_over_1d",
                     "no_route_over_7d_share": "premises_no_route_over_7d",
                     "no_route_over_30d_share": "premises_no_route_over_30d",
                     "no_route_over_90d_share": "premises_no_route_over_90d",
                     "unremedied_customers_share": "premises_unremedied",
                     "debt_over_threshold_share": "premises_debt_over_threshold"}
"""Metrics that are a count of cases divided by the sample's premises (the fleet at the end of the horizon)."""

YEARLY_METRICS = ("fleet_share", "no_route_days", "self_disconnection_hours", "gas_self_disconnection_hours",
                  "utrn_only_days", "wan_down_days", "debt_pence")
"""Per-year figures stored beside the metrics as ``<metric>@y<N>`` (N = 1 .. years of the horizon): per
premises-year lived in year N, and ``fleet_share`` = premises-years in year N / premises (the fleet's growth).
They are not in METRICS (the tables list METRICS); the report reads them for its per-year view."""

PER_PREMISES_YEAR = ("no_route_days", "self_disconnection_hours", "utrn_only_days", "engineer_visits",
                     "replacement_ppmids", "join_window_open_hours", "expected_rogue_joins", "dos_blocked_joins",
                     "wan_down_days", "no_route_days_install", "no_route_days_wan_lost", "no_route_days_unremedied",
                     "self_disconnection_events", "gas_self_disconnection_hours", "gas_self_disconnection_events",
                     "debt_self_disconnection_pence", "debt_credit_mode_pence")
FLEET_TOTAL = ("cost_one_off_pence", "cost_running_pence")
FLEET_LEVEL = ("max_premises_per_compromise", "cpa_needed")
