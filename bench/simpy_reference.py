"""A straightforward per-premises model of the fleet scenario, written with SimPy: the speed reference.

Each premises, under each option, is its own discrete-event simulation: hub power-ons, an install that may
find no WAN, WAN losses as a Poisson process, and within each no-WAN episode the PPMID loss, the replacement
arriving, a local pairing when the option allows one, an engineer visit, credit running out and the WAN
coming back - each an event, with the route state updated as they happen. The rules are the same
``smetslab.policy`` functions the vectorised engine uses, called here on plain floats (which is also a check
that the policy layer works on scalars), and the model is the one in docs/fleet-model.md: harm metrics,
WAN-down days, join-window hours and local pairings. Costs, exposure expectations and reach are arithmetic
on these counts in both models and are left out here.

The meter behaves as the emulated one (docs/parity.md, findings 1-3): the engineer pairs a PPMID, so the rest of
a WAN outage after the visit is UTRN-only; emergency credit counts only where it can be activated
(``routes.emergency_credit_activatable``: in a no-route stretch, nowhere); and a meter that ran out stays off
after a route returns until someone can switch the armed supply on (``routes.supply_enable_possible``): a local
pairing, the engineer's PPMID, or the replacement paired by the DCC once the WAN is back and it is there.

Usage: python bench/simpy_reference.py [SCENARIO] [--sample N] [--check]: prints the means and the time per
premises; with --check, compares the means with the fleet engine's instead (exit 1 on a disagreement; also run
by tests/fleet/test_simpy_reference.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import random
import time
from collections import defaultdict

import simpy

from smetslab.fleet.model import BLOCK_PREMISES, ModelParams, block_count, evaluate_block
from smetslab.interfaces.config import load_scenario
from smetslab.policy import routes, wan, windows
from smetslab.policy.options import LOCAL_PAIRING_MECHANISMS, OptionEffect, combine

METRICS = ("no_route_days", "self_disconnection_hours", "utrn_only_days", "wan_down_days",
           "join_window_open_hours", "local_pairings", "engineer_visits")


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method (lam is small here)."""
    if lam <= 0:
        return 0
    limit, k, prod = math.exp(-lam), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


class Premises:
    """One premises under one option: its draws, its route state and the accumulated metrics."""

    def __init__(self, p: ModelParams, eff: OptionEffect, rng: random.Random) -> None:
        self.p, self.eff, self.rng = p, eff, rng
        self.env = simpy.Environment()
        self.acc: dict[str, float] = defaultdict(float)
        H, yrs = p.horizon_days, p.years
        u = rng.random()
        self.region = 0 if u < p.region.north_share.value else (
            1 if u < p.region.north_share.value + p.region.central_share.value else 2)
        self.risk = (p.region.north_no_wan_risk.value, p.region.central_no_wan_risk.value,
                     p.region.south_no_wan_risk.value)[self.region]
        self.installed = rng.random() < 1 - math.exp(-p.incidents.installs_per_year.value * yrs)
        self.t_install = rng.random() * H
        self.nowan_install = self.installed and rng.random() < min(1.0, p.incidents.no_wan_at_install_prob.value * self.risk)
        u = rng.random()
        self.keypad = u < p.customer.meter_keypad_reachable_prob.value
        self.hub_reachable = u < p.customer.hub_reachable_prob.value
        self.smartphone = rng.random() < p.customer.smartphone_prob.value
        self.broadband = rng.random() < p.customer.broadband_prob.value
        self.wifi = rng.random() < p.deployment.wifi_ppmid_share.value
        self.firmware = rng.random() < p.deployment.firmware_reach.value
        self.existing_new = rng.random() < p.deployment.existing_new_hardware_share.value
        self.spare = rng.random() < p.deployment.preauth_spare_share.value
        self.neighbours = _poisson(rng, p.mesh.neighbours_in_range_mean.value)
        self.same = sum(rng.random() < p.mesh.same_supplier_share.value for _ in range(self.neighbours))
        self.power_ons = 0

    # -- processes -------------------------------------------------------------------------------------------
    def power_cycles(self):  # noqa: ANN201 - SimPy generator
        rate = self.p.incidents.hub_power_cycles_per_year.value / 365.0
        while rate > 0:
            yield self.env.timeout(self.rng.expovariate(rate))
            if self.env.now >= self.p.horizon_days:
                return
            self.power_ons += 1

    def wan_losses(self):  # noqa: ANN201
        rate = self.p.incidents.wan_lost_per_year.value * self.risk / 365.0
        while rate > 0:
            yield self.env.timeout(self.rng.expovariate(rate))
            if self.env.now >= self.p.horizon_days:
                return
            self.env.process(self.episode(install=False))

    def install(self):  # noqa: ANN201
        yield self.env.timeout(self.t_install)
        self.power_ons += 1
        if self.nowan_install:
            self.env.process(self.episode(install=True))

    def new_hw(self, t: float, install: bool) -> bool:
        return install or self.existing_new or (self.installed and self.t_install <= t)

    def episode(self, install: bool):  # noqa: ANN201
        p, eff, rng, env = self.p, self.eff, self.rng, self.env
        a = env.now
        new_hw = self.new_hw(a, install)
        cap = wan.remedy_cap_days(eff.prioritised_remedy, p.remedy.baseline_max_days.value, p.remedy.secmp0032_max_days.value)
        D = float(wan.restore_days(rng.expovariate(1.0 / p.remedy.dcc_mean_days.value), cap))
        if eff.mini_base_stations and wan.mini_base_station_prevents(self.region, rng.random(),
                                                                     p.wan_options.mini_base_station_prevented_share.value):
            D = 0.0
        if eff.mesh:
            D = float(wan.mesh_restore_days(D, self.same, self.neighbours - self.same, p.mesh.broker_days.value, new_hw))
        if eff.wan_repeaters:
            fixable = rng.random() < p.wan_options.repeater_fixable_share.value
            if wan.repeater_fitted(D, fixable, p.wan_options.repeater_fit_days.value):
                self.acc["engineer_visits"] += 1
            D = float(wan.repeater_restore_days(D, fixable, p.wan_options.repeater_fit_days.value))
        phone = bool(routes.phone_route_available(bool(eff.phone_radio), new_hw, self.smartphone))
        relay_ok = bool(eff.relay and self.broadband and self.wifi)
        credit = rng.expovariate(1.0) * p.customer.credit_at_incident_mean_pence.value
        sigma = p.customer.daily_spend_sigma.value
        spend = p.customer.daily_spend_mean_pence.value * math.exp(sigma * rng.gauss(0, 1) - 0.5 * sigma * sigma)
        dispatched = rng.random() < p.remedy.engineer_dispatch_prob.value
        # "wan": the WAN is back (the episode's routes are then all there; only an armed supply can still be off)
        state = {"joined": not install, "wan": False, "off": False, "last": a}
        wan_back = env.timeout(D)
        self.acc["wan_down_days"] += D

        def no_route_now() -> bool:
            return not bool(routes.any_route_available(state["wan"], phone, relay_ok and state["joined"],
                                                       state["joined"], self.keypad))

        def account() -> None:
            dt = env.now - state["last"]
            state["last"] = env.now
            if state["off"]:
                self.acc["self_disconnection_hours"] += 24 * dt
            if state["wan"]:
                return
            joined = state["joined"]
            if no_route_now():
                self.acc["no_route_days"] += dt
            elif not routes.remote_route_available(False, phone, relay_ok and joined) and \
                    routes.utrn_route_available(joined, self.keypad):
                self.acc["utrn_only_days"] += dt

        def switch_on() -> None:
            # an armed supply comes back on only when the customer can top up *and* someone can switch it on
            # (arm_before_enable): a PPMID joined again or a reachable keypad; a remote top-up alone leaves it off
            if state["off"] and not no_route_now() and routes.supply_enable_possible(state["joined"], self.keypad):
                state["off"] = False

        def rejoin() -> None:
            account()
            state["joined"] = True
            switch_on()

        def lose_ppmid(delay: float):  # noqa: ANN202
            yield env.timeout(delay)
            if wan_back.processed:
                return
            account()
            state["joined"] = False
            if no_route_now():
                env.process(no_route_started())
            env.process(replace_ppmid())

        def no_route_started():  # noqa: ANN202
            # emergency credit must be activated: in a no-route stretch (WAN down, no PPMID) only at the keypad
            ec = p.customer.emergency_credit_pence.value if routes.emergency_credit_activatable(
                state["wan"], state["joined"], self.keypad) else 0.0
            runout = (credit + ec) / spend
            if dispatched:
                env.process(engineer())
            yield env.timeout(runout)
            if not wan_back.processed and no_route_now():
                account()
                state["off"] = True

        def engineer():  # noqa: ANN202
            yield env.timeout(p.remedy.engineer_response_days.value)
            if not wan_back.processed and no_route_now():
                self.acc["engineer_visits"] += 1
                rejoin()  # the engineer brings and pairs a PPMID; the WAN may still be down (UTRN only)

        def dcc_pairing():  # noqa: ANN202
            # once the replacement is there (the consumer has had a day-part to set it up) and the WAN is back,
            # the DCC pairs it (CCS01, CS03); at a no-WAN install the PPMID is there from the start
            if not install:
                yield env.timeout(p.remedy.consumer_action_days.value)
            if not wan_back.processed:
                yield wan_back
            if not state["joined"]:
                rejoin()

        def replace_ppmid():  # noqa: ANN202
            engineer_pairs = p.remedy.local_pairing_actor.value == "engineer"
            if not install:
                yield env.timeout(p.remedy.ppmid_delivery_days.value)
            env.process(dcc_pairing())
            if not install:
                yield env.timeout(p.remedy.engineer_response_days.value if engineer_pairs
                                  else p.remedy.consumer_action_days.value)
            best, best_mech = math.inf, ""
            for mech in LOCAL_PAIRING_MECHANISMS:
                if mech not in eff.local_pairing:
                    continue
                ok = routes.local_pairing_possible(
                    mech, firmware_ok=install or self.firmware or new_hw,
                    new_hub=new_hw or ("hub_button" in eff.components and p.deployment.hub_button_retrofit.value),
                    hub_reachable=install or self.hub_reachable, preregistered=self.spare and not install)
                if not ok:
                    continue
                wait = 0.0
                if mech == "alternating":
                    wait = float(windows.wait_for_alternating_window_s(
                        env.now * windows.DAY_S, int(p.windows.alternating_windows_per_day.value),
                        p.windows.alternating_window_minutes.value * 60.0)) / windows.DAY_S
                if wait < best:
                    best, best_mech = wait, mech
            if best == math.inf:
                return
            yield env.timeout(best)
            if wan_back.processed:
                if not state["joined"]:  # paired locally before the DCC could: switches an armed supply on
                    rejoin()
                return
            rejoin()
            self.acc["local_pairings"] += 1
            if engineer_pairs and not install:
                self.acc["engineer_visits"] += 1
            if best_mech == "button":
                self.acc["button_hours"] += p.windows.hub_button_window_minutes.value / 60.0
            elif best_mech == "power_cycle":
                self.acc["button_hours"] += p.windows.hht_window_minutes.value / 60.0

        if install:
            if no_route_now():
                env.process(no_route_started())
            env.process(replace_ppmid())
        elif p.incidents.ppmid_lost_per_year.value > 0:
            env.process(lose_ppmid(rng.expovariate(p.incidents.ppmid_lost_per_year.value / 365.0)))
        yield wan_back
        account()
        state["wan"] = True
        switch_on()

    def run(self) -> dict[str, float]:
        self.env.process(self.power_cycles())
        if self.installed:
            self.env.process(self.install())
        self.env.process(self.wan_losses())
        self.env.run()
        p, eff, H = self.p, self.eff, self.p.horizon_days
        fw_premises = self.firmware or self.installed or self.existing_new
        zig = self.power_ons * p.windows.hht_window_minutes.value / 60.0
        if eff.replaces_power_on_window and fw_premises:
            zig = windows.alternating_open_hours(H * windows.DAY_S, int(p.windows.alternating_windows_per_day.value),
                                                 p.windows.alternating_window_minutes.value * 60.0)
        zig += self.acc.pop("button_hours", 0.0)
        if "standing" in eff.local_pairing and fw_premises:
            zig = 24 * H
        phone_h = 0.0
        if eff.phone_radio:
            phone_h = 24 * H if self.existing_new else (24 * (H - self.t_install) if self.installed else 0.0)
        self.acc["join_window_open_hours"] = max(min(zig, 24 * H), phone_h)
        return {m: self.acc.get(m, 0.0) for m in METRICS}


def _run(p: ModelParams, sample: int, seed: int) -> tuple[dict[str, dict[str, float]],
                                                          dict[str, dict[str, float]], float]:
    """Per-premises-year means of METRICS per option over ``sample`` premises, their standard errors, and the
    seconds it took."""
    t0 = time.perf_counter()
    means: dict[str, dict[str, float]] = {}
    errors: dict[str, dict[str, float]] = {}
    for option in p.options:
        eff = combine(option)
        tot: dict[str, float] = defaultdict(float)
        sq: dict[str, float] = defaultdict(float)
        for i in range(sample):
            rng = random.Random(seed * 1_000_003 + i)  # the same premises for every option
            for m, v in Premises(p, eff, rng).run().items():
                tot[m] += v
                sq[m] += v * v
        means[option] = {m: tot[m] / (sample * p.years) for m in METRICS}
        errors[option] = {m: math.sqrt(max(0.0, sq[m] / sample - (tot[m] / sample) ** 2) / max(1, sample - 1))
                          / p.years for m in METRICS}
    return means, errors, time.perf_counter() - t0


def simulate(p: ModelParams, sample: int, seed: int = 0) -> tuple[dict[str, dict[str, float]], float]:
    """Per-premises-year means of METRICS per option over ``sample`` premises, and the seconds it took."""
    means, _, wall = _run(p, sample, seed)
    return means, wall


STRESS = {"incidents.wan_lost_per_year": 1.0, "incidents.no_wan_at_install_prob": 0.3,
          "incidents.installs_per_year": 0.3, "incidents.ppmid_lost_per_year": 12.0,
          "remedy.dcc_mean_days": 20.0, "customer.meter_keypad_reachable_prob": 0.3}
"""Incident rates for ``--check``: at gb-default's rates a few thousand premises see a handful of no-WAN
episodes; here most premises have one, most lose their PPMID in it, and most keypads are out of reach, so
every rule (engineer visits, armed meters waiting for a PPMID, local pairings) is exercised."""


def fleet_means(p: ModelParams, premises: int) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """The vectorised model's per-premises-year means of METRICS per option over ``premises`` (replicate 0), and
    their standard errors from the spread of the per-block means (blocks are independent)."""
    p = dataclasses.replace(p, premises=premises)
    per_block = [evaluate_block(p, 0, b) for b in range(block_count(premises))]
    means: dict[str, dict[str, float]] = {}
    errors: dict[str, dict[str, float]] = {}
    for o in p.options:
        n = [blk[o]["premises"] for blk in per_block]
        means[o], errors[o] = {}, {}
        for m in METRICS:
            x = [blk[o][m] / k / p.years for blk, k in zip(per_block, n, strict=True)]
            means[o][m] = math.fsum(blk[o][m] for blk in per_block) / (premises * p.years)
            xbar = math.fsum(x) / len(x)
            var = math.fsum((v - xbar) ** 2 for v in x) / max(1, len(x) - 1)
            errors[o][m] = math.sqrt(var / len(x))
    return means, errors


def check(p: ModelParams, sample: int, fleet_premises: int, z: float = 4.0) -> list[str]:
    """Compare this model's means with the fleet engine's on the same parameters; the disagreements (a
    difference beyond ``z`` combined standard errors) as lines of text, empty when the two agree."""
    ref, ref_se, _ = _run(p, sample, p.seed)
    fleet, fleet_se = fleet_means(p, fleet_premises)
    bad = []
    for o in p.options:
        for m in METRICS:
            diff = ref[o][m] - fleet[o][m]
            # a small sample of rare episodes may hold none (mean and spread 0): the same spread per premises as
            # the fleet's many more premises show is the floor of this side's standard error
            se = max(ref_se[o][m], fleet_se[o][m] * math.sqrt(fleet_premises / sample))
            tol = z * math.hypot(se, fleet_se[o][m]) + 1e-9 * max(1.0, abs(fleet[o][m]))
            if abs(diff) > tol:
                bad.append(f"{o} {m}: SimPy {ref[o][m]:.5g} +- {se:.2g}, fleet {fleet[o][m]:.5g} "
                           f"+- {fleet_se[o][m]:.2g} (difference {diff:+.3g}, allowed {tol:.3g})")
    return bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default=None)
    ap.add_argument("--sample", type=int, default=2000, help="premises to simulate (default 2000)")
    ap.add_argument("--check", action="store_true",
                    help="compare the means with the fleet engine's (the scenario as given and with STRESS rates); "
                         "exit 1 on a disagreement")
    args = ap.parse_args()
    s = load_scenario(args.scenario)
    p = ModelParams.from_scenario(s)
    if args.check:
        failed = False
        stressed = s
        for path, value in STRESS.items():  # validated like a sweep point: a new scenario, a new ModelParams
            stressed = stressed.with_param(path, value)
        for label, params in (("as given", p), ("stressed", ModelParams.from_scenario(stressed))):
            bad = check(params, args.sample, 10 * BLOCK_PREMISES)
            print(f"{label}: {args.sample} SimPy premises vs {10 * BLOCK_PREMISES} fleet premises, "
                  f"{len(p.options)} options x {len(METRICS)} metrics: "
                  + ("means agree (within 4 standard errors)" if not bad else f"{len(bad)} disagree"))
            for line in bad:
                print("  " + line)
            failed = failed or bool(bad)
        raise SystemExit(1 if failed else 0)
    means, wall = simulate(p, args.sample, s.seed)
    for o, row in means.items():
        print(f"{o:32s} " + " ".join(f"{m}={v:.4g}" for m, v in row.items()))
    per = wall / (args.sample * len(p.options) * p.years)
    print(f"{args.sample} premises x {len(p.options)} options in {wall:.2f} s: {per * 1e6:.1f} us per premises-option-year")


if __name__ == "__main__":
    main()
