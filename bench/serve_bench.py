"""Load on `smetslab serve`: mixed API requests from concurrent clients on 127.0.0.1.

Starts `python -m smetslab serve --port 0` in a fresh workspace, reads its URL and token, then sends
``--requests`` requests (default 10,000) from ``--concurrency`` clients (default 32): GBCS parse, GBCS
verify (5 messages each), UTRN issue, UTRN verify, UTRN decode and small compare runs (8,192 premises,
1 replicate, 2 options; each waited for by polling). It reports errors (target 0), p50/p99 latency per
kind and overall, throughput, and the server's peak resident memory (process and children, sampled
every 50 ms).

    python bench/serve_bench.py                      # 10,000 requests, 32 clients
    python bench/serve_bench.py --requests 2000 --json

Messages: the RTDS files when ../shared/gbcs-rtds is beside the checkout (parsed against its keystore),
otherwise the frames of an example story run through the server. Figures depend on the machine and its
load; the bench prints them, it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
RTDS = Path(os.environ.get("SMETSLAB_RTDS", REPO.parent / "shared" / "gbcs-rtds"))
MIX = (("parse", 0.40), ("verify", 0.15), ("utrn_issue", 0.17), ("utrn_verify", 0.17), ("utrn_decode", 0.10),
       ("compare", 0.01))


def start_server(workspace: Path, keystore: Path | None) -> tuple[subprocess.Popen[str], str, str]:
    cmd = [sys.executable, "-m", "smetslab", "serve", "--port", "0", "--workspace", str(workspace),
           "--max-queued", "1000"]
    if keystore is not None:
        cmd += ["--keystore", str(keystore)]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "?token=" not in line:
        proc.kill()
        raise SystemExit(f"server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    url, token = line.split()[-1].split("/?token=")
    return proc, url, token


class PeakRSS:
    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rss = self.proc.memory_info().rss + sum(c.memory_info().rss for c in self.proc.children(True))
                self.peak = max(self.peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.05)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def rtds_messages(limit: int = 300) -> list[str]:
    folder = RTDS / "RTDS-4.5.0"
    files = sorted(folder.rglob("*.HEX"))[:limit] if folder.is_dir() else []
    return [f.read_text() for f in files]


def story_messages(client: httpx.Client) -> list[str]:
    text = (REPO / "examples" / "stories" / "wan-lost-ppmid-broken-hub-button.yaml").read_text()
    run = client.post("/api/premises/runs", json={"yaml": text}).json()
    return [client.get(f"/api/premises/runs/{run['id']}/frames/{f['n']}").json()["hex"] for f in run["frames"]]


def small_scenario(client: httpx.Client) -> dict[str, Any]:
    s: dict[str, Any] = client.get("/api/scenarios/gb-default").json()["scenario"]
    s.update(premises=8192, replicates=1, sensitivity=[], options=["baseline", "secmp0037"], name="bench")
    return s


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    ws = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    keystore = RTDS / "keystore" if (RTDS / "keystore").is_dir() else None
    proc, url, token = start_server(ws, keystore)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as sync:
            messages = rtds_messages() if keystore is not None else story_messages(sync)
            scenario = small_scenario(sync)
        ks = "configured" if keystore is not None else "generated"
        rng = random.Random(args.seed)
        kinds = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX], k=args.requests)
        utrns = []
        latencies: dict[str, list[float]] = {k: [] for k, _ in MIX}
        errors: dict[str, int] = {}
        queue: asyncio.Queue[str] = asyncio.Queue()
        for k in kinds:
            queue.put_nowait(k)
        limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)

        async def one(client: httpx.AsyncClient, kind: str) -> None:
            i = rng.randrange(1 << 30)
            if kind == "parse":
                r = await client.post("/api/gbcs/parse", json={"hex": messages[i % len(messages)], "keystore": ks})
            elif kind == "verify":
                batch = [{"name": str(j), "hex": messages[(i + j) % len(messages)]} for j in range(5)]
                r = await client.post("/api/gbcs/verify", json={"messages": batch, "keystore": ks})
            elif kind == "utrn_issue":
                r = await client.post("/api/utrn/issue", json={"supplier": "90B3D51F30010000",
                                                               "meter": "00DB1234567890A0",
                                                               "counter": (i % 1000) << 32, "value": i % 8000})
                if r.status_code == 200:
                    utrns.append(r.json()["utrn"])
            elif kind == "utrn_verify":
                code = utrns[i % len(utrns)] if utrns else "73943020233280817168"
                r = await client.post("/api/utrn/verify", json={"utrn": code, "supplier": "90B3D51F30010000",
                                                                "meter": "00DB1234567890A0"})
            elif kind == "utrn_decode":
                r = await client.post("/api/utrn/decode", json={"utrn": "73943020233280817168"})
            else:
                scenario_i = {**scenario, "seed": i}
                r = await client.post("/api/runs", json={"scenario": scenario_i})
                if r.status_code == 202:
                    run_id = r.json()["id"]
                    while True:
                        await asyncio.sleep(0.1)
                        g = await client.get(f"/api/runs/{run_id}")
                        state = g.json()["state"]
                        if state not in ("queued", "running"):
                            if state != "finished":
                                errors[f"compare:{state}"] = errors.get(f"compare:{state}", 0) + 1
                            break
            if r.status_code >= 400:
                errors[f"{kind}:{r.status_code}"] = errors.get(f"{kind}:{r.status_code}", 0) + 1

        async def worker(client: httpx.AsyncClient) -> None:
            while True:
                try:
                    kind = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t0 = time.perf_counter()
                try:
                    await one(client, kind)
                except httpx.HTTPError as exc:
                    errors[f"{kind}:{type(exc).__name__}"] = errors.get(f"{kind}:{type(exc).__name__}", 0) + 1
                latencies[kind].append(time.perf_counter() - t0)

        with PeakRSS(proc.pid) as mem:
            t0 = time.perf_counter()
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=300, limits=limits) as client:
                await asyncio.gather(*(worker(client) for _ in range(args.concurrency)))
            wall = time.perf_counter() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()

    def pct(xs: list[float], q: float) -> float | None:
        if not xs:
            return None
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000

    every = [x for v in latencies.values() for x in v]
    return {
        "requests": args.requests, "concurrency": args.concurrency, "wall_s": round(wall, 2),
        "requests_per_s": round(args.requests / wall, 1), "errors": sum(errors.values()), "error_kinds": errors,
        "p50_ms": round(pct(every, 0.5) or 0, 2), "p99_ms": round(pct(every, 0.99) or 0, 2),
        "per_kind": {k: {"n": len(v), "p50_ms": round(pct(v, 0.5) or 0, 2), "p99_ms": round(pct(v, 0.99) or 0, 2),
                         "mean_ms": round(statistics.fmean(v) * 1000, 2) if v else None}
                     for k, v in latencies.items()},
        "server_peak_rss_mb": round(mem.peak / 2**20, 1), "messages": "rtds" if keystore else "story frames",
        "cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    result = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['requests']} requests, {result['concurrency']} clients, {result['wall_s']} s "
          f"({result['requests_per_s']} req/s); errors {result['errors']} {result['error_kinds'] or ''}")
    print(f"latency p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms; server peak RSS "
          f"{result['server_peak_rss_mb']} MB; messages: {result['messages']}; load {result['load_avg_1m']:.2f}")
    for k, v in result["per_kind"].items():
        print(f"  {k:<12} n={v['n']:<5} p50 {v['p50_ms']:>8} ms  p99 {v['p99_ms']:>8} ms")


if __name__ == "__main__":
    main()
