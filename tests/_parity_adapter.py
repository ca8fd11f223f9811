"""One fleet no-WAN episode as a premises-emulator story, for the parity tests (docs/parity.md). Test-only code,
kept outside the package (it was ``smetslab.fleet.parity``).

Theory of operation
-------------------
The fleet model and the premises emulator describe the same premises in different terms. A ``Situation``
is one premises and one no-WAN episode in the fleet model's own terms (days, pence, flags). From it:

- ``situation_draws`` builds a ``Draws`` holding exactly that premises and that episode, so
  ``model.evaluate_option`` on it gives the fleet model's decisions for it (``fleet_outcome``);
- ``situation_story`` builds a story mapping (the schema of docs/stories.md, validated by
  ``smetslab.premises.story.validate_story``) that plays the same episode on the emulator.

``episode_situation`` reads episode ``i`` of any block's draws, so a fleet block can be replayed premises by
premises. This module produces plain data only: the fleet never imports the emulator (STYLE.md's import
direction); the tests run the stories.

The mapping (why each choice: docs/parity.md):

- one electricity-only premises per episode (the fleet model has no fuels; a gas valve is re-opened only at
  the meter, which the fleet model does not represent);
- the episode is shifted by a whole number of *two-day* periods to start on day 1 or 2: the alternating
  windows alternate between even and odd days, midnights and the tick grid repeat, so every time-of-day
  rule sees the same times, and the emulator need not play the months before the episode;
- WAN lost: install with the WAN at t = 0, WAN lost at ``a``, PPMID lost at ``a + U``, the replacement
  "arrives" at ``a + U + delivery + action`` (the emulated consumer acts the moment it arrives, so the fleet's
  delivery and action delays are folded into the arrival), WAN restored at ``a + D``; no WAN at install:
  install without the WAN at ``a``, WAN restored at ``a + D``. ``D`` is ``policy.wan`` applied to the DCC
  draw for the option (the emulator takes the WAN's return as an input: it has no DCC deadline);
- the fleet's ``C`` is the credit when the stretch without a joined PPMID starts, spent at ``S_d`` a day: the
  meter's initial credit is chosen so that it runs out ``C / S_d`` days into the stretch, to within one penny
  of spend (the meter counts whole pence, ``devices.prepayment.FlatRate``; its daily spend is ``S_d``
  rounded, which only matters once the fleet model has stopped looking);
- the consumer tops up by any route as soon as credit falls below a threshold covering one tick of spend
  (so with a route they never run out, as the fleet model assumes); a ``C`` below two pence above that
  threshold is raised to it (``clamped_credit_pence``: the emulated consumer would already have topped up);
- ``firmware_preauth``: the emulator always pre-registers a spare while the WAN is up, so a WAN-lost
  situation under it must have ``spare``;
- an engineer is sent after ``engineer_response_days`` of no route when the episode's dispatch draw says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from smetslab.fleet.model import Draws, ModelParams, evaluate_option
from smetslab.policy import wan
from smetslab.policy.options import combine

__all__ = ["Situation", "situation_draws", "episode_situation", "fleet_outcome", "situation_story",
           "consumer_threshold_pence", "clamped_credit_pence",
           "EMULATOR_TICK_S"]

DAY_S = 86_400.0
SHIFT_PERIOD_S = 2 * DAY_S
"""Episodes move by whole multiples of this: the alternating windows' schedule repeats every two days."""

EMULATOR_TICK_S = 3_600.0
"""Default ``tick_s`` of the stories: meters, consumer and route tracking are brought up to date hourly."""


@dataclass(frozen=True)
class Situation:
    """One premises and one no-WAN episode in the fleet model's terms (days from t = 0, pence)."""

    install_episode: bool  # True: no WAN at install; False: the WAN is lost later
    start_days: float  # a: the install, or the WAN loss
    dcc_days: float  # X: the DCC's own restore time (the option's deadline caps it)
    credit_pence: float  # C: credit when the premises loses its last top-up route
    daily_spend_pence: float  # S_d
    ppmid_loss_days: float = math.inf  # U: PPMID lost this long after the WAN (WAN-lost episodes only)
    keypad: bool = False  # the meter keypad is reachable
    hub_reachable: bool = False
    smartphone: bool = False
    broadband: bool = False
    wifi_ppmid: bool = False
    firmware: bool = True  # the hub took the option's firmware
    new_hardware: bool = False  # new hub and meters at the time of the episode
    spare: bool = False  # firmware_preauth: a spare PPMID is pre-registered
    dispatch: bool = False  # an engineer is sent when the premises has no route

    def __post_init__(self) -> None:
        for name in ("start_days", "dcc_days", "credit_pence", "daily_spend_pence"):
            v = getattr(self, name)
            if not math.isfinite(v) or v < 0:
                raise ValueError(f"{name} {v!r}: must be a finite number >= 0")
        if self.daily_spend_pence <= 0:
            raise ValueError(f"daily_spend_pence {self.daily_spend_pence!r}: must be > 0")
        if not self.ppmid_loss_days >= 0:
            raise ValueError(f"ppmid_loss_days {self.ppmid_loss_days!r}: must be >= 0 (inf: never)")


def _one(x: Any, dtype: Any) -> np.ndarray:
    return np.array([x], dtype=dtype)


def situation_draws(s: Situation) -> Draws:
    """A one-premises, one-episode ``Draws`` (nothing else happens at the premises: no power cycles, no
    neighbours, region North, no repeater or mini base station)."""
    installed = s.install_episode
    return Draws(
        n=1, region=_one(0, np.int64), installed=_one(installed, bool),
        t_install=_one(s.start_days if installed else 0.0, np.float64), n_ppmid_lost=_one(0, np.int64),
        n_power_cycles=_one(0, np.int64), keypad=_one(s.keypad, bool), hub_reachable=_one(s.hub_reachable, bool),
        smartphone=_one(s.smartphone, bool), broadband=_one(s.broadband, bool), wifi_ppmid=_one(s.wifi_ppmid, bool),
        firmware=_one(s.firmware, bool), existing_new=_one(s.new_hardware and not installed, bool),
        spare=_one(s.spare, bool), neighbours=_one(0, np.int64), same_supplier=_one(0, np.int64),
        ep_premises=_one(0, np.int64), ep_install=_one(s.install_episode, bool),
        ep_start=_one(s.start_days, np.float64), ep_dcc_days=_one(s.dcc_days, np.float64),
        ep_ppmid_loss_days=_one(s.ppmid_loss_days, np.float64), ep_credit=_one(s.credit_pence, np.float64),
        ep_spend=_one(s.daily_spend_pence, np.float64), ep_dispatch=_one(s.dispatch, bool),
        ep_fixable=_one(False, bool), ep_u_mbs=_one(1.0, np.float64))


def episode_situation(d: Draws, i: int) -> Situation:
    """Episode ``i`` of a block's draws, with its premises' flags."""
    j = int(d.ep_premises[i])
    a = float(d.ep_start[i])
    inst = bool(d.ep_install[i])
    new_hw = inst or bool(d.existing_new[j]) or (bool(d.installed[j]) and float(d.t_install[j]) <= a)
    return Situation(
        install_episode=inst, start_days=a, dcc_days=float(d.ep_dcc_days[i]),
        credit_pence=float(d.ep_credit[i]), daily_spend_pence=float(d.ep_spend[i]),
        ppmid_loss_days=math.inf if inst else float(d.ep_ppmid_loss_days[i]),
        keypad=bool(d.keypad[j]), hub_reachable=bool(d.hub_reachable[j]), smartphone=bool(d.smartphone[j]),
        broadband=bool(d.broadband[j]), wifi_ppmid=bool(d.wifi_ppmid[j]), firmware=bool(d.firmware[j]),
        new_hardware=new_hw, spare=bool(d.spare[j]), dispatch=bool(d.ep_dispatch[i]))


def fleet_outcome(p: ModelParams, s: Situation, option: str) -> dict[str, float]:
    """The fleet model's partial sums (``model.SUM_KEYS``) for this one premises and episode."""
    return evaluate_option(p, situation_draws(s), combine(option))


def consumer_threshold_pence(daily_spend_pence: int, tick_s: float = EMULATOR_TICK_S) -> int:
    """The emulated consumer tops up below this: more than one tick of spend, so a consumer with a route
    tops up before the credit runs out (the fleet model's assumption)."""
    return math.ceil(daily_spend_pence * tick_s / DAY_S) + 2


def clamped_credit_pence(daily_spend_pence: int, tick_s: float = EMULATOR_TICK_S) -> int:
    """The least ``C`` a story plays: two pence above the consumer's threshold, so that the whole-pence meter
    is still above the threshold when the stretch starts (else the emulated consumer would top up first)."""
    return consumer_threshold_pence(daily_spend_pence, tick_s) + 2


def _run_out_credit_pence(t_out_s: float, pence_per_day: int) -> int:
    """Credit at t = 0 that runs out within one pence of spend before ``t_out_s`` on the meter's FlatRate rule
    (cumulative spend ``floor(t) * rate // day``, integer pence): the meter disconnects at the first whole
    second ``t`` with ``floor(t) * rate // day >= credit``, i.e. in ``(t_out - day/rate - 1, t_out]``."""
    return (math.floor(t_out_s) * pence_per_day) // int(DAY_S)


def situation_story(p: ModelParams, s: Situation, option: str, *, seed: int = 0, tick_s: float = EMULATOR_TICK_S,
                    margin_days: float = 1.0, name: str | None = None) -> dict[str, Any]:
    """A story mapping (docs/stories.md) playing ``s`` under ``option`` on the emulator; times in seconds.

    Raises ValueError for a combination the mapping cannot express (an option with WAN remedies other than
    the DCC deadline: the emulator does not draw WAN repair times).
    """
    eff = combine(option)
    if eff.wan_repeaters or eff.mini_base_stations or eff.mesh:
        raise ValueError(f"option {option!r}: the parity mapping covers options that change pairing, routes or "
                         f"the DCC deadline, not wan_repeaters/mini_base_stations/mesh_hub")
    if "preauth" in eff.local_pairing and not s.spare and not s.install_episode:
        raise ValueError(f"option {option!r}: the emulator always pre-registers a spare PPMID while the WAN is up; "
                         f"a situation without a spare cannot be played")
    cap = wan.remedy_cap_days(eff.prioritised_remedy, p.remedy.baseline_max_days.value, p.remedy.secmp0032_max_days.value)
    d_days = float(wan.restore_days(s.dcc_days, cap))
    shift = SHIFT_PERIOD_S * math.floor(max(0.0, s.start_days * DAY_S - DAY_S) / SHIFT_PERIOD_S)
    a = s.start_days * DAY_S - shift
    end = a + d_days * DAY_S
    spend = max(1, round(s.daily_spend_pence))
    threshold = consumer_threshold_pence(spend, tick_s)
    credit = max(s.credit_pence, float(clamped_credit_pence(spend, tick_s)))
    new_hw = s.new_hardware or s.install_episode  # an install brings a new hub and meters
    steps: list[dict[str, Any]] = []
    last = end
    if s.install_episode:
        steps.append({"at": a, "do": "install", "wan": False})
        stretch_start = a
    else:
        steps.append({"at": 0.0, "do": "install"})
        steps.append({"at": a, "do": "wan_lost"})
        stretch_start = a + min(s.ppmid_loss_days, d_days) * DAY_S
        if math.isfinite(s.ppmid_loss_days):
            lost = a + s.ppmid_loss_days * DAY_S
            arrives = lost + (p.remedy.ppmid_delivery_days.value + p.remedy.consumer_action_days.value) * DAY_S
            steps.append({"at": lost, "do": "ppmid_lost"})
            steps.append({"at": arrives, "do": "replacement_ppmid_arrives"})
            last = max(last, arrives)
    steps.append({"at": end, "do": "wan_restored"})
    steps.sort(key=lambda st: st["at"])  # a loss after the WAN is back is still played (and harmless)
    premises: dict[str, Any] = {
        "fuel": "electricity",
        # the meter runs out when the fleet model says: C / S_d days into the stretch (float C and S_d)
        "initial_credit_pence": _run_out_credit_pence(stretch_start + credit / s.daily_spend_pence * DAY_S, spend),
        "daily_spend_pence": spend,
        "meter_keypad_reachable": s.keypad,
        "hub_reachable": s.hub_reachable,
        "smartphone": s.smartphone,
        "broadband": s.broadband,
        "wifi_ppmid": s.wifi_ppmid,
        "new_hub": new_hw,
        "new_meters": new_hw,
        "firmware_ok": s.firmware or new_hw,
        "emergency_credit_pence": int(p.customer.emergency_credit_pence.value),
        "consumer_tops_up_below_pence": threshold,
        "tick_s": tick_s,
        "engineer_after_no_route_days": float(p.remedy.engineer_response_days.value) if s.dispatch else None,
        # the scenario's join windows, so a changed window moves the emulator as it moves the fleet
        "hht_window_s": float(p.windows.hht_window_minutes.value) * 60.0,
        "hub_button_window_s": float(p.windows.hub_button_window_minutes.value) * 60.0,
        "alternating_windows_per_day": int(p.windows.alternating_windows_per_day.value),
        "alternating_window_s": float(p.windows.alternating_window_minutes.value) * 60.0,
    }
    horizon = math.ceil((last + margin_days * DAY_S) / tick_s) * tick_s
    return {"name": name or f"parity-{option}", "seed": seed, "options": eff.option, "horizon": horizon,
            "premises": premises, "timeline": steps}
