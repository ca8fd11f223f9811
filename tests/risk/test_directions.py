"""The seed's directions (issue 9, point 6), on the fleet model's own metrics and on the register.

- Removing the 60-minute limit (SECMP0037) raises rogue-join and DoS exposure for every attacker class;
- the SECMP0038 relay cloud is rated at least High, because one breach reaches many HANs;
- alternating windows help far less against persistent or schedule-aware attackers than opportunistic ones.
"""

from __future__ import annotations

import pytest

from smetslab.policy.attackers import ATTACKER_CLASSES
from smetslab.risk import RiskParams, load_catalogue, registers

# the catalogue's hub-join-window threats per class: rogue joins and floods (catalogue.yaml HJW-01..12)
ROGUE = {"opportunistic": "HJW-01", "persistent": "HJW-02", "physical": "HJW-03", "schedule_aware": "HJW-04",
         "insider": "HJW-05", "supply_chain": "HJW-06"}
DOS = {"opportunistic": "HJW-07", "persistent": "HJW-08", "physical": "HJW-09", "schedule_aware": "HJW-10",
       "insider": "HJW-11", "supply_chain": "HJW-12"}


def _row(regs, option, threat):
    return next(r for r in regs[option].rows if r.threat_id == threat)


@pytest.mark.parametrize("cls", ATTACKER_CLASSES)
def test_removing_the_60_minute_limit_raises_rogue_join_and_dos_exposure_for_every_class(default_run, cls):
    _, m = default_run
    assert m["secmp0037"][f"rogue_joins_{cls}"] > m["baseline"][f"rogue_joins_{cls}"] > 0
    assert m["secmp0037"][f"dos_hours_{cls}"] > m["baseline"][f"dos_hours_{cls}"] > 0


@pytest.mark.parametrize("cls", ATTACKER_CLASSES)
def test_removing_the_60_minute_limit_raises_the_rogue_join_and_dos_risk_of_every_class(default_run, cls):
    s, m = default_run
    regs = registers(m, RiskParams.from_scenario(s), load_catalogue(), "seed")
    for threat in (ROGUE[cls], DOS[cls]):
        assert _row(regs, "secmp0037", threat).score > _row(regs, "baseline", threat).score, threat


@pytest.mark.parametrize("method", ["seed", "nist", "owasp"])
def test_removing_the_limit_never_lowers_those_risks_under_any_method(no_cpa_run, method):
    # (without CPA credited: the control SECMP0037 brings is tested on its own in test_properties)
    s, m = no_cpa_run
    regs = registers(m, RiskParams.from_scenario(s), load_catalogue(), method)
    for threat in (*ROGUE.values(), *DOS.values()):
        hi, lo = _row(regs, "secmp0037", threat), _row(regs, "baseline", threat)
        assert hi.likelihood > lo.likelihood and hi.score >= lo.score, threat


@pytest.mark.parametrize("method", ["seed", "nist", "owasp"])
def test_the_secmp0038_relay_cloud_is_rated_at_least_high(default_run, method):
    s, m = default_run
    regs = registers(m, RiskParams.from_scenario(s), load_catalogue(), method)
    row = _row(regs, "secmp0038", "RLY-01")
    assert row.rating in ("High", "Critical")
    assert row.impact >= 4 and row.reach_premises > 20_000  # one breach reaches beyond a large urban area
    assert "baseline" in regs and regs["baseline"].rating_of("RLY-01") is None  # the relay creates it


def test_alternating_windows_help_far_less_against_persistent_and_schedule_aware_attackers(default_run):
    """Relative to a standing window (SECMP0037), alternating 5-minute windows cut an opportunist's joins to a
    few per cent (the share of time open) but leave a device that waits, or one that knows the timetable,
    almost untouched: it is there when the window opens."""
    _, m = default_run

    def kept(cls):  # share of the standing window's rogue joins alternating windows keep
        return m["alternating_windows"][f"rogue_joins_{cls}"] / m["secmp0037"][f"rogue_joins_{cls}"]

    assert kept("opportunistic") < 0.1
    assert kept("persistent") > 0.5 and kept("schedule_aware") > 0.5
    assert kept("persistent") > 10 * kept("opportunistic") and kept("schedule_aware") > 10 * kept("opportunistic")


def test_alternating_windows_lower_the_opportunists_likelihood_more_than_the_others(default_run):
    s, m = default_run
    regs = registers(m, RiskParams.from_scenario(s), load_catalogue(), "seed")

    def drop(cls):
        return _row(regs, "secmp0037", ROGUE[cls]).likelihood - _row(regs, "alternating_windows", ROGUE[cls]).likelihood

    assert drop("opportunistic") > drop("persistent") and drop("opportunistic") > drop("schedule_aware")
