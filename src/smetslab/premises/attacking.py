"""The attacks on one premises: rogue joins and join floods at the hub's window, UTRNs and
GBCS commands replayed or forged at a meter, and a compromised relay injecting onto the Wi-Fi PPMID (what
each attack is and does: ``premises.attackers``; docs/emulator.md).
"""

from __future__ import annotations

from smetslab.devices import nodes
from smetslab.devices import ppmid as P
from smetslab.devices.han import DeviceType, Via, gbcs_frame
from smetslab.premises.agenda import Agenda
from smetslab.premises.attackers import (
    Attack,
    AttackKind,
    garbage,
    rogue_identity,
    tamper_utrn,
    tamper_wire,
)
from smetslab.premises.config import SiteConfig, install_code
from smetslab.premises.pairing import Pairing
from smetslab.premises.roster import Roster
from smetslab.units import EUI64

__all__ = ["AttackDriver"]


class AttackDriver:
    """Starts an attack and plays its attempts; each next attempt goes on the premises' agenda (kind
    ``_attack_attempt``), so a snapshot keeps an attack in progress."""

    def __init__(self, config: SiteConfig, agenda: Agenda, roster: Roster, pairing: Pairing) -> None:
        self.config, self.agenda, self.roster, self.pairing = config, agenda, roster, pairing
        self.book, self.engine = agenda.book, agenda.engine

    def start(self, attack: Attack) -> None:
        self.agenda.note("Attacker", "AttackStarted", kind=attack.kind.value, credentials=attack.credentials,
                   duration_s=attack.duration_s, rate_per_hour=attack.rate_per_hour)
        if attack.kind.on_relay:
            self.book.attacks.append(attack)
        if attack.kind in (AttackKind.RELAY_DROP, AttackKind.RELAY_DELAY):
            return
        identity = rogue_identity(self.engine.rng) if attack.kind is AttackKind.ROGUE_JOIN else None
        self.attempt(attack, 0, identity)

    def attempt(self, attack: Attack, i: int, identity: tuple[EUI64, bytes] | None) -> None:
        if i >= attack.attempts:
            return
        k = attack.kind
        if k is AttackKind.ROGUE_JOIN:
            assert identity is not None
            if self.book.rogue_in:
                return  # in: the attack is over
            self._rogue_join(attack, identity)
        elif k is AttackKind.JOIN_FLOOD:
            self._rogue_join(attack, rogue_identity(self.engine.rng))
        elif k in (AttackKind.REPLAY_UTRN, AttackKind.FORGE_UTRN):
            if self.book.captured_utrns:
                meter, code = self.book.captured_utrns[-1]
                if k is AttackKind.FORGE_UTRN:
                    code = tamper_utrn(code, self.engine.rng)
                self.agenda.note("Attacker", "UTRNTyped", meter=meter, forged=k is AttackKind.FORGE_UTRN)
                self.engine.deliver(meter, nodes.KeypadEntry(code))
        elif k in (AttackKind.REPLAY_COMMAND, AttackKind.FORGE_COMMAND):
            if self.book.captured_commands:
                meter, wire = self.book.captured_commands[-1]
                if k is AttackKind.FORGE_COMMAND:
                    wire = tamper_wire(wire, self.engine.rng)
                self.agenda.note("Attacker", "CommandInjected", meter=meter, forged=k is AttackKind.FORGE_COMMAND)
                self.engine.deliver(meter, gbcs_frame(wire, Via.HAN))
        elif k in (AttackKind.RELAY_REPLAY, AttackKind.RELAY_FLOOD):
            self._relay_inject(attack, i)
        if k is AttackKind.JOIN_FLOOD:
            # A flood arrives as a Poisson stream: fixed spacing would beat in step with the hub's key
            # establishment time and let a legitimate joiner through (or never) by arithmetic alone.
            gap = float(self.engine.rng.exponential(3600.0 / attack.rate_per_hour))
            nxt: float | None = float(self.engine.now) + gap
            if nxt is not None and nxt >= attack.end:
                nxt = None
        else:
            nxt = attack.attempt_time(i + 1) if i + 1 < attack.attempts else None
        if nxt is not None:
            self.agenda.later(nxt, "_attack_attempt", attack, i + 1, identity)

    def _rogue_join(self, attack: Attack, identity: tuple[EUI64, bytes]) -> None:
        eui, code = identity
        mech = self.roster.hub_mechanisms()
        if attack.credentials and "preauth" in mech and self.book.spare_registered \
                and self.book.spare is not None:
            # With credentials under firmware_preauth the rogue is a clone of the pre-registered spare:
            # it presents the spare's EUI and install code.
            eui = self.roster.ppmid_eui_of(self.book.spare)
            code = install_code(self.config.seed, eui)
            if str(eui) not in self.book.clones:
                self.book.clones.append(str(eui))
        self.agenda.count("rogue_join_attempts")
        self.book.rogues.append(str(eui))
        claimed = DeviceType.PPMID if mech else DeviceType.HHT
        self.pairing.local_join(eui, claimed, code, attack.credentials, by_attacker=True)

    def _relay_inject(self, attack: Attack, i: int) -> None:
        name = self.book.ppmid
        if name is None:
            return
        captured = self.book.captured_relayed or [w for _m, w in self.book.captured_commands]
        if attack.kind is AttackKind.RELAY_REPLAY:
            if not captured:
                return
            wire = captured[-1]
        else:
            choice = i % 3
            if choice == 0 and captured:
                wire = captured[-1]
            elif choice == 1 and captured:
                wire = tamper_wire(captured[-1], self.engine.rng)
            else:
                wire = garbage(self.engine.rng)
        self.agenda.note("Attacker", "RelayInjected", kind=attack.kind.value)
        self.engine.deliver(name, P.RelayCommand(wire))
