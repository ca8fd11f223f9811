"""The risk register: per option, every threat that applies, scored from that option's simulated metrics.

Theory of operation (docs/risk.md): ``RiskParams`` is the part of a validated scenario the register reads
(attacker capabilities and controls, grid, bands, appetite). ``option_register`` walks the catalogue: a
threat applies to an option unless the option lacks every component that creates it or has one that
removes it; its likelihood is derived from the option's metric means (``Exposure``), never typed in per
option; its impact from the reach rule, the HAN band and the grid; its score and rating from the chosen
method. ``registers`` adds the counts the seed's assessment reported (risks = threat x CIA effect, unique
risks, critical, high, moderate, low), what is new, removed or changed against ``baseline`` and whether
the option is within the risk appetite. ``stability`` re-scores the sensitivity sweeps' means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from smetslab.policy.attackers import ATTACKER_CLASSES, premises_in_range
from smetslab.policy.options import OPTIONS, combine
from smetslab.risk.catalogue import Catalogue, Threat
from smetslab.risk.scoring import (
    RATINGS,
    Method,
    Rating,
    impact_level,
    likelihood_level,
    rating_at_most,
    score,
)

if TYPE_CHECKING:
    from smetslab.fleet.scenario import Scenario

__all__ = ["RiskParams", "RegisterRow", "OptionRegister", "option_register", "registers", "stability",
           "StabilityChange", "BASELINE", "counts_row"]

BASELINE = "baseline"


@dataclass(frozen=True)
class RiskParams:
    """What the register reads of a scenario (typed, from ``Scenario``)."""

    national_premises: float
    radio_reach_premises: float  # one attacker position on the scenario's HAN band
    street_premises: float
    urban_area_premises: float
    admd_kw: float
    switchable_share: float
    normal_infeed_loss_mw: float
    capability: dict[str, int]
    stopped_by: dict[str, frozenset[str]]
    controls_in_force: frozenset[str]
    cpa_enforced: bool
    likelihood_edges: tuple[float, ...]
    method: Method
    appetite_max_rating: Rating
    appetite_max_high: int

    @classmethod
    def from_scenario(cls, s: Scenario, method: Method | None = None) -> RiskParams:
        ac = s.attacker_classes
        # typed reads (mypy checks each name); the opportunist's figures are attackers.* but its capability and
        # controls sit with the other classes'
        caps = {"opportunistic": ac.opportunistic_threat_capability, "persistent": ac.persistent_threat_capability,
                "physical": ac.physical_threat_capability, "schedule_aware": ac.schedule_aware_threat_capability,
                "insider": ac.insider_threat_capability, "supply_chain": ac.supply_chain_threat_capability}
        stops = {"opportunistic": ac.opportunistic_stopped_by, "persistent": ac.persistent_stopped_by,
                 "physical": ac.physical_stopped_by, "schedule_aware": ac.schedule_aware_stopped_by,
                 "insider": ac.insider_stopped_by, "supply_chain": ac.supply_chain_stopped_by}
        if set(caps) != set(ATTACKER_CLASSES):  # a new class in policy.attackers needs its parameters here
            raise ValueError(f"RiskParams.from_scenario reads classes {sorted(caps)}, policy.attackers has "
                             f"{sorted(ATTACKER_CLASSES)}")
        cap = {c: int(caps[c].value) for c in ATTACKER_CLASSES}
        stopped = {c: frozenset[str](stops[c].value) for c in ATTACKER_CLASSES}
        reach = premises_in_range(float(s.attackers.radio_reach_premises.value), bool(s.han.band_868mhz.value),
                                  float(s.han.range_multiplier_868mhz.value))
        return cls(
            national_premises=float(s.costs.national_premises.value), radio_reach_premises=reach,
            street_premises=float(s.grid.street_premises.value), urban_area_premises=float(s.grid.urban_area_premises.value),
            admd_kw=float(s.grid.admd_kw.value), switchable_share=float(s.grid.switchable_share.value),
            normal_infeed_loss_mw=float(s.grid.normal_infeed_loss_mw.value), capability=cap, stopped_by=stopped,
            controls_in_force=frozenset(s.risk.controls_in_force.value), cpa_enforced=bool(s.cpa.enforced.value),
            likelihood_edges=tuple(float(x) for x in s.risk.likelihood_edges.value),
            method=method or s.risk.method.value, appetite_max_rating=s.risk.appetite_max_rating.value,
            appetite_max_high=int(s.risk.appetite_max_high.value))

    def mw(self, premises: float) -> float:
        return premises * self.admd_kw * self.switchable_share / 1000.0


@dataclass(frozen=True)
class RegisterRow:
    """One threat under one option: levels, score, rating, the CIA split and what drives it."""

    option: str
    threat_id: str
    title: str
    asset: str
    stride: str
    attacker: str
    cia: tuple[str, ...]
    capability: int
    attacks_per_year: float
    likelihood: int
    impact: int
    reach_premises: float
    grid_mw: float
    score: float
    rating: Rating
    controls: tuple[str, ...]  # in force and lowering the likelihood
    drivers: str

    @property
    def impact_cia(self) -> dict[str, int]:
        """Confidentiality / integrity / availability impact (0 where the threat has no such effect)."""
        return {k: (self.impact if k in self.cia else 0) for k in ("C", "I", "A")}


@dataclass(frozen=True)
class OptionRegister:
    option: str
    method: Method
    rows: tuple[RegisterRow, ...]
    new: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[tuple[str, Rating, Rating], ...] = ()  # (threat, baseline rating, this option's rating)
    appetite_max_rating: Rating = "High"
    appetite_max_high: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def within_appetite(self) -> bool:
        return self.counts.get("high", 0) <= self.appetite_max_high and all(
            rating_at_most(r.rating, self.appetite_max_rating) for r in self.rows)

    def rating_of(self, threat_id: str) -> Rating | None:
        return next((r.rating for r in self.rows if r.threat_id == threat_id), None)

    @property
    def total_score(self) -> float:
        return sum(r.score for r in self.rows)


def applies(threat: Threat, option: str) -> bool:
    """Whether the threat exists under the option (``creates``/``removes`` against its components)."""
    comps = set(combine(option).components)
    if threat.options.creates and not comps & set(threat.options.creates):
        return False
    return not comps & set(threat.options.removes)


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def score_threat(threat: Threat, option: str, means: Mapping[str, float], rp: RiskParams, cat: Catalogue,
                 method: Method | None = None) -> RegisterRow:
    """One threat under one option, from the option's metric means."""
    m = method or rp.method
    e = threat.exposure
    value = float(means.get(e.metric, 0.0))
    attacks = value * (rp.national_premises if e.scale == "fleet" else 1.0) * e.factor
    in_force = set(rp.controls_in_force)
    if rp.cpa_enforced and any(OPTIONS[c].cpa_needed for c in combine(option).components):
        in_force.add("cpa_assured_device")
    # a control listed on the threat counts only if it stops the threat's attacker class and is in force
    effective = set(threat.controls) & rp.stopped_by.get(threat.attacker, frozenset()) & in_force
    lowering = tuple(sorted(c for c in effective if cat.controls[c].likelihood_levels > 0))
    reduction = sum(cat.controls[c].likelihood_levels for c in lowering)
    lk = likelihood_level(attacks, rp.likelihood_edges, reduction)
    rule = threat.impact.rule
    if rule == "premises":
        reach = 1.0
    elif rule == "radio":
        reach = rp.radio_reach_premises
    elif rule == "option":
        reach = float(means.get("max_premises_per_compromise", 1.0))
    else:
        reach = float("nan")
    if rule == "fixed":
        assert threat.impact.level is not None
        im, mw = threat.impact.level, float("nan")
    else:
        mw = rp.mw(reach)
        im = impact_level(reach, mw, street=rp.street_premises, urban=rp.urban_area_premises,
                          normal_infeed_loss_mw=rp.normal_infeed_loss_mw, national_premises=rp.national_premises)
    cap = rp.capability[threat.attacker]
    bands = cat.methods.seed.bands if m == "seed" else cat.methods.nist.bands
    s, rating = score(m, cap, lk, im, bands=(bands.Critical, bands.High, bands.Moderate),
                      owasp_edges=cat.methods.owasp.level_edges)
    scale = " x national premises" if e.scale == "fleet" else ""
    ctl = f" - {reduction} (controls: {', '.join(lowering)})" if reduction else ""
    reach_txt = f"impact fixed {im}" if rule == "fixed" else \
        f"{rule} reach {_fmt(reach)} premises, {_fmt(mw)} MW -> impact {im}"
    drivers = (f"{e.metric} = {_fmt(value)}{scale} x {_fmt(e.factor)} = {_fmt(attacks)} attacks/yr -> "
               f"likelihood {lk}{ctl}; {reach_txt}; capability {cap} ({threat.attacker})")
    return RegisterRow(option, threat.id, threat.title, threat.asset, threat.stride, threat.attacker,
                       tuple(threat.cia), cap, attacks, lk, im, reach, mw, s, rating, lowering, drivers)


def option_register(option: str, means: Mapping[str, float], rp: RiskParams, cat: Catalogue,
                    method: Method | None = None) -> OptionRegister:
    rows = tuple(score_threat(t, option, means, rp, cat, method) for t in cat.threats if applies(t, option))
    reg = OptionRegister(option, method or rp.method, rows, appetite_max_rating=rp.appetite_max_rating,
                         appetite_max_high=rp.appetite_max_high)
    return _with_counts(reg)


def counts_row(rows: Iterable[RegisterRow]) -> dict[str, int]:
    """The seed's counts: risks (threat x CIA effect), unique risks (threats), and unique risks by rating."""
    rs = list(rows)
    out = {"risks": sum(len(r.cia) for r in rs), "unique": len(rs)}
    for rating in RATINGS:
        out[rating.lower()] = sum(1 for r in rs if r.rating == rating)
    return out


def _with_counts(reg: OptionRegister, base: OptionRegister | None = None) -> OptionRegister:
    new: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[tuple[str, Rating, Rating], ...] = ()
    if base is not None:
        mine = {r.threat_id: r.rating for r in reg.rows}
        theirs = {r.threat_id: r.rating for r in base.rows}
        new = tuple(t for t in mine if t not in theirs)
        removed = tuple(t for t in theirs if t not in mine)
        changed = tuple((t, theirs[t], mine[t]) for t in mine if t in theirs and mine[t] != theirs[t])
    counts = counts_row(reg.rows)
    counts.update(new=len(new), removed=len(removed), changed=len(changed))
    return OptionRegister(reg.option, reg.method, reg.rows, new, removed, changed, reg.appetite_max_rating,
                          reg.appetite_max_high, counts)


def registers(means: Mapping[str, Mapping[str, float]], rp: RiskParams, cat: Catalogue,
              method: Method | None = None, options: Sequence[str] | None = None) -> dict[str, OptionRegister]:
    """Every option's register, with its changes against ``baseline`` (when baseline is among them)."""
    opts = list(options) if options is not None else list(means)
    regs = {o: option_register(o, means[o], rp, cat, method) for o in opts}
    base = regs.get(BASELINE)
    return {o: _with_counts(r, base) for o, r in regs.items()}


@dataclass(frozen=True)
class StabilityChange:
    """A risk whose rating moves when a swept assumption is at its low or high value."""

    param: str
    label: str
    end: str  # "low" or "high"
    value: Any
    option: str
    threat_id: str
    central: Rating | None
    moved: Rating | None


def stability(sensitivity: Any, scenario: Scenario, cat: Catalogue, method: Method | None = None) -> list[StabilityChange]:
    """For each sweep end, which (option, threat) ratings differ from the central register.

    ``sensitivity``: a ``fleet.sensitivity.SensitivityResult`` (its saved means per sweep end);
    ``scenario``: the central scenario (each end's scenario is ``with_param`` of it, so swept risk and grid
    parameters move the register too)."""
    central_rp = RiskParams.from_scenario(scenario, method)
    central = registers(sensitivity.central, central_rp, cat, method)
    out: list[StabilityChange] = []
    for sweep in sensitivity.sweeps:
        for end in ("low", "high"):
            point = getattr(sweep, end)
            rp = RiskParams.from_scenario(scenario.with_param(sweep.param, point.value), method)
            regs = registers(point.means, rp, cat, method)
            for o, reg in regs.items():
                if o not in central:
                    continue
                c_ratings = {r.threat_id: r.rating for r in central[o].rows}
                m_ratings = {r.threat_id: r.rating for r in reg.rows}
                for t in sorted(set(c_ratings) | set(m_ratings)):
                    if c_ratings.get(t) != m_ratings.get(t):
                        out.append(StabilityChange(sweep.param, sweep.label, end, point.value, o, t,
                                                   c_ratings.get(t), m_ratings.get(t)))
    return out
