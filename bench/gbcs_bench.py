"""GBCS throughput: RTDS decode + MAC/signature checks (messages/s), UTRN issue/s and verify/s.

Usage: python bench/gbcs_bench.py [--rtds DIR] [--json] [--reps N] [--utrns N]

All RTDS messages are read into memory first; each repetition then decodes and checks every one
of them with ``security.check`` (MAC and signature verified afresh every time: nothing but the
keystore's parsed keys and ECDH secrets is reused, which is what a real verifier may cache too).
Figures are medians over the repetitions after one warm-up pass. With ``--json`` the last line is
``{"rtds_messages_per_s": ..., "utrn_issue_per_s": ..., "utrn_verify_per_s": ...}``.
Target (issue 2): at least twice the Node gbcs-parser on the same machine, i.e. about 9,400
messages/s and 9,400-10,000 UTRNs/s on a 2-core box.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from smetslab.gbcs import security
from smetslab.gbcs.keystore import Keystore
from smetslab.units import EUI64

ACB = EUI64("90B3D51F30000002")
SUPPLIER = "90b3d51f30010000"  # has the -pp-ka prepayment key pair in the RTDS keystore
METER = "00db1234567890a0"


def default_rtds() -> Path:
    repo = Path(__file__).resolve().parents[1]
    return Path(os.environ.get("SMETSLAB_RTDS", repo.parent / "shared" / "gbcs-rtds"))


def load_messages(rtds: Path) -> list[bytes]:
    with (rtds / "index.csv").open(newline="") as fh:
        return [bytes.fromhex((rtds / row["file"]).read_text().strip()) for row in csv.DictReader(fh)]


def time_runs(fn: Callable[[], object], reps: int) -> list[float]:
    fn()  # warm-up: imports, key parsing, ECDH secrets, CPU caches
    runs = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return runs


def bench_rtds(messages: list[bytes], keys: Keystore, reps: int) -> tuple[float, Counter[str]]:
    check = security.check
    tally: Counter[str] = Counter()

    def one_pass() -> None:
        tally.clear()
        for wire in messages:
            result = check(wire, keys, acb=ACB)
            tally["mac " + result.mac] += 1
            tally["signature " + result.signature] += 1

    runs = time_runs(one_pass, reps)
    return len(messages) / statistics.median(runs), tally


def bench_utrn(keys: Keystore, count: int, reps: int) -> tuple[float | None, float | None, str]:
    try:
        from smetslab.gbcs import utrn
    except ImportError:  # the UTRN module is a colleague's; keep the message benchmark usable without it
        return None, None, "smetslab.gbcs.utrn not available"
    # counters with zero low 32 bits so the meter side can rebuild them from ctr10 (policy low32_zero)
    requests = [((i % 1024) << 32, 100 + i % 8000) for i in range(count)]
    codes: list[str] = []

    def issue_all() -> None:
        codes[:] = [utrn.issue(keys, supplier=SUPPLIER, meter=METER, counter=c, value=v, value_class="pennies")
                    for c, v in requests]

    def verify_all() -> None:
        for code in codes:
            utrn.verify(keys, code, supplier=SUPPLIER, meter=METER)

    issue_runs = time_runs(issue_all, reps)
    verify_runs = time_runs(verify_all, reps)
    return count / statistics.median(issue_runs), count / statistics.median(verify_runs), f"{count} UTRNs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtds", type=Path, default=default_rtds(), help="RTDS folder (index.csv, keystore/)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    parser.add_argument("--reps", type=int, default=7, help="timed repetitions (median reported)")
    parser.add_argument("--utrns", type=int, default=2000, help="UTRNs issued and verified per repetition")
    args = parser.parse_args(argv)
    if not (args.rtds / "index.csv").is_file():
        print(f"error: RTDS folder {str(args.rtds)!r} has no index.csv; pass --rtds DIR", file=sys.stderr)
        return 2
    if args.reps < 1 or args.utrns < 1:
        print("error: --reps and --utrns must be at least 1", file=sys.stderr)
        return 2

    messages = load_messages(args.rtds)
    keys = Keystore.from_directory(args.rtds / "keystore")
    msg_rate, tally = bench_rtds(messages, keys, args.reps)
    issue_rate, verify_rate, utrn_note = bench_utrn(keys, args.utrns, args.reps)

    print(f"RTDS: {len(messages)} messages, decode + MAC/signature check: {msg_rate:,.0f} messages/s "
          f"(median of {args.reps} after warm-up)")
    print("      " + ", ".join(f"{k}: {v}" for k, v in sorted(tally.items())))
    if issue_rate is None or verify_rate is None:
        print(f"UTRN: skipped ({utrn_note})")
    else:
        print(f"UTRN: issue {issue_rate:,.0f}/s, verify {verify_rate:,.0f}/s ({utrn_note}, median of {args.reps})")
    if args.json:
        print(json.dumps({
            "rtds_messages_per_s": round(msg_rate, 1),
            "utrn_issue_per_s": None if issue_rate is None else round(issue_rate, 1),
            "utrn_verify_per_s": None if verify_rate is None else round(verify_rate, 1),
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
