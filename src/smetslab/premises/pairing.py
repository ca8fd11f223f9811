"""Pairing a PPMID and the installer's or engineer's visits, played on one premises' Site.

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
delivery. Follow-ups go on the premises' agenda under the Site's method names (``_joiner_try``, ...),
so a snapshot keeps them.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from smetslab.devices import chf as C
from smetslab.devices import hht as H
from smetslab.devices import ppmid as P
from smetslab.devices.han import DeviceType, LocalPairing
from smetslab.policy import options as policy_options
from smetslab.policy import routes as policy_routes
from smetslab.policy import windows as policy_windows
from smetslab.premises.book import Job, Joiner, Visit
from smetslab.premises.config import IHD_EUI, METER_NAME, install_code
from smetslab.units import EUI64

if TYPE_CHECKING:
    from smetslab.premises.site import Site

__all__ = ["Pairing"]


class Pairing:
    """PPMID pairing (the DCC's way, the local ways) and HHT visits of one ``Site``."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def request_pairing(self, name: str) -> None:
        job = Job(name, "WAN")
        self.site.book.jobs[name] = job
        eui = self.site.engine.devices[name].eui
        assert eui is not None
        self.site._request("CHF", "ccs01", str(eui), self.site._state(name).config.install_code.hex())
        job.stage = "wait_join"

    def job_joins(self, job: Job) -> None:
        """The PPMID is on the HAN: the supplier and the DCC send the join commands (CS03A1/A2, CS03C)."""
        if job.stage != "wait_join" or self.site.book.jobs.get(job.ppmid) is not job:
            return
        job.stage = "joins_sent"
        ppmid = self.site.engine.devices[job.ppmid].eui
        assert ppmid is not None
        requests: list[tuple[str, EUI64, str, tuple[str, str]]] = []
        for fuel, meter in self.site._meters.items():
            requests.append((METER_NAME[fuel], meter, "meter_join", (str(meter), str(ppmid))))
            requests.append((job.ppmid, ppmid, "ppmid_join", (str(ppmid), str(meter))))
        if job.transport == "WAN":
            for target, _eui, kind, args in requests:
                self.site._request(target, kind, *args)
        else:  # commands for local delivery, built now and carried by the engineer's HHT
            self.hht_deliver([(eui, self.site._build(kind, args)) for _t, eui, kind, args in requests])

    def local_pair(self, name: str | None, eui: EUI64) -> None:
        """After a local join the hub pairs the PPMID and the meters (our model of the options)."""
        for fuel, meter in self.site._meters.items():
            kind = self.site._device_types[meter]
            self.site._han(self.site.han.hub, METER_NAME[fuel], LocalPairing(eui, DeviceType.PPMID))
            if name is not None:
                han = self.site.han
                self.site._soon(functools.partial(han.send, han.hub, name, LocalPairing(meter, kind)))

    def local_plan(self, name: str, at_install: bool) -> list[str]:
        cfg, eff = self.site.config, self.site.effect
        # At an install the hub is new and the installer is at it (as in the fleet model). Its firmware is
        # ``firmware_ok``, the flag the hub's own join rules follow: a new hub has the option's firmware in
        # the fleet model, and the parity adapter sets the flag so for a no-WAN install.
        preregistered = self.site.book.spare_registered and self.site.book.spare == name
        return [m for m in policy_options.LOCAL_PAIRING_MECHANISMS if m in eff.local_pairing and bool(
            policy_routes.local_pairing_possible(m, firmware_ok=cfg.firmware_ok,
                                                 new_hub=cfg.new_hub or at_install,
                                                 hub_reachable=cfg.hub_in_reach or at_install,
                                                 preregistered=preregistered))]

    def start_local_pairing(self, name: str, at_install: bool) -> None:
        state = self.site._state(name)
        if state.status is not P.PPMIDStatus.UNJOINED or self.site._wan_ok():
            return
        plan = self.local_plan(name, at_install)
        if not plan:
            self.site._note("Consumer", "LocalPairingImpossible", ppmid=name, options=self.site.config.options)
            return
        if not all(C.is_joined(self.site.chf_state(), eui) for eui in self.site._meters.values()):
            # The installer pairs the PPMID after the meters are on the HAN: the hub pairs a local joiner with
            # the meters it has (``_local_pair``), and under alternating_windows the meters join only in the
            # window the installer's HHT waits for too (the two used to collide there: finding 4 of
            # docs/parity.md). The last meter's join resumes it (``EventRouter.on_device_joined``).
            self.site.book.waits_for_meters = name
            self.site._note("Site", "LocalPairingDeferred", ppmid=name, reason="METERS_NOT_JOINED")
            return
        # The PPMID in joining mode tries first (a window may be open already); then the consumer works
        # through the mechanisms the option gives.
        self.site.book.joiners[name] = Joiner(name, ["try", *plan])
        self.joiner_step(name)

    def joiner_step(self, name: str) -> None:
        """Do what the next mechanism needs (press, power-cycle, wait for a window), then try."""
        j = self.site.book.joiners.get(name)
        if j is None:
            return
        mech = j.plan[0]
        if mech == "button":
            self.site.engine.deliver("CHF", C.PressHubButton())
            self.joiner_try(name)
        elif mech == "power_cycle":
            self.site.engine.deliver("CHF", C.PowerCycle())
            self.site._later(self.site.engine.now + 60.0, "_joiner_try", name)
        elif mech == "alternating":
            policy = self.site._join_policy()
            at = float(policy_windows.next_alternating_window_s(float(self.site.engine.now),
                                                                policy.alternating_windows_per_day,
                                                                policy.alternating_window_s))
            self.site._later(max(at, float(self.site.engine.now)) + 1.0, "_joiner_try", name)
        else:  # try, standing, preauth, manual: just try
            self.joiner_try(name)

    def joiner_try(self, name: str) -> None:
        if name not in self.site.book.joiners or self.site._wan_ok():
            self.site.book.joiners.pop(name, None)
            return
        state = self.site._state(name)
        if state.status is not P.PPMIDStatus.UNJOINED:
            self.site.book.joiners.pop(name, None)
            return
        if not self.local_join(state.config.eui, DeviceType.PPMID, state.config.install_code, True):
            self.joiner_refused(name, None)

    def joiner_refused(self, name: str, reason: C.JoinRefusal | None) -> None:
        """``reason`` None: turned away because the hub was busy with another key establishment."""
        j = self.site.book.joiners.get(name)
        if j is None:
            return
        after_busy, j.busy = j.busy, reason is None
        busy = reason is None or reason is C.JoinRefusal.DEVICE_LOG_FULL
        if busy and j.retries < self.site.config.max_join_retries:
            j.retries += 1
            if reason is None and not after_busy:
                # The key establishment that turned it away is over within cbke_s: try again then, while the
                # window it found open still is (join_retry_s later a 5-minute alternating window is gone).
                # Busy again, something hogs the hub (a flood): back to the consumer's join_retry_s.
                self.site._later(self.site.engine.now + self.site.config.cbke_s, "_joiner_try", name)
            else:
                self.site._later(self.site.engine.now + self.site.config.join_retry_s, "_joiner_step", name)
            return
        if reason is C.JoinRefusal.WINDOW_CLOSED and len(j.plan) > 1:
            j.plan.pop(0)
            self.site._soon(lambda: self.joiner_step(name))
            return
        self.site.book.joiners.pop(name, None)
        self.site._note("Consumer", "LocalPairingFailed", ppmid=name,
                        reason="HUB_BUSY" if reason is None else reason.name)

    def local_join(self, eui: EUI64, device_type: DeviceType, install_code: bytes, cbke_valid: bool, *,
                    by_attacker: bool = False) -> bool:
        """A local join attempt at the hub. False if the hub was busy with another key establishment."""
        now = float(self.site.engine.now)
        chf = self.site.chf_state()
        preregistered = (eui, bytes(install_code)) in chf.preauthorised
        listening = C.local_join_window_open(chf, device_type, now, preregistered)
        if listening and now < self.site.book.hub_busy_until:
            self.site._note("CHF", "LocalJoinBlocked", eui=eui, reason="HUB_BUSY")
            if not by_attacker and self.site.book.hub_busy_by_attacker:
                self.site._count("dos_blocked_joins")  # an attack's doing; the installer's own HHT is no DoS
            return False
        if listening:
            self.site.book.hub_busy_until = now + self.site.config.cbke_s
            self.site.book.hub_busy_by_attacker = by_attacker
        self.site.engine.deliver("CHF", C.LocalJoinRequest(eui, device_type, install_code, cbke_valid))
        return True

    def maybe_preauthorise(self) -> None:
        """firmware_preauth: while the WAN is up, the supplier pre-registers the next spare PPMID."""
        if "preauth" not in self.site._hub_mechanisms() or self.site.book.spare_registered or not self.site._wan_ok():
            return  # (a hub without the firmware has nothing to pre-register a spare with)
        n = len(self.site.book.ppmids) + 1
        name = "PPMID" if n == 1 else f"PPMID-{n}"
        eui = self.site._ppmid_eui(n)
        # No GBCS message exists for this hypothetical firmware feature: a typed input over the WAN.
        self.site.engine.deliver("CHF", C.PreauthoriseDevice(eui, install_code(self.site.config.seed, eui)))
        self.site.book.spare, self.site.book.spare_registered = name, True

    # -- the installer's / engineer's HHT -----------------------------------------------------------

    def engineer(self, duration_s: float) -> None:
        if self.site.book.visit is not None:
            return
        self.site._count("engineer_visits")
        now = float(self.site.engine.now)
        state = self.site.ppmid_state()
        if state is None or state.status is P.PPMIDStatus.BROKEN:
            self.site._new_ppmid()  # the engineer brings one
        hht = self.site._new_hht()
        self.site.book.visit = Visit("engineer", hht, now + duration_s)
        self.site._note("Site", "EngineerArrived", hht=hht)
        self.site.engine.deliver("CHF", C.PowerCycle())  # reboot the hub: opens the 60-minute window
        self.site._later(now + 60.0, "deliver", hht, H.StartLocalJoin())
        self.site._later(now + duration_s, "_visit_end", hht)

    def hht_join(self, hht: str, ev: H.LocalJoinRequested) -> None:
        if self.local_join(ev.eui, DeviceType.HHT, ev.install_code, ev.cbke_certificate_valid):
            return
        # Turned away by a hub busy with another key establishment (a PPMID pairing in the same window, a
        # flood): the installer tries again once it is over, then, busy again, every join_retry_s.
        self.site.engine.deliver(hht, H.LocalJoinFailed("HUB_BUSY"))
        visit = self.site.book.visit
        if visit is None or visit.hht != hht:
            return
        at = float(self.site.engine.now) + (self.site.config.join_retry_s if visit.busy else self.site.config.cbke_s)
        visit.busy = True
        if at < visit.until:
            self.site._later(at, "_hht_retry", hht)

    def hht_retry(self, hht: str) -> None:
        visit = self.site.book.visit
        if visit is not None and visit.hht == hht:
            self.site.engine.deliver(hht, H.StartLocalJoin())

    def hht_refused(self, hht: str, reason: C.JoinRefusal) -> None:
        self.site.engine.deliver(hht, H.LocalJoinFailed(reason.name))
        visit = self.site.book.visit
        if visit is None or visit.hht != hht:
            return
        visit.busy = False
        if reason is not C.JoinRefusal.WINDOW_CLOSED:
            return
        if "alternating" in self.site._hub_mechanisms():  # the power-on hour is replaced: wait for a window
            policy = self.site._join_policy()
            at = float(policy_windows.next_alternating_window_s(float(self.site.engine.now),
                                                                policy.alternating_windows_per_day,
                                                                policy.alternating_window_s)) + 1.0
            visit.until = max(visit.until, at + 7200.0)
            self.site._later(at, "deliver", hht, H.StartLocalJoin())
            self.site._later(at + 7200.0, "_visit_end", hht)

    def visit_joined(self, hht: str) -> None:
        visit = self.site.book.visit
        if visit is None or visit.hht != hht:
            return
        if visit.purpose == "install":
            # DCC commands for local delivery: the meters and the IHD into the device log.
            self.hht_deliver([(self.site.hub_eui, self.site.dcc.ccs01(eui, install_code(self.site.config.seed, eui),
                                                             self.site.config.join_timeout_min))
                               for eui in [*self.site._meters.values(), IHD_EUI]])
        else:
            name = self.site.book.ppmid
            if name is not None and not self.site._ppmid_paired():
                job = Job(name, "LOCAL", "wait_join")
                self.site.book.jobs[name] = job
                state = self.site._state(name)
                if state.status is P.PPMIDStatus.UNJOINED:
                    ccs01 = self.site.dcc.ccs01(state.config.eui, state.config.install_code,
                                                self.site.config.join_timeout_min)
                    self.hht_deliver([(self.site.hub_eui, ccs01)])
                else:
                    self.job_joins(job)

    def hht_deliver(self, commands: list[tuple[EUI64, bytes]]) -> None:
        visit = self.site.book.visit
        if visit is None:
            return
        for eui, wire in commands:
            target = self.site.engine.device_named(eui)
            if target is not None:
                self.site._capture(target, wire)
        self.site.engine.deliver(visit.hht, H.LoadCommands(tuple(commands)))
        self.site.engine.deliver(visit.hht, H.DeliverCommands())

    def visit_end(self, hht: str) -> None:
        visit = self.site.book.visit
        if visit is None or visit.hht != hht or self.site.engine.now < visit.until:
            return
        self.site.engine.deliver(hht, H.Leave())
        self.site.book.visit = None
