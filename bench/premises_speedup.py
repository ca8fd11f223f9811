"""The emulator against an older checkout of itself, on the same machine: issue 10's speed targets.

    git worktree add /tmp/smetslab-before bb98de0     # the emulator before issue 10
    python bench/premises_speedup.py --before /tmp/smetslab-before [--rounds 3] [--opcodes]

Runs the long stories of ``bench/premises_bench.py`` (a busy premises-year, a quiet premises-year, a quiet
premises-decade; full crypto) with each checkout's own code, in child processes, alternating before and
after round by round so that both see the same machine load. Prints the best CPU time of each and the
ratios (best against best, and the median of the rounds' paired ratios).

Timings on a shared machine move with its load; ``--opcodes`` adds a load-independent measure: the Python
bytecode instructions one run executes (counted with a tracer, so slow: the busy and quiet years only).
It leaves out time spent in C (OpenSSL, hashing, dict and bytes operations), so its ratios are upper
bounds of the time ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time
tree, kind, days, repeat, opcodes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
sys.path[:0] = [tree + "/src", tree + "/bench"]
import premises_bench as b
from smetslab.premises.runner import run_story
story = (b.busy_story if kind == "busy" else b.quiet_story)(days)
run_story(b.quiet_story(2))  # imports and first-use caches, outside the timing
best = float("inf")
for _ in range(repeat):
    t = time.process_time()
    run = run_story(story)
    best = min(best, time.process_time() - t)
out = {"seconds": best, "events": len(run.records)}
if opcodes:
    n = 0
    def tracer(frame, event, arg):
        global n
        frame.f_trace_opcodes = True
        if event == "opcode":
            n += 1
        return tracer
    sys.settrace(tracer)
    run_story(story)
    sys.settrace(None)
    out["opcodes"] = n
print(json.dumps(out))
"""

RUNS = (("busy_year", "busy", 365), ("quiet_year", "quiet", 365), ("quiet_decade", "quiet", 3652))


def _child(tree: Path, kind: str, days: int, repeat: int, opcodes: bool) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(tree), kind, str(days), str(repeat),
                          "1" if opcodes else "0"], check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="the older checkout (a folder with src/ and bench/)")
    ap.add_argument("--after", type=Path, default=HERE, help="the newer checkout (default: this one)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    ap.add_argument("--repeat", type=int, default=2, help="runs per child, best kept (default 2)")
    ap.add_argument("--opcodes", action="store_true", help="also count Python opcodes (busy and quiet years)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    for tree in (args.before, args.after):
        if not (tree / "src" / "smetslab").is_dir() or not (tree / "bench" / "premises_bench.py").is_file():
            print(f"error: {tree}: not a smetslab checkout with src/smetslab and bench/premises_bench.py",
                  file=sys.stderr)
            return 2
    report: dict[str, dict[str, object]] = {}
    for name, kind, days in RUNS:
        before: list[float] = []
        after: list[float] = []
        events = set()
        for _ in range(args.rounds):
            b = _child(args.before, kind, days, args.repeat, False)
            a = _child(args.after, kind, days, args.repeat, False)
            before.append(b["seconds"])
            after.append(a["seconds"])
            events |= {b["events"], a["events"]}
        row: dict[str, object] = {
            "before_s": min(before), "after_s": min(after), "speedup_best": min(before) / min(after),
            "speedup_paired_median": statistics.median(x / y for x, y in zip(before, after, strict=True)),
            "events": sorted(events)}
        if args.opcodes and days <= 366:
            ob = _child(args.before, kind, days, 1, True)["opcodes"]
            oa = _child(args.after, kind, days, 1, True)["opcodes"]
            row.update({"before_opcodes": ob, "after_opcodes": oa, "opcode_ratio": ob / oa})
        report[name] = row
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"before: {args.before}\nafter:  {args.after}\n(best CPU time of {args.rounds} alternating rounds x "
          f"{args.repeat} runs; full crypto)")
    for name, row in report.items():
        line = (f"  {name:<13} {row['before_s']:7.3f} s -> {row['after_s']:6.3f} s   "
                f"x{row['speedup_best']:.2f} (paired median x{row['speedup_paired_median']:.2f})")
        if "opcode_ratio" in row:
            line += f"   opcodes {row['before_opcodes']:,} -> {row['after_opcodes']:,} (x{row['opcode_ratio']:.2f})"
        if len(row["events"]) != 1:  # type: ignore[arg-type]
            line += f"   EVENT COUNTS DIFFER: {row['events']}"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
