"""Store a run's risk registers in its results file (DuckDB): tables ``risk_register`` and ``risk_counts``.

Kept apart from ``fleet.store`` (the engine's tables): the register is written after the run and
re-written per scoring method (the rows of that method are replaced, others kept).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from smetslab.errors import InputError
from smetslab.risk.register import OptionRegister

__all__ = ["write_registers", "read_counts"]

_REGISTER = """CREATE TABLE IF NOT EXISTS risk_register (
  method VARCHAR, option VARCHAR, threat_id VARCHAR, title VARCHAR, asset VARCHAR, stride VARCHAR,
  attacker VARCHAR, cia VARCHAR, capability INTEGER, attacks_per_year DOUBLE, likelihood INTEGER,
  impact INTEGER, impact_c INTEGER, impact_i INTEGER, impact_a INTEGER, reach_premises DOUBLE, grid_mw DOUBLE,
  score DOUBLE, rating VARCHAR, controls VARCHAR, drivers VARCHAR)"""
_COUNTS = """CREATE TABLE IF NOT EXISTS risk_counts (
  method VARCHAR, option VARCHAR, risks INTEGER, unique_risks INTEGER, critical INTEGER, high INTEGER,
  moderate INTEGER, low INTEGER, new INTEGER, removed INTEGER, changed INTEGER, within_appetite BOOLEAN)"""


def write_registers(db_path: str | Path, regs: Mapping[str, OptionRegister]) -> None:
    """Replace the rows of the registers' method in ``db_path`` (which must exist: a run's results file)."""
    import duckdb

    path = Path(db_path)
    if not path.is_file():
        raise InputError(f"results file {str(path)!r}: no such file")
    methods = {r.method for r in regs.values()}
    con = duckdb.connect(str(path))
    try:
        con.execute(_REGISTER)
        con.execute(_COUNTS)
        con.execute("BEGIN TRANSACTION")
        for m in methods:
            con.execute("DELETE FROM risk_register WHERE method = ?", [m])
            con.execute("DELETE FROM risk_counts WHERE method = ?", [m])
        rows = [(reg.method, r.option, r.threat_id, r.title, r.asset, r.stride, r.attacker, "".join(r.cia),
                 r.capability, r.attacks_per_year, r.likelihood, r.impact, r.impact_cia["C"], r.impact_cia["I"],
                 r.impact_cia["A"], r.reach_premises, r.grid_mw, r.score, r.rating, ",".join(r.controls), r.drivers)
                for reg in regs.values() for r in reg.rows]
        if rows:
            con.executemany("INSERT INTO risk_register VALUES (" + ",".join("?" * 21) + ")", rows)
        counts = [(reg.method, o, reg.counts["risks"], reg.counts["unique"], reg.counts["critical"],
                   reg.counts["high"], reg.counts["moderate"], reg.counts["low"], reg.counts["new"],
                   reg.counts["removed"], reg.counts["changed"], reg.within_appetite) for o, reg in regs.items()]
        con.executemany("INSERT INTO risk_counts VALUES (" + ",".join("?" * 12) + ")", counts)
        con.execute("COMMIT")
    finally:
        con.close()


def read_counts(db_path: str | Path, method: str) -> dict[str, dict[str, object]]:
    """The stored counts of one method: option -> column -> value."""
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        cur = con.execute("SELECT * FROM risk_counts WHERE method = ? ORDER BY option", [method])
        cols = [d[0] for d in cur.description]
        return {str(row[1]): dict(zip(cols, row, strict=True)) for row in cur.fetchall()}
    finally:
        con.close()
