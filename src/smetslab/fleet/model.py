"""The vectorised fleet model: one block of premises, every option, with common random numbers.

Theory of operation (the equations are in docs/fleet-model.md):

1. ``draw_block`` draws everything random about a block of premises, each quantity from its own generator,
   ``SeedSequence(seed, spawn_key=(replicate, block, stream))`` - so a block's draws do not depend on how blocks
   are grouped into chunks or which process runs them, and changing one parameter changes only the draws of the
   quantities it governs (common random numbers across parameters: a sweep moves only what it causes). The
   draws never depend on the option: every option sees the same premises, incidents and customers, so
   differences are paired.
2. No-WAN *episodes* (no WAN at install, at a replacement or when a premises joins a growing fleet; WAN lost
   later) are the only times a top-up route can be missing. With ``weighted`` (the default) the rare events are
   integrated out: each install is an episode weighted by its no-WAN probability, each WAN loss two (PPMID lost
   in it or not), so every sum is ``sum(weight * value)``. For each option ``evaluate_option`` turns the shared
   draws into the episode's length (``policy.wan``: made good within the cap, or never - F7.18), the stretch
   with no joined PPMID, the local pairing time (``policy.windows``/``policy.routes``, after the option's CPA
   lead time and firmware roll-out), and from those the no-route, UTRN-only, self-disconnection (electricity;
   gas re-enabled only at the meter) and arrears figures (as in the emulator: emergency credit and switching an
   armed supply back on need a person at the meter or a joined PPMID, ``policy.routes``). Each episode is
   followed to its end even past the horizon (renewal-reward accounting), except a case never remedied, which
   lasts to the horizon's end. Per-year sums count an episode in the year it starts.
3. Exposure (join-window hours, rogue joins and DoS per attacker class, reach) is an expectation given each
   premises' draws, computed by ``fleet.exposure`` from the window hours and openings derived here; rare
   attacks add no noise and no draw.
4. The block returns partial *sums* (``BlockSums``); ``finalise`` turns the sums over all blocks of a
   replicate into the contract's metrics, adding the fleet-level costs and reach.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from smetslab.fleet.exposure import CLASS_SUM_KEYS, WindowExposure, exposure_sums, grid_mw, max_reach
from smetslab.fleet.metrics import METRICS, PER_PREMISES_YEAR, SHARE_OF_PREMISES
from smetslab.fleet.scenario import ModelParams
from smetslab.policy import routes, wan, windows
from smetslab.policy.options import LOCAL_PAIRING_MECHANISMS, OPTIONS, OptionEffect, combine

__all__ = ["BLOCK_PREMISES", "ModelParams", "Draws", "draw_block", "evaluate_option", "evaluate_block",
           "finalise", "block_count", "block_rng", "SUM_KEYS", "YEARLY_SUM_KEYS", "years_in", "yearly_key",
           "option_ready_days", "PREMISES_STREAMS", "EPISODE_STREAMS"]

BLOCK_PREMISES = 8192
"""Premises per block: the fixed unit of randomness and of partial sums (chunks are unions of blocks)."""

SUM_KEYS = ("premises", "exposure_years", "no_route_days", "self_disconnection_hours", "utrn_only_days",
            "wan_down_days", "engineer_visits", "retrofit_visits", "replacement_ppmids", "join_window_open_hours",
            "expected_rogue_joins", "dos_blocked_joins", "repeaters_fitted", "new_hardware_installs",
            "spare_ppmids", "phone_route_premises", "relay_premises", "local_pairings",
            # where the harm comes from, and how it falls on customers (counts of premises, for distributions)
            "no_route_days_install", "no_route_days_wan_lost", "no_route_days_unremedied",
            "premises_no_route_any", "premises_no_route_over_1d", "premises_no_route_over_7d",
            "premises_no_route_over_30d", "premises_no_route_over_90d", "premises_unremedied",
            "self_disconnection_events", "gas_self_disconnection_hours", "gas_self_disconnection_events",
            "debt_self_disconnection_pence", "debt_credit_mode_pence", "credit_mode_days",
            "premises_in_debt", "premises_debt_over_threshold", *CLASS_SUM_KEYS)
"""Partial sums a block reports per option (stored in ``chunk_results``), besides the per-year ones
(``YEARLY_SUM_KEYS`` as ``key@yN``, N = 1 .. ``years_in``)."""

YEARLY_SUM_KEYS = ("exposure_years", "no_route_days", "self_disconnection_hours", "gas_self_disconnection_hours",
                   "utrn_only_days", "wan_down_days", "debt_pence")
"""Sums kept per year of the horizon: the no-route, WAN-down and off-supply stretches by their overlap with each
year (what runs past the horizon's end in the last year), UTRN-only days and arrears in the year the episode
starts; ``exposure_years`` is the premises-years lived in that year."""

NO_ROUTE_THRESHOLDS_DAYS = (1, 7, 30, 90)
"""``premises_no_route_over_{N}d``: no-WAN cases whose no-route spell exceeds N days (expected counts)."""


INSTALL_SAMPLING = 1.0
"""Weighted episodes: installs become episodes at this rate at least (each weighted by p_nowan / rate; 1.0: all)."""


def years_in(horizon_days: float) -> int:
    """Calendar years of the horizon the per-year sums are kept for (a part year counts as one)."""
    return max(1, math.ceil(horizon_days / 365.0 - 1e-9))


def yearly_key(key: str, year: int) -> str:
    """The per-year sum or metric name: ``no_route_days@y3`` is year 3 (1-based)."""
    return f"{key}@y{year}"


def block_count(premises: int) -> int:
    return -(-premises // BLOCK_PREMISES)


def block_rng(seed: int, replicate: int, block: int, stream: int | None = None) -> np.random.Generator:
    """A generator keyed by (replicate, block[, stream]): ``SeedSequence(seed, spawn_key=...)``."""
    key = (replicate, block) if stream is None else (replicate, block, stream)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


PREMISES_STREAMS = ("region", "join", "join_no_wan", "install", "install_time", "install_no_wan", "wan_lost",
                    "ppmid_lost", "power_cycles", "access", "smartphone", "broadband", "wifi_ppmid", "firmware",
                    "firmware_rollout", "existing_new", "spare", "gas", "neighbours", "same_supplier",
                    "usable_same", "usable_other")
"""One random stream per premises-level quantity (common random numbers: changing one parameter changes only
the draws of the quantities it governs). Append new names at the end: a stream's id is its position."""

EPISODE_STREAMS = ("start", "dcc", "ppmid_loss", "credit", "spend", "dispatch", "fixable", "mbs", "never")
"""One stream per episode quantity and episode kind (``EPISODE_KINDS``)."""

EPISODE_KINDS = ("install", "wan_lost", "join")
"""No WAN at a replacement install; WAN lost later; no WAN at the install of a premises joining the fleet."""


def _stream(p: ModelParams, replicate: int, block: int, name: str, kind: str | None = None) -> np.random.Generator:
    if kind is None:
        return block_rng(p.seed, replicate, block, PREMISES_STREAMS.index(name))
    sid = 1000 + 10 * EPISODE_STREAMS.index(name) + EPISODE_KINDS.index(kind)
    return block_rng(p.seed, replicate, block, sid)


@dataclass
class Draws:
    """Everything random about one block (per premises, then per no-WAN episode).

    The fields after ``ep_u_mbs`` have defaults that mean "nothing more happens" (a premises in the fleet
    from the start, no gas meter, every neighbour usable, no never-remedied case), so a hand-built ``Draws``
    (fleet/parity.py) need not name them.
    """

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
    # issue 8: growth, feasibility, gas, mesh neighbours, F7.18, roll-out (defaults: nothing happens)
    t_join: np.ndarray | None = None  # days; 0: in the fleet from the start
    can_power_cycle: np.ndarray | None = None  # None: whoever can reach the hub
    gas: np.ndarray | None = None  # a gas prepayment meter too
    usable_same: np.ndarray | None = None  # same-supplier neighbours with the WAN and mesh (None: all)
    usable_other: np.ndarray | None = None
    fw_rollout_u: np.ndarray | None = None  # position in the firmware roll-out, uniform(0, 1) (None: 0)
    ep_never_u: np.ndarray | None = None  # uniform(0, 1): never remedied if below the share (None: never)
    ep_weight: np.ndarray | None = None  # how many cases the episode stands for (None: 1 each)
    never_split: bool = False  # ep_never_u is a branch (0: never remedied, 1: made good), weighted per option

    def join_days(self) -> np.ndarray:
        return np.zeros(self.n) if self.t_join is None else self.t_join


def _prob_in_horizon(rate_per_year: float, years: float | np.ndarray) -> Any:
    return 1.0 - np.exp(-rate_per_year * np.asarray(years))


def _join_days(p: ModelParams, u: np.ndarray) -> np.ndarray:
    """When each premises joins the fleet: ``premises`` is the fleet at the end of the horizon, growing by ``g`` a
    year, so the share present by day t is ``(1+g)^((t-H)/365)``; inverting with a uniform gives the day (0: in
    the fleet from the start)."""
    g = float(p.growth.prepay_fleet_per_year.value)
    if g <= 0.0:
        return np.zeros(u.size)
    with np.errstate(divide="ignore"):
        t = p.horizon_days + 365.0 * np.log(u) / math.log1p(g)
    out: np.ndarray = np.maximum(0.0, t)
    return out


def draw_block(p: ModelParams, replicate: int, block: int) -> Draws:
    """Draw one block's premises and episodes, each quantity from its own stream (``PREMISES_STREAMS``,
    ``EPISODE_STREAMS``): the draws of one quantity never depend on another quantity's parameters."""
    start = block * BLOCK_PREMISES
    n = min(BLOCK_PREMISES, p.premises - start)
    if n <= 0:
        raise ValueError(f"block {block} is beyond the fleet of {p.premises} premises")

    def rs(name: str) -> np.random.Generator:
        return _stream(p, replicate, block, name)

    H = p.horizon_days
    cum = np.array([p.region.north_share.value, p.region.north_share.value + p.region.central_share.value])
    region = np.searchsorted(cum, rs("region").random(n), side="right").astype(np.int64)
    risk = np.array([p.region.north_no_wan_risk.value, p.region.central_no_wan_risk.value,
                     p.region.south_no_wan_risk.value])[region]
    p_nowan = p.incidents.no_wan_at_install_prob.value * risk
    t_join = _join_days(p, rs("join").random(n))
    joined = t_join > 0.0
    life = H - t_join  # days in the fleet within the horizon
    life_y = life / 365.0
    p_nowan = np.minimum(1.0, p_nowan)
    u_join_nowan = rs("join_no_wan").random(n)
    join_nowan = joined & (u_join_nowan < p_nowan)
    # a replacement install (at most one in the horizon: new hardware from then on), uniform in the premises' life
    replaced = rs("install").random(n) < _prob_in_horizon(p.incidents.installs_per_year.value, life_y)
    t_repl = t_join + rs("install_time").random(n) * life
    u_repl_nowan = rs("install_no_wan").random(n)
    repl_nowan = replaced & (u_repl_nowan < p_nowan)
    installed = joined | replaced
    t_install = np.where(joined, t_join, np.where(replaced, t_repl, 0.0))
    n_wan_lost = rs("wan_lost").poisson(p.incidents.wan_lost_per_year.value * life_y * risk)
    n_ppmid_lost = rs("ppmid_lost").poisson(p.incidents.ppmid_lost_per_year.value * life_y)
    n_power = rs("power_cycles").poisson(p.incidents.hub_power_cycles_per_year.value * life_y)
    # one uniform for access: can power-cycle the hub < keypad < hub reachable when the probabilities are ordered
    u_access = rs("access").random(n)
    keypad = u_access < p.customer.meter_keypad_reachable_prob.value
    hub_reachable = u_access < p.customer.hub_reachable_prob.value
    can_cycle = u_access < p.customer.can_power_cycle_hub_prob.value
    smartphone = rs("smartphone").random(n) < p.customer.smartphone_prob.value
    broadband = rs("broadband").random(n) < p.customer.broadband_prob.value
    wifi = rs("wifi_ppmid").random(n) < p.deployment.wifi_ppmid_share.value
    firmware = rs("firmware").random(n) < p.deployment.firmware_reach.value
    fw_u = rs("firmware_rollout").random(n)
    existing_new = (rs("existing_new").random(n) < p.deployment.existing_new_hardware_share.value) & ~joined
    spare = rs("spare").random(n) < p.deployment.preauth_spare_share.value
    gas = rs("gas").random(n) < p.customer.gas_prepay_prob.value
    neighbours = rs("neighbours").poisson(p.mesh.neighbours_in_range_mean.value, n)
    same = rs("same_supplier").binomial(neighbours, p.mesh.same_supplier_share.value)
    q_usable = p.mesh.neighbour_wan_prob.value * p.mesh.neighbour_mesh_capable_prob.value
    usable_same = rs("usable_same").binomial(same, q_usable)
    usable_other = rs("usable_other").binomial(neighbours - same, q_usable)

    # episodes, kind by kind (each kind's quantities from their own streams). Weighted (p.weighted), the rare
    # events are integrated out instead of drawn (docs/fleet-model.md, "Weighted episodes"): every install is
    # an episode standing for p_nowan of a no-WAN case; every case is two, never remedied or made good (each
    # option weights them by its own never-remedied share); and every WAN loss of those is two again - the PPMID
    # lost before the WAN can return (weight P, the loss time drawn given that) and not (weight 1 - P).
    lost_idx = np.repeat(np.arange(n), n_wan_lost)
    if p.weighted:
        # installs sampled at a rate of at least INSTALL_SAMPLING (weight p_nowan / rate); at 1.0 every install
        # is an episode, which measured the least spread per second of compute (0.25 and 0.5 cost less a block
        # but need more replicates for the same precision)
        rate = np.maximum(p_nowan, INSTALL_SAMPLING)
        kinds = (("install", np.flatnonzero(replaced & (u_repl_nowan < rate))), ("wan_lost", lost_idx),
                 ("join", np.flatnonzero(joined & (u_join_nowan < rate))))
    else:
        kinds = (("install", np.flatnonzero(repl_nowan)), ("wan_lost", lost_idx), ("join", np.flatnonzero(join_nowan)))
    ppmid_rate = p.incidents.ppmid_lost_per_year.value
    mu = ppmid_rate / 365.0
    mean_credit = p.customer.credit_at_incident_mean_pence.value
    sigma = p.customer.daily_spend_sigma.value
    cap_max = max(p.remedy.baseline_max_days.value, p.remedy.secmp0032_max_days.value)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("idx", "inst", "start", "dcc", "loss", "credit", "spend",
                                                          "dispatch", "fixable", "mbs", "never", "weight")}
    for kind, idx in kinds:
        m = idx.size

        def re(name: str, kind: str = kind) -> np.random.Generator:
            return _stream(p, replicate, block, name, kind)

        if kind == "install":
            start_d = t_repl[idx]
        elif kind == "join":
            start_d = t_join[idx]
        else:
            start_d = t_join[idx] + re("start").random(m) * life[idx]
        dcc = re("dcc").standard_exponential(m) * p.remedy.dcc_mean_days.value
        loss_draw = re("ppmid_loss").standard_exponential(m) if not (p.weighted and kind == "wan_lost") \
            else re("ppmid_loss").random(m)
        q = {"idx": idx, "inst": np.full(m, kind != "wan_lost"), "start": start_d, "dcc": dcc,
             "credit": re("credit").standard_exponential(m) * mean_credit,
             "spend": p.customer.daily_spend_mean_pence.value
             * np.exp(sigma * re("spend").standard_normal(m) - 0.5 * sigma * sigma),
             "dispatch": re("dispatch").random(m) < p.remedy.engineer_dispatch_prob.value,
             "fixable": re("fixable").random(m) < p.wan_options.repeater_fixable_share.value,
             "mbs": re("mbs").random(m), "never": re("never").random(m)}
        if not p.weighted:
            q["loss"] = np.full(m, np.inf) if kind != "wan_lost" else \
                (loss_draw / mu if mu > 0 else np.full(m, np.inf))
            q["weight"] = np.ones(m)
        else:
            q["weight"] = p_nowan[idx] / np.maximum(p_nowan[idx], INSTALL_SAMPLING) if kind != "wan_lost" \
                else np.ones(m)
            q = {k: np.concatenate([v, v]) for k, v in q.items()}  # never remedied (0), made good (1)
            q["never"] = np.repeat([0.0, 1.0], m)
            if kind != "wan_lost":  # an install's PPMID is there (unpaired): no loss time
                q["loss"] = np.full(2 * m, np.inf)
            else:
                # the longest the WAN can be down under any option (options only shorten a case)
                d0 = np.minimum(q["dcc"], cap_max)
                d0 = np.where(q["never"] == 0.0, np.maximum(d0, H - q["start"]), d0)
                p_loss = -np.expm1(-mu * d0)  # P(U < d0), U ~ Exp(mu)
                v = np.concatenate([loss_draw, loss_draw])
                with np.errstate(divide="ignore", invalid="ignore"):
                    u_loss = np.where(p_loss > 0, -np.log1p(-v * p_loss) / mu if mu > 0 else np.inf, np.inf)
                q = {k: np.concatenate([x, x]) for k, x in q.items()}
                q["loss"] = np.concatenate([u_loss, np.full(2 * m, np.inf)])
                q["weight"] = q["weight"] * np.concatenate([p_loss, 1.0 - p_loss])
        for k, v in q.items():
            parts[k].append(v)
    c = {k: np.concatenate(v) for k, v in parts.items()}
    return Draws(n, region, installed, t_install, n_ppmid_lost, n_power, keypad, hub_reachable, smartphone,
                 broadband, wifi, firmware, existing_new, spare, neighbours, same,
                 c["idx"].astype(np.int64), c["inst"].astype(bool), c["start"], c["dcc"], c["loss"], c["credit"],
                 c["spend"], c["dispatch"].astype(bool), c["fixable"].astype(bool), c["mbs"],
                 t_join=t_join, can_power_cycle=can_cycle, gas=gas, usable_same=usable_same,
                 usable_other=usable_other, fw_rollout_u=fw_u, ep_never_u=c["never"], ep_weight=c["weight"],
                 never_split=p.weighted)


def option_ready_days(p: ModelParams, eff: OptionEffect) -> float:
    """Days from the start of the horizon before the option can be deployed: the CPA lead time when the option
    needs CPA and CPA is enforced, else 0 (firmware then rolls out over ``deployment.firmware_rollout_days``)."""
    return float(p.cpa.lead_time_days.value) if (eff.cpa_needed and p.cpa.enforced.value) else 0.0


def _alternating_wait_days(p: ModelParams, t_days: np.ndarray) -> np.ndarray:
    w = windows.wait_for_alternating_window_s(
        t_days * windows.DAY_S, int(p.windows.alternating_windows_per_day.value),
        float(p.windows.alternating_window_minutes.value) * 60.0)
    return np.asarray(w) / windows.DAY_S


def evaluate_option(p: ModelParams, d: Draws, eff: OptionEffect) -> dict[str, float]:
    """Partial sums (``SUM_KEYS`` and the per-year ``YEARLY_SUM_KEYS``) of one option over one block."""
    H = p.horizon_days
    Hh = H * 24.0
    idx = d.ep_premises
    ep_inst = d.ep_install
    a = d.ep_start
    m_ep = idx.size
    w = np.ones(m_ep) if d.ep_weight is None else d.ep_weight  # cases each episode stands for
    t_ready = option_ready_days(p, eff)
    # -- episode length: the WAN route's absence (policy.wan) -----------------------------------------------
    cap = wan.remedy_cap_days(eff.prioritised_remedy, p.remedy.baseline_max_days.value, p.remedy.secmp0032_max_days.value)
    never_share = p.remedy.secmp0032_never_remedied_share.value if eff.prioritised_remedy \
        else p.remedy.never_remedied_share.value
    never_u = np.ones(m_ep) if d.ep_never_u is None else d.ep_never_u
    if d.never_split:  # both branches were drawn: weight them by this option's share
        never = never_u < 0.5
        w = w * np.where(never, never_share, 1.0 - never_share)
    else:
        never = np.asarray(wan.never_remedied(never_u, never_share), dtype=bool)
    # F7.18: made good within the cap, or (a share) never: inf until a WAN option ends it or the horizon does
    D = np.where(never, np.inf,
                 np.asarray(wan.restore_days(d.ep_dcc_days, cap), dtype=np.float64))
    retrofit = "hub_button" in eff.components and bool(p.deployment.hub_button_retrofit.value)
    # new hardware carrying the option: an install at or after the option is ready (the episode's own, or an
    # earlier one), or hardware new at the start
    hw_install = d.installed & (d.t_install >= t_ready)
    new_hw = (ep_inst & (a >= t_ready)) | d.existing_new[idx] | (hw_install[idx] & (d.t_install[idx] <= a))
    if eff.mini_base_stations:
        prevented = wan.mini_base_station_prevents(d.region[idx], d.ep_u_mbs,
                                                   p.wan_options.mini_base_station_prevented_share.value)
        D = np.where(prevented, 0.0, D)
    if eff.mesh:
        D = np.asarray(wan.mesh_restore_days(
            D, d.same_supplier[idx], d.neighbours[idx] - d.same_supplier[idx], p.mesh.broker_days.value, new_hw,
            rule=str(p.mesh.neighbour_rule.value),
            usable_same=None if d.usable_same is None else d.usable_same[idx],
            usable_other=None if d.usable_other is None else d.usable_other[idx]), dtype=np.float64)
    fitted = np.zeros(D.shape, dtype=bool)
    if eff.wan_repeaters:
        fit_days = p.wan_options.repeater_fit_days.value
        fitted = np.asarray(wan.repeater_fitted(D, d.ep_fixable, fit_days), dtype=bool)
        D = np.asarray(wan.repeater_restore_days(D, d.ep_fixable, fit_days), dtype=np.float64)
    unremedied = ~np.isfinite(D)
    D = np.where(unremedied, H - a, D)  # not remedied: the WAN is still down at the end of the horizon
    # -- the stretch with no joined PPMID -----------------------------------------------------------------
    # install: the PPMID is there from the start but pairing it needs the WAN (CCS01) unless paired locally;
    # WAN lost: the paired PPMID is lost at the first loss after the episode starts (memoryless), then a
    # replacement arrives after the delivery delay.
    s = np.where(ep_inst, 0.0, d.ep_ppmid_loss_days)
    arrival = np.where(ep_inst, 0.0, s + p.remedy.ppmid_delivery_days.value)
    engineer_pairs = p.remedy.local_pairing_actor.value == "engineer"
    action = np.where(ep_inst, 0.0, p.remedy.engineer_response_days.value if engineer_pairs
                      else p.remedy.consumer_action_days.value)
    firmware_ok = ep_inst | d.firmware[idx] | new_hw
    # a firmware mechanism works once the hub has the firmware: new hardware after the option is ready has it;
    # other hubs get it during the roll-out that starts then (days from the episode's start; <= 0: already)
    fw_u = np.zeros(d.n) if d.fw_rollout_u is None else d.fw_rollout_u
    fw_at = t_ready + fw_u * p.deployment.firmware_rollout_days.value
    fw_wait = np.where(new_hw, 0.0, np.maximum(0.0, fw_at[idx] - a))
    hw_wait = np.where(new_hw, 0.0, max(0.0, t_ready) - a) if retrofit else np.zeros(m_ep)  # retrofits from t_ready
    hub_reach = ep_inst | d.hub_reachable[idx]  # at install the installer is at the hub
    cycle = ep_inst | (d.hub_reachable if d.can_power_cycle is None else d.can_power_cycle)[idx]
    pair_at = np.full(D.shape, np.inf)
    chosen = np.full(D.shape, -1, dtype=np.int64)
    for k, mech in enumerate(LOCAL_PAIRING_MECHANISMS):
        if mech not in eff.local_pairing:
            continue
        ok = np.asarray(routes.local_pairing_possible(
            mech, firmware_ok=firmware_ok, new_hub=new_hw | retrofit, hub_reachable=hub_reach,
            preregistered=d.spare[idx] & ~ep_inst, can_power_cycle=cycle), dtype=bool)
        t = np.maximum(arrival + action, np.maximum(hw_wait, 0.0) if mech == "button" else fw_wait)
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
                       dtype=bool) & (fw_at[idx] <= a)  # the relay needs the PPMID firmware, after any CPA
    keypad = d.keypad[idx]
    no_route = np.where(keypad | phone, 0.0, down)
    resp = p.remedy.engineer_response_days.value
    visit = d.ep_dispatch & (no_route > resp)
    no_route = np.where(visit, resp, no_route)
    # The visit ends the stretch: the engineer pairs a PPMID (if engineers can pair with the WAN down), or
    # switches the meter to credit mode until the WAN returns (no top-ups needed; consumption is billed: arrears).
    # Either way the engineer is at the meter and switches an armed supply back on.
    pairs_at_visit = bool(p.remedy.engineer_pairs_without_wan.value)
    credit_mode = visit & (not pairs_at_visit)
    # When a PPMID is joined again (days from the episode start): the engineer brings and pairs one at the
    # visit; else a local pairing, or the DCC once the WAN is back and the replacement is there to pair.
    ready = np.where(ep_inst, 0.0, arrival + p.remedy.consumer_action_days.value)
    rejoined = np.where(visit, s + resp, np.minimum(pair_at, np.maximum(ready, D)))
    # In the stretch the WAN is down and no PPMID is joined: emergency credit can be activated, and an armed
    # supply switched on, only at a reachable meter (and there the stretch has a route: the keypad).
    ec = np.where(routes.emergency_credit_activatable(wan_up=False, ppmid_joined=False,
                                                      meter_keypad_reachable=keypad),
                  float(p.customer.emergency_credit_pence.value), 0.0)
    # days into the stretch; min(s, D): a loss after the WAN's return (or none, s = inf) has no stretch
    enable_days = np.where(routes.supply_enable_possible(ppmid_joined=False, meter_keypad_reachable=keypad),
                           0.0, rejoined - np.minimum(s, D))
    off_hours = np.asarray(routes.self_disconnection_hours(no_route, d.ep_credit, ec, d.ep_spend, enable_days))
    # gas: re-enabled only at the meter (DOMAIN.md §4.1) - by the visiting engineer, or by someone who can reach
    # it some days after a route is back; each fuel's credit is assumed to last as long as the other's
    gas = np.zeros(d.n, dtype=bool) if d.gas is None else d.gas
    gas_enable = np.where(keypad, 0.0, np.where(visit, resp, no_route + p.remedy.gas_enable_days.value))
    gas_off = np.where(gas[idx], np.asarray(routes.self_disconnection_hours(no_route, d.ep_credit, ec, d.ep_spend,
                                                                             gas_enable)), 0.0)
    # UTRN only: the WAN down while a PPMID is joined (unless it relays), the stretch without one if the keypad
    # is reachable, and the rest of the stretch after an engineer pairs one (the WAN still down)
    after_visit = np.where(visit & pairs_at_visit, down - no_route, 0.0)
    utrn_only = np.where(phone, 0.0, np.where(relay, 0.0, D - down + after_visit) + np.where(keypad, down, 0.0))
    # -- arrears: standing charges while off supply; consumption billed while in credit mode -----------------
    credit_days = np.where(credit_mode, np.maximum(0.0, D - (s + resp)), 0.0)
    # credit mode from the visit to the WAN's return: UTRN-only only before the loss (s), as nothing relays
    utrn_only = np.where(credit_mode, np.where(relay, 0.0, s), utrn_only)
    debt_off = off_hours / 24.0 * p.debt.electricity_standing_charge_pence_per_day.value + \
        gas_off / 24.0 * p.debt.gas_standing_charge_pence_per_day.value
    debt_credit = credit_days * d.ep_spend
    debt = debt_off + debt_credit
    # -- per premises: replacements, exposure -----------------------------------------------------------
    n = d.n
    # the option's hardware: new at the start, or installed once the option is ready (hw_install)
    new_share = np.where(d.existing_new, 1.0, np.where(hw_install, (H - d.t_install) / H, 0.0))
    phone_premises = bool(eff.phone_radio) & d.smartphone & (d.existing_new | hw_install)
    replacements = d.n_ppmid_lost * np.where(bool(eff.phone_radio) & d.smartphone, 1.0 - new_share, 1.0)
    fw_premises = d.firmware | d.installed | d.existing_new
    hht_h = p.windows.hht_window_minutes.value / 60.0
    power_ons = (d.n_power_cycles + d.installed).astype(np.float64)
    power_on_h = power_ons * hht_h
    openings = power_ons
    scheduled = np.zeros(n)
    if eff.replaces_power_on_window:
        per_day = int(p.windows.alternating_windows_per_day.value)
        alt_h = windows.alternating_open_hours(H * windows.DAY_S, per_day,
                                               p.windows.alternating_window_minutes.value * 60.0)
        zig_h = np.where(fw_premises, alt_h, power_on_h)
        scheduled = np.where(fw_premises, per_day * H, 0.0)
        openings = np.where(fw_premises, scheduled, power_ons)
    else:
        zig_h = power_on_h
    pair_counts = np.bincount(idx[local_paired], weights=w[local_paired], minlength=n)
    for mech, hours in (("button", p.windows.hub_button_window_minutes.value / 60.0), ("power_cycle", hht_h)):
        if mech in eff.local_pairing:
            k = LOCAL_PAIRING_MECHANISMS.index(mech)
            sel = local_paired & (chosen == k)
            presses = np.bincount(idx[sel], weights=w[sel], minlength=n)
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
    def wsum(x: np.ndarray) -> float:
        return float(np.dot(w, x))

    visits = wsum(visit) + wsum(fitted) + (wsum(local_paired) if engineer_pairs else 0.0)
    retrofit_visits = float(np.count_nonzero(~d.existing_new)) if retrofit else 0.0
    # -- per premises over the horizon: how the harm falls on customers ---------------------------------------
    # counts are of cases (spells), as expectations with weighted episodes; a customer rarely has two
    life = H - d.join_days()
    sums = {
        "premises": float(n),
        "exposure_years": float(life.sum() / 365.0),
        "no_route_days": wsum(no_route),
        "self_disconnection_hours": wsum(off_hours),
        "utrn_only_days": wsum(utrn_only),
        "wan_down_days": wsum(D),
        "engineer_visits": visits,
        "retrofit_visits": retrofit_visits,
        "replacement_ppmids": float(replacements.sum()),
        "repeaters_fitted": wsum(fitted),
        "new_hardware_installs": float(np.count_nonzero(hw_install)),  # installs carrying the option's hardware
        "spare_ppmids": float(np.count_nonzero(preauth_exposed)),
        "phone_route_premises": float(np.count_nonzero(phone_premises)),
        "relay_premises": float(np.count_nonzero(d.broadband & d.wifi_ppmid)) if eff.relay else 0.0,
        "local_pairings": wsum(local_paired),
        "no_route_days_install": wsum(np.where(ep_inst, no_route, 0.0)),
        "no_route_days_wan_lost": wsum(np.where(ep_inst, 0.0, no_route)),
        "no_route_days_unremedied": wsum(np.where(unremedied, no_route, 0.0)),
        "premises_no_route_any": wsum(no_route > 0.0),
        **{f"premises_no_route_over_{t}d": wsum(no_route > t) for t in NO_ROUTE_THRESHOLDS_DAYS},
        "premises_unremedied": wsum(unremedied),
        "self_disconnection_events": wsum(off_hours > 0.0),
        "gas_self_disconnection_hours": wsum(gas_off),
        "gas_self_disconnection_events": wsum(gas_off > 0.0),
        "debt_self_disconnection_pence": wsum(debt_off),
        "debt_credit_mode_pence": wsum(debt_credit),
        "credit_mode_days": wsum(credit_days),
        "premises_in_debt": wsum(debt > 0.0),
        "premises_debt_over_threshold": wsum(debt > p.debt.threshold_pence.value),
        **exposure,
    }
    # -- per year of the horizon: a stretch counts in the years it overlaps (what runs past the horizon's end,
    # renewal-reward, in the last year); UTRN-only days and arrears in the year the episode starts ---------------
    n_years = years_in(H)
    year = np.minimum((a // 365.0).astype(np.int64), n_years - 1)
    join = d.join_days()
    for y in range(n_years):
        lo, hi = 365.0 * y, min(H, 365.0 * (y + 1))
        sums[yearly_key("exposure_years", y + 1)] = float(np.maximum(0.0, hi - np.maximum(lo, join)).sum() / 365.0)
    stretch = a + np.minimum(s, D)  # when the stretch without a joined PPMID (and so any no-route spell) starts
    run_out = np.minimum(d.ep_credit / d.ep_spend, 1e9)  # off supply from then on, if at all
    spans = (("no_route_days", stretch, no_route, 1.0), ("wan_down_days", a, D, 1.0),
             ("self_disconnection_hours", stretch + run_out, off_hours / 24.0, 24.0),
             ("gas_self_disconnection_hours", stretch + run_out, gas_off / 24.0, 24.0))
    for key, t0, days, unit in spans:
        for y in range(n_years):
            lo = 365.0 * y if y else -np.inf
            hi = 365.0 * (y + 1) if y < n_years - 1 else np.inf
            sums[yearly_key(key, y + 1)] = unit * wsum(np.maximum(0.0, np.minimum(t0 + days, hi) - np.maximum(t0, lo)))
    for key, per_episode in (("utrn_only_days", utrn_only), ("debt_pence", debt)):
        by_year = np.bincount(year, weights=w * per_episode, minlength=n_years)
        for y in range(n_years):
            sums[yearly_key(key, y + 1)] = float(by_year[y])
    return sums


def evaluate_block(p: ModelParams, replicate: int, block: int,
                   effects: dict[str, OptionEffect] | None = None) -> dict[str, dict[str, float]]:
    """Partial sums of every option of ``p`` over one block: option -> SUM_KEYS -> value."""
    d = draw_block(p, replicate, block)
    effects = effects or {o: combine(o) for o in p.options}
    return {o: evaluate_option(p, d, effects[o]) for o in p.options}


def _scaled(p: ModelParams, national_pence: int) -> float:
    return float(national_pence * p.premises / p.costs.national_premises.value)


def finalise(p: ModelParams, option: str, sums: dict[str, float]) -> dict[str, float]:
    """The contract's metrics for one option and replicate, from its partial sums over every block."""
    eff = combine(option)
    premises_years = sums["exposure_years"]  # premises-years lived in the horizon (growth: joiners from joining)
    out = {k: sums[k] / premises_years for k in PER_PREMISES_YEAR}
    out["debt_pence"] = (sums["debt_self_disconnection_pence"] + sums["debt_credit_mode_pence"]) / premises_years
    for metric, key in SHARE_OF_PREMISES.items():
        out[metric] = sums[key] / sums["premises"]
    indebted = sums["premises_in_debt"]
    out["debt_mean_per_indebted_pence"] = (sums["debt_self_disconnection_pence"] + sums["debt_credit_mode_pence"]) \
        / indebted if indebted else 0.0
    out["engineer_visits"] = (sums["engineer_visits"] + sums["retrofit_visits"]) / premises_years
    comps = eff.components
    one_off = 0.0
    firmware_opts = {"secmp0037", "power_cycle_window", "alternating_windows", "firmware_preauth", "secmp0038"}
    one_off += sum(_scaled(p, p.costs.firmware_national.value) for c in comps if c in firmware_opts)
    if p.cpa.enforced.value:
        one_off += sum(_scaled(p, p.cpa.evaluation_national.value) for c in comps if OPTIONS[c].cpa_needed)
    if "secmp0032" in comps:
        one_off += _scaled(p, p.costs.secmp0032_national.value)
    if "mini_base_stations" in comps:
        one_off += _scaled(p, p.costs.mini_base_stations_national.value)
    if "hub_button" in comps:
        one_off += sums["new_hardware_installs"] * p.costs.hub_button_premium_pence.value
        one_off += sums["retrofit_visits"] * (p.costs.new_hub_pence.value + p.costs.engineer_visit_pence.value)
    if "mesh_hub" in comps:
        one_off += sums["new_hardware_installs"] * p.costs.mesh_hub_premium_pence.value
    if "meter_bluetooth" in comps:
        one_off += sums["new_hardware_installs"] * p.costs.meter_bluetooth_premium_pence.value \
            + _scaled(p, p.costs.phone_app_national.value)
    if "meter_nfc" in comps:
        one_off += sums["new_hardware_installs"] * p.costs.meter_nfc_premium_pence.value \
            + _scaled(p, p.costs.phone_app_national.value)
    if "secmp0038" in comps:
        one_off += _scaled(p, p.costs.relay_platform_national.value)
    one_off += sums["repeaters_fitted"] * p.costs.wan_repeater_pence.value
    one_off += sums["spare_ppmids"] * p.costs.ppmid_pence.value
    running = sums["engineer_visits"] * p.costs.engineer_visit_pence.value + \
        sums["replacement_ppmids"] * p.costs.ppmid_pence.value
    if "mini_base_stations" in comps:
        running += _scaled(p, p.costs.mini_base_stations_running_per_year_national.value) * p.years
    if "secmp0038" in comps:
        running += _scaled(p, p.costs.relay_running_per_year_national.value) * p.years
    out["cost_one_off_pence"] = float(round(one_off))  # integer pence, stored as DOUBLE (contract)
    out["cost_running_pence"] = float(round(running))
    out["max_premises_per_compromise"] = float(max_reach(p, eff, sums))
    out["grid_mw_per_compromise"] = grid_mw(p, out["max_premises_per_compromise"])
    out["relay_premises_share"] = sums["relay_premises"] / sums["premises"]
    out["phone_app_premises_share"] = sums["phone_route_premises"] / sums["premises"]
    out["cpa_needed"] = 1.0 if (eff.cpa_needed and p.cpa.enforced.value) else 0.0
    assert set(out) == set(METRICS)
    for y in range(1, years_in(p.horizon_days) + 1):
        expo = sums[yearly_key("exposure_years", y)]
        out[yearly_key("fleet_share", y)] = expo / sums["premises"]
        for key in YEARLY_SUM_KEYS[1:]:
            out[yearly_key(key, y)] = sums[yearly_key(key, y)] / expo if expo else 0.0
    return out
