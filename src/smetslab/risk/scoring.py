"""Scoring: likelihood and impact levels from simulated figures, and the three rating methods.

Theory of operation (docs/risk.md): every level is 1-5. Likelihood comes from the expected successful
attacks a year across the GB fleet through the scenario's ``risk.likelihood_edges`` (level = 1 + the
number of edges at or below the value), lowered by the controls in force. Impact escalates with how
many premises one success reaches: one premises (1), a street (2), a large urban area (3), more (4),
and 5 when the load it could switch reaches the GB normal infeed loss limit or it reaches half the
national fleet (the whole infrastructure). The methods:

- ``seed``: threat capability x (likelihood + impact), 2-50, banded Critical/High/Moderate/Low
  (the SECMP0038 assessment's formula, DESIGN.md);
- ``nist``: overall likelihood x impact, 1-25, a 5x5 matrix in the style of NIST SP 800-30 Rev. 1 Appendix I,
  the overall likelihood the rounded-up mean of capability (initiation) and likelihood (Appendix G);
- ``owasp``: the OWASP Risk Rating Methodology: likelihood = mean of capability and likelihood, both on
  0-9, impact on 0-9, each LOW/MEDIUM/HIGH, and its 3x3 severity matrix.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Literal

__all__ = ["RATINGS", "Rating", "Method", "METHODS", "likelihood_level", "impact_level", "score",
           "score_seed", "score_nist", "nist_likelihood", "score_owasp", "owasp_level", "rating_at_most"]

Rating = Literal["Low", "Moderate", "High", "Critical"]
RATINGS: tuple[Rating, ...] = ("Low", "Moderate", "High", "Critical")
Method = Literal["seed", "nist", "owasp"]
METHODS: tuple[Method, ...] = ("seed", "nist", "owasp")


def likelihood_level(attacks_per_year: float, edges: Sequence[float], control_levels: int = 0) -> int:
    """1-5 from expected successful attacks a year across the fleet, minus the controls' levels (>= 1)."""
    raw = 1 + bisect_right(list(edges), attacks_per_year)
    return max(1, raw - control_levels)


def impact_level(premises: float, mw: float, *, street: float, urban: float, normal_infeed_loss_mw: float,
                 national_premises: float) -> int:
    """1-5 from one success's reach (premises) and the load it could switch (MW)."""
    if mw >= normal_infeed_loss_mw or premises >= 0.5 * national_premises:
        return 5
    if premises <= 1:
        return 1
    if premises <= street:
        return 2
    if premises <= urban:
        return 3
    return 4


def _band(value: float, critical: float, high: float, moderate: float) -> Rating:
    if value >= critical:
        return "Critical"
    if value >= high:
        return "High"
    if value >= moderate:
        return "Moderate"
    return "Low"


def score_seed(capability: int, likelihood: int, impact: int, bands: tuple[float, float, float]) -> tuple[float, Rating]:
    """Threat capability x (likelihood + impact); ``bands`` = lowest Critical, High, Moderate score."""
    s = float(capability * (likelihood + impact))
    return s, _band(s, *bands)


def nist_likelihood(capability: int, likelihood: int) -> int:
    """Overall likelihood for an adversarial threat: NIST SP 800-30 Rev. 1 Appendix G combines the likelihood of
    initiation (the adversary's capability) with that of success; here the mean of the two, rounded up."""
    return -(-(capability + likelihood) // 2)


def score_nist(capability: int, likelihood: int, impact: int, bands: tuple[float, float, float]) -> tuple[float, Rating]:
    """Overall likelihood x impact (5x5 matrix)."""
    s = float(nist_likelihood(capability, likelihood) * impact)
    return s, _band(s, *bands)


def _to9(level: int) -> float:
    return (level - 1) * 9.0 / 4.0


def owasp_level(value: float, edges: Sequence[float]) -> Literal["LOW", "MEDIUM", "HIGH"]:
    if value < edges[0]:
        return "LOW"
    if value < edges[1]:
        return "MEDIUM"
    return "HIGH"


# OWASP overall severity: (impact level, likelihood level) -> severity; Note reads as Low, Medium as Moderate
_OWASP: dict[tuple[str, str], Rating] = {
    ("HIGH", "LOW"): "Moderate", ("HIGH", "MEDIUM"): "High", ("HIGH", "HIGH"): "Critical",
    ("MEDIUM", "LOW"): "Low", ("MEDIUM", "MEDIUM"): "Moderate", ("MEDIUM", "HIGH"): "High",
    ("LOW", "LOW"): "Low", ("LOW", "MEDIUM"): "Low", ("LOW", "HIGH"): "Moderate",
}


def score_owasp(capability: int, likelihood: int, impact: int, edges: Sequence[float]) -> tuple[float, Rating]:
    """OWASP: likelihood 0-9 = mean of capability and likelihood on 0-9; impact 0-9; 3x3 severity matrix.
    The score (for ordering) is likelihood x impact on 0-81."""
    lk = (_to9(capability) + _to9(likelihood)) / 2.0
    im = _to9(impact)
    return lk * im, _OWASP[(owasp_level(im, edges), owasp_level(lk, edges))]


def score(method: Method, capability: int, likelihood: int, impact: int, *, bands: tuple[float, float, float],
          owasp_edges: Sequence[float]) -> tuple[float, Rating]:
    if method == "seed":
        return score_seed(capability, likelihood, impact, bands)
    if method == "nist":
        return score_nist(capability, likelihood, impact, bands)
    return score_owasp(capability, likelihood, impact, owasp_edges)


def rating_at_most(rating: Rating, ceiling: Rating) -> bool:
    return RATINGS.index(rating) <= RATINGS.index(ceiling)
