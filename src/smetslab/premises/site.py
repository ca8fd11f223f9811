"""A whole premises on the event engine: hub (CHF + GPF), meters, PPMID, IHD, HHT, the HAN and WAN, the
DCC, the supplier's head-end, a consumer and attackers, exchanging real GBCS bytes.

Theory of operation
-------------------
``Site`` is the façade: it wires the pure device machines (``smetslab.devices``) and the meters' GBCS
application layer (``devices.nodes``) onto one seeded ``Engine``, routes what they emit, and hands each
other job to a collaborator with one job: ``premises.config`` (the settings, declared once),
``premises.book`` (what a snapshot keeps), ``premises.routing`` (the event hook), ``premises.clock`` (ticks and wake-ups only where due),
``premises.pairing`` (PPMID pairing and HHT visits), ``premises.attacking`` (the attacks),
``premises.measures`` (closed-form counters) and ``premises.snapshot`` (snapshot and restore). The timeline methods (``install``,
``wan_lost``, ``replacement_ppmid_arrives``, ``issue_utrn``, ``attacker``, ...) only *schedule*
actions; ``run(until)`` plays them. Everything a device emits is logged by the engine and seen by one
hook, ``premises.routing.EventRouter``, which routes it: HAN frames over ``HANMedium`` (frames for the sleepy GSME
through the GPF and the hub's queue), GBCS replies and alerts up the WAN to the DCC (or back through
the Wi-Fi PPMID, or to the installer's HHT), CHF join events to the joining devices. The hook never
steps a device itself; it schedules, so deliveries are never re-entrant.

Paths a top-up can take (``Route``): the app over the WAN (CS01a/CS01b built and MAC'd for real), the
SECMP0038 relay (the same bytes over broadband to the Wi-Fi PPMID, then the HAN), a phone app on the
meter's Bluetooth/NFC, a UTRN typed on the PPMID (PECS01 over ZSE to the ESME, PCS01 GBCS to the GSME)
or on the meter keypad. Which are usable at a moment is ``smetslab.policy.routes`` applied to the
premises' state (WAN up, PPMID paired, keypad reachable, options in force).

Pairing a PPMID: with the WAN, the DCC sends CCS01, the PPMID joins with its install-code key, the
CHF's CS14 tells the DCC, and the supplier and the DCC send CS03A1 + CS03A2 (ESME) and CS03C + CS03C
(GSME). Requests made while the WAN is down wait in the DCC's outbox. Without the WAN, the options in
force (``policy.options.combine``) decide what the consumer can do (``policy.routes.
local_pairing_possible``: press the hub button, power-cycle the hub, wait for an alternating window, a
pre-registered spare, or a standing window), and the CHF's join-window policy (``devices.
JoinWindowPolicy``, built on ``policy.windows``) decides whether the hub admits the join; the hub then
pairs the PPMID with the meters itself (``LocalPairing``: our model). An installer's or engineer's HHT
joins through the same window and carries DCC commands for local delivery.

Measures (``counters``) are tallied from device events as they happen and from a piecewise-constant
integration of route availability, so they survive a snapshot/restore.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, Literal

from smetslab.devices import JoinWindowPolicy, nodes
from smetslab.devices import chf as C
from smetslab.devices import gpf as G
from smetslab.devices import hht as H
from smetslab.devices import ihd as I
from smetslab.devices import ppmid as P
from smetslab.devices import prepayment as pp
from smetslab.devices.esme import new_esme
from smetslab.devices.gsme import new_gsme
from smetslab.devices.han import (
    DeviceType,
    Fuel,
    GBCSFrame,
    ReplayRule,
    Via,
    gbcs_frame,
)
from smetslab.errors import CodecError, InputError
from smetslab.gbcs import keygen
from smetslab.gbcs import messages as M
from smetslab.gbcs.keystore import KeyId, KeyUsage
from smetslab.policy import options as policy_options
from smetslab.policy import routes as policy_routes
from smetslab.policy import wan as policy_wan
from smetslab.premises import measures
from smetslab.premises.actors import DCC, Consumer, HomeView, Plan, Route, SupplierHeadEnd, utrn_value
from smetslab.premises.attackers import (
    Attack,
    RelayVerdict,
    relay_verdict,
)
from smetslab.premises.attacking import AttackDriver
from smetslab.premises.book import Book, Joiner, Later, Visit
from smetslab.premises.clock import PUBLISH_PRIORITY, MeterClock, next_on_grid
from smetslab.premises.config import IHD_EUI, METER_NAME, SiteConfig, install_code
from smetslab.premises.engine import Engine, HANMedium, Priority
from smetslab.premises.pairing import Pairing
from smetslab.premises.routing import EventRouter
from smetslab.premises.snapshot import SNAPSHOT_VERSION, Snapshotter, restore
from smetslab.units import EUI64, SimTime

__all__ = ["SiteConfig", "Site", "COUNTER_NAMES", "UTRNRoute", "SNAPSHOT_VERSION"]

UTRNRoute = Literal["wan", "relay", "phone_app", "ppmid", "meter_keypad", "sms"]
_UTRN_ROUTES = ("wan", "relay", "phone_app", "ppmid", "meter_keypad", "sms")
_FUELS = {"electricity": Fuel.ELECTRICITY, "gas": Fuel.GAS}
_METER_NAME = METER_NAME
_METERS = (DeviceType.ESME, DeviceType.GSME)

COUNTER_NAMES = (
    "topups_accepted", "topups_rejected", "topups_credited_pence", "duplicate_utrns_rejected", "forged_rejected",
    "rogue_joins", "rogue_join_attempts", "legit_joins", "dos_blocked_joins", "self_disconnected_hours",
    "no_route_hours", "utrn_only_hours", "ppmid_paired", "replays_rejected", "commands_relayed",
    "engineer_visits", "join_window_open_hours",
    # beyond the contract
    "commands_rejected", "commands_accepted", "local_pairings", "utrns_issued", "wan_top_ups_failed",
    "alerts_delivered", "alerts_lost", "relay_dropped", "relay_delayed", "ec_activations",
    "balance_electricity_pence", "balance_gas_pence", "hours_simulated",
)
"""What ``Site.counters()`` returns (docs/emulator.md defines each)."""


_IHD_EUI = IHD_EUI
_HHT_BASE = int("00DB1234567890C0", 16)
_PPMID_BASE = int("00DB12345678A400", 16)  # replacement PPMID n has EUI _PPMID_BASE + n


# The premises' settings (``premises.config``) and bookkeeping (``premises.book``) live in modules of their own.

_FOLLOW_UP = int(Priority.INPUT) + 5
"""Priority of the premises' own follow-ups (joins after a CCS01, retries, attack series): after the
story's inputs at the same instant, so a restored premises (whose story steps are scheduled again
after its agenda) runs them in the same order as the original."""

_PUBLISH_PRIORITY = PUBLISH_PRIORITY  # the periodic series' order at a shared instant: premises.clock
_LATER_CALLS = frozenset({"_down_arrive", "_dcc_in", "_visit_end", "_start_local_pairing", "_joiner_step",
                          "_joiner_try", "_mesh_up", "_attack_attempt", "_hht_retry"})


class Site:
    """One premises on one seeded engine. See the module docstring; the API is in docs/emulator.md."""

    clock_class: type[MeterClock] = MeterClock
    """Runs the meters' ticks and the GSME's wake-ups where they are due (``premises.clock``)."""

    def __init__(self, config: SiteConfig, *, start: float = 0.0) -> None:
        self.config = config
        self.effect = policy_options.combine(config.options, "options")
        self.engine = Engine(seed=config.seed, start=start)
        self.book = Book(hub_port=None)
        self._pki_entities = keygen.PKIEntities()
        self.keystore = config.keystore if config.keystore is not None else \
            keygen.generate_pki(self._pki_entities, seed=config.seed).keystore()
        e = self._pki_entities
        self.supplier_eui, self.acb, self.hub_eui, self.gpf_eui = e.supplier, e.acb, e.chf, e.gpf
        self._check_keys()
        # Snapshots write the keystore as a named reference, never its keys (persistence.StateCodec).
        self.snapshots = Snapshotter(self)
        epoch = config.epoch_datetime
        self.book.hub_port = nodes.HubPort(self.hub_eui, self.acb, ReplayRule(config.replay_rule), epoch=epoch)
        self._meters: dict[Fuel, EUI64] = {}
        self._device_types: dict[EUI64, DeviceType] = {}
        self._labels_scheduled: list[str] = []

        eng = self.engine
        # The hub applies the option's join rules only as far as its firmware has them (finding 5 of
        # docs/parity.md): one flag, read by the hub and by the consumer's plan (``_local_plan``) alike.
        policy = JoinWindowPolicy(config.options, hht_window_s=config.hht_window_s,
                                  button_window_s=config.hub_button_window_s,
                                  alternating_windows_per_day=config.alternating_windows_per_day,
                                  alternating_window_s=config.alternating_window_s, firmware=config.firmware_ok)
        hub = dataclasses.replace(
            C.new_chf(C.CHFConfig(self.hub_eui, device_log_capacity=config.device_log_capacity,
                                  join_policy=policy), now=start), power=C.CHFPower.OFF)
        eng.add_device("CHF", hub, C.step, eui=self.hub_eui)
        node_cfg = nodes.NodeConfig(self.supplier_eui, self.acb, ReplayRule(config.replay_rule), epoch=epoch)
        prepay = pp.PrepaymentConfig(emergency_credit_limit_pence=config.emergency_credit_pence,
                                     debt_recovery_per_day_pence=config.debt_recovery_per_day_pence)
        for fuel in config.fuels:
            eui = e.esme if fuel is Fuel.ELECTRICITY else e.gsme
            make = new_esme if fuel is Fuel.ELECTRICITY else new_gsme
            meter = make(meter=eui, supplier=self.supplier_eui, keystore=self.keystore,
                         profile=pp.FlatRate(config.daily_spend_pence), balance_pence=config.initial_credit_pence,
                         debt_pence=config.debt_pence, config=prepay, now=start)
            eng.add_device(_METER_NAME[fuel], nodes.new_meter_node(meter, node_cfg), nodes.step, eui=eui)
            self._meters[fuel] = eui
            self._device_types[eui] = DeviceType.ESME if fuel is Fuel.ELECTRICITY else DeviceType.GSME
        if Fuel.GAS in self._meters:
            eng.add_device("GPF", G.new_gpf(self.gpf_eui, self._meters[Fuel.GAS]), G.step, eui=self.gpf_eui)
        eng.add_device("IHD", I.new_ihd(_IHD_EUI, install_code(config.seed, _IHD_EUI)), I.step, eui=_IHD_EUI)
        self._device_types[_IHD_EUI] = DeviceType.TYPE2

        self.han = HANMedium(eng, hub="CHF")
        self.supplier = SupplierHeadEnd(self.keystore, eui=self.supplier_eui, acb=self.acb,
                                        meters={eui: self._device_types[eui] for eui in self._meters.values()})
        self.dcc = DCC(self.keystore, acb=self.acb, supplier=self.supplier_eui, hub=self.hub_eui)
        self.consumer = Consumer(config.consumer_tops_up_below_pence, config.top_up_pence)
        self._new_ppmid()  # the customer's first PPMID (paired at install, or not)
        self.router = EventRouter(self)
        eng.on_event(self.router.on_event)
        # Periodic series on a fixed grid (k * interval from t = 0), so a restored premises keeps the
        # original's times; each has its own priority, so at an instant they share (every midnight, by
        # default) they run in one fixed order - displays, meters, the GSME's wake-up - that does not
        # depend on when each was scheduled (a restored premises schedules them all afresh).
        self._periodic(config.display_interval_s, self._publish, _PUBLISH_PRIORITY)
        # The meters' tick and the GSME's wake-up run on their grids too, but only where something is
        # due (closed form, ``premises.clock``): a tick that would change nothing is
        # not run, so a quiet year costs its events, not 8,760 ticks.
        self.pairing = Pairing(self)
        self.attacks = AttackDriver(self)
        self.clock = self.clock_class(self)
        eng.after_action(self.clock.after_action)
        self.clock.want("tick", self.clock.grid(float(eng.now), config.tick_s, include_now=False))

    def _periodic(self, interval_s: float, action: Callable[[], None], priority: int) -> None:
        """Run ``action`` at every ``k * interval_s`` after now. Times are computed as ``k * interval_s``,
        never summed, so the original and a restored premises agree to the last bit."""
        eng = self.engine

        def fire(k: int) -> None:
            self.clock.quiet = True
            action()
            eng.schedule((k + 1) * interval_s, lambda: fire(k + 1), priority=priority)

        first = next_on_grid(float(eng.now), interval_s)
        eng.schedule(first * interval_s, lambda: fire(first), priority=priority)

    # ==============================================================================================
    # Timeline (each schedules onto the engine at ``at`` seconds)
    # ==============================================================================================

    def install(self, at: float, *, wan: bool = True, ppmid: bool = True) -> None:
        """The hub is installed and powered at ``at``; with ``wan`` the DCC commissions the HAN over
        the WAN, else an installer's HHT joins the meters locally and the WAN stays down until
        ``wan_restored``. With ``ppmid`` the customer's PPMID is paired (or waits to be)."""
        self.engine.schedule(at, lambda: self._install(wan, ppmid), priority=Priority.NETWORK)

    def wan_lost(self, at: float) -> None:
        self.engine.schedule(at, lambda: self._set_wan(False), priority=Priority.NETWORK)

    def wan_restored(self, at: float) -> None:
        self.engine.schedule(at, lambda: self._set_wan(True), priority=Priority.NETWORK)

    def ppmid_lost(self, at: float) -> None:
        """The customer's PPMID breaks or is lost."""
        self.engine.schedule(at, self._ppmid_lost)

    def replacement_ppmid_arrives(self, at: float) -> None:
        """A new PPMID reaches the customer, who tries to pair it (DCC request; local means if the WAN is down)."""
        self.engine.schedule(at, self._replacement_arrives)

    def press_hub_button(self, at: float) -> None:
        self.engine.schedule(at, self._press_button)

    def power_cycle_hub(self, at: float) -> None:
        self.engine.schedule(at, self._power_cycle, priority=Priority.POWER)

    def issue_utrn(self, at: float, *, value_pence: int, fuel: str, route: str, label: str | None = None) -> None:
        """The supplier issues a UTRN worth ``value_pence`` for ``fuel`` and it travels by ``route``:
        ``wan`` (CS01a/b over the WAN), ``relay`` (SECMP0038), ``phone_app`` (meter Bluetooth/NFC),
        ``ppmid`` or ``meter_keypad`` (sent by SMS/phone and typed there), or ``sms`` (typed on the PPMID
        if paired, else on the meter keypad if reachable). ``label`` names it for ``enter_utrn``."""
        f = self._fuel(fuel, "fuel")
        if route not in _UTRN_ROUTES:
            raise InputError(f"route {route!r}: allowed {', '.join(_UTRN_ROUTES)}")
        if label is not None and (label in self.book.labels or label in self._labels_scheduled):
            raise InputError(f"label {label!r}: already used by an earlier UTRN")
        if label is not None:
            self._labels_scheduled.append(label)
        utrn_value(value_pence)  # InputError now, not in the middle of the run
        self.engine.schedule(at, lambda: self._issue(value_pence, f, route, label))

    def enter_utrn(self, at: float, *, label: str, on: str, fuel: str | None = None) -> None:
        """Type again an earlier UTRN (by ``label``) on the ``ppmid`` or the ``meter_keypad``."""
        if on not in ("ppmid", "meter_keypad"):
            raise InputError(f"on {on!r}: allowed 'ppmid', 'meter_keypad'")
        if fuel is not None:
            self._fuel(fuel, "fuel")
        if label not in self.book.labels and label not in self._labels_scheduled:
            raise InputError(f"label {label!r}: no UTRN is issued under it before this entry "
                             f"(issue_utrn(..., label={label!r}) first)")
        self.engine.schedule(at, lambda: self._enter(label, on, fuel))

    def emergency_credit(self, at: float, *, fuel: str, on: Literal["ppmid", "meter", "wan"]) -> None:
        """The consumer asks for emergency credit on the PPMID, at the meter, or from the supplier (ECS09/GCS06)."""
        f = self._fuel(fuel, "fuel")
        if on not in ("ppmid", "meter", "wan"):
            raise InputError(f"on {on!r}: allowed 'ppmid', 'meter', 'wan'")
        self.engine.schedule(at, lambda: self._emergency_credit(f, on))

    def enable_supply(self, at: float, *, fuel: str, on: Literal["ppmid", "meter"]) -> None:
        f = self._fuel(fuel, "fuel")
        if on not in ("ppmid", "meter"):
            raise InputError(f"on {on!r}: allowed 'ppmid', 'meter'")
        self.engine.schedule(at, lambda: self._enable(f, on))

    def engineer_visit(self, at: float, *, duration_s: float = 7200.0) -> None:
        """An engineer with an HHT: power-cycles the hub, joins through the window and pairs the PPMID
        with DCC commands for local delivery (bringing a PPMID if the customer's is broken)."""
        self.engine.schedule(at, lambda: self.pairing.engineer(duration_s))

    def attacker(self, at: float, *, kind: str, credentials: bool = False, duration_s: float = 3600,
                 rate_per_hour: float = 60, delay_s: float = 3600) -> None:
        """An attack from ``at`` (``premises.attackers``): rogue_join, join_flood, replay_utrn, forge_utrn,
        replay_command, forge_command, relay_drop, relay_delay, relay_replay, relay_flood."""
        attack = Attack.of(kind, at, duration_s=float(duration_s), rate_per_hour=float(rate_per_hour),
                           credentials=bool(credentials), delay_s=float(delay_s))
        self.engine.schedule(at, lambda: self._attack_start(attack))

    def run(self, until: float) -> None:
        """Play everything scheduled up to ``until`` (seconds); the clock then reads ``until``.

        Only the engine: ``run(t1); run(t2)`` is exactly ``run(t2)`` (the route hours integrate at the
        same points, to the last bit), so a run split by snapshots or readings ends as one that is not."""
        self.engine.run(until)

    # ==============================================================================================
    # Reading the premises
    # ==============================================================================================

    def counters(self) -> dict[str, float]:
        """The premises' measures so far (``COUNTER_NAMES``; defined in docs/emulator.md). Reads only:
        reading the counters (e.g. a restored run checking a story's names) must not change what a
        later reading says, not even in the last bit of a float sum."""
        t = self.book.tally
        out = {name: float(t.get(name, 0.0)) for name in COUNTER_NAMES}
        now = float(self.engine.now)
        off = 0.0
        for fuel in self._meters:
            # A pure step on a copy brings the meter to now without touching the premises.
            node = self.engine.devices[_METER_NAME[fuel]].state
            meter, _ = pp.step(node.meter, pp.Tick(), SimTime(now), table=_table(fuel), use_cases={})
            off += meter.off_seconds(now)
            out[f"balance_{fuel.value.lower()}_pence"] = float(meter.balance_pence)
        out["self_disconnected_hours"] = off / 3600.0
        no_route_s, utrn_only_s = self._route_seconds(now)
        out["no_route_hours"] = no_route_s / 3600.0
        out["utrn_only_hours"] = utrn_only_s / 3600.0
        out["ppmid_paired"] = 1.0 if self._ppmid_paired() else 0.0
        out["join_window_open_hours"] = self._join_window_open_hours(now)
        out["hours_simulated"] = now / 3600.0
        return out

    def ppmid_state(self) -> P.PPMIDState | None:
        """The customer's current PPMID (None before any)."""
        return None if self.book.ppmid is None else self.engine.devices[self.book.ppmid].state

    def meter_state(self, fuel: str | Fuel) -> pp.MeterState:
        f = fuel if isinstance(fuel, Fuel) else self._fuel(fuel, "fuel")
        node = self.engine.devices[_METER_NAME[f]].state
        assert isinstance(node, nodes.MeterNode)
        return node.meter

    def chf_state(self) -> C.CHFState:
        state = self.engine.devices["CHF"].state
        assert isinstance(state, C.CHFState)
        return state

    # ==============================================================================================
    # Snapshot and restore
    # ==============================================================================================

    def state_snapshot(self) -> dict[str, Any]:
        """Everything the premises must not forget, as JSON-able data (no SMKI keys); ``premises.snapshot``."""
        return self.snapshots.take()

    @classmethod
    def from_snapshot(cls, snap: dict[str, Any], config: SiteConfig) -> Site:
        """A premises rebuilt from ``state_snapshot`` output with ``config`` (the same seed and options).

        InputError for a snapshot of another format version, seed or options, or naming a device this
        premises does not have."""
        return restore(cls, snap, config)

    # ==============================================================================================
    # Devices
    # ==============================================================================================

    def _check_keys(self) -> None:
        e = self._pki_entities
        needed = [(e.supplier, KeyUsage.KA, True), (e.supplier, KeyUsage.DS, False), (e.acb, KeyUsage.KA, False),
                  (e.acb, KeyUsage.DS, False), (e.chf, KeyUsage.KA, False), (e.esme, KeyUsage.KA, False),
                  (e.esme, KeyUsage.DS, False), (e.gsme, KeyUsage.KA, False), (e.gsme, KeyUsage.DS, False),
                  (e.ppmid, KeyUsage.KA, False), (e.ppmid, KeyUsage.DS, False)]
        missing = [f"{eui} {'prepayment ' if ppk else ''}{usage.name}" for eui, usage, ppk in needed
                   if not self.keystore.has_private(KeyId(eui, usage, ppk))]
        if missing:
            raise InputError(f"keystore: the premises plays every party and needs their private keys; missing "
                             f"{', '.join(missing)} (omit keystore to generate a test PKI from the seed)")

    def _ppmid_eui(self, n: int) -> EUI64:
        return self._pki_entities.ppmid if n == 1 else EUI64((_PPMID_BASE + n).to_bytes(8, "big"))

    def _add_ppmid_device(self, name: str) -> str:
        n = 1 if name == "PPMID" else int(name.split("-")[1])
        eui = self._ppmid_eui(n)
        if n > 1:  # a replacement: its own SMKI keys, made from the seed (the PKI's first PPMID is n = 1)
            pki = keygen.generate_pki(keygen.PKIEntities(ppmid=eui), seed=b"%d|ppmid|%d" % (self.config.seed, n))
            for k in pki.keys:
                if k.entity == "ppmid":
                    self.keystore.add(k.kid.eui, k.kid.usage, private=k.private, certificate=k.certificate)
        cfg = P.PPMIDConfig(eui, install_code(self.config.seed, eui), self.supplier_eui, self.acb,
                            wifi=self.config.wifi_ppmid, relay_permitted=self.effect.relay,
                            replay=ReplayRule(self.config.replay_rule), epoch=self.config.epoch_datetime)
        self.engine.add_device(name, P.new_ppmid(cfg, self.keystore), P.step, eui=eui)
        self._device_types[eui] = DeviceType.PPMID
        return name

    def _new_ppmid(self) -> str:
        n = len(self.book.ppmids) + 1
        name = "PPMID" if n == 1 else f"PPMID-{n}"
        self._add_ppmid_device(name)
        self.book.ppmids.append(name)
        self.book.ppmid = name
        return name

    def _add_hht_device(self, name: str) -> str:
        n = 1 if name == "HHT" else int(name.split("-")[1])
        eui = EUI64((_HHT_BASE + n).to_bytes(8, "big"))
        self.engine.add_device(name, H.new_hht(eui, install_code(self.config.seed, eui)), H.step, eui=eui)
        self._device_types[eui] = DeviceType.HHT
        return name

    def _new_hht(self) -> str:
        n = len(self.book.hhts) + 1
        name = "HHT" if n == 1 else f"HHT-{n}"
        self._add_hht_device(name)
        self.book.hhts.append(name)
        return name

    def _role(self, name: str) -> DeviceType | None:
        """What a device is (ESME, GSME, PPMID, TYPE2 for the IHD, HHT), by its EUI - not by its name;
        None for the hub's own functions (CHF, GPF)."""
        eui = self.engine.devices[name].eui
        return None if eui is None else self._device_types.get(eui)

    def _state(self, name: str) -> Any:
        return self.engine.devices[name].state

    def _join_policy(self) -> JoinWindowPolicy:
        policy = self.chf_state().config.join_policy
        assert isinstance(policy, JoinWindowPolicy)
        return policy

    def _hub_mechanisms(self) -> frozenset[str]:
        """The local-pairing mechanisms the hub applies: the option's, less those its firmware lacks."""
        return self._join_policy().mechanisms

    def _ppmid_paired(self) -> bool:
        s = self.ppmid_state()
        return s is not None and s.status is P.PPMIDStatus.PAIRED

    def _installed(self) -> bool:
        return self.book.installed_at is not None

    def _fuel(self, fuel: str, name: str) -> Fuel:
        f = _FUELS.get(fuel)
        if f is None or f not in self._meters:
            have = ", ".join(k for k, v in _FUELS.items() if v in self._meters)
            raise InputError(f"{name} {fuel!r}: this premises has {have}")
        return f

    # ==============================================================================================
    # Transport: WAN, HAN, broadband
    # ==============================================================================================

    def _note(self, device: str, event: str, **fields: Any) -> None:
        self.engine.log.note(self.engine.now, device, event, **fields)

    def _soon(self, action: Callable[[], object]) -> None:
        """Run ``action`` later in this same instant (never re-entrantly from a hook). Only for the
        current instant: anything later goes on the agenda (``_later``) so a snapshot keeps it."""
        self.engine.schedule(self.engine.now, lambda: None if action() else None, priority=Priority.DELIVERY)

    def _later(self, at: float, kind: str, *args: Any, priority: int = _FOLLOW_UP) -> None:
        """Schedule a follow-up as data (see ``Later``)."""
        if kind != "deliver" and kind not in _LATER_CALLS:
            raise AssertionError(f"no follow-up {kind!r}")
        item = Later(float(at), int(priority), self.book.agenda_seq, kind, tuple(args))
        self.book.agenda_seq += 1
        self.book.agenda[item.seq] = item
        self._arm(item)

    def _arm(self, item: Later) -> None:
        self.engine.schedule(item.at, lambda: self._fire(item.seq), priority=item.priority)

    def _fire(self, seq: int) -> None:
        item = self.book.agenda.pop(seq, None)
        if item is None:
            return
        if item.kind == "deliver":
            self.engine.deliver(item.args[0], item.args[1])
        elif item.kind in _LATER_CALLS:
            getattr(self, item.kind)(*item.args)

    def _count(self, name: str, by: float = 1.0) -> None:
        self.book.tally[name] = self.book.tally.get(name, 0.0) + by

    def _wan_ok(self) -> bool:
        return (self.book.wan_up or self.book.mesh_up) and self._installed() and C.is_powered(self.chf_state())

    def _down(self, target: str, wire: bytes) -> bool:
        """DCC -> WAN -> hub (-> HAN -> ``target``). Refused (False) while the WAN is down."""
        frame = gbcs_frame(wire, Via.WAN)
        if not self._wan_ok():
            self._note("WAN", "WANUnavailable", direction="down", dst=target, frame=frame.message)
            return False
        if target != "CHF":
            self._capture(target, wire)
        self._later(self.engine.now + self.config.wan_latency_s, "_down_arrive", target, frame,
                    priority=Priority.DELIVERY)
        return True

    def _down_arrive(self, target: str, frame: GBCSFrame) -> None:
        if not self._wan_ok():  # lost while in flight
            self._note("WAN", "WANUnavailable", direction="down", dst=target, frame=frame.message)
            return
        if target == "CHF":
            self._hub_in(frame)
        else:
            self._han(self.han.hub, target, frame)

    def _up(self, src: str, frame: GBCSFrame) -> None:
        """``src`` -> hub -> WAN -> DCC (and on to the supplier)."""
        alert = frame.message.endswith("alert")
        if not self._wan_ok():
            self._count("alerts_lost" if alert else "replies_lost")
            return
        if alert:
            self._count("alerts_delivered")
        self._later(self.engine.now + self.config.wan_latency_s, "_dcc_in", frame, priority=Priority.DELIVERY)

    def _dcc_in(self, frame: GBCSFrame) -> None:
        try:
            recipient = M.envelope(frame.wire).recipient
        except CodecError:  # a malformed upstream frame is dropped by the DCC
            return
        if recipient == self.acb:
            msg = self.dcc.receive(frame.wire)
            if isinstance(msg, M.CS14Alert):
                for job in list(self.book.jobs.values()):
                    if job.transport == "WAN" and job.stage == "wait_join" and \
                            self.dcc.joined(self.engine.devices[job.ppmid].eui or EUI64(bytes(8))):
                        self.pairing.job_joins(job)
        else:
            self.supplier.receive(frame.wire)

    def _request(self, target: str, kind: str, *args: str) -> None:
        """A DCC (or supplier) request for ``target``. It is built into GBCS bytes only when it can be
        sent: built while the WAN is down and sent later, its counter could be older than one sent
        meanwhile (e.g. by an HHT) and the device's anti-replay rule would rightly refuse it."""
        if not self._wan_ok():
            self.book.outbox.append((target, kind, tuple(args)))
            self._note("DCC", "RequestQueued", dst=target, request=kind, queued=len(self.book.outbox))
            return
        self._down(target, self._build(kind, args))

    def _build(self, kind: str, args: tuple[str, ...]) -> bytes:
        if kind == "ccs01":
            return self.dcc.ccs01(EUI64(args[0]), bytes.fromhex(args[1]), self.config.join_timeout_min)
        if kind == "ccs02":
            return self.dcc.ccs02(EUI64(args[0]))
        if kind == "meter_join":  # supplier-signed CS03A1 / CS03C to the meter
            return self.supplier.join_command(EUI64(args[0]), EUI64(args[1]))
        if kind == "ppmid_join":  # the DCC's CS03A2 / CS03C to the PPMID
            meter = EUI64(args[1])
            return self.dcc.ppmid_join(EUI64(args[0]), meter, self._device_types[meter])
        raise AssertionError(f"unknown request {kind!r}")

    def _flush_outbox(self) -> None:
        waiting, self.book.outbox = self.book.outbox, []
        for target, kind, args in waiting:
            self._request(target, kind, *args)

    def _han(self, src: str, dst: str, frame: Any, *, through_gpf: bool = True) -> None:
        """One HAN hop; frames for the sleepy GSME pass through the GPF and wait at the hub."""
        if dst == "GSME" and through_gpf and "GPF" in self.engine.devices:
            if src != self.han.hub and not self.han.on_han(src):
                self._note("HAN", "FrameDropped", src=src, dst=dst, frame=type(frame).__name__,
                           reason="SENDER_NOT_JOINED")
                return
            self._soon(lambda: self.engine.deliver("GPF", G.ForwardToGSME(frame)))  # waits for the wake-up
            return
        self.han.send(src, dst, frame)

    def _wifi_down(self, wire: bytes) -> bool:
        """Supplier -> broadband -> the Wi-Fi PPMID (SECMP0038), through any compromised-relay attack."""
        name = self.book.ppmid
        if not self.config.broadband or name is None:
            self._note("WiFi", "RelayUnavailable", reason="NO_BROADBAND" if not self.config.broadband else "NO_PPMID")
            return False
        self.book.captured_relayed.append(wire)
        del self.book.captured_relayed[:-16]
        try:
            target = self.engine.device_named(M.envelope(wire).recipient)
        except CodecError:
            target = None
        if target is not None:
            self._capture(target, wire)
        verdict, delay = relay_verdict(self.book.attacks, float(self.engine.now))
        now = float(self.engine.now)
        if verdict is RelayVerdict.DROP:
            self._count("relay_dropped")
            self._note("WiFi", "RelayTampered", action="DROP")
            return True
        if verdict is RelayVerdict.DELAY:
            self._count("relay_delayed")
            self._note("WiFi", "RelayTampered", action="DELAY", delay_s=delay)
            self._later(now + delay, "deliver", name, P.RelayCommand(wire), priority=Priority.DELIVERY)
            return True
        self._later(now, "deliver", name, P.RelayCommand(wire), priority=Priority.DELIVERY)
        if verdict is RelayVerdict.PASS_AND_REPLAY:
            self._note("WiFi", "RelayTampered", action="REPLAY", delay_s=delay)
            self._later(now + delay, "deliver", name, P.RelayCommand(wire), priority=Priority.DELIVERY)
        return True

    def _wifi_up(self, frame: GBCSFrame) -> None:
        if self.config.broadband:
            self._soon(lambda: self.supplier.receive(frame.wire))

    def _capture(self, meter: str, wire: bytes) -> None:
        if self._role(meter) in _METERS:
            self.book.captured_commands.append((meter, wire))
            del self.book.captured_commands[:-16]

    # ==============================================================================================
    # The hub's GBCS layer
    # ==============================================================================================

    def _hub_in(self, frame: GBCSFrame) -> None:
        assert self.book.hub_port is not None
        if not C.is_powered(self.chf_state()):
            return
        port, verdict = nodes.hub_receive(self.book.hub_port, frame.wire, self.keystore,
                                          device_types=self._device_types, suppliers=(self.supplier_eui,))
        self.book.hub_port = port
        if verdict.refusal is not None:
            self._note("CHF", "CommandRejected", message=verdict.label, reason=verdict.refusal.name, via=frame.via.name)
            self._count("commands_rejected")
            return
        self._count("commands_accepted")
        events = self.engine.deliver("CHF", verdict.chf_input)
        reply = gbcs_frame(nodes.hub_reply(port, verdict, events, self.chf_state(), self.keystore,
                                           float(self.engine.now)), frame.via)
        if frame.via is Via.LOCAL and self.book.visit is not None:
            self.han.send("CHF", self.book.visit.hht, reply)
        else:
            self._up("CHF", reply)

    # ==============================================================================================
    # Timeline actions
    # ==============================================================================================

    def _install(self, wan: bool, ppmid: bool) -> None:
        now = float(self.engine.now)
        self.book.installed_at = now
        if not wan:
            self.book.wan_up = False
            self._note("WAN", "WANLost", at_install=True)
        self.engine.deliver("CHF", C.PowerOn())
        self._note("Site", "Installed", wan=wan, ppmid=ppmid, options=self.config.options)
        first = self.book.ppmid
        if wan:
            for eui in [*self._meters.values(), _IHD_EUI]:
                self._request("CHF", "ccs01", str(eui), install_code(self.config.seed, eui).hex())
        else:
            hht = self._new_hht()
            self.book.visit = Visit("install", hht, now + 7200.0)
            self._later(now + 60.0, "deliver", hht, H.StartLocalJoin())
            self._later(now + 7200.0, "_visit_end", hht)
        if ppmid and first is not None:
            self.pairing.request_pairing(first)
        self.pairing.maybe_preauthorise()
        if ppmid and first is not None and not wan:
            self._later(now + 900.0, "_start_local_pairing", first, True)
        self._track()

    def _set_wan(self, up: bool) -> None:
        if up == self.book.wan_up:
            return
        self.book.wan_up = up
        self._note("WAN", "WANRestored" if up else "WANLost")
        if up:
            self.book.mesh_up = False
            self._flush_outbox()
            self.pairing.maybe_preauthorise()
        elif self.effect.mesh:
            same = 1 if self.config.mesh_neighbour == "same_supplier" else 0
            other = 1 if self.config.mesh_neighbour == "other_supplier" else 0
            days = float(policy_wan.mesh_restore_days(math.inf, same, other, self.config.mesh_broker_days, True))
            if math.isfinite(days):
                # NETWORK + 1: after a story's own WAN step at the same instant, which a restored
                # premises schedules after its agenda (a WAN restored then makes the mesh moot).
                self._later(self.engine.now + days * 86_400.0, "_mesh_up", priority=int(Priority.NETWORK) + 1)
        self._track()

    def _mesh_up(self) -> None:
        if not self.book.wan_up and not self.book.mesh_up:
            self.book.mesh_up = True
            self._note("WAN", "MeshRouteUp", neighbour=self.config.mesh_neighbour)
            self._flush_outbox()
            self._track()

    def _ppmid_lost(self) -> None:
        name = self.book.ppmid
        if name is not None:
            self.engine.deliver(name, P.Break())

    def _replacement_arrives(self) -> None:
        old = self.book.ppmid
        name = self._new_ppmid()
        self._note("Site", "ReplacementPPMIDArrived", ppmid=name, eui=self.engine.devices[name].eui)
        if old is not None:
            old_eui = self.engine.devices[old].eui
            assert old_eui is not None
            self.book.jobs.pop(old, None)
            self.book.joiners.pop(old, None)
            self._request("CHF", "ccs02", str(old_eui))  # the DCC tidies the device log
        self.pairing.request_pairing(name)
        if not self._wan_ok():
            self._start_local_pairing(name, False)

    def _press_button(self) -> None:
        if not self.config.new_hub:
            self._note("Site", "NoHubButton")  # an older hub has no button
            return
        self.engine.deliver("CHF", C.PressHubButton())
        self._retry_local_now()

    def _power_cycle(self) -> None:
        self.engine.deliver("CHF", C.PowerCycle())
        self._retry_local_now(delay=60.0)

    def _retry_local_now(self, delay: float = 0.0) -> None:
        # Someone opened a window by hand: a PPMID waiting to join tries again.
        name = self.book.ppmid
        if name is None or self._wan_ok():
            return
        state = self._state(name)
        if state.status is P.PPMIDStatus.UNJOINED:
            self.book.joiners.setdefault(name, Joiner(name, ["manual"]))
            self._later(self.engine.now + delay, "_joiner_try", name)

    def _issue(self, value_pence: int, fuel: Fuel, route: str, label: str | None) -> None:
        meter = self._meters[fuel]
        meter_name = _METER_NAME[fuel]
        if route == "wan":
            if not self._wan_ok():
                self._count("wan_top_ups_failed")
                self._note("Supplier", "TopUpFailed", fuel=fuel.name, route=route, reason="WAN_DOWN")
                return
            code, wire = self.supplier.top_up_command(meter, value_pence)
            self._down(meter_name, wire)
        elif route == "relay":
            code, wire = self.supplier.top_up_command(meter, value_pence)
            self._wifi_down(wire)
        else:
            code, _counter = self.supplier.issue_utrn(meter, value_pence)
            if route == "phone_app":
                self._phone_app(fuel, code)
            else:
                on = route
                if route == "sms":
                    on = "ppmid" if self._ppmid_has(fuel) else "meter_keypad"
                self._type(fuel, code, on)
        self._count("utrns_issued")
        self.book.captured_utrns.append((meter_name, code))
        del self.book.captured_utrns[:-16]
        if label is not None:
            self.book.labels[label] = (fuel.value, code)
        self._note("Supplier", "UTRNIssued", fuel=fuel.name, route=route, label=label, value_pence=value_pence,
                   utrn=code)

    def _ppmid_has(self, fuel: Fuel) -> bool:
        s = self.ppmid_state()
        return s is not None and s.status is P.PPMIDStatus.PAIRED and P.meter_for(s, fuel) is not None

    def _type(self, fuel: Fuel, code: str, on: str) -> None:
        if on == "ppmid":
            name = self.book.ppmid
            if name is None:
                self._note("Consumer", "UTRNNotEntered", fuel=fuel.name, on=on, reason="NO_PPMID")
                return
            self.engine.deliver(name, P.KeypadTopUp(code, fuel))
        elif not self.config.meter_keypad_reachable:
            self._note("Consumer", "UTRNNotEntered", fuel=fuel.name, on=on, reason="METER_KEYPAD_UNREACHABLE")
        else:
            self.engine.deliver(_METER_NAME[fuel], nodes.KeypadEntry(code))

    def _phone_app(self, fuel: Fuel, code: str) -> None:
        if not bool(policy_routes.phone_route_available(bool(self.effect.phone_radio), self.config.new_meters,
                                                        self.config.smartphone)):
            self._note("Consumer", "UTRNNotEntered", fuel=fuel.name, on="phone_app", reason="NO_PHONE_ROUTE")
            return
        radio = sorted(self.effect.phone_radio)[0]
        self.engine.deliver(_METER_NAME[fuel], nodes.PhoneAppEntry(code, radio))

    def _enter(self, label: str, on: str, fuel: str | None) -> None:
        entry = self.book.labels.get(label)
        if entry is None:  # issued later than this entry, or its issue failed: nothing to type
            self._note("Consumer", "UTRNNotEntered", label=label, on=on, reason="NO_SUCH_UTRN")
            return
        fuel_name, code = entry
        self._type(Fuel(fuel_name), code, on)

    def _emergency_credit(self, fuel: Fuel, on: str) -> None:
        if on == "ppmid":
            if self.book.ppmid is not None:
                self.engine.deliver(self.book.ppmid, P.KeypadEmergencyCredit(fuel))
        elif on == "meter":
            if self.config.meter_keypad_reachable:
                self.engine.deliver(_METER_NAME[fuel], nodes.MeterButton("emergency_credit"))
        elif self._wan_ok():
            self._down(_METER_NAME[fuel], self.supplier.emergency_credit_command(self._meters[fuel]))
        else:
            self._note("Supplier", "EmergencyCreditFailed", fuel=fuel.name, reason="WAN_DOWN")

    def _enable(self, fuel: Fuel, on: str) -> None:
        if on == "ppmid":
            if self.book.ppmid is not None:
                self.engine.deliver(self.book.ppmid, P.KeypadSupplyOn(fuel))
        elif self.config.meter_keypad_reachable:
            self.engine.deliver(_METER_NAME[fuel], nodes.MeterButton("enable"))

    # ==============================================================================================
    # Pairing and visits (premises.pairing); the agenda names these methods
    # ==============================================================================================

    def _visit_end(self, hht: str) -> None:
        self.pairing.visit_end(hht)

    def _start_local_pairing(self, name: str, at_install: bool) -> None:
        self.pairing.start_local_pairing(name, at_install)

    def _joiner_step(self, name: str) -> None:
        self.pairing.joiner_step(name)

    def _joiner_try(self, name: str) -> None:
        self.pairing.joiner_try(name)

    def _hht_retry(self, hht: str) -> None:
        self.pairing.hht_retry(hht)

    # ==============================================================================================
    # Periodic: meters, displays, consumer, route tracking
    # ==============================================================================================

    def _tick(self) -> None:
        now = float(self.engine.now)
        for fuel in self._meters:
            # A meter with nothing due would only move its clock: no event, nothing the consumer sees
            # changes (its thresholds are among those ``clock.meter_due`` watches), so the step is skipped.
            if self.clock.meter_due(fuel) <= now:
                self.engine.deliver(_METER_NAME[fuel], pp.Tick())
        self._track()
        if self._installed():
            self._consumer_check()
            self._maybe_dispatch_engineer()

    def _gsme_wake(self) -> None:
        if self._installed() and C.is_powered(self.chf_state()) and self.han.on_han("GSME"):
            self.engine.deliver("GPF", G.GSMEWoke())

    def _publish(self) -> None:
        if not self._installed() or not C.is_powered(self.chf_state()):
            return
        displays = tuple(self.engine.devices[n].eui for n in (self.book.ppmid, "IHD")
                         if n is not None and self.han.on_han(n) and not self._broken(n))
        displays_eui = tuple(e for e in displays if e is not None)
        if Fuel.ELECTRICITY in self._meters and self.han.on_han("ESME") and displays_eui:
            self.engine.deliver("ESME", nodes.PublishReport(displays_eui))
        if Fuel.GAS in self._meters and self.han.on_han("GSME"):
            # The GSME reports to its GPF mirror when it wakes; the GPF serves the displays.
            self.engine.deliver("GSME", nodes.PublishReport((self.gpf_eui,)))
            if displays_eui:
                self._soon(lambda: self._publish_mirror(displays_eui))

    def _publish_mirror(self, displays: tuple[EUI64, ...]) -> None:
        if self._state("GPF").mirror is not None:
            self.engine.deliver("GPF", G.PublishMirror(displays))

    def _broken(self, name: str) -> bool:
        s = self._state(name)
        return getattr(s, "status", None) in (P.PPMIDStatus.BROKEN, I.IHDStatus.BROKEN)

    def _routes_now(self) -> tuple[bool, bool, bool, bool, bool]:
        """(wan, phone app, relay, PPMID, keypad): the route flags ``policy.routes`` combines."""
        cfg, eff = self.config, self.effect
        wan = self._wan_ok()
        ppmid = self._ppmid_paired()
        phone = bool(policy_routes.phone_route_available(bool(eff.phone_radio), cfg.new_meters, cfg.smartphone))
        relay = bool(policy_routes.relay_available(eff.relay, wan, cfg.broadband, cfg.wifi_ppmid, ppmid))
        return wan, phone, relay, ppmid, cfg.meter_keypad_reachable

    def _route_seconds(self, now: float) -> tuple[float, float]:
        b = self.book
        return measures.route_seconds(b.installed_at, b.route_at, b.route_no, b.route_utrn, b.no_route_s,
                                      b.utrn_only_s, now)

    def _track(self) -> None:
        """Integrate the no-route and UTRN-only hours since the last change (piecewise constant)."""
        b = self.book
        if b.installed_at is None:
            return
        now = float(self.engine.now)
        b.no_route_s, b.utrn_only_s = self._route_seconds(now)
        wan, phone, relay, ppmid, keypad = self._routes_now()
        b.route_no = not bool(policy_routes.any_route_available(wan, phone, relay, ppmid, keypad))
        b.route_utrn = (not bool(policy_routes.remote_route_available(wan, phone, relay))
                        and bool(policy_routes.utrn_route_available(ppmid, keypad)))
        b.route_at = now
        if b.route_no:
            b.no_route_since = now if b.no_route_since is None else b.no_route_since
        else:
            b.no_route_since = None

    def _maybe_dispatch_engineer(self) -> None:
        days = self.config.engineer_after_no_route_days
        since = self.book.no_route_since
        if days is None or since is None or self.book.visit is not None:
            return
        if float(self.engine.now) - since >= days * 86_400.0:
            self.pairing.engineer(7200.0)

    def _consumer_check(self) -> None:
        wan, phone, relay, ppmid, keypad = self._routes_now()
        cfg = self.config
        can_get_code = cfg.phone or cfg.broadband  # a UTRN comes by SMS, phone call or e-mail
        now = float(self.engine.now)
        for fuel in self._meters:
            node = self._state(_METER_NAME[fuel])
            usable: list[Route] = []
            if wan and can_get_code:
                usable.append(Route.WAN)
            if relay:
                usable.append(Route.RELAY)
            if phone:
                usable.append(Route.PHONE_APP)
            if self._ppmid_has(fuel) and can_get_code:
                usable.append(Route.PPMID)
            if keypad and can_get_code:
                usable.append(Route.METER_KEYPAD)
            last = self.book.pending.get(fuel.value)
            view = HomeView(fuel, node.meter.balance_pence, node.meter.supply.name, node.meter.ec_available_alerted,
                            tuple(usable), self._ppmid_has(fuel), keypad,
                            last is not None and now - last < cfg.pending_s)
            self._act(self.consumer.decide(view))

    def _act(self, plan: Plan) -> None:
        fuel = plan.fuel
        if plan.action == "top_up":
            self.book.pending[fuel.value] = float(self.engine.now)
            route = {"wan": "wan", "relay": "relay", "phone_app": "phone_app", "ppmid": "ppmid",
                     "meter_keypad": "meter_keypad"}[plan.where]
            self._note("Consumer", "TopUpDecided", fuel=fuel.name, route=route)
            self._issue(self.config.top_up_pence, fuel, route, None)
        elif plan.action == "emergency_credit":
            self._emergency_credit(fuel, plan.where)
        elif plan.action == "enable":
            self._enable(fuel, plan.where)

    # ==============================================================================================
    # Attackers (premises.attacking)
    # ==============================================================================================

    def _attack_start(self, attack: Attack) -> None:
        self.attacks.start(attack)

    def _attack_attempt(self, attack: Attack, i: int, identity: tuple[EUI64, bytes] | None) -> None:
        self.attacks.attempt(attack, i, identity)  # an agenda item's kind names this method

    # ==============================================================================================
    # Exposure
    # ==============================================================================================

    def _join_window_open_hours(self, now: float) -> float:
        return measures.join_window_open_hours(
            self.book.installed_at, now, self._join_policy(),
            radio_listens=bool(self.effect.phone_radio) and self.config.new_meters,
            power_ons=self.book.power_ons, presses=self.book.presses)


def _table(fuel: Fuel) -> Any:
    from smetslab.devices import esme, gsme
    return esme.TRANSITIONS if fuel is Fuel.ELECTRICITY else gsme.TRANSITIONS
