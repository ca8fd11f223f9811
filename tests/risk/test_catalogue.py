"""The shipped threat catalogue and its strict schema: coverage, and one-line errors for malformed files."""

from __future__ import annotations

import copy

import pytest

from smetslab.errors import InputError
from smetslab.risk.catalogue import ASSETS, builtin_catalogue_data, load_catalogue, validate_catalogue


def test_the_catalogue_has_at_least_40_distinct_threats_over_every_asset_each_with_a_source():
    cat = load_catalogue()
    assert len({t.id for t in cat.threats}) >= 40
    assert {t.asset for t in cat.threats} == set(ASSETS)  # hub window, PPMID, HHT, keypad, UTRN, relay, app, ...
    assert all(t.source.strip() for t in cat.threats)
    assert {t.attacker for t in cat.threats} == {"opportunistic", "persistent", "physical", "schedule_aware",
                                                 "insider", "supply_chain"}


def _bad(mutate) -> str:
    data = copy.deepcopy(builtin_catalogue_data())
    mutate(data)
    with pytest.raises(InputError) as exc:
        validate_catalogue(data, "'mine.yaml'")
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_an_unknown_stride_category_names_the_threat_the_field_the_value_and_the_allowed():
    def m(d):
        d["threats"][3]["stride"] = "Spoofy"
    msg = _bad(m)
    assert "threats[3](HJW-04).stride" in msg and "'Spoofy'" in msg and "Denial of service" in msg


def test_a_missing_source_is_refused():
    def m(d):
        del d["threats"][0]["source"]
    assert "missing field 'threats[0](HJW-01).source'" in _bad(m)


def test_an_unknown_field_is_refused():
    def m(d):
        d["threats"][0]["likelihood"] = 5  # likelihood is never typed in: it comes from the simulation
    assert "unknown field 'threats[0](HJW-01).likelihood'" in _bad(m)


def test_an_exposure_metric_must_be_a_fleet_metric():
    def m(d):
        d["threats"][1]["exposure"]["metric"] = "vibes"
    msg = _bad(m)
    assert "exposure.metric" in msg and "'vibes'" in msg and "no_route_days" in msg


def test_duplicate_ids_and_missing_controls_are_refused():
    def dup(d):
        d["threats"].append(dict(d["threats"][0]))
    assert "'HJW-01' appears twice" in _bad(dup)

    def ctl(d):
        del d["controls"]["dcc_anomaly_detection"]
    assert "missing dcc_anomaly_detection" in _bad(ctl)


def test_a_user_file_overrides_a_threat_by_id_and_adds_new_ones():
    base = load_catalogue()
    t = next(x for x in builtin_catalogue_data()["threats"] if x["id"] == "RLY-01")
    changed = {**t, "title": "Relay cloud (our reading)"}
    new = {**t, "id": "OURS-01", "title": "Our own threat"}
    cat = load_catalogue({"threats": [changed, new]}, "'ours.yaml'")
    assert len(cat.threats) == len(base.threats) + 1
    assert cat.threat("RLY-01").title == "Relay cloud (our reading)" and cat.threat("OURS-01").asset == t["asset"]


def test_an_override_with_an_unknown_top_level_key_is_refused():
    with pytest.raises(InputError, match="unknown field 'threat'; allowed: version, controls, methods, threats"):
        load_catalogue({"threat": []}, "'ours.yaml'")


def test_an_unknown_threat_field_lists_the_fields_a_threat_has_and_guesses_a_misspelling():
    # the one formatter (smetslab.validation) serves the catalogue too: allowed names and a near one
    def m(d):
        d["threats"][0]["titel"] = "x"
    msg = _bad(m)
    assert "unknown field 'threats[0](HJW-01).titel'; allowed: id, title, asset, stride, cia, attacker" in msg
    assert msg.endswith("did you mean 'title'?")
