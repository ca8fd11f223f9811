"""One episode through ``model.evaluate_option``, against values worked out by hand (docs/fleet-model.md).

The three rules the parity tests found missing (docs/parity.md, findings 1-3): the UTRN-only days after an
engineer's visit, an armed meter that waits for someone to switch it on, and emergency credit that nobody can
activate in a no-route stretch. ``_parity_adapter.situation_draws`` (tests/) holds exactly one premises and one episode.
"""

from __future__ import annotations

import math
import warnings

import pytest

from _parity_adapter import Situation, fleet_outcome
from smetslab.fleet.model import ModelParams, draw_block, evaluate_option
from smetslab.policy.options import combine


@pytest.fixture
def params(make):
    def build(**overrides):
        base = dict(remedy__dcc_mean_days=20.0, remedy__baseline_max_days=90.0, remedy__secmp0032_max_days=30.0,
                    remedy__ppmid_delivery_days=3.0, remedy__consumer_action_days=0.5,
                    remedy__local_pairing_actor="consumer", remedy__engineer_response_days=5.0,
                    customer__emergency_credit_pence=0, remedy__engineer_pairs_without_wan=True,
                    cpa__lead_time_days=0.0, deployment__firmware_rollout_days=0.0)
        base.update(overrides)
        return ModelParams.from_scenario(make({"premises": 1, "replicates": 1, "options": ["baseline"]}, **base))
    return build


# WAN lost on day 57.2 for 50 days; the PPMID lost 6.25 days in; the replacement is there 3 + 0.5 days later
LOST = dict(install_episode=False, start_days=57.2, dcc_days=50.0, credit_pence=2000.0, daily_spend_pence=300.0,
            ppmid_loss_days=6.25, hub_reachable=True, firmware=True)


@pytest.mark.parametrize(("option", "no_route_h", "utrn_only_h"), [
    # the engineer comes 5 days into the 43.75 days without a PPMID and pairs one: 120 h without a route; UTRN
    # only before the loss (6.25 d = 150 h) and from the visit to the WAN's return (38.75 d = 930 h)
    ("baseline", 120.0, 1080.0),
    ("secmp0032", 120.0, 150.0 + 24 * (30.0 - 6.25 - 5.0)),  # the WAN back on day 30: 150 + 450 h
    # the replacement pairs locally on day 9.75, before the engineer would come: no visit
    ("secmp0037", 84.0, 1200.0 - 84.0),
])
def test_utrn_only_days_after_an_engineer_visit(params, option, no_route_h, utrn_only_h):
    out = fleet_outcome(params(), Situation(**LOST, dispatch=True), option)
    assert 24 * out["no_route_days"] == pytest.approx(no_route_h)
    assert 24 * out["utrn_only_days"] == pytest.approx(utrn_only_h)
    assert out["engineer_visits"] == (0.0 if option == "secmp0037" else 1.0)
    assert out["self_disconnection_hours"] == 0.0  # the credit lasts 6.67 days


@pytest.mark.parametrize(("dcc_days", "keypad", "off_h"), [
    # the WAN is back on day 8, the replacement is there on day 9.75, the credit ran out on day 7.25: the armed
    # meter is switched on from the replacement once it is paired: off 2.5 days
    (8.0, False, 60.0),
    # the WAN is back on day 11, after the replacement (waiting for the WAN to pair): off day 7.25 to 11
    (11.0, False, 90.0),
    # the keypad is reachable: a route throughout, never off
    (8.0, True, 0.0),
])
def test_an_armed_meter_waits_for_a_person(params, dcc_days, keypad, off_h):
    s = Situation(**{**LOST, "credit_pence": 300.0, "dcc_days": dcc_days, "keypad": keypad})
    out = fleet_outcome(params(), s, "baseline")
    assert out["self_disconnection_hours"] == pytest.approx(off_h)


def test_an_engineer_switches_the_armed_meter_on(params):
    # no route from day 6.25; the credit runs out on day 7.25; the engineer comes on day 11.25 with a PPMID:
    # off 4 days, although the replacement would not be there before day 9.75 and the WAN not before day 50
    s = Situation(**{**LOST, "credit_pence": 300.0, "dispatch": True})
    assert fleet_outcome(params(), s, "baseline")["self_disconnection_hours"] == pytest.approx(96.0)


@pytest.mark.parametrize(("situation", "off_h"), [
    # no WAN at install for 40 days, keypad out of reach: off after C/S = 5 days, whatever E
    (Situation(True, 100.3, 40.0, 1500.0, 300.0, hub_reachable=True), 840.0),
    # WAN lost 50 days, PPMID lost on day 6.25: off from day 11.25 to day 50
    (Situation(**{**LOST, "credit_pence": 1500.0}), 930.0),
])
def test_emergency_credit_cannot_be_activated_without_a_route(params, situation, off_h):
    for ec in (0, 500, 5000):
        out = fleet_outcome(params(customer__emergency_credit_pence=ec), situation, "baseline")
        assert out["self_disconnection_hours"] == pytest.approx(off_h), ec


def test_no_floating_point_warnings_for_episodes_without_a_ppmid_loss(make):
    # no PPMID is ever lost (U = inf): the alternating-window wait must not be computed at t = inf (inf - inf)
    s = make({"premises": 3000, "seed": 8, "horizon_days": 365.0},
             incidents__wan_lost_per_year=0.5, incidents__ppmid_lost_per_year=0.0,
             incidents__no_wan_at_install_prob=0.5, incidents__installs_per_year=0.5)
    p = ModelParams.from_scenario(s)
    d = draw_block(p, 0, 0)
    assert not math.isfinite(d.ep_ppmid_loss_days[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for option in s.options:
            out = evaluate_option(p, d, combine(option))
            assert all(math.isfinite(v) for v in out.values()), option
