"""The household of one premises: which top-up routes it has at each moment (``Routes``, integrated into the
no-route and UTRN-only hours) and what the consumer decides on each of the meters' ticks (``Household``).

Theory of operation
-------------------
The routes (``policy.routes`` applied to the premises' state: WAN up, PPMID paired, phone radio, relay,
keypad reachable) are piecewise constant: ``Routes.track`` is called wherever they may change (the WAN,
the hub's power, the PPMID, every tick) and adds the stretch since the last change to the integrals in
the book, so a snapshot keeps them and ``run(t1); run(t2)`` integrates at the same points as
``run(t2)``. On each tick the consumer (``actors.Consumer``) looks at each meter as the household sees it
(``HomeView``: balance, supply, emergency credit offered, routes usable, a top-up still pending) and its
plan is played through the story actions (``timeline.Timeline``): a top-up by a route, emergency
credit, re-enabling the supply. An engineer is sent after ``engineer_after_no_route_days`` without any
route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smetslab.policy import routes as policy_routes
from smetslab.policy.options import OptionEffect
from smetslab.premises import measures
from smetslab.premises.actors import Consumer, HomeView, Plan, Route
from smetslab.premises.book import Book
from smetslab.premises.config import SiteConfig
from smetslab.premises.engine import Engine
from smetslab.premises.roster import Roster

if TYPE_CHECKING:
    from smetslab.premises.pairing import Pairing
    from smetslab.premises.timeline import Timeline
    from smetslab.premises.transport import Transport

__all__ = ["Routes", "Household"]


class Routes:
    """The top-up routes of one premises now, and the hours without any (or with only a UTRN)."""

    def __init__(self, config: SiteConfig, effect: OptionEffect, engine: Engine, book: Book, roster: Roster,
                 transport: Transport) -> None:
        self.config, self.effect, self.engine, self.book = config, effect, engine, book
        self.roster, self.transport = roster, transport

    def now(self) -> tuple[bool, bool, bool, bool, bool]:
        """(wan, phone app, relay, PPMID, keypad): the route flags ``policy.routes`` combines."""
        cfg, eff = self.config, self.effect
        wan = self.transport.wan_ok()
        ppmid = self.roster.ppmid_paired()
        phone = bool(policy_routes.phone_route_available(bool(eff.phone_radio), cfg.new_meters, cfg.smartphone))
        relay = bool(policy_routes.relay_available(eff.relay, wan, cfg.broadband, cfg.wifi_ppmid, ppmid))
        return wan, phone, relay, ppmid, cfg.meter_keypad_reachable

    def seconds(self, now: float) -> tuple[float, float]:
        """(no-route, UTRN-only) seconds up to ``now`` (reads only)."""
        b = self.book
        return measures.route_seconds(b.installed_at, b.route_at, b.route_no, b.route_utrn, b.no_route_s,
                                      b.utrn_only_s, now)

    def track(self) -> None:
        """Integrate the no-route and UTRN-only hours since the last change (piecewise constant)."""
        b = self.book
        if b.installed_at is None:
            return
        now = float(self.engine.now)
        b.no_route_s, b.utrn_only_s = self.seconds(now)
        wan, phone, relay, ppmid, keypad = self.now()
        b.route_no = not bool(policy_routes.any_route_available(wan, phone, relay, ppmid, keypad))
        b.route_utrn = (not bool(policy_routes.remote_route_available(wan, phone, relay))
                        and bool(policy_routes.utrn_route_available(ppmid, keypad)))
        b.route_at = now
        if b.route_no:
            b.no_route_since = now if b.no_route_since is None else b.no_route_since
        else:
            b.no_route_since = None


class Household:
    """The consumer of one premises, deciding on each tick (see the module docstring)."""

    def __init__(self, config: SiteConfig, consumer: Consumer, routes: Routes, roster: Roster, pairing: Pairing,
                 timeline: Timeline) -> None:
        self.config, self.consumer, self.routes, self.roster = config, consumer, routes, roster
        self.pairing, self.timeline = pairing, timeline
        self.engine, self.book, self.agenda = routes.engine, routes.book, timeline.agenda

    def after_tick(self) -> None:
        """After the meters' tick: the routes are integrated, the consumer decides, an engineer may be sent."""
        self.routes.track()
        if self.book.installed:
            self.consumer_check()
            self.maybe_dispatch_engineer()

    def maybe_dispatch_engineer(self) -> None:
        days = self.config.engineer_after_no_route_days
        since = self.book.no_route_since
        if days is None or since is None or self.book.visit is not None:
            return
        if float(self.engine.now) - since >= days * 86_400.0:
            self.pairing.engineer(7200.0)

    def consumer_check(self) -> None:
        wan, phone, relay, ppmid, keypad = self.routes.now()
        cfg = self.config
        can_get_code = cfg.phone or cfg.broadband  # a UTRN comes by SMS, phone call or e-mail
        now = float(self.engine.now)
        for fuel in self.roster.meters:
            node = self.roster.meter_node(fuel)
            usable: list[Route] = []
            if wan and can_get_code:
                usable.append(Route.WAN)
            if relay:
                usable.append(Route.RELAY)
            if phone:
                usable.append(Route.PHONE_APP)
            if self.roster.ppmid_has(fuel) and can_get_code:
                usable.append(Route.PPMID)
            if keypad and can_get_code:
                usable.append(Route.METER_KEYPAD)
            last = self.book.pending.get(fuel.value)
            view = HomeView(fuel, node.meter.balance_pence, node.meter.supply.name, node.meter.ec_available_alerted,
                            tuple(usable), self.roster.ppmid_has(fuel), keypad,
                            last is not None and now - last < cfg.pending_s)
            self.act(self.consumer.decide(view))

    def act(self, plan: Plan) -> None:
        fuel = plan.fuel
        if plan.action == "top_up":
            self.book.pending[fuel.value] = float(self.engine.now)
            route = {"wan": "wan", "relay": "relay", "phone_app": "phone_app", "ppmid": "ppmid",
                     "meter_keypad": "meter_keypad"}[plan.where]
            self.agenda.note("Consumer", "TopUpDecided", fuel=fuel.name, route=route)
            self.timeline.issue(self.config.top_up_pence, fuel, route, None)
        elif plan.action == "emergency_credit":
            self.timeline.emergency_credit(fuel, plan.where)
        elif plan.action == "enable":
            self.timeline.enable(fuel, plan.where)
