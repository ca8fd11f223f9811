"""Stability (issue 9, point 5): which risks change rating when a swept assumption moves to its low or high end."""

from __future__ import annotations

from _riskkit import small

from smetslab.fleet.scenario import SweepSpec
from smetslab.fleet.sensitivity import run_sweeps
from smetslab.risk import load_catalogue, stability


def test_rating_changes_come_from_security_assumptions_not_from_costs():
    s = small().model_copy(update={"sensitivity": [
        SweepSpec(param="costs.secmp0032_national", low=50_000_000_000, high=200_000_000_000, label="SECMP0032 cost"),
        SweepSpec(param="attacker_classes.ppmid_credential_prob", low=0.0, high=0.9, label="PPMID credentials"),
        SweepSpec(param="han.band_868mhz", low=False, high=True, label="HAN band 868 MHz"),
    ]})
    sens = run_sweeps(s, workers=1)
    changes = stability(sens, s, load_catalogue(), "seed")
    by_param = {c.param for c in changes}
    assert "costs.secmp0032_national" not in by_param  # the register does not read costs
    # PPMID credentials in attackers' hands drive the physical class wherever PPMIDs may join locally
    cred = [c for c in changes if c.param == "attacker_classes.ppmid_credential_prob"]
    assert cred and {c.option for c in cred} <= {"secmp0037", "alternating_windows", "hub_button", "meter_bluetooth"}
    assert all(c.option != "baseline" for c in cred)  # baseline admits no PPMID locally
    # the longer range of 868 MHz raises ratings (low end = the central 2.4 GHz: no change there), never lowers one
    band = [c for c in changes if c.param == "han.band_868mhz"]
    order = ("Low", "Moderate", "High", "Critical")
    assert band and all(c.end == "high" and order.index(c.moved) > order.index(c.central) for c in band)
