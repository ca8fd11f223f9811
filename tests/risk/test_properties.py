"""Properties (issue 9, point 6): more openings, longer windows or longer radio range never lower a
likelihood; adding a control never raises a risk. Checked on the attacker rules, on the fleet's exposure
sums (every class) and on the register."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from _riskkit import means_of, small
from hypothesis import given, settings
from hypothesis import strategies as st

from smetslab.fleet.exposure import WindowExposure, exposure_sums
from smetslab.fleet.model import ModelParams
from smetslab.policy import attackers as A
from smetslab.policy.options import combine
from smetslab.risk import RiskParams, load_catalogue, registers
from smetslab.risk.scoring import RATINGS

share = st.floats(0.0, 1.0)
count = st.floats(0.0, 2000.0)


@given(a=count, cap=share, s1=share, s2=share)
def test_opportunist_success_grows_with_open_time_and_attempts(a, cap, s1, s2):
    lo, hi = sorted((s1, s2))
    assert A.opportunistic_success(a, cap, lo) <= A.opportunistic_success(a, cap, hi)
    assert A.opportunistic_success(a, cap, hi) <= A.opportunistic_success(a + 1.0, cap, hi)


@given(o1=count, o2=count, dwell=share, cap=share, standing=st.sampled_from([0.0, 1.0]))
def test_persistent_and_supply_chain_success_grow_with_openings(o1, o2, dwell, cap, standing):
    lo, hi = sorted((o1, o2))
    assert A.persistent_success(lo, dwell, cap, standing) <= A.persistent_success(hi, dwell, cap, standing) + 1e-15
    assert A.supply_chain_success(lo, standing, cap) <= A.supply_chain_success(hi, standing, cap) + 1e-15
    assert A.persistent_success(hi, dwell, cap, 0.0) <= A.persistent_success(hi, dwell, cap, 1.0) + 1e-15


@given(o1=count, o2=count, a=count, cap=share, s=share)
def test_schedule_aware_success_grows_with_scheduled_openings(o1, o2, a, cap, s):
    lo, hi = sorted((o1, o2))
    assert A.schedule_aware_success(a, cap, s, lo) <= A.schedule_aware_success(a, cap, s, hi) + 1e-15


def _P(**changes: Any) -> ModelParams:
    """gb-default's parameters with some changed (each change validated, as a sweep point is)."""
    from smetslab.interfaces.config import load_scenario

    s = load_scenario(None)
    for path, value in changes.items():
        s = s.with_param(path, value)
    return ModelParams.from_scenario(s)


@st.composite
def windows(draw: Any) -> WindowExposure:
    n = 6
    arr = st.lists(st.floats(0.0, 8760.0), min_size=n, max_size=n)
    flags = st.lists(st.booleans(), min_size=n, max_size=n)
    zig = np.array(draw(arr))
    return WindowExposure(
        zig_h=zig, phone_h=np.zeros(n), openings=np.array(draw(st.lists(st.floats(0.0, 800.0), min_size=n, max_size=n))),
        scheduled_openings=np.zeros(n), standing=np.array(draw(flags), dtype=float),
        ppmid_admitted=np.array(draw(flags)), preauth_exposed=np.zeros(n), join_events=np.ones(n))


KEYS = [f"{k}_{c}" for c in A.ATTACKER_CLASSES for k in ("rogue_joins", "dos_hours")]


def _no_lower(before: dict[str, float], after: dict[str, float]) -> None:
    for k in KEYS:
        assert after[k] >= before[k] - 1e-12 * max(1.0, abs(before[k])), k


@settings(max_examples=60, deadline=None)
@given(w=windows(), extra_h=st.floats(0.0, 500.0), extra_open=st.floats(0.0, 50.0))
def test_longer_windows_and_more_openings_never_lower_any_class_exposure(w, extra_h, extra_open):
    p, eff = _P(), combine("secmp0037")
    before = exposure_sums(p, eff, w)
    longer = dataclasses.replace(w, zig_h=np.minimum(w.zig_h + extra_h, 8760.0))
    _no_lower(before, exposure_sums(p, eff, longer))
    more = dataclasses.replace(w, openings=w.openings + extra_open)
    _no_lower(before, exposure_sums(p, eff, more))


@settings(max_examples=40, deadline=None)
@given(w=windows(), mult=st.floats(1.0, 10.0))
def test_a_longer_radio_range_never_lowers_any_class_exposure(w, mult):
    eff = combine("alternating_windows")
    short = exposure_sums(_P(**{"han.band_868mhz": False}), eff, w)
    long = exposure_sums(_P(**{"han.band_868mhz": True, "han.range_multiplier_868mhz": mult}), eff, w)
    _no_lower(short, long)


def test_the_868mhz_band_never_lowers_a_likelihood_in_the_register(default_run):
    s, m = default_run
    s868 = small(**{"han.band_868mhz": True})
    m868 = means_of(s868)
    cat = load_catalogue()
    regs = registers(m, RiskParams.from_scenario(s), cat, "seed")
    regs868 = registers(m868, RiskParams.from_scenario(s868), cat, "seed")
    raised = 0
    for o in regs:
        for r in regs[o].rows:
            r868 = next(x for x in regs868[o].rows if x.threat_id == r.threat_id)
            assert r868.likelihood >= r.likelihood and r868.impact >= r.impact, (o, r.threat_id)
            raised += r868.likelihood > r.likelihood or r868.impact > r.impact
    assert raised > 0  # and it does raise some (radio-range classes, radio reach)


@settings(max_examples=25, deadline=None)
@given(control=st.sampled_from(A.CONTROLS), method=st.sampled_from(["seed", "nist", "owasp"]))
def test_adding_a_control_never_raises_a_risk(default_run, control, method):
    s, m = default_run
    cat = load_catalogue()
    rp = RiskParams.from_scenario(s)
    without = dataclasses.replace(rp, controls_in_force=rp.controls_in_force - {control}, cpa_enforced=False)
    with_ = dataclasses.replace(without, controls_in_force=without.controls_in_force | {control})
    a, b = registers(m, without, cat, method), registers(m, with_, cat, method)
    for o in a:
        for ra, rb in zip(a[o].rows, b[o].rows, strict=True):
            assert rb.score <= ra.score and RATINGS.index(rb.rating) <= RATINGS.index(ra.rating), (o, ra.threat_id)


def test_dcc_anomaly_detection_lowers_some_risk(default_run):
    s, m = default_run
    cat = load_catalogue()
    rp = RiskParams.from_scenario(s)
    on = dataclasses.replace(rp, controls_in_force=rp.controls_in_force | {"dcc_anomaly_detection"})
    a, b = registers(m, rp, cat, "seed"), registers(m, on, cat, "seed")
    assert sum(r.total_score for r in b.values()) < sum(r.total_score for r in a.values())


def test_the_868mhz_band_multiplies_the_radio_classes_prevalence_and_leaves_the_others():
    # hand-worked: prevalence x range factor for the classes that need radio range, nothing for physical and
    # supply chain (at the hub / inside the home)
    n = 4
    w = WindowExposure(zig_h=np.array([3.0, 30.0, 300.0, 8760.0]), phone_h=np.zeros(n),
                       openings=np.array([3.0, 365.0, 10.0, 1.0]), scheduled_openings=np.array([0.0, 365.0, 0.0, 0.0]),
                       standing=np.array([0.0, 0.0, 0.0, 1.0]), ppmid_admitted=np.array([False, True, True, True]),
                       preauth_exposed=np.zeros(n), join_events=np.ones(n))
    eff = combine("secmp0037")
    short = exposure_sums(_P(**{"han.band_868mhz": False}), eff, w)
    long = exposure_sums(_P(**{"han.band_868mhz": True, "han.range_multiplier_868mhz": 3.0}), eff, w)
    for c in ("opportunistic", "persistent", "schedule_aware", "insider"):
        assert long[f"rogue_joins_{c}"] == pytest.approx(3.0 * short[f"rogue_joins_{c}"]) and short[f"rogue_joins_{c}"] > 0
    for c in ("physical", "supply_chain"):
        assert long[f"rogue_joins_{c}"] == pytest.approx(short[f"rogue_joins_{c}"])
