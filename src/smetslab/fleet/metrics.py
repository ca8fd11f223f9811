"""The fleet model's output metrics (the contract with the report): id, label, unit, kind, direction, and how
the report turns a value into national figures in human units.

A metric's entry is all the report needs: a new entry (with ``national``, ``quantity`` and ``noun`` set)
shows up in the table, the national figures and, with ``part_of``, in "where the harm comes from" with no
other code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from smetslab.policy.attackers import ATTACKER_CLASSES

__all__ = ["MetricInfo", "METRICS", "PER_PREMISES_YEAR", "FLEET_TOTAL", "FLEET_LEVEL", "National", "Quantity",
           "SHARE_OF_PREMISES", "YEARLY_METRICS"]

National = Literal["per_premises_year", "share_of_premises", "fleet_total", "fleet_level"]
"""How a metric's value becomes a national figure for ``costs.national_premises`` premises:

- ``per_premises_year``: an average per premises and year; national total over the horizon =
  value x national_premises x horizon years;
- ``share_of_premises``: the share (0-1) of premises for which something happened over the horizon;
  national customers = value x national_premises;
- ``fleet_total``: a total for the scenario's premises over the horizon; national = value x
  national_premises / premises;
- ``fleet_level``: a property of the fleet as a whole (reach, a flag); not scaled."""

Quantity = Literal["days", "hours", "count", "pence", "premises", "flag", "share"]
"""What one unit of the value is: ``days``/``hours`` are shown per customer in minutes, hours or days as
fits; ``count`` uses ``noun``; ``pence`` is shown in pounds."""


@dataclass(frozen=True)
class MetricInfo:
    name: str
    label: str
    unit: str
    kind: Literal["harm", "cost", "security", "operations"]
    better: Literal["lower", "higher"]
    description: str
    national: National = "per_premises_year"
    quantity: Quantity = "count"
    noun: str = ""
    """What a count counts, plural ("engineer visits"), for national totals; empty: the label."""
    short: str = ""
    """Column header in the compact terminal table (at most 11 characters); empty: the id."""
    part_of: str | None = None
    """The metric this one is a share of by cause (e.g. no-route days from no-WAN installs is part of
    ``no_route_days``): the report's "where the harm comes from" sums the parts."""
    distribution_of: str | None = None
    above: float | None = None
    """A point of a distribution: with ``national="share_of_premises"``, the share of premises whose
    ``distribution_of`` (e.g. ``no_route_days``) exceeds ``above`` (e.g. 7) over the horizon; the report
    shows the points of one metric side by side as customers nationally."""


def _m(name: str, label: str, unit: str, kind: Literal["harm", "cost", "security", "operations"],
       description: str, better: Literal["lower", "higher"] = "lower", *, national: National = "per_premises_year",
       quantity: Quantity = "count", noun: str = "", short: str = "", part_of: str | None = None,
       distribution_of: str | None = None, above: float | None = None) -> MetricInfo:
    return MetricInfo(name, label, unit, kind, better, description, national, quantity, noun, short, part_of,
                      distribution_of, above)


METRICS: dict[str, MetricInfo] = {m.name: m for m in (
    _m("no_route_days", "Days without a usable top-up route", "days per premises-year", "harm",
       "Days on which the customer has no way to top up: WAN down, no joined PPMID, meter keypad out of reach, "
       "no phone or relay route, and no engineer has restored one yet.", quantity="days", noun="customer-days without a top-up route",
       short="no-route d"),
    _m("self_disconnection_hours", "Self-disconnection hours", "hours per premises-year", "harm",
       "Hours off supply because credit and emergency credit ran out while no top-up route existed.", quantity="hours",
       noun="customer-hours off supply", short="self-disc h"),
    _m("utrn_only_days", "UTRN-only days", "days per premises-year", "harm",
       "Days on which the WAN is down and the only way to top up is to obtain a 20-digit UTRN and type it on the "
       "PPMID or the meter keypad (no phone-app or relay route).", quantity="days", noun="customer-days on UTRNs only",
       short="UTRN-only d"),
    _m("engineer_visits", "Engineer visits", "visits per premises-year", "operations",
       "Visits to restore a route, fit a repeater, do a local pairing (when engineers pair) or retrofit a hub.",
       noun="engineer visits", short="visits"),
    _m("replacement_ppmids", "Replacement PPMIDs", "PPMIDs per premises-year", "operations",
       "Replacement PPMIDs sent after a loss (not needed where a phone-app route replaces the PPMID).",
       noun="replacement PPMIDs", short="PPMIDs"),
    _m("cost_one_off_pence", "One-off cost", "pence, fleet total", "cost",
       "Development, hardware premiums, retrofits, repeaters, spares, CPA and programme capital for the scenario's "
       "fleet (national programme costs scaled by premises / national_premises).", national="fleet_total",
       quantity="pence", short="one-off \u00a3"),
    _m("cost_running_pence", "Running cost", "pence, fleet total over the horizon", "cost",
       "Engineer visits, replacement PPMIDs and yearly running costs over the horizon.", national="fleet_total",
       quantity="pence", short="running \u00a3"),
    _m("join_window_open_hours", "Join-window-open hours", "hours per premises-year", "security",
       "Hours during which a device may join the hub's HAN locally (without the DCC), including the meter's "
       "phone-radio pairing on Bluetooth/NFC meters.", quantity="hours", noun="premises-hours with a join window open",
       short="window h"),
    _m("expected_rogue_joins", "Expected rogue joins", "joins per premises-year", "security",
       "Expected successful rogue joins, summed over the attacker classes (opportunistic, persistent, physical, "
       "schedule-aware, insider, supply chain): each class's prevalence x its chance of getting in given the "
       "windows the option opens (docs/risk.md).", noun="rogue joins", short="rogue"),
    _m("dos_blocked_joins", "DoS-blocked joins", "joins per premises-year", "security",
       "Expected legitimate local joins (installer HHT joins and local PPMID pairings) blocked by join floods: "
       "each join x the share of the time joins are permitted that floods take away (docs/risk.md).",
       noun="blocked joins", short="DoS-blocked"),
    _m("max_premises_per_compromise", "Largest reach of one compromise", "premises (fleet level)", "security",
       "The largest number of premises one compromise can reach under the option: radio reach for windows, a "
       "campaign's reach for a standing window, a supplier's share of the fleet for a cloud relay or phone app.",
       national="fleet_level", quantity="premises", short="reach"),
    _m("cpa_needed", "CPA needed", "0/1", "security",
       "1 if the option gives a PPMID or phone HHT-like powers and CPA is enforced in the scenario.",
       national="fleet_level", quantity="flag", short="CPA"),
    _m("wan_down_days", "WAN-down days", "days per premises-year", "harm",
       "Days without the WAN (the remote top-up route), context for the other harm metrics.", quantity="days",
       noun="customer-days without the WAN", short="WAN-down d"),
    # -- where the no-route days come from (they add up to no_route_days) -------------------------------
    _m("no_route_days_install", "No-route days: no WAN at install", "days per premises-year", "harm",
       "No-route days in cases where an install found no WAN (the new PPMID cannot be paired without it).",
       quantity="days", noun="customer-days without a route (no WAN at install)", short="NR install", part_of="no_route_days"),
    _m("no_route_days_wan_lost", "No-route days: WAN lost later", "days per premises-year", "harm",
       "No-route days in cases where the WAN was lost after install and the PPMID was lost or broke during the "
       "outage (a no-route day in such a case needs both).",
       quantity="days", noun="customer-days without a route (WAN lost later)", short="NR WANlost", part_of="no_route_days"),
    _m("no_route_days_unremedied", "No-route days in cases never remedied", "days per premises-year", "harm",
       "No-route days (of either cause) in the no-WAN cases the DCC does not make good (SEC F7.18: up to 1%), "
       "counted to the end of the horizon.",
       quantity="days", noun="customer-days without a route (never remedied)", short="NR unremed"),
    # -- how the harm falls on customers: cases per premises of the sample over the horizon (x national
    # premises = customers; a customer rarely has two cases at the default rates) ---------------------------
    _m("no_route_customers_share", "Customers left without a top-up route", "cases per premises over the horizon",
       "harm", "No-WAN cases that leave the customer without any top-up route for a while, per premises "
       "(x national premises = customers affected).",
       national="share_of_premises", quantity="share", noun="customers left without a top-up route", short="no-route cu", distribution_of="no_route_days", above=0.0),
    _m("no_route_over_1d_share", "Customers without a route > 1 day", "cases per premises over the horizon", "harm",
       "No-WAN cases whose no-route spell exceeds 1 day, per premises.",
       national="share_of_premises", quantity="share", noun="customers without a route > 1 day", short="NR > 1 d", distribution_of="no_route_days", above=1.0),
    _m("no_route_over_7d_share", "Customers without a route > 7 days", "cases per premises over the horizon", "harm",
       "No-WAN cases whose no-route spell exceeds 7 days, per premises.",
       national="share_of_premises", quantity="share", noun="customers without a route > 7 days", short="NR > 7 d", distribution_of="no_route_days", above=7.0),
    _m("no_route_over_30d_share", "Customers without a route > 30 days", "cases per premises over the horizon",
       "harm", "No-WAN cases whose no-route spell exceeds 30 days, per premises.",
       national="share_of_premises", quantity="share", noun="customers without a route > 30 days", short="NR > 30 d", distribution_of="no_route_days", above=30.0),
    _m("no_route_over_90d_share", "Customers without a route > 90 days", "cases per premises over the horizon",
       "harm", "No-WAN cases whose no-route spell exceeds 90 days, per premises.",
       national="share_of_premises", quantity="share", noun="customers without a route > 90 days", short="NR > 90 d", distribution_of="no_route_days", above=90.0),
    _m("unremedied_customers_share", "Customers left without WAN past the horizon",
       "cases per premises over the horizon", "harm",
       "No-WAN cases the DCC does not make good (F7.18's up to 1%) and no WAN option fixes, per premises: the "
       "customer is still without the WAN at the end of the horizon.",
       national="share_of_premises", quantity="share", noun="customers without the WAN past the horizon", short="no WAN end"),
    _m("self_disconnection_events", "Self-disconnections (electricity)", "events per premises-year", "harm",
       "No-WAN cases in which the electricity meter ran out of credit and went off supply.",
       noun="electricity self-disconnections", short="self-disc E"),
    _m("gas_self_disconnection_hours", "Gas self-disconnection hours", "hours per premises-year", "harm",
       "Hours a gas prepayment meter is off supply (over all premises): like electricity, but the gas supply is "
       "re-enabled only at the meter (DOMAIN.md §4.1), by the visiting engineer or someone who can reach it.",
       quantity="hours", noun="customer-hours off gas supply", short="gas off h"),
    _m("gas_self_disconnection_events", "Self-disconnections (gas)", "events per premises-year", "harm",
       "No-WAN cases in which a gas meter ran out of credit and went off supply.",
       noun="gas self-disconnections", short="self-disc G"),
    # -- debt ---------------------------------------------------------------------------------------------
    _m("debt_pence", "Arrears built in no-WAN cases", "pence per premises-year", "harm",
       "Arrears: standing charges accrued while off supply (both fuels) plus consumption billed while the meter "
       "is in a no-WAN credit-mode fallback (x national premises-years = national total).",
       quantity="pence", noun="arrears", short="arrears"),
    _m("debt_self_disconnection_pence", "Arrears while off supply", "pence per premises-year", "harm",
       "Standing charges (electricity and gas apart) accrued as debt while self-disconnected.",
       quantity="pence", noun="arrears while off supply", short="arrears off", part_of="debt_pence"),
    _m("debt_credit_mode_pence", "Arrears in credit-mode fallback", "pence per premises-year", "harm",
       "Consumption billed while an engineer left the meter in credit mode until the WAN returned (when engineers "
       "cannot pair a PPMID with the WAN down).",
       quantity="pence", noun="arrears in credit mode", short="arrears cm", part_of="debt_pence"),
    _m("debt_mean_per_indebted_pence", "Mean arrears per customer in debt", "pence per case with arrears",
       "harm", "Total no-WAN arrears divided by the no-WAN cases that built any.",
       national="fleet_level", quantity="pence", short="arrears/cu"),
    _m("debt_over_threshold_share", "Customers with arrears above the threshold",
       "cases per premises over the horizon", "harm",
       "No-WAN cases whose arrears exceed debt.threshold_pence, per premises.",
       national="share_of_premises", quantity="share", noun="customers with arrears above the threshold", short="arrears > t"),
           _m("han_dos_hours", "HAN availability lost to floods", "hours per premises-year", "security",
       "Hours the hub's local joins are denied by floods, summed over attacker classes: a flood occupies the hub "
       "only while it accepts joins (key establishment), or fills the device log until it is cleared.", quantity="hours",
       noun="premises-hours of HAN joins denied", short="HAN DoS h"),
    *(_m(f"rogue_joins_{c}", f"Rogue joins: {c.replace('_', ' ')} attackers", "joins per premises-year", "security",
         f"Expected successful rogue joins by {c.replace('_', '-')} attackers (policy.attackers; docs/risk.md).")
      for c in ATTACKER_CLASSES),
    *(_m(f"dos_hours_{c}", f"HAN hours lost: {c.replace('_', ' ')} attackers", "hours per premises-year", "security",
         f"HAN availability lost to floods by {c.replace('_', '-')} attackers (policy.attackers; docs/risk.md).")
      for c in ATTACKER_CLASSES),
    _m("grid_mw_per_compromise", "Grid load one compromise can switch", "MW (fleet level)", "security",
       "Largest reach of one compromise x after-diversity demand per premises at the worst hour x switchable share; "
       "compare with GB loss-of-infeed limits (docs/risk.md, 'Grid impact').", national="fleet_level", short="grid MW"),
    _m("relay_premises_share", "Premises with a relay route", "share of premises", "security",
       "Share of premises whose supplier can relay commands through a Wi-Fi PPMID (SECMP0038): the premises one "
       "breach of a supplier's relay cloud exposes.", national="fleet_level", quantity="share",
       short="relay share"),
    _m("phone_app_premises_share", "Premises with a phone-app route", "share of premises", "security",
       "Share of premises whose meter accepts a phone app over Bluetooth/NFC: exposed to one app back-end breach.", national="fleet_level",
       quantity="share", short="app share"),
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
                     "debt_self_disconnection_pence", "debt_credit_mode_pence",
                     "han_dos_hours", *(f"rogue_joins_{c}" for c in ATTACKER_CLASSES),
                     *(f"dos_hours_{c}" for c in ATTACKER_CLASSES))
FLEET_TOTAL = ("cost_one_off_pence", "cost_running_pence")
FLEET_LEVEL = ("max_premises_per_compromise", "cpa_needed", "grid_mw_per_compromise", "relay_premises_share",
               "phone_app_premises_share")
