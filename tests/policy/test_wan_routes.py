"""WAN remedy and top-up route rules (DESIGN.md 'The options'; SEC F7.18 via DOMAIN.md §4.2)."""

from __future__ import annotations

import numpy as np
import pytest

from smetslab.policy import routes, wan


def test_remedy_caps_are_the_headline_figures():
    assert wan.remedy_cap_days(False) == 90.0  # SEC F7.18
    assert wan.remedy_cap_days(True) == 30.0   # SECMP0032
    assert wan.remedy_cap_days(True, 90.0, 120.0) == 90.0  # a looser 'priority' cap never lengthens


def test_restore_days_capped_scalar_and_array():
    assert wan.restore_days(120.0, 90.0) == 90.0
    assert wan.restore_days(12.5, 90.0) == 12.5
    d = np.array([1.0, 29.0, 31.0, 95.0])
    assert list(wan.restore_days(d, 30.0)) == [1.0, 29.0, 30.0, 30.0]


def test_secmp0032_never_longer_than_baseline():
    d = np.random.default_rng(1).exponential(45.0, 10_000)
    assert (wan.restore_days(d, wan.remedy_cap_days(True)) <= wan.restore_days(d, wan.remedy_cap_days(False))).all()


def test_repeater_only_where_fixable_and_still_needed():
    restore = np.array([5.0, 20.0, 20.0])
    fixable = np.array([True, True, False])
    assert list(wan.repeater_fitted(restore, fixable, 10.0)) == [False, True, False]
    assert list(wan.repeater_restore_days(restore, fixable, 10.0)) == [5.0, 10.0, 20.0]


def test_mini_base_stations_only_central_and_south():
    region = np.array([0, 1, 2, 1])  # North, Central, South, Central
    u = np.array([0.1, 0.1, 0.1, 0.9])
    assert list(wan.mini_base_station_prevents(region, u, 0.5)) == [False, True, True, False]
    assert wan.WAN_PROVIDER["North"] == "Arqiva" and wan.WAN_PROVIDER["South"] == "Telefonica"


def test_mesh_needs_same_supplier_neighbour_or_broker():
    restore = np.array([40.0, 40.0, 40.0, 10.0, 40.0])
    same = np.array([1, 0, 0, 0, 2])
    other = np.array([0, 3, 0, 2, 0])
    mesh = np.array([True, True, True, True, False])
    got = wan.mesh_restore_days(restore, same, other, 21.0, mesh)
    assert list(got) == [0.0, 21.0, 40.0, 10.0, 40.0]


def test_route_rules():
    assert routes.phone_route_available(True, True, True) is True
    assert routes.phone_route_available(True, False, True) is False  # new meters only
    # relay: only while the WAN is down, with broadband and an already-joined Wi-Fi PPMID
    assert routes.relay_available(True, False, True, True, True) is True
    assert routes.relay_available(True, True, True, True, True) is False
    assert routes.relay_available(True, False, True, True, False) is False
    assert routes.relay_available(True, False, False, True, True) is False
    wan_up = np.array([False, True])
    assert list(routes.relay_available(True, wan_up, True, True, True)) == [True, False]
    assert routes.any_route_available(False, False, False, False, True) is True   # meter keypad
    assert routes.any_route_available(False, False, False, False, False) is False


@pytest.mark.parametrize("mech, kw, expected", [
    ("standing", dict(firmware_ok=True), True),
    ("standing", dict(firmware_ok=False), False),
    ("power_cycle", dict(firmware_ok=True, hub_reachable=False), False),
    ("button", dict(new_hub=False, hub_reachable=True), False),
    ("button", dict(new_hub=True, hub_reachable=True), True),
    ("preauth", dict(firmware_ok=True, preregistered=False), False),
    ("alternating", dict(firmware_ok=True), True),
])
def test_local_pairing_possible(mech, kw, expected):
    base = dict(firmware_ok=True, new_hub=True, hub_reachable=True, preregistered=True)
    base.update(kw)
    assert bool(routes.local_pairing_possible(mech, **base)) is expected


def test_unknown_pairing_mechanism():
    with pytest.raises(ValueError, match="allowed"):
        routes.local_pairing_possible("telepathy", firmware_ok=True, new_hub=True, hub_reachable=True,
                                      preregistered=True)


def test_self_disconnection_hours():
    # £10 credit + £5 emergency at £5/day lasts 3 days; 5 days without a route -> 2 days off = 48 h
    assert routes.self_disconnection_hours(5.0, 1000, 500, 500) == pytest.approx(48.0)
    assert routes.self_disconnection_hours(2.0, 1000, 500, 500) == 0.0
    got = routes.self_disconnection_hours(np.array([5.0, 2.0]), np.array([1000.0, 1000.0]), 500, 500)
    assert list(got) == [48.0, 0.0]


def test_an_armed_supply_stays_off_until_someone_can_switch_it_on():
    # £5 credit at £5/day runs out after 1 day of a 2-day stretch; the route is back on day 2, but the
    # supply comes on only when someone can enable it: on day 2 (0: at once), 3.5, or never before day 2
    assert routes.self_disconnection_hours(2.0, 500, 0, 500, 0.0) == pytest.approx(24.0)
    assert routes.self_disconnection_hours(2.0, 500, 0, 500, 3.5) == pytest.approx(60.0)
    assert routes.self_disconnection_hours(2.0, 500, 0, 500, 1.5) == pytest.approx(24.0)  # the route is later
    # the credit outlasts the stretch: the consumer tops up when the route returns, never off, whatever enable
    assert routes.self_disconnection_hours(2.0, 1500, 0, 500, 9.0) == 0.0
    got = routes.self_disconnection_hours(np.array([2.0, 2.0, 2.0]), np.array([500.0, 500.0, 1500.0]), 0.0,
                                          np.array([500.0, 500.0, 500.0]), np.array([0.0, 3.5, 9.0]))
    assert got.tolist() == pytest.approx([24.0, 60.0, 0.0])


def test_who_can_activate_emergency_credit_and_switch_an_armed_supply_on():
    # emergency credit: at the meter, on a joined PPMID (PECS02/PCS02) or remotely (ECS09/GCS06, needs the WAN)
    assert routes.emergency_credit_activatable(False, False, False) is False
    assert routes.emergency_credit_activatable(True, False, False) is True
    assert routes.emergency_credit_activatable(False, True, False) is True
    assert routes.emergency_credit_activatable(False, False, True) is True
    # an armed supply: only a person, at the meter or on a joined PPMID (PECS03); the WAN alone does not do it
    assert routes.supply_enable_possible(False, False) is False
    assert routes.supply_enable_possible(True, False) is True
    assert routes.supply_enable_possible(False, True) is True
    keypad = np.array([False, True, False])
    assert routes.emergency_credit_activatable(False, False, keypad).tolist() == [False, True, False]
    assert routes.supply_enable_possible(np.array([False, False, True]), keypad).tolist() == [False, True, True]
