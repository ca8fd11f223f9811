"""WAN remedy rules: how long a no-WAN case lasts under each WAN option.

Theory of operation: a no-WAN case (no WAN at install, or WAN lost later) has an underlying DCC restore
time ``dcc_days`` (a draw). The rules below turn it into the time until the WAN route is back for each
option; all are pure, monotone (an option never lengthens a case) and accept floats or numpy arrays.

- baseline: within 90 days the DCC confirms the WAN or gives reasons why not, and makes it available for at
  least 99% of cases (SEC F7.18): a case is made good in ``min(dcc_days, 90)``, or - a share of up to 1% -
  never (``made_good``: the case is not remedied, ``inf``);
- ``secmp0032``: prepayment sites within 30 days -> ``min(dcc_days, 30)``, the never-remedied share its own;
- ``wan_repeaters``: where a repeater can fix the signal, an engineer fits one after ``fit_days``;
- ``mini_base_stations``: in the Central and South regions a share of cases never happens;
- ``mesh_hub``: a usable neighbour hub (with the WAN and mesh-capable) carries the WAN at once if the
  neighbour rule is met - ``all_same_supplier`` (the proposer's reading: every neighbour in range is the same
  supplier's) or ``any_same_supplier`` -; otherwise only after the DCC brokers it (``broker_days``).
"""

from __future__ import annotations

import numpy as np

from smetslab.policy._types import Count, Flag, Time

__all__ = [
    "BASELINE_REMEDY_MAX_DAYS",
    "BASELINE_REMEDY_SOURCE",
    "SECMP0032_REMEDY_MAX_DAYS",
    "SECMP0032_REMEDY_SOURCE",
    "REGIONS",
    "WAN_PROVIDER",
    "WAN_PROVIDER_SOURCE",
    "remedy_cap_days",
    "restore_days",
    "never_remedied",
    "NEIGHBOUR_RULES",
    "repeater_restore_days",
    "repeater_fitted",
    "mini_base_station_prevents",
    "mesh_restore_days",
]

BASELINE_REMEDY_MAX_DAYS = 90.0
BASELINE_REMEDY_SOURCE = ("DESIGN.md background; DOMAIN.md §4.2: SEC Section F7.18, the DCC has up to 90 days to "
                          "confirm SM WAN availability")
SECMP0032_REMEDY_MAX_DAYS = 30.0
SECMP0032_REMEDY_SOURCE = "DESIGN.md 'The options'; DOMAIN.md §4.2 (SECMP0032 page: 30 days where prepay customers exist)"

REGIONS = ("North", "Central", "South")
WAN_PROVIDER = {"North": "Arqiva", "Central": "Telefonica", "South": "Telefonica"}
WAN_PROVIDER_SOURCE = ("assumption: DCC communications service providers as publicly reported (Arqiva in the North "
                       "region, Telefonica in Central and South); not in DESIGN.md or DOMAIN.md")


def remedy_cap_days(prioritised: bool, baseline_cap_days: float = BASELINE_REMEDY_MAX_DAYS,
                    secmp0032_cap_days: float = SECMP0032_REMEDY_MAX_DAYS) -> float:
    """The DCC's remedy deadline: 30 days for prioritised prepayment sites (SECMP0032), else 90."""
    return min(baseline_cap_days, secmp0032_cap_days) if prioritised else baseline_cap_days


def restore_days(dcc_days: Time, cap_days: Time) -> Time:
    """Days until the DCC restores the WAN: its own time, but never past the deadline."""
    return np.minimum(dcc_days, cap_days)


def never_remedied(u: Time, never_share: Time) -> Flag:
    """A case the DCC does not make good (F7.18 allows up to 1%): ``u`` is a uniform(0, 1) draw of the case,
    shared by every option, so a larger share only adds cases (common random numbers)."""
    return u < never_share


NEIGHBOUR_RULES = ("all_same_supplier", "any_same_supplier")


def repeater_fitted(restore: Time, fixable: Flag, fit_days: Time) -> Flag:
    """A repeater is fitted when it can fix the case and the case would outlast the fitting time."""
    return fixable & (restore > fit_days)


def repeater_restore_days(restore: Time, fixable: Flag, fit_days: Time) -> Time:
    """``wan_repeaters``: a fixable case ends when the repeater is fitted, if that is sooner."""
    return np.where(fixable, np.minimum(restore, fit_days), restore)


def mini_base_station_prevents(region_index: Count, u: Time, prevented_share: Time) -> Flag:
    """``mini_base_stations``: a case in Central (1) or South (2) is prevented with ``prevented_share``.

    ``u`` is a uniform(0, 1) draw shared by every option (common random numbers).
    """
    return (region_index >= 1) & (u < prevented_share)


def mesh_restore_days(restore: Time, same_supplier_neighbours: Count, other_neighbours: Count,
                      broker_days: Time, mesh_hub: Flag, *, rule: str = "any_same_supplier",
                      usable_same: Count | None = None, usable_other: Count | None = None) -> Time:
    """``mesh_hub``: the WAN at once (0) when the neighbour rule is met and a same-supplier neighbour is usable;
    else at most ``broker_days`` (the DCC brokers a usable neighbour hub); unchanged without a mesh hub or a
    usable neighbour.

    ``rule``: ``any_same_supplier`` (one usable same-supplier neighbour is enough) or ``all_same_supplier`` (the
    proposer's reading: every neighbour in range must be the same supplier's). ``usable_same``/``usable_other``:
    the neighbours that have the WAN themselves and are mesh hubs (default: all of them).
    """
    if rule not in NEIGHBOUR_RULES:
        raise ValueError(f"mesh neighbour rule {rule!r}: allowed {', '.join(NEIGHBOUR_RULES)}")
    us = same_supplier_neighbours if usable_same is None else usable_same
    uo = other_neighbours if usable_other is None else usable_other
    rule_met = (other_neighbours == 0) if rule == "all_same_supplier" else True
    now = mesh_hub & rule_met & (us > 0)
    brokered = mesh_hub & ((us > 0) | (uo > 0))
    return np.where(now, 0.0, np.where(brokered, np.minimum(restore, broker_days), restore))
