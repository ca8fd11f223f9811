"""`smetslab premises run STORY.yaml`: run a story, print its timeline and summary, judge its expectations.

Exit codes: 0 every expectation holds; 1 at least one failed (each named on stderr); 2 a malformed
story or bad option (one line ``error: ...`` naming the field, via ``interfaces.cli``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from smetslab.errors import InputError
from smetslab.interfaces.commands._common import emit_json, os_reason, prepare_out_file, writing
from smetslab.interfaces.config import load_story
from smetslab.premises.engine import LogRecord
from smetslab.premises.persistence import PremisesStore
from smetslab.premises.runner import StoryRun, run_story, summary
from smetslab.premises.story import format_time

__all__ = ["register", "run", "timeline_lines", "QUIET_EVENTS"]

app = typer.Typer(help="Run premises stories: a home, its devices and a timeline, with expected outcomes.",
                  no_args_is_help=True)

QUIET_EVENTS = frozenset({"FrameQueued", "FrameDelivered", "DeviceWoke", "DeviceLogChanged", "InputIgnored",
                          "GBCSOut", "HANFrameOut", "DisplayUpdated", "ReportPublished", "MirrorUpdated",
                          "MirrorPublished"})
"""Records left out of the readable timeline unless --all-events (they are all in --events FILE)."""

_MAX_LINES = 400
_MAX_FIELDS = 5


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="premises")


def _field_text(key: str, value: Any) -> str | None:
    if isinstance(value, dict | list):
        return None
    if (key == "code" or key.endswith("_code")) and isinstance(value, int) and not isinstance(value, bool):
        return f"0x{value:04X}"  # GBCS alert codes are written in hex everywhere else
    text = str(value)
    return text if len(text) <= 48 else f"{text[:12]}…{text[-8:]}"


def _record_text(rec: LogRecord) -> str:
    parts = []
    for k, v in rec.fields.items():
        shown = _field_text(k, v)
        if shown is not None:
            parts.append(f"{k}={shown}")
        if len(parts) == _MAX_FIELDS:
            break
    return f"{rec.event} " + " ".join(parts) if parts else rec.event


def timeline_lines(run: StoryRun, *, all_events: bool = False) -> list[tuple[float, str, str]]:
    """(time, who, what) lines: the story's steps interleaved with the log; runs of the same event on the
    same device collapse into one line with a count."""
    recs = [r for r in run.records if all_events or r.event not in QUIET_EVENTS]
    merged: list[tuple[float, int, str, str]] = [(t, 0, "story", f"▶ {d}") for t, d in run.steps]
    i = 0
    while i < len(recs):
        j = i
        while j + 1 < len(recs) and recs[j + 1].event == recs[i].event and recs[j + 1].device == recs[i].device:
            j += 1
        n = j - i + 1
        text = _record_text(recs[i]) if n == 1 else (f"{recs[i].event} ×{n} (until "
                                                     f"{format_time(recs[j].time)})")
        merged.append((recs[i].time, 1, recs[i].device, text))
        i = j + 1
    merged.sort(key=lambda x: (x[0], x[1]))  # stable: a step before what it causes at the same instant
    return [(t, who, what) for t, _, who, what in merged]


def _print_human(run: StoryRun, console: Console, all_events: bool) -> None:
    s = run.story
    console.print(Text.assemble(("Story ", "bold"), (s.name, "bold cyan"),
                                f" · options {s.options} · seed {s.seed} · horizon {s.horizon.text} "
                                f"({format_time(s.horizon.seconds)})"))
    if s.description:
        console.print(Text(s.description.strip(), style="dim"))
    if run.resumed_from is not None:
        console.print(f"resumed from the checkpoint at {format_time(run.resumed_from)}")
    console.print(Text("\nTimeline", style="bold"))
    lines = timeline_lines(run, all_events=all_events)
    for t, who, what in lines[:_MAX_LINES]:
        style = "bold" if who == "story" else ""
        console.print(Text.assemble(f"  {format_time(t)}  ", (f"{who:<8}", "cyan" if who != "story" else "bold"),
                                    " ", (what, style)))
    if len(lines) > _MAX_LINES:
        console.print(f"  … {len(lines) - _MAX_LINES} more lines (write them all with --events FILE)")
    table = Table(title="Counters", title_justify="left", show_edge=False)
    table.add_column("counter")
    table.add_column("value", justify="right")
    for k in sorted(run.counters):
        c = run.counters[k]
        table.add_row(k, str(int(c)) if float(c).is_integer() else f"{c:.3f}")
    console.print()
    console.print(table)
    console.print(Text(f"\nExpectations ({len(run.records)} events logged)", style="bold"))
    for v in run.verdicts:
        mark = ("✓", "green") if v.passed else ("✗", "bold red")
        console.print(Text.assemble("  ", mark, f" expect[{v.index}] {v.expectation}", (f"  ({v.observed})", "dim")))
    if not run.verdicts:
        console.print("  (the story states no expectations)")
    verdict = ("PASSED", "bold green") if run.passed else ("FAILED", "bold red")
    console.print(Text.assemble("\n", verdict, f" {len(run.verdicts) - len(run.failed)} of {len(run.verdicts)} "
                                               f"expectations hold"))


@app.command("run")
def run(
    story_path: Path = typer.Argument(..., metavar="STORY.yaml", help="The story file."),
    events: Path | None = typer.Option(None, "--events", metavar="OUT.jsonl",
                                       help="Write the event log as JSON lines (time, device, event, fields)."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as one JSON object instead of the timeline."),
    db: Path | None = typer.Option(None, "--db", metavar="STATE.sqlite",
                                   help="Persist the premises (state + event log, one transaction per instant) and "
                                        "resume from this file if it holds an unfinished run of the same story; "
                                        "re-running the same command after a crash or kill resumes it."),
    commit_logged_only: bool = typer.Option(
        False, "--commit-logged-only",
        help="With --db: commit only the instants that logged something (and the end), not every instant. "
             "Faster; the same guarantees and the same log (a resumed run re-plays the quiet instants)."),
    all_events: bool = typer.Option(False, "--all-events", help="Show every logged record in the timeline."),
) -> int:
    """Run STORY.yaml; exit 1 if an expectation fails (each is named), 2 if the story is malformed."""
    if commit_logged_only and db is None:
        raise InputError("--commit-logged-only: only with --db STATE.sqlite (a run without --db commits nothing)")
    story = load_story(story_path)
    if events is not None:
        prepare_out_file(events, "--events", stream_ok=True)
    if db is not None and not db.is_file():
        prepare_out_file(db, "--db")
    where = repr(str(story_path))
    if db is None:
        result = run_story(story, where=where)
    else:
        with writing(db, "--db"), PremisesStore(db) as store:
            result = run_story(story, store=store, where=where, commit_quiet_instants=not commit_logged_only)
    if events is not None:
        _write_events(events, result.records)
    if json_out:
        emit_json(summary(result))
    else:
        _print_human(result, _stdout_console(), all_events)
    for v in result.failed:
        print(f"failed: expect[{v.index}] {v.expectation} (observed {v.observed})", file=sys.stderr)
    return 0 if result.passed else 1


def _write_events(path: Path, records: Sequence[LogRecord]) -> None:
    try:
        with path.open("w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(rec.to_json() + "\n")
    except OSError as exc:
        raise InputError(f"--events {str(path)!r}: cannot be written ({os_reason(exc)})") from None


def _stdout_console() -> Console:
    return Console(file=sys.stdout, highlight=False, soft_wrap=True)
