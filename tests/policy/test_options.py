"""The option catalogue and combination rules (DESIGN.md 'The options')."""

from __future__ import annotations

import pytest

from smetslab.errors import InputError
from smetslab.policy import OPTIONS, combine

# DESIGN.md 'The options' table, in order (meter_bluetooth / meter_nfc and wan_repeaters /
# mini_base_stations share a row there)
DESIGN_IDS = ["baseline", "secmp0037", "power_cycle_window", "hub_button", "alternating_windows",
              "firmware_preauth", "meter_bluetooth", "meter_nfc", "wan_repeaters", "mini_base_stations",
              "mesh_hub", "secmp0032", "secmp0038"]


def test_catalogue_is_design_md():
    assert list(OPTIONS) == DESIGN_IDS
    for oid, info in OPTIONS.items():
        assert info.id == oid and info.title and info.description and info.who_acts and info.source


def test_new_hardware_only_options():
    # DESIGN.md: hub button 'new hubs only', Bluetooth/NFC 'new meters only'; mesh hubs are new hubs
    assert {o for o, i in OPTIONS.items() if i.new_hardware_only} == {"hub_button", "meter_bluetooth",
                                                                         "meter_nfc", "mesh_hub"}


def test_secmp0038_and_0037_need_cpa_baseline_does_not():
    assert OPTIONS["secmp0037"].cpa_needed and OPTIONS["secmp0038"].cpa_needed
    assert not OPTIONS["baseline"].cpa_needed and not OPTIONS["secmp0032"].cpa_needed


def test_combination_unions_capabilities():
    e = combine("secmp0037+secmp0032")
    assert e.components == ("secmp0037", "secmp0032")
    assert e.prioritised_remedy and e.local_pairing == frozenset({"standing"})
    assert e.cpa_needed and not e.new_hardware_only
    e2 = combine("firmware_preauth+meter_nfc")
    assert not OPTIONS["firmware_preauth"].cpa_needed and e2.cpa_needed  # any component needs CPA
    assert e2.new_hardware_only and e2.phone_radio == frozenset({"nfc"})
    assert combine("alternating_windows").replaces_power_on_window
    assert not combine("baseline").local_pairing and not combine("baseline").prioritised_remedy


@pytest.mark.parametrize("bad, needle", [
    ("secmp0099", "unknown option 'secmp0099'"),
    ("secmp0037+nope", "unknown option 'nope'"),
    ("secmp0037+secmp0037", "twice"),
    ("baseline+secmp0032", "'baseline' cannot be combined"),
    ("", "expected an option id"),
])
def test_bad_option_names(bad, needle):
    with pytest.raises(InputError) as exc:
        combine(bad)
    msg = str(exc.value)
    assert needle in msg and "\n" not in msg
    if "unknown" in needle:
        assert "allowed: baseline, secmp0037" in msg
