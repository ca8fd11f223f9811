"""Routing what the devices of one premises emit: one hook sees every device event (after the engine logged
it) and hands it to its handler by type (``HOOKS``, the single routing table of the premises).

HAN frames go over ``HANMedium`` (frames for the sleepy GSME through the GPF and the hub's queue), GBCS
replies and alerts up the WAN to the DCC (or back through the Wi-Fi PPMID, or to the installer's HHT), CHF
join events to the joining devices, and the tallies (``Site.counters``) are counted as events happen. A
handler never steps a device itself inside the hook; it schedules (``Agenda.soon``), so deliveries are
never re-entrant. Devices are told apart by their role (``Roster.role``: the device type, by EUI), the
hub's own functions (CHF, GPF) by their fixed names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smetslab.devices import chf as C
from smetslab.devices import gpf as G
from smetslab.devices import hht as H
from smetslab.devices import nodes
from smetslab.devices import ppmid as P
from smetslab.devices import prepayment as pp
from smetslab.devices.han import (
    DeviceType,
    Fuel,
    GBCSFrame,
    GBCSOut,
    HANFrameOut,
    HANJoined,
    MeterReport,
    Via,
)
from smetslab.premises.agenda import Agenda
from smetslab.premises.attackers import is_rogue
from smetslab.premises.config import SiteConfig, install_code
from smetslab.premises.engine import Engine
from smetslab.premises.pairing import Pairing
from smetslab.premises.roster import Roster
from smetslab.premises.transport import Transport

__all__ = ["EventRouter", "HOOKS"]


class EventRouter:
    """The event hook of one premises: hands each device event to its handler (``HOOKS``)."""

    def __init__(self, config: SiteConfig, agenda: Agenda, roster: Roster, transport: Transport, pairing: Pairing,
                 track: Callable[[], None]) -> None:
        self.config, self.agenda, self.roster, self.transport, self.pairing = config, agenda, roster, transport, pairing
        self.book, self.engine = agenda.book, agenda.engine
        self.track = track
        """Integrates the route hours up to now (``household.Routes.track``): the routes may have changed."""

    def on_event(self, engine: Engine, actor: Any, ev: Any) -> None:
        name = actor.name
        handler = HOOKS.get(type(ev))
        if handler is not None:
            handler(self, name, ev)

    def on_han_frame(self, src: str, ev: HANFrameOut) -> None:
        dst = self.engine.device_named(ev.to)
        if dst is None:
            self.agenda.note("HAN", "FrameDropped", src=src, frame=type(ev.frame).__name__, reason="NO_SUCH_DEVICE")
            return
        if dst == "CHF":
            if isinstance(ev.frame, GBCSFrame) and self.transport.han.on_han(src):
                frame = ev.frame
                self.agenda.soon(lambda: self.transport.hub_in(frame))
            return
        if dst == "GPF":
            if isinstance(ev.frame, MeterReport):
                report = ev.frame
                self.agenda.soon(lambda: self.engine.deliver("GPF", G.GSMEReported(report)))
            return
        if src == "GPF":
            self.transport.han_hop(self.transport.han.hub, dst, ev.frame, through_gpf=False)
        else:
            self.transport.han_hop(src, dst, ev.frame)

    def on_gbcs_out(self, src: str, ev: GBCSOut) -> None:
        via = ev.frame.via
        if via is Via.WAN:
            self.transport.up(src, ev.frame)
        elif via is Via.RELAY:
            if self.roster.role(src) is DeviceType.PPMID:
                self.transport.wifi_up(ev.frame)
            elif self.book.ppmid is not None:
                self.transport.han_hop(src, self.book.ppmid, ev.frame)
        elif via is Via.LOCAL:
            if self.roster.role(src) is DeviceType.HHT:
                frame = ev.frame
                self.agenda.soon(lambda: self.transport.dcc_in(frame))  # the installer takes the replies back to the DCC
            elif self.book.visit is not None:
                self.transport.han_hop(src, self.book.visit.hht, ev.frame)
        else:
            dst = self.engine.device_named(ev.to)
            if dst is not None:
                self.transport.han_hop(src, dst, ev.frame)

    def on_device_added(self, src: str, ev: C.DeviceAdded) -> None:
        if ev.added_by is not C.AddedBy.DCC:
            return
        name = self.engine.device_named(ev.eui)
        role = None if name is None else self.roster.role(name)
        if name is None or role is DeviceType.HHT:
            return
        state = self.roster.state(name)
        if role is DeviceType.PPMID and state.status is P.PPMIDStatus.BROKEN:
            return
        if role is DeviceType.PPMID:
            code = state.config.install_code
        elif role is DeviceType.TYPE2:
            code = state.install_code
        else:
            code = install_code(self.config.seed, ev.eui)
        key = C.install_code_link_key(code)
        self.agenda.later(self.engine.now + self.config.join_delay_s, "deliver", "CHF", C.JoinRequest(ev.eui, key))

    def on_device_add_refused(self, src: str, ev: C.DeviceAddRefused) -> None:
        if ev.reason is C.JoinRefusal.DEVICE_LOG_FULL and not is_rogue(ev.eui):
            self.agenda.count("dos_blocked_joins")

    def on_device_joined(self, src: str, ev: C.DeviceJoined) -> None:
        if is_rogue(ev.eui) or str(ev.eui) in self.book.clones:
            self.agenda.count("rogue_joins")
            self.book.rogue_in.append(str(ev.eui))
            if ev.via == "LOCAL" and ev.device_type is DeviceType.PPMID:
                self.pairing.local_pair(None, ev.eui)  # the hub cannot tell a rogue from the customer's PPMID
            return
        if ev.via != "REJOIN":
            self.agenda.count("legit_joins")
        name = self.engine.device_named(ev.eui)
        if name is None:
            return
        waiting = self.book.waits_for_meters
        if waiting is not None and ev.eui in self.roster.meters.values() and self.roster.all_meters_joined():
            self.book.waits_for_meters = None
            self.agenda.soon(lambda: self.pairing.start_local_pairing(waiting, True))
        role = self.roster.role(name)
        if role in (DeviceType.PPMID, DeviceType.TYPE2, DeviceType.HHT):
            key = ev.tc_link_key
            self.agenda.soon(lambda: self.engine.deliver(name, HANJoined(key)))
        if role is DeviceType.PPMID:
            self.book.joiners.pop(name, None)
            if ev.via == "LOCAL":
                self.agenda.count("local_pairings")
                if name == self.book.spare:
                    self.book.spare_registered = False  # used up: the next spare waits for the WAN
                self.pairing.local_pair(name, ev.eui)
            job = self.book.jobs.get(name)
            if job is not None and job.transport == "LOCAL" and job.stage == "wait_join":
                self.agenda.soon(lambda: self.pairing.job_joins(job))

    def on_local_join_refused(self, src: str, ev: C.LocalJoinRefused) -> None:
        name = self.engine.device_named(ev.eui)
        if name is None:
            return
        if not is_rogue(ev.eui) and ev.reason is C.JoinRefusal.DEVICE_LOG_FULL:
            self.agenda.count("dos_blocked_joins")
        if self.roster.role(name) is DeviceType.HHT:
            self.agenda.soon(lambda: self.pairing.hht_refused(name, ev.reason))
        elif name in self.book.joiners:
            self.agenda.soon(lambda: self.pairing.joiner_refused(name, ev.reason))

    def on_device_log_changed(self, src: str, ev: C.DeviceLogChanged) -> None:
        self.transport.cs14_alert(ev)

    def on_powered(self, src: str, ev: Any) -> None:
        if isinstance(ev, C.PoweredOn):
            self.book.power_ons.append(float(ev.powered_on_at))
        elif self.roster.has_gpf():
            self.agenda.soon(lambda: self.engine.deliver("GPF", G.HubPoweredOff()))  # its queue is volatile
        self.track()

    def on_button(self, src: str, ev: C.HubButtonPressed) -> None:
        self.book.presses.append(float(self.engine.now))

    def on_ppmid_change(self, src: str, ev: Any) -> None:
        if src == self.book.ppmid:
            self.track()

    def on_relayed(self, src: str, ev: P.CommandRelayed) -> None:
        self.agenda.count("commands_relayed")

    def on_hht_join_requested(self, src: str, ev: H.LocalJoinRequested) -> None:
        self.agenda.soon(lambda: self.pairing.hht_join(src, ev))

    def on_hht_joined(self, src: str, ev: H.HHTJoined) -> None:
        self.agenda.soon(lambda: self.pairing.visit_joined(src))

    def on_top_up(self, src: str, ev: Any) -> None:
        if isinstance(ev, pp.TopUpAccepted):
            self.agenda.count("topups_accepted")
            self.agenda.count("topups_credited_pence", ev.value_pence)
            fuel = Fuel.ELECTRICITY if self.roster.role(src) is DeviceType.ESME else Fuel.GAS
            self.book.pending.pop(fuel.value, None)
        else:
            self.agenda.count("topups_rejected")
            if ev.reason.name in ("DUPLICATE", "STALE_COUNTER"):
                self.agenda.count("duplicate_utrns_rejected")
                self.agenda.count("replays_rejected")
            elif ev.reason.name == "NOT_AUTHENTIC":
                self.agenda.count("forged_rejected")

    def on_command_rejected(self, src: str, ev: nodes.CommandRejected) -> None:
        self.agenda.count("commands_rejected")
        if ev.reason.name == "NOT_AUTHENTIC":
            self.agenda.count("forged_rejected")
        elif ev.reason.name == "REPLAYED":
            self.agenda.count("replays_rejected")

    def on_command_accepted(self, src: str, ev: nodes.CommandAccepted) -> None:
        self.agenda.count("commands_accepted")

    def on_ec(self, src: str, ev: pp.EmergencyCreditActivated) -> None:
        self.agenda.count("ec_activations")


HOOKS: dict[type, Callable[[EventRouter, str, Any], None]] = {
    HANFrameOut: EventRouter.on_han_frame,
    GBCSOut: EventRouter.on_gbcs_out,
    C.DeviceAdded: EventRouter.on_device_added,
    C.DeviceAddRefused: EventRouter.on_device_add_refused,
    C.DeviceJoined: EventRouter.on_device_joined,
    C.LocalJoinRefused: EventRouter.on_local_join_refused,
    C.DeviceLogChanged: EventRouter.on_device_log_changed,
    C.PoweredOn: EventRouter.on_powered,
    C.PoweredOff: EventRouter.on_powered,
    C.HubButtonPressed: EventRouter.on_button,
    P.PairedWithMeter: EventRouter.on_ppmid_change,
    P.UnpairedFromMeter: EventRouter.on_ppmid_change,
    P.PPMIDBroken: EventRouter.on_ppmid_change,
    P.JoinedHAN: EventRouter.on_ppmid_change,
    P.CommandRelayed: EventRouter.on_relayed,
    H.LocalJoinRequested: EventRouter.on_hht_join_requested,
    H.HHTJoined: EventRouter.on_hht_joined,
    pp.TopUpAccepted: EventRouter.on_top_up,
    pp.TopUpRejected: EventRouter.on_top_up,
    nodes.CommandRejected: EventRouter.on_command_rejected,
    nodes.CommandAccepted: EventRouter.on_command_accepted,
    pp.EmergencyCreditActivated: EventRouter.on_ec,
}
"""Device event type -> its handler (the single routing table of the premises)."""
