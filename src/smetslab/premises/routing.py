"""Routing what the devices of one premises emit: one hook sees every device event (after the engine logged
it) and hands it to its handler by type (``HOOKS``, the single routing table of the premises).

HAN frames go over ``HANMedium`` (frames for the sleepy GSME through the GPF and the hub's queue), GBCS
replies and alerts up the WAN to the DCC (or back through the Wi-Fi PPMID, or to the installer's HHT), CHF
join events to the joining devices, and the tallies (``Site.counters``) are counted as events happen. A
handler never steps a device itself inside the hook; it schedules (``Site._soon``), so deliveries are
never re-entrant. Devices are told apart by their role (``Site._role``: the device type, by EUI).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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
    gbcs_frame,
)
from smetslab.premises.attackers import is_rogue
from smetslab.premises.config import install_code
from smetslab.premises.engine import Engine

if TYPE_CHECKING:
    from smetslab.premises.site import Site

__all__ = ["EventRouter", "HOOKS"]


class EventRouter:
    """The event hook of one ``Site``."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def on_event(self, engine: Engine, actor: Any, ev: Any) -> None:
        name = actor.name
        handler = HOOKS.get(type(ev))
        if handler is not None:
            handler(self, name, ev)

    def on_han_frame(self, src: str, ev: HANFrameOut) -> None:
        dst = self.site.engine.device_named(ev.to)
        if dst is None:
            self.site._note("HAN", "FrameDropped", src=src, frame=type(ev.frame).__name__, reason="NO_SUCH_DEVICE")
            return
        if dst == "CHF":
            if isinstance(ev.frame, GBCSFrame) and self.site.han.on_han(src):
                frame = ev.frame
                self.site._soon(lambda: self.site._hub_in(frame))
            return
        if dst == "GPF":
            if isinstance(ev.frame, MeterReport):
                report = ev.frame
                self.site._soon(lambda: self.site.engine.deliver("GPF", G.GSMEReported(report)))
            return
        if src == "GPF":
            self.site._han(self.site.han.hub, dst, ev.frame, through_gpf=False)
        else:
            self.site._han(src, dst, ev.frame)

    def on_gbcs_out(self, src: str, ev: GBCSOut) -> None:
        via = ev.frame.via
        if via is Via.WAN:
            self.site._up(src, ev.frame)
        elif via is Via.RELAY:
            if self.site._role(src) is DeviceType.PPMID:
                self.site._wifi_up(ev.frame)
            elif self.site.book.ppmid is not None:
                self.site._han(src, self.site.book.ppmid, ev.frame)
        elif via is Via.LOCAL:
            if self.site._role(src) is DeviceType.HHT:
                frame = ev.frame
                self.site._soon(lambda: self.site._dcc_in(frame))  # the installer takes the replies back to the DCC
            elif self.site.book.visit is not None:
                self.site._han(src, self.site.book.visit.hht, ev.frame)
        else:
            dst = self.site.engine.device_named(ev.to)
            if dst is not None:
                self.site._han(src, dst, ev.frame)

    def on_device_added(self, src: str, ev: C.DeviceAdded) -> None:
        if ev.added_by is not C.AddedBy.DCC:
            return
        name = self.site.engine.device_named(ev.eui)
        role = None if name is None else self.site._role(name)
        if name is None or role is DeviceType.HHT:
            return
        state = self.site._state(name)
        if role is DeviceType.PPMID and state.status is P.PPMIDStatus.BROKEN:
            return
        if role is DeviceType.PPMID:
            code = state.config.install_code
        elif role is DeviceType.TYPE2:
            code = state.install_code
        else:
            code = install_code(self.site.config.seed, ev.eui)
        key = C.install_code_link_key(code)
        self.site._later(self.site.engine.now + self.site.config.join_delay_s, "deliver", "CHF", C.JoinRequest(ev.eui, key))

    def on_device_add_refused(self, src: str, ev: C.DeviceAddRefused) -> None:
        if ev.reason is C.JoinRefusal.DEVICE_LOG_FULL and not is_rogue(ev.eui):
            self.site._count("dos_blocked_joins")

    def on_device_joined(self, src: str, ev: C.DeviceJoined) -> None:
        if is_rogue(ev.eui) or str(ev.eui) in self.site.book.clones:
            self.site._count("rogue_joins")
            self.site.book.rogue_in.append(str(ev.eui))
            if ev.via == "LOCAL" and ev.device_type is DeviceType.PPMID:
                self.site.pairing.local_pair(None, ev.eui)  # the hub cannot tell a rogue from the customer's PPMID
            return
        if ev.via != "REJOIN":
            self.site._count("legit_joins")
        name = self.site.engine.device_named(ev.eui)
        if name is None:
            return
        waiting = self.site.book.waits_for_meters
        if waiting is not None and ev.eui in self.site._meters.values() and \
                all(C.is_joined(self.site.chf_state(), eui) for eui in self.site._meters.values()):
            self.site.book.waits_for_meters = None
            self.site._soon(lambda: self.site._start_local_pairing(waiting, True))
        role = self.site._role(name)
        if role in (DeviceType.PPMID, DeviceType.TYPE2, DeviceType.HHT):
            key = ev.tc_link_key
            self.site._soon(lambda: self.site.engine.deliver(name, HANJoined(key)))
        if role is DeviceType.PPMID:
            self.site.book.joiners.pop(name, None)
            if ev.via == "LOCAL":
                self.site._count("local_pairings")
                if name == self.site.book.spare:
                    self.site.book.spare_registered = False  # used up: the next spare waits for the WAN
                self.site.pairing.local_pair(name, ev.eui)
            job = self.site.book.jobs.get(name)
            if job is not None and job.transport == "LOCAL" and job.stage == "wait_join":
                self.site._soon(lambda: self.site.pairing.job_joins(job))

    def on_local_join_refused(self, src: str, ev: C.LocalJoinRefused) -> None:
        name = self.site.engine.device_named(ev.eui)
        if name is None:
            return
        if not is_rogue(ev.eui) and ev.reason is C.JoinRefusal.DEVICE_LOG_FULL:
            self.site._count("dos_blocked_joins")
        if self.site._role(name) is DeviceType.HHT:
            self.site._soon(lambda: self.site.pairing.hht_refused(name, ev.reason))
        elif name in self.site.book.joiners:
            self.site._soon(lambda: self.site.pairing.joiner_refused(name, ev.reason))

    def on_device_log_changed(self, src: str, ev: C.DeviceLogChanged) -> None:
        assert self.site.book.hub_port is not None
        self.site.book.hub_port, wire = nodes.cs14_alert(self.site.book.hub_port, ev, self.site.chf_state(), self.site.keystore,
                                                    float(self.site.engine.now))
        self.site._up("CHF", gbcs_frame(wire, Via.WAN))

    def on_powered(self, src: str, ev: Any) -> None:
        if isinstance(ev, C.PoweredOn):
            self.site.book.power_ons.append(float(ev.powered_on_at))
        elif "GPF" in self.site.engine.devices:
            self.site._soon(lambda: self.site.engine.deliver("GPF", G.HubPoweredOff()))  # its queue is volatile
        self.site._track()

    def on_button(self, src: str, ev: C.HubButtonPressed) -> None:
        self.site.book.presses.append(float(self.site.engine.now))

    def on_ppmid_change(self, src: str, ev: Any) -> None:
        if src == self.site.book.ppmid:
            self.site._track()

    def on_relayed(self, src: str, ev: P.CommandRelayed) -> None:
        self.site._count("commands_relayed")

    def on_hht_join_requested(self, src: str, ev: H.LocalJoinRequested) -> None:
        self.site._soon(lambda: self.site.pairing.hht_join(src, ev))

    def on_hht_joined(self, src: str, ev: H.HHTJoined) -> None:
        self.site._soon(lambda: self.site.pairing.visit_joined(src))

    def on_top_up(self, src: str, ev: Any) -> None:
        if isinstance(ev, pp.TopUpAccepted):
            self.site._count("topups_accepted")
            self.site._count("topups_credited_pence", ev.value_pence)
            fuel = Fuel.ELECTRICITY if self.site._role(src) is DeviceType.ESME else Fuel.GAS
            self.site.book.pending.pop(fuel.value, None)
        else:
            self.site._count("topups_rejected")
            if ev.reason.name in ("DUPLICATE", "STALE_COUNTER"):
                self.site._count("duplicate_utrns_rejected")
                self.site._count("replays_rejected")
            elif ev.reason.name == "NOT_AUTHENTIC":
                self.site._count("forged_rejected")

    def on_command_rejected(self, src: str, ev: nodes.CommandRejected) -> None:
        self.site._count("commands_rejected")
        if ev.reason.name == "NOT_AUTHENTIC":
            self.site._count("forged_rejected")
        elif ev.reason.name == "REPLAYED":
            self.site._count("replays_rejected")

    def on_command_accepted(self, src: str, ev: nodes.CommandAccepted) -> None:
        self.site._count("commands_accepted")

    def on_ec(self, src: str, ev: pp.EmergencyCreditActivated) -> None:
        self.site._count("ec_activations")


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
