"""The results store: one DuckDB file per run (schema in notes/fleet_contract.md and docs/fleet-model.md).

``chunk_results`` holds the partial sums of each *block* of premises (the column is called ``chunk`` as in
the contract; a block is the fixed unit of randomness, and a work chunk - what one worker computes and one
transaction writes - is a run of consecutive blocks). Keeping block sums makes the final numbers
independent of the chunking: ``metrics`` is derived from them with a correctly rounded sum (``math.fsum``)
in block order, so any chunking or backend gives the same bits.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from smetslab.errors import InputError
from smetslab.fleet.stats import t_interval, t_quantile_975

__all__ = ["SummaryRow", "open_store", "open_error", "existing_tables", "summarise", "export", "t_quantile_975", "interval"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS run_info (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS chunk_results (option VARCHAR, replicate INTEGER, chunk INTEGER, metric VARCHAR,
                                          value DOUBLE, PRIMARY KEY (option, replicate, chunk, metric));
CREATE TABLE IF NOT EXISTS metrics (option VARCHAR, replicate INTEGER, metric VARCHAR, value DOUBLE);
CREATE TABLE IF NOT EXISTS options (option VARCHAR, title VARCHAR, components VARCHAR, cpa_needed BOOLEAN,
                                    new_hardware_only BOOLEAN);
"""
_TABLES = ("run_info", "chunk_results", "metrics", "options")


def open_store(db_path: str | Path) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a results file; InputError if it is not a DuckDB file or is locked."""
    p = Path(db_path)
    if p.exists() and p.is_dir():
        raise InputError(f"results file {str(p)!r}: is a directory, expected a .duckdb file")
    if p.parent and not p.parent.exists():
        raise InputError(f"results file {str(p)!r}: folder {str(p.parent)!r} does not exist")
    try:
        con = duckdb.connect(str(p))
    except duckdb.Error as exc:
        raise open_error(p, exc) from None
    con.execute(_SCHEMA)
    return con


_LOCK_HOLDER = re.compile(r"held in (?P<prog>\S+) \(PID (?P<pid>\d+)\)")


def open_error(path: Path, exc: BaseException) -> InputError:
    """The one-line error for a results file DuckDB cannot open: another process holding its lock (the
    common case: a run still writing it) is said as such, with that process's id."""
    text = str(exc)
    first = text.splitlines()[0] if text else type(exc).__name__
    if "lock" in text.lower():
        m = _LOCK_HOLDER.search(text)
        who = f" (process {m['pid']})" if m else ""
        return InputError(f"results file {str(path)!r}: another run is using it{who}; wait for it to finish, "
                          f"stop it, or use another file or --out folder")
    if isinstance(exc, duckdb.IOException) and ("permission" in text.lower() or "read-only" in text.lower()):
        return InputError(f"results file {str(path)!r}: cannot be opened ({first})")
    return InputError(f"results file {str(path)!r}: not a DuckDB results file ({first})")


def existing_tables(db_path: str | Path) -> set[str]:
    """The tables of an existing results file (empty: a DuckDB file a run created and was interrupted in before
    making its tables). InputError if it cannot be opened: locked by another run, or not a DuckDB file."""
    p = Path(db_path)
    try:
        con = duckdb.connect(str(p), read_only=True)
    except duckdb.Error as exc:
        raise open_error(p, exc) from None
    try:
        return {str(t) for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    finally:
        con.close()


def reset(con: duckdb.DuckDBPyConnection) -> None:
    """Forget everything in the file (``recompute=True``)."""
    con.execute("BEGIN TRANSACTION")
    for t in _TABLES:
        con.execute(f"DELETE FROM {t}")
    con.execute("COMMIT")


def read_info(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {k: v for k, v in con.execute("SELECT key, value FROM run_info").fetchall()}


def write_info(con: duckdb.DuckDBPyConnection, info: dict[str, str]) -> None:
    con.execute("BEGIN TRANSACTION")
    for k, v in info.items():
        con.execute("INSERT OR REPLACE INTO run_info VALUES (?, ?)", [k, v])
    con.execute("COMMIT")


def done_blocks(con: duckdb.DuckDBPyConnection) -> set[tuple[int, int]]:
    """(replicate, block) pairs already stored."""
    return {(int(r), int(b)) for r, b in con.execute("SELECT DISTINCT replicate, chunk FROM chunk_results").fetchall()}


def write_blocks(con: duckdb.DuckDBPyConnection, replicate: int,
                 blocks: dict[int, dict[str, dict[str, float]]]) -> None:
    """Write one work chunk's block sums in one transaction (a crash never leaves half a chunk)."""
    rows = [(opt, replicate, b, key, float(val))
            for b, per_opt in sorted(blocks.items()) for opt, sums in per_opt.items() for key, val in sums.items()]
    con.execute("BEGIN TRANSACTION")
    try:
        _insert(con, "chunk_results", rows)
        con.execute("COMMIT")
    except BaseException:
        # after an interrupted query DuckDB may already have aborted the transaction, and the rollback then
        # fails too ("cannot rollback"); the original exception is the one to report, and an uncommitted
        # transaction is discarded anyway when the connection closes
        with suppress(duckdb.Error, RuntimeError):
            con.execute("ROLLBACK")
        raise


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[Any, ...]]) -> None:
    """Insert many rows with one statement (column lists unnested; executemany is row by row and slow)."""
    if not rows:
        return
    cols = list(zip(*rows, strict=True))
    select = ", ".join(f"UNNEST(?) AS c{i}" for i in range(len(cols)))
    con.execute(f"INSERT INTO {table} SELECT {select}", [list(c) for c in cols])


def block_sums(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], dict[str, float]]:
    """(option, replicate) -> key -> total over blocks, summed exactly (fsum) in block order."""
    parts: dict[tuple[str, int, str], list[float]] = defaultdict(list)
    for opt, rep, _block, key, val in con.execute(
            "SELECT option, replicate, chunk, metric, value FROM chunk_results "
            "ORDER BY option, replicate, metric, chunk").fetchall():
        parts[(opt, int(rep), key)].append(val)
    out: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for (opt, rep, key), vals in parts.items():
        out[(opt, rep)][key] = math.fsum(vals)
    return dict(out)


def write_metrics(con: duckdb.DuckDBPyConnection, values: dict[tuple[str, int, str], float],
                  option_rows: Iterable[tuple[str, str, str, bool, bool]]) -> None:
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM metrics")
    con.execute("DELETE FROM options")
    _insert(con, "metrics", [(o, r, m, v) for (o, r, m), v in sorted(values.items())])
    _insert(con, "options", list(option_rows))
    con.execute("INSERT OR REPLACE INTO run_info VALUES ('status', 'finished')")
    con.execute("COMMIT")


def read_metrics(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int, str], float]:
    return {(o, int(r), m): float(v) for o, r, m, v in con.execute(
        "SELECT option, replicate, metric, value FROM metrics").fetchall()}


# -- intervals -------------------------------------------------------------------------------------------
interval = t_interval
"""(mean, lo, hi): a 95% t-interval across replicates (``fleet.stats.t_interval``)."""


@dataclass(frozen=True)
class SummaryRow:
    option: str
    metric: str
    mean: float
    lo: float
    hi: float
    n_replicates: int


def _open_existing(db_path: str | Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    p = Path(db_path)
    if not p.is_file():
        raise InputError(f"results file {str(p)!r}: no such file")
    try:
        return duckdb.connect(str(p), read_only=read_only)
    except duckdb.Error as exc:
        raise open_error(p, exc) from None


def summarise(db_path: str | Path) -> list[SummaryRow]:
    """Mean and 95% interval across replicates, per option and metric, of a finished run."""
    con = _open_existing(db_path)
    try:
        info = read_info(con)
        if info.get("status") != "finished":
            raise InputError(f"results file {str(db_path)!r}: the run has not finished (status "
                             f"{info.get('status', 'missing')!r}); run it again to continue")
        per: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
        for (o, r, m), v in read_metrics(con).items():
            per[(o, m)].append((r, v))
        order = json.loads(info.get("options_order", "[]"))
    finally:
        con.close()
    rank = {o: i for i, o in enumerate(order)}
    rows = []
    for (o, m), rv in per.items():
        vals = [v for _, v in sorted(rv)]
        mean, lo, hi = interval(vals)
        if min(vals) >= 0.0:
            lo = max(lo, 0.0)  # every metric is a count, duration or cost: a t-interval below 0 means nothing
        rows.append(SummaryRow(o, m, mean, lo, hi, len(vals)))
    rows.sort(key=lambda r: (rank.get(r.option, len(rank)), r.option, r.metric))
    return rows


def export(db_path: str | Path, out_dir: str | Path, fmt: str = "parquet") -> list[Path]:
    """Write the ``metrics``, ``options`` and ``run_info`` tables as Parquet or CSV files in ``out_dir``."""
    if fmt not in ("parquet", "csv"):
        raise InputError(f"export format {fmt!r}: allowed parquet, csv")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"export folder {str(out)!r}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    con = _open_existing(db_path)
    paths = []
    try:
        order: dict[str, str] = {"metrics": "option, replicate, metric", "options": "option", "run_info": "key"}
        for table, by in order.items():
            target = out / f"{table}.{fmt}"
            opts = "(FORMAT parquet)" if fmt == "parquet" else "(FORMAT csv, HEADER true)"
            path_sql = str(target).replace("'", "''")
            con.execute(f"COPY (SELECT * FROM {table} ORDER BY {by}) TO '{path_sql}' {opts}")
            paths.append(target)
    finally:
        con.close()
    return paths


def info_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))
