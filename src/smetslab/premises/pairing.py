"""Pairing a PPMID and the installer's or engineer's visits on one premises.

Theory of operation
-------------------
With the WAN, the DCC sends CCS01, the PPMID joins with its install-code key, the CHF's CS14 tells the
DCC, and the supplier and the DCC send CS03A1 + CS03A2 (ESME) and CS03C + CS03C (GSME) - a ``Job``.
Requests made while the WAN is down wait in the DCC's outbox. Without the WAN, the options in force
decide what the consumer can do (``policy.routes.local_pairing_possible``: press the hub button,
power-cycle the hub, wait for an alternating window, a pre-registered spare, or a standing window) - a
``Joiner`` works through them - and the CHF's join-window policy decides whether the hub admits the
join; the hub then pairs the PPMID with the meters itself (``LocalPairing``: our model). An installer's
or engineer's HHT (a ``Visit``) joins through the same window and carries DCC commands for local
delivery. Follow-ups go on the premises' agenda (``premises.agenda``) under their snapshot names
(``_joiner_try``, ``_joiner_step``, ``_start_local_pairing``, ``_hht_retry``, ``_visit_end``), so a
snapshot keeps them.
"""

from __future__ import annotations

import functools

from smetslab.devices import chf as C
from smetslab.devices import hht as H
from smetslab.devices import ppmid as P
from smetslab.devices.han import DeviceType, LocalPairing
from smetslab.policy import options as policy_options
from smetslab.policy import routes as policy_routes
from smetslab.policy import windows as policy_windows
from smetslab.policy.options import OptionEffect
from smetslab.premises.agenda import Agenda
from smetslab.premises.book import Job, Joiner, Visit
from smetslab.premises.config import IHD_EUI, METER_NAME, SiteConfig, install_code
from smetslab.premises.roster import Roster
from smetslab.premises.transport import Transport
from smetslab.units import EUI64

__all__ = ["Pairing"]


class Pairing:
    """PPMID pairing (the DCC's way, the local ways) and HHT visits of one premises."""

    def __init__(self, config: SiteConfig, effect: OptionEffect, agenda: Agenda, roster: Roster,
                 transport: Transport) -> None:
        self.config, self.effect, self.agenda, self.roster, self.transport = config, effect, agenda, roster, transport
        self.book, self.engine, self.han, self.dcc = agenda.book, agenda.engine, transport.han, transport.dcc

    def dcc_heard_join(self) -> None:
        """The DCC heard a CS14 (the hub's device log changed): a PPMID it waits for may be on the HAN."""
        for job in list(self.book.jobs.values()):
            if job.transport == "WAN" and job.stage == "wait_join" and \
                    self.dcc.joined(self.engine.devices[job.ppmid].eui or EUI64(bytes(8))):
                self.job_joins(job)

    def request_pairing(self, name: str) -> None:
        job = Job(name, "WAN")
        self.book.jobs[name] = job
        eui = self.roster.eui(name)
        self.transport.request("CHF", "ccs01", str(eui), self.roster.state(name).config.install_code.hex())
        job.stage = "wait_join"

    def job_joins(self, job: Job) -> None:
        """The PPMID is on the HAN: the supplier and the DCC send the join commands (CS03A1/A2, CS03C)."""
        if job.stage != "wait_join" or self.book.jobs.get(job.ppmid) is not job:
            return
        job.stage = "joins_sent"
        ppmid = self.roster.eui(job.ppmid)
        requests: list[tuple[str, EUI64, str, tuple[str, str]]] = []
        for fuel, meter in self.roster.meters.items():
            requests.append((METER_NAME[fuel], meter, "meter_join", (str(meter), str(ppmid))))
            requests.append((job.ppmid, ppmid, "ppmid_join", (str(ppmid), str(meter))))
        if job.transport == "WAN":
            for target, _eui, kind, args in requests:
                self.transport.request(target, kind, *args)
        else:  # commands for local delivery, built now and carried by the engineer's HHT
            self.hht_deliver([(eui, self.transport.build(kind, args)) for _t, eui, kind, args in requests])

    def local_pair(self, name: str | None, eui: EUI64) -> None:
        """After a local join the hub pairs the PPMID and the meters (our model of the options)."""
        for fuel, meter in self.roster.meters.items():
            kind = self.roster.types[meter]
            self.transport.han_hop(self.han.hub, METER_NAME[fuel], LocalPairing(eui, DeviceType.PPMID))
            if name is not None:
                han = self.han
                self.agenda.soon(functools.partial(han.send, han.hub, name, LocalPairing(meter, kind)))

    def local_plan(self, name: str, at_install: bool) -> list[str]:
        cfg, eff = self.config, self.effect
        # At an install the hub is new and the installer is at it (as in the fleet model). Its firmware is
        # ``firmware_ok``, the flag the hub's own join rules follow: a new hub has the option's firmware in
        # the fleet model, and the parity adapter sets the flag so for a no-WAN install.
        preregistered = self.book.spare_registered and self.book.spare == name
        return [m for m in policy_options.LOCAL_PAIRING_MECHANISMS if m in eff.local_pairing and bool(
            policy_routes.local_pairing_possible(m, firmware_ok=cfg.firmware_ok,
                                                 new_hub=cfg.new_hub or at_install,
                                                 hub_reachable=cfg.hub_in_reach or at_install,
                                                 preregistered=preregistered))]

    def start_local_pairing(self, name: str, at_install: bool) -> None:
        state = self.roster.state(name)
        if state.status is not P.PPMIDStatus.UNJOINED or self.transport.wan_ok():
            return
        plan = self.local_plan(name, at_install)
        if not plan:
            self.agenda.note("Consumer", "LocalPairingImpossible", ppmid=name, options=self.config.options)
            return
        if not self.roster.all_meters_joined():
            # The installer pairs the PPMID after the meters are on the HAN: the hub pairs a local joiner with
            # the meters it has (``local_pair``), and under alternating_windows the meters join only in the
            # window the installer's HHT waits for too (the two used to collide there: finding 4 of
            # docs/parity.md). The last meter's join resumes it (``EventRouter.on_device_joined``).
            self.book.waits_for_meters = name
            self.agenda.note("Site", "LocalPairingDeferred", ppmid=name, reason="METERS_NOT_JOINED")
            return
        # The PPMID in joining mode tries first (a window may be open already); then the consumer works
        # through the mechanisms the option gives.
        self.book.joiners[name] = Joiner(name, ["try", *plan])
        self.joiner_step(name)

    def joiner_step(self, name: str) -> None:
        """Do what the next mechanism needs (press, power-cycle, wait for a window), then try."""
        j = self.book.joiners.get(name)
        if j is None:
            return
        mech = j.plan[0]
        if mech == "button":
            self.engine.deliver("CHF", C.PressHubButton())
            self.joiner_try(name)
        elif mech == "power_cycle":
            self.engine.deliver("CHF", C.PowerCycle())
            self.agenda.later(self.engine.now + 60.0, "_joiner_try", name)
        elif mech == "alternating":
            policy = self.roster.join_policy()
            at = float(policy_windows.next_alternating_window_s(float(self.engine.now),
                                                                policy.alternating_windows_per_day,
                                                                policy.alternating_window_s))
            self.agenda.later(max(at, float(self.engine.now)) + 1.0, "_joiner_try", name)
        else:  # try, standing, preauth, manual: just try
            self.joiner_try(name)

    def joiner_try(self, name: str) -> None:
        if name not in self.book.joiners or self.transport.wan_ok():
            self.book.joiners.pop(name, None)
            return
        state = self.roster.state(name)
        if state.status is not P.PPMIDStatus.UNJOINED:
            self.book.joiners.pop(name, None)
            return
        if not self.local_join(state.config.eui, DeviceType.PPMID, state.config.install_code, True):
            self.joiner_refused(name, None)

    def joiner_refused(self, name: str, reason: C.JoinRefusal | None) -> None:
        """``reason`` None: turned away because the hub was busy with another key establishment."""
        j = self.book.joiners.get(name)
        if j is None:
            return
        after_busy, j.busy = j.busy, reason is None
        busy = reason is None or reason is C.JoinRefusal.DEVICE_LOG_FULL
        if busy and j.retries < self.config.max_join_retries:
            j.retries += 1
            if reason is None and not after_busy:
                # The key establishment that turned it away is over within cbke_s: try again then, while the
                # window it found open still is (join_retry_s later a 5-minute alternating window is gone).
                # Busy again, something hogs the hub (a flood): back to the consumer's join_retry_s.
                self.agenda.later(self.engine.now + self.config.cbke_s, "_joiner_try", name)
            else:
                self.agenda.later(self.engine.now + self.config.join_retry_s, "_joiner_step", name)
            return
        if reason is C.JoinRefusal.WINDOW_CLOSED and len(j.plan) > 1:
            j.plan.pop(0)
            self.agenda.soon(lambda: self.joiner_step(name))
            return
        self.book.joiners.pop(name, None)
        self.agenda.note("Consumer", "LocalPairingFailed", ppmid=name,
                        reason="HUB_BUSY" if reason is None else reason.name)

    def local_join(self, eui: EUI64, device_type: DeviceType, install_code: bytes, cbke_valid: bool, *,
                    by_attacker: bool = False) -> bool:
        """A local join attempt at the hub. False if the hub was busy with another key establishment."""
        now = float(self.engine.now)
        chf = self.roster.chf_state()
        preregistered = (eui, bytes(install_code)) in chf.preauthorised
        listening = C.local_join_window_open(chf, device_type, now, preregistered)
        if listening and now < self.book.hub_busy_until:
            self.agenda.note("CHF", "LocalJoinBlocked", eui=eui, reason="HUB_BUSY")
            if not by_attacker and self.book.hub_busy_by_attacker:
                self.agenda.count("dos_blocked_joins")  # an attack's doing; the installer's own HHT is no DoS
            return False
        if listening:
            self.book.hub_busy_until = now + self.config.cbke_s
            self.book.hub_busy_by_attacker = by_attacker
        self.engine.deliver("CHF", C.LocalJoinRequest(eui, device_type, install_code, cbke_valid))
        return True

    def maybe_preauthorise(self) -> None:
        """firmware_preauth: while the WAN is up, the supplier pre-registers the next spare PPMID."""
        if "preauth" not in self.roster.hub_mechanisms() or self.book.spare_registered or not self.transport.wan_ok():
            return  # (a hub without the firmware has nothing to pre-register a spare with)
        n = len(self.book.ppmids) + 1
        name = self.roster.ppmid_name(n)
        eui = self.roster.ppmid_eui(n)
        # No GBCS message exists for this hypothetical firmware feature: a typed input over the WAN.
        self.engine.deliver("CHF", C.PreauthoriseDevice(eui, install_code(self.config.seed, eui)))
        self.book.spare, self.book.spare_registered = name, True

    # -- the installer's / engineer's HHT -----------------------------------------------------------

    def engineer(self, duration_s: float) -> None:
        if self.book.visit is not None:
            return
        self.agenda.count("engineer_visits")
        now = float(self.engine.now)
        state = self.roster.ppmid_state()
        if state is None or state.status is P.PPMIDStatus.BROKEN:
            self.roster.new_ppmid()  # the engineer brings one
        hht = self.roster.new_hht()
        self.book.visit = Visit("engineer", hht, now + duration_s)
        self.agenda.note("Site", "EngineerArrived", hht=hht)
        self.engine.deliver("CHF", C.PowerCycle())  # reboot the hub: opens the 60-minute window
        self.agenda.later(now + 60.0, "deliver", hht, H.StartLocalJoin())
        self.agenda.later(now + duration_s, "_visit_end", hht)

    def hht_join(self, hht: str, ev: H.LocalJoinRequested) -> None:
        if self.local_join(ev.eui, DeviceType.HHT, ev.install_code, ev.cbke_certificate_valid):
            return
        # Turned away by a hub busy with another key establishment (a PPMID pairing in the same window, a
        # flood): the installer tries again once it is over, then, busy again, every join_retry_s.
        self.engine.deliver(hht, H.LocalJoinFailed("HUB_BUSY"))
        visit = self.book.visit
        if visit is None or visit.hht != hht:
            return
        at = float(self.engine.now) + (self.config.join_retry_s if visit.busy else self.config.cbke_s)
        visit.busy = True
        if at < visit.until:
            self.agenda.later(at, "_hht_retry", hht)

    def hht_retry(self, hht: str) -> None:
        visit = self.book.visit
        if visit is not None and visit.hht == hht:
            self.engine.deliver(hht, H.StartLocalJoin())

    def hht_refused(self, hht: str, reason: C.JoinRefusal) -> None:
        self.engine.deliver(hht, H.LocalJoinFailed(reason.name))
        visit = self.book.visit
        if visit is None or visit.hht != hht:
            return
        visit.busy = False
        if reason is not C.JoinRefusal.WINDOW_CLOSED:
            return
        if "alternating" in self.roster.hub_mechanisms():  # the power-on hour is replaced: wait for a window
            policy = self.roster.join_policy()
            at = float(policy_windows.next_alternating_window_s(float(self.engine.now),
                                                                policy.alternating_windows_per_day,
                                                                policy.alternating_window_s)) + 1.0
            visit.until = max(visit.until, at + 7200.0)
            self.agenda.later(at, "deliver", hht, H.StartLocalJoin())
            self.agenda.later(at + 7200.0, "_visit_end", hht)

    def visit_joined(self, hht: str) -> None:
        visit = self.book.visit
        if visit is None or visit.hht != hht:
            return
        if visit.purpose == "install":
            # DCC commands for local delivery: the meters and the IHD into the device log.
            self.hht_deliver([(self.roster.hub_eui, self.dcc.ccs01(eui, install_code(self.config.seed, eui),
                                                             self.config.join_timeout_min))
                               for eui in [*self.roster.meters.values(), IHD_EUI]])
        else:
            name = self.book.ppmid
            if name is not None and not self.roster.ppmid_paired():
                job = Job(name, "LOCAL", "wait_join")
                self.book.jobs[name] = job
                state = self.roster.state(name)
                if state.status is P.PPMIDStatus.UNJOINED:
                    ccs01 = self.dcc.ccs01(state.config.eui, state.config.install_code,
                                                self.config.join_timeout_min)
                    self.hht_deliver([(self.roster.hub_eui, ccs01)])
                else:
                    self.job_joins(job)

    def hht_deliver(self, commands: list[tuple[EUI64, bytes]]) -> None:
        visit = self.book.visit
        if visit is None:
            return
        for eui, wire in commands:
            target = self.engine.device_named(eui)
            if target is not None:
                self.transport.capture(target, wire)
        self.engine.deliver(visit.hht, H.LoadCommands(tuple(commands)))
        self.engine.deliver(visit.hht, H.DeliverCommands())

    def visit_end(self, hht: str) -> None:
        visit = self.book.visit
        if visit is None or visit.hht != hht or self.engine.now < visit.until:
            return
        self.engine.deliver(hht, H.Leave())
        self.book.visit = None
