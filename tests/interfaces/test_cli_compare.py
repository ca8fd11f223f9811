"""`smetslab compare` and `smetslab results`: exit codes, one-line errors, the ranked table.

The table tests read a results file written by hand (tests/report/synthetic_store.py); its expected
rankings were worked out by hand from the numbers in that file.
"""

from __future__ import annotations

import importlib.util
import re
from datetime import datetime
from pathlib import Path

import pytest

from smetslab.interfaces.cli import main
from smetslab.interfaces.commands.compare import resolve_out_dir

_spec = importlib.util.spec_from_file_location(
    "synthetic_store", Path(__file__).resolve().parents[1] / "report" / "synthetic_store.py"
)
assert _spec is not None and _spec.loader is not None
synthetic_store = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synthetic_store)


@pytest.fixture(autouse=True)
def _wide_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stdout is a pipe here; without COLUMNS the table is one wide table (a narrow COLUMNS splits it)."""
    monkeypatch.delenv("COLUMNS", raising=False)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    folder.mkdir()
    return synthetic_store.write_store(folder / "results.duckdb")


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def _table_rows(stdout: str) -> list[tuple[str, str]]:
    """(rank label, option id) of each row of the full (boxed) table, top to bottom; ``1=`` marks a rank group."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^\S\s*(\d+=?)\s*\S\s*([a-z0-9_+]+)\s", stdout, re.M)]


def _compact_rows(stdout: str) -> list[tuple[str, str]]:
    """(rank label, option id) of each row of the compact (unboxed) table."""
    table = stdout.split("\ncolumns:")[0]
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^\s*(\d+=?)\s+([a-z0-9_+]+)\s", table, re.M)]


# ---- bad input: one line, exit 2 -------------------------------------------------------------------

def test_unknown_flag(capsys):
    assert main(["compare", "--no-such-flag"]) == 2
    assert "--no-such-flag" in _one_line_error(capsys)


def test_bad_rank_by_names_the_allowed_metrics(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["compare", "--rank-by", "happiness"]) == 2
    line = _one_line_error(capsys)
    assert "'happiness'" in line and "no_route_days" in line and "expected_rogue_joins" in line
    assert list(tmp_path.iterdir()) == []  # refused before any folder was made


def test_missing_scenario_file(capsys, tmp_path):
    assert main(["compare", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "out")]) == 2
    assert "no such file" in _one_line_error(capsys)
    assert not (tmp_path / "out").exists()


def test_broken_yaml(capsys, tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: gb\npremises: {value: 10, source: [unclosed\n")
    assert main(["compare", str(bad), "--out", str(tmp_path / "out")]) == 2
    assert "broken.yaml" in _one_line_error(capsys)


def test_zero_workers(capsys):
    assert main(["compare", "--workers", "0"]) == 2
    assert "--workers" in _one_line_error(capsys)


def test_out_folder_of_another_scenario_is_not_overwritten(capsys, store):
    before = store.stat().st_mtime_ns
    assert main(["compare", "--out", str(store.parent)]) == 2
    assert "another scenario" in _one_line_error(capsys)
    assert store.stat().st_mtime_ns == before


def test_export_bad_format(capsys, store):
    assert main(["results", "export", str(store), "--format", "xlsx"]) == 2
    line = _one_line_error(capsys)
    assert "--format 'xlsx'" in line and "parquet" in line and "csv" in line


def test_export_missing_db(capsys, tmp_path):
    assert main(["results", "export", str(tmp_path / "none.duckdb"), "--format", "csv"]) == 2
    assert "no such file" in _one_line_error(capsys)


def test_show_a_file_that_is_not_results(capsys, tmp_path):
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database at all")
    assert main(["results", "show", str(junk)]) == 2
    assert "junk.duckdb" in _one_line_error(capsys)


# ---- the ranked table ------------------------------------------------------------------------------

def test_table_order_and_content(capsys, store, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # wide enough for the full table
    assert main(["results", "show", str(store)]) == 0
    out = capsys.readouterr().out
    # by hand: no_route_days 4 (£300m) and 4 (£1.3bn) tie -> cheaper first; then 6, 12, 20. The two 4s are
    # equal in every replicate (paired differences 0, 0, 0: not significant), so they share rank group 1;
    # every other paired difference is constant and non-zero, so significant
    assert _table_rows(out) == [("1=", "secmp0037"), ("1=", "secmp0037+secmp0032"), ("3", "hub_button"),
                                ("4", "secmp0032"), ("5", "baseline")]
    assert "[17.52 \u2013 22.48]" in out  # baseline no_route_days 19, 20, 21: 20 -/+ 4.3027/sqrt(3)
    assert "\u0394 \u221216 (\u221280%)" in out  # secmp0037: 4 - 20
    assert "\u00a31bn" in out and "\u00a3300m" in out  # secmp0032 and secmp0037 one-off cost
    assert "ranked by no_route_days" in out and "ties by total cost" in out
    # CPA tags: secmp0037 and hub_button need it, baseline and secmp0032 do not (synthetic_store.CPA)
    assert re.search(r"secmp0037 \u00b7 CPA\s", out) and re.search(r"hub_button \u00b7 CPA\s", out)
    assert not re.search(r"baseline \u00b7 CPA", out) and not re.search(r"(?<![+\w])secmp0032 \u00b7 CPA", out)


def test_table_rank_by_another_metric(capsys, store):
    assert main(["results", "show", str(store), "--rank-by", "expected_rogue_joins"]) == 0
    out = capsys.readouterr().out
    # 0.5 (baseline, £0) and 0.5 (secmp0032, £1bn) tie -> baseline first; 2; 9 (£300m) and 9 (£1.3bn)
    # 0.5 and 0.5, 9 and 9: equal in every replicate, so shared rank groups
    assert _compact_rows(out) == [("1=", "baseline"), ("1=", "secmp0032"), ("3", "hub_button"), ("4=", "secmp0037"),
                                  ("4=", "secmp0037+secmp0032")]
    assert "ranked by expected_rogue_joins" in out


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_writes_the_tables(capsys, store, tmp_path, fmt):
    out_dir = tmp_path / f"exp-{fmt}"
    assert main(["results", "export", str(store), "--format", fmt, "--out", str(out_dir)]) == 0
    import duckdb

    metrics_file = next(out_dir.glob(f"metrics*.{fmt}"))
    reader = "read_csv_auto" if fmt == "csv" else "read_parquet"
    con = duckdb.connect()
    n, total = con.execute(f"SELECT count(*), sum(value) FROM {reader}(?)", [str(metrics_file)]).fetchone()
    con.close()
    rows = synthetic_store.metric_rows()
    assert n == len(rows) == 5 * 3 * 12
    assert total == pytest.approx(sum(r[3] for r in rows))
    printed = capsys.readouterr().out
    assert str(metrics_file) in printed


def test_results_report_rewrites_the_report(capsys, store):
    assert main(["results", "report", str(store)]) == 0
    report = store.parent / "report.html"
    assert report.is_file() and str(report) in capsys.readouterr().out
    assert "secmp0037+secmp0032" in report.read_text(encoding="utf-8")


# ---- end to end on the real engine: a tiny scenario ---------------------------------------------------

TINY = """\
extends: gb-default
name: tiny-e2e
premises: 3000
replicates: 2
options: [baseline, secmp0037, secmp0032, hub_button]
sensitivity:
  - {param: incidents.ppmid_lost_per_year, low: 0.02, high: 0.15, label: "PPMID lost per premises-year"}
"""


def test_compare_end_to_end_then_reuse(capsys, tmp_path):
    import duckdb

    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY)
    out_dir = tmp_path / "run"
    args = ["compare", str(scenario), "--out", str(out_dir), "--workers", "1", "--sensitivity", "--precision", "off"]
    assert main(args) == 0
    first = capsys.readouterr()
    rows = _compact_rows(first.out)  # stdout is a pipe here: the compact table
    assert sorted(o for _, o in rows) == ["baseline", "hub_button", "secmp0032", "secmp0037"]
    groups = [int(r.rstrip("=")) for r, _ in rows]
    assert groups[0] == 1 and groups == sorted(groups) and all(g <= i + 1 for i, g in enumerate(groups))
    assert first.out.rstrip().splitlines()[-1] == f"out: {out_dir}"
    report = (out_dir / "report.html").read_text(encoding="utf-8")
    for option in ("baseline", "secmp0037", "secmp0032", "hub_button"):
        assert f"<code>{option}</code>" in report
    assert "PPMID lost per premises-year" in report and "seed 20240601" in report
    con = duckdb.connect(str(out_dir / "results.duckdb"), read_only=True)
    status = con.execute("SELECT value FROM run_info WHERE key = 'status'").fetchone()
    n_metrics = con.execute("SELECT count(*) FROM metrics").fetchone()
    con.close()
    assert status == ("finished",)
    sweeps_saved = (out_dir / "sensitivity.json").stat().st_mtime_ns

    # the same command again: the finished results and the saved sweeps are reused, not recomputed
    assert main(args) == 0
    second = capsys.readouterr()
    assert "reusing the finished results" in second.err
    assert "reusing the saved sensitivity sweeps" in second.err
    assert (out_dir / "sensitivity.json").stat().st_mtime_ns == sweeps_saved
    assert _compact_rows(second.out) == rows
    con = duckdb.connect(str(out_dir / "results.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM metrics").fetchone() == n_metrics
    con.close()


def test_compare_states_the_precision_reached(capsys, tmp_path):
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY)
    out_dir = tmp_path / "run"
    # the tiny fleet is far too noisy for 1%: the loop goes 2 -> 6 (the cap) and says it was not met
    args = ["compare", str(scenario), "--out", str(out_dir), "--workers", "1", "--precision", "0.01",
            "--max-replicates", "6"]
    assert main(args) == 0
    out = " ".join(capsys.readouterr().out.split())  # the line may wrap at 80 columns
    assert re.search(r"precision: baseline no_route_days 95% half-width [\d.]+% of its mean with 6 replicates "
                     r"\(target 1%, NOT met at the cap of 6", out)
    report = (out_dir / "report.html").read_text(encoding="utf-8")
    assert "reached" in report and "with 6 replicates" in report and "NOT met" in report


def test_precision_off_refuses_a_folder_run_to_another_count(capsys, tmp_path):
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY)
    out_dir = tmp_path / "run"
    base = ["compare", str(scenario), "--out", str(out_dir), "--workers", "1"]
    assert main([*base, "--precision", "0.01", "--max-replicates", "4"]) == 0  # 2 -> 4 replicates
    capsys.readouterr()
    assert main([*base, "--precision", "off"]) == 2
    line = _one_line_error(capsys)
    assert "holds this scenario run with 4 replicates (to a precision), not 2" in line
    # the same folder with a precision again is the same experiment: reused, not refused
    assert main([*base, "--precision", "0.01", "--max-replicates", "4"]) == 0
    assert "reusing the finished results" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "2", "five", "-1"])
def test_bad_precision_is_one_line(capsys, value):
    assert main(["compare", "--precision", value]) == 2
    line = _one_line_error(capsys)
    assert f"--precision {value!r}" in line and "between 0 and 1" in line


def test_compare_default_out_is_a_new_folder_each_time(capsys, tmp_path, monkeypatch):
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY.replace("options: [baseline, secmp0037, secmp0032, hub_button]", "options: [baseline]"))
    monkeypatch.chdir(tmp_path)
    folders = []
    for _ in range(2):
        assert main(["compare", str(scenario), "--workers", "1", "--precision", "off"]) == 0
        last = capsys.readouterr().out.rstrip().splitlines()[-1]
        assert last.startswith("out: ")
        folders.append(Path(last[len("out: "):]))
    assert folders[0] != folders[1]
    for folder in folders:
        assert re.fullmatch(r"compare-tiny-e2e-\d{8}-\d{6}(-\d+)?", folder.name)
        assert folder.parent == tmp_path
        assert (folder / "report.html").is_file() and (folder / "results.duckdb").is_file()


def test_default_out_never_reuses_an_existing_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    now = datetime(2026, 3, 4, 5, 6, 7)
    first = resolve_out_dir(None, "gb default/x", now)
    assert first == tmp_path / "compare-gb-default-x-20260304-050607"
    first.mkdir()
    second = resolve_out_dir(None, "gb default/x", now)
    assert second == tmp_path / "compare-gb-default-x-20260304-050607-2"
    second.mkdir()
    assert resolve_out_dir(None, "gb default/x", now).name.endswith("-3")
    assert resolve_out_dir(tmp_path / "mine", "gb default/x", now) == tmp_path / "mine"


@pytest.mark.parametrize("columns", [None, "80", "90"])
def test_piped_or_narrow_output_is_the_compact_table_within_80_columns(capsys, store, monkeypatch, columns):
    if columns is not None:
        monkeypatch.setenv("COLUMNS", columns)
    assert main(["results", "show", str(store)]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= int(columns or 80)
    assert _compact_rows(out) == [("1=", "secmp0037"), ("1=", "secmp0037+secmp0032"), ("3", "hub_button"),
                                  ("4", "secmp0032"), ("5", "baseline")]
    # one line per option: the rank-by mean and its change from baseline (4 vs 20: -80%)
    line = next(x for x in out.splitlines() if re.match(r"\s*3\s+hub_button", x))
    assert re.search(r"\s6\s+\u221270%\s", line)  # hub_button 6 against 20
    assert "report.html" in out
    assert "5 entries compared: 4 catalogue options (baseline included) and 1 combination" in out
    # by hand (see tests/report/test_national.py): the combination is beaten by secmp0037, no other is
    flat = " ".join(out.split())
    assert "not beaten on harm, cost and security together: secmp0037, hub_button, secmp0032, baseline" in flat
    # baseline no_route_days 20 per premises-year x 4.5m premises x 1 year (synthetic scenario)
    assert ("national (4,500,000 premises, 1 year): baseline 90 million customer-days without a top-up route, "
            "20 days a year per customer") in flat


def test_a_wide_table_shows_the_paired_interval_of_the_change(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    rows = synthetic_store.metric_rows()
    # hub_button's no_route_days replicates 5, 6, 7 become 4, 6, 8 (baseline 19, 20, 21):
    # differences -15, -14, -13 -> -14 -/+ 4.3027 / sqrt(3) = [-16.48, -11.52]
    bumped = [(o, r, m, v + (r - 1) if (o, m) == ("hub_button", "no_route_days") else v) for o, r, m, v in rows]
    folder = tmp_path / "run"
    folder.mkdir()
    db = synthetic_store.write_store(folder / "results.duckdb", rows=bumped)
    assert main(["results", "show", str(db)]) == 0
    out = capsys.readouterr().out
    assert "\u0394 [\u221216.48 \u2013 \u221211.52]" in out


def test_the_cli_default_rank_metric_is_the_ranking_rule_default():
    # compare.py keeps its own copy so the CLI starts without importing the engine; they must agree
    from smetslab.fleet.sensitivity import DEFAULT_RANK_BY
    from smetslab.interfaces.commands.compare import DEFAULT_RANK_BY as CLI_DEFAULT

    assert CLI_DEFAULT == DEFAULT_RANK_BY
