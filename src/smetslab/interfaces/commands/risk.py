"""`smetslab risk`: run a scenario (or reuse its finished run), score every option's risk register.

The shell around ``fleet.run``, ``smetslab.risk`` and ``report.security``: prints the counts per option and
the top risks (or one JSON object with ``--json``), writes ``DIR/risk.html`` and stores the register in the
run's ``results.duckdb`` (tables ``risk_register`` and ``risk_counts``).
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from smetslab.errors import InputError
from smetslab.interfaces.commands._common import emit_json, err_console

__all__ = ["register", "risk", "RISK_FILE", "load_register_file"]

RISK_FILE = "risk.html"
METHODS = ("seed", "nist", "owasp")
TOP = 10


def register(root: typer.Typer) -> None:
    root.command("risk")(risk)


def load_register_file(path: Path) -> Any:
    """The plain data of a user's catalogue YAML (``--register``); InputError (one line) if unreadable."""
    from smetslab.interfaces.config import read_yaml

    return read_yaml(path, "--register")


def risk(
    scenario: Path | None = typer.Argument(
        None, metavar="SCENARIO", show_default=False,
        help="Scenario YAML; omitted = the built-in default (scenarios/gb-default.yaml).",
    ),
    method: str | None = typer.Option(None, "--method", help="Scoring method: seed, nist or owasp (default: the "
                                      "scenario's risk.method).", show_default=False),
    register_file: Path | None = typer.Option(None, "--register", help="A catalogue YAML extending or overriding "
                                              "the built-in threats (docs/risk.md).", show_default=False),
    out: Path | None = typer.Option(None, "--out", help="Run folder (default: a new ./risk-<scenario>-<date-time>); a "
                                    "folder with this scenario's finished run is reused.", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (counts, registers) instead of tables."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Local worker processes for the fleet run."),
) -> int:
    """Score every option's risk register from the simulated metrics: counts, top risks, risk.html."""
    from smetslab.fleet import run as fleet_run
    from smetslab.interfaces.commands.compare import RESULTS_FILE, _check_existing, resolve_out_dir
    from smetslab.interfaces.config import load_scenario
    from smetslab.report.security import render_risk_page, run_registers
    from smetslab.report.store import read_run
    from smetslab.risk import load_catalogue
    from smetslab.risk.store import write_registers

    if method is not None and method not in METHODS:
        raise InputError(f"--method {method!r}: not a scoring method; allowed: {', '.join(METHODS)}")
    extra = load_register_file(register_file) if register_file is not None else None
    cat = load_catalogue(extra, where=repr(str(register_file)))  # before any work: a bad file costs no run
    scen = load_scenario(scenario)
    now = datetime.now().astimezone()
    out_dir = resolve_out_dir(out, str(scen.name), now)
    if out is None:
        out_dir = out_dir.with_name(out_dir.name.replace("compare-", "risk-", 1))
    if out_dir.exists():
        _check_existing(out_dir, scen.sha256(), str(scen.name))
    out_dir.mkdir(parents=True, exist_ok=True)
    db = out_dir / RESULTS_FILE
    with err_console.status(f"{scen.name}: fleet run"):
        fleet_run(scen, db, workers=workers)
    stored = read_run(db)
    regs, rp, _ = run_registers(stored, method, cat)  # type: ignore[arg-type]
    write_registers(db, regs)
    page = out_dir / RISK_FILE
    tmp = page.with_name(page.name + ".tmp")
    tmp.write_text(render_risk_page(stored, regs, rp, generated_at=now.strftime("%Y-%m-%d %H:%M:%S %Z")),
                   encoding="utf-8")
    tmp.replace(page)
    used = next(iter(regs.values())).method
    if as_json:
        emit_json({
            "scenario": scen.name, "seed": scen.seed, "method": used, "out": str(out_dir),
            "counts": {o: {**r.counts, "within_appetite": r.within_appetite} for o, r in regs.items()},
            "registers": {o: [{"threat": x.threat_id, "rating": x.rating, "score": x.score, "likelihood": x.likelihood,
                               "impact": x.impact, "impact_cia": x.impact_cia, "capability": x.capability,
                               "attacks_per_year": x.attacks_per_year, "reach_premises": _finite(x.reach_premises),
                               "grid_mw": _finite(x.grid_mw), "drivers": x.drivers} for x in r.rows]
                      for o, r in regs.items()},
        })
        return 0
    _print_tables(regs, scen, used)
    typer.echo(f"risk.html: {page}")
    typer.echo(f"results: {db} (tables risk_register, risk_counts)")
    return 0


def _finite(v: float) -> float | None:
    """JSON has no NaN: a fixed-impact threat has no reach or load of its own (null)."""
    return v if math.isfinite(v) else None


def _print_tables(regs: Any, scen: Any, method: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, width=200, soft_wrap=False)
    console.print(f"scenario {scen.name} · seed {scen.seed} · method {method}")
    t = Table(header_style="bold", pad_edge=False)
    for h in ("option", "risks", "unique", "critical", "high", "moderate", "low", "new", "removed", "changed",
              "appetite"):
        t.add_column(h, justify="left" if h in ("option", "appetite") else "right")
    for o, r in regs.items():
        c = r.counts
        t.add_row(o, *(str(c[k]) for k in ("risks", "unique", "critical", "high", "moderate", "low", "new",
                                           "removed", "changed")), "within" if r.within_appetite else "OVER")
    console.print(t)
    best: dict[str, Any] = {}
    where: dict[str, list[str]] = {}
    for r in regs.values():
        for x in r.rows:
            if x.threat_id not in best or x.score > best[x.threat_id].score:
                best[x.threat_id] = x
    for r in regs.values():
        for x in r.rows:
            if x.score == best[x.threat_id].score:
                where.setdefault(x.threat_id, []).append(x.option)
    top = Table(title=f"top {TOP} risks (each threat at its highest score, and the options scoring it so)",
                header_style="bold", pad_edge=False)
    for h in ("threat", "rating", "score", "L", "I", "cap", "title", "options"):
        top.add_column(h)
    for x in sorted(best.values(), key=lambda x: (-x.score, x.threat_id))[:TOP]:
        opts = where[x.threat_id]
        top.add_row(x.threat_id, x.rating, f"{x.score:g}", str(x.likelihood), str(x.impact), str(x.capability),
                    x.title, ", ".join(opts) if len(opts) <= 4 else f"{len(opts)} options")
    console.print(top)
