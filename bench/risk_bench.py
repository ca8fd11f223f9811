"""Risk-register benchmark: how much scoring adds to ``smetslab compare``'s wall time (target: under 10%).

Measures (wall clock, this machine; median of --repeat runs):
1. compare: ``fleet.run`` of the scenario into a fresh results file, then ``report.build_report`` (which
   includes the security section) - what ``smetslab compare`` does;
2. scoring: everything the security side adds to that - ``report.security.run_registers`` (catalogue load,
   every option's register, the counts, the changes against baseline) and the HTML of the security section
   (``security_section``), timed on the same stored run.
The share is scoring / (compare without scoring). With --sensitivity the sweeps run once and the stability
re-scoring is timed too (against compare's sweeps).

Usage: python bench/risk_bench.py [SCENARIO] [--repeat N] [--sensitivity] [--json]. With --json the last line
is {"compare_s", "scoring_s", "share", ...}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from smetslab.fleet import run
from smetslab.interfaces.config import load_scenario
from smetslab.report import build_report
from smetslab.report.security import run_registers, security_section
from smetslab.report.store import read_run
from smetslab.risk import load_catalogue, stability


def _timed(fn, *args, **kw):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default=None, help="scenario file or built-in name (default gb-default)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--sensitivity", action="store_true", help="also time the sweeps and the stability scoring")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    scen = load_scenario(a.scenario)
    compare_s: list[float] = []
    scoring_s: list[float] = []
    for _ in range(a.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "results.duckdb"
            t_run, _ = _timed(run, scen, db, workers=a.workers)
            t_report, _ = _timed(build_report, db, Path(tmp) / "report.html")
            stored = read_run(db)
            t_regs, _ = _timed(run_registers, stored)
            t_section, _ = _timed(security_section, stored)
            # build_report already contains the section: compare without scoring is the rest
            compare_s.append(t_run + t_report - t_section)
            scoring_s.append(t_regs + t_section)
    c, s = statistics.median(compare_s), statistics.median(scoring_s)
    out = {"scenario": scen.name, "premises": scen.premises, "replicates": scen.replicates,
           "options": len(scen.options), "threats": len(load_catalogue().threats), "compare_s": round(c, 3),
           "scoring_s": round(s, 4), "share": round(s / c, 4)}
    if a.sensitivity:
        from smetslab.fleet.sensitivity import run_sweeps

        t_sweeps, sens = _timed(run_sweeps, scen, workers=a.workers)
        t_stab, changes = _timed(stability, sens, scen, load_catalogue())
        out.update(sweeps_s=round(t_sweeps, 3), stability_s=round(t_stab, 4),
                   stability_share=round(t_stab / t_sweeps, 4), rating_changes=len(changes))
    print(f"{scen.name}: {scen.premises:,} premises x {scen.replicates} replicates x {len(scen.options)} options, "
          f"{out['threats']} threats")
    print(f"compare (fleet run + report, without scoring): {c:.3f} s (median of {a.repeat})")
    print(f"scoring (registers + security section):        {s:.4f} s  -> {100 * s / c:.2f}% of compare (target < 10%)")
    if a.sensitivity:
        print(f"sweeps {out['sweeps_s']} s; stability re-scoring {out['stability_s']} s "
              f"({100 * out['stability_share']:.2f}%); {out['rating_changes']} rating changes")
    if a.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
