"""Trust in the numbers: the engine against closed forms (issue 4, point 5).

Each expected value is derived on paper from the model's stated assumptions (docs/fleet-model.md), not
from the code: exponential DCC restore times, Poisson incidents, exponential PPMID-loss times, etc. The
tolerance is 4 standard errors of the Monte Carlo mean, computed from the same closed forms.
The emulator-parity test (the premises emulator vs the fleet engine, N=1) waits for issue 3's emulator.
"""

from __future__ import annotations

import math

import pytest

from smetslab.fleet import run_in_memory
from smetslab.fleet.model import ModelParams, draw_block, evaluate_option
from smetslab.policy.options import combine

N = 60_000
R = 2
STEADY = dict(growth__prepay_fleet_per_year=0.0, remedy__never_remedied_share=0.0,
              remedy__secmp0032_never_remedied_share=0.0, cpa__lead_time_days=0.0,
              deployment__firmware_rollout_days=0.0, remedy__engineer_pairs_without_wan=True,
              customer__can_power_cycle_hub_prob=1.0)
"""The issue-4 model these closed forms were worked for: a fleet that does not grow, every case remedied, options
deployed from day 0, an engineer who pairs a PPMID, everyone who reaches the hub able to power-cycle it
(issue 8's additions have closed forms of their own in test_issue8_model.py)."""


def _mean(out, option, metric, reps=R):
    return sum(out[(option, r, metric)] for r in range(reps)) / reps


def _quiet(make, options, **params):
    """A scenario where nothing happens unless the test switches it on."""
    base = dict(incidents__installs_per_year=0.0, incidents__no_wan_at_install_prob=0.0,
                incidents__wan_lost_per_year=0.0, incidents__ppmid_lost_per_year=0.0,
                incidents__hub_power_cycles_per_year=0.0, remedy__baseline_max_days=1e6,
                remedy__engineer_dispatch_prob=0.0, customer__meter_keypad_reachable_prob=0.0,
                customer__hub_reachable_prob=0.0, customer__smartphone_prob=0.0,
                customer__daily_spend_sigma=0.0, deployment__firmware_reach=1.0, **STEADY)
    base.update(params)
    return make({"premises": N, "replicates": R, "seed": 5, "horizon_days": 365.0, "options": options}, **base)


def test_no_wan_at_install_exponential_remedy(make):
    m, c, E, S = 20.0, 1500, 1000, 450
    rate = math.log(2.0)  # P(install in the year) = 1 - exp(-rate) = 0.5
    s = _quiet(make, ["baseline", "secmp0037"], incidents__installs_per_year=rate,
               incidents__no_wan_at_install_prob=1.0, remedy__dcc_mean_days=m,
               customer__credit_at_incident_mean_pence=c, customer__emergency_credit_pence=E,
               customer__daily_spend_mean_pence=S)
    out = run_in_memory(s, workers=1)
    p = 0.5
    # no route for the whole episode D ~ Exp(mean m): E = p m per premises-year
    exp_days = p * m
    se_days = math.sqrt((p * 2 * m * m - exp_days**2) / (N * R))
    assert _mean(out, "baseline", "no_route_days") == pytest.approx(exp_days, abs=4 * se_days)
    # off supply once credit C ~ Exp(mean c) runs out at S a day. Emergency credit E does not help: with the
    # keypad out of reach, no PPMID paired and the WAN down nobody can activate it. The supply is back when the
    # WAN returns (the PPMID, there since the install, pairs then and switches the armed meter on). With
    # T = C/S ~ Exp(mean c/S): 24 E[(D - T)+] = 24 p m P(D > T) = 24 p m E[e^{-T/m}] = 24 p m / (1 + c/(S m))
    k = 1 / (1 + c / (S * m))
    exp_off = 24 * p * m * k
    se_off = math.sqrt((24**2 * p * 2 * m * m * k - exp_off**2) / (N * R))
    assert _mean(out, "baseline", "self_disconnection_hours") == pytest.approx(exp_off, abs=4 * se_off)
    # SECMP0037: the installer pairs the PPMID locally at once -> no day without a route
    assert _mean(out, "secmp0037", "no_route_days") == 0.0


def test_wan_lost_truncated_exponential_remedy_90_and_30_days(make):
    lam, m = 0.5, 45.0
    s = _quiet(make, ["baseline", "secmp0032", "secmp0038"], incidents__wan_lost_per_year=lam,
               remedy__dcc_mean_days=m, remedy__baseline_max_days=90.0, remedy__secmp0032_max_days=30.0,
               customer__meter_keypad_reachable_prob=1.0, customer__broadband_prob=1.0,
               deployment__wifi_ppmid_share=1.0)
    out = run_in_memory(s, workers=1)
    for option, cap in (("baseline", 90.0), ("secmp0032", 30.0)):
        # E[min(D, cap)] = m (1 - e^{-cap/m}); compound Poisson variance lam E[min(D,cap)^2]
        mean_d = m * (1 - math.exp(-cap / m))
        second = 2 * m * m * (1 - math.exp(-cap / m)) - 2 * m * cap * math.exp(-cap / m)
        se = math.sqrt(lam * second / (N * R))
        assert _mean(out, option, "wan_down_days") == pytest.approx(lam * mean_d, abs=4 * se)
        # the PPMID is never lost here: every WAN-down day is a UTRN-only day
        assert _mean(out, option, "utrn_only_days") == pytest.approx(_mean(out, option, "wan_down_days"),
                                                                     rel=1e-12)
    # SECMP0038 with broadband and a Wi-Fi PPMID everywhere: the relay replaces typing UTRNs
    assert _mean(out, "secmp0038", "utrn_only_days") == 0.0


def test_ppmid_lost_during_wan_outage(make):
    lam_w, m = 0.5, 30.0
    lam_p = 3.65  # per year -> mu = 0.01 per day
    mu = lam_p / 365.0
    delivery, action = 3.0, 0.5
    s = _quiet(make, ["baseline", "secmp0037"], incidents__wan_lost_per_year=lam_w,
               incidents__ppmid_lost_per_year=lam_p, remedy__dcc_mean_days=m,
               remedy__ppmid_delivery_days=delivery, remedy__consumer_action_days=action)
    out = run_in_memory(s, workers=1)
    # loss U ~ Exp(mu) and outage D ~ Exp(1/m): P(U < D) = mu / (mu + 1/m); memoryless residual D - U ~ Exp(m)
    p_loss = mu / (mu + 1.0 / m)
    exp_base = lam_w * p_loss * m
    se_base = math.sqrt(lam_w * p_loss * 2 * m * m / (N * R))
    assert _mean(out, "baseline", "no_route_days") == pytest.approx(exp_base, abs=4 * se_base)
    # SECMP0037: the replacement pairs locally delivery + action days after the loss: E[min(D', d+a)]
    c = delivery + action
    mean_c = m * (1 - math.exp(-c / m))
    second = 2 * m * m * (1 - math.exp(-c / m)) - 2 * m * c * math.exp(-c / m)
    exp_37 = lam_w * p_loss * mean_c
    se_37 = math.sqrt(lam_w * p_loss * second / (N * R))
    assert _mean(out, "secmp0037", "no_route_days") == pytest.approx(exp_37, abs=4 * se_37)


def test_join_window_open_hours_arithmetic(make):
    lam_pc, r_inst = 2.0, 0.08
    s = _quiet(make, ["baseline", "secmp0037", "alternating_windows", "meter_nfc"],
               incidents__hub_power_cycles_per_year=lam_pc, incidents__installs_per_year=r_inst)
    out = run_in_memory(s, workers=1)
    # baseline: 60 minutes per power-on (power cycles + installs)
    p_inst = 1 - math.exp(-r_inst)
    exp_base = (lam_pc + p_inst) * 1.0
    se = math.sqrt((lam_pc + p_inst * (1 - p_inst)) / (N * R))
    assert _mean(out, "baseline", "join_window_open_hours") == pytest.approx(exp_base, abs=4 * se)
    # SECMP0037 with the firmware everywhere: a standing window, every hour of the year
    assert _mean(out, "secmp0037", "join_window_open_hours") == pytest.approx(8760.0, rel=1e-12)
    # alternating windows: 5 minutes x 1 window a day x 365 days (they replace the 60-minute window)
    assert _mean(out, "alternating_windows", "join_window_open_hours") == pytest.approx(365 * 5 / 60, rel=1e-12)
    # NFC meters listen from their install to the end of the year: E = 24 * 365 * p * E[(H - t)/H] = 4380 p
    exp_nfc_phone = 24 * 365 * p_inst * 0.5
    got = _mean(out, "meter_nfc", "join_window_open_hours")
    assert got == pytest.approx(exp_nfc_phone, rel=0.05)


def test_button_and_power_cycle_windows_add_per_pairing(make):
    # every no-WAN install pairs locally; each pairing opens one window: 10 min (button) or 60 min (cycle)
    s = _quiet(make, ["baseline"], incidents__installs_per_year=0.5, incidents__no_wan_at_install_prob=1.0,
               remedy__dcc_mean_days=10.0)
    p = ModelParams.from_scenario(s)
    d = draw_block(p, 0, 0)
    base = evaluate_option(p, d, combine("baseline"))
    button = evaluate_option(p, d, combine("hub_button"))
    cycle = evaluate_option(p, d, combine("power_cycle_window"))
    installs = int(d.installed.sum())
    assert button["local_pairings"] == cycle["local_pairings"] == installs > 0
    assert button["join_window_open_hours"] - base["join_window_open_hours"] == pytest.approx(installs * 10 / 60)
    assert cycle["join_window_open_hours"] - base["join_window_open_hours"] == pytest.approx(installs * 1.0)
    assert base["local_pairings"] == 0 and base["no_route_days"] > 0 == button["no_route_days"]


def test_option_ordering_with_common_random_numbers(make):
    s = make({"premises": 40_000, "replicates": 3, "seed": 3},
             incidents__wan_lost_per_year=0.2, incidents__ppmid_lost_per_year=0.5,
             incidents__no_wan_at_install_prob=0.1)
    out = run_in_memory(s, workers=1)
    for r in range(3):
        def v(o, metric, r=r):
            return out[(o, r, metric)]
        for o in s.options:  # every option only adds routes or shortens outages: never worse than today
            assert v(o, "no_route_days") <= v("baseline", "no_route_days"), o
            assert v(o, "self_disconnection_hours") <= v("baseline", "self_disconnection_hours"), o
            assert v(o, "wan_down_days") <= v("baseline", "wan_down_days"), o
            assert v(o, "join_window_open_hours") >= v("baseline", "join_window_open_hours"), o
        assert v("secmp0032", "wan_down_days") < v("baseline", "wan_down_days")
        both = v("secmp0037+secmp0032", "no_route_days")
        assert both <= v("secmp0037", "no_route_days") and both <= v("secmp0032", "no_route_days")
        assert v("secmp0037", "no_route_days") < v("baseline", "no_route_days")
        assert v("secmp0037", "join_window_open_hours") > v("alternating_windows", "join_window_open_hours") \
            > v("baseline", "join_window_open_hours")
        assert v("secmp0037", "expected_rogue_joins") > v("alternating_windows", "expected_rogue_joins") \
            > v("baseline", "expected_rogue_joins")
        assert v("meter_bluetooth", "expected_rogue_joins") > v("meter_nfc", "expected_rogue_joins")
        assert v("secmp0038", "max_premises_per_compromise") > v("secmp0037", "max_premises_per_compromise") \
            > v("baseline", "max_premises_per_compromise")
        # SECMP0032's cost is the DCC's £1bn, scaled to this fleet's share of 4.5 million premises
        assert v("secmp0032", "cost_one_off_pence") == round(100_000_000_000 * 40_000 / 4_500_000)
        assert v("baseline", "cost_one_off_pence") == 0.0
        assert v("secmp0037", "cpa_needed") == 1.0 and v("baseline", "cpa_needed") == 0.0


def test_engineer_visit_leaves_utrn_only_days(make):
    # WAN lost, PPMID lost U ~ Exp(mu) into it, keypad out of reach, an engineer always sent after r days without
    # a route. The engineer pairs a PPMID: from then to the WAN's return it is a UTRN-only day, so every WAN-down
    # day is either a no-route or a UTRN-only day. Given a loss (P = mu/(mu + 1/m)) the residual D' ~ Exp(m):
    # no route = min(D', r), E = m (1 - e^{-r/m}); UTRN only = D - min(D', r).
    lam_w, m, r = 0.5, 30.0, 5.0
    lam_p = 36.5
    mu = lam_p / 365.0
    s = _quiet(make, ["baseline"], incidents__wan_lost_per_year=lam_w, incidents__ppmid_lost_per_year=lam_p,
               remedy__dcc_mean_days=m, remedy__engineer_dispatch_prob=1.0, remedy__engineer_response_days=r)
    out = run_in_memory(s, workers=1)
    p_loss = mu / (mu + 1.0 / m)
    mean_nr = p_loss * m * (1 - math.exp(-r / m))
    exp_utrn = lam_w * (m - mean_nr)
    se = math.sqrt(lam_w * 2 * m * m / (N * R))  # UTRN only <= D: E[X^2] <= 2 m^2 bounds the variance
    assert _mean(out, "baseline", "utrn_only_days") == pytest.approx(exp_utrn, abs=4 * se)
    assert _mean(out, "baseline", "no_route_days") == pytest.approx(lam_w * mean_nr, abs=4 * se)
    for rep in range(R):
        assert out[("baseline", rep, "no_route_days")] + out[("baseline", rep, "utrn_only_days")] == \
            pytest.approx(out[("baseline", rep, "wan_down_days")], rel=1e-12)


def test_armed_meter_waits_for_the_replacement_ppmid(make):
    # WAN lost, PPMID lost, keypad out of reach, no engineer; the replacement is there w = delivery + action days
    # after the loss. Given a loss, the residual outage D' ~ Exp(m) and the meter runs out after T = C/S ~
    # Exp(mean t). If T < D' the supply is off from T until the WAN is back *and* a PPMID can switch the armed
    # meter on (the replacement, paired through the DCC): max(D', w). Off days = (max(D', w) - T) 1{T < D'}:
    #   E = E[(D' - T)+] + E[(w - D') 1{T < D' < w}]
    #     = m / (1 + t/m) + (1/m) (G(1/m) - G(1/m + 1/t)),  G(b) = int_0^w (w - x) e^{-bx} dx = w/b - (1 - e^{-bw})/b^2
    lam_w, m, lam_p, delivery, action = 0.5, 2.0, 36.5, 3.0, 0.5
    c, S = 225, 450
    mu, w, t = lam_p / 365.0, delivery + action, c / S
    s = _quiet(make, ["baseline"], incidents__wan_lost_per_year=lam_w, incidents__ppmid_lost_per_year=lam_p,
               remedy__dcc_mean_days=m, remedy__ppmid_delivery_days=delivery, remedy__consumer_action_days=action,
               customer__credit_at_incident_mean_pence=c, customer__daily_spend_mean_pence=S)
    out = run_in_memory(s, workers=1)

    def g(b):
        return w / b - (1 - math.exp(-b * w)) / b**2

    p_loss = mu / (mu + 1.0 / m)
    off_days = m / (1 + t / m) + (g(1 / m) - g(1 / m + 1 / t)) / m
    exp_off = 24 * lam_w * p_loss * off_days
    # off <= 24 max(D', w): E[X^2] <= 24^2 (2 m^2 + w^2) bounds the variance
    se = math.sqrt(lam_w * p_loss * 24**2 * (2 * m * m + w * w) / (N * R))
    assert _mean(out, "baseline", "self_disconnection_hours") == pytest.approx(exp_off, abs=4 * se)
