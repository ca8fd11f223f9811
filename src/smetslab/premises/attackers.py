"""Attackers on a premises: rogue joins, join floods, replays, forgeries and a compromised Wi-Fi relay.

Theory of operation
-------------------
An attack is plain data (``Attack``): a kind, a start, a duration, an attempt rate and whether the
attacker holds valid credentials. The premises (``premises.site``) turns it into attempts on its
event queue; what this module provides is the attacker's side, pure and seeded:

- ``ROGUE_JOIN``: one rogue device tries to join the hub locally, at the attempt rate, until it is in.
  With ``credentials`` its CBKE certificate chains to the trusted CA (a stolen or cloned device); under
  ``firmware_preauth`` credentials also mean the pre-registered spare's EUI and install code. The
  rogue claims to be a PPMID where the option in force admits local PPMIDs, else an HHT (the one
  device type today's 60-minute window admits).
- ``JOIN_FLOOD``: a fresh rogue identity per attempt. With credentials the rogues fill the device log
  (legitimate joins then fail with DEVICE_LOG_FULL); without, each attempt still keeps the hub busy
  with key establishment for ``cbke_s`` while a window is open, so a legitimate joiner arriving then is
  turned away (our model of the SSC's denial-of-service concern).
- ``REPLAY_UTRN`` / ``FORGE_UTRN``: the attacker types a captured UTRN again (or one with a digit
  changed and the check digit fixed, so only the MAC can catch it) on the meter keypad - worst case,
  the keypad is in an unlocked outside cupboard.
- ``REPLAY_COMMAND`` / ``FORGE_COMMAND``: a captured GBCS command (or a copy with one bit flipped) is
  injected straight to the meter - worst case, the attacker gets past the HAN's own link security, so
  only the meter's GBCS checks (MAC, authority, counter) stand in the way.
- ``RELAY_*``: the SECMP0038 Wi-Fi relay is compromised for the attack's duration: it ``DROP``s the
  commands it should relay, ``DELAY``s them by ``delay_s``, ``REPLAY``s them (and every captured one,
  at the attempt rate), or ``FLOOD``s the HAN with replays, forgeries and garbage at the attempt rate.

The attacker captures everything (every UTRN issued, every command sent): a deliberately strong
attacker, so a rejection shows the meter's checks, not the attacker's bad luck.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

from smetslab.errors import InputError
from smetslab.gbcs import utrn as gbcs_utrn
from smetslab.units import EUI64

__all__ = ["AttackKind", "Attack", "ROGUE_PREFIX", "rogue_identity", "is_rogue", "tamper_wire", "tamper_utrn",
           "garbage", "RelayVerdict", "relay_verdict"]

ROGUE_PREFIX = bytes.fromhex("BADD")
"""The first two bytes of every rogue EUI, so logs and counters can tell rogues apart."""


class AttackKind(enum.Enum):
    ROGUE_JOIN = "rogue_join"
    JOIN_FLOOD = "join_flood"
    REPLAY_UTRN = "replay_utrn"
    FORGE_UTRN = "forge_utrn"
    REPLAY_COMMAND = "replay_command"
    FORGE_COMMAND = "forge_command"
    RELAY_DROP = "relay_drop"
    RELAY_DELAY = "relay_delay"
    RELAY_REPLAY = "relay_replay"
    RELAY_FLOOD = "relay_flood"

    @property
    def on_relay(self) -> bool:
        return self.value.startswith("relay_")


@dataclass(frozen=True, slots=True)
class Attack:
    """One attack: ``attempts`` at ``rate_per_hour`` over ``[start, start + duration_s)``."""

    kind: AttackKind
    start: float
    duration_s: float = 3600.0
    rate_per_hour: float = 60.0
    credentials: bool = False
    delay_s: float = 3600.0

    def __post_init__(self) -> None:
        for name in ("duration_s", "rate_per_hour", "delay_s"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
                raise InputError(f"attacker {name} {v!r}: must be a finite number > 0")

    @classmethod
    def of(cls, kind: str, start: float, **kw: object) -> Attack:
        """An attack from its story name; InputError naming the allowed kinds."""
        try:
            k = AttackKind(kind)
        except ValueError:
            raise InputError(f"attacker kind {kind!r}: allowed {', '.join(a.value for a in AttackKind)}") from None
        return cls(k, float(start), **kw)  # type: ignore[arg-type]

    @property
    def end(self) -> float:
        return self.start + self.duration_s

    def active(self, t: float) -> bool:
        return self.start <= t < self.end

    @property
    def attempts(self) -> int:
        """How many evenly spaced attempts: ``rate x duration``, at least one."""
        return max(1, math.floor(self.duration_s * self.rate_per_hour / 3600.0 + 1e-9))

    def attempt_time(self, i: int) -> float:
        """When attempt ``i`` (0-based) happens: every 3600/rate seconds from the start."""
        return self.start + i * 3600.0 / self.rate_per_hour

    def attempt_times(self) -> list[float]:
        return [self.attempt_time(i) for i in range(self.attempts)]


def rogue_identity(rng: np.random.Generator) -> tuple[EUI64, bytes]:
    """A fresh rogue EUI (prefix ``BADD``) and a 16-byte install code, drawn from the premises' RNG."""
    tail = rng.integers(0, 256, size=6, dtype=np.uint8).tobytes()
    code = rng.integers(0, 256, size=16, dtype=np.uint8).tobytes()
    return EUI64(ROGUE_PREFIX + tail), code


def is_rogue(eui: bytes) -> bool:
    return bytes(eui[:2]) == ROGUE_PREFIX


def tamper_wire(wire: bytes, rng: np.random.Generator) -> bytes:
    """A copy of ``wire`` with one bit flipped in its second half (payload, signature or MAC)."""
    i = int(rng.integers(len(wire) // 2, len(wire)))
    bit = int(rng.integers(0, 8))
    return wire[:i] + bytes([wire[i] ^ (1 << bit)]) + wire[i + 1:]


def tamper_utrn(code: str, rng: np.random.Generator) -> str:
    """A UTRN with one PPTD digit changed and the check digit recomputed: only the MAC can catch it.

    The digit is taken from the MAC part (positions 10-18), so the value field and the counter bits a
    meter reconstructs stay decodable and the forgery reaches the MAC check.
    """
    pos = int(rng.integers(10, 19))
    d = (int(code[pos]) + 1 + int(rng.integers(0, 9))) % 10
    pptd = code[:pos] + str(d) + code[pos + 1:19]
    return pptd + str(gbcs_utrn.check_digit(pptd))


def garbage(rng: np.random.Generator, n: int = 48) -> bytes:
    return rng.integers(0, 256, size=n, dtype=np.uint8).tobytes()


class RelayVerdict(enum.Enum):
    PASS = "PASS"
    DROP = "DROP"
    DELAY = "DELAY"
    PASS_AND_REPLAY = "PASS_AND_REPLAY"


def relay_verdict(attacks: list[Attack], t: float) -> tuple[RelayVerdict, float]:
    """What a compromised relay does with a command it should relay at ``t``: (verdict, delay seconds).

    The first active relay attack (in the order the story added them) decides; FLOOD passes genuine
    commands through (a flood hides among them).
    """
    for a in attacks:
        if not a.active(t):
            continue
        if a.kind is AttackKind.RELAY_DROP:
            return RelayVerdict.DROP, 0.0
        if a.kind is AttackKind.RELAY_DELAY:
            return RelayVerdict.DELAY, a.delay_s
        if a.kind is AttackKind.RELAY_REPLAY:
            return RelayVerdict.PASS_AND_REPLAY, a.delay_s
    return RelayVerdict.PASS, 0.0
