"""Results in DuckDB: resumable, not recomputed when finished, exportable; intervals across replicates."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from smetslab.errors import InputError
from smetslab.fleet import export, run, run_in_memory, summarise
from smetslab.fleet.model import BLOCK_PREMISES
from smetslab.fleet.store import interval, t_quantile_975


def _metrics(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {(o, r, m): v for o, r, m, v in con.execute("SELECT * FROM metrics").fetchall()}
    finally:
        con.close()


def test_run_writes_the_contract_schema(small, tmp_path):
    db = tmp_path / "r.duckdb"
    s = run(small, db, workers=1)
    assert (s.status, s.chunks_computed, s.chunks_reused) == ("finished", s.n_chunks, 0)
    con = duckdb.connect(str(db), read_only=True)
    info = dict(con.execute("SELECT key, value FROM run_info").fetchall())
    assert {"scenario_name", "scenario_json", "scenario_sha256", "seed", "version", "status", "chunk_premises",
            "n_chunks", "backend"} <= set(info)
    assert info["status"] == "finished" and json.loads(info["scenario_json"])["name"] == small.name
    opts = con.execute("SELECT option, components, cpa_needed, new_hardware_only FROM options").fetchall()
    con.close()
    assert {o for o, *_ in opts} == set(small.options)
    assert ("secmp0037+secmp0032", "secmp0037,secmp0032", True, False) in opts
    assert _metrics(db) == run_in_memory(small, workers=1)


def test_finished_run_not_recomputed_unless_asked(small, tmp_path):
    db = tmp_path / "r.duckdb"
    first = run(small, db, workers=1)
    calls = []
    again = run(small, db, workers=1, progress=lambda d, t: calls.append((d, t)))
    assert again.chunks_computed == 0 and again.chunks_reused == first.n_chunks
    assert calls == [(first.n_chunks, first.n_chunks)]
    con = duckdb.connect(str(db), read_only=True)
    backend = con.execute("SELECT value FROM run_info WHERE key = 'backend'").fetchone()[0]
    con.close()
    assert backend == first.backend  # the finished run was left alone, not re-run with nothing to do
    before = _metrics(db)
    redo = run(small, db, workers=1, recompute=True)
    assert redo.chunks_computed == first.n_chunks and _metrics(db) == before


def test_file_of_another_scenario_is_refused(small, tmp_path):
    db = tmp_path / "r.duckdb"
    run(small, db, workers=1)
    with pytest.raises(InputError, match="another scenario"):
        run(small.model_copy(update={"seed": 99}), db, workers=1)
    run(small.model_copy(update={"seed": 99}), db, workers=1, recompute=True)  # unless asked


def test_not_a_duckdb_file(small, tmp_path):
    bad = tmp_path / "x.duckdb"
    bad.write_text("hello")
    with pytest.raises(InputError, match="x.duckdb"):
        run(small, bad, workers=1)
    with pytest.raises(InputError, match="no such file"):
        summarise(tmp_path / "absent.duckdb")


def test_a_chunk_is_written_in_one_transaction(small, tmp_path):
    from smetslab.fleet import store
    db = tmp_path / "r.duckdb"
    con = store.open_store(db)
    sums = {"baseline": {"premises": 1.0, "no_route_days": 2.0}}
    store.write_blocks(con, 0, {3: sums})
    with pytest.raises(duckdb.ConstraintException):  # block 3 again: the whole chunk must roll back
        store.write_blocks(con, 0, {1: sums, 2: sums, 3: sums})
    assert store.done_blocks(con) == {(0, 3)}
    con.close()


_CHILD = textwrap.dedent("""
    import sys, time
    from smetslab.fleet import run
    from smetslab.fleet.scenario import Scenario
    s = Scenario.model_validate_json(open(sys.argv[1]).read())
    def progress(done, total):
        print(done, total, flush=True)
        time.sleep(0.3)  # leave time for the parent to kill us mid-run
    run(s, sys.argv[2], workers=1, chunk_premises={chunk}, progress=progress)
    print("finished", flush=True)
""")


def test_killed_run_continues_where_it_stopped(make, tmp_path):
    s = make({"premises": 12 * BLOCK_PREMISES, "replicates": 1, "seed": 21,
              "options": ["baseline", "secmp0037", "secmp0032"]})
    spec = tmp_path / "s.json"
    spec.write_text(s.model_dump_json())
    db = tmp_path / "r.duckdb"
    child = subprocess.Popen([sys.executable, "-c", _CHILD.format(chunk=BLOCK_PREMISES), str(spec), str(db)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    seen = 0
    for line in child.stdout:
        done, total = map(int, line.split())
        if done >= 3:  # three chunks are safely in the file
            seen = done
            break
    os.kill(child.pid, signal.SIGKILL)  # a real kill: no cleanup, no finally blocks
    child.wait()
    assert seen >= 3 and child.returncode == -signal.SIGKILL
    con = duckdb.connect(str(db), read_only=True)
    status = con.execute("SELECT value FROM run_info WHERE key = 'status'").fetchone()[0]
    stored = con.execute("SELECT count(DISTINCT chunk) FROM chunk_results").fetchone()[0]
    per_chunk = con.execute("SELECT chunk, count(*) FROM chunk_results GROUP BY chunk").fetchall()
    con.close()
    assert status == "running" and 3 <= stored < 12
    assert len({n for _, n in per_chunk}) == 1  # no half-written chunk
    resumed = run(s, db, workers=1)
    assert resumed.chunks_reused == stored and resumed.chunks_computed == 12 - stored
    assert _metrics(db) == run_in_memory(s, workers=1)  # bit-identical to an uninterrupted run


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export(small, tmp_path, fmt):
    db = tmp_path / "r.duckdb"
    run(small, db, workers=1)
    paths = export(db, tmp_path / "out", fmt)
    assert sorted(p.name for p in paths) == sorted(f"{t}.{fmt}" for t in ("metrics", "options", "run_info"))
    reader = "read_parquet" if fmt == "parquet" else "read_csv_auto"
    got = {(o, r, m): v for o, r, m, v in duckdb.sql(
        f"SELECT option, replicate, metric, value FROM {reader}('{tmp_path / 'out' / ('metrics.' + fmt)}')"
    ).fetchall()}
    want = _metrics(db)
    assert set(got) == set(want)
    for k, v in want.items():
        assert got[k] == pytest.approx(v, rel=1e-15 if fmt == "parquet" else 1e-12)
    with pytest.raises(InputError, match="allowed parquet, csv"):
        export(db, tmp_path / "out", "xlsx")


def test_t_interval_by_hand():
    # values 1..5: mean 3, s = sqrt(2.5), se = s/sqrt(5) = 0.70711, t(0.975, 4) = 2.776445
    mean, lo, hi = interval([1.0, 2.0, 3.0, 4.0, 5.0])
    half = 2.776445105 * math.sqrt(2.5 / 5)
    assert (mean, lo, hi) == pytest.approx((3.0, 3.0 - half, 3.0 + half))
    assert interval([7.0]) == (7.0, 7.0, 7.0)
    assert t_quantile_975(1) == pytest.approx(12.7062, abs=1e-4)
    assert t_quantile_975(60) == pytest.approx(2.000298, abs=1e-5)   # published tables
    assert t_quantile_975(120) == pytest.approx(1.979930, abs=1e-5)


def test_summarise(small, tmp_path):
    db = tmp_path / "r.duckdb"
    run(small, db, workers=1)
    rows = summarise(db)
    mem = run_in_memory(small, workers=1)
    assert rows[0].option == "baseline"
    by = {(r.option, r.metric): r for r in rows}
    r = by[("secmp0032", "wan_down_days")]
    vals = [mem[("secmp0032", k, "wan_down_days")] for k in range(2)]
    assert r.n_replicates == 2 and r.mean == pytest.approx(sum(vals) / 2) and r.lo <= r.mean <= r.hi
    assert r.lo < r.hi
