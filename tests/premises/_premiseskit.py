"""A small premises for the engine tests: a hub, an ESME, a sleepy GSME and a stand-in PPMID, with
freshly generated keys (supplier PP-KA; meter KA), all joined through the hub's real join path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smetslab.devices import DeviceType, JoinWindowPolicy, esme, gsme
from smetslab.devices import chf as C
from smetslab.devices import prepayment as pp
from smetslab.gbcs import crypto, utrn
from smetslab.gbcs.keystore import Keystore, KeyUsage
from smetslab.premises.engine import Engine
from smetslab.units import EUI64

SUPPLIER = EUI64("90B3D51F30010000")
ESME_EUI = EUI64("00DB1234567890A0")
GSME_EUI = EUI64("00DB1234567890A1")
HUB_EUI = EUI64("00DB1234567890A2")
PPMID_EUI = EUI64("00DB1234567890A4")
INSTALL_CODES = {ESME_EUI: bytes([0xE1]) * 16, GSME_EUI: bytes([0x61]) * 16, PPMID_EUI: bytes([0x44]) * 16}


def make_keys() -> tuple[Keystore, Keystore]:
    """(supplier keystore, meters' keystore)."""
    pp_ka = crypto.generate_private_key()
    supplier, meters = Keystore(), Keystore()
    supplier.add(SUPPLIER, KeyUsage.KA, private=pp_ka, prepayment=True)
    meters.add(SUPPLIER, KeyUsage.KA, public=crypto.public_key_of(pp_ka), prepayment=True)
    for eui in (ESME_EUI, GSME_EUI):
        ka = crypto.generate_private_key()
        meters.add(eui, KeyUsage.KA, private=ka)
        supplier.add(eui, KeyUsage.KA, public=crypto.public_key_of(ka))
    return supplier, meters


SUPPLIER_KEYS, METER_KEYS = make_keys()


def issue(meter: EUI64, k: int, value: int) -> str:
    return utrn.issue(SUPPLIER_KEYS, supplier=SUPPLIER, meter=meter, counter=k << 32, value=value)


@dataclass
class Recorder:
    """A stand-in device (e.g. a PPMID before its state machine exists): records what it receives."""

    received: list[Any] = field(default_factory=list)


def record(state: Recorder, value: Any, now: float) -> tuple[Recorder, list[Any]]:
    state.received.append((now, value))
    return state, []


def premises(seed: int = 1, *, join: tuple[EUI64, ...] = (ESME_EUI, GSME_EUI, PPMID_EUI),
             balance: int = 1000, rate: int = 0, option: str = "baseline") -> Engine:
    """An engine with the four devices; ``join`` are added by CCS01 and joined with their install codes."""
    eng = Engine(seed=seed)
    hub = C.new_chf(C.CHFConfig(HUB_EUI, join_policy=JoinWindowPolicy(option)))
    eng.add_device("CHF", hub, C.step, eui=HUB_EUI)
    eng.add_device("ESME", esme.new_esme(meter=ESME_EUI, supplier=SUPPLIER, keystore=METER_KEYS,
                                         profile=pp.FlatRate(rate), balance_pence=balance), esme.step, eui=ESME_EUI)
    eng.add_device("GSME", gsme.new_gsme(meter=GSME_EUI, supplier=SUPPLIER, keystore=METER_KEYS,
                                         profile=pp.FlatRate(rate), balance_pence=balance), gsme.step, eui=GSME_EUI)
    eng.add_device("PPMID", Recorder(), record, eui=PPMID_EUI)
    kinds = {ESME_EUI: DeviceType.ESME, GSME_EUI: DeviceType.GSME, PPMID_EUI: DeviceType.PPMID}
    for eui in join:
        eng.deliver("CHF", C.AddDevice(eui, kinds[eui], INSTALL_CODES[eui], 5400.0))
        eng.deliver("CHF", C.JoinRequest(eui, C.install_code_link_key(INSTALL_CODES[eui])))
    return eng
