"""Regenerate tests/fleet/vectors/typed_params_*.json: every option x replicate x metric (with the @yN per-year
values) of a scenario at its fixed replicates (the `--precision off` path: ``engine.run_in_memory``).

Run from the checkout: ``PYTHONPATH=src python tests/fleet/vectors/make_typed_params_vectors.py``. The vectors
pin the model's numbers across refactors that must not move them (issue 10 point 4: typed parameter reads);
regenerate them only for a change that is meant to change the numbers, and say so in the "source" field.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from smetslab.fleet.engine import run_in_memory
from smetslab.fleet.scenario import validate_scenario
from smetslab.interfaces.config import builtin_scenarios, read_scenario_data

HERE = Path(__file__).parent

# name -> (run settings, parameter overrides "group.name" -> value); every flag the model branches on is
# flipped in "branches" so that each parameter read is on some vector's path.
VARIANTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "gb_default": ({}, {}),
    "multi_year": ({"premises": 2 * 8192 + 300, "replicates": 2, "horizon_days": 3 * 365.0 + 40.0, "seed": 7},
                   {"growth.prepay_fleet_per_year": 0.05}),
    "branches": ({"premises": 8192 + 77, "replicates": 2, "horizon_days": 2 * 365.0, "seed": 99,
                  "variance_reduction": False},
                 {"han.band_868mhz": True, "cpa.enforced": False, "deployment.hub_button_retrofit": True,
                  "remedy.local_pairing_actor": "engineer", "mesh.neighbour_rule": "any_same_supplier",
                  "remedy.engineer_pairs_without_wan": True, "growth.prepay_fleet_per_year": 0.03}),
}


def scenario_data(name: str) -> dict[str, Any]:
    top, params = VARIANTS[name]
    data = copy.deepcopy(read_scenario_data(builtin_scenarios()["gb-default"]))
    data["sensitivity"] = []
    data.update(top)
    for path, value in params.items():
        group, _, field = path.partition(".")
        data[group][field]["value"] = value
    return data


def main() -> None:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "src"], capture_output=True, text=True,
                           check=True).stdout.strip()
    if dirty:
        sys.exit("src/ has uncommitted changes: the vectors must come from a commit")
    for name in sys.argv[1:] or list(VARIANTS):
        s = validate_scenario(scenario_data(name), where=name)
        values = run_in_memory(s, workers=1)
        rows = sorted([o, r, m, v] for (o, r, m), v in values.items())
        out = {"source": f"smetslab commit {commit} (before the typed-parameter refactor), "
                         f"engine.run_in_memory(workers=1) of gb-default with {VARIANTS[name]}",
               "variant": name, "rows": rows}
        (HERE / f"typed_params_{name}.json").write_text(json.dumps(out, separators=(",", ":")) + "\n")
        print(name, len(rows), "values")


if __name__ == "__main__":
    main()
