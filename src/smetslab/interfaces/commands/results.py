"""`smetslab results ...`: work with a finished run's results file (export, table, report)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from smetslab.errors import InputError
from smetslab.interfaces.commands._common import prepare_out_dir, prepare_out_file, writing
from smetslab.interfaces.commands.compare import DEFAULT_RANK_BY

__all__ = ["register", "app", "FORMATS"]

FORMATS = ("parquet", "csv")

app = typer.Typer(help="Export, print or re-report a finished run's results.duckdb.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="results")


def _existing_db(db: Path) -> Path:
    if not db.is_file():
        what = "is a folder, expected a results.duckdb file" if db.is_dir() else "no such file"
        raise InputError(f"DB {str(db)!r}: {what}")
    from smetslab.fleet.store import existing_tables

    existing_tables(db)  # a lock held by a run still writing it, or not DuckDB at all: a clear line either way
    return db


@app.command("export")
def export(
    db: Path = typer.Argument(..., help="A results.duckdb written by smetslab compare.", show_default=False),
    fmt: str = typer.Option(..., "--format", help="parquet or csv.", show_default=False),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for the exported tables (default: <DB folder>/export-<format>).",
        show_default=False,
    ),
) -> int:
    """Export the metrics, options and run_info tables to Parquet or CSV files."""
    from smetslab.fleet import export as fleet_export
    from smetslab.report.store import read_run_info

    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: not a format; allowed: {', '.join(FORMATS)}")
    _existing_db(db)
    status = read_run_info(db).get("status", "missing")
    if status != "finished":  # an unfinished run's metrics table is empty or stale: exporting it would mislead
        raise InputError(f"DB {str(db)!r}: the run has not finished (status {status!r}); run the same smetslab "
                         f"compare again to finish it, then export")
    out_dir = prepare_out_dir(out if out is not None else db.parent / f"export-{fmt}", "--out")
    with writing(out_dir, "--out"):
        written = fleet_export(db, out_dir, fmt)
    files = sorted(Path(p) for p in written) if written else sorted(out_dir.glob(f"*.{fmt}"))
    for path in files:
        typer.echo(str(path))
    return 0


@app.command("show")
def show(
    db: Path = typer.Argument(..., help="A results.duckdb written by smetslab compare.", show_default=False),
    rank_by: str = typer.Option(DEFAULT_RANK_BY, "--rank-by", help="Metric id to rank by."),
) -> int:
    """Print the ranked table of a finished run (nothing is re-run)."""
    from smetslab.fleet.sensitivity import check_rank_by
    from smetslab.interfaces.commands.compare import print_ranked_table
    from smetslab.report import ranking
    from smetslab.report.store import read_run

    metrics = check_rank_by(rank_by)
    stored = read_run(_existing_db(db))
    ranked = ranking(stored.summary, rank_by, metrics=metrics, titles=stored.titles, values=stored.values)
    from smetslab.interfaces.commands.compare import _stdout_console
    from smetslab.report.html import precision_sentence

    console = _stdout_console()
    n_replicates = max((r.n_replicates for r in stored.summary), default=0)
    console.print(f"precision: {precision_sentence(stored.info, n_replicates)}")
    print_ranked_table(ranked, metrics, rank_by, console, stored.scenario)
    return 0


@app.command("report")
def report(
    db: Path = typer.Argument(..., help="A results.duckdb written by smetslab compare.", show_default=False),
    out: Path | None = typer.Option(None, "--out", help="HTML file (default: report.html beside DB).",
                                    show_default=False),
    rank_by: str = typer.Option(DEFAULT_RANK_BY, "--rank-by", help="Metric id to rank by."),
) -> int:
    """Write the HTML report of a finished run again (with its saved sweeps, if any; nothing is re-run)."""
    from smetslab.fleet.sensitivity import check_rank_by
    from smetslab.interfaces.commands.compare import SENSITIVITY_FILE, load_sensitivity
    from smetslab.report import build_report
    from smetslab.report.store import read_run_info

    check_rank_by(rank_by)
    _existing_db(db)
    target = prepare_out_file(out or db.parent / "report.html", "--out" if out else "report path")
    # the sweeps saved beside the results, if they are of the same scenario
    # (keyed by the scenario as given: --precision may have run it with more replicates)
    info = read_run_info(db)
    sens = load_sensitivity(db.parent / SENSITIVITY_FILE, info.get("requested_sha256") or info.get("scenario_sha256"))
    now = datetime.now().astimezone()
    with writing(target, "--out" if out else "report path"):
        path = build_report(db, target, sensitivity=sens, rank_by=rank_by,
                            generated_at=now.strftime("%Y-%m-%d %H:%M:%S %Z"))
    typer.echo(str(path))
    return 0
