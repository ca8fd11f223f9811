"""Read a run's results file (the DuckDB the fleet engine writes) for the report and the table.

Only reads: the numbers come from ``fleet.summarise`` and the tables the engine wrote; nothing is
simulated again here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smetslab.errors import InputError
from smetslab.report.ranking import SummaryLike

__all__ = ["OptionRow", "StoredRun", "is_yearly", "read_run", "read_run_info"]


@dataclass(frozen=True)
class OptionRow:
    """A row of the results file's ``options`` table."""

    option: str
    title: str
    components: str
    cpa_needed: bool
    new_hardware_only: bool


@dataclass(frozen=True)
class StoredRun:
    """Everything the report shows, as read from one results file."""

    db_path: Path
    info: dict[str, str]
    scenario: dict[str, Any]
    options: dict[str, OptionRow]
    summary: Sequence[SummaryLike]
    values: Mapping[tuple[str, str], tuple[float, ...]] = field(default_factory=dict)
    """(option, metric) -> the per-replicate values in replicate order: what the paired intervals pair."""
    yearly: Sequence[SummaryLike] = ()
    """The per-year figures (``<metric>@y<N>``, ``fleet.metrics.YEARLY_METRICS``) kept apart from ``summary``
    so that the ranked table, the national figures and the charts list the whole-horizon metrics only; the
    report's per-year view reads them."""

    @property
    def titles(self) -> dict[str, str]:
        return {o: row.title for o, row in self.options.items()}


def _connect(db_path: Path) -> Any:
    import duckdb

    if not db_path.is_file():
        raise InputError(f"results file {str(db_path)!r}: no such file")
    try:
        return duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"results file {str(db_path)!r}: cannot be opened ({first}); is it a DuckDB file, "
                         f"and is no run writing to it?") from None


def read_run_info(db_path: str | Path) -> dict[str, str]:
    """The ``run_info`` key/value table; raises InputError when the file is not a smetslab results file."""
    import duckdb

    path = Path(db_path)
    con = _connect(path)
    try:
        rows = con.execute("SELECT key, value FROM run_info").fetchall()
    except duckdb.Error:
        raise InputError(f"results file {str(path)!r}: has no run_info table; not a smetslab results file") from None
    finally:
        con.close()
    return {str(k): str(v) for k, v in rows}


def read_run(db_path: str | Path) -> StoredRun:
    """Run info, scenario, option titles and the summary of a finished run.

    Raises InputError when the file is missing, is not a results file, or the run is not finished.
    """
    import duckdb

    path = Path(db_path)
    info = read_run_info(path)
    if info.get("status") != "finished":
        raise InputError(
            f"results file {str(path)!r}: run status is {info.get('status', 'missing')!r}, expected 'finished'; "
            f"run smetslab compare again to finish it"
        )
    con = _connect(path)
    try:
        option_rows = con.execute(
            "SELECT option, title, components, cpa_needed, new_hardware_only FROM options ORDER BY option"
        ).fetchall()
    except duckdb.Error:
        option_rows = []  # an older file without the options table: ids still name every option
    try:
        value_rows = con.execute(
            "SELECT option, metric, replicate, value FROM metrics ORDER BY option, metric, replicate"
        ).fetchall()
    except duckdb.Error:
        value_rows = []
    finally:
        con.close()
    options = {
        str(o): OptionRow(str(o), str(t or ""), str(c or ""), bool(cpa), bool(new))
        for o, t, c, cpa, new in option_rows
    }
    try:
        scenario = json.loads(info.get("scenario_json", "{}"))
    except ValueError:
        raise InputError(f"results file {str(path)!r}: run_info.scenario_json is not JSON") from None
    from smetslab.fleet import summarise

    rows = list(summarise(path))
    summary = [r for r in rows if not is_yearly(r.metric)]
    yearly = [r for r in rows if is_yearly(r.metric)]
    grouped: dict[tuple[str, str], list[float]] = {}
    for o, m, _r, v in value_rows:
        if not is_yearly(str(m)):
            grouped.setdefault((str(o), str(m)), []).append(float(v))
    values = {k: tuple(v) for k, v in grouped.items()}
    return StoredRun(db_path=path, info=info, scenario=scenario, options=options, summary=summary, values=values,
                     yearly=yearly)


def is_yearly(metric: str) -> bool:
    """A per-year figure (``no_route_days@y3``, ``fleet.model.yearly_key``) rather than a whole-horizon metric."""
    return "@y" in metric
