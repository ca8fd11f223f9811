"""Security exposure of one option over one block: join windows, rogue joins and DoS per attacker class, reach.

Theory of operation (docs/fleet-model.md "Exposure", docs/risk.md "Attacker classes"): exposure is an
*expectation* given each premises' draws - no random draw of its own, so it shifts no other quantity's
stream (common random numbers) and rare attacks add no noise. ``model.evaluate_option`` hands over the
per-premises window hours and openings it derived from the shared draws; for each attacker class of
``policy.attackers`` this module turns them into the probability a targeted premises is compromised
(rogue join) and the HAN availability a flood takes away (DoS), weighted by the class's prevalence and,
for classes that need radio range, by how many premises one attacker position reaches on the HAN band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smetslab.fleet.scenario import ModelParams
from smetslab.policy import attackers as A
from smetslab.policy.options import OptionEffect

__all__ = ["WindowExposure", "CLASS_SUM_KEYS", "exposure_sums", "max_reach", "range_factor", "radio_reach",
           "grid_mw"]

CLASS_SUM_KEYS = tuple(f"rogue_joins_{c}" for c in A.ATTACKER_CLASSES) + \
    tuple(f"dos_hours_{c}" for c in A.ATTACKER_CLASSES) + ("han_dos_hours",)
"""Partial sums this module adds to ``model.SUM_KEYS`` (per class, and the DoS total)."""


@dataclass(frozen=True)
class WindowExposure:
    """Per premises of a block (arrays of length n): what the hub's local-join rules leave open."""

    zig_h: np.ndarray  # hours a ZigBee local join is permitted over the horizon
    phone_h: np.ndarray  # hours the meter's phone radio accepts a pairing (Bluetooth/NFC meters)
    openings: np.ndarray  # windows opened over the horizon (power-ons, button presses, scheduled windows)
    scheduled_openings: np.ndarray  # of which on the published alternating timetable
    standing: np.ndarray  # 1.0 where a join is always permitted (SECMP0037 on the firmware's hubs)
    ppmid_admitted: np.ndarray  # a consumer PPMID may join locally (so its credentials are enough)
    preauth_exposed: np.ndarray  # a pre-registered spare whose clone the hub admits
    join_events: np.ndarray  # legitimate local joins (installer HHT joins, local PPMID pairings)


def range_factor(p: ModelParams) -> float:
    """Premises one attacker position reaches on the scenario's HAN band, relative to 2.4 GHz."""
    band = bool(p.han.band_868mhz.value)
    return A.premises_in_range(1.0, band, float(p.han.range_multiplier_868mhz.value))


def radio_reach(p: ModelParams) -> float:
    """Premises within one attacker's HAN radio range on the scenario's band."""
    return float(p.attackers.radio_reach_premises.value) * range_factor(p)


def exposure_sums(p: ModelParams, eff: OptionEffect, w: WindowExposure) -> dict[str, float]:
    """Partial sums over the block: open hours, rogue joins and DoS (total and per class)."""
    P = p
    H = float(P.horizon_days)
    Hh = H * 24.0
    rf = range_factor(P)
    radio = min(1.0, (P.attackers.bluetooth_reach_prob.value if "bluetooth" in eff.phone_radio else 0.0)
                + (P.attackers.nfc_reach_prob.value if "nfc" in eff.phone_radio else 0.0))
    open_share = np.minimum(1.0, w.zig_h / Hh + radio * w.phone_h / Hh)
    standing = np.maximum(w.standing, radio * w.phone_h / Hh)
    years = H / 365.0
    cap = float(P.attackers.capability.value)
    attempts = float(P.attackers.attempts_per_year.value) * years
    dwell = min(1.0, float(P.attacker_classes.persistent_dwell_days.value) / H)
    cred_admitted = np.where(w.ppmid_admitted | (radio * w.phone_h > 0), max(P.attacker_classes.hht_credential_prob.value,
                                                                          P.attacker_classes.ppmid_credential_prob.value),
                             P.attacker_classes.hht_credential_prob.value)
    cred_admitted = np.maximum(cred_admitted, w.preauth_exposed * float(P.attackers.preauth_compromise_prob.value))
    # a back-doored consumer device is admitted where PPMIDs (or the meter's phone radio) may pair locally;
    # elsewhere only if it also carries an HHT's credentials
    sc_admitted = np.where(w.ppmid_admitted | (radio * w.phone_h > 0), 1.0, float(P.attacker_classes.hht_credential_prob.value))
    preauth_clone = w.preauth_exposed * float(P.attackers.preauth_compromise_prob.value)
    # each class's rule, with the pieces two classes share computed once (a persistent device's chance of
    # meeting an opening; a back-doored device's over the whole horizon, which its flood needs too)
    met_dwell = A.persistent_success(w.openings, dwell, 1.0, standing)
    supply = A.supply_chain_success(w.openings, standing, sc_admitted)
    opportunistic = A.opportunistic_success(attempts, cap, open_share)
    success = {
        "opportunistic": opportunistic,
        "persistent": met_dwell * cap,  # = persistent_success(openings, dwell, cap, standing)
        "physical": A.physical_success(cred_admitted),
        "schedule_aware": A.schedule_aware_success(float(P.attacker_classes.schedule_aware_attempts_per_year.value) * years,
                                                   cap, open_share, w.scheduled_openings),
        "insider": A.insider_success(float(P.attacker_classes.insider_attempts_per_year.value) * years, open_share,
                                     preauth_clone),
        "supply_chain": supply,
    }
    # -- DoS: a flood occupies the hub only while it accepts joins ---------------------------------------
    busy = A.dos_busy_share(float(P.han.flood_rate_per_hour.value), float(P.han.cbke_seconds.value))
    flood_h = float(P.han.flood_hours.value)
    recovery_h = float(P.han.device_log_recovery_days.value) * 24.0
    met_random = np.minimum(1.0, open_share + flood_h * w.openings / Hh)  # a flood at a random time meets a window
    overlap_random = A.flood_overlap_hours(flood_h, open_share)
    campaign = min(1.0, float(P.attackers.campaign_days.value) / H)
    lost_random = A.dos_lost_hours(overlap_random, met_random, busy, cap, recovery_h)
    lost = {
        "opportunistic": lost_random,
        "persistent": A.dos_lost_hours(open_share * (Hh * dwell), met_dwell, busy, cap, recovery_h),
        # opens windows at will (power cycle, button): floods as long as it likes; its credentials fill the log
        "physical": A.dos_lost_hours(flood_h, 1.0, busy, cred_admitted, recovery_h),
        "schedule_aware": np.where(w.scheduled_openings > 0,
                                   A.dos_lost_hours(w.zig_h * campaign, 1.0, busy, cap, recovery_h), lost_random),
        "insider": A.dos_lost_hours(overlap_random, met_random, busy, 1.0, recovery_h),
        "supply_chain": A.dos_lost_hours(open_share * Hh, supply, busy, 1.0, recovery_h),
    }
    prevalence = {
        "opportunistic": float(P.attackers.density.value) * rf,
        "persistent": float(P.attacker_classes.persistent_prevalence.value) * rf,
        "physical": float(P.attacker_classes.physical_prevalence.value),  # at the hub: range plays no part
        "schedule_aware": float(P.attacker_classes.schedule_aware_prevalence.value) * rf,
        "insider": float(P.attacker_classes.insider_prevalence.value) * rf,
        "supply_chain": float(P.attacker_classes.supply_chain_prevalence.value),
    }
    hht_h = float(P.windows.hht_window_minutes.value) / 60.0
    per_open_h = 1.0 / np.maximum(w.zig_h, hht_h)
    out: dict[str, float] = {}
    blocked_share = np.zeros(w.zig_h.shape)
    rogue_total = 0.0
    dos_total = 0.0
    for c in A.ATTACKER_CLASSES:
        lost_c = np.asarray(lost[c])
        rj = prevalence[c] * float(np.sum(success[c]))
        dh = prevalence[c] * float(np.sum(lost_c))
        out[f"rogue_joins_{c}"] = rj
        out[f"dos_hours_{c}"] = dh
        rogue_total += rj
        dos_total += dh
        blocked_share += prevalence[c] * np.minimum(1.0, lost_c * per_open_h)
    out["han_dos_hours"] = dos_total
    out["expected_rogue_joins"] = rogue_total
    out["dos_blocked_joins"] = float(np.dot(w.join_events, np.minimum(1.0, blocked_share)))
    out["join_window_open_hours"] = float(np.maximum(w.zig_h, w.phone_h).sum())
    return out


def max_reach(p: ModelParams, eff: OptionEffect, sums: dict[str, float]) -> float:
    """Largest number of premises one compromise can reach (docs/fleet-model.md, 'Reach')."""
    P = p
    radio = radio_reach(P)
    reach = [radio]  # the power-on HHT window exists under every option (an area power cut opens many at once)
    # a supplier's cloud or app reaches that supplier's premises across GB, not just this sample:
    # scale the share of premises with the route to the national fleet
    national = P.costs.national_premises.value * P.attackers.largest_supplier_share.value / sums["premises"]
    lp = eff.local_pairing
    campaign = float(P.attackers.campaign_reach_premises.value) * range_factor(P)
    if "standing" in lp:
        reach.append(campaign)
    if "alternating" in lp:
        reach.append(min(campaign, radio * P.windows.alternating_windows_per_day.value
                         * P.attackers.campaign_days.value))
    if eff.phone_radio:
        app = sums["phone_route_premises"] * national
        reach.append(max(app, P.attackers.bluetooth_reach_premises.value if "bluetooth" in eff.phone_radio else 1.0))
    if eff.relay:
        reach.append(sums["relay_premises"] * national)
    if eff.mesh:
        reach.append(1.0 + P.mesh.neighbours_in_range_mean.value)
    return float(max(reach))


def grid_mw(p: ModelParams, reach_premises: float) -> float:
    """Megawatts of load one compromise could switch at once: reach x after-diversity demand at the worst hour
    x the share of that load a compromise can switch (docs/risk.md, 'Grid impact')."""
    return reach_premises * float(p.grid.admd_kw.value) * float(p.grid.switchable_share.value) / 1000.0

