"""A premises' snapshot: everything it must not forget, as JSON-able data (no SMKI keys), written by
``persistence.StateCodec``, and the premises rebuilt from one (docs/emulator.md "Snapshot and restore").

What it holds: device states, the follow-ups the premises scheduled for itself (``Book.agenda``: joins
after a CCS01, retries, attack series, delayed or in-flight WAN and relay deliveries), the meters' next
tick and the GSME's next wake-up, the head-end's and DCC's counters, tallies, and the engine's clock and
RNG state. Taken between instants (as the runner does), it is complete: ``restore`` plus the story's
later steps replays the log byte for byte. Not included: the story's own steps (the restoring runner
schedules the later ones again) and work queued for later in the *current* instant, which is why it is
taken between instants. The result is read-only: unchanged devices' parts are shared with the next one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from smetslab.errors import InputError
from smetslab.premises.persistence import StateCodec

if TYPE_CHECKING:
    from smetslab.gbcs.keystore import Keystore
    from smetslab.premises.actors import DCC, SupplierHeadEnd
    from smetslab.premises.book import Book
    from smetslab.premises.config import SiteConfig
    from smetslab.premises.engine import Engine
    from smetslab.premises.site import Site

__all__ = ["SNAPSHOT_VERSION", "Snapshotter", "restore"]

SNAPSHOT_VERSION = 3
"""Format of ``Site.state_snapshot`` (3: the meter node and the HAN vocabulary moved to ``devices.nodes`` and
``devices.han``, and the book holds the next tick and wake-up; 2: written by ``persistence.StateCodec``;
1 was a private codec's)."""


class Snapshotter:
    """Takes a premises' snapshots, remembering each device state's encoding while the state is unchanged."""

    def __init__(self, config: SiteConfig, engine: Engine, book: Book, supplier: SupplierHeadEnd, dcc: DCC,
                 keystore: Keystore) -> None:
        self.config, self.engine, self.book, self.supplier, self.dcc = config, engine, book, supplier, dcc
        # Snapshots write the keystore as a named reference, never its keys.
        self.codec = StateCodec(refs={"keystore": keystore})
        self._encoded: dict[str, tuple[Any, Any]] = {}  # device -> (state, its encoding)

    def take(self) -> dict[str, Any]:
        b = self.book
        b.headend_k = dict(self.supplier.k)
        b.dcc_counter, b.dcc_request = self.dcc.counter, self.dcc.request
        b.dcc_device_log = self.dcc.device_log
        codec = self.codec
        devices = {}
        for name, actor in self.engine.devices.items():
            # A device state is a deeply immutable value that a step replaces when anything changes, so
            # an unchanged state (the same object) keeps its encoding from the last snapshot: the runner
            # snapshots every instant, and most instants change one or two devices.
            memo = self._encoded.get(name)
            if memo is None or memo[0] is not actor.state:
                memo = (actor.state, codec.encode(actor.state, f"devices.{name}"))
                self._encoded[name] = memo
            devices[name] = {"eui": None if actor.eui is None else str(actor.eui), "state": memo[1]}
        return {
            "version": SNAPSHOT_VERSION,
            "time": float(self.engine.now),
            "seed": self.config.seed,
            "options": self.config.options,
            "rng": codec.encode(_rng_state(self.engine.rng), "rng"),
            "devices": devices,
            "book": codec.encode(b, "book"),
        }


def restore(cls: type[Site], snap: dict[str, Any], config: SiteConfig) -> Site:
    """A premises of class ``cls`` rebuilt from a snapshot with ``config`` (the same seed and options).

    InputError for a snapshot of another format version, seed or options, or naming a device this
    premises does not have."""
    if not isinstance(snap, dict) or "version" not in snap:
        raise InputError("snapshot: not a premises snapshot")
    if snap["version"] != SNAPSHOT_VERSION:
        raise InputError(f"snapshot: format {snap['version']!r}, this version of smetslab reads format "
                         f"{SNAPSHOT_VERSION}; start the run again with a new state file")
    if snap.get("seed") != config.seed or snap.get("options") != config.options:
        raise InputError(f"snapshot: taken with seed {snap.get('seed')!r} and options {snap.get('options')!r}, "
                         f"restored with {config.seed!r} and {config.options!r}")
    site = cls(config, start=float(snap["time"]))
    codec = site.snapshots.codec
    book = codec.decode(snap["book"], "book")
    for name in book.ppmids:
        if name not in site.engine.devices:
            site.roster.add_ppmid_device(name)
    for name in book.hhts:
        if name not in site.engine.devices:
            site.roster.add_hht_device(name)
    for name, entry in snap["devices"].items():
        actor = site.engine.devices.get(name)
        if actor is None:
            raise InputError(f"snapshot: device {name!r} is not part of this premises")
        actor.state = codec.decode(entry["state"], f"devices.{name}")
    site.book.load(book)  # into the premises' one Book, which every collaborator holds
    for item in sorted(book.agenda.values(), key=lambda x: (x.at, x.priority, x.seq)):
        site.agenda.arm(item)  # the follow-ups the original had pending, in their original order
    if book.tick_at is not None:
        site.clock.arm("tick", book.tick_at)
    if book.wake_at is not None:
        site.clock.arm("wake", book.wake_at)
    site.supplier.k.update(book.headend_k)
    site.dcc.counter, site.dcc.request = book.dcc_counter, book.dcc_request
    site.dcc.device_log = book.dcc_device_log
    site.engine.rng.bit_generator.state = codec.decode(snap["rng"], "rng")
    return site


def _rng_state(rng: np.random.Generator) -> dict[str, Any]:
    state: dict[str, Any] = dict(rng.bit_generator.state)
    return state
