"""Issue 10 point 4: the model reads its parameters through typed attributes, and its numbers did not move.

The vectors (tests/fleet/vectors/typed_params_*.json, made by make_typed_params_vectors.py) come from the commit
before the refactor, when the model read ``p["group.name"]``; every value must be reproduced bit for bit.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from smetslab.fleet.engine import run_in_memory
from smetslab.fleet.model import ModelParams
from smetslab.fleet.scenario import GROUPS, validate_scenario

VECTORS = Path(__file__).parent / "vectors"
SRC = Path(__file__).parents[2] / "src" / "smetslab"


def _maker() -> Any:
    spec = importlib.util.spec_from_file_location("make_typed_params_vectors",
                                                  VECTORS / "make_typed_params_vectors.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("variant", ["gb_default", "multi_year", "branches"])
def test_numbers_bit_identical_to_before_the_refactor(variant: str) -> None:
    vec = json.loads((VECTORS / f"typed_params_{variant}.json").read_text())
    assert vec["source"].startswith("smetslab commit 240f0f5")
    s = validate_scenario(_maker().scenario_data(variant), where=variant)
    got = run_in_memory(s, workers=1)
    want = {(o, r, m): v for o, r, m, v in vec["rows"]}
    assert set(got) == set(want)
    if variant == "multi_year":
        assert any(m.endswith("@y4") for _, _, m in want)
    diff = [(k, want[k], got[k]) for k in sorted(want)
            if not (got[k] == want[k] or (math.isnan(got[k]) and math.isnan(want[k])))]
    assert not diff, f"{len(diff)} values moved, e.g. {diff[:3]}"


def test_no_string_keyed_parameter_reads_left() -> None:
    """``p["group.name"]`` / ``params["..."]`` threw the types away (STYLE.md); none may come back."""
    pattern = re.compile(r"""\b(p|P|params|self\.p)\[["']|getattr\([^,]+, f["']""")
    offenders = [f"{f.relative_to(SRC)}:{i}: {line.strip()}"
                 for d in ("fleet", "risk") for f in sorted((SRC / d).rglob("*.py"))
                 for i, line in enumerate(f.read_text().splitlines(), 1) if pattern.search(line)]
    assert not offenders, offenders


def test_model_params_carries_every_group_typed_and_pickles() -> None:
    s = validate_scenario(_maker().scenario_data("multi_year"), where="t")
    p = ModelParams.from_scenario(s)
    run = {"seed", "premises", "horizon_days", "options", "weighted"}
    annotations = {f.name: f.type for f in dataclasses.fields(ModelParams)}
    assert set(annotations) == run | set(GROUPS)  # the groups are declared once, in the schema
    assert all(annotations[g] == cls.__name__ for g, cls in GROUPS.items())
    for group in GROUPS:  # one field per scenario group, holding the validated group itself
        assert getattr(p, group) == getattr(s, group)
    assert p.growth.prepay_fleet_per_year.value == 0.05
    assert p.horizon_days == 3 * 365.0 + 40.0
    q = pickle.loads(pickle.dumps(p))
    assert q == p
    assert len(pickle.dumps(p)) < 64_000


@pytest.mark.slow
def test_mypy_types_every_parameter_read_and_rejects_a_misspelt_one(tmp_path: Path) -> None:
    """No ``Any`` on the lookup path: mypy infers a concrete type for each parameter's ``.value`` and rejects a
    misspelt name (about 20 s: slow)."""
    paths = [(g, n) for g, cls in GROUPS.items() for n in cls.model_fields]
    lines = ["from smetslab.fleet.scenario import ModelParams", "", "", "def f(p: ModelParams) -> None:"]
    lines += [f"    reveal_type(p.{g}.{n}.value)" for g, n in paths]
    lines += ["    p.remedy.dcc_mean_dayz"]
    (tmp_path / "snip.py").write_text("\n".join(lines) + "\n")
    env = {"MYPYPATH": str(SRC.parent), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
                          f"--cache-dir={tmp_path / 'cache'}", "snip.py"], cwd=tmp_path, env=env,
                         capture_output=True, text=True).stdout
    revealed = re.findall(r'Revealed type is "(.*)"', out)
    assert len(revealed) == len(paths), out
    assert not [(p, r) for p, r in zip(paths, revealed, strict=True) if "Any" in r]
    assert dict(zip(paths, revealed, strict=True))[("remedy", "dcc_mean_days")] == "float"
    assert dict(zip(paths, revealed, strict=True))[("windows", "alternating_windows_per_day")] == "int"
    assert '"Remedy" has no attribute "dcc_mean_dayz"' in out
