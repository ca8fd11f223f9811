"""Who is on a premises: its devices on the engine, each known by its role (the ``DeviceType`` of its EUI,
never by a prefix of its name), the meters by fuel, the customer's PPMIDs and the HHTs that visit.

Theory of operation
-------------------
``Roster.build`` puts the hub (CHF, and the GPF with a gas meter), the meters and the IHD on the engine;
``new_ppmid`` and ``new_hht`` add a replacement PPMID (with its own SMKI keys, made from the seed) or a
visiting HHT under the next free name (``PPMID-2``, ``HHT-2``, ...), so a restored premises can add the
same devices again by name (``add_ppmid_device``). ``role(name)`` answers what a device is: ESME, GSME,
PPMID, TYPE2 (the IHD) or HHT by its EUI; None for the hub's own functions (CHF, GPF).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from smetslab.devices import JoinWindowPolicy, nodes
from smetslab.devices import chf as C
from smetslab.devices import gpf as G
from smetslab.devices import hht as H
from smetslab.devices import ihd as I
from smetslab.devices import ppmid as P
from smetslab.devices import prepayment as pp
from smetslab.devices.esme import new_esme
from smetslab.devices.gsme import new_gsme
from smetslab.devices.han import DeviceType, Fuel, ReplayRule
from smetslab.errors import InputError
from smetslab.gbcs import keygen
from smetslab.gbcs.keystore import KeyId, Keystore, KeyUsage
from smetslab.policy.options import OptionEffect
from smetslab.premises.book import Book
from smetslab.premises.config import IHD_EUI, METER_NAME, SiteConfig, install_code
from smetslab.premises.engine import Engine
from smetslab.units import EUI64

__all__ = ["Roster", "METERS"]

METERS = (DeviceType.ESME, DeviceType.GSME)
_HHT_BASE = int("00DB1234567890C0", 16)
_PPMID_BASE = int("00DB12345678A400", 16)  # replacement PPMID n has EUI _PPMID_BASE + n


class Roster:
    """The devices of one premises and what each is (see the module docstring)."""

    def __init__(self, engine: Engine, book: Book, config: SiteConfig, effect: OptionEffect,
                 keystore: Keystore, entities: keygen.PKIEntities) -> None:
        self.engine, self.book, self.config, self.effect = engine, book, config, effect
        self.keystore = keystore
        self.entities = entities
        e = entities
        self.supplier_eui, self.acb, self.hub_eui, self.gpf_eui = e.supplier, e.acb, e.chf, e.gpf
        self.meters: dict[Fuel, EUI64] = {}
        """The meters' EUIs by fuel."""
        self.types: dict[EUI64, DeviceType] = {}
        """Every device's role by EUI (the hub's functions have none)."""

    def check_keys(self) -> None:
        """InputError unless the keystore holds the private key of every party the premises plays."""
        e = self.entities
        needed = [(e.supplier, KeyUsage.KA, True), (e.supplier, KeyUsage.DS, False), (e.acb, KeyUsage.KA, False),
                  (e.acb, KeyUsage.DS, False), (e.chf, KeyUsage.KA, False), (e.esme, KeyUsage.KA, False),
                  (e.esme, KeyUsage.DS, False), (e.gsme, KeyUsage.KA, False), (e.gsme, KeyUsage.DS, False),
                  (e.ppmid, KeyUsage.KA, False), (e.ppmid, KeyUsage.DS, False)]
        missing = [f"{eui} {'prepayment ' if ppk else ''}{usage.name}" for eui, usage, ppk in needed
                   if not self.keystore.has_private(KeyId(eui, usage, ppk))]
        if missing:
            raise InputError(f"keystore: the premises plays every party and needs their private keys; missing "
                             f"{', '.join(missing)} (omit keystore to generate a test PKI from the seed)")

    def build(self, start: float) -> None:
        """The hub (powered off until the install), the meters, the GPF with a gas meter, and the IHD."""
        cfg, eng, e = self.config, self.engine, self.entities
        epoch = cfg.epoch_datetime
        # The hub applies the option's join rules only as far as its firmware has them (finding 5 of
        # docs/parity.md): one flag, read by the hub and by the consumer's plan (``Pairing.local_plan``) alike.
        policy = JoinWindowPolicy(cfg.options, hht_window_s=cfg.hht_window_s,
                                  button_window_s=cfg.hub_button_window_s,
                                  alternating_windows_per_day=cfg.alternating_windows_per_day,
                                  alternating_window_s=cfg.alternating_window_s, firmware=cfg.firmware_ok)
        hub = dataclasses.replace(
            C.new_chf(C.CHFConfig(self.hub_eui, device_log_capacity=cfg.device_log_capacity,
                                  join_policy=policy), now=start), power=C.CHFPower.OFF)
        eng.add_device("CHF", hub, C.step, eui=self.hub_eui)
        node_cfg = nodes.NodeConfig(self.supplier_eui, self.acb, ReplayRule(cfg.replay_rule), epoch=epoch)
        prepay = pp.PrepaymentConfig(emergency_credit_limit_pence=cfg.emergency_credit_pence,
                                     debt_recovery_per_day_pence=cfg.debt_recovery_per_day_pence)
        for fuel in cfg.fuels:
            eui = e.esme if fuel is Fuel.ELECTRICITY else e.gsme
            make = new_esme if fuel is Fuel.ELECTRICITY else new_gsme
            meter = make(meter=eui, supplier=self.supplier_eui, keystore=self.keystore,
                         profile=pp.FlatRate(cfg.daily_spend_pence), balance_pence=cfg.initial_credit_pence,
                         debt_pence=cfg.debt_pence, config=prepay, now=start)
            eng.add_device(METER_NAME[fuel], nodes.new_meter_node(meter, node_cfg), nodes.step, eui=eui)
            self.meters[fuel] = eui
            self.types[eui] = DeviceType.ESME if fuel is Fuel.ELECTRICITY else DeviceType.GSME
        if Fuel.GAS in self.meters:
            eng.add_device("GPF", G.new_gpf(self.gpf_eui, self.meters[Fuel.GAS]), G.step, eui=self.gpf_eui)
        eng.add_device("IHD", I.new_ihd(IHD_EUI, install_code(cfg.seed, IHD_EUI)), I.step, eui=IHD_EUI)
        self.types[IHD_EUI] = DeviceType.TYPE2

    # -- what a device is -----------------------------------------------------------------------------

    def role(self, name: str) -> DeviceType | None:
        """What a device is (ESME, GSME, PPMID, TYPE2 for the IHD, HHT), by its EUI - not by its name;
        None for the hub's own functions (CHF, GPF)."""
        eui = self.engine.devices[name].eui
        return None if eui is None else self.types.get(eui)

    def state(self, name: str) -> Any:
        return self.engine.devices[name].state

    def eui(self, name: str) -> EUI64:
        eui = self.engine.devices[name].eui
        assert eui is not None
        return eui

    def has_gpf(self) -> bool:
        return "GPF" in self.engine.devices

    def meter_name(self, fuel: Fuel) -> str:
        return METER_NAME[fuel]

    def meter_node(self, fuel: Fuel) -> nodes.MeterNode:
        node = self.engine.devices[METER_NAME[fuel]].state
        assert isinstance(node, nodes.MeterNode)
        return node

    def chf_state(self) -> C.CHFState:
        state = self.engine.devices["CHF"].state
        assert isinstance(state, C.CHFState)
        return state

    def join_policy(self) -> JoinWindowPolicy:
        policy = self.chf_state().config.join_policy
        assert isinstance(policy, JoinWindowPolicy)
        return policy

    def hub_mechanisms(self) -> frozenset[str]:
        """The local-pairing mechanisms the hub applies: the option's, less those its firmware lacks."""
        return self.join_policy().mechanisms

    def all_meters_joined(self) -> bool:
        chf = self.chf_state()
        return all(C.is_joined(chf, eui) for eui in self.meters.values())

    def ppmid_state(self) -> P.PPMIDState | None:
        """The customer's current PPMID (None before any)."""
        return None if self.book.ppmid is None else self.engine.devices[self.book.ppmid].state

    def ppmid_paired(self) -> bool:
        s = self.ppmid_state()
        return s is not None and s.status is P.PPMIDStatus.PAIRED

    def ppmid_has(self, fuel: Fuel) -> bool:
        """The customer's PPMID is paired with the meter of ``fuel``."""
        s = self.ppmid_state()
        return s is not None and s.status is P.PPMIDStatus.PAIRED and P.meter_for(s, fuel) is not None

    def broken(self, name: str) -> bool:
        status = getattr(self.state(name), "status", None)
        return status in (P.PPMIDStatus.BROKEN, I.IHDStatus.BROKEN)

    # -- devices that arrive ----------------------------------------------------------------------------

    @staticmethod
    def ppmid_name(n: int) -> str:
        """The engine name of the customer's ``n``-th PPMID (1: the first)."""
        return "PPMID" if n == 1 else f"PPMID-{n}"

    @staticmethod
    def _number(name: str) -> int:
        return 1 if "-" not in name else int(name.rsplit("-", 1)[1])

    def ppmid_eui(self, n: int) -> EUI64:
        return self.entities.ppmid if n == 1 else EUI64((_PPMID_BASE + n).to_bytes(8, "big"))

    def ppmid_eui_of(self, name: str) -> EUI64:
        """The EUI the PPMID named ``name`` has or would have (e.g. the pre-registered spare)."""
        return self.ppmid_eui(self._number(name))

    def add_ppmid_device(self, name: str) -> str:
        n = self._number(name)
        eui = self.ppmid_eui(n)
        cfg = self.config
        if n > 1:  # a replacement: its own SMKI keys, made from the seed (the PKI's first PPMID is n = 1)
            pki = keygen.generate_pki(keygen.PKIEntities(ppmid=eui), seed=b"%d|ppmid|%d" % (cfg.seed, n))
            for k in pki.keys:
                if k.entity == "ppmid":
                    self.keystore.add(k.kid.eui, k.kid.usage, private=k.private, certificate=k.certificate)
        ppmid_cfg = P.PPMIDConfig(eui, install_code(cfg.seed, eui), self.supplier_eui, self.acb,
                                  wifi=cfg.wifi_ppmid, relay_permitted=self.effect.relay,
                                  replay=ReplayRule(cfg.replay_rule), epoch=cfg.epoch_datetime)
        self.engine.add_device(name, P.new_ppmid(ppmid_cfg, self.keystore), P.step, eui=eui)
        self.types[eui] = DeviceType.PPMID
        return name

    def new_ppmid(self) -> str:
        """The customer's next PPMID, now their current one."""
        name = self.ppmid_name(len(self.book.ppmids) + 1)
        self.add_ppmid_device(name)
        self.book.ppmids.append(name)
        self.book.ppmid = name
        return name

    def add_hht_device(self, name: str) -> str:
        eui = EUI64((_HHT_BASE + self._number(name)).to_bytes(8, "big"))
        self.engine.add_device(name, H.new_hht(eui, install_code(self.config.seed, eui)), H.step, eui=eui)
        self.types[eui] = DeviceType.HHT
        return name

    def new_hht(self) -> str:
        """A visiting installer's or engineer's HHT."""
        n = len(self.book.hhts) + 1
        name = "HHT" if n == 1 else f"HHT-{n}"
        self.add_hht_device(name)
        self.book.hhts.append(name)
        return name
