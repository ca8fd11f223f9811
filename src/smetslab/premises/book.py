"""What a premises must not forget, as plain snapshot-able data (``Site.state_snapshot`` writes it whole):
the WAN and PPMID situation, pairings and local joiners in progress, an installer's or engineer's visit,
tallies and route integrals, captured traffic for the attackers, the premises' own agenda of follow-ups,
the meters' next tick and the GSME's next wake-up.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from smetslab.devices import nodes
from smetslab.premises.attackers import Attack
from smetslab.units import EUI64

__all__ = ["Book", "Job", "Joiner", "Visit", "Later"]


@dataclass
class Job:
    """A PPMID pairing in progress: ``stage`` log -> wait_join -> joins_sent."""

    ppmid: str
    transport: str  # "WAN" (DCC over the WAN) or "LOCAL" (an engineer's HHT)
    stage: str = "log"


@dataclass
class Joiner:
    """A PPMID trying to join locally: the local-pairing mechanisms left to try, and retries made.
    ``busy``: its last attempt was turned away by a hub busy with another key establishment."""

    ppmid: str
    plan: list[str]
    retries: int = 0
    busy: bool = False


@dataclass
class Visit:
    purpose: str  # "install" or "engineer"
    hht: str
    until: float
    busy: bool = False  # the HHT's last join attempt was turned away by a busy hub


@dataclass
class Later:
    """A follow-up action the premises scheduled for itself, kept as data so a snapshot holds it:
    ``kind`` is ``deliver`` (args: device name, input) or one of ``agenda.LATER_KINDS`` (bound by the Site
    to the collaborator method that plays it)."""

    at: float
    priority: int
    seq: int
    kind: str
    args: tuple[Any, ...]


@dataclass
class Book:
    """The premises' own state (the devices' states are the engine's). One object for a premises' life:
    a restore ``load``s the snapshot's into it, so every collaborator holding it sees the restored one."""

    wan_up: bool = True
    mesh_up: bool = False
    installed_at: float | None = None
    ppmids: list[str] = field(default_factory=list)
    ppmid: str | None = None
    hhts: list[str] = field(default_factory=list)
    visit: Visit | None = None
    tally: dict[str, float] = field(default_factory=dict)
    route_at: float | None = None
    route_no: bool = False
    route_utrn: bool = False
    no_route_s: float = 0.0
    utrn_only_s: float = 0.0
    no_route_since: float | None = None
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (fuel, UTRN)
    captured_utrns: list[tuple[str, str]] = field(default_factory=list)  # (meter device, UTRN)
    captured_commands: list[tuple[str, bytes]] = field(default_factory=list)  # (meter device, wire)
    captured_relayed: list[bytes] = field(default_factory=list)
    outbox: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)  # requests waiting for the WAN
    jobs: dict[str, Job] = field(default_factory=dict)  # by PPMID device name
    joiners: dict[str, Joiner] = field(default_factory=dict)  # by PPMID device name
    power_ons: list[float] = field(default_factory=list)
    presses: list[float] = field(default_factory=list)
    spare: str | None = None  # device name reserved for the firmware_preauth spare
    spare_registered: bool = False
    waits_for_meters: str | None = None  # a PPMID whose local pairing waits for the meters to join the HAN
    hub_busy_until: float = -math.inf
    hub_busy_by_attacker: bool = False  # whose key establishment keeps the hub busy until hub_busy_until
    rogues: list[str] = field(default_factory=list)  # rogue EUIs (hex) that tried
    rogue_in: list[str] = field(default_factory=list)  # rogue EUIs that got in
    clones: list[str] = field(default_factory=list)  # EUIs a clone of the preauth spare presented
    pending: dict[str, float] = field(default_factory=dict)  # fuel -> time of the consumer's last top-up
    attacks: list[Attack] = field(default_factory=list)  # relay attacks (the relay consults them)
    hub_port: nodes.HubPort | None = None
    agenda: dict[int, Later] = field(default_factory=dict)
    agenda_seq: int = 0
    tick_at: float | None = None  # the meters' next tick (None: nothing is due)
    wake_at: float | None = None  # the GSME's next wake-up (None: nothing waits for it at the GPF)
    headend_k: dict[EUI64, int] = field(default_factory=dict)
    dcc_counter: int = 0
    dcc_request: int = 0
    dcc_device_log: tuple[tuple[EUI64, bytes], ...] = ()  # the hub's device log as the DCC last heard it

    @property
    def installed(self) -> bool:
        return self.installed_at is not None

    def load(self, other: Book) -> None:
        """Take every field of ``other`` (a snapshot's book) into this one."""
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(other, f.name))
