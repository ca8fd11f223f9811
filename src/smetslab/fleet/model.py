"""The vectorised fleet model: one block of premises, every option, with common random numbers.

Theory of operation (the equations are in docs/fleet-model.md):

1. ``draw_block`` draws everything random about a block of premises from its own generator, seeded by
   ``SeedSequence(seed, spawn_key=(replicate, block))`` - so a block's draws do not depend on how blocks are
   grouped into chunks or which process runs them. The draws never depend on the option: every option sees
   the same premises, incidents and customers (common random numbers), so differences are paired.
2. No-WAN *episodes* (no WAN at install; WAN lost later) are the only times a top-up route can be missing.
   For each option ``evaluate_option`` turns the shared draws into the episode's length (``policy.wan``), the
   stretch with no joined PPMID (a loss inside the episode, or an install whose PPMID cannot be paired), the
   local pairing time (``policy.windows``/``policy.routes``), and from those the no-route, UTRN-only and
   self-disconnection figures (as in the emulator: emergency credit and switching an armed supply back on need
   a person at the meter or a joined PPMID, ``policy.routes``). Each episode is followed to its end even past the horizon (renewal-reward
   accounting: totals per premises-year equal the long-run rates).
3. Exposure (join-window hours, rogue joins and DoS per attacker class, reach) is an expectation given each
   premises' draws, computed by ``fleet.exposure`` from the window hours and openings derived here; rare
   attacks add no noise and no draw.
4. The block returns partial *sums* (``BlockSums``); ``finalise`` turns the sums over all blocks of a
   replicate into the contract's metrics, adding the fleet-level costs and reach.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from smetslab.fleet.exposure import CLASS_SUM_KEYS, WindowExposure, exposure_sums, grid_mw, max_reach
from smetslab.fleet.metrics import METRICS, PER_PREMISES_YEAR
from smetslab.fleet.scenario import Scenario
from smetslab.policy import routes, wan, windows
from smetslab.policy.options import LOCAL_PAIRING_MECHANISMS, OPTIONS, OptionEffect, combine

__all__ = ["BLOCK_PREMISES", "ModelParams", "Draws", "draw_block", "evaluate_option", "evaluate_block",
           "finalise", "block_count", "block_rng", "SUM_KEYS"]

BLOCK_PREMISES = 8192
"""Premises per block: the fixed unit of randomness and of partial sums (chunks are unions of blocks)."""

SUM_KEYS = ("premises", "no_route_days", "self_disconnection_hours", "utrn_only_days", "wan_down_days",
            "engineer_visits", "retrofit_visits", "replacement_ppmids", "join_window_open_hours",
            "expected_rogue_joins", "dos_blocked_joins", "repeaters_fitted", "new_hardware_installs",
            "spare_ppmids", "phone_route_premises", "relay_premises", "local_pairings", *CLASS_SUM_KEYS)
"""Partial sums a block reports per option (stored in ``chunk_results``)."""


@dataclass(frozen=True)
class ModelParams:
    """The scenario flattened to plain numbers (picklable, cheap to send to workers)."""

    seed: int
    premises: int
    horizon_days: float
    options: tuple[str, ...]
    v: dict[str, Any] = field(default_factory=dict)  # "group.name" -> value

    @classmethod
    def from_scenario(cls, s: Scenario) -> ModelParams:
        return cls(seed=s.seed, premises=s.premises, horizon_days=s.horizon_days, options=tuple(s.options),
                   v={p: s.param(p).value for p in s.param_paths()})

    def __getitem__(self, path: str) -> Any:
        return self.v[path]

    @property
    def years(self) -> float:
        return self.horizon_days / 365.0


def block_count(premises: int) -> int:
    return -(-premises // BLOCK_PREMISES)


def block_rng(seed: int, replicate: int, block: int) -> np.random.Generator:
    """The block's own generator: ``SeedSequence(seed).spawn`` keyed by (replicate, block)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replicate, block))))


@dataclass
class Draws:
    """Everything random about one block (per premises, then per no-WAN episode)."""

    n: int
    region: np.ndarray
    installed: np.ndarray
    t_install: np.ndarray
    n_ppmid_lost: np.ndarray
    n_power_cycles: np.ndarray
    keypad: np.ndarray
    hub_reachable: np.ndarray
    smartphone: np.ndarray
    broadband: np.ndarray
    wifi_ppmid: np.ndarray
    firmware: np.ndarray
    existing_new: np.ndarray
    spare: np.ndarray
    neighbours: np.ndarray
    same_supplier: np.ndarray
    # episodes
    ep_premises: np.ndarray
    ep_install: np.ndarray
    ep_start: np.ndarray
    ep_dcc_days: np.ndarray
    ep_ppmid_loss_days: np.ndarray
    ep_credit: np.ndarray
    ep_spend: np.ndarray
    ep_dispatch: np.ndarray
    ep_fixable: np.ndarray
    ep_u_mbs: np.ndarray


def _prob_in_horizon(rate_per_year: float, years: float) -> float:
    return 1.0 - math.exp(-rate_per_year * years)


def draw_block(p: ModelParams, replicate: int, block: int) -> Draws:
    """Draw one block's premises and episodes. The order of draws is part of the model's reproducibility."""
    rng = block_rng(p.seed, replicate, block)
    start = block * BLOCK_PREMISES
    n = min(BLOCK_PREMISES, p.premises - start)
    if n <= 0:
        raise ValueError(f"block {block} is beyond the fleet of {p.premises} premises")
    H, yrs = p.horizon_days, p.years
    cum = np.array([p["region.north_share"], p["region.north_share"] + p["region.central_share"]])
    region = np.searchsorted(cum, rng.random(n), side="right").astype(np.int64)
    risk = np.array([p["region.north_no_wan_risk"], p["region.central_no_wan_risk"],
                     p["region.south_no_wan_risk"]])[region]
    installed = rng.random(n) < _prob_in_horizon(p["incidents.installs_per_year"], yrs)
    t_install = rng.random(n) * H
    nowan_install = installed & (rng.random(n) < np.minimum(1.0, p["incidents.no_wan_at_install_prob"] * risk))
    n_wan_lost = rng.poisson(p["incidents.wan_lost_per_year"] * yrs * risk)
    n_ppmid_lost = rng.poisson(p["incidents.ppmid_lost_per_year"] * yrs, n)
    n_power = rng.poisson(p["incidents.hub_power_cycles_per_year"] * yrs, n)
    u_access = rng.random(n)  # one draw: a reachable keypad implies a reachable hub (when hub prob >= keypad)
    keypad = u_access < p["customer.meter_keypad_reachable_prob"]
    hub_reachable = u_access < p["customer.hub_reachable_prob"]
    smartphone = rng.random(n) < p["customer.smartphone_prob"]
    broadband = rng.random(n) < p["customer.broadband_prob"]
    wifi = rng.random(n) < p["deployment.wifi_ppmid_share"]
    firmware = rng.random(n) < p["deployment.firmware_reach"]
    existing_new = rng.random(n) < p["deployment.existing_new_hardware_share"]
    spare = rng.random(n) < p["deployment.preauth_spare_share"]
    neighbours = rng.poisson(p["mesh.neighbours_in_range_mean"], n)
    same = rng.binomial(neighbours, p["mesh.same_supplier_share"])

    inst_idx = np.flatnonzero(nowan_install)
    lost_idx = np.repeat(np.arange(n), n_wan_lost)
    ep_premises = np.concatenate([inst_idx, lost_idx])
    m = ep_premises.size
    ep_install = np.zeros(m, dtype=bool)
    ep_install[: inst_idx.size] = True
    ep_start = np.concatenate([t_install[inst_idx], rng.random(lost_idx.size) * H])
    dcc = rng.standard_exponential(m) * p["remedy.dcc_mean_days"]
    ppmid_rate = p["incidents.ppmid_lost_per_year"]
    e = rng.standard_exponential(m)
    loss_days = e * (365.0 / ppmid_rate) if ppmid_rate > 0 else np.full(m, np.inf)
    credit = rng.standard_exponential(m) * p["customer.credit_at_incident_mean_pence"]
    sigma = p["customer.daily_spend_sigma"]
    spend = p["customer.daily_spend_mean_pence"] * np.exp(sigma * rng.standard_normal(m) - 0.5 * sigma * sigma)
    dispatch = rng.random(m) < p["remedy.engineer_dispatch_prob"]
    fixable = rng.random(m) < p["wan_options.repeater_fixable_share"]
    u_mbs = rng.random(m)
    return Draws(n, region, installed, t_install, n_ppmid_lost, n_power, keypad, hub_reachable, smartphone,
                 broadband, wifi, firmware, existing_new, spare, neighbours, same,
                 ep_premises, ep_install, ep_start, dcc, loss_days, credit, spend, dispatch, fixable, u_mbs)


def _alternating_wait_days(p: ModelParams, t_days: np.ndarray) -> np.ndarray:
    w = windows.wait_for_alternating_window_s(
        t_days * windows.DAY_S, int(p["windows.alternating_windows_per_day"]),
        float(p["windows.alternating_window_minutes"]) * 60.0)
    return np.asarray(w) / windows.DAY_S


def evaluate_option(p: ModelParams, d: Draws, eff: OptionEffect) -> dict[str, float]:
    """Partial sums (``SUM_KEYS``) of one option over one block."""
    H = p.horizon_days
    Hh = H * 24.0
    idx = d.ep_premises
    ep_inst = d.ep_install
    a = d.ep_start
    # -- episode length: the WAN route's absence (policy.wan) -----------------------------------------------
    cap = wan.remedy_cap_days(eff.prioritised_remedy, p["remedy.baseline_max_days"], p["remedy.secmp0032_max_days"])
    D = np.asarray(wan.restore_days(d.ep_dcc_days, cap), dtype=np.float64)
    retrofit = "hub_button" in eff.components and bool(p["deployment.hub_button_retrofit"])
    new_hw = ep_inst | d.existing_new[idx] | (d.installed[idx] & (d.t_install[idx] <= a))
    if eff.mini_base_stations:
        prevented = wan.mini_base_station_prevents(d.region[idx], d.ep_u_mbs,
                                                   p["wan_options.mini_base_station_prevented_share"])
        D = np.where(prevented, 0.0, D)
    if eff.mesh:
        D = np.asarray(wan.mesh_restore_days(D, d.same_supplier[idx], d.neighbours[idx] - d.same_supplier[idx],
                                             p["mesh.broker_days"], new_hw), dtype=np.float64)
    fitted = np.zeros(D.shape, dtype=bool)
    if eff.wan_repeaters:
        fit_days = p["wan_options.repeater_fit_days"]
        fitted = np.asarray(wan.repeater_fitted(D, d.ep_fixable, fit_days), dtype=bool)
        D = np.asarray(wan.repeater_restore_days(D, d.ep_fixable, fit_days), dtype=np.float64)
    # -- the stretch with no joined PPMID -----------------------------------------------------------------
    # install: the PPMID is there from the start but pairing it needs the WAN (CCS01) unless paired locally;
    # WAN lost: the paired PPMID is lost at the first loss after the episode starts (memoryless), then a
    # replacement arrives after the delivery delay.
    s = np.where(ep_inst, 0.0, d.ep_ppmid_loss_days)
    arrival = np.where(ep_inst, 0.0, s + p["remedy.ppmid_delivery_days"])
    engineer_pairs = p["remedy.local_pairing_actor"] == "engineer"
    action = np.where(ep_inst, 0.0, p["remedy.engineer_response_days"] if engineer_pairs
                      else p["remedy.consumer_action_days"])
    firmware_ok = ep_inst | d.firmware[idx] | new_hw
    hub_reach = ep_inst | d.hub_reachable[idx]  # at install the installer is at the hub
    pair_at = np.full(D.shape, np.inf)
    chosen = np.full(D.shape, -1, dtype=np.int64)
    for k, mech in enumerate(LOCAL_PAIRING_MECHANISMS):
        if mech not in eff.local_pairing:
            continue
        ok = np.asarray(routes.local_pairing_possible(
            mech, firmware_ok=firmware_ok, new_hub=new_hw | retrofit, hub_reachable=hub_reach,
            preregistered=d.spare[idx] & ~ep_inst), dtype=bool)
        t = arrival + action
        if mech == "alternating":
            # no PPMID loss in the episode (U = inf): nothing waits for a window (and at t = inf the wait
            # would be inf - inf, a NaN and a RuntimeWarning)
            finite = np.isfinite(t)
            t = t + np.where(finite, _alternating_wait_days(p, a + np.where(finite, t, 0.0)), 0.0)
        t = np.where(ok, t, np.inf)
        better = t < pair_at
        pair_at = np.where(better, t, pair_at)
        chosen = np.where(better, k, chosen)
    down_end = np.minimum(pair_at, D)
    down = np.maximum(0.0, down_end - s)  # days with no joined PPMID inside the episode
    local_paired = (pair_at < D) & (s < D)
    # -- routes and harm (policy.routes) ----------------------------------------------------------------
    phone = np.asarray(routes.phone_route_available(bool(eff.phone_radio), new_hw, d.smartphone[idx]), dtype=bool)
    relay = np.asarray(routes.relay_available(eff.relay, False, d.broadband[idx], d.wifi_ppmid[idx], True),
                       dtype=bool)
    keypad = d.keypad[idx]
    no_route = np.where(keypad | phone, 0.0, down)
    resp = p["remedy.engineer_response_days"]
    visit = d.ep_dispatch & (no_route > resp)
    no_route = np.where(visit, resp, no_route)
    # When a PPMID is joined again (days from the episode start): the engineer brings and pairs one at the
    # visit; else a local pairing, or the DCC once the WAN is back and the replacement is there to pair.
    ready = np.where(ep_inst, 0.0, arrival + p["remedy.consumer_action_days"])
    rejoined = np.where(visit, s + resp, np.minimum(pair_at, np.maximum(ready, D)))
    # In the stretch the WAN is down and no PPMID is joined: emergency credit can be activated, and an armed
    # supply switched on, only at a reachable meter (and there the stretch has a route: the keypad).
    ec = np.where(routes.emergency_credit_activatable(wan_up=False, ppmid_joined=False,
                                                      meter_keypad_reachable=keypad),
                  float(p["customer.emergency_credit_pence"]), 0.0)
    # days into the stretch; min(s, D): a loss after the WAN's return (or none, s = inf) has no stretch
    enable_days = np.where(routes.supply_enable_possible(ppmid_joined=False, meter_keypad_reachable=keypad),
                           0.0, rejoined - np.minimum(s, D))
    off_hours = np.asarray(routes.self_disconnection_hours(no_route, d.ep_credit, ec, d.ep_spend, enable_days))
    # UTRN only: the WAN down while a PPMID is joined (unless it relays), the stretch without one if the keypad
    # is reachable, and the rest of the stretch after an engineer's visit (the PPMID paired, the WAN still down)
    after_visit = np.where(visit, down - no_route, 0.0)
    utrn_only = np.where(phone, 0.0, np.where(relay, 0.0, D - down + after_visit) + np.where(keypad, down, 0.0))
    # -- per premises: replacements, exposure -----------------------------------------------------------
    n = d.n
    new_share = np.where(d.existing_new, 1.0, np.where(d.installed, (H - d.t_install) / H, 0.0))
    phone_premises = bool(eff.phone_radio) & d.smartphone & (d.existing_new | d.installed)
    replacements = d.n_ppmid_lost * np.where(bool(eff.phone_radio) & d.smartphone, 1.0 - new_share, 1.0)
    fw_premises = d.firmware | d.installed | d.existing_new
    hht_h = p["windows.hht_window_minutes"] / 60.0
    power_ons = (d.n_power_cycles + d.installed).astype(np.float64)
    power_on_h = power_ons * hht_h
    openings = power_ons
    scheduled = np.zeros(n)
    if eff.replaces_power_on_window:
        per_day = int(p["windows.alternating_windows_per_day"])
        alt_h = windows.alternating_open_hours(H * windows.DAY_S, per_day,
                                               p["windows.alternating_window_minutes"] * 60.0)
        zig_h = np.where(fw_premises, alt_h, power_on_h)
        scheduled = np.where(fw_premises, per_day * H, 0.0)
        openings = np.where(fw_premises, scheduled, power_ons)
    else:
        zig_h = power_on_h
    pair_counts = np.bincount(idx[local_paired], minlength=n).astype(np.float64)
    for mech, hours in (("button", p["windows.hub_button_window_minutes"] / 60.0), ("power_cycle", hht_h)):
        if mech in eff.local_pairing:
            k = LOCAL_PAIRING_MECHANISMS.index(mech)
            presses = np.bincount(idx[local_paired & (chosen == k)], minlength=n)
            zig_h = zig_h + hours * presses
            openings = openings + presses
    standing = np.zeros(n)
    if "standing" in eff.local_pairing:
        zig_h = np.where(fw_premises, Hh, zig_h)
        standing = fw_premises.astype(np.float64)
    zig_h = np.minimum(zig_h, Hh)
    phone_h = 24.0 * H * new_share if eff.phone_radio else np.zeros(n)
    preauth_exposed = ("preauth" in eff.local_pairing) & fw_premises & d.spare
    # a consumer PPMID may join locally where the option's window admits PPMIDs: the firmware options on the
    # hubs that run the firmware, the button on new (or retrofitted) hubs
    ppmid_admitted = fw_premises & bool(eff.local_pairing & {"standing", "power_cycle", "alternating"})
    if "button" in eff.local_pairing:
        ppmid_admitted = ppmid_admitted | d.installed | d.existing_new | retrofit
    exposure = exposure_sums(p, eff, WindowExposure(
        zig_h=zig_h, phone_h=phone_h, openings=openings, scheduled_openings=scheduled, standing=standing,
        ppmid_admitted=ppmid_admitted, preauth_exposed=preauth_exposed.astype(np.float64),
        join_events=d.installed + pair_counts))  # installer HHT joins + local PPMID pairings
    # -- counts for costs and reach ---------------------------------------------------------------------
    visits = float(visit.sum()) + float(fitted.sum()) + (float(local_paired.sum()) if engineer_pairs else 0.0)
    retrofit_visits = float(np.count_nonzero(~d.existing_new)) if retrofit else 0.0
    return {
        "premises": float(n),
        "no_route_days": float(no_route.sum()),
        "self_disconnection_hours": float(off_hours.sum()),
        "utrn_only_days": float(utrn_only.sum()),
        "wan_down_days": float(D.sum()),
        "engineer_visits": visits,
        "retrofit_visits": retrofit_visits,
        "replacement_ppmids": float(replacements.sum()),
        "repeaters_fitted": float(fitted.sum()),
        "new_hardware_installs": float(np.count_nonzero(d.installed)),
        "spare_ppmids": float(np.count_nonzero(preauth_exposed)),
        "phone_route_premises": float(np.count_nonzero(phone_premises)),
        "relay_premises": float(np.count_nonzero(d.broadband & d.wifi_ppmid)) if eff.relay else 0.0,
        "local_pairings": float(local_paired.sum()),
        **exposure,
    }


def evaluate_block(p: ModelParams, replicate: int, block: int,
                   effects: dict[str, OptionEffect] | None = None) -> dict[str, dict[str, float]]:
    """Partial sums of every option of ``p`` over one block: option -> SUM_KEYS -> value."""
    d = draw_block(p, replicate, block)
    effects = effects or {o: combine(o) for o in p.options}
    return {o: evaluate_option(p, d, effects[o]) for o in p.options}


def _scaled(p: ModelParams, national_pence: int) -> float:
    return float(national_pence * p.premises / p["costs.national_premises"])


def finalise(p: ModelParams, option: str, sums: dict[str, float]) -> dict[str, float]:
    """The contract's metrics for one option and replicate, from its partial sums over every block."""
    eff = combine(option)
    premises_years = sums["premises"] * p.years
    out = {k: sums[k] / premises_years for k in PER_PREMISES_YEAR}
    out["engineer_visits"] = (sums["engineer_visits"] + sums["retrofit_visits"]) / premises_years
    comps = eff.components
    one_off = 0.0
    firmware_opts = {"secmp0037", "power_cycle_window", "alternating_windows", "firmware_preauth", "secmp0038"}
    one_off += sum(_scaled(p, p["costs.firmware_national"]) for c in comps if c in firmware_opts)
    if p["cpa.enforced"]:
        one_off += sum(_scaled(p, p["cpa.evaluation_national"]) for c in comps if OPTIONS[c].cpa_needed)
    if "secmp0032" in comps:
        one_off += _scaled(p, p["costs.secmp0032_national"])
    if "mini_base_stations" in comps:
        one_off += _scaled(p, p["costs.mini_base_stations_national"])
    if "hub_button" in comps:
        one_off += sums["new_hardware_installs"] * p["costs.hub_button_premium_pence"]
        one_off += sums["retrofit_visits"] * (p["costs.new_hub_pence"] + p["costs.engineer_visit_pence"])
    if "mesh_hub" in comps:
        one_off += sums["new_hardware_installs"] * p["costs.mesh_hub_premium_pence"]
    if "meter_bluetooth" in comps:
        one_off += sums["new_hardware_installs"] * p["costs.meter_bluetooth_premium_pence"] \
            + _scaled(p, p["costs.phone_app_national"])
    if "meter_nfc" in comps:
        one_off += sums["new_hardware_installs"] * p["costs.meter_nfc_premium_pence"] \
            + _scaled(p, p["costs.phone_app_national"])
    if "secmp0038" in comps:
        one_off += _scaled(p, p["costs.relay_platform_national"])
    one_off += sums["repeaters_fitted"] * p["costs.wan_repeater_pence"]
    one_off += sums["spare_ppmids"] * p["costs.ppmid_pence"]
    running = sums["engineer_visits"] * p["costs.engineer_visit_pence"] + \
        sums["replacement_ppmids"] * p["costs.ppmid_pence"]
    if "mini_base_stations" in comps:
        running += _scaled(p, p["costs.mini_base_stations_running_per_year_national"]) * p.years
    if "secmp0038" in comps:
        running += _scaled(p, p["costs.relay_running_per_year_national"]) * p.years
    out["cost_one_off_pence"] = float(round(one_off))  # integer pence, stored as DOUBLE (contract)
    out["cost_running_pence"] = float(round(running))
    out["max_premises_per_compromise"] = float(max_reach(p, eff, sums))
    out["grid_mw_per_compromise"] = grid_mw(p, out["max_premises_per_compromise"])
    out["relay_premises_share"] = sums["relay_premises"] / sums["premises"]
    out["phone_app_premises_share"] = sums["phone_route_premises"] / sums["premises"]
    out["cpa_needed"] = 1.0 if (eff.cpa_needed and p["cpa.enforced"]) else 0.0
    assert set(out) == set(METRICS)
    return out
