"""Statistical parity (issue 4 point 5: "on shared small scenarios the fleet engine and the premises emulator
agree within their intervals").

One incident type - the PPMID lost during a WAN outage - on a small fleet, through the fleet *engine*
(``run_in_memory``, several replicates) and through the emulator: every no-WAN episode of each replicate's draws
(``model.draw_block``, the very draws the engine used) becomes a story (``tests/_parity_adapter.py``) and is played on the
Site. Per replicate the emulator's totals are turned into the same per premises-year metrics. Checked, for
``baseline`` and ``secmp0037``:

1. the per-episode fleet outcomes add up to the engine's figures (the one-premises mapping is the engine's);
2. each side's mean lies inside the other's 95% interval across replicates (the issue's criterion);
3. per replicate, paired on the same draws, the difference is within the sum of the per-episode tolerances
   (_paritykit.bounds: the emulator's pairing latency and tick granularity) - much tighter than 2.
   Episodes of the 'armed meter' case (docs/parity.md finding 2, fixed: the WAN back before the replacement
   PPMID arrives, keypad out of reach, so the supply stays off until the replacement pairs) are compared like
   any other; their number is asserted so that the run is known to contain them.

No engineers and no emergency credit here: findings 1 and 3 (fixed) are checked by test_decisions.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from _paritykit import DAY_H, Compared, bounds, emulate, replacement_after_wan_back, scenario

from _parity_adapter import episode_situation, fleet_outcome, situation_story
from smetslab.fleet import run_in_memory
from smetslab.fleet.model import ModelParams, draw_block
from smetslab.fleet.store import interval

OPTIONS = ("baseline", "secmp0037")
METRICS = {"no_route_days": ("no_route", 1.0 / DAY_H), "utrn_only_days": ("utrn_only", 1.0 / DAY_H),
           "self_disconnection_hours": ("self_disconnection", 1.0)}


def outage_scenario(premises: int, replicates: int, seed: int):
    """PPMID lost during an outage: WAN lost once a year on average (DCC restore ~ Exp(20 days), 90-day cap),
    PPMIDs lost 12 times a year (so about 40% of outages see one), replacements after 3 + 0.5 days; 30% of
    keypads reachable; no engineers, no emergency credit (findings 1 and 3: test_decisions.py)."""
    return scenario({"premises": premises, "replicates": replicates, "seed": seed, "horizon_days": 365.0,
                     "options": list(OPTIONS)},
                    incidents__wan_lost_per_year=1.0, incidents__ppmid_lost_per_year=12.0)


@dataclass
class Replicate:
    """One replicate's figures per (option, metric), per premises-year."""

    engine: dict[tuple[str, str], float]  # the fleet engine's value
    fleet_all: dict[tuple[str, str], float]  # the per-episode fleet outcomes, summed
    fleet: dict[tuple[str, str], float]  # the same over the compared episodes
    emu: dict[tuple[str, str], float]  # the emulator over the compared episodes
    lo: dict[tuple[str, str], float]  # allowed emulator - fleet: the per-episode bounds, summed
    hi: dict[tuple[str, str], float]
    emu_all: dict[tuple[str, str], float]  # the emulator over every episode (for the intervals)
    armed_gap: dict[str, list[Compared]]  # option -> episodes of the armed-meter case (finding 2)
    episodes: int


def _replicate(p: ModelParams, engine: dict[tuple[str, int, str], float], r: int) -> Replicate:
    d = draw_block(p, r, 0)  # premises < BLOCK_PREMISES: the engine's only block
    py = p.premises * p.years
    rep = Replicate({}, {}, {}, {}, {}, {}, {}, {o: [] for o in OPTIONS}, int(d.ep_premises.size))
    for o in OPTIONS:
        tot = {m: [0.0] * 6 for m in METRICS}  # fleet all, fleet, emu, lo, hi, emu all (hours or counts)
        for i in range(d.ep_premises.size):
            s = episode_situation(d, i)
            c = Compared(s, o, fleet_outcome(p, s, o), emulate(situation_story(p, s, o, seed=i)))
            if replacement_after_wan_back(p, s, o):
                rep.armed_gap[o].append(c)
            for metric, (name, _) in METRICS.items():
                fleet, emu = c.hours()[name]
                lo, hi = bounds(c, name)
                t = tot[metric]
                t[0] += c.fleet[metric]
                t[5] += emu
                t[1] += fleet
                t[2] += emu
                t[3] += lo
                t[4] += hi
        for metric, (_, scale) in METRICS.items():
            key = (o, metric)
            all_f, f, e, lo, hi, all_e = tot[metric]
            rep.engine[key] = engine[(o, r, metric)]
            rep.fleet_all[key] = all_f / py
            rep.fleet[key], rep.emu[key] = f * scale / py, e * scale / py
            rep.lo[key], rep.hi[key] = lo * scale / py, hi * scale / py
            rep.emu_all[key] = all_e * scale / py
    return rep


class Run:
    def __init__(self, premises: int, replicates: int, seed: int) -> None:
        self.scenario = outage_scenario(premises, replicates, seed)
        self.p = ModelParams.from_scenario(self.scenario)
        engine = run_in_memory(self.scenario, workers=1)
        self.reps = [_replicate(self.p, engine, r) for r in range(replicates)]


def _check_sums(run: Run) -> None:
    for rep in run.reps:
        for o in OPTIONS:
            for metric in METRICS:
                assert rep.fleet_all[(o, metric)] == pytest.approx(rep.engine[(o, metric)], rel=1e-9, abs=1e-12)


def _check_intervals(run: Run) -> list[str]:
    lines = []
    for o in OPTIONS:
        for metric in METRICS:
            f = interval([rep.engine[(o, metric)] for rep in run.reps])
            e = interval([rep.emu_all[(o, metric)] for rep in run.reps])
            lines.append(f"{o} {metric}: fleet {f[0]:.4f} [{f[1]:.4f}, {f[2]:.4f}]  "
                         f"emulator {e[0]:.4f} [{e[1]:.4f}, {e[2]:.4f}]")
            assert f[1] <= e[0] <= f[2] and e[1] <= f[0] <= e[2], lines[-1]
    return lines


def _check_paired(run: Run) -> None:
    for r, rep in enumerate(run.reps):
        for o in OPTIONS:
            for metric in METRICS:
                fleet = rep.fleet[(o, metric)]
                diff = rep.emu[(o, metric)] - fleet
                lo, hi = rep.lo[(o, metric)], rep.hi[(o, metric)]
                assert lo - 1e-12 <= diff <= hi + 1e-12, (
                    f"replicate {r} {o} {metric}: fleet {fleet:.6f}, emulator {rep.emu[(o, metric)]:.6f}, "
                    f"difference {diff:+.6f} outside [{lo:+.6f}, {hi:+.6f}] per premises-year")


@pytest.fixture(scope="module")
def fast() -> Run:
    return Run(premises=40, replicates=3, seed=2024)


def test_episode_outcomes_add_up_to_the_engine(fast):
    _check_sums(fast)


def test_means_agree_within_their_intervals(fast):
    _check_intervals(fast)


def test_paired_replicates_agree_within_the_summed_tolerances(fast):
    _check_paired(fast)
    # the scenario must exercise what it claims: PPMID losses inside outages, and local pairings under SECMP0037
    assert sum(rep.episodes for rep in fast.reps) >= 90
    assert all(rep.engine[("baseline", "self_disconnection_hours")] > 0 for rep in fast.reps)
    assert all(rep.engine[("secmp0037", "no_route_days")] < rep.engine[("baseline", "no_route_days")]
               for rep in fast.reps)


@pytest.mark.slow
def test_statistical_parity_a_few_hundred_premises():
    run = Run(premises=300, replicates=5, seed=7)
    _check_sums(run)
    _check_intervals(run)
    _check_paired(run)
    gaps = sum(len(rep.armed_gap["baseline"]) for rep in run.reps)
    assert gaps >= 1  # the armed-meter case does occur at this size, and is compared like any other
