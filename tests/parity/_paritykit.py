"""Shared pieces of the parity tests: a pinned fleet scenario, running a situation through both sides, and the
tolerances (docs/parity.md says why each is what it is)."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

from _parity_adapter import (
    EMULATOR_TICK_S,
    Situation,
    clamped_credit_pence,
    fleet_outcome,
    situation_story,
)
from smetslab.fleet.model import ModelParams
from smetslab.fleet.scenario import Scenario, validate_scenario
from smetslab.interfaces.config import builtin_scenarios, read_scenario_data
from smetslab.policy import wan
from smetslab.policy.options import combine
from smetslab.premises.runner import run_story
from smetslab.premises.story import validate_story

DAY_H = 24.0
TICK_H = EMULATOR_TICK_S / 3600.0
EXACT_H = 1e-6  # float noise on hours integrated from seconds: "exact"

# Every fleet parameter a parity outcome depends on, pinned here so a change to gb-default cannot move the
# tests (and the emulator's fixed constants - 60-minute HHT window, one 5-minute alternating window a day - are
# the scenario's too).
PINNED: dict[str, Any] = dict(
    incidents__installs_per_year=0.0, incidents__no_wan_at_install_prob=0.0, incidents__wan_lost_per_year=0.0,
    incidents__ppmid_lost_per_year=0.05, incidents__hub_power_cycles_per_year=0.0,
    remedy__dcc_mean_days=20.0, remedy__baseline_max_days=90.0, remedy__secmp0032_max_days=30.0,
    remedy__ppmid_delivery_days=3.0, remedy__consumer_action_days=0.5, remedy__local_pairing_actor="consumer",
    remedy__engineer_dispatch_prob=0.0, remedy__engineer_response_days=5.0,
    customer__credit_at_incident_mean_pence=1500, customer__daily_spend_mean_pence=450,
    customer__daily_spend_sigma=0.4, customer__emergency_credit_pence=0,
    customer__meter_keypad_reachable_prob=0.3, customer__hub_reachable_prob=0.8, customer__smartphone_prob=0.85,
    customer__broadband_prob=0.75,
    region__north_no_wan_risk=1.0, region__central_no_wan_risk=1.0, region__south_no_wan_risk=1.0,
    deployment__firmware_reach=0.95, deployment__existing_new_hardware_share=0.0,
    deployment__hub_button_retrofit=False, deployment__wifi_ppmid_share=0.5, deployment__preauth_spare_share=1.0,
    windows__hht_window_minutes=60.0, windows__alternating_window_minutes=5.0,
    windows__alternating_windows_per_day=1, windows__hub_button_window_minutes=10.0,
    # issue 8: the emulator plays a deployed option at a premises in a steady fleet, every case remedied, with an
    # engineer who pairs a PPMID and a consumer who can power-cycle a reachable hub
    growth__prepay_fleet_per_year=0.0, remedy__never_remedied_share=0.0, remedy__secmp0032_never_remedied_share=0.0,
    cpa__lead_time_days=0.0, deployment__firmware_rollout_days=0.0, remedy__engineer_pairs_without_wan=True,
    customer__can_power_cycle_hub_prob=1.0,
)


def scenario(top: dict[str, Any] | None = None, **overrides: Any) -> Scenario:
    """gb-default with the pinned parameters, ``top`` run settings and ``group__name=value`` overrides."""
    data = copy.deepcopy(read_scenario_data(builtin_scenarios()["gb-default"]))
    data["sensitivity"] = []
    # variance_reduction off: each fleet episode is one case the emulator can play (no weights)
    data.update({"premises": 1, "replicates": 1, "options": ["baseline"], "variance_reduction": False, **(top or {})})
    for key, value in {**PINNED, **overrides}.items():
        group, name = key.split("__", 1)
        data[group][name]["value"] = value
    return validate_scenario(data, where="parity test")


def params(**overrides: Any) -> ModelParams:
    return ModelParams.from_scenario(scenario(**overrides))


def emulate(story: dict[str, Any]) -> dict[str, float]:
    """The emulator's counters for a story mapping (validated like a YAML story)."""
    run = run_story(validate_story(story, where=story["name"]))
    return dict(run.counters)


@dataclass(frozen=True)
class Compared:
    """One situation under one option on both sides, in hours (fleet days x 24)."""

    situation: Situation
    option: str
    fleet: dict[str, float]  # model.SUM_KEYS for this one premises and episode
    emu: dict[str, float]  # Site.counters()

    def hours(self) -> dict[str, tuple[float, float]]:
        f, e = self.fleet, self.emu
        return {"no_route": (DAY_H * f["no_route_days"], e["no_route_hours"]),
                "utrn_only": (DAY_H * f["utrn_only_days"], e["utrn_only_hours"]),
                "self_disconnection": (f["self_disconnection_hours"], e["self_disconnected_hours"]),
                "local_pairings": (f["local_pairings"], e["local_pairings"]),
                "engineer_visits": (f["engineer_visits"], e["engineer_visits"])}


def compare(p: ModelParams, s: Situation, option: str, seed: int = 0) -> Compared:
    return Compared(s, option, fleet_outcome(p, s, option), emulate(situation_story(p, s, option, seed=seed)))


# ------------------------------------------------------------------------------------------------------------
# Tolerances: the emulator acts a little later than the fleet model's instants, never earlier.
# ------------------------------------------------------------------------------------------------------------

INSTALL_PAIRING_H = (900.0 + 120.0) / 3600.0
"""At a no-WAN install the emulated installer commissions the meters first and the consumer starts pairing the
PPMID 15 minutes later (Timeline.install); the fleet model pairs at the install instant. +2 min for the joins."""

LOCAL_PAIRING_H = 120.0 / 3600.0
"""A later local pairing: 60 s after a power cycle before the PPMID tries (Pairing.joiner_step), 1 s into an
alternating window, 10 s join delay and 5 s key establishment; 2 minutes bounds them."""

ENGINEER_H = TICK_H + 0.25
"""An engineer is sent at the first tick after ``engineer_response_days`` of no route, joins the hub 60 s after
arriving and pairs the PPMID with DCC commands carried for local delivery (measured: 13 minutes)."""


def latency_h(c: Compared) -> float:
    """How much later than the fleet model the emulator may restore a route in this case (hours)."""
    lag = 0.0
    if c.fleet["local_pairings"] > 0:
        lag = INSTALL_PAIRING_H if c.situation.install_episode else LOCAL_PAIRING_H
    if c.fleet["engineer_visits"] > 0:
        lag = max(lag, ENGINEER_H)
    return lag


def penny_h(s: Situation) -> float:
    """Hours one penny lasts: the meter counts whole pence, so it runs out up to this much early."""
    return DAY_H / max(1, round(s.daily_spend_pence))


def clamp_h(s: Situation) -> float:
    """Hours the emulated meter runs longer when ``C`` was raised to the consumer's threshold."""
    floor = clamped_credit_pence(max(1, round(s.daily_spend_pence)))
    return DAY_H * max(0.0, floor - s.credit_pence) / s.daily_spend_pence


def bounds(c: Compared, metric: str) -> tuple[float, float]:
    """Allowed ``emulator - fleet`` for ``metric`` (hours, or counts)."""
    lag = latency_h(c)
    if metric == "no_route":
        return -EXACT_H, lag + EXACT_H
    if metric == "utrn_only":
        return -lag - EXACT_H, lag + EXACT_H
    if metric == "self_disconnection":
        s = c.situation
        nr_f, nr_e = c.hours()["no_route"]
        credit = max(s.credit_pence, float(clamped_credit_pence(max(1, round(s.daily_spend_pence)))))
        runs_out_h = DAY_H * credit / s.daily_spend_pence - penny_h(s)  # from the start of the stretch
        if runs_out_h >= nr_e + 2 * TICK_H:
            return -EXACT_H, EXACT_H  # the credit outlasts the stretch and the top-up: on supply throughout
        # a later route -> longer off; after a route returns the consumer tops up at the next tick and the
        # meter, armed, is switched on at the tick after (arm_before_enable): up to two ticks more.
        return -clamp_h(s) - EXACT_H, max(0.0, nr_e - nr_f) + 2 * TICK_H + penny_h(s) + EXACT_H
    return 0.0, 0.0  # counts of decisions: exact


def check(c: Compared, metric: str) -> None:
    fleet, emu = c.hours()[metric]
    lo, hi = bounds(c, metric)
    assert lo <= emu - fleet <= hi, (
        f"{c.option}: {metric}: fleet {fleet:.4f}, emulator {emu:.4f} (emulator - fleet = {emu - fleet:+.4f}, "
        f"allowed [{lo:+.4f}, {hi:+.4f}]); situation {c.situation}")


def replacement_after_wan_back(p: ModelParams, s: Situation, option: str) -> bool:
    """The WAN returns while the replacement PPMID is still on its way (``U < D < U + delivery + action``) and
    the consumer has neither the meter keypad nor a phone route: the 'armed meter' case (docs/parity.md finding 2)."""
    eff = combine(option)
    if s.install_episode or not math.isfinite(s.ppmid_loss_days) or s.keypad:
        return False
    if eff.phone_radio and s.new_hardware and s.smartphone:
        return False
    cap = wan.remedy_cap_days(eff.prioritised_remedy, p.remedy.baseline_max_days.value, p.remedy.secmp0032_max_days.value)
    d = float(wan.restore_days(s.dcc_days, cap))
    wait = p.remedy.ppmid_delivery_days.value + p.remedy.consumer_action_days.value
    return s.ppmid_loss_days < d < s.ppmid_loss_days + wait
