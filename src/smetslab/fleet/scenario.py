"""The fleet scenario: run settings, the options to compare and every fleet-model parameter.

Every model parameter is ``{value, source}``: a citation (DESIGN.md / DOMAIN.md / SEC page) or a string
starting ``assumption:``. The model is strict (no type coercion) and closed (``extra="forbid"``); any
problem becomes one ``InputError`` line naming the field path, the value and what is allowed
(``scenario_error``). Loading from YAML is ``smetslab.interfaces.config.load_scenario``.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from smetslab.errors import InputError
from smetslab.policy.options import OPTIONS, components_of
from smetslab.policy.windows import DAY_S
from smetslab.validation import one_line

__all__ = ["Scenario", "ModelParams", "SweepSpec", "Param", "scenario_error", "validate_scenario", "recentre_sweep"]

T = TypeVar("T")

_STRICT = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Param(BaseModel, Generic[T]):
    """One model parameter: its value and where the value comes from."""

    model_config = _STRICT
    value: T
    source: Annotated[str, Field(min_length=1)]

    @field_validator("source")
    @classmethod
    def _source_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("source must cite a document or start with 'assumption:'")
        return v


Probability = Param[Annotated[float, Field(ge=0.0, le=1.0)]]
Rate = Param[Annotated[float, Field(ge=0.0)]]  # per premises-year unless the name says otherwise
Days = Param[Annotated[float, Field(ge=0.0)]]
PositiveDays = Param[Annotated[float, Field(gt=0.0)]]
Pence = Param[Annotated[int, Field(ge=0)]]
PositivePence = Param[Annotated[int, Field(gt=0)]]
Count = Param[Annotated[float, Field(ge=0.0)]]
Minutes = Param[Annotated[float, Field(gt=0.0)]]
Flag = Param[bool]
Text = Param[Annotated[str, Field(min_length=1)]]


class _Group(BaseModel):
    model_config = _STRICT


class Incidents(_Group):
    """What goes wrong, per premises-year."""

    installs_per_year: Rate = Field(description="hub+meter installs (new or exchange) per premises-year; the "
                                                "installed premises get new hardware")
    no_wan_at_install_prob: Probability = Field(description="probability an install finds no WAN (its own "
                                                            "parameter: not the F7.18 99%, which is about remedies)")
    wan_lost_per_year: Rate = Field(description="WAN losses after install per premises-year (Poisson)")
    ppmid_lost_per_year: Rate = Field(description="PPMIDs lost or broken per premises-year (Poisson)")
    hub_power_cycles_per_year: Rate = Field(description="hub power-ons (power cuts, unplugging) per premises-year; "
                                                        "each opens the 60-minute HHT window")


class Remedy(_Group):
    """How long things take to put right, and who acts."""

    dcc_mean_days: PositiveDays = Field(description="mean of the DCC's own restore time (exponential) before "
                                                    "the deadline caps it")
    baseline_max_days: PositiveDays = Field(description="DCC remedy deadline today")
    secmp0032_max_days: PositiveDays = Field(description="DCC remedy deadline for prepay sites under SECMP0032")
    never_remedied_share: Probability = Field(description="share of no-WAN cases the DCC does not make good "
                                                          "(F7.18: at least 99% made good, so up to 1% never); "
                                                          "such a case lasts to the end of the horizon unless a "
                                                          "WAN option fixes it")
    secmp0032_never_remedied_share: Probability = Field(description="the same share under SECMP0032's 30-day "
                                                                    "remedy")
    ppmid_delivery_days: Days = Field(description="days from a PPMID loss to the replacement arriving")
    consumer_action_days: Days = Field(description="days for the consumer to do a local pairing once possible")
    local_pairing_actor: Param[Literal["consumer", "engineer"]] = Field(
        description="who performs a local pairing: the consumer, or an engineer (a visit each time)")
    engineer_dispatch_prob: Probability = Field(description="probability the supplier sends an engineer to a "
                                                            "customer left with no top-up route")
    engineer_response_days: Days = Field(description="days from 'no route' to the engineer's visit, which "
                                                     "ends the no-route stretch (a PPMID paired, or credit mode)")
    engineer_pairs_without_wan: Flag = Field(description="the visiting engineer pairs a PPMID with the WAN down "
                                                         "(else the visit switches the meter to credit mode "
                                                         "until the WAN returns: no UTRNs, but arrears)")
    gas_enable_days: Days = Field(description="days from a route returning to someone re-enabling a gas supply "
                                              "at a meter the customer cannot reach (gas is re-enabled only "
                                              "at the meter)")


class Customer(_Group):
    """The customer's state when something goes wrong."""

    credit_at_incident_mean_pence: Pence = Field(description="mean credit (exponential) when the top-up route is lost")
    daily_spend_mean_pence: PositivePence = Field(description="mean daily spend (lognormal)")
    daily_spend_sigma: Param[Annotated[float, Field(ge=0.0, le=3.0)]] = Field(
        description="lognormal shape of the daily spend")
    emergency_credit_pence: Pence = Field(description="emergency credit available once credit runs out, if "
                                                      "activated at the meter, on a joined PPMID or over the "
                                                      "WAN: never in a no-route stretch, so the fleet's "
                                                      "figures do not depend on it (the emulator's do not "
                                                      "either; the parity stories pass it on)")
    meter_keypad_reachable_prob: Probability = Field(description="the consumer can reach the meter keypad to "
                                                                 "type UTRNs")
    hub_reachable_prob: Probability = Field(description="the consumer can reach the hub (power-cycle it, press a "
                                                        "button); drawn with the keypad from one uniform, so "
                                                        "a reachable keypad implies a reachable hub when this is larger")
    can_power_cycle_hub_prob: Probability = Field(description="the consumer can power-cycle the hub (it is powered "
                                                              "from the electricity meter); drawn from the same "
                                                              "uniform as the keypad and hub, so with a smaller "
                                                              "value it implies both")
    gas_prepay_prob: Probability = Field(description="the premises also has a gas prepayment meter")
    smartphone_prob: Probability = Field(description="the customer has a smartphone (phone-app route)")
    broadband_prob: Probability = Field(description="the premises has broadband (SECMP0038 relay)")


class Region(_Group):
    """DCC regions and their WAN providers."""

    north_share: Probability = Field(description="share of prepayment premises in the North region")
    central_share: Probability = Field(description="share in the Central region")
    south_share: Probability = Field(description="share in the South region")
    north_wan_provider: Text = Field(description="WAN provider in the North")
    central_wan_provider: Text = Field(description="WAN provider in Central")
    south_wan_provider: Text = Field(description="WAN provider in the South")
    north_no_wan_risk: Rate = Field(description="relative risk of no-WAN incidents in the North (1 = average)")
    central_no_wan_risk: Rate = Field(description="relative risk in Central")
    south_no_wan_risk: Rate = Field(description="relative risk in the South")


class Mesh(_Group):
    """Neighbouring hubs, for ``mesh_hub``."""

    neighbours_in_range_mean: Count = Field(description="mean number of other hubs in mesh range (Poisson)")
    same_supplier_share: Probability = Field(description="probability a neighbouring hub is the same supplier's")
    broker_days: Days = Field(description="days for the DCC to broker another supplier's neighbouring hub")
    neighbour_rule: Param[Literal["all_same_supplier", "any_same_supplier"]] = Field(
        description="when a mesh hub gets the WAN at once: all_same_supplier (every neighbour in range is the "
                    "same supplier's, the proposer's reading) or any_same_supplier (one is enough)")
    neighbour_wan_prob: Probability = Field(description="probability a neighbouring hub has the WAN itself")
    neighbour_mesh_capable_prob: Probability = Field(description="probability a neighbouring hub is a mesh hub")


class Attackers(_Group):
    """Who attacks local joins and relays, and how well."""

    density: Probability = Field(description="probability a premises is targeted by an attacker in radio range "
                                             "during a year")
    attempts_per_year: Rate = Field(description="rogue join attempts on a targeted premises per year, at random times")
    capability: Probability = Field(description="probability a rogue attempt succeeds while a join is permitted")
    dos_success_prob: Probability = Field(description="probability a join flood on a targeted premises blocks a "
                                                      "legitimate local join")
    radio_reach_premises: Count = Field(description="premises within one attacker's ZigBee radio range")
    campaign_reach_premises: Count = Field(description="premises a mobile attacker passes during a campaign")
    campaign_days: Days = Field(description="length of an attack campaign")
    bluetooth_reach_prob: Probability = Field(description="probability a rogue attempt is within Bluetooth range "
                                                          "of the meter")
    bluetooth_reach_premises: Count = Field(description="premises within one attacker's Bluetooth range")
    nfc_reach_prob: Probability = Field(description="probability a rogue attempt touches the meter (NFC)")
    preauth_compromise_prob: Probability = Field(description="probability a pre-registered spare's credentials "
                                                             "are available to the attacker")
    largest_supplier_share: Probability = Field(description="largest supplier's share of premises (reach of one "
                                                            "compromised supplier cloud or app)")


class Costs(_Group):
    """Costs in integer pence. ``*_national`` amounts are for the whole GB prepayment fleet and are scaled by
    ``premises / national_premises``; ``*_per_year`` amounts by the horizon."""

    national_premises: PositivePence = Field(description="GB prepayment premises the national costs are for (a count)")
    engineer_visit_pence: Pence = Field(description="one engineer visit")
    ppmid_pence: Pence = Field(description="one PPMID (replacement or pre-registered spare), posted")
    hub_button_premium_pence: Pence = Field(description="extra cost of a hub with a button (per new hub)")
    new_hub_pence: Pence = Field(description="a new hub, for a hub-button retrofit (plus a visit)")
    wan_repeater_pence: Pence = Field(description="one WAN repeater (plus a visit)")
    mini_base_stations_national: Pence = Field(description="capital cost of the mini base station programme")
    mini_base_stations_running_per_year_national: Pence = Field(description="running cost per year")
    secmp0032_national: Pence = Field(description="DCC cost of the 30-day remedy")
    firmware_national: Pence = Field(description="developing and rolling out one firmware change (per option)")
    meter_bluetooth_premium_pence: Pence = Field(description="extra cost of Bluetooth per new meter")
    meter_nfc_premium_pence: Pence = Field(description="extra cost of NFC per new meter")
    phone_app_national: Pence = Field(description="developing the phone app (per radio option)")
    mesh_hub_premium_pence: Pence = Field(description="extra cost of a mesh hub (per new hub)")
    relay_platform_national: Pence = Field(description="SECMP0038 relay platform (supplier clouds)")
    relay_running_per_year_national: Pence = Field(description="SECMP0038 relay running cost per year")


class Deployment(_Group):
    """Which premises an option reaches."""

    firmware_reach: Probability = Field(description="share of existing hubs/PPMIDs that take a firmware option")
    existing_new_hardware_share: Probability = Field(description="share of premises already on new hardware at "
                                                                 "the start (new-hardware options)")
    hub_button_retrofit: Flag = Field(description="retrofit the hub button to every existing hub (a visit and a "
                                                  "new hub each) instead of new hubs only")
    wifi_ppmid_share: Probability = Field(description="share of PPMIDs with Wi-Fi (SECMP0038 relay)")
    preauth_spare_share: Probability = Field(description="share of reached premises given a pre-registered spare PPMID")
    firmware_rollout_days: Days = Field(description="days over which a firmware option reaches the existing hubs "
                                                    "(uniformly), after any CPA lead time")


class Cpa(_Group):
    """Commercial Product Assurance."""

    enforced: Flag = Field(description="options giving PPMIDs/phones HHT-like powers need CPA")
    evaluation_national: Pence = Field(description="CPA evaluation cost per option component that needs it")
    lead_time_days: Days = Field(description="days before an option needing CPA can be deployed (firmware "
                                             "roll-out starts, new hardware is fitted) when CPA is enforced")


class Windows(_Group):
    """Join-window rules."""

    hht_window_minutes: Minutes = Field(description="HHT window after hub power-on")
    alternating_window_minutes: Minutes = Field(description="length of one alternating window")
    alternating_windows_per_day: Param[Annotated[int, Field(ge=1, le=144)]] = Field(
        description="alternating windows per 24 h (their times alternate day to day)")
    hub_button_window_minutes: Minutes = Field(description="window after a hub-button press")


class WanOptions(_Group):
    """WAN infrastructure options."""

    repeater_fixable_share: Probability = Field(description="share of no-WAN cases a repeater can fix")
    repeater_fit_days: Days = Field(description="days from the case starting to a repeater being fitted")
    mini_base_station_prevented_share: Probability = Field(description="share of Central/South no-WAN cases "
                                                                       "mini base stations prevent")


class Growth(_Group):
    """How the prepayment fleet changes over the horizon (hardware replacement: ``incidents.installs_per_year``)."""

    prepay_fleet_per_year: Param[Annotated[float, Field(ge=0.0, le=1.0)]] = Field(
        description="growth of the prepayment fleet per year; ``premises`` is the fleet at the end of the "
                    "horizon, and a premises joining it gets an install (new hub and meters)")


class Debt(_Group):
    """Arrears built in no-WAN cases (integer pence)."""

    electricity_standing_charge_pence_per_day: Pence = Field(description="electricity standing charge, accrued "
                                                                         "as debt while off supply")
    gas_standing_charge_pence_per_day: Pence = Field(description="gas standing charge, accrued as debt while off "
                                                                 "supply")
    threshold_pence: PositivePence = Field(description="arrears above which a customer counts in the "
                                                       "'debt above threshold' share")


ThreatCapability = Param[Annotated[int, Field(ge=1, le=5)]]
ControlName = Literal["cbke_certificate", "install_code", "device_log_entry", "join_window", "cpa_assured_device",
                      "dcc_anomaly_detection"]  # = policy.attackers.CONTROLS (a test checks)
Controls = Param[list[ControlName]]
Rating = Literal["Low", "Moderate", "High", "Critical"]


class AttackerClasses(_Group):
    """The attacker classes of ``policy.attackers`` beyond the opportunist (whose figures are ``attackers.*``):
    prevalence, ordinal threat capability (1-5) and the controls that stop each (docs/risk.md)."""

    opportunistic_threat_capability: ThreatCapability = Field(description="threat capability of an opportunist")
    opportunistic_stopped_by: Controls = Field(description="controls that stop an opportunist")
    persistent_prevalence: Probability = Field(description="probability a premises has a rogue device left in "
                                                           "radio range during a year")
    persistent_dwell_days: PositiveDays = Field(description="days a persistent device stays in range")
    persistent_threat_capability: ThreatCapability = Field(description="threat capability of a persistent attacker")
    persistent_stopped_by: Controls = Field(description="controls that stop a persistent attacker")
    physical_prevalence: Probability = Field(description="probability a premises' hub is in an attacker's hands "
                                                         "(power cycle, button, NFC touch) during a year")
    physical_threat_capability: ThreatCapability = Field(description="threat capability of a physical attacker")
    physical_stopped_by: Controls = Field(description="controls that stop a physical attacker")
    hht_credential_prob: Probability = Field(description="probability an attacker holds credentials of an HHT "
                                                         "(the only device type today's window admits)")
    ppmid_credential_prob: Probability = Field(description="probability an attacker holds a consumer PPMID's "
                                                           "credentials (admitted where PPMIDs may join locally)")
    schedule_aware_prevalence: Probability = Field(description="probability a premises is targeted by an attacker "
                                                               "who knows the window timetable, per year")
    schedule_aware_attempts_per_year: Rate = Field(description="attempts a schedule-aware attacker makes a year")
    schedule_aware_threat_capability: ThreatCapability = Field(description="its threat capability")
    schedule_aware_stopped_by: Controls = Field(description="controls that stop it")
    insider_prevalence: Probability = Field(description="probability a premises is targeted by an attacker with "
                                                        "valid credentials (stolen certificate, spare's keys)")
    insider_attempts_per_year: Rate = Field(description="attempts an insider makes a year, at random times")
    insider_threat_capability: ThreatCapability = Field(description="its threat capability")
    insider_stopped_by: Controls = Field(description="controls that stop it")
    supply_chain_prevalence: Probability = Field(description="probability a premises has a back-doored device "
                                                             "with valid credentials (supply chain) in a year")
    supply_chain_threat_capability: ThreatCapability = Field(description="its threat capability")
    supply_chain_stopped_by: Controls = Field(description="controls that stop it")


class Han(_Group):
    """The HAN radio band and the hub's behaviour under a join flood."""

    band_868mhz: Flag = Field(description="the HAN runs on 868 MHz (Alt HAN / sub-GHz) instead of 2.4 GHz")
    range_multiplier_868mhz: Param[Annotated[float, Field(ge=1.0)]] = Field(
        description="premises one attacker position reaches on 868 MHz relative to 2.4 GHz")
    cbke_seconds: Param[Annotated[float, Field(gt=0.0)]] = Field(
        description="seconds a key establishment keeps the hub busy (emulator SiteConfig.cbke_s)")
    flood_rate_per_hour: Rate = Field(description="join attempts per hour in a flood (Poisson)")
    flood_hours: Param[Annotated[float, Field(gt=0.0)]] = Field(description="length of one flood")
    device_log_recovery_days: Days = Field(description="days until a device log filled by a credentialled "
                                                       "flood is cleared (DCC)")


class Grid(_Group):
    """Grid impact: the load one compromise could switch at once, against GB loss-of-infeed limits."""

    admd_kw: Param[Annotated[float, Field(ge=0.0)]] = Field(
        description="after-diversity demand per premises at the worst hour, kW")
    switchable_share: Probability = Field(description="share of that load one compromise can switch off and on")
    normal_infeed_loss_mw: Param[Annotated[float, Field(gt=0.0)]] = Field(description="normal infeed loss limit, MW")
    infrequent_infeed_loss_mw: Param[Annotated[float, Field(gt=0.0)]] = Field(
        description="infrequent infeed loss limit, MW")
    street_premises: Count = Field(description="premises in a street (impact level 2 up to this many)")
    urban_area_premises: Count = Field(description="premises in a large urban area (impact level 3 up to this many)")


class Risk(_Group):
    """The risk register's scoring (smetslab.risk; docs/risk.md)."""

    method: Param[Literal["seed", "nist", "owasp"]] = Field(description="scoring method")
    appetite_max_rating: Param[Rating] = Field(description="highest rating within the risk appetite")
    appetite_max_high: Param[Annotated[int, Field(ge=0)]] = Field(
        description="most risks rated High an option may have and stay within the appetite")
    likelihood_edges: Param[Annotated[list[Annotated[float, Field(ge=0.0)]], Field(min_length=4, max_length=4)]] = \
        Field(description="expected successful attacks per year across the GB fleet at which likelihood goes "
                          "from 1 to 2, 2 to 3, 3 to 4 and 4 to 5 (ascending)")
    controls_in_force: Controls = Field(description="controls in force for every option (cpa_assured_device is "
                                                    "added where the option needs CPA and CPA is enforced)")


class SweepSpec(BaseModel):
    """A one-at-a-time sensitivity sweep of one parameter between ``low`` and ``high``."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
    param: str
    low: float | int | bool
    high: float | int | bool
    label: str = ""


GROUPS: dict[str, type[_Group]] = {
    "incidents": Incidents, "remedy": Remedy, "customer": Customer, "region": Region, "mesh": Mesh,
    "attackers": Attackers, "costs": Costs, "deployment": Deployment, "cpa": Cpa, "windows": Windows,
    "wan_options": WanOptions, "growth": Growth, "debt": Debt, "attacker_classes": AttackerClasses, "han": Han,
    "grid": Grid, "risk": Risk,
}


class Scenario(BaseModel):
    """A validated fleet scenario (see docs/scenarios.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    seed: Annotated[int, Field(ge=0, lt=2**63)]
    replicates: Annotated[int, Field(ge=1, le=1000)]
    premises: Annotated[int, Field(ge=1, le=100_000_000)]
    horizon_days: Annotated[float, Field(gt=0.0, le=3650.0)]
    options: Annotated[list[str], Field(min_length=1)]
    variance_reduction: bool = True  # weighted episodes (docs/fleet-model.md); False: every rare event drawn
    sensitivity: list[SweepSpec] = []
    incidents: Incidents
    remedy: Remedy
    customer: Customer
    region: Region
    mesh: Mesh
    attackers: Attackers
    costs: Costs
    deployment: Deployment
    cpa: Cpa
    windows: Windows
    wan_options: WanOptions
    growth: Growth
    debt: Debt
    attacker_classes: AttackerClasses
    han: Han
    grid: Grid
    risk: Risk

    @field_validator("options")
    @classmethod
    def _known_options(cls, v: list[str]) -> list[str]:
        canonical = []
        for i, opt in enumerate(v):
            try:
                canonical.append("+".join(components_of(opt, field=f"options[{i}]")))
            except InputError as exc:
                raise ValueError(str(exc)) from None
        if len(set(canonical)) != len(canonical):
            dup = next(o for o in canonical if canonical.count(o) > 1)
            raise ValueError(f"option {dup!r} is listed twice; list each option once")
        if "baseline" not in canonical:
            raise ValueError("must include 'baseline' (every option is compared against it)")
        return canonical

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        r = self.region
        total = r.north_share.value + r.central_share.value + r.south_share.value
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise ValueError(f"region.north_share + central_share + south_share = {total:g}; the region shares "
                             f"must sum to 1")
        w = self.windows
        spacing_min = 24 * 60 / w.alternating_windows_per_day.value
        if w.alternating_window_minutes.value > spacing_min / 2:
            raise ValueError(f"windows.alternating_window_minutes {w.alternating_window_minutes.value:g}: at most "
                             f"half the spacing ({spacing_min / 2:g} min for "
                             f"{w.alternating_windows_per_day.value} windows a day)")
        if w.hht_window_minutes.value * 60 > self.horizon_days * DAY_S:
            raise ValueError("windows.hht_window_minutes: longer than the horizon")
        edges = self.risk.likelihood_edges.value
        if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
            raise ValueError(f"risk.likelihood_edges {edges}: must be strictly ascending")
        paths = set(self.param_paths())
        for i, sweep in enumerate(self.sensitivity):
            if sweep.param not in paths:
                raise ValueError(f"sensitivity[{i}].param {sweep.param!r}: not a parameter path; allowed e.g. "
                                 f"incidents.wan_lost_per_year (see Scenario.param_paths())")
            _check_sweep(i, sweep)
        return self

    # -- helpers used by sweeps and the store ---------------------------------------------------------
    def param_paths(self) -> list[str]:
        """Dotted paths of every ``{value, source}`` parameter, e.g. ``incidents.wan_lost_per_year``."""
        return [f"{g}.{f}" for g, cls in GROUPS.items() for f in cls.model_fields]

    def param(self, path: str) -> Param[Any]:
        """The parameter at a dotted path; InputError for an unknown path."""
        group, _, name = path.partition(".")
        if group not in GROUPS or name not in GROUPS[group].model_fields:
            raise InputError(f"parameter {path!r}: unknown; allowed: {', '.join(self.param_paths())}")
        p: Param[Any] = getattr(getattr(self, group), name)
        return p

    def with_param(self, path: str, value: Any) -> Scenario:
        """A validated copy with the parameter at ``path`` set to ``value`` (its source kept)."""
        self.param(path)  # unknown path -> InputError
        group, _, name = path.partition(".")
        data = self.model_dump(mode="python")
        data[group][name]["value"] = value
        return validate_scenario(data, where=f"{self.name} with {path}={value!r}")

    def canonical_json(self) -> str:
        """The scenario as canonical JSON (sorted keys): what the results store records and hashes."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()



@dataclass(frozen=True, kw_only=True)
class ModelParams:
    """What the fleet model reads of a scenario: the run settings and the validated parameter groups themselves.

    The model reads a parameter as ``p.remedy.dcc_mean_days.value``, so mypy checks every read against the
    pydantic schema above (the one place each parameter is declared) and a misspelt name fails ``mypy``, not a
    run. Dotted paths (``remedy.dcc_mean_days``) stay the user-facing names in YAML and sweeps
    (``Scenario.with_param``); a sweep point is a new scenario, hence a new ``ModelParams``. Frozen pydantic groups
    pickle small (a few kB), so this is what is sent to worker processes and Dask. One field per ``GROUPS`` entry,
    same name and class (tests/fleet/test_typed_params.py checks).
    """

    seed: int
    premises: int
    horizon_days: float
    options: tuple[str, ...]
    weighted: bool  # weighted episodes (the scenario's variance_reduction)
    incidents: Incidents
    remedy: Remedy
    customer: Customer
    region: Region
    mesh: Mesh
    attackers: Attackers
    costs: Costs
    deployment: Deployment
    cpa: Cpa
    windows: Windows
    wan_options: WanOptions
    growth: Growth
    debt: Debt
    attacker_classes: AttackerClasses
    han: Han
    grid: Grid
    risk: Risk

    @classmethod
    def from_scenario(cls, s: Scenario) -> ModelParams:
        return cls(seed=s.seed, premises=s.premises, horizon_days=s.horizon_days, options=tuple(s.options),
                   weighted=s.variance_reduction, incidents=s.incidents, remedy=s.remedy, customer=s.customer,
                   region=s.region, mesh=s.mesh, attackers=s.attackers, costs=s.costs, deployment=s.deployment,
                   cpa=s.cpa, windows=s.windows, wan_options=s.wan_options, growth=s.growth, debt=s.debt,
                   attacker_classes=s.attacker_classes, han=s.han, grid=s.grid, risk=s.risk)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # pydantic's parametrised classes (Param[Annotated[float, ...]]) cannot be pickled by reference, so a
        # worker gets the groups' plain values and re-validates them: the same values, bit for bit
        run = (self.seed, self.premises, self.horizon_days, self.options, self.weighted)
        return _model_params, (run, {g: getattr(self, g).model_dump(mode="python") for g in GROUPS})

    @property
    def years(self) -> float:
        return self.horizon_days / 365.0


def _model_params(run: tuple[int, int, float, tuple[str, ...], bool], groups: dict[str, Any]) -> ModelParams:
    """Unpickle a ``ModelParams`` (see ``ModelParams.__reduce__``)."""
    seed, premises, horizon_days, options, weighted = run
    valid = {g: GROUPS[g].model_validate(data) for g, data in groups.items()}
    return ModelParams(seed=seed, premises=premises, horizon_days=horizon_days, options=options, weighted=weighted,
                       **valid)  # type: ignore[arg-type]  # each group is its GROUPS class (validated above)


def _param_type(path: str) -> type[BaseModel]:
    group, _, name = path.partition(".")
    ann = GROUPS[group].model_fields[name].annotation
    assert isinstance(ann, type) and issubclass(ann, BaseModel)
    return ann


def _check_sweep(i: int, sweep: SweepSpec) -> None:
    """Each end a valid value of the parameter, and ``low <= high``; the message names ``sensitivity[i].low/high``."""
    for end in ("low", "high"):
        value = getattr(sweep, end)
        try:
            _param_type(sweep.param).model_validate({"value": value, "source": "sweep"})
        except ValidationError as exc:
            msg = str(exc.errors(include_url=False)[0]["msg"])
            raise ValueError(f"sensitivity[{i}].{end} = {value!r}: {msg[:1].lower() + msg[1:]} (allowed values of "
                             f"{sweep.param})") from None
    numeric = not isinstance(sweep.low, bool) and not isinstance(sweep.high, bool)
    if numeric and sweep.low > sweep.high:
        raise ValueError(f"sensitivity[{i}].low = {sweep.low!r} is above sensitivity[{i}].high = {sweep.high!r} "
                         f"({sweep.param}); low must be <= high")


def _value_bounds(path: str) -> tuple[float | None, float | None]:
    """(lowest, highest) allowed value of a numeric parameter, None where unbounded (exclusive bounds as given)."""
    field = _param_type(path).model_fields["value"]
    lo: float | None = None
    hi: float | None = None
    for m in field.metadata:
        for name in ("ge", "gt"):
            if getattr(m, name, None) is not None:
                lo = float(getattr(m, name))
        for name in ("le", "lt"):
            if getattr(m, name, None) is not None:
                hi = float(getattr(m, name))
    return lo, hi


def recentre_sweep(path: str, low: Any, high: Any, old: Any, new: Any) -> tuple[Any, Any]:
    """An inherited sweep of ``path`` moved from the parent's central value ``old`` to the overriding ``new``.

    The rule (docs/scenarios.md): the sweep keeps its relative spread, so ``low`` and ``high`` are multiplied by
    ``new / old`` (shifted by ``new - old`` when ``old`` is 0), then clipped to the parameter's allowed range;
    integer parameters are rounded. Flags and text are returned unchanged. Raises InputError for an unknown path.
    """
    group, _, name = path.partition(".")
    if group not in GROUPS or name not in GROUPS[group].model_fields:
        raise InputError(f"parameter {path!r}: unknown")
    values = (low, high, old, new)
    if any(isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) for v in values) \
            or old == new:
        return low, high  # flags, text and non-finite values (which validation refuses) are left as they are
    if old != 0:
        lo2, hi2 = low * (new / old), high * (new / old)
    else:
        lo2, hi2 = low + (new - old), high + (new - old)
    lo2, hi2 = min(lo2, hi2), max(lo2, hi2)  # a negative factor would swap the ends
    floor, ceiling = _value_bounds(path)
    if floor is not None:
        lo2, hi2 = max(lo2, floor), max(hi2, floor)
    if ceiling is not None:
        lo2, hi2 = min(lo2, ceiling), min(hi2, ceiling)
    if isinstance(low, int) and isinstance(high, int) and isinstance(new, int):
        return round(lo2), round(hi2)
    return float(f"{lo2:.12g}"), float(f"{hi2:.12g}")  # 0.075, not 0.07500000000000001, in the report


def _allowed_fields(loc: tuple[int | str, ...]) -> list[str] | None:
    """The field names allowed at ``loc`` (for an 'unknown field' message), walking the model classes."""
    cls: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = getattr(cls, "model_fields", None)
        if fields is None or part not in fields:
            return None
        ann = fields[part].annotation
        if part == "sensitivity":
            ann = SweepSpec
        cls = ann
    fields = getattr(cls, "model_fields", None)
    return list(fields) if fields is not None else None


def scenario_error(exc: ValidationError, where: str) -> InputError:
    """One line naming the field path, the value and what is allowed, for the first problem found
    (``smetslab.validation.one_line``, the formatter stories use too)."""
    return one_line(exc, "scenario", where, allowed_fields=_allowed_fields)


def validate_scenario(data: Any, where: str = "<data>") -> Scenario:
    """Validate plain data (parsed YAML/JSON) into a Scenario; InputError (one line) on any problem."""
    if not isinstance(data, dict):
        raise InputError(f"scenario {where}: expected a mapping of fields at the top level, got "
                         f"{type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise scenario_error(exc, where) from None


OPTION_IDS = tuple(OPTIONS)
