"""--precision: replicates added until baseline's headline interval is narrow enough, reusing finished ones.

Expected values come from outside the loop: a direct ``engine.run`` with the final replicate count (the
numbers must be the same bits), ``statistics.stdev`` with the t table for the half-width, and the growth rule
worked by hand.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

import duckdb
import pytest

from smetslab.errors import InputError
from smetslab.fleet import store
from smetslab.fleet.engine import run
from smetslab.fleet.precision import next_replicates, parse_precision, run_to_precision


def _metrics(db: Path) -> dict[tuple[str, int, str], float]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {(o, int(r), m): float(v) for o, r, m, v in con.execute(
            "SELECT option, replicate, metric, value FROM metrics").fetchall()}
    finally:
        con.close()


def _rel_half_width(values: list[float]) -> float:
    n = len(values)
    half = store.t_quantile_975(n - 1) * statistics.stdev(values) / math.sqrt(n)
    return half / abs(statistics.fmean(values))


@pytest.fixture
def scen(make):
    # small enough to be quick, noisy enough that 2 replicates do not meet 30%
    return make({"premises": 4000, "replicates": 2, "seed": 7,
                 "options": ["baseline", "secmp0037", "hub_button"]})


def test_growth_rule_by_hand() -> None:
    # 5 replicates at 16%, target 5%: 1.1 * 5 * (16/5)^2 = 56.3 -> 57, but at most 2 x 5 = 10
    assert next_replicates(5, 0.16, 0.05, 400) == 10
    # 40 at 6%: 1.1 * 40 * (6/5)^2 = 63.4 -> 64
    assert next_replicates(40, 0.06, 0.05, 400) == 64
    # 20 at 6%: 1.1 * 20 * (6/5)^2 = 31.7 -> 32
    assert next_replicates(20, 0.06, 0.05, 400) == 32
    assert next_replicates(20, 0.06, 0.05, 25) == 25  # the cap
    assert next_replicates(10, 0.051, 0.05, 400) == 12  # always at least 2 more
    assert next_replicates(3, math.inf, 0.05, 400) == 6  # no interval yet (all equal but one): double


def test_precision_is_reached_deterministically_and_the_store_holds_a_plain_run(scen, tmp_path) -> None:
    computed: list[int] = []

    def counting_run(*args: Any, **kwargs: Any) -> Any:
        summary = run(*args, **kwargs)
        computed.append(summary.chunks_computed)
        return summary

    a = run_to_precision(scen, tmp_path / "a.duckdb", target=0.3, cap=200, workers=1, runner=counting_run)
    b = run_to_precision(scen, tmp_path / "b.duckdb", target=0.3, cap=200, workers=1)
    assert a.met and a.replicates > scen.replicates and len(a.rounds) >= 2
    assert (a.replicates, a.rounds) == (b.replicates, b.rounds)  # the same seed, the same sequence
    assert _metrics(tmp_path / "a.duckdb") == _metrics(tmp_path / "b.duckdb")

    # the same numbers, bit for bit, as one direct run with the final count
    direct = tmp_path / "direct.duckdb"
    run(scen.model_copy(update={"replicates": a.replicates}), direct, workers=1)
    assert _metrics(tmp_path / "a.duckdb") == _metrics(direct)

    # every round computed only the new replicates: in all, one chunk per replicate (4000 premises = 1 chunk)
    assert sum(computed) == a.replicates

    values = [v for (o, _, m), v in sorted(_metrics(direct).items()) if (o, m) == ("baseline", "no_route_days")]
    assert a.reached == pytest.approx(_rel_half_width(values), rel=1e-9)
    assert a.reached <= 0.3
    # the previous round had not met it (else the loop ran a round too many)
    assert _rel_half_width(values[: a.rounds[-2][0]]) > 0.3


def test_a_second_run_reuses_the_finished_replicates(scen, tmp_path) -> None:
    db = tmp_path / "r.duckdb"
    first = run_to_precision(scen, db, target=0.3, cap=200, workers=1)
    computed: list[int] = []

    def counting_run(*args: Any, **kwargs: Any) -> Any:
        summary = run(*args, **kwargs)
        computed.append(summary.chunks_computed)
        return summary

    again = run_to_precision(scen, db, target=0.3, cap=200, workers=1, runner=counting_run)
    assert computed == [0] and again.replicates == first.replicates
    con = duckdb.connect(str(db), read_only=True)
    rounds = json.loads(dict(con.execute("SELECT key, value FROM run_info").fetchall())["precision_rounds"])
    con.close()
    assert [n for n, _ in rounds] == [n for n, _ in first.rounds]  # the history survives the reuse
    # a tighter target continues from there: only the extra replicates are computed
    tighter = run_to_precision(scen, db, target=first.reached / 2, cap=200, workers=1, runner=counting_run)
    assert tighter.replicates > first.replicates
    assert sum(computed) == tighter.replicates - first.replicates


def test_the_cap_stops_the_loop_and_says_so(scen, tmp_path) -> None:
    db = tmp_path / "cap.duckdb"
    result = run_to_precision(scen, db, target=0.001, cap=6, workers=1)
    assert (result.replicates, result.met) == (6, False)
    assert [n for n, _ in result.rounds] == [2, 4, 6]  # at most doubling each round, then the cap
    con = duckdb.connect(str(db), read_only=True)
    info = dict(con.execute("SELECT key, value FROM run_info").fetchall())
    con.close()
    assert info["precision_met"] == "false" and info["replicates"] == "6" and info["precision_cap"] == "6"


@pytest.mark.parametrize("text", ["0", "1", "-0.1", "5%", "nan", "abc", "1.5"])
def test_bad_precision_is_refused_naming_the_value(text: str) -> None:
    with pytest.raises(InputError, match=r"--precision .*between 0 and 1"):
        parse_precision(text)


def test_precision_values() -> None:
    assert parse_precision("0.05") == 0.05
    assert parse_precision("off") is None


@pytest.mark.slow
def test_the_builtin_default_meets_the_default_precision(request, tmp_path) -> None:
    """gb-default as shipped reaches the default 5% within the default cap (about 80 replicates: a minute)."""
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("slow: pytest tests/fleet/test_precision.py -m slow")
    from smetslab.fleet.precision import DEFAULT_MAX_REPLICATES, DEFAULT_PRECISION
    from smetslab.interfaces.config import load_scenario

    result = run_to_precision(load_scenario("gb-default"), tmp_path / "d.duckdb", target=DEFAULT_PRECISION,
                              cap=DEFAULT_MAX_REPLICATES)
    values = [v for (o, _, m), v in sorted(_metrics(tmp_path / "d.duckdb").items())
              if (o, m) == ("baseline", "no_route_days")]
    assert result.met and len(values) == result.replicates < DEFAULT_MAX_REPLICATES
    assert _rel_half_width(values) <= 0.05
