"""A small stand-in for ``premises.site.Site`` (tests only) with the contract's interface.

It wires the real CHF, ESME and GSME state machines on the real engine, with real UTRNs (issued and
MAC-checked with a seeded test PKI), so its events are the devices' own. What it does not model: the
PPMID as a device (a flag stands in), the HAN/WAN media, consumers and attackers beyond a rogue local
join. ``state_snapshot`` / ``from_snapshot`` use the persistence module's codec for the device states.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from smetslab.devices import DeviceType, JoinWindowPolicy, TopUpRoute, esme, gsme
from smetslab.devices import chf as C
from smetslab.devices import prepayment as pp
from smetslab.gbcs import keygen, utrn
from smetslab.gbcs.keystore import Keystore
from smetslab.premises.config import SiteConfig
from smetslab.premises.engine import Engine, Priority
from smetslab.premises.persistence import StateCodec, engine_snapshot, restore_engine
from smetslab.units import EUI64

ENTITIES = keygen.PKIEntities()
TICK_S = 900.0
ROGUE_EUI = "0A0B0C0D0E0F1011"
ROGUE_CODE = bytes([0x5A]) * 16
INSTALL_CODES = {"ESME": bytes([0xE1]) * 16, "GSME": bytes([0x61]) * 16}


@functools.lru_cache(maxsize=8)
def keystore_for(seed: int) -> Keystore:
    return keygen.generate_pki(seed=seed).keystore()


FakeConfig = SiteConfig
"""The fake takes the Site's own settings (``premises.config``, declared once) and reads the few it models."""


_COUNTER_NAMES = ("topups_accepted", "topups_rejected", "topups_credited_pence", "duplicate_utrns_rejected",
                  "forged_rejected", "rogue_joins", "rogue_join_attempts", "legit_joins", "dos_blocked_joins",
                  "self_disconnected_hours", "no_route_hours", "utrn_only_hours", "ppmid_paired",
                  "replays_rejected", "commands_relayed", "engineer_visits", "join_window_open_hours")


class FakeSite:
    def __init__(self, config: FakeConfig, *, _restoring: bool = False) -> None:
        self.config = config
        self.keys = keystore_for(config.seed)
        self.codec = StateCodec(refs={"keystore": self.keys})
        eng = self.engine = Engine(seed=config.seed)
        hub = C.new_chf(C.CHFConfig(ENTITIES.chf, device_log_capacity=config.device_log_capacity,
                                    join_policy=JoinWindowPolicy(config.options)))
        eng.add_device("CHF", hub, C.step, eui=ENTITIES.chf)
        self.meters: dict[str, str] = {}
        profile = pp.FlatRate(config.daily_spend_pence)
        if config.fuel in ("dual", "electricity"):
            eng.add_device("ESME", esme.new_esme(meter=ENTITIES.esme, supplier=ENTITIES.supplier, keystore=self.keys,
                                                 profile=profile, balance_pence=config.initial_credit_pence),
                           esme.step, eui=ENTITIES.esme)
            self.meters["electricity"] = "ESME"
        if config.fuel in ("dual", "gas"):
            eng.add_device("GSME", gsme.new_gsme(meter=ENTITIES.gsme, supplier=ENTITIES.supplier, keystore=self.keys,
                                                 profile=profile, balance_pence=config.initial_credit_pence),
                           gsme.step, eui=ENTITIES.gsme)
            self.meters["gas"] = "GSME"
        self.site: dict[str, Any] = {"wan_up": True, "ppmid_paired": False, "next_k": {"ESME": 1, "GSME": 1},
                                     "labels": {}, "tally": dict.fromkeys(_COUNTER_NAMES, 0)}
        eng.on_event(self._count)
        if not _restoring:
            eng.every(TICK_S, self._tick, start=TICK_S)

    # -- bookkeeping --------------------------------------------------------------------------------
    def _count(self, engine: Engine, actor: Any, event: Any) -> None:
        t = self.site["tally"]
        name = type(event).__name__
        if name == "TopUpAccepted":
            t["topups_accepted"] += 1
        elif name == "TopUpRejected":
            t["topups_rejected"] += 1
            if event.reason.name == "DUPLICATE":
                t["duplicate_utrns_rejected"] += 1
            if event.reason.name == "NOT_AUTHENTIC":
                t["forged_rejected"] += 1
        elif name == "DeviceJoined":
            if str(event.eui) == ROGUE_EUI:
                t["rogue_joins"] += 1
            else:
                t["legit_joins"] += 1

    def _tick(self) -> None:
        for name in self.meters.values():
            self.engine.deliver(name, pp.Tick())

    def _at(self, at: float, action: Any) -> None:
        self.engine.schedule(at, action, priority=Priority.INPUT)

    # -- the contract's timeline actions ------------------------------------------------------------
    def install(self, at: float, *, wan: bool = True, ppmid: bool = True) -> None:
        def go() -> None:
            eng = self.engine
            for name, eui in (("ESME", ENTITIES.esme), ("GSME", ENTITIES.gsme)):
                if name in eng.devices:
                    eng.deliver("CHF", C.AddDevice(eui, DeviceType[name], INSTALL_CODES[name], 5400.0))
                    eng.deliver("CHF", C.JoinRequest(eui, C.install_code_link_key(INSTALL_CODES[name])))
            self.site["wan_up"], self.site["ppmid_paired"] = wan, ppmid
            eng.log.note(eng.now, "SITE", "Installed", wan=wan, ppmid=ppmid)
        self._at(at, go)

    def _flag(self, at: float, key: str, value: bool, device: str, event: str) -> None:
        def go() -> None:
            self.site[key] = value
            self.engine.log.note(self.engine.now, device, event)
        self._at(at, go)

    def wan_lost(self, at: float) -> None:
        self._flag(at, "wan_up", False, "WAN", "WANLost")

    def wan_restored(self, at: float) -> None:
        self._flag(at, "wan_up", True, "WAN", "WANRestored")

    def ppmid_lost(self, at: float) -> None:
        self._flag(at, "ppmid_paired", False, "SITE", "PPMIDLost")

    def replacement_ppmid_arrives(self, at: float) -> None:
        self._flag(at, "ppmid_paired", self.site["wan_up"], "SITE", "ReplacementPPMIDArrived")

    def press_hub_button(self, at: float) -> None:
        self.engine.schedule_input(at, "CHF", C.PressHubButton())

    def power_cycle_hub(self, at: float) -> None:
        self.engine.schedule_input(at, "CHF", C.PowerCycle())

    def _deliver(self, meter: str, code: str, route: str, counter: int | None) -> None:
        eng = self.engine
        if route in ("wan", "sms"):
            if not self.site["wan_up"]:
                eng.log.note(eng.now, "WAN", "WANUnavailable", direction="down", dst=meter, frame="ApplyTopUp")
                return
            eng.deliver(meter, pp.ApplyTopUp(code, TopUpRoute.REMOTE, counter))
        elif route == "ppmid":
            if not self.site["ppmid_paired"]:
                eng.log.note(eng.now, "SITE", "NoRoute", route="ppmid")
                return
            eng.deliver(meter, pp.ApplyTopUp(code, TopUpRoute.PPMID))
        else:
            if not self.config.meter_keypad_reachable:
                eng.log.note(eng.now, "SITE", "NoRoute", route="meter_keypad")
                return
            eng.deliver(meter, pp.ApplyTopUp(code, TopUpRoute.KEYPAD))

    def issue_utrn(self, at: float, *, value_pence: int, fuel: str, route: str, label: str | None = None) -> None:
        def go() -> None:
            meter = self.meters[fuel]
            k = self.site["next_k"][meter]
            self.site["next_k"][meter] = k + 1
            eui = ENTITIES.esme if meter == "ESME" else ENTITIES.gsme
            code = utrn.issue(self.keys, supplier=ENTITIES.supplier, meter=eui, counter=k << 32, value=value_pence)
            if label is not None:
                self.site["labels"][label] = [code, k << 32]
            self.engine.log.note(self.engine.now, "SUPPLIER", "UTRNIssued", utrn=code, meter=meter,
                                 value_pence=value_pence, route=route)
            self._deliver(meter, code, route, k << 32)
        self._at(at, go)

    def enter_utrn(self, at: float, *, label: str, on: str, fuel: str) -> None:
        def go() -> None:
            code, counter = self.site["labels"][label]
            self._deliver(self.meters[fuel], code, on, counter)
        self._at(at, go)

    def attacker(self, at: float, *, kind: str, credentials: bool = False, duration_s: float = 3600,
                 rate_per_hour: float = 60, delay_s: float = 3600) -> None:
        def go() -> None:
            self.site["tally"]["rogue_join_attempts"] += 1
            self.engine.deliver("CHF", C.LocalJoinRequest(EUI64(ROGUE_EUI), DeviceType.PPMID, ROGUE_CODE,
                                                          cbke_certificate_valid=credentials))
        self._at(at, go)

    def run(self, until: float) -> None:
        self.engine.run(until)

    def counters(self) -> dict[str, float]:
        out = {k: float(v) for k, v in self.site["tally"].items()}
        states = [self.engine.devices[m].state for m in self.meters.values()]
        out["topups_credited_pence"] = float(sum(s.topped_up_pence for s in states))
        out["self_disconnected_hours"] = sum(s.off_seconds(self.engine.now) for s in states) / 3600
        out["ppmid_paired"] = float(self.site["ppmid_paired"])
        return out

    # -- persistence ----------------------------------------------------------------------------------
    def state_snapshot(self) -> dict[str, Any]:
        return {"engine": engine_snapshot(self.engine, self.codec),
                "site": {**self.site, "next_k": dict(self.site["next_k"]), "labels": dict(self.site["labels"]),
                         "tally": dict(self.site["tally"])}}

    @classmethod
    def from_snapshot(cls, snap: dict[str, Any], config: FakeConfig) -> FakeSite:
        site = cls(config, _restoring=True)
        restore_engine(site.engine, snap["engine"], site.codec)
        site.site = {**snap["site"], "next_k": dict(snap["site"]["next_k"]), "labels": dict(snap["site"]["labels"]),
                     "tally": dict(snap["site"]["tally"])}
        now = site.engine.now
        # the tick series continues on its grid: the next multiple of TICK_S after the checkpoint
        site.engine.every(TICK_S, site._tick, start=(math.floor(now / TICK_S) + 1) * TICK_S)
        return site


def fake_factory(story: Any) -> FakeSite:
    from smetslab.premises.runner import site_config_fields
    return FakeSite(FakeConfig(**site_config_fields(story)))


def fake_restore(story: Any, snap: dict[str, Any]) -> FakeSite:
    from smetslab.premises.runner import site_config_fields
    return FakeSite.from_snapshot(snap, FakeConfig(**site_config_fields(story)))
