"""Hand-worked scoring examples for each method (docs/risk.md, "Scoring methods"), and the level bands.

Every expected value below is worked by hand from the method's definition, not read back from the code."""

from __future__ import annotations

import pytest

from smetslab.risk.scoring import impact_level, likelihood_level, score_nist, score_owasp, score_seed

SEED_BANDS = (36.0, 24.0, 12.0)  # Critical, High, Moderate lower edges (catalogue.yaml methods.seed)
NIST_BANDS = (20.0, 12.0, 5.0)
OWASP_EDGES = (3.0, 6.0)
EDGES = (0.1, 1.0, 10.0, 100.0)  # gb-default risk.likelihood_edges


@pytest.mark.parametrize("cap, lk, im, score, rating", [
    (5, 2, 4, 30.0, "High"),  # the relay cloud: 5 x (2 + 4) = 30; High starts at 24, Critical at 36
    (5, 3, 5, 40.0, "Critical"),  # 5 x 8 = 40 >= 36
    (2, 2, 2, 8.0, "Low"),  # 2 x 4 = 8 < 12
    (3, 2, 2, 12.0, "Moderate"),  # exactly on the Moderate edge
    (4, 4, 5, 36.0, "Critical"),  # exactly on the Critical edge
])
def test_seed_method_is_capability_times_likelihood_plus_impact(cap, lk, im, score, rating):
    assert score_seed(cap, lk, im, SEED_BANDS) == (score, rating)


@pytest.mark.parametrize("cap, lk, im, score, rating", [
    (3, 3, 4, 12.0, "High"),  # overall likelihood ceil((3 + 3) / 2) = 3; 3 x 4 = 12, the High edge
    (2, 1, 2, 4.0, "Low"),  # ceil(1.5) = 2; 2 x 2 = 4 < 5
    (5, 4, 4, 20.0, "Critical"),  # ceil(4.5) = 5; 5 x 4 = 20
    (1, 1, 5, 5.0, "Moderate"),  # 1 x 5 = 5, the Moderate edge
    (5, 2, 4, 16.0, "High"),  # the relay cloud: ceil(3.5) = 4; 4 x 4 = 16
])
def test_nist_method_is_a_5x5_product_of_overall_likelihood_and_impact(cap, lk, im, score, rating):
    assert score_nist(cap, lk, im, NIST_BANDS) == (score, rating)


@pytest.mark.parametrize("cap, lk, im, score, rating", [
    # capability 5 -> 9, likelihood 2 -> 2.25: mean 5.625 (MEDIUM); impact 4 -> 6.75 (HIGH): HIGH x MEDIUM = High
    (5, 2, 4, 5.625 * 6.75, "High"),
    # 1 -> 0 and 1 -> 0: likelihood 0 (LOW); impact 5 -> 9 (HIGH): HIGH x LOW = Medium -> Moderate
    (1, 1, 5, 0.0, "Moderate"),
    # 5 -> 9, 5 -> 9: 9 (HIGH); impact 5 -> 9 (HIGH): Critical
    (5, 5, 5, 81.0, "Critical"),
    # 3 -> 4.5, 3 -> 4.5 (MEDIUM); impact 2 -> 2.25 (LOW): LOW x MEDIUM = Low
    (3, 3, 2, 4.5 * 2.25, "Low"),
    # 2 -> 2.25, 1 -> 0: 1.125 (LOW); impact 1 -> 0 (LOW): Note -> Low
    (2, 1, 1, 0.0, "Low"),
])
def test_owasp_method_uses_its_severity_matrix(cap, lk, im, score, rating):
    s, r = score_owasp(cap, lk, im, OWASP_EDGES)
    assert s == pytest.approx(score) and r == rating


@pytest.mark.parametrize("attacks, controls, level", [
    (0.0, 0, 1), (0.0999, 0, 1), (0.1, 0, 2), (0.744, 0, 2), (1.0, 0, 3), (9.99, 0, 3), (10.0, 0, 4),
    (430.0, 0, 5), (430.0, 1, 4), (430.0, 9, 1), (0.05, 1, 1),
])
def test_likelihood_bands(attacks, controls, level):
    assert likelihood_level(attacks, EDGES, controls) == level


@pytest.mark.parametrize("premises, mw, level", [
    (1, 0.0015, 1), (40, 0.06, 2), (50, 0.075, 2), (51, 0.08, 3), (20000, 30.0, 3), (20001, 30.0, 4),
    (502267, 753.4, 4),  # SECMP0038 relay: a supplier's relay premises nationally, below the 1,320 MW limit
    (900000, 1350.0, 5),  # at the normal infeed loss limit
    (2_250_000, 10.0, 5),  # half the national fleet: the whole infrastructure
])
def test_impact_escalates_from_one_premises_to_the_grid(premises, mw, level):
    assert impact_level(premises, mw, street=50, urban=20000, normal_infeed_loss_mw=1320.0,
                        national_premises=4_500_000) == level
