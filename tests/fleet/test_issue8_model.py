"""Issue 8, the model half: common random numbers, F7.18 as written, the mesh neighbour rule, years and growth,
lead times, gas, debt, the engineer who cannot pair with the WAN down, and the per-premises counts.

Expected values are worked by hand from docs/fleet-model.md's stated assumptions (closed forms, or one episode
worked through), never read back from the engine.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from _parity_adapter import Situation, fleet_outcome, situation_draws
from smetslab.fleet import run_in_memory
from smetslab.fleet.model import ModelParams, evaluate_option
from smetslab.policy.options import combine

N = 60_000
R = 2
HARM = ("no_route_days", "self_disconnection_hours", "utrn_only_days", "wan_down_days", "debt_pence",
        "gas_self_disconnection_hours", "no_route_days_install", "no_route_days_wan_lost",
        "no_route_over_7d_share", "unremedied_customers_share", "debt_over_threshold_share")
STEADY = dict(growth__prepay_fleet_per_year=0.0, remedy__never_remedied_share=0.0,
              remedy__secmp0032_never_remedied_share=0.0, cpa__lead_time_days=0.0,
              deployment__firmware_rollout_days=0.0)


def _mean(out, option, metric, reps=R):
    return sum(out[(option, r, metric)] for r in range(reps)) / reps


# -- 1. common random numbers -------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "low", "high", "affected"), [
    # the example: power-ons open join windows, nothing else
    ("incidents.hub_power_cycles_per_year", 2.0, 50.0, ()),
    ("attackers.density", 0.00001, 0.001, ()),
    ("costs.engineer_visit_pence", 5000, 30000, ()),
    # a phone-app route exists only under the meter-radio options
    ("customer.smartphone_prob", 0.5, 0.95, ("meter_bluetooth", "meter_nfc")),
    # neighbours matter only to mesh hubs
    ("mesh.same_supplier_share", 0.1, 0.9, ("mesh_hub",)),
    # SECMP0032's own never-remedied share
    ("remedy.secmp0032_never_remedied_share", 0.0, 0.01, ("secmp0032", "secmp0037+secmp0032")),
    # the PPMID-loss rate cannot touch no-WAN installs (the PPMID is there, unpaired)
    ("incidents.ppmid_lost_per_year", 0.02, 0.15, "install-only"),
])
def test_a_parameter_without_a_causal_path_leaves_the_metric_bit_identical(make, path, low, high, affected):
    s = make({"premises": 2 * 8192 + 500, "replicates": 2, "seed": 21})
    lo = run_in_memory(s.with_param(path, low), workers=1)
    hi = run_in_memory(s.with_param(path, high), workers=1)
    metrics = ("no_route_days_install",) if affected == "install-only" else HARM
    changed = []
    for o in s.options:
        if affected != "install-only" and o in affected:
            continue
        for r in range(2):
            for m in metrics:
                if lo[(o, r, m)] != hi[(o, r, m)]:  # bit for bit: not approx
                    changed.append((o, r, m, lo[(o, r, m)], hi[(o, r, m)]))
    assert changed == []
    if affected not in ((), "install-only"):  # ... and the parameter does move what it causes
        assert any(lo[(o, 0, m)] != hi[(o, 0, m)] for o in affected for m in HARM)


# -- 5. F7.18 as written --------------------------------------------------------------------------------------
def _wan_lost_only(make, options, **params):
    base = dict(incidents__installs_per_year=0.0, incidents__no_wan_at_install_prob=0.0,
                incidents__ppmid_lost_per_year=0.0, incidents__hub_power_cycles_per_year=0.0,
                remedy__engineer_dispatch_prob=0.0, customer__meter_keypad_reachable_prob=1.0, **STEADY)
    base.update(params)
    return make({"premises": N, "replicates": R, "seed": 7, "horizon_days": 365.0, "options": options}, **base)


def test_f718_a_share_of_cases_is_never_remedied_and_lasts_to_the_horizon(make):
    lam, m, cap, f, H = 0.5, 20.0, 90.0, 0.2, 365.0
    s = _wan_lost_only(make, ["baseline", "secmp0032"], incidents__wan_lost_per_year=lam, remedy__dcc_mean_days=m,
                       remedy__baseline_max_days=cap, remedy__secmp0032_max_days=30.0,
                       remedy__never_remedied_share=f, remedy__secmp0032_never_remedied_share=0.0)
    out = run_in_memory(s, workers=1)
    # a made-good case lasts min(X, cap), X ~ Exp(m); a never-remedied one from its start a ~ U(0, H) to H
    made_good = m * (1 - math.exp(-cap / m))
    second = (1 - f) * (2 * m * m * (1 - math.exp(-cap / m)) - 2 * m * cap * math.exp(-cap / m)) + f * H * H / 3
    se = math.sqrt(lam * second / (N * R))
    assert _mean(out, "baseline", "wan_down_days") == pytest.approx(lam * ((1 - f) * made_good + f * H / 2),
                                                                    abs=4 * se)
    # cases never remedied, per premises: Poisson(lam) cases thinned by f, so lam f (customers: 1 - e^{-lam f}
    # = 0.095 here; the metric counts cases, a customer rarely having two at the default rates)
    assert _mean(out, "baseline", "unremedied_customers_share") == pytest.approx(lam * f, abs=4 * math.sqrt(
        lam * f / (N * R)))
    # SECMP0032 with its own share (0 here): every case made good within 30 days
    assert _mean(out, "secmp0032", "unremedied_customers_share") == 0.0
    m30 = m * (1 - math.exp(-30.0 / m))
    se30 = math.sqrt(lam * (2 * m * m * (1 - math.exp(-30 / m)) - 60 * m * math.exp(-30 / m)) / (N * R))
    assert _mean(out, "secmp0032", "wan_down_days") == pytest.approx(lam * m30, abs=4 * se30)


# -- 6. mesh neighbour rule -----------------------------------------------------------------------------------
@pytest.mark.parametrize("rule", ["all_same_supplier", "any_same_supplier"])
def test_mesh_neighbour_rule_closed_form(make, rule):
    k, share, wan_p, mesh_p, m = 4.0, 0.2, 0.8, 0.5, 20.0
    s = _wan_lost_only(make, ["baseline", "mesh_hub"], incidents__wan_lost_per_year=1.0, remedy__dcc_mean_days=m,
                       remedy__baseline_max_days=1e6, mesh__broker_days=1e6, mesh__neighbours_in_range_mean=k,
                       mesh__same_supplier_share=share, mesh__neighbour_wan_prob=wan_p,
                       mesh__neighbour_mesh_capable_prob=mesh_p, mesh__neighbour_rule=rule,
                       deployment__existing_new_hardware_share=1.0)
    out = run_in_memory(s, workers=1)
    # thinning a Poisson(k) count: same-supplier usable neighbours ~ Poisson(k s q), other-supplier ~ Poisson(k(1-s))
    q = wan_p * mesh_p
    p_usable_same = 1 - math.exp(-k * share * q)
    p_now = p_usable_same * (math.exp(-k * (1 - share)) if rule == "all_same_supplier" else 1.0)
    # with broker days and the cap out of reach, the mesh only ends cases at once: E[D] = m (1 - p_now)
    ratio = _mean(out, "mesh_hub", "wan_down_days") / _mean(out, "baseline", "wan_down_days")
    # a ratio of CRN sums: its error is about sqrt(p(1-p)/cases) (cases ~ N R), widened for the D weights
    assert ratio == pytest.approx(1 - p_now, abs=4 * math.sqrt(2 * p_now * (1 - p_now) / (N * R)) + 1e-3)


def test_the_seeds_reading_of_mesh_is_the_default(make):
    assert make().mesh.neighbour_rule.value == "all_same_supplier"


# -- 7. years and growth --------------------------------------------------------------------------------------
def test_fleet_growth_per_year_closed_form(make):
    g, years = 0.5, 3
    s = make({"premises": 20_000, "replicates": 1, "seed": 3, "horizon_days": 365.0 * years,
              "options": ["baseline"]}, growth__prepay_fleet_per_year=g)
    out = run_in_memory(s, workers=1)
    # premises is the fleet at the end; the share present by day t is (1+g)^((t-H)/365), so year y's
    # premises-years per premises are the integral of it over the year: ((1+g)^(y-Y) - (1+g)^(y-1-Y)) / ln(1+g)
    for y in range(1, years + 1):
        expected = ((1 + g) ** (y - years) - (1 + g) ** (y - 1 - years)) / math.log(1 + g)
        assert out[("baseline", 0, f"fleet_share@y{y}")] == pytest.approx(expected, abs=4 * 0.5 / math.sqrt(20_000))


def test_new_hardware_only_options_grow_into_the_fleet_year_by_year(make):
    s = make({"premises": 40_000, "replicates": 1, "seed": 4, "horizon_days": 365.0 * 4,
              "options": ["baseline", "meter_bluetooth"]},
             incidents__installs_per_year=0.5, incidents__no_wan_at_install_prob=0.0,
             incidents__wan_lost_per_year=0.5, incidents__ppmid_lost_per_year=6.0,
             remedy__engineer_dispatch_prob=0.0, customer__meter_keypad_reachable_prob=0.0,
             customer__smartphone_prob=1.0, **STEADY)
    out = run_in_memory(s, workers=1)
    ratio = [out[("meter_bluetooth", 0, f"no_route_days@y{y}")] / out[("baseline", 0, f"no_route_days@y{y}")]
             for y in range(1, 5)]
    # new meters reach 1 - e^{-0.5 t} of the fleet by year t: about 0.22, 0.53, 0.72, 0.83 mid-year, so the
    # phone route removes a growing share of the no-route days (exact values: episodes start and run late)
    assert all(later < earlier - 0.05 for earlier, later in zip(ratio, ratio[1:], strict=False))
    assert ratio[0] > 0.6 and ratio[-1] < 0.3


# -- one episode by hand (the LOST situation of test_episodes.py) ----------------------------------------------
LOST = dict(install_episode=False, start_days=57.2, dcc_days=50.0, credit_pence=2000.0, daily_spend_pence=300.0,
            ppmid_loss_days=6.25, hub_reachable=True, firmware=True)


@pytest.fixture
def params(make):
    def build(**overrides):
        base = dict(remedy__dcc_mean_days=20.0, remedy__baseline_max_days=90.0, remedy__ppmid_delivery_days=3.0,
                    remedy__consumer_action_days=0.5, remedy__local_pairing_actor="consumer",
                    remedy__engineer_response_days=5.0, customer__emergency_credit_pence=0,
                    debt__electricity_standing_charge_pence_per_day=60, debt__gas_standing_charge_pence_per_day=30,
                    remedy__gas_enable_days=2.0, **STEADY)
        base.update(overrides)
        return ModelParams.from_scenario(make({"premises": 1, "replicates": 1, "options": ["baseline"]}, **base))
    return build


def test_an_engineer_who_cannot_pair_leaves_the_meter_in_credit_mode(params):
    out = fleet_outcome(params(remedy__engineer_pairs_without_wan=False), Situation(**LOST, dispatch=True),
                        "baseline")
    # no route from the loss (day 6.25) to the visit 5 days later; then credit mode until the WAN returns on day
    # 50: 38.75 days billed at 300p = 11,625p of arrears and no UTRN needed; UTRN-only only before the loss
    assert out["no_route_days"] == pytest.approx(5.0)
    assert out["credit_mode_days"] == pytest.approx(38.75)
    assert out["debt_credit_mode_pence"] == pytest.approx(11_625.0)
    assert out["utrn_only_days"] == pytest.approx(6.25)
    paired = fleet_outcome(params(remedy__engineer_pairs_without_wan=True), Situation(**LOST, dispatch=True),
                           "baseline")
    assert paired["debt_credit_mode_pence"] == 0.0 and paired["utrn_only_days"] == pytest.approx(45.0)


def test_gas_is_re_enabled_only_at_the_meter(params):
    p = params()
    s = Situation(install_episode=True, start_days=10.0, dcc_days=20.0, credit_pence=600.0, daily_spend_pence=300.0)
    d = dataclasses.replace(situation_draws(s), gas=np.array([True]))
    out = evaluate_option(p, d, combine("baseline"))
    # credit lasts 2 days; electricity is back on when the WAN returns (day 20) and the PPMID pairs: 18 days off;
    # gas needs someone at the meter 2 days after the route is back: 20 days off
    assert out["self_disconnection_hours"] == pytest.approx(24 * 18)
    assert out["gas_self_disconnection_hours"] == pytest.approx(24 * 20)
    assert out["self_disconnection_events"] == 1.0 and out["gas_self_disconnection_events"] == 1.0
    # standing charges accrue as arrears while off: 18 x 60p + 20 x 30p
    assert out["debt_self_disconnection_pence"] == pytest.approx(18 * 60 + 20 * 30)
    assert out["premises_in_debt"] == 1.0 and out["premises_debt_over_threshold"] == 0.0  # 16.80 < 50


def test_a_cpa_lead_time_and_roll_out_delay_the_local_pairing(params):
    # SECMP0037 needs CPA: with 100 days of lead time the hub's firmware arrives on day 100, 42.8 days into the
    # outage that started on day 57.2; the PPMID lost on day 6.25 of it waits: 36.55 days without a route
    out = fleet_outcome(params(cpa__lead_time_days=100.0), Situation(**LOST), "secmp0037")
    assert out["no_route_days"] == pytest.approx(42.8 - 6.25)
    # without the delay it pairs 3.5 days after the loss (test_episodes.py: 84 h)
    assert fleet_outcome(params(), Situation(**LOST), "secmp0037")["no_route_days"] == pytest.approx(3.5)
    # half-way through a 40-day roll-out after the lead time (day 120): past the WAN's return on day 107.2
    d = dataclasses.replace(situation_draws(Situation(**LOST)), fw_rollout_u=np.array([0.5]))
    late = evaluate_option(params(cpa__lead_time_days=100.0, deployment__firmware_rollout_days=40.0), d,
                           combine("secmp0037"))
    assert late["no_route_days"] == pytest.approx(50.0 - 6.25) and late["local_pairings"] == 0.0


def test_power_cycling_the_hub_is_its_own_ability(params):
    s = Situation(**LOST)
    d = situation_draws(s)
    no = evaluate_option(params(), dataclasses.replace(d, can_power_cycle=np.array([False])),
                         combine("power_cycle_window"))
    yes = evaluate_option(params(), dataclasses.replace(d, can_power_cycle=np.array([True])),
                          combine("power_cycle_window"))
    assert no["no_route_days"] == pytest.approx(50.0 - 6.25) and no["local_pairings"] == 0.0  # as baseline
    assert yes["no_route_days"] == pytest.approx(3.5) and yes["local_pairings"] == 1.0


def test_power_cycle_default_is_conservative_and_labelled(make):
    p = make().customer.can_power_cycle_hub_prob
    assert p.value <= 0.1 and p.source.startswith("assumption:") and "electricity meter" in p.source


@pytest.mark.parametrize(("option", "no_route_days", "over"), [
    ("baseline", 43.75, (1, 1, 1, 1, 0)),  # no route from the loss to the WAN's return
    ("secmp0037", 3.5, (1, 1, 0, 0, 0)),
])
def test_customer_counts_and_the_cause_of_the_no_route_days(params, option, no_route_days, over):
    out = fleet_outcome(params(), Situation(**LOST), option)
    assert out["no_route_days"] == pytest.approx(no_route_days)
    assert out["no_route_days_wan_lost"] == pytest.approx(no_route_days) and out["no_route_days_install"] == 0.0
    got = tuple(out[k] for k in ("premises_no_route_any", "premises_no_route_over_1d", "premises_no_route_over_7d",
                                 "premises_no_route_over_30d", "premises_no_route_over_90d"))
    assert got == over


def test_an_unremedied_case_runs_to_the_horizon(params):
    d = dataclasses.replace(situation_draws(Situation(**LOST)), ep_never_u=np.array([0.005]))
    out = evaluate_option(params(remedy__never_remedied_share=0.01), d, combine("baseline"))
    # never made good: the WAN is down from day 57.2 to the end of the year (307.8 days), the PPMID lost on day
    # 6.25 of it is never paired
    assert out["wan_down_days"] == pytest.approx(365.0 - 57.2)
    assert out["no_route_days"] == pytest.approx(365.0 - 57.2 - 6.25)
    assert out["no_route_days_unremedied"] == out["no_route_days"] and out["premises_unremedied"] == 1.0
    # a repeater that can fix the signal ends it when fitted (10 days in)
    fixable = dataclasses.replace(d, ep_fixable=np.array([True]))
    rep = evaluate_option(params(remedy__never_remedied_share=0.01), fixable, combine("wan_repeaters"))
    assert rep["wan_down_days"] == pytest.approx(10.0) and rep["premises_unremedied"] == 0.0


# -- weighted episodes ------------------------------------------------------------------------------------------
def test_weighted_episodes_keep_the_mean_and_cut_the_spread(make):
    import statistics

    s = make({"premises": 30_000, "replicates": 12, "seed": 9, "options": ["baseline"]})
    spread = {}
    means = {}
    for weighted in (False, True):
        out = run_in_memory(s.model_copy(update={"variance_reduction": weighted}), workers=1)
        v = [out[("baseline", r, "no_route_days")] for r in range(12)]
        means[weighted], spread[weighted] = statistics.fmean(v), statistics.stdev(v)
    # the same expectation: the difference within 4 standard errors of the (noisy) drawn-event mean
    assert means[True] == pytest.approx(means[False], abs=4 * spread[False] / math.sqrt(12))
    # no-WAN installs (1% of installs) and PPMID losses inside outages integrated out: at least 4x less spread
    assert spread[True] < spread[False] / 4


def test_per_year_sums_split_a_stretch_over_the_years_it_overlaps(make):
    p = ModelParams.from_scenario(make({"premises": 1, "replicates": 1, "options": ["baseline"],
                                        "horizon_days": 730.0}, **STEADY))
    # no WAN at an install on day 300, made good on day 390 (the 90-day cap): 65 days in year 1, 25 in year 2;
    # the PPMID pairs when the WAN is back, so the same 65 + 25 no-route days; credit for 15 days, so off supply
    # from day 315: 50 days in year 1 and 25 in year 2
    s = Situation(install_episode=True, start_days=300.0, dcc_days=120.0, credit_pence=4500.0,
                  daily_spend_pence=300.0)
    out = fleet_outcome(p, s, "baseline")
    assert (out["wan_down_days@y1"], out["wan_down_days@y2"]) == pytest.approx((65.0, 25.0))
    assert (out["no_route_days@y1"], out["no_route_days@y2"]) == pytest.approx((65.0, 25.0))
    assert (out["self_disconnection_hours@y1"], out["self_disconnection_hours@y2"]) == pytest.approx(
        (24 * 50.0, 24 * 25.0))
    assert out["utrn_only_days@y2"] == 0.0 and out["exposure_years@y1"] == out["exposure_years@y2"] == 1.0
