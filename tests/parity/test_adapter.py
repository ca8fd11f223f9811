"""The mapping itself (tests/_parity_adapter.py): one-premises draws reproduce the engine's block, stories keep every
time-of-day rule, the emulated meter runs out when the fleet model says, and what cannot be mapped is refused."""

from __future__ import annotations

import math

import pytest
from _paritykit import params, scenario

from _parity_adapter import Situation, episode_situation, fleet_outcome, situation_story
from smetslab.fleet.model import ModelParams, draw_block, evaluate_option
from smetslab.policy.options import combine
from smetslab.premises.runner import run_story
from smetslab.premises.story import validate_story

DAY = 86_400.0
OPTIONS = ("baseline", "secmp0037", "hub_button", "alternating_windows", "power_cycle_window", "secmp0032",
           "meter_bluetooth", "firmware_preauth", "secmp0037+secmp0032")
EPISODE_SUMS = ("no_route_days", "self_disconnection_hours", "utrn_only_days", "wan_down_days", "local_pairings",
                "engineer_visits")


def test_one_premises_draws_reproduce_the_engines_block():
    # every incident type at once, engineers sent, keypads and hubs sometimes reachable, some new hardware
    s = scenario({"premises": 3000, "seed": 99, "horizon_days": 365.0},
                 incidents__installs_per_year=0.5, incidents__no_wan_at_install_prob=0.5,
                 incidents__wan_lost_per_year=0.5, incidents__ppmid_lost_per_year=6.0,
                 remedy__engineer_dispatch_prob=0.5, customer__emergency_credit_pence=700,
                 deployment__existing_new_hardware_share=0.2, deployment__preauth_spare_share=0.7)
    p = ModelParams.from_scenario(s)
    d = draw_block(p, 0, 0)
    assert d.ep_install.any() and (~d.ep_install).any()
    for option in OPTIONS:
        block = evaluate_option(p, d, combine(option))
        per_episode = [fleet_outcome(p, episode_situation(d, i), option) for i in range(d.ep_premises.size)]
        for key in EPISODE_SUMS:
            assert math.fsum(o[key] for o in per_episode) == pytest.approx(block[key], rel=1e-9), (option, key)


def _next_window_by_hand(t_s: float) -> float:
    """One 5-minute window a day, at 00:00 on even days and 12:00 on odd days (docs/stories.md), by scanning."""
    day = math.floor(t_s / DAY)
    for d in range(day, day + 3):
        start = d * DAY + (0.0 if d % 2 == 0 else DAY / 2)
        if t_s < start + 300.0:
            return max(start, t_s)
    raise AssertionError("no window within three days")


@pytest.mark.parametrize("start_days", [0.4, 1.0, 2.99, 3.0, 57.2, 100.3, 364.75])
def test_stories_move_episodes_by_whole_two_day_periods(start_days):
    p = params()
    s = Situation(False, start_days, 20.0, 1500.0, 300.0, ppmid_loss_days=6.25)
    story = situation_story(p, s, "alternating_windows")
    validate_story(story)
    (lost,) = [st["at"] for st in story["timeline"] if st["do"] == "wan_lost"]
    shift = start_days * DAY - lost
    assert shift % (2 * DAY) == pytest.approx(0.0, abs=1e-6)
    assert lost == pytest.approx(start_days * DAY) if start_days < 1.0 else DAY <= lost < 3 * DAY
    (arrives,) = [st["at"] for st in story["timeline"] if st["do"] == "replacement_ppmid_arrives"]
    original = arrives + shift
    assert arrives - lost == pytest.approx((6.25 + 3.0 + 0.5) * DAY)  # loss, then delivery + consumer action
    assert _next_window_by_hand(arrives) - arrives == pytest.approx(_next_window_by_hand(original) - original)


@pytest.mark.parametrize(("credit", "spend"), [(1234.56, 311.7), (40.0, 97.3), (5000.0, 1001.0)])
def test_the_emulated_meter_runs_out_when_the_fleet_model_says(credit, spend):
    p = params()
    s = Situation(False, 57.2, 60.0, credit, spend, ppmid_loss_days=6.25)
    story = situation_story(p, s, "baseline")
    (lost,) = [st["at"] for st in story["timeline"] if st["do"] == "ppmid_lost"]
    run = run_story(validate_story(story))
    (off,) = [r for r in run.records if r.device == "ESME" and r.event == "SupplyDisabled"]
    t_out = lost + credit / spend * DAY  # the fleet model: C / S_d days into the stretch
    penny_s = DAY / round(spend)
    assert t_out - penny_s - 1.0 < off.fields["at"] <= t_out


def test_what_the_mapping_cannot_express_is_refused():
    p = params()
    lost = Situation(False, 57.2, 20.0, 1500.0, 300.0, ppmid_loss_days=6.25, spare=False)
    with pytest.raises(ValueError, match="pre-registers a spare"):
        situation_story(p, lost, "firmware_preauth")
    for option in ("wan_repeaters", "mini_base_stations", "mesh_hub", "secmp0037+mesh_hub"):
        with pytest.raises(ValueError, match="wan_repeaters/mini_base_stations/mesh_hub"):
            situation_story(p, lost, option)
    with pytest.raises(ValueError, match="daily_spend_pence"):
        Situation(False, 57.2, 20.0, 1500.0, 0.0)
    with pytest.raises(ValueError, match="ppmid_loss_days"):
        Situation(False, 57.2, 20.0, 1500.0, 300.0, ppmid_loss_days=-1.0)
