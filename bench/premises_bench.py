"""Premises emulator benchmark: emulated premises-days per second with full crypto, and where the time goes.

Runs stories on the real ``premises.site.Site`` (real GBCS frames, MACs, signatures and UTRN checks):

- a busy built-in story (dual fuel, the consumer tops up whenever credit runs low, the WAN fails
  for a week, the PPMID breaks and a replacement pairs under secmp0037) for ``--days`` days;
- every example story in examples/stories/ (their own horizons);
- the busy story again with persistence (``--db``-style, one SQLite transaction per instant);
- long runs, the issue-10 targets: a busy premises-year (the busy story over 365 days), a quiet
  premises-year and a quiet premises-decade (dual fuel, installed and then left alone: the meters
  run down their credit, use their emergency credit and self-disconnect; nothing else happens).

Then it profiles the busy story with cProfile, in memory and persistent, and splits the self time by
module group: persistence (the state codec, JSON and SQLite), GBCS crypto and codecs
(``smetslab.gbcs``, ``smetslab.zigbee``, the ``cryptography`` package), the device state machines
(``smetslab.devices``), the premises engine/Site/actors (``smetslab.premises``), the rules
(``smetslab.policy``) and everything else (Python itself, pydantic, numpy...).

    python bench/premises_bench.py [--days 30] [--repeat 3] [--json] [--long-only]

Wall-clock timing lives here, never in the tests.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from smetslab.interfaces.config import load_story
from smetslab.premises.persistence import PremisesStore
from smetslab.premises.runner import run_story
from smetslab.premises.story import Story, validate_story

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "stories"
DAY_S = 86_400.0


def busy_story(days: int) -> Story:
    """A premises kept busy: the consumer tops up by any route when below £3, daily UTRNs, an outage."""
    timeline: list[dict[str, Any]] = [
        {"at": 0, "do": "install"},
        {"at": "day 3 10:00", "do": "wan_lost"},
        {"at": "day 5 10:00", "do": "ppmid_lost"},
        {"at": "day 6 10:00", "do": "replacement_ppmid_arrives"},
        {"at": "day 10 10:00", "do": "wan_restored"},
    ]
    for d in range(1, days):
        timeline.append({"at": f"day {d} 19:00", "do": "utrn_issued", "value_pence": 500,
                         "fuel": "electricity" if d % 2 else "gas", "route": "wan" if d % 3 else "ppmid"})
    return validate_story({
        "name": f"busy-{days}d", "seed": 1, "options": "secmp0037", "horizon": f"{days}d",
        "premises": {"fuel": "dual", "initial_credit_pence": 1500, "daily_spend_pence": 400,
                     "consumer_tops_up_below_pence": 300},
        "timeline": [s for s in timeline if _day_of(s["at"]) < days],
    })


def quiet_story(days: int) -> Story:
    """A premises installed and then left alone for ``days`` days (nothing but the meters' own clock)."""
    return validate_story({
        "name": f"quiet-{days}d", "seed": 1, "options": "baseline", "horizon": f"{days}d",
        "premises": {"fuel": "dual"},
        "timeline": [{"at": 0, "do": "install"}],
    })


def _day_of(at: object) -> float:
    return 0.0 if not isinstance(at, str) else float(at.split()[1])


def _timed(story: Story, repeat: int, *, persist: bool = False, quiet: bool = True) -> dict[str, Any]:
    best = float("inf")
    events = 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            if persist:
                with PremisesStore(Path(tmp) / "bench.sqlite") as store:
                    run = run_story(story, store=store, commit_quiet_instants=quiet)
            else:
                run = run_story(story)
            best = min(best, time.perf_counter() - t0)
            events = len(run.records)
    days = story.horizon.seconds / DAY_S
    return {"story": story.name, "days": days, "seconds": best, "premises_days_per_s": days / best,
            "events": events, "events_per_s": events / best, "persistent": persist,
            "commits": "every instant" if quiet else "instants that logged something"}


_GROUPS = (
    ("persistence: state codec, JSON, SQLite", ("/smetslab/premises/persistence.py", "/json/", "/sqlite3/")),
    ("gbcs crypto + codecs", ("/smetslab/gbcs/", "/smetslab/zigbee/", "/cryptography/")),
    ("device state machines", ("/smetslab/devices/",)),
    ("premises engine/site/actors", ("/smetslab/premises/",)),
    ("policy rules", ("/smetslab/policy/",)),
)


def _group(filename: str) -> str:
    for name, needles in _GROUPS:
        if any(n in filename for n in needles):
            return name
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C code)"
    return "other Python (stdlib, numpy, pydantic...)"


def profile(story: Story, top: int, *, persist: bool = False) -> dict[str, Any]:
    prof = cProfile.Profile()
    with tempfile.TemporaryDirectory() as tmp:
        if persist:
            with PremisesStore(Path(tmp) / "profile.sqlite") as store:
                prof.enable()
                run_story(story, store=store)
                prof.disable()
        else:
            prof.enable()
            run_story(story)
            prof.disable()
    stats = pstats.Stats(prof)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    by_group: dict[str, float] = defaultdict(float)
    total = 0.0
    entries = []
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, callers) in raw.items():
        group = _group(filename)
        if group == "builtins (C code)" and callers:
            # a C call (e.g. OpenSSL via cryptography's Rust bindings) is charged to the modules
            # calling it, in proportion to the time spent in it from each caller
            weights = {c: v[3] for c, v in callers.items()}
            norm = sum(weights.values()) or float(len(weights))
            for c, w in weights.items():
                by_group[_group(c[0])] += tottime * ((w / norm) if sum(weights.values()) else 1 / norm)
        else:
            by_group[group] += tottime
        total += tottime
        short = filename.split("/site-packages/")[-1].split("/src/")[-1]
        entries.append({"function": f"{short}:{line}({func})", "calls": ncalls, "self_s": tottime,
                        "cumulative_s": cumtime, "group": _group(filename)})
    entries.sort(key=lambda e: e["self_s"], reverse=True)
    return {"total_self_s": total,
            "by_group": {k: {"self_s": v, "share": v / total} for k, v in
                         sorted(by_group.items(), key=lambda kv: kv[1], reverse=True)},
            "top": entries[:top]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=30, help="horizon of the busy story (default 30)")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    ap.add_argument("--top", type=int, default=15, help="profile entries to print (default 15)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--long-only", action="store_true",
                    help="only the long runs (busy year, quiet year, quiet decade)")
    args = ap.parse_args(argv)

    long_runs = {"busy_year": _timed(busy_story(365), args.repeat),
                 "quiet_year": _timed(quiet_story(365), args.repeat),
                 "quiet_decade": _timed(quiet_story(3652), args.repeat)}
    if args.long_only:
        if args.json:
            print(json.dumps(long_runs, indent=1))
        else:
            _print_long(long_runs, args.repeat)
        return 0

    busy = busy_story(args.days)
    results = {"busy": _timed(busy, args.repeat),
               "busy_persistent": _timed(busy, args.repeat, persist=True),
               "busy_persistent_logged_only": _timed(busy, args.repeat, persist=True, quiet=False),
               "examples": [_timed(load_story(p), 1) for p in sorted(EXAMPLES.glob("*.yaml"))]}
    ex = results["examples"]
    if ex:
        days = sum(r["days"] for r in ex)
        secs = sum(r["seconds"] for r in ex)
        results["examples_total"] = {"stories": len(ex), "days": days, "seconds": secs,
                                     "premises_days_per_s": days / secs}
    results["long"] = long_runs
    results["profile"] = profile(busy, args.top)
    results["profile_persistent"] = profile(busy, args.top, persist=True)
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    b, bp = results["busy"], results["busy_persistent"]
    print(f"busy story, {b['days']:.0f} days, options secmp0037, full crypto (best of {args.repeat}):")
    print(f"  {b['premises_days_per_s']:8.1f} premises-days/s   {b['seconds']:.3f} s   "
          f"{b['events']} events ({b['events_per_s']:.0f}/s)")
    print(f"  {bp['premises_days_per_s']:8.1f} premises-days/s with persistence (SQLite, one transaction per instant)"
          f"   {bp['seconds']:.3f} s")
    bq = results["busy_persistent_logged_only"]
    print(f"  {bq['premises_days_per_s']:8.1f} premises-days/s with persistence, committing only instants that logged "
          f"something   {bq['seconds']:.3f} s")
    if ex:
        t = results["examples_total"]
        print(f"\nexample stories ({t['stories']}): {t['days']:.0f} premises-days in {t['seconds']:.2f} s = "
              f"{t['premises_days_per_s']:.1f} premises-days/s")
        for r in ex:
            print(f"  {r['story']:<48} {r['days']:6.1f} d  {r['seconds']:7.3f} s  {r['premises_days_per_s']:8.1f} d/s")
    _print_long(long_runs, args.repeat)
    p = results["profile"]
    print(f"\nwhere the time goes (cProfile self time, {p['total_self_s']:.2f} s under the profiler):")
    for g, v in p["by_group"].items():
        print(f"  {g:<44} {v['self_s']:7.3f} s  {100 * v['share']:5.1f} %")
    print(f"\ntop {args.top} functions by self time:")
    for e in p["top"]:
        print(f"  {e['self_s']:7.3f} s  {e['calls']:>8}  {e['group']:<30} {e['function']}")
    pp = results["profile_persistent"]
    print(f"\nwith persistence, one transaction per instant ({pp['total_self_s']:.2f} s under the profiler):")
    for g, v in pp["by_group"].items():
        print(f"  {g:<44} {v['self_s']:7.3f} s  {100 * v['share']:5.1f} %")
    return 0


def _print_long(long_runs: dict[str, dict[str, Any]], repeat: int) -> None:
    print(f"\nlong runs, full crypto (best of {repeat}):")
    for key, r in long_runs.items():
        print(f"  {key:<14} {r['days']:7.0f} d  {r['seconds']:8.3f} s  {r['premises_days_per_s']:9.1f} d/s  "
              f"{r['events']} events")


if __name__ == "__main__":
    sys.exit(main())
