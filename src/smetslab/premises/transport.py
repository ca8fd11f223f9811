"""Delivery on one premises: the WAN between the DCC (and the supplier's head-end) and the hub, one HAN hop
at a time, the broadband path to a Wi-Fi PPMID (SECMP0038), and the hub's own GBCS port.

Theory of operation
-------------------
Down: a DCC or supplier request is built into GBCS bytes only when it can be sent (``request``; while the
WAN - or the mesh route standing in for it - is down it waits in the DCC's outbox, ``flush_outbox`` sends
it later), then crosses the WAN in ``wan_latency_s`` (``down`` -> ``down_arrive``, a follow-up on the
agenda) to the hub's GBCS port (``hub_in``) or over the HAN to a device (``han_hop``: frames for the
sleepy GSME wait at the GPF for its wake-up). Up: replies and alerts cross the WAN to the DCC
(``up`` -> ``dcc_in``), which passes what is not its own to the supplier; a CS14 from the hub tells the
pairing that a device joined (``on_cs14``). Broadband: the supplier's commands reach the Wi-Fi PPMID
through any compromised-relay attack in force (``wifi_down``), and its replies come back (``wifi_up``).
Commands for a meter are kept, the last 16, for the replay and forge attacks (``capture``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smetslab.devices import chf as C
from smetslab.devices import gpf as G
from smetslab.devices import nodes
from smetslab.devices import ppmid as P
from smetslab.devices.han import DeviceType, GBCSFrame, Via, envelope_of, gbcs_frame
from smetslab.errors import CodecError
from smetslab.gbcs import messages as M
from smetslab.gbcs.keystore import Keystore
from smetslab.premises.actors import DCC, SupplierHeadEnd
from smetslab.premises.agenda import Agenda
from smetslab.premises.attackers import RelayVerdict, relay_verdict
from smetslab.premises.book import Book
from smetslab.premises.config import SiteConfig
from smetslab.premises.engine import HANMedium, Priority
from smetslab.premises.roster import METERS, Roster
from smetslab.units import EUI64

__all__ = ["Transport"]


class Transport:
    """WAN, HAN and broadband delivery of one premises, and the hub's GBCS port."""

    def __init__(self, config: SiteConfig, book: Book, agenda: Agenda, roster: Roster, han: HANMedium,
                 dcc: DCC, supplier: SupplierHeadEnd, keystore: Keystore) -> None:
        self.config, self.book, self.agenda, self.roster, self.han = config, book, agenda, roster, han
        self.engine = agenda.engine
        self.dcc, self.supplier, self.keystore = dcc, supplier, keystore
        self.on_cs14: Callable[[], None] = lambda: None
        """Called when the DCC hears a CS14 alert (a device joined): ``Pairing.dcc_heard_join``."""

    def wan_ok(self) -> bool:
        """The DCC can reach the hub: the WAN (or a mesh route) is up and the installed hub powered."""
        b = self.book
        return (b.wan_up or b.mesh_up) and b.installed and C.is_powered(self.roster.chf_state())

    # -- WAN ------------------------------------------------------------------------------------------

    def down(self, target: str, wire: bytes) -> bool:
        """DCC -> WAN -> hub (-> HAN -> ``target``). Refused (False) while the WAN is down."""
        frame = gbcs_frame(wire, Via.WAN)
        if not self.wan_ok():
            self.agenda.note("WAN", "WANUnavailable", direction="down", dst=target, frame=frame.message)
            return False
        if target != "CHF":
            self.capture(target, wire)
        self.agenda.later(self.engine.now + self.config.wan_latency_s, "_down_arrive", target, frame,
                          priority=Priority.DELIVERY)
        return True

    def down_arrive(self, target: str, frame: GBCSFrame) -> None:
        if not self.wan_ok():  # lost while in flight
            self.agenda.note("WAN", "WANUnavailable", direction="down", dst=target, frame=frame.message)
            return
        if target == "CHF":
            self.hub_in(frame)
        else:
            self.han_hop(self.han.hub, target, frame)

    def up(self, src: str, frame: GBCSFrame) -> None:
        """``src`` -> hub -> WAN -> DCC (and on to the supplier)."""
        alert = frame.message.endswith("alert")
        if not self.wan_ok():
            self.agenda.count("alerts_lost" if alert else "replies_lost")
            return
        if alert:
            self.agenda.count("alerts_delivered")
        self.agenda.later(self.engine.now + self.config.wan_latency_s, "_dcc_in", frame, priority=Priority.DELIVERY)

    def dcc_in(self, frame: GBCSFrame) -> None:
        """A frame reaches the DCC (over the WAN, or carried back by the installer's HHT)."""
        try:
            recipient = envelope_of(frame.wire).recipient
        except CodecError:  # a malformed upstream frame is dropped by the DCC
            return
        if recipient == self.roster.acb:
            msg = self.dcc.receive(frame.wire)
            if isinstance(msg, M.CS14Alert):
                self.on_cs14()
        else:
            self.supplier.receive(frame.wire)

    def request(self, target: str, kind: str, *args: str) -> None:
        """A DCC (or supplier) request for ``target``. It is built into GBCS bytes only when it can be
        sent: built while the WAN is down and sent later, its counter could be older than one sent
        meanwhile (e.g. by an HHT) and the device's anti-replay rule would rightly refuse it."""
        if not self.wan_ok():
            self.book.outbox.append((target, kind, tuple(args)))
            self.agenda.note("DCC", "RequestQueued", dst=target, request=kind, queued=len(self.book.outbox))
            return
        self.down(target, self.build(kind, args))

    def build(self, kind: str, args: tuple[str, ...]) -> bytes:
        """The GBCS bytes of a request: ``ccs01``, ``ccs02``, ``meter_join`` (CS03A1/CS03C, supplier-signed)
        or ``ppmid_join`` (the DCC's CS03A2/CS03C to the PPMID)."""
        if kind == "ccs01":
            return self.dcc.ccs01(EUI64(args[0]), bytes.fromhex(args[1]), self.config.join_timeout_min)
        if kind == "ccs02":
            return self.dcc.ccs02(EUI64(args[0]))
        if kind == "meter_join":
            return self.supplier.join_command(EUI64(args[0]), EUI64(args[1]))
        if kind == "ppmid_join":
            meter = EUI64(args[1])
            return self.dcc.ppmid_join(EUI64(args[0]), meter, self.roster.types[meter])
        raise AssertionError(f"unknown request {kind!r}")

    def flush_outbox(self) -> None:
        waiting, self.book.outbox = self.book.outbox, []
        for target, kind, args in waiting:
            self.request(target, kind, *args)

    # -- HAN ------------------------------------------------------------------------------------------

    def han_hop(self, src: str, dst: str, frame: Any, *, through_gpf: bool = True) -> None:
        """One HAN hop; frames for the sleepy GSME pass through the GPF and wait at the hub."""
        if through_gpf and self.roster.role(dst) is DeviceType.GSME and self.roster.has_gpf():
            if src != self.han.hub and not self.han.on_han(src):
                self.agenda.note("HAN", "FrameDropped", src=src, dst=dst, frame=type(frame).__name__,
                                 reason="SENDER_NOT_JOINED")
                return
            self.agenda.soon(lambda: self.engine.deliver("GPF", G.ForwardToGSME(frame)))  # waits for the wake-up
            return
        self.han.send(src, dst, frame)

    def capture(self, target: str, wire: bytes) -> None:
        """Keep a command for a meter (the last 16) for the replay and forge attacks."""
        if self.roster.role(target) in METERS:
            self.book.captured_commands.append((target, wire))
            del self.book.captured_commands[:-16]

    # -- broadband ------------------------------------------------------------------------------------

    def wifi_down(self, wire: bytes) -> bool:
        """Supplier -> broadband -> the Wi-Fi PPMID (SECMP0038), through any compromised-relay attack."""
        name = self.book.ppmid
        if not self.config.broadband or name is None:
            self.agenda.note("WiFi", "RelayUnavailable",
                             reason="NO_BROADBAND" if not self.config.broadband else "NO_PPMID")
            return False
        self.book.captured_relayed.append(wire)
        del self.book.captured_relayed[:-16]
        try:
            target = self.engine.device_named(envelope_of(wire).recipient)
        except CodecError:
            target = None
        if target is not None:
            self.capture(target, wire)
        now = float(self.engine.now)
        verdict, delay = relay_verdict(self.book.attacks, now)
        if verdict is RelayVerdict.DROP:
            self.agenda.count("relay_dropped")
            self.agenda.note("WiFi", "RelayTampered", action="DROP")
            return True
        if verdict is RelayVerdict.DELAY:
            self.agenda.count("relay_delayed")
            self.agenda.note("WiFi", "RelayTampered", action="DELAY", delay_s=delay)
            self.agenda.later(now + delay, "deliver", name, P.RelayCommand(wire), priority=Priority.DELIVERY)
            return True
        self.agenda.later(now, "deliver", name, P.RelayCommand(wire), priority=Priority.DELIVERY)
        if verdict is RelayVerdict.PASS_AND_REPLAY:
            self.agenda.note("WiFi", "RelayTampered", action="REPLAY", delay_s=delay)
            self.agenda.later(now + delay, "deliver", name, P.RelayCommand(wire), priority=Priority.DELIVERY)
        return True

    def wifi_up(self, frame: GBCSFrame) -> None:
        if self.config.broadband:
            self.agenda.soon(lambda: self.supplier.receive(frame.wire))

    # -- the hub's GBCS port --------------------------------------------------------------------------

    def hub_in(self, frame: GBCSFrame) -> None:
        """A GBCS command for the hub itself (``devices.nodes.hub_receive``); its reply goes back the way
        the command came (the WAN, or the visiting HHT)."""
        assert self.book.hub_port is not None
        if not C.is_powered(self.roster.chf_state()):
            return
        port, verdict = nodes.hub_receive(self.book.hub_port, frame.wire, self.keystore,
                                          device_types=self.roster.types, suppliers=(self.roster.supplier_eui,))
        self.book.hub_port = port
        if verdict.refusal is not None:
            self.agenda.note("CHF", "CommandRejected", message=verdict.label, reason=verdict.refusal.name,
                             via=frame.via.name)
            self.agenda.count("commands_rejected")
            return
        self.agenda.count("commands_accepted")
        events = self.engine.deliver("CHF", verdict.chf_input)
        reply = gbcs_frame(nodes.hub_reply(port, verdict, events, self.roster.chf_state(), self.keystore,
                                           float(self.engine.now)), frame.via)
        if frame.via is Via.LOCAL and self.book.visit is not None:
            self.han.send("CHF", self.book.visit.hht, reply)
        else:
            self.up("CHF", reply)

    def cs14_alert(self, event: C.DeviceLogChanged) -> None:
        """The hub's device log changed: its CS14 alert goes up the WAN."""
        assert self.book.hub_port is not None
        self.book.hub_port, wire = nodes.cs14_alert(self.book.hub_port, event, self.roster.chf_state(),
                                                    self.keystore, float(self.engine.now))
        self.up("CHF", gbcs_frame(wire, Via.WAN))
