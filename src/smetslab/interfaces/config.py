"""Scenario and story files: YAML -> validated ``Scenario`` / ``Story``, with one-line errors naming what
to fix. Every YAML the shell reads goes through here: ``read_yaml`` (a file: its file errors, then
``parse_yaml``) and ``parse_yaml`` (text, e.g. a request body: the one YAML error line) serve stories,
scenarios, the risk register (``--register``) and the workbench alike; a field's problem is worded by the
one validation formatter (``smetslab.validation.one_line``) that ``validate_story``, ``validate_scenario``,
``SiteConfig`` and the risk catalogue share.

A scenario file may start with ``extends: NAME_OR_PATH`` (a built-in scenario name such as
``gb-default``, or a path relative to the file): the named scenario is loaded first and this file's
fields override it, group by group and parameter by parameter (lists such as ``options`` are replaced).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from smetslab.errors import InputError
from smetslab.fleet.scenario import Scenario, recentre_sweep, validate_scenario
from smetslab.premises.story import Story, validate_story

__all__ = ["load_scenario", "load_story", "read_yaml", "parse_yaml", "builtin_scenarios", "DEFAULT_SCENARIO",
           "read_scenario_data"]

DEFAULT_SCENARIO = "gb-default"
_MAX_EXTENDS = 8


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenario names -> paths of the YAML files shipped inside the package."""
    root = resources.files("smetslab") / "scenarios"
    out: dict[str, Path] = {}
    for entry in root.iterdir():
        if entry.name.endswith(".yaml"):
            out[entry.name[: -len(".yaml")]] = Path(str(entry))
    return dict(sorted(out.items()))


def _resolve(ref: str, relative_to: Path | None) -> Path:
    builtins = builtin_scenarios()
    if ref in builtins:
        return builtins[ref]
    p = Path(ref)
    if not p.is_absolute() and relative_to is not None:
        p = relative_to / p
    if p.is_file():
        return p
    raise InputError(f"scenario {ref!r}: no such file and not a built-in scenario; built-in: "
                     f"{', '.join(builtins)}")


def read_yaml(path: Path, what: str = "scenario") -> Any:
    """The parsed YAML of a ``what`` file ("scenario", "story", "--register"). InputError, one line naming the
    file: missing, a directory, not UTF-8, unreadable, or not valid YAML (with the line and column)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} {str(path)!r}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{what} {str(path)!r}: is a directory, expected a YAML file") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} {str(path)!r}: not a UTF-8 text file") from None
    except OSError as exc:
        raise InputError(f"{what} {str(path)!r}: cannot be read ({exc.strerror})") from None
    return parse_yaml(text, what, repr(str(path)))


def parse_yaml(text: str, what: str, where: str = "") -> Any:
    """``text`` parsed as YAML (a file's, or a request body's). InputError ``"{what} {where}: not valid YAML at
    line L, column C: problem"`` when it is not. Every YAML the shell reads goes through here."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        head = " ".join(x for x in (what, where) if x)
        raise InputError(f"{head}: not valid YAML{at}: {problem}") from None


def load_story(path: Path | str) -> Story:
    """Read and validate a story YAML file (docs/stories.md). InputError for a missing file, bad YAML or a
    bad field; a story without a ``name`` takes the file's."""
    p = Path(path)
    story = validate_story(read_yaml(p, "story"), repr(str(p)))
    if not story.name:
        story = story.model_copy(update={"name": p.stem})
    return story


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and set(v) - {"value", "source"} != set():
            out[k] = _merge(out[k], v)  # a group: merge parameter by parameter
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = {**out[k], **v}  # a {value, source} parameter: override what is given
        else:
            out[k] = v
    return out


def read_scenario_data(path: Path, _depth: int = 0) -> dict[str, Any]:
    """The scenario file's data with any ``extends`` chain merged in (not yet validated)."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(f"scenario {str(path)!r}: expected a mapping of fields at the top level, got "
                         f"{type(data).__name__}")
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise InputError(f"scenario {str(path)!r}: extends = {parent!r}: expected a built-in scenario name or "
                         f"a file path")
    if _depth >= _MAX_EXTENDS:
        raise InputError(f"scenario {str(path)!r}: extends chain longer than {_MAX_EXTENDS} (a loop?)")
    base = read_scenario_data(_resolve(parent, path.parent), _depth + 1)
    merged = _merge(base, data)
    if "sensitivity" not in data:
        merged["sensitivity"] = _recentred_sweeps(base, data)
    return merged


def _recentred_sweeps(base: dict[str, Any], over: dict[str, Any]) -> Any:
    """The parent's sweeps, each re-centred on this file's value of its parameter where this file overrides it
    (``fleet.scenario.recentre_sweep``): "high" must not fall below a new central value. Malformed entries are
    passed on untouched for validation to name."""
    sweeps = base.get("sensitivity")
    if not isinstance(sweeps, list):
        return sweeps
    out = []
    for sweep in sweeps:
        if not isinstance(sweep, dict) or not isinstance(sweep.get("param"), str):
            out.append(sweep)
            continue
        group, _, name = sweep["param"].partition(".")
        new = _value_at(over, group, name)
        old = _value_at(base, group, name)
        if new is None or old is None or "low" not in sweep or "high" not in sweep:
            out.append(sweep)
            continue
        try:
            low, high = recentre_sweep(sweep["param"], sweep["low"], sweep["high"], old, new)
        except InputError:
            out.append(sweep)  # an unknown path: validation names it
            continue
        out.append({**sweep, "low": low, "high": high})
    return out


def _value_at(data: dict[str, Any], group: str, name: str) -> Any:
    g = data.get(group)
    p = g.get(name) if isinstance(g, dict) else None
    return p.get("value") if isinstance(p, dict) else None


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Load and validate a scenario YAML file (None: the built-in default ``gb-default``).

    A built-in name (``gb-default``, ``gb-national``) is accepted in place of a path. Raises InputError with
    one line naming the field path, the value and what is allowed.
    """
    if path is None:
        path = DEFAULT_SCENARIO
    p = Path(path)
    if not p.exists() and str(path) in builtin_scenarios():
        p = builtin_scenarios()[str(path)]
    elif not p.exists():
        raise InputError(f"scenario {str(path)!r}: no such file and not a built-in scenario; built-in: "
                         f"{', '.join(builtin_scenarios())}")
    data = read_scenario_data(p)
    return validate_scenario(data, where=repr(str(path)))
