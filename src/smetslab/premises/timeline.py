"""What each story action does when it is played on one premises (``Site.install``, ``wan_lost``,
``issue_utrn``, ... only schedule these; the consumer's own decisions play them too).

Theory of operation
-------------------
The install powers the hub and commissions the HAN - over the WAN (the DCC's CCS01s), or locally by an
installer's HHT visit - and starts pairing the customer's PPMID. The WAN going down may bring up a mesh
route after ``policy.wan.mesh_restore_days`` (a follow-up, ``_mesh_up``); coming back it sends what
waited in the DCC's outbox. A replacement PPMID is paired by the DCC's way, or the local ways when the
WAN is down. A UTRN is issued by the supplier and travels by its route: the WAN (CS01a/b), the relay
(SECMP0038), a phone app on the meter's radio, or typed on the PPMID or the meter keypad; a refusal on
the way (no WAN, no PPMID, keypad unreachable) is a logged event, not an exception.
"""

from __future__ import annotations

import math

from smetslab.devices import chf as C
from smetslab.devices import hht as H
from smetslab.devices import nodes
from smetslab.devices import ppmid as P
from smetslab.devices.han import Fuel
from smetslab.policy import routes as policy_routes
from smetslab.policy import wan as policy_wan
from smetslab.policy.options import OptionEffect
from smetslab.premises.actors import SupplierHeadEnd
from smetslab.premises.agenda import Agenda
from smetslab.premises.book import Joiner, Visit
from smetslab.premises.config import IHD_EUI, SiteConfig, install_code
from smetslab.premises.engine import Priority
from smetslab.premises.household import Routes
from smetslab.premises.pairing import Pairing
from smetslab.premises.roster import Roster
from smetslab.premises.transport import Transport

__all__ = ["Timeline"]


class Timeline:
    """The story actions of one premises, as played (see the module docstring)."""

    def __init__(self, config: SiteConfig, effect: OptionEffect, agenda: Agenda, roster: Roster,
                 transport: Transport, pairing: Pairing, routes: Routes, supplier: SupplierHeadEnd) -> None:
        self.config, self.effect, self.agenda, self.roster = config, effect, agenda, roster
        self.transport, self.pairing, self.routes, self.supplier = transport, pairing, routes, supplier
        self.engine, self.book = agenda.engine, agenda.book

    # -- the hub and the WAN --------------------------------------------------------------------------

    def install(self, wan: bool, ppmid: bool) -> None:
        now = float(self.engine.now)
        self.book.installed_at = now
        if not wan:
            self.book.wan_up = False
            self.agenda.note("WAN", "WANLost", at_install=True)
        self.engine.deliver("CHF", C.PowerOn())
        self.agenda.note("Site", "Installed", wan=wan, ppmid=ppmid, options=self.config.options)
        first = self.book.ppmid
        if wan:
            for eui in [*self.roster.meters.values(), IHD_EUI]:
                self.transport.request("CHF", "ccs01", str(eui), install_code(self.config.seed, eui).hex())
        else:
            hht = self.roster.new_hht()
            self.book.visit = Visit("install", hht, now + 7200.0)
            self.agenda.later(now + 60.0, "deliver", hht, H.StartLocalJoin())
            self.agenda.later(now + 7200.0, "_visit_end", hht)
        if ppmid and first is not None:
            self.pairing.request_pairing(first)
        self.pairing.maybe_preauthorise()
        if ppmid and first is not None and not wan:
            self.agenda.later(now + 900.0, "_start_local_pairing", first, True)
        self.routes.track()

    def set_wan(self, up: bool) -> None:
        if up == self.book.wan_up:
            return
        self.book.wan_up = up
        self.agenda.note("WAN", "WANRestored" if up else "WANLost")
        if up:
            self.book.mesh_up = False
            self.transport.flush_outbox()
            self.pairing.maybe_preauthorise()
        elif self.effect.mesh:
            same = 1 if self.config.mesh_neighbour == "same_supplier" else 0
            other = 1 if self.config.mesh_neighbour == "other_supplier" else 0
            days = float(policy_wan.mesh_restore_days(math.inf, same, other, self.config.mesh_broker_days, True))
            if math.isfinite(days):
                # NETWORK + 1: after a story's own WAN step at the same instant, which a restored
                # premises schedules after its agenda (a WAN restored then makes the mesh moot).
                self.agenda.later(self.engine.now + days * 86_400.0, "_mesh_up", priority=int(Priority.NETWORK) + 1)
        self.routes.track()

    def mesh_up(self) -> None:
        if not self.book.wan_up and not self.book.mesh_up:
            self.book.mesh_up = True
            self.agenda.note("WAN", "MeshRouteUp", neighbour=self.config.mesh_neighbour)
            self.transport.flush_outbox()
            self.routes.track()

    def press_button(self) -> None:
        if not self.config.new_hub:
            self.agenda.note("Site", "NoHubButton")  # an older hub has no button
            return
        self.engine.deliver("CHF", C.PressHubButton())
        self._retry_local_now()

    def power_cycle(self) -> None:
        self.engine.deliver("CHF", C.PowerCycle())
        self._retry_local_now(delay=60.0)

    def _retry_local_now(self, delay: float = 0.0) -> None:
        # Someone opened a window by hand: a PPMID waiting to join tries again.
        name = self.book.ppmid
        if name is None or self.transport.wan_ok():
            return
        state = self.roster.state(name)
        if state.status is P.PPMIDStatus.UNJOINED:
            self.book.joiners.setdefault(name, Joiner(name, ["manual"]))
            self.agenda.later(self.engine.now + delay, "_joiner_try", name)

    # -- the PPMID ------------------------------------------------------------------------------------

    def ppmid_lost(self) -> None:
        name = self.book.ppmid
        if name is not None:
            self.engine.deliver(name, P.Break())

    def replacement_arrives(self) -> None:
        old = self.book.ppmid
        name = self.roster.new_ppmid()
        self.agenda.note("Site", "ReplacementPPMIDArrived", ppmid=name, eui=self.roster.eui(name))
        if old is not None:
            old_eui = self.roster.eui(old)
            self.book.jobs.pop(old, None)
            self.book.joiners.pop(old, None)
            self.transport.request("CHF", "ccs02", str(old_eui))  # the DCC tidies the device log
        self.pairing.request_pairing(name)
        if not self.transport.wan_ok():
            self.pairing.start_local_pairing(name, False)

    # -- top-ups --------------------------------------------------------------------------------------

    def issue(self, value_pence: int, fuel: Fuel, route: str, label: str | None) -> None:
        """The supplier issues a UTRN (or a CS01a/b command) worth ``value_pence`` and it goes by ``route``."""
        meter = self.roster.meters[fuel]
        meter_name = self.roster.meter_name(fuel)
        if route == "wan":
            if not self.transport.wan_ok():
                self.agenda.count("wan_top_ups_failed")
                self.agenda.note("Supplier", "TopUpFailed", fuel=fuel.name, route=route, reason="WAN_DOWN")
                return
            code, wire = self.supplier.top_up_command(meter, value_pence)
            self.transport.down(meter_name, wire)
        elif route == "relay":
            code, wire = self.supplier.top_up_command(meter, value_pence)
            self.transport.wifi_down(wire)
        else:
            code, _counter = self.supplier.issue_utrn(meter, value_pence)
            if route == "phone_app":
                self._phone_app(fuel, code)
            else:
                on = route
                if route == "sms":
                    on = "ppmid" if self.roster.ppmid_has(fuel) else "meter_keypad"
                self._type(fuel, code, on)
        self.agenda.count("utrns_issued")
        self.book.captured_utrns.append((meter_name, code))
        del self.book.captured_utrns[:-16]
        if label is not None:
            self.book.labels[label] = (fuel.value, code)
        self.agenda.note("Supplier", "UTRNIssued", fuel=fuel.name, route=route, label=label, value_pence=value_pence,
                         utrn=code)

    def _type(self, fuel: Fuel, code: str, on: str) -> None:
        if on == "ppmid":
            name = self.book.ppmid
            if name is None:
                self.agenda.note("Consumer", "UTRNNotEntered", fuel=fuel.name, on=on, reason="NO_PPMID")
                return
            self.engine.deliver(name, P.KeypadTopUp(code, fuel))
        elif not self.config.meter_keypad_reachable:
            self.agenda.note("Consumer", "UTRNNotEntered", fuel=fuel.name, on=on, reason="METER_KEYPAD_UNREACHABLE")
        else:
            self.engine.deliver(self.roster.meter_name(fuel), nodes.KeypadEntry(code))

    def _phone_app(self, fuel: Fuel, code: str) -> None:
        if not bool(policy_routes.phone_route_available(bool(self.effect.phone_radio), self.config.new_meters,
                                                        self.config.smartphone)):
            self.agenda.note("Consumer", "UTRNNotEntered", fuel=fuel.name, on="phone_app", reason="NO_PHONE_ROUTE")
            return
        radio = sorted(self.effect.phone_radio)[0]
        self.engine.deliver(self.roster.meter_name(fuel), nodes.PhoneAppEntry(code, radio))

    def enter(self, label: str, on: str, fuel: str | None) -> None:
        """Type again the UTRN issued under ``label`` (``fuel`` was checked when scheduled; the label says it)."""
        entry = self.book.labels.get(label)
        if entry is None:  # issued later than this entry, or its issue failed: nothing to type
            self.agenda.note("Consumer", "UTRNNotEntered", label=label, on=on, reason="NO_SUCH_UTRN")
            return
        fuel_name, code = entry
        self._type(Fuel(fuel_name), code, on)

    def emergency_credit(self, fuel: Fuel, on: str) -> None:
        if on == "ppmid":
            if self.book.ppmid is not None:
                self.engine.deliver(self.book.ppmid, P.KeypadEmergencyCredit(fuel))
        elif on == "meter":
            if self.config.meter_keypad_reachable:
                self.engine.deliver(self.roster.meter_name(fuel), nodes.MeterButton("emergency_credit"))
        elif self.transport.wan_ok():
            self.transport.down(self.roster.meter_name(fuel),
                                self.supplier.emergency_credit_command(self.roster.meters[fuel]))
        else:
            self.agenda.note("Supplier", "EmergencyCreditFailed", fuel=fuel.name, reason="WAN_DOWN")

    def enable(self, fuel: Fuel, on: str) -> None:
        if on == "ppmid":
            if self.book.ppmid is not None:
                self.engine.deliver(self.book.ppmid, P.KeypadSupplyOn(fuel))
        elif self.config.meter_keypad_reachable:
            self.engine.deliver(self.roster.meter_name(fuel), nodes.MeterButton("enable"))
