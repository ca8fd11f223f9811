"""The people and systems outside the home: the supplier's head-end, the DCC, and the consumer.

Theory of operation
-------------------
- ``SupplierHeadEnd`` issues UTRNs and builds the supplier's GBCS commands with the keystore. It keeps
  **one counter per meter**, ``k << 32`` with ``k`` strictly increasing (DOMAIN.md §1.9), used both as
  the UTRN counter and as the GBCS originator counter of every command it sends that meter (RTDS:
  CS01a's header counter equals its UTRN's). So a meter's anti-replay rule ("strictly greater than the
  last from this supplier") and its UTRN counter cache see one increasing sequence. The low-32-zero
  convention leaves 10 bits in the UTRN: ``k`` up to 1023 per meter (``MAX_K``), ample for a story.
  Critical commands (ECS09, GCS06, CS03A1, CS03C) are signed with the supplier's DS key; the DCC's
  pre-command round trip is folded into one ``build`` (the MAC is still the ACB's, ``gbcs.security``).
- ``DCC`` originates what the Access Control Broker sends: CCS01/CCS02/CCS07 to the hub and the DCC
  variants of CS03A2/CS03C/CS04AC to a PPMID (ACB-signed, naming the supplier as supplementary remote
  party). Its ACB counter strictly increases over everything it originates. It reads what comes back
  (responses, CS14 alerts) and so learns when a PPMID has joined the hub (a hashed key in CS14).
- ``Consumer`` decides, from what a person at home can see, which top-up route to use when credit runs
  low: the app over the WAN, the SECMP0038 relay, a phone app on the meter's radio, a UTRN typed on
  the PPMID or on the meter keypad (the UTRN obtained by SMS or phone), else emergency credit; and when to
  switch an armed supply back on. Whether emergency credit can be activated and an armed supply switched on
  are ``smetslab.policy.routes`` rules, written once for the emulator and the fleet model. It is a pure
  function of a ``HomeView``: the premises executes the plan.

Nothing here reads the clock: times come in as arguments.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Literal

from smetslab.devices.han import DeviceType, Fuel, envelope_of, read_gbcs
from smetslab.errors import CodecError, InputError
from smetslab.gbcs import messages as M
from smetslab.gbcs import utrn as gbcs_utrn
from smetslab.gbcs.keystore import Keystore
from smetslab.policy import routes as policy_routes
from smetslab.units import EUI64

__all__ = ["MAX_K", "SupplierHeadEnd", "DCC", "Route", "HomeView", "Plan", "Consumer", "utrn_value"]

MAX_K = 1023
"""Largest per-meter counter index a typed UTRN can carry under the low-32-zero convention (10 bits)."""


def utrn_value(value_pence: int) -> tuple[int, str]:
    """(value, value class) for a UTRN worth ``value_pence``: pennies up to 8191, else whole pounds.

    Raises InputError for a value a UTRN cannot carry (DOMAIN.md §1.2: 13-bit value field).
    """
    if isinstance(value_pence, bool) or not isinstance(value_pence, int) or value_pence < 0:
        raise InputError(f"value_pence {value_pence!r}: must be a whole number of pence >= 0")
    if value_pence <= gbcs_utrn.MAX_VALUE:
        return value_pence, "pennies"
    if value_pence % 100 == 0 and value_pence // 100 <= gbcs_utrn.MAX_VALUE:
        return value_pence // 100, "pounds"
    raise InputError(f"value_pence {value_pence}: a UTRN carries up to 8191 pence, or whole pounds up to "
                     f"£8191; give a multiple of 100 above 8191")


class SupplierHeadEnd:
    """The supplier's systems: UTRNs, commands, counters, and what it hears back."""

    def __init__(self, keystore: Keystore, *, eui: EUI64, acb: EUI64, meters: dict[EUI64, DeviceType]) -> None:
        self.keystore = keystore
        self.eui = eui
        self.acb = acb
        self.meters = dict(meters)
        self.k: dict[EUI64, int] = {m: 0 for m in meters}
        self.replies: list[str] = []  # use cases of verified replies, in arrival order
        self.alerts: list[int] = []  # alert codes received
        self.refused_replies = 0

    def next_counter(self, meter: EUI64) -> int:
        """The next originator counter for ``meter``: ``k << 32`` with ``k`` strictly increasing."""
        k = self.k[meter] + 1
        if k > MAX_K:
            raise InputError(f"meter {meter}: more than {MAX_K} counters issued; the 10-bit UTRN counter "
                             f"would wrap (use a counter policy that tracks high bits)")
        self.k[meter] = k
        return k << 32

    def issue_utrn(self, meter: EUI64, value_pence: int) -> tuple[str, int]:
        """A fresh UTRN for ``meter`` and its full counter."""
        value, value_class = utrn_value(value_pence)
        counter = self.next_counter(meter)
        code = gbcs_utrn.issue(self.keystore, supplier=self.eui, meter=meter, counter=counter, value=value,
                               value_class=value_class)
        return code, counter

    def top_up_command(self, meter: EUI64, value_pence: int) -> tuple[str, bytes]:
        """A CS01a (ESME) or CS01b (GSME) carrying a fresh UTRN; header counter = UTRN counter (RTDS)."""
        code, counter = self.issue_utrn(meter, value_pence)
        cls = M.CS01aCommand if self.meters[meter] is DeviceType.ESME else M.CS01bCommand
        return code, cls(originator=self.eui, recipient=meter, counter=counter, utrn=code).build(
            self.keystore, acb=self.acb)

    def emergency_credit_command(self, meter: EUI64) -> bytes:
        """ECS09 (ESME) or GCS06 (GSME): critical, signed by the supplier."""
        counter = self.next_counter(meter)
        if self.meters[meter] is DeviceType.ESME:
            msg: M.Message = M.ECS09Command(originator=self.eui, recipient=meter, counter=counter)
        else:
            msg = M.GCS06Command(originator=self.eui, recipient=meter, counter=counter)
        return msg.build(self.keystore, acb=self.acb)

    def join_command(self, meter: EUI64, device: EUI64, device_type: int = 5) -> bytes:
        """CS03A1 (ESME, Method A initiator) or CS03C (GSME, with the device's KA certificate)."""
        counter = self.next_counter(meter)
        if self.meters[meter] is DeviceType.ESME:
            msg: M.Message = M.CS03A1Command(originator=self.eui, recipient=meter, counter=counter,
                                             other_device=device, device_type=device_type)
        else:
            msg = M.CS03CCommand(originator=self.eui, recipient=meter, counter=counter, other_device=device,
                                 device_type=device_type, certificate=M.ka_certificate_der(self.keystore, device))
        return msg.build(self.keystore, acb=self.acb)

    def unjoin_command(self, meter: EUI64, device: EUI64) -> bytes:
        counter = self.next_counter(meter)
        return M.CS04ACCommand(originator=self.eui, recipient=meter, counter=counter,
                               other_device=device).build(self.keystore, acb=self.acb)

    def receive(self, wire: bytes) -> M.Message | None:
        """A reply or alert for the supplier: verified, recorded; None (counted) if it does not verify."""
        msg, _refusal = read_gbcs(wire, self.keystore, me=self.eui, acb=self.acb,
                                  accepted=(M.Message,))
        if msg is None:
            self.refused_replies += 1
            return None
        if isinstance(msg, M.DeviceAlert):
            self.alerts.append(msg.alert_code)
        else:
            self.replies.append(msg.spec.use_case)
        return msg


class DCC:
    """The DCC's Access Control Broker side: device-log commands, PPMID joins, and what comes back."""

    def __init__(self, keystore: Keystore, *, acb: EUI64, supplier: EUI64, hub: EUI64) -> None:
        self.keystore = keystore
        self.acb = acb
        self.supplier = supplier
        self.hub = hub
        self.counter = 0  # ACB originator counter: strictly increasing over all it originates
        self.request = 0  # the supplier's request counter, carried as supplementary remote party counter
        self.device_log: tuple[tuple[EUI64, bytes], ...] = ()  # the hub's log as last reported (CS14)
        self.replies: list[str] = []
        self.refused_replies = 0

    def _next(self) -> tuple[int, int]:
        self.counter += 1
        self.request += 1
        return self.counter, self.request << 32

    def ccs01(self, device: EUI64, install_code: bytes, join_timeout_min: int) -> bytes:
        counter, request = self._next()
        return M.CCS01Command(originator=self.acb, recipient=self.hub, counter=counter, device=device,
                              install_code=install_code, join_timeout=join_timeout_min,
                              supplementary_remote_party=self.supplier,
                              supplementary_remote_party_counter=request).build(self.keystore, acb=self.acb)

    def ccs02(self, device: EUI64) -> bytes:
        counter, request = self._next()
        return M.CCS02Command(originator=self.acb, recipient=self.hub, counter=counter, device=device,
                              supplementary_remote_party=self.supplier,
                              supplementary_remote_party_counter=request).build(self.keystore, acb=self.acb)

    def ppmid_join(self, ppmid: EUI64, meter: EUI64, meter_type: DeviceType) -> bytes:
        """The DCC's half of a PPMID pairing: CS03A2 (with an ESME) or CS03C + the GSME's KA certificate."""
        counter, request = self._next()
        if meter_type is DeviceType.ESME:
            msg: M.Message = M.CS03A2Command(originator=self.acb, recipient=ppmid, counter=counter,
                                             other_device=meter, supplementary_remote_party=self.supplier,
                                             supplementary_remote_party_counter=request)
        else:
            msg = M.CS03CCommand(originator=self.acb, recipient=ppmid, counter=counter, other_device=meter,
                                 device_type=0, certificate=M.ka_certificate_der(self.keystore, meter),
                                 supplementary_remote_party=self.supplier, supplementary_remote_party_counter=request)
        return msg.build(self.keystore, acb=self.acb)

    def receive(self, wire: bytes) -> M.Message | None:
        """A reply or alert for the ACB (or for the supplier, passed through): verified, recorded."""
        try:
            recipient = envelope_of(wire).recipient
        except CodecError:  # a malformed upstream frame is counted, not raised
            self.refused_replies += 1
            return None
        msg, _refusal = read_gbcs(wire, self.keystore, me=recipient, acb=self.acb, accepted=(M.Message,))
        if msg is None:
            self.refused_replies += 1
            return None
        if isinstance(msg, M.CS14Alert):
            self.device_log = tuple((EUI64(e.eui), e.hashed_link_key) for e in msg.device_log.entries)
        self.replies.append(msg.spec.use_case)
        return msg

    def joined(self, device: EUI64) -> bool:
        """True if the last CS14 showed ``device`` with a hashed TC link key (it has joined the hub)."""
        return any(e == device and key for e, key in self.device_log)


# --------------------------------------------------------------------------------------------------
# Consumer
# --------------------------------------------------------------------------------------------------


class Route(enum.Enum):
    """A way for the consumer to top up (DESIGN.md background; ``smetslab.policy.routes``)."""

    WAN = "wan"  # app or phone call: supplier -> DCC -> WAN -> hub -> meter (CS01a/CS01b)
    RELAY = "relay"  # SECMP0038: supplier -> broadband -> Wi-Fi PPMID -> HAN
    PHONE_APP = "phone_app"  # meter_bluetooth / meter_nfc: a phone app hands the UTRN to the meter
    PPMID = "ppmid"  # UTRN by SMS/phone, typed on the PPMID
    METER_KEYPAD = "meter_keypad"  # UTRN by SMS/phone, typed on the meter


@dataclass(frozen=True, slots=True)
class HomeView:
    """What the consumer can see and use at one moment (all from ``smetslab.policy.routes`` and the
    devices' state, assembled by the premises)."""

    fuel: Fuel
    balance_pence: int
    supply: str  # ENABLED, DISABLED, ARMED
    ec_available: bool
    routes: tuple[Route, ...]  # usable now, in the premises' order of preference
    ppmid_paired: bool
    keypad_reachable: bool
    pending: bool  # a top-up for this fuel is already on its way


@dataclass(frozen=True, slots=True)
class Plan:
    """What the consumer does now: ``action`` is ``top_up``, ``emergency_credit``, ``enable`` or ``nothing``;
    ``where`` is a ``Route`` for a top-up, ``ppmid`` or ``meter`` for the others (``wan`` too for emergency
    credit: asked of the supplier, ECS09/GCS06)."""

    action: Literal["top_up", "emergency_credit", "enable", "nothing"]
    fuel: Fuel
    where: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Consumer:
    """The consumer's habits. ``tops_up_below_pence`` None: acts only when the story says."""

    tops_up_below_pence: int | None
    top_up_pence: int = 2000
    uses_emergency_credit: bool = True
    preference: tuple[Route, ...] = field(default=(Route.WAN, Route.RELAY, Route.PHONE_APP, Route.PPMID,
                                                   Route.METER_KEYPAD))

    def decide(self, view: HomeView) -> Plan:
        """The consumer's plan for one fuel (pure). Who can switch a supply on and who can activate emergency
        credit are ``smetslab.policy.routes`` rules, the ones the fleet model uses."""
        if view.supply == "ARMED":
            # Credit is back but the supply waits for a person (arm_before_enable): at the meter, or on a joined
            # PPMID - PECS03 "supply on" is electricity only, so for gas a PPMID does not count.
            ppmid_enables = view.fuel is Fuel.ELECTRICITY and view.ppmid_paired
            if not policy_routes.supply_enable_possible(ppmid_enables, view.keypad_reachable):
                return Plan("nothing", view.fuel, reason="supply armed, meter out of reach")
            return Plan("enable", view.fuel, "ppmid" if ppmid_enables else "meter")
        if self.tops_up_below_pence is None or view.balance_pence >= self.tops_up_below_pence or view.pending:
            return Plan("nothing", view.fuel)
        for route in self.preference:
            if route in view.routes:
                return Plan("top_up", view.fuel, route.value)
        # No usable top-up route. Remotely (ECS09/GCS06) needs the WAN and a way to reach the supplier: exactly
        # what Route.WAN in view.routes says, so with WAN in the preference it is never needed here.
        wan = Route.WAN in view.routes
        if self.uses_emergency_credit and view.ec_available and policy_routes.emergency_credit_activatable(
                wan, view.ppmid_paired, view.keypad_reachable):
            return Plan("emergency_credit", view.fuel,
                        "ppmid" if view.ppmid_paired else ("meter" if view.keypad_reachable else "wan"))
        return Plan("nothing", view.fuel, reason="no route")
