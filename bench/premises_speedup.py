"""The emulator against an older checkout of itself, on the same machine: issue 10's speed targets.

    python bench/premises_speedup.py --before bb98de0 [--rounds 3] [--opcodes]   # the emulator before issue 10

``--before`` (and ``--after``) take a checkout folder or a commit of this clone; a commit is exported with
``git archive`` into a temporary folder (read-only for the repository; removed afterwards).

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
import io
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from contextlib import ExitStack
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


class BenchError(Exception):
    """Bad input or a failed child run: printed as one line, exit 2."""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number >= 1")
    return value


def _is_checkout(tree: Path) -> bool:
    return (tree / "src" / "smetslab").is_dir() and (tree / "bench" / "premises_bench.py").is_file()


def _tree(option: str, given: str, stack: ExitStack) -> Path:
    """A checkout folder as given, or a commit of this clone exported into a temporary folder."""
    folder = Path(given)
    if folder.is_dir():
        if not _is_checkout(folder):
            raise BenchError(f"{option} {given!r}: not a smetslab checkout (no src/smetslab or "
                             "bench/premises_bench.py); allowed: a checkout folder or a commit of this clone")
        return folder
    rev = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--verify", "--quiet", f"{given}^{{commit}}"],
                         capture_output=True, text=True)
    if rev.returncode != 0:
        raise BenchError(f"{option} {given!r}: neither a folder nor a commit of this clone (a shallow clone lacks "
                         "old commits: git fetch --unshallow); allowed: a checkout folder or a commit, e.g. bb98de0")
    archive = subprocess.run(["git", "-C", str(HERE), "archive", rev.stdout.strip(), "src", "bench"],
                             capture_output=True)
    if archive.returncode != 0:
        raise BenchError(f"{option} {given!r}: git archive failed: {archive.stderr.decode().strip()}")
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"smetslab-{given[:12]}-")))
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    if not _is_checkout(folder):
        raise BenchError(f"{option} {given!r}: that commit has no src/smetslab or bench/premises_bench.py")
    return folder


def _child(tree: Path, kind: str, days: int, repeat: int, opcodes: bool) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(tree), kind, str(days), str(repeat),
                          "1" if opcodes else "0"], capture_output=True, text=True)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise BenchError(f"the {kind} run of {days} days in {tree} failed: {last}")
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True,
                    help="the older emulator: a checkout folder or a commit of this clone (e.g. bb98de0)")
    ap.add_argument("--after", default=str(HERE), help="the newer one, likewise (default: this checkout)")
    ap.add_argument("--rounds", type=_positive, default=3, help="alternating rounds (default 3)")
    ap.add_argument("--repeat", type=_positive, default=2, help="runs per child, best kept (default 2)")
    ap.add_argument("--opcodes", action="store_true", help="also count Python opcodes (busy and quiet years)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    try:
        with ExitStack() as stack:
            before_tree = _tree("--before", args.before, stack)
            after_tree = _tree("--after", args.after, stack)
            return _compare(args, before_tree, after_tree)
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _compare(args: argparse.Namespace, before_tree: Path, after_tree: Path) -> int:
    report: dict[str, dict[str, object]] = {}
    for name, kind, days in RUNS:
        before: list[float] = []
        after: list[float] = []
        events = set()
        for _ in range(args.rounds):
            b = _child(before_tree, kind, days, args.repeat, False)
            a = _child(after_tree, kind, days, args.repeat, False)
            before.append(b["seconds"])
            after.append(a["seconds"])
            events |= {b["events"], a["events"]}
        row: dict[str, object] = {
            "before_s": min(before), "after_s": min(after), "speedup_best": min(before) / min(after),
            "speedup_paired_median": statistics.median(x / y for x, y in zip(before, after, strict=True)),
            "events": sorted(events)}
        if args.opcodes and days <= 366:
            ob = _child(before_tree, kind, days, 1, True)["opcodes"]
            oa = _child(after_tree, kind, days, 1, True)["opcodes"]
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
