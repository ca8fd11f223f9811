"""The consumer's decisions on emergency credit and an armed supply (premises.actors.Consumer.decide).

Expected plans come from DOMAIN.md §4.1 and the PPMID use cases (§2.7): emergency credit is activated at the
meter, from a joined PPMID (PECS02 for electricity, PCS02 for gas) or remotely by the supplier (ECS09/GCS06,
over the WAN); an armed supply is switched on at the meter, or from a joined PPMID for electricity only
(PECS03, "supply on"); gas needs the gas meter itself.
"""

from __future__ import annotations

import pytest

from smetslab.devices.han import Fuel
from smetslab.premises.actors import Consumer, HomeView, Plan, Route

E, G = Fuel.ELECTRICITY, Fuel.GAS


def view(fuel: Fuel, *, supply: str = "ENABLED", ppmid: bool = False, keypad: bool = False,
         routes: tuple[Route, ...] = (), ec: bool = True) -> HomeView:
    return HomeView(fuel=fuel, balance_pence=50, supply=supply, ec_available=ec, routes=routes,
                    ppmid_paired=ppmid, keypad_reachable=keypad, pending=False)


CONSUMER = Consumer(tops_up_below_pence=100)


@pytest.mark.parametrize(("v", "action", "where"), [
    (view(E, supply="ARMED", ppmid=True), "enable", "ppmid"),
    (view(E, supply="ARMED", ppmid=True, keypad=True), "enable", "ppmid"),
    (view(G, supply="ARMED", ppmid=True, keypad=True), "enable", "meter"),
    (view(G, supply="ARMED", ppmid=True), "nothing", ""),  # PECS03 is electricity only
    (view(E, supply="ARMED", routes=(Route.WAN,)), "nothing", ""),  # a remote top-up alone leaves it off
    (view(E, supply="ARMED", keypad=True), "enable", "meter"),
    (view(E, ppmid=True), "emergency_credit", "ppmid"),
    (view(G, ppmid=True), "emergency_credit", "ppmid"),  # PCS02
    (view(E, keypad=True), "emergency_credit", "meter"),
    (view(E), "nothing", ""),  # WAN down, no PPMID, meter out of reach: nobody can activate it
    (view(E, ppmid=True, ec=False), "nothing", ""),  # the meter does not offer it (yet)
], ids=lambda x: x if isinstance(x, str) else None)
def test_decide(v: HomeView, action: str, where: str) -> None:
    plan = CONSUMER.decide(v)
    assert (plan.action, plan.where) == (action, where)


def test_a_usable_route_comes_before_emergency_credit() -> None:
    plan = CONSUMER.decide(view(E, ppmid=True, routes=(Route.PPMID,)))
    assert plan == Plan("top_up", E, "ppmid")


def test_emergency_credit_is_asked_of_the_supplier_when_only_the_wan_can_carry_it() -> None:
    # a consumer who does not top up through the app still reaches the supplier (ECS09) while the WAN is up
    no_app = Consumer(tops_up_below_pence=100, preference=(Route.PPMID, Route.METER_KEYPAD))
    assert no_app.decide(view(E, routes=(Route.WAN,))) == Plan("emergency_credit", E, "wan")
    assert no_app.decide(view(E)) == Plan("nothing", E, reason="no route")
