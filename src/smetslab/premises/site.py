"""A whole premises on the event engine: hub (CHF + GPF), meters, PPMID, IHD, HHT, the HAN and WAN, the
DCC, the supplier's head-end, a consumer and attackers, exchanging real GBCS bytes.

Theory of operation
-------------------
``Site`` is the façade: it wires the pure device machines (``smetslab.devices``) and the meters' GBCS
application layer (``devices.nodes``) onto one seeded ``Engine`` and hands each job to a collaborator
with one job, each given only the few objects it needs (never the Site):

- ``premises.roster`` (``Roster``): the devices, each known by its role (its EUI's ``DeviceType``, never
  a name prefix), the meters by fuel, the PPMIDs and HHTs that arrive;
- ``premises.agenda`` (``Agenda``): notes, tallies, work for this instant and follow-ups kept as data
  (``book.Later``) so a snapshot holds them;
- ``premises.transport`` (``Transport``): WAN, HAN and broadband delivery, the hub's GBCS port;
- ``premises.timeline`` (``Timeline``): what each story action does when it is played;
- ``premises.pairing`` (``Pairing``): PPMID pairing and HHT visits;
- ``premises.household`` (``Routes``, ``Household``): the routes and their hours, the consumer;
- ``premises.routing`` (``EventRouter``): the one event hook and its routing table;
- ``premises.clock`` (``MeterClock``): ticks and wake-ups only where due, the displays' reports;
- ``premises.attacking`` (``AttackDriver``), ``premises.measures`` (closed-form counters),
  ``premises.snapshot`` (snapshot and restore), ``premises.config`` (the settings, declared once) and
  ``premises.book`` (what a snapshot keeps).

The timeline methods (``install``, ``wan_lost``, ``replacement_ppmid_arrives``, ``issue_utrn``,
``attacker``, ...) check their arguments and only *schedule* an action; ``run(until)`` plays them.
Everything a device emits is logged by the engine and seen by one hook, which routes it: HAN frames over
``HANMedium`` (frames for the sleepy GSME through the GPF and the hub's queue), GBCS replies and alerts up
the WAN to the DCC (or back through the Wi-Fi PPMID, or to the installer's HHT), CHF join events to the
joining devices. The hook never steps a device itself; it schedules, so deliveries are never re-entrant.

Paths a top-up can take (``Route``): the app over the WAN (CS01a/CS01b built and MAC'd for real), the
SECMP0038 relay (the same bytes over broadband to the Wi-Fi PPMID, then the HAN), a phone app on the
meter's Bluetooth/NFC, a UTRN typed on the PPMID (PECS01 over ZSE to the ESME, PCS01 GBCS to the GSME)
or on the meter keypad. Which are usable at a moment is ``smetslab.policy.routes`` applied to the
premises' state (WAN up, PPMID paired, keypad reachable, options in force).

Pairing a PPMID: with the WAN, the DCC's way (CCS01, CS14, CS03A1 + CS03A2, CS03C); without it, the
options in force decide what the consumer can do and the CHF's join-window policy (``devices.
JoinWindowPolicy``, built on ``policy.windows``) whether the hub admits the join (``premises.pairing``).

Measures (``counters``) are tallied from device events as they happen and from a piecewise-constant
integration of route availability, so they survive a snapshot/restore.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from smetslab.devices import chf as C
from smetslab.devices import nodes
from smetslab.devices import ppmid as P
from smetslab.devices import prepayment as pp
from smetslab.devices.han import Fuel, ReplayRule
from smetslab.errors import InputError
from smetslab.gbcs import keygen
from smetslab.policy import options as policy_options
from smetslab.premises import measures
from smetslab.premises.actors import DCC, Consumer, SupplierHeadEnd, utrn_value
from smetslab.premises.agenda import Agenda
from smetslab.premises.attackers import Attack
from smetslab.premises.attacking import AttackDriver
from smetslab.premises.book import Book
from smetslab.premises.clock import PUBLISH_PRIORITY, MeterClock
from smetslab.premises.config import SiteConfig
from smetslab.premises.engine import Engine, HANMedium, Priority
from smetslab.premises.household import Household, Routes
from smetslab.premises.pairing import Pairing
from smetslab.premises.roster import Roster
from smetslab.premises.routing import EventRouter
from smetslab.premises.snapshot import SNAPSHOT_VERSION, Snapshotter, restore
from smetslab.premises.timeline import Timeline
from smetslab.premises.transport import Transport
from smetslab.units import SimTime

__all__ = ["SiteConfig", "Site", "COUNTER_NAMES", "UTRNRoute", "SNAPSHOT_VERSION"]

UTRNRoute = Literal["wan", "relay", "phone_app", "ppmid", "meter_keypad", "sms"]
_UTRN_ROUTES = ("wan", "relay", "phone_app", "ppmid", "meter_keypad", "sms")
_FUELS = {"electricity": Fuel.ELECTRICITY, "gas": Fuel.GAS}

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


class Site:
    """One premises on one seeded engine. See the module docstring; the API is in docs/emulator.md."""

    clock_class: type[MeterClock] = MeterClock
    """Runs the meters' ticks and the GSME's wake-ups where they are due (``premises.clock``)."""

    def __init__(self, config: SiteConfig, *, start: float = 0.0) -> None:
        self.config = config
        self.effect = eff = policy_options.combine(config.options, "options")
        self.engine = eng = Engine(seed=config.seed, start=start)
        self.book = book = Book(hub_port=None)
        entities = keygen.PKIEntities()
        self.keystore = config.keystore if config.keystore is not None else \
            keygen.generate_pki(entities, seed=config.seed).keystore()
        self.supplier_eui, self.acb, self.hub_eui, self.gpf_eui = entities.supplier, entities.acb, entities.chf, \
            entities.gpf
        self._labels_scheduled: list[str] = []
        self.roster = roster = Roster(eng, book, config, eff, self.keystore, entities)
        roster.check_keys()
        book.hub_port = nodes.HubPort(self.hub_eui, self.acb, ReplayRule(config.replay_rule),
                                      epoch=config.epoch_datetime)
        roster.build(start)
        self.han = HANMedium(eng, hub="CHF")
        self.supplier = SupplierHeadEnd(self.keystore, eui=self.supplier_eui, acb=self.acb,
                                        meters={eui: roster.types[eui] for eui in roster.meters.values()})
        self.dcc = DCC(self.keystore, acb=self.acb, supplier=self.supplier_eui, hub=self.hub_eui)
        self.consumer = Consumer(config.consumer_tops_up_below_pence, config.top_up_pence)
        self.agenda = agenda = Agenda(eng, book)
        self.transport = transport = Transport(config, book, agenda, roster, self.han, self.dcc, self.supplier,
                                               self.keystore)
        roster.new_ppmid()  # the customer's first PPMID (paired at install, or not)
        self.pairing = pairing = Pairing(config, eff, agenda, roster, transport)
        transport.on_cs14 = pairing.dcc_heard_join
        self.routes = routes = Routes(config, eff, eng, book, roster, transport)
        self.timeline = Timeline(config, eff, agenda, roster, transport, pairing, routes, self.supplier)
        self.attacks = AttackDriver(config, agenda, roster, pairing)
        self.household = Household(config, self.consumer, routes, roster, pairing, self.timeline)
        self.clock = self.clock_class(config, agenda, roster, self.han, on_tick=self.household.after_tick)
        self.router = EventRouter(config, agenda, roster, transport, pairing, routes.track)
        eng.on_event(self.router.on_event)
        self.snapshots = Snapshotter(config, eng, book, self.supplier, self.dcc, self.keystore)
        # The follow-up kinds a snapshot names (``agenda.LATER_KINDS``), each bound to what plays it.
        plays: dict[str, Callable[..., None]] = {
            "_down_arrive": transport.down_arrive, "_dcc_in": transport.dcc_in, "_visit_end": pairing.visit_end,
            "_start_local_pairing": pairing.start_local_pairing, "_joiner_step": pairing.joiner_step,
            "_joiner_try": pairing.joiner_try, "_hht_retry": pairing.hht_retry, "_mesh_up": self.timeline.mesh_up,
            "_attack_attempt": self.attacks.attempt}
        for kind, action in plays.items():
            agenda.handle(kind, action)
        # Periodic series on a fixed grid (k * interval from t = 0), so a restored premises keeps the
        # original's times; each has its own priority, so at an instant they share (every midnight, by
        # default) they run in one fixed order - displays, meters, the GSME's wake-up - that does not
        # depend on when each was scheduled (a restored premises schedules them all afresh).
        self.clock.periodic(config.display_interval_s, self.clock.publish, PUBLISH_PRIORITY)
        # The meters' tick and the GSME's wake-up run on their grids too, but only where something is
        # due (closed form, ``premises.clock``): a tick that would change nothing is
        # not run, so a quiet year costs its events, not 8,760 ticks.
        eng.after_action(self.clock.after_action)
        self.clock.want("tick", self.clock.grid(float(eng.now), config.tick_s, include_now=False))

    # ==============================================================================================
    # Timeline (each schedules onto the engine at ``at`` seconds)
    # ==============================================================================================

    def install(self, at: float, *, wan: bool = True, ppmid: bool = True) -> None:
        """The hub is installed and powered at ``at``; with ``wan`` the DCC commissions the HAN over
        the WAN, else an installer's HHT joins the meters locally and the WAN stays down until
        ``wan_restored``. With ``ppmid`` the customer's PPMID is paired (or waits to be)."""
        self.engine.schedule(at, lambda: self.timeline.install(wan, ppmid), priority=Priority.NETWORK)

    def wan_lost(self, at: float) -> None:
        self.engine.schedule(at, lambda: self.timeline.set_wan(False), priority=Priority.NETWORK)

    def wan_restored(self, at: float) -> None:
        self.engine.schedule(at, lambda: self.timeline.set_wan(True), priority=Priority.NETWORK)

    def ppmid_lost(self, at: float) -> None:
        """The customer's PPMID breaks or is lost."""
        self.engine.schedule(at, self.timeline.ppmid_lost)

    def replacement_ppmid_arrives(self, at: float) -> None:
        """A new PPMID reaches the customer, who tries to pair it (DCC request; local means if the WAN is down)."""
        self.engine.schedule(at, self.timeline.replacement_arrives)

    def press_hub_button(self, at: float) -> None:
        self.engine.schedule(at, self.timeline.press_button)

    def power_cycle_hub(self, at: float) -> None:
        self.engine.schedule(at, self.timeline.power_cycle, priority=Priority.POWER)

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
        self.engine.schedule(at, lambda: self.timeline.issue(value_pence, f, route, label))

    def enter_utrn(self, at: float, *, label: str, on: str, fuel: str | None = None) -> None:
        """Type again an earlier UTRN (by ``label``) on the ``ppmid`` or the ``meter_keypad``."""
        if on not in ("ppmid", "meter_keypad"):
            raise InputError(f"on {on!r}: allowed 'ppmid', 'meter_keypad'")
        if fuel is not None:
            self._fuel(fuel, "fuel")
        if label not in self.book.labels and label not in self._labels_scheduled:
            raise InputError(f"label {label!r}: no UTRN is issued under it before this entry "
                             f"(issue_utrn(..., label={label!r}) first)")
        self.engine.schedule(at, lambda: self.timeline.enter(label, on, fuel))

    def emergency_credit(self, at: float, *, fuel: str, on: Literal["ppmid", "meter", "wan"]) -> None:
        """The consumer asks for emergency credit on the PPMID, at the meter, or from the supplier (ECS09/GCS06)."""
        f = self._fuel(fuel, "fuel")
        if on not in ("ppmid", "meter", "wan"):
            raise InputError(f"on {on!r}: allowed 'ppmid', 'meter', 'wan'")
        self.engine.schedule(at, lambda: self.timeline.emergency_credit(f, on))

    def enable_supply(self, at: float, *, fuel: str, on: Literal["ppmid", "meter"]) -> None:
        f = self._fuel(fuel, "fuel")
        if on not in ("ppmid", "meter"):
            raise InputError(f"on {on!r}: allowed 'ppmid', 'meter'")
        self.engine.schedule(at, lambda: self.timeline.enable(f, on))

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
        self.engine.schedule(at, lambda: self.attacks.start(attack))

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
        for fuel in self.roster.meters:
            # A pure step on a copy brings the meter to now without touching the premises.
            node = self.roster.meter_node(fuel)
            meter, _ = pp.step(node.meter, pp.Tick(), SimTime(now), table=_table(fuel), use_cases={})
            off += meter.off_seconds(now)
            out[f"balance_{fuel.value.lower()}_pence"] = float(meter.balance_pence)
        out["self_disconnected_hours"] = off / 3600.0
        no_route_s, utrn_only_s = self.routes.seconds(now)
        out["no_route_hours"] = no_route_s / 3600.0
        out["utrn_only_hours"] = utrn_only_s / 3600.0
        out["ppmid_paired"] = 1.0 if self.roster.ppmid_paired() else 0.0
        out["join_window_open_hours"] = measures.join_window_open_hours(
            self.book.installed_at, now, self.roster.join_policy(),
            radio_listens=bool(self.effect.phone_radio) and self.config.new_meters,
            power_ons=self.book.power_ons, presses=self.book.presses)
        out["hours_simulated"] = now / 3600.0
        return out

    def ppmid_state(self) -> P.PPMIDState | None:
        """The customer's current PPMID (None before any)."""
        return self.roster.ppmid_state()

    def meter_state(self, fuel: str | Fuel) -> pp.MeterState:
        f = fuel if isinstance(fuel, Fuel) else self._fuel(fuel, "fuel")
        return self.roster.meter_node(f).meter

    def chf_state(self) -> C.CHFState:
        return self.roster.chf_state()

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

    def _fuel(self, fuel: str, name: str) -> Fuel:
        f = _FUELS.get(fuel)
        if f is None or f not in self.roster.meters:
            have = ", ".join(k for k, v in _FUELS.items() if v in self.roster.meters)
            raise InputError(f"{name} {fuel!r}: this premises has {have}")
        return f


def _table(fuel: Fuel) -> Any:
    from smetslab.devices import esme, gsme
    return esme.TRANSITIONS if fuel is Fuel.ELECTRICITY else gsme.TRANSITIONS
