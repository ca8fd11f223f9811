"""A small results file written by hand to the fleet contract's DuckDB schema (no engine involved).

Five options, three replicates each. Every metric of an option has replicate values
``mean - spread, mean, mean + spread``, so its mean is ``mean`` and its 95% t-interval is
``mean -/+ t(0.975, 2) * spread / sqrt(3)`` with t(0.975, 2) = 4.302652729749464 (statistics tables),
i.e. ``mean -/+ 2.484138 * spread``. The expected rankings in the tests were worked out by hand
from ``MEANS`` and ``COSTS``.
"""

from __future__ import annotations

import json
from pathlib import Path

T_HALF_WIDTH_PER_SPREAD = 4.302652729749464 / 3**0.5  # 2.4841377...

OPTION_TITLES = {
    "baseline": "Today's rules",
    "secmp0037": "SECMP0037: pair local PPMIDs, no time limit",
    "hub_button": "Button on the hub",
    "secmp0032": "SECMP0032: 30-day remedy for prepayment sites",
    "secmp0037+secmp0032": "SECMP0037 + SECMP0032",
}

# option -> (no_route_days, self_disconnection_hours, expected_rogue_joins, max_premises_per_compromise)
MEANS = {
    "baseline": (20.0, 30.0, 0.5, 1.0),
    "secmp0037": (4.0, 6.0, 9.0, 250000.0),
    "hub_button": (6.0, 9.0, 2.0, 1.0),
    "secmp0032": (12.0, 18.0, 0.5, 1.0),
    "secmp0037+secmp0032": (4.0, 5.0, 9.0, 250000.0),
}
# option -> (cost_one_off_pence, cost_running_pence)
COSTS = {
    "baseline": (0.0, 0.0),
    "secmp0037": (3e10, 0.0),
    "hub_button": (8e10, 1e9),
    "secmp0032": (1e11, 0.0),
    "secmp0037+secmp0032": (1.3e11, 0.0),
}
SPREAD = {"no_route_days": 1.0, "self_disconnection_hours": 2.0}  # other metrics: spread 0
CPA = {"baseline": 0.0, "secmp0037": 1.0, "hub_button": 1.0, "secmp0032": 0.0, "secmp0037+secmp0032": 1.0}

SCENARIO = {
    "name": "synthetic <test> & co",
    "seed": 1234,
    "replicates": 3,
    "premises": {"value": 5000, "source": "assumption: a small synthetic fleet"},
    "horizon_days": {"value": 365, "source": "assumption: one year"},  # 1 year; national factor 4.5m / 5,000 = 900
    "incidents": {
        "wan_lost_per_year": {"value": 0.01, "source": "DESIGN.md: 99% WAN availability"},
        "ppmid_lost_per_year": {"value": 0.05, "source": "assumption: <b>1 in 20</b> & rising"},
    },
    "remedy": {"dcc_cap_days": {"value": 90, "source": "SEC F7.18 via DESIGN.md"}},
    "costs": {
        "national_premises": {"value": 4_500_000, "source": "assumption: GB prepayment fleet"},
        "secmp0032_national": {"value": 100_000_000_000, "source": "DCC impact assessment: about \u00a31bn"},
    },
    "options": list(OPTION_TITLES),
    "sensitivity": [{"param": "incidents.ppmid_lost_per_year", "low": 0.01, "high": 0.1, "label": "PPMID loss"}],
}
SEED = 1234
VERSION = "0.1.0-synthetic"


def metric_rows() -> list[tuple[str, int, str, float]]:
    rows: list[tuple[str, int, str, float]] = []
    for option, (days, hours, rogue, reach) in MEANS.items():
        one_off, running = COSTS[option]
        means = {
            "no_route_days": days,
            "self_disconnection_hours": hours,
            "utrn_only_days": days / 2,
            "engineer_visits": 0.1,
            "replacement_ppmids": 0.05,
            "cost_one_off_pence": one_off,
            "cost_running_pence": running,
            "join_window_open_hours": 0.0 if option in ("baseline", "secmp0032") else 8760.0,
            "expected_rogue_joins": rogue,
            "dos_blocked_joins": 0.0,
            "max_premises_per_compromise": reach,
            "cpa_needed": CPA[option],
        }
        for metric, mean in means.items():
            spread = SPREAD.get(metric, 0.0)
            for replicate, offset in enumerate((-1.0, 0.0, 1.0)):
                rows.append((option, replicate, metric, mean + offset * spread))
    return rows


def write_store(path: Path, *, status: str = "finished", scenario: dict | None = None,
                rows: list[tuple[str, int, str, float]] | None = None, info: dict[str, str] | None = None) -> Path:
    """Write the synthetic results file at ``path`` (its folder must exist)."""
    import duckdb

    scen = SCENARIO if scenario is None else scenario
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE TABLE run_info(key VARCHAR PRIMARY KEY, value VARCHAR)")
        info = {
            "scenario_name": scen["name"],
            "scenario_json": json.dumps(scen),
            "scenario_sha256": "5" * 64,
            "seed": str(SEED),
            "version": VERSION,
            "status": status,
            "chunk_premises": "2500",
            "n_chunks": "2",
            "backend": "local",
            **(info or {}),
        }
        con.executemany("INSERT INTO run_info VALUES (?, ?)", list(info.items()))
        con.execute("CREATE TABLE chunk_results(option VARCHAR, replicate INTEGER, chunk INTEGER, metric VARCHAR, "
                    "value DOUBLE)")
        con.execute("CREATE TABLE metrics(option VARCHAR, replicate INTEGER, metric VARCHAR, value DOUBLE)")
        con.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?)", metric_rows() if rows is None else rows)
        con.execute("CREATE TABLE options(option VARCHAR, title VARCHAR, components VARCHAR, cpa_needed BOOLEAN, "
                    "new_hardware_only BOOLEAN)")
        con.executemany(
            "INSERT INTO options VALUES (?, ?, ?, ?, ?)",
            [(o, t, o, bool(CPA[o]), o == "hub_button") for o, t in OPTION_TITLES.items()],
        )
    finally:
        con.close()
    return path
