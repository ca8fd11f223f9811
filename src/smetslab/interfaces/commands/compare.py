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

_PIPE_WIDTH = 80  # columns when stdout is not a terminal and COLUMNS is unset: the compact table fits


def register(root: typer.Typer) -> None:
    root.command("compare")(compare)


def _stdout_console() -> Console:
    # a terminal (or an explicit COLUMNS) sets the width; a pipe gets 80 columns, i.e. the compact table
    fixed = sys.stdout.isatty() or "COLUMNS" in os.environ
    return Console(file=sys.stdout, highlight=False, width=None if fixed else _PIPE_WIDTH, soft_wrap=False)


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


def _check_existing(out_dir: Path, scenario_sha256: str | None, scenario_name: str,
                    identity: str | None = None) -> str | None:
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
    from smetslab.report.store import read_run_info

    info = read_run_info(db)
    stored = info.get("scenario_sha256")
    same_experiment = identity is not None and info.get("identity_sha256") == identity  # other replicate count
    if scenario_sha256 is not None and stored is not None and stored != scenario_sha256 and not same_experiment:
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
    from smetslab.report.formatting import is_money

    return "£, fleet" if is_money(unit) else unit


def _ranked_table(ranked: Sequence[Any], metrics: Mapping[str, Any], rank_by: str, shown: Sequence[str]) -> Table:
    from smetslab.report.formatting import fmt_delta, fmt_interval, fmt_value
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
        row: list[Text | str] = [r.rank_label, Text(r.option + _cpa_tag(r) + ("\n" + r.title if r.title else ""))]
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
                if c.delta_lo is not None and c.delta_hi is not None and c.delta_lo != c.delta_hi:
                    lines.append(f"\u0394 {fmt_interval(c.delta_lo, c.delta_hi, unit)}".replace("\u2013", " \u2013 "))
            row.append("\n".join(lines))
        table.add_row(*row, style="dim" if r.option == BASELINE else None)
    return table


def _cpa_tag(r: Any) -> str:
    cpa = r.cell("cpa_needed")
    return " \u00b7 CPA" if cpa is not None and cpa.mean >= 0.5 else ""


COMPACT_METRICS = ("total_cost", "expected_rogue_joins", "max_premises_per_compromise", "self_disconnection_hours")
"""The compact table's columns after the rank-by metric and its change from baseline, dropped from the
right while the table is too wide; ``total_cost`` is one-off + running."""


def _compact_table(ranked: Sequence[Any], metrics: Mapping[str, Any], rank_by: str, shown: Sequence[str]) -> Table:
    """One line per option: rank (group), id, the rank-by mean and its change from baseline, then ``shown``."""
    from rich import box

    from smetslab.fleet.sensitivity import total_cost
    from smetslab.report.formatting import fmt_compact, fmt_relative
    from smetslab.report.ranking import BASELINE

    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_edge=False, padding=(0, 1),
                  collapse_padding=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("option", no_wrap=True)
    label = str(getattr(metrics.get(rank_by), "short", "") or rank_by)
    table.add_column(f"{label}*".replace(" ", "\n"), justify="right", no_wrap=True)  # two header lines: narrow
    table.add_column("\u0394\nbase", justify="right", no_wrap=True)
    for m in shown:
        head = "total \u00a3" if m == "total_cost" else str(getattr(metrics.get(m), "short", "") or m)
        table.add_column(head.replace(" ", "\n"), justify="right", no_wrap=True)
    for r in ranked:
        c = r.cell(rank_by)
        _, unit = _metric_meta(metrics, rank_by)
        row = [r.rank_label, r.option + _cpa_tag(r).replace(" \u00b7 ", " "),
               "\u2014" if c is None else fmt_compact(c.mean, unit)]
        rel = "" if c is None or c.delta is None or c.baseline is None else fmt_relative(c.delta, c.baseline)
        row.append("" if r.option == BASELINE else (rel or "\u2014"))
        for m in shown:
            if m == "total_cost":
                means = {k: cell.mean for k, cell in r.cells.items()}
                row.append(fmt_compact(total_cost(means), "pence"))
                continue
            cm = r.cell(m)
            row.append("\u2014" if cm is None else fmt_compact(cm.mean, _metric_meta(metrics, m)[1]))
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


def _natural_width(table: Table) -> int:
    """The columns the table needs with no cell wrapped or cut short."""
    probe = Console(file=io.StringIO(), width=1000, color_system=None, highlight=False)
    return probe.measure(table).maximum


def print_ranked_table(
    ranked: Sequence[Any], metrics: Mapping[str, Any], rank_by: str, console: Console | None = None,
    scenario: Mapping[str, Any] | None = None,
) -> None:
    """The ranked table on stdout. When the console is wide enough (a wide terminal, or ``COLUMNS``): per
    option the main harm, cost and security metrics, each with its interval, its change from baseline and
    the paired interval of that change. Otherwise (a pipe, 80 columns) the compact layout, one line per
    option: the rank-by mean, its change from baseline, total cost and security exposure, dropping
    columns from the right until it fits; the report has every metric. ``n=`` ranks mark a rank group."""
    out = console or _stdout_console()
    shown = [m for m in (rank_by, *TERMINAL_METRICS) if m in metrics or any(r.cell(m) for r in ranked)]
    shown = list(dict.fromkeys(shown))
    full = _ranked_table(ranked, metrics, rank_by, shown)
    if _fits(full, out.width):
        out.print(full)
        out.print(f"columns: {', '.join(shown)}; * = rank-by metric; [..] = 95% interval across replicates; "
                  f"\u0394 = change from baseline, with the 95% interval of the paired per-replicate differences; "
                  f"CPA = needs Commercial Product Assurance")
    else:
        compact = [m for m in COMPACT_METRICS if m == "total_cost" or m in metrics and m != rank_by]
        while compact and _natural_width(_compact_table(ranked, metrics, rank_by, compact)) > out.width:
            compact.pop()
        out.print(_compact_table(ranked, metrics, rank_by, compact))
        heads = [rank_by, *("cost_one_off_pence + cost_running_pence" if m == "total_cost" else m for m in compact)]
        out.print(f"columns: {', '.join(heads)}; * = rank-by metric; \u0394 base = change from baseline; "
                  f"CPA = needs Commercial Product Assurance; intervals and every metric in report.html "
                  f"(or a wider terminal)")
    out.print(_groups_note(ranked))
    from smetslab.report.ranking import unbeaten

    front = unbeaten(ranked, rank_by, metrics)
    out.print(f"not beaten on harm, cost and security together: {', '.join(front) or 'none'} "
              f"(a trade-off for the reader, not a ranking; see report.html)")
    from smetslab.fleet.sensitivity import ranking_rule

    out.print(ranking_rule(rank_by, metrics))
    from smetslab.report.ranking import option_count

    out.print(option_count([r.option for r in ranked]))
    national = national_line(ranked, metrics, rank_by, scenario or {})
    if national:
        out.print(national)


def national_line(ranked: Sequence[Any], metrics: Mapping[str, Any], rank_by: str,
                  scenario: Mapping[str, Any]) -> str:
    """Baseline's rank-by metric at national scale and per customer (the report has every metric)."""
    from smetslab.report.national import national_scale, national_text, per_customer
    from smetslab.report.ranking import BASELINE

    scale = national_scale(scenario)
    base = next((r for r in ranked if r.option == BASELINE), None)
    cell = base.cell(rank_by) if base is not None else None
    if scale is None or cell is None:
        return ""
    total = national_text(metrics.get(rank_by), cell.mean, scale)
    if not total:
        return ""
    each = per_customer(metrics.get(rank_by), cell.mean)
    years = f"{scale.years:g} year{'s' if scale.years != 1 else ''}"
    return (f"national ({scale.national_premises:,.0f} premises, {years}): baseline {total}"
            + (f", {each} per customer" if each else "") + "; every metric nationally in report.html")


def _groups_note(ranked: Sequence[Any]) -> str:
    shared = sorted({r.group for r in ranked if r.group_size > 1})
    if not shared:
        return "rank groups: every option differs significantly from the next group's first (none shared)"
    return (f"n= : a rank group ({len(shared)} shared): options whose paired difference from the group's first "
            f"is not significant at 95%")


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
    precision: str = typer.Option(
        "0.05", "--precision", metavar="REL", help="Add replicates (from the scenario's count) until baseline's "
        "rank-by metric has a 95% half-width within REL of its mean, up to --max-replicates; 'off' = the "
        "scenario's replicates exactly."
    ),
    max_replicates: int = typer.Option(400, "--max-replicates", help="The cap on replicates for --precision."),
) -> int:
    """Compare every option of a scenario against baseline: ranked table, report.html, results.duckdb."""
    from smetslab.fleet.precision import identity_sha256, parse_precision
    from smetslab.fleet.sensitivity import analyse, check_rank_by
    from smetslab.interfaces.config import load_scenario
    from smetslab.report import build_report, ranking
    from smetslab.report.store import read_run

    metrics = check_rank_by(rank_by)  # before any work: a typo should not cost a run
    target = parse_precision(precision)
    check_scheduler(scheduler)
    scen = load_scenario(scenario)  # a path, or a built-in name such as gb-national; InputError if neither
    if target is not None and not scen.replicates <= max_replicates <= 1000:
        raise InputError(f"--max-replicates {max_replicates}: must be between the scenario's replicates "
                         f"({scen.replicates}) and 1000")
    now = datetime.now().astimezone()
    out_dir = resolve_out_dir(out, str(scen.name), now)
    sha = scen.sha256()
    identity = identity_sha256(scen)
    status = _check_existing(out_dir, sha, str(scen.name), identity) if out_dir.is_dir() else None
    if target is None and status is not None:
        _check_fixed_count(out_dir, sha, scen.replicates)
    prepare_out_dir(out_dir, "--out")
    db = out_dir / RESULTS_FILE
    if status == "finished" and not recompute:
        err_console.print(f"reusing the finished results in {db} (--recompute to run again)")
    elif status is not None:
        err_console.print(f"resuming the unfinished run in {db}")
    _set_resume_hint(scenario, out_dir, sensitivity)
    with progress_bar(f"{scen.name}: fleet run") as update, writing(db, "--out"):
        _, reached = _run_fleet(scen, db, target, max_replicates, rank_by, workers=workers,
                                scheduler=scheduler, progress=update, recompute=recompute)
    stored = read_run(db)
    ranked = ranking(stored.summary, rank_by, metrics=metrics, titles=stored.titles, values=stored.values)
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
    if reached:
        console.print(reached)
    print_ranked_table(ranked, metrics, rank_by, console, stored.scenario)
    from smetslab.report.yearly import per_year_line

    if line := per_year_line(stored.yearly):  # a multi-year run: point to the report's per-year section
        console.print(line)
    if sens is not None:
        _print_sensitivity_summary(sens if sens.rank_by == rank_by else analyse(sens, rank_by), console)
    console.print(f"report:  {report}", soft_wrap=True)
    console.print(f"results: {db}", soft_wrap=True)
    console.print(f"out: {out_dir}", soft_wrap=True)
    return 0


def _check_fixed_count(out_dir: Path, scenario_sha256: str, replicates: int) -> None:
    """``--precision off`` runs exactly the scenario's replicates: refuse a folder holding this scenario run
    to a precision with another count (it cannot shrink, and reusing it would not be what was asked)."""
    from smetslab.report.store import read_run_info

    info = read_run_info(out_dir / RESULTS_FILE)
    if info.get("scenario_sha256") != scenario_sha256:
        raise InputError(f"--precision off: {str(out_dir)!r} holds this scenario run with "
                         f"{info.get('replicates', '?')} replicates (to a precision), not {replicates}; drop "
                         f"--precision off to reuse it, or choose a new folder")


def _run_fleet(scen: Any, db: Path, target: float | None, max_replicates: int, rank_by: str,
               **run_kwargs: Any) -> tuple[Any, str]:
    """Run the fleet: to the precision ``target`` (``fleet.precision``) or, with None, the scenario's fixed
    replicates. Returns the scenario as run (its final replicate count) and a line saying what was reached."""
    from smetslab.fleet import run as fleet_run
    from smetslab.fleet.precision import clear_precision, run_to_precision

    if target is None:
        fleet_run(scen, db, **run_kwargs)
        clear_precision(db)
        return scen, f"replicates: {scen.replicates} (fixed; --precision off)"
    result = run_to_precision(scen, db, target=target, cap=max_replicates, metric=rank_by, **run_kwargs)
    verdict = "met" if result.met else f"NOT met at the cap of {result.cap} replicates (--max-replicates)"
    return result.scenario, (
        f"precision: baseline {result.metric} 95% half-width {100 * result.reached:.2f}% of its mean with "
        f"{result.replicates} replicates (target {100 * result.target:g}%, {verdict})")


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
    grouped = " out of their rank groups" if sens.central_groups else ""
    moving = [s for s in sens.ordered() if s.positions_moved]
    if moving:
        parts = [f"{s.label} ({s.low.positions_moved}/{s.high.positions_moved})" for s in moving[:5]]
        console.print(f"sensitivity: assumptions that move options{grouped} (positions moved at low/high): "
                      + ", ".join(parts))
        return
    alone = " out of its rank group" if sens.central_groups else ""
    console.print(f"sensitivity: no swept assumption moves an option{alone} ({len(sens.sweeps)} swept)")

    def swaps(point: Any) -> int:
        return sum(abs(d) for d in point.rank_change.values())

    inside = sorted((s for s in sens.sweeps if swaps(s.low) or swaps(s.high)),
                    key=lambda s: (-max(swaps(s.low), swaps(s.high)), s.param))
    if inside:
        parts = [f"{s.label} ({swaps(s.low)}/{swaps(s.high)})" for s in inside[:5]]
        console.print("  places changed inside rank groups (low/high; within the noise of the sweeps' "
                      "replicates): " + ", ".join(parts))
