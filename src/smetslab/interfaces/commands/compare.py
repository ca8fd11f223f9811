"""`smetslab compare`: run a scenario across the fleet, rank the options, write the report.

The shell around ``fleet.run`` (the engine writes ``results.duckdb``), ``fleet.sensitivity`` and
``report``: it picks the output folder (the wall clock names it, which only ``interfaces/`` may
read), shows progress on stderr, prints the ranked table on stdout and the folder at the end.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from smetslab.errors import InputError
from smetslab.interfaces.commands._common import err_console, prepare_out_dir, writing

if TYPE_CHECKING:
    from smetslab.fleet.sensitivity import SensitivityResult

__all__ = ["register", "compare", "TERMINAL_METRICS", "print_ranked_table", "resolve_out_dir", "load_sensitivity"]

DEFAULT_RANK_BY = "no_route_days"
"""= ``fleet.sensitivity.DEFAULT_RANK_BY`` (a test checks); not imported, so that loading the CLI does not
load the fleet engine (numpy, DuckDB, the scenario schema) for every other command."""

RESULTS_FILE = "results.duckdb"
REPORT_FILE = "report.html"
SENSITIVITY_FILE = "sensitivity.json"

TERMINAL_METRICS = (
    "no_route_days",
    "self_disconnection_hours",
    "cost_one_off_pence",
    "cost_running_pence",
    "expected_rogue_joins",
    "max_premises_per_compromise",
)
"""The columns of the terminal table (the main harm, cost and security metrics; CPA is a tag on the
option); the report has every metric."""

_WIDE = 200  # columns when stdout is not a terminal: a piped table should not wrap at 80


def register(root: typer.Typer) -> None:
    root.command("compare")(compare)


def _stdout_console() -> Console:
    # a terminal (or an explicit COLUMNS) sets the width; a pipe gets a wide table rather than 80 columns
    fixed = sys.stdout.isatty() or "COLUMNS" in os.environ
    return Console(file=sys.stdout, highlight=False, width=None if fixed else _WIDE, soft_wrap=False)


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr; silent when stderr is not a terminal. Yields ``update(done, total)``."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=not err_console.is_terminal,
    )
    task = bar.add_task(description, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "scenario"


def resolve_out_dir(out: Path | None, scenario_name: str, now: datetime) -> Path:
    """The run folder: ``out`` if given, else a new ``./compare-<scenario>-<YYYYmmdd-HHMMSS>`` that
    does not exist yet (a suffix -2, -3, ... when two runs start in the same second)."""
    if out is not None:
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {str(out)!r}: is a file, expected a folder")
        return out
    if not os.access(Path.cwd(), os.W_OK | os.X_OK):  # the default folder is made here: say so if it cannot be
        raise InputError(f"the working folder {str(Path.cwd())!r} is not writable; give --out FOLDER")
    base = Path.cwd() / f"compare-{_slug(scenario_name)}-{now:%Y%m%d-%H%M%S}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def _check_existing(out_dir: Path, scenario_sha256: str | None, scenario_name: str) -> str | None:
    """The status of a results file already in ``out_dir`` (None when there is none).

    Refuses a folder holding another scenario's results, so a run is never overwritten by accident.
    """
    from smetslab.fleet.store import existing_tables

    db = out_dir / RESULTS_FILE
    if not db.exists():
        if (out_dir / REPORT_FILE).exists():
            raise InputError(f"--out {str(out_dir)!r}: holds a {REPORT_FILE} but no {RESULTS_FILE}; "
                             f"choose an empty or new folder")
        _refuse_foreign_folder(out_dir)
        return None
    if not existing_tables(db):  # a run interrupted before it made its tables; locked or foreign: InputError
        return None
    from smetslab.report._store import read_run_info

    info = read_run_info(db)
    stored = info.get("scenario_sha256")
    if scenario_sha256 is not None and stored is not None and stored != scenario_sha256:
        raise InputError(
            f"--out {str(out_dir)!r}: holds results of another scenario "
            f"({info.get('scenario_name', '?')!r}, sha256 {stored[:12]}…), not {scenario_name!r} "
            f"({scenario_sha256[:12]}…); choose a new folder"
        )
    return info.get("status")


_SCHEDULER = re.compile(r"^(?P<scheme>tcp|tls|ws|wss|ucx)://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]{1,253})"
                        r"(?::(?P<port>\d{1,5}))?/?$")


def check_scheduler(scheduler: str | None) -> None:
    """Refuse a ``--scheduler`` that is neither 'local' nor a Dask address, before any work (and say when the
    Dask extra is missing)."""
    if scheduler is None:
        return
    shown = scheduler if len(scheduler) <= 60 else scheduler[:40] + "…"
    m = _SCHEDULER.match(scheduler)
    if scheduler != "local" and (m is None or (m["port"] is not None and not 0 < int(m["port"]) < 65536)):
        raise InputError(f"--scheduler {shown!r}: not a Dask scheduler address; give 'local' (a local Dask "
                         f"cluster) or an address such as tcp://host:8786 (schemes tcp, tls, ws, wss, ucx; "
                         f"port 1..65535)")
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise InputError(f"--scheduler {shown!r}: needs Dask, which is not installed; pip install "
                         f"'smetslab[dask]' (from a checkout: pip install '.[dask]')")


def _refuse_foreign_folder(out_dir: Path) -> None:
    """A non-empty folder holding no run is someone else's (``--out docs``): never write a run into it."""
    try:
        entries = sorted(p.name for p in out_dir.iterdir())
    except OSError as exc:
        raise InputError(f"--out {str(out_dir)!r}: cannot be read ({exc.strerror})") from None
    if entries:
        shown = ", ".join(entries[:3]) + (", …" if len(entries) > 3 else "")
        raise InputError(f"--out {str(out_dir)!r}: a non-empty folder ({shown}) holding no {RESULTS_FILE}; give a "
                         f"new or empty folder, or the folder of an earlier run of this scenario")


def _metric_meta(metrics: Mapping[str, Any], metric: str) -> tuple[str, str]:
    info = metrics.get(metric)
    return str(getattr(info, "label", metric)), str(getattr(info, "unit", ""))


def _short_unit(unit: str) -> str:
    from smetslab.report._format import is_money

    return "£, fleet" if is_money(unit) else unit


def _ranked_table(ranked: Sequence[Any], metrics: Mapping[str, Any], rank_by: str, shown: Sequence[str]) -> Table:
    from smetslab.report._format import fmt_delta, fmt_interval, fmt_value
    from smetslab.report.ranking import BASELINE

    table = Table(show_lines=True, header_style="bold", pad_edge=False)
    table.add_column("#", justify="right")
    # an id is never folded (it is what the analyst types back); long titles wrap under it
    table.add_column("option", overflow="fold", min_width=max([6, *(len(r.option) for r in ranked)]))
    for m in shown:
        label, unit = _metric_meta(metrics, m)
        star = " *" if m == rank_by else ""
        table.add_column(f"{label}{star}\n({_short_unit(unit)})" if unit else f"{label}{star}", justify="right")
    for r in ranked:
        cpa = r.cell("cpa_needed")
        tag = " \u00b7 CPA" if cpa is not None and cpa.mean >= 0.5 else ""
        row: list[Text | str] = [str(r.rank), Text(r.option + tag + ("\n" + r.title if r.title else ""))]
        for m in shown:
            c = r.cell(m)
            if c is None:
                row.append("\u2014")
                continue
            _, unit = _metric_meta(metrics, m)
            lines = [fmt_value(c.mean, unit)]
            # spaces around the dash let a narrow terminal break the interval instead of cropping the table
            iv = fmt_interval(c.lo, c.hi, unit).replace("\u2013", " \u2013 ")
            if iv:
                lines.append(iv)
            if r.option != BASELINE:
                delta = fmt_delta(c.delta, c.baseline, unit)
                if delta:
                    lines.append(f"\u0394 {delta}")
            row.append("\n".join(lines))
        table.add_row(*row, style="dim" if r.option == BASELINE else None)
    return table


def _fits(table: Table, width: int) -> bool:
    """Whether the table renders within ``width`` columns (rich crops a table wider than the console,
    and its own minimum-width estimate is not always reachable, so render once and look)."""
    from rich.cells import cell_len

    probe = Console(file=io.StringIO(), width=width, color_system=None, highlight=False)
    probe.print(table, crop=False)
    text = probe.file.getvalue()  # type: ignore[attr-defined]
    return max((cell_len(line) for line in text.splitlines()), default=0) <= width


def print_ranked_table(
    ranked: Sequence[Any], metrics: Mapping[str, Any], rank_by: str, console: Console | None = None
) -> None:
    """The ranked table on stdout: per option the main harm, cost and security metrics, each with its
    interval and its change from baseline; options needing CPA are marked. Headers are the metrics'
    labels (they wrap; the ids, which --rank-by takes, are listed under the table). When the terminal
    is too narrow for every column, the columns are split over several tables, each with the ranking."""
    out = console or _stdout_console()
    shown = [m for m in (rank_by, *TERMINAL_METRICS) if m in metrics or any(r.cell(m) for r in ranked)]
    shown = list(dict.fromkeys(shown))
    per_table = len(shown)
    while per_table > 1 and not all(
        _fits(_ranked_table(ranked, metrics, rank_by, shown[i : i + per_table]), out.width)
        for i in range(0, len(shown), per_table)
    ):
        per_table -= 1
    for i in range(0, len(shown), per_table):
        out.print(_ranked_table(ranked, metrics, rank_by, shown[i : i + per_table]))
    out.print(f"columns: {', '.join(shown)}; * = rank-by metric; [..] = 95% interval across replicates; "
              f"\u0394 = change from baseline; CPA = needs Commercial Product Assurance")
    from smetslab.fleet.sensitivity import ranking_rule

    out.print(ranking_rule(rank_by, metrics))


def load_sensitivity(path: Path, scenario_sha256: str | None) -> SensitivityResult | None:
    """The sweeps saved at ``path`` if they are of the scenario with this hash; None otherwise."""
    from smetslab.fleet.sensitivity import SensitivityResult

    if not path.is_file():
        return None
    try:
        saved = SensitivityResult.from_json(path.read_text(encoding="utf-8"))
    except InputError:
        return None  # an unreadable cache is simply re-run
    if scenario_sha256 is not None and saved.scenario_sha256 != scenario_sha256:
        return None
    return saved


def compare(
    scenario: Path | None = typer.Argument(
        None, metavar="SCENARIO", show_default=False,
        help="Scenario YAML; omitted = the built-in default (scenarios/gb-default.yaml).",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Run folder (default: a new ./compare-<scenario>-<date-time>); an existing folder "
        "with this scenario's results is resumed or reused.", show_default=False
    ),
    sensitivity: bool = typer.Option(False, "--sensitivity", help="Also run the one-at-a-time sensitivity sweeps."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Local worker processes (default: one per CPU; 1 = in-process); with "
        "--scheduler local, the size of a local Dask cluster."
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler address (tcp://host:8786), or 'local' for a local Dask cluster."
    ),
    recompute: bool = typer.Option(False, "--recompute", help="Recompute even if the folder holds finished results."),
    rank_by: str = typer.Option(DEFAULT_RANK_BY, "--rank-by", help="Metric id to rank by (see report.html)."),
) -> int:
    """Compare every option of a scenario against baseline: ranked table, report.html, results.duckdb."""
    from smetslab.fleet import run as fleet_run
    from smetslab.fleet.sensitivity import analyse, check_rank_by
    from smetslab.interfaces.config import load_scenario
    from smetslab.report import build_report, ranking
    from smetslab.report._store import read_run

    metrics = check_rank_by(rank_by)  # before any work: a typo should not cost a run
    check_scheduler(scheduler)
    scen = load_scenario(scenario)  # a path, or a built-in name such as gb-national; InputError if neither
    now = datetime.now().astimezone()
    out_dir = resolve_out_dir(out, str(scen.name), now)
    sha = scen.sha256()
    status = _check_existing(out_dir, sha, str(scen.name)) if out_dir.is_dir() else None
    prepare_out_dir(out_dir, "--out")
    db = out_dir / RESULTS_FILE
    if status == "finished" and not recompute:
        err_console.print(f"reusing the finished results in {db} (--recompute to run again)")
    elif status is not None:
        err_console.print(f"resuming the unfinished run in {db}")
    _set_resume_hint(scenario, out_dir, sensitivity)
    with progress_bar(f"{scen.name}: fleet run") as update, writing(db, "--out"):
        fleet_run(scen, db, workers=workers, scheduler=scheduler, progress=update, recompute=recompute)
    stored = read_run(db)
    ranked = ranking(stored.summary, rank_by, metrics=metrics, titles=stored.titles)
    sens: SensitivityResult | None = None
    if sensitivity:
        cache = out_dir / SENSITIVITY_FILE
        sens = None if recompute else load_sensitivity(cache, sha)
        if sens is None:
            from smetslab.fleet.sensitivity import run_sweeps

            with progress_bar(f"{scen.name}: sensitivity sweeps") as update:
                sens = run_sweeps(scen, workers=workers, progress=update, rank_by=rank_by, scenario_sha256=sha)
            tmp = cache.with_name(cache.name + ".tmp")
            with writing(cache, "--out"):
                tmp.write_text(sens.to_json(), encoding="utf-8")
                tmp.replace(cache)
        else:
            err_console.print(f"reusing the saved sensitivity sweeps in {cache}")
    with err_console.status("writing report.html"), writing(out_dir / REPORT_FILE, "--out"):
        report = build_report(db, out_dir / REPORT_FILE, sensitivity=sens, rank_by=rank_by,
                              generated_at=now.strftime("%Y-%m-%d %H:%M:%S %Z"))
    console = _stdout_console()
    console.print(f"scenario {scen.name} · seed {stored.info.get('seed', '?')} · "
                  f"smetslab {stored.info.get('version', '?')}")
    print_ranked_table(ranked, metrics, rank_by, console)
    if sens is not None:
        _print_sensitivity_summary(sens if sens.rank_by == rank_by else analyse(sens, rank_by), console)
    console.print(f"report:  {report}")
    console.print(f"results: {db}")
    console.print(f"out: {out_dir}")
    return 0


def _set_resume_hint(scenario: Path | None, out_dir: Path, sensitivity: bool) -> None:
    """If interrupted from here on, the CLI's one line says how to resume: finished chunks are in the
    results file and the same command with --out continues from them (``interfaces.signals``)."""
    from smetslab.interfaces.signals import set_resume_hint

    words = ["smetslab compare", *([shlex.quote(str(scenario))] if scenario else []), "--out",
             shlex.quote(str(out_dir)), *(["--sensitivity"] if sensitivity else [])]
    set_resume_hint(" ".join(words))


def _print_sensitivity_summary(sens: SensitivityResult, console: Console) -> None:
    if not sens.sweeps:
        console.print("sensitivity: the scenario lists no sweeps (add them under 'sensitivity:')")
        return
    moving = [s for s in sens.ordered() if s.positions_moved]
    if not moving:
        console.print(f"sensitivity: no swept assumption changes the ranking ({len(sens.sweeps)} swept)")
        return
    parts = [f"{s.label} ({s.low.positions_moved}/{s.high.positions_moved})" for s in moving[:5]]
    console.print("sensitivity: assumptions that move the ranking (positions moved at low/high): " + ", ".join(parts))
