"""Scenario schema: the shipped scenarios, sources, and one-line errors for bad input (issue 4, point 7)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from smetslab.errors import InputError
from smetslab.fleet.scenario import Scenario
from smetslab.interfaces.config import builtin_scenarios, load_scenario
from smetslab.policy import OPTIONS

REPO = Path(__file__).resolve().parents[2]


def test_default_scenario_is_gb_default_with_every_option():
    s = load_scenario(None)
    assert s.name == "gb-default" and s.premises == 100_000 and s.replicates >= 5
    assert set(OPTIONS) <= set(s.options)
    assert s.options[0] == "baseline"


def test_national_scenario_is_about_4_5_million():
    n = load_scenario("gb-national")
    assert 4_400_000 <= n.premises <= 4_600_000  # DESIGN.md 'Targets': about 4.5 million
    assert set(OPTIONS) <= set(n.options) and n.replicates == 2  # the fewest that give an interval (the precision loop adds more)
    d = load_scenario("gb-default")
    for path in d.param_paths():  # inherits every parameter from gb-default
        assert n.param(path) == d.param(path)


def test_repo_scenarios_folder_matches_package_data():
    for name, path in builtin_scenarios().items():
        assert (REPO / "scenarios" / f"{name}.yaml").read_bytes() == path.read_bytes()


def test_every_parameter_has_a_citation_or_labelled_assumption():
    s = load_scenario()
    for path in s.param_paths():
        src = s.param(path).source
        assert src.startswith("assumption:") or re.search(r"DESIGN\.md|DOMAIN\.md|SEC", src), (path, src)


@pytest.mark.parametrize("path, value, cited", [
    ("remedy.never_remedied_share", 0.01, "99%"),
    ("remedy.baseline_max_days", 90.0, "90 days"),
    ("remedy.secmp0032_max_days", 30.0, "30 days"),
    ("windows.hht_window_minutes", 60.0, "60 minutes"),
    ("windows.alternating_window_minutes", 5.0, "5-minute"),
    ("costs.secmp0032_national", 100_000_000_000, "£1bn"),
])
def test_headline_figures_from_design_md(path, value, cited):
    p = load_scenario().param(path)
    assert p.value == value and "DESIGN.md" in p.source and cited in p.source


def test_no_wan_at_install_is_a_labelled_assumption_not_the_f718_share():
    # issue 8: the F7.18 99% is the share of no-WAN cases made good, not the rate of installs finding no WAN
    s = load_scenario()
    assert s.param("incidents.no_wan_at_install_prob").source.startswith("assumption:")
    assert "F7.18" in s.param("remedy.never_remedied_share").source
    assert any(sw.param == "remedy.never_remedied_share" and sw.low == 0.0 and sw.high <= 0.01
               for sw in s.sensitivity)


def test_with_param_is_a_validated_copy():
    s = load_scenario()
    t = s.with_param("incidents.wan_lost_per_year", 0.1)
    assert t.incidents.wan_lost_per_year.value == 0.1 and s.incidents.wan_lost_per_year.value == 0.02
    assert t.incidents.wan_lost_per_year.source == s.incidents.wan_lost_per_year.source
    assert t.sha256() != s.sha256()
    with pytest.raises(InputError, match=r"customer\.smartphone_prob\.value = 1\.5"):
        s.with_param("customer.smartphone_prob", 1.5)
    with pytest.raises(InputError, match="unknown"):
        s.with_param("customer.pets", 2)


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text("extends: gb-default\n" + body)
    return p


@pytest.mark.parametrize("body, needles", [
    ("colour: blue\n", ["unknown field 'colour'", "allowed: name, description, seed"]),
    ("incidents:\n  wan_lost_per_yr: {value: 0.1, source: 'assumption: x'}\n",
     ["unknown field 'incidents.wan_lost_per_yr'", "allowed: installs_per_year"]),
    ("incidents:\n  wan_lost_per_year: {value: 0.1, source: 'x', unit: days}\n",
     ["unknown field 'incidents.wan_lost_per_year.unit'", "allowed: value, source"]),
    ("premises: lots\n", ["premises = 'lots'", "wrong type (str)", "valid integer"]),
    ("incidents:\n  wan_lost_per_year: {value: 'high'}\n", ["incidents.wan_lost_per_year.value = 'high'",
                                                           "valid number"]),
    ("incidents:\n  wan_lost_per_year: {value: -0.5}\n", ["incidents.wan_lost_per_year.value = -0.5",
                                                          "greater than or equal to 0"]),
    ("customer:\n  smartphone_prob: {value: 1.2}\n", ["customer.smartphone_prob.value = 1.2",
                                                      "less than or equal to 1"]),
    ("options: [baseline, secmp0099]\n", ["options[1]", "unknown option 'secmp0099'", "allowed: baseline"]),
    ("options: [secmp0037]\n", ["must include 'baseline'"]),
    ("options: [baseline, secmp0037, secmp0037]\n", ["listed twice"]),
    ("replicates: 0\n", ["replicates = 0", "greater than or equal to 1"]),
    ("region:\n  north_share: {value: 0.5}\n", ["region.north_share + central_share + south_share = 1.2", "must sum to 1"]),
    ("remedy:\n  local_pairing_actor: {value: robot}\n", ["remedy.local_pairing_actor.value = 'robot'",
                                                          "'consumer' or 'engineer'"]),
    ("incidents:\n  wan_lost_per_year: {value: .nan}\n", ["incidents.wan_lost_per_year.value = nan", "finite"]),
    ("sensitivity:\n  - {param: incidents.nope, low: 0, high: 1}\n", ["sensitivity[0].param 'incidents.nope'"]),
    ("sensitivity:\n  - {param: customer.smartphone_prob, low: 0.5, high: 2.0}\n", ["less than or equal to 1"]),
    ("incidents:\n  wan_lost_per_year: {value: 0.1, source: '  '}\n", ["source"]),
])
def test_bad_scenario_one_line_error(tmp_path, body, needles):
    with pytest.raises(InputError) as exc:
        load_scenario(_write(tmp_path, body))
    msg = str(exc.value)
    assert "\n" not in msg
    for needle in needles:
        assert needle in msg, msg


def test_missing_field(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("name: x\nseed: 1\nreplicates: 1\npremises: 10\nhorizon_days: 365.0\noptions: [baseline]\n")
    with pytest.raises(InputError, match="missing field 'incidents'"):
        load_scenario(p)


@pytest.mark.parametrize("text, needle", [
    ("name: [unclosed\n", "not valid YAML at line"),
    ("- just\n- a list\n", "expected a mapping"),
    ("extends: no-such-scenario\n", "not a built-in scenario"),
    ("extends: 5\n", "extends = 5"),
])
def test_bad_yaml_and_extends(tmp_path, text, needle):
    p = tmp_path / "s.yaml"
    p.write_text(text)
    with pytest.raises(InputError) as exc:
        load_scenario(p)
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_scenario(tmp_path / "absent.yaml")
    with pytest.raises(InputError, match="is a directory"):
        load_scenario(tmp_path)


def test_extends_chain_merges_parameter_by_parameter(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text("extends: gb-default\nname: a\nincidents:\n  wan_lost_per_year: {value: 0.04}\n")
    b = tmp_path / "b.yaml"
    b.write_text("extends: a.yaml\nname: b\npremises: 1000\n")
    s = load_scenario(b)
    assert (s.name, s.premises, s.incidents.wan_lost_per_year.value) == ("b", 1000, 0.04)
    assert s.incidents.wan_lost_per_year.source.startswith("assumption: 2%")  # source kept from the base
    assert s.incidents.ppmid_lost_per_year.value == 0.05


def test_scenario_json_round_trip():
    s = load_scenario()
    again = Scenario.model_validate_json(s.canonical_json())
    assert again == s and again.sha256() == s.sha256()


def test_loader_works_from_another_directory(tmp_path):
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert load_scenario().name == "gb-default"
    finally:
        os.chdir(cwd)


def test_horizons_of_one_to_ten_years(make):
    from smetslab.errors import InputError
    from smetslab.fleet import run_in_memory

    ten = make({"premises": 300, "replicates": 1, "horizon_days": 3650.0, "options": ["baseline"]})
    out = run_in_memory(ten, workers=1)
    assert {m for (_, _, m) in out if m.startswith("fleet_share@y")} == {f"fleet_share@y{y}" for y in range(1, 11)}
    with pytest.raises(InputError, match=r"horizon_days = 3651.0: input should be less than or equal to 3650"):
        make({"horizon_days": 3651.0})


def test_an_unknown_mesh_neighbour_rule_is_one_line_naming_the_allowed_rules(make):
    from smetslab.errors import InputError

    with pytest.raises(InputError, match=r"mesh\.neighbour_rule\.value = 'some_same_supplier': input should be "
                                         r"'all_same_supplier' or 'any_same_supplier'"):
        make(mesh__neighbour_rule="some_same_supplier")
