"""CHF: the Comms Hub Function's device log, historic log and join control, as a pure state machine.

Theory of operation
-------------------
Only devices in the CHF **device log** may talk on the SM HAN (DOMAIN.md §3.1). The log changes by
DCC commands, here typed inputs (the premises decodes the real CCS01/CCS02/CCS07 bytes into them:
``devices.nodes.hub_receive``):

- ``AddDevice`` (CCS01): register EUI, device type, install code and join timeout. A device already
  logged is left alone (its key parameter ignored) and the command still succeeds. If the EUI is
  in the historic log, for the first half of the join timeout the hub accepts only the old TC link
  key; afterwards only the install-code key.
- ``RemoveDevice`` (CCS02): drop the entry; if it had a TC link key (and is not an HHT) save EUI +
  key hash in the **historic log** (15 entries, oldest overwritten).
- ``RestoreDeviceLog`` (CCS03): replace the log by (EUI, hashed TC link key) pairs and adopt the
  given Extended PAN ID.
- ``ReadDeviceLogs`` (CCS07): report both logs.

Every change of the device log (entry added or removed, hashed key changed, log restored) emits
``DeviceLogChanged`` - the CS14 alert (0x8F12) content: Extended PAN ID and (EUI, hashed key) pairs.

A device joins (``JoinRequest``) by presenting a link key: the one derived from its install code
(``smetslab.zigbee.link_key``, CRC-16/X-25 + AES-MMO), or, to re-join, the TC link key it got when
it first joined. The hub stores only hashes of TC link keys (AES-MMO of the key, our stand-in for
the unpublished GBCS hash, DOMAIN.md open question 5); the TC link key itself stands in for the
CBKE result and is derived deterministically from the install-code key, the EUI and a join number.

A **local join** (``LocalJoinRequest``: an HHT over inter-PAN CBKE, or a PPMID under an option that
allows it) is not prepared by the DCC. The hub admits it only when its join-window policy
(``CHFConfig.join_policy``, integration point with ``smetslab.policy``) says a window is open for
that device type at ``now``, given the last power-on, the last hub-button press and whether the
device was pre-registered (``PreauthoriseDevice``, the ``firmware_preauth`` option), and the device
holds a valid CBKE certificate; the hub then logs the device itself. Under ``baseline`` that means
an HHT within 60 minutes of power-on (DOMAIN.md §3.6).

The state enum is ``CHFPower`` (ON, OFF). ``TRANSITIONS`` maps (power, input type) to a handler;
an input with no entry (anything but power-on while OFF, power-on while ON) is ignored with an
``InputIgnored`` event. The device log lives in non-volatile memory: it survives power cycles.
The device log never holds more than ``CHFConfig.device_log_capacity`` entries.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from smetslab.devices._rules import JoinWindowPolicy
from smetslab.devices.han import DeviceType
from smetslab.errors import InputError
from smetslab.units import EUI64, SimTime
from smetslab.zigbee import aes_mmo_hash
from smetslab.zigbee import link_key as zigbee_link_key

__all__ = [
    "CHFPower",
    "JoinStatus",
    "AddedBy",
    "JoinRefusal",
    "LocalJoinPolicy",
    "DeviceLogEntry",
    "HistoricEntry",
    "CHFConfig",
    "CHFState",
    "new_chf",
    "install_code_link_key",
    "tc_link_key_hash",
    "is_joined",
    "is_powered",
    "local_join_window_open",
    # inputs
    "AddDevice",
    "RemoveDevice",
    "RestoreDeviceLog",
    "ReadDeviceLogs",
    "PreauthoriseDevice",
    "JoinRequest",
    "LocalJoinRequest",
    "PowerOff",
    "PowerOn",
    "PowerCycle",
    "PressHubButton",
    "CHFInput",
    # events
    "DeviceAdded",
    "DeviceAlreadyLogged",
    "DeviceAddRefused",
    "DevicePreauthorised",
    "DeviceRemoved",
    "DeviceRemoveRefused",
    "DeviceLogRestored",
    "DeviceLogRestoreRefused",
    "DeviceLogsRead",
    "DeviceLogChanged",
    "DeviceJoined",
    "JoinRefused",
    "LocalJoinRefused",
    "PoweredOff",
    "PoweredOn",
    "HubButtonPressed",
    "InputIgnored",
    "TRANSITIONS",
    "step",
]

DEFAULT_DEVICE_LOG_CAPACITY = 16  # assumption: no source for the CHF log size was found
HISTORIC_LOG_CAPACITY = 15  # DOMAIN.md §3.1 (S: mapping-table text)
_INSTALL_CODE_LENGTHS = (6, 8, 12, 16)


class CHFPower(enum.Enum):
    ON = "ON"
    OFF = "OFF"


class JoinStatus(enum.Enum):
    AWAITING_JOIN = "AWAITING_JOIN"  # logged, no TC link key yet
    JOINED = "JOINED"


class AddedBy(enum.Enum):
    DCC = "DCC"  # CCS01
    LOCAL = "LOCAL"  # a local join admitted by the join-window policy
    RESTORE = "RESTORE"  # CCS03


class JoinRefusal(enum.Enum):
    NOT_IN_DEVICE_LOG = "NOT_IN_DEVICE_LOG"
    JOIN_TIMEOUT_EXPIRED = "JOIN_TIMEOUT_EXPIRED"
    BAD_LINK_KEY = "BAD_LINK_KEY"
    WINDOW_CLOSED = "WINDOW_CLOSED"  # local join outside any permitted window
    CBKE_FAILED = "CBKE_FAILED"  # local joiner's certificate not trusted
    DEVICE_LOG_FULL = "DEVICE_LOG_FULL"  # join response 4
    ALREADY_LOGGED = "ALREADY_LOGGED"  # local join of an EUI already in the log (join response 3)
    INVALID_INSTALL_CODE = "INVALID_INSTALL_CODE"


class LocalJoinPolicy(Protocol):
    """The join-window hook: may the hub admit a local join of ``device_type`` at ``now``?"""

    def local_join_permitted(self, device_type: DeviceType, now: float, powered_on_at: float,
                             button_pressed_at: float | None, preregistered: bool = False) -> bool: ...


# --------------------------------------------------------------------------------------------------
# Keys (the integration point with smetslab.zigbee)
# --------------------------------------------------------------------------------------------------


def install_code_link_key(install_code: bytes) -> bytes:
    """The ZigBee link key a device derives from its install code (no CRC; 6/8/12/16 bytes).

    Raises InputError for a bad length (``smetslab.zigbee`` does the CRC-16/X-25 and AES-MMO).
    """
    return zigbee_link_key(install_code, with_crc=False)


def tc_link_key_hash(tc_link_key: bytes) -> bytes:
    """What the hub stores and reports (CS14/CCS07) for a TC link key: its AES-MMO hash (our choice)."""
    return aes_mmo_hash(tc_link_key)


def _derive_tc_link_key(link_key: bytes, eui: EUI64, join_number: int) -> bytes:
    # Stand-in for the CBKE outcome: a per-join key both ends can compute, never the install-code key.
    return aes_mmo_hash(b"smetslab-cbke" + link_key + bytes(eui) + join_number.to_bytes(4, "big"))


# --------------------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceLogEntry:
    eui: EUI64
    device_type: DeviceType | None  # None for an entry restored by CCS03 (which carries no type)
    install_code: bytes | None
    join_timeout_s: float
    added_at: float
    added_by: AddedBy
    status: JoinStatus = JoinStatus.AWAITING_JOIN
    tc_link_key_hash: bytes | None = None
    historic_key_hash: bytes | None = None  # from the historic log when CCS01 re-added this EUI


@dataclass(frozen=True, slots=True)
class HistoricEntry:
    eui: EUI64
    tc_link_key_hash: bytes


@dataclass(frozen=True, slots=True)
class CHFConfig:
    """Fixed properties of a hub: its EUI (also the default Extended PAN ID), log sizes, join policy."""

    eui: EUI64
    device_log_capacity: int = DEFAULT_DEVICE_LOG_CAPACITY
    historic_log_capacity: int = HISTORIC_LOG_CAPACITY
    join_policy: LocalJoinPolicy = field(default_factory=JoinWindowPolicy)

    def __post_init__(self) -> None:
        if self.device_log_capacity < 1:
            raise InputError(f"device_log_capacity {self.device_log_capacity}: must be >= 1")
        if self.historic_log_capacity < 0:
            raise InputError(f"historic_log_capacity {self.historic_log_capacity}: must be >= 0")


@dataclass(frozen=True, slots=True)
class CHFState:
    config: CHFConfig
    power: CHFPower
    powered_on_at: float
    extended_pan_id: EUI64
    button_pressed_at: float | None = None
    device_log: tuple[DeviceLogEntry, ...] = ()
    historic_log: tuple[HistoricEntry, ...] = ()  # oldest first
    joining_enabled: bool = False
    joins: int = 0  # successful joins so far (numbers the TC link keys)
    preauthorised: tuple[tuple[EUI64, bytes], ...] = ()  # firmware_preauth: (EUI, install code)

    def entry(self, eui: EUI64) -> DeviceLogEntry | None:
        for e in self.device_log:
            if e.eui == eui:
                return e
        return None

    def historic(self, eui: EUI64) -> HistoricEntry | None:
        for h in self.historic_log:
            if h.eui == eui:
                return h
        return None


def new_chf(config: CHFConfig, *, now: float = 0.0) -> CHFState:
    """A hub just powered on at ``now`` with empty logs (its inter-PAN window opens now)."""
    return CHFState(config=config, power=CHFPower.ON, powered_on_at=float(now), extended_pan_id=config.eui)


def is_joined(state: CHFState, eui: EUI64) -> bool:
    """True if ``eui`` is the hub itself or a device the log shows as joined."""
    if eui == state.config.eui:
        return True
    e = state.entry(eui)
    return e is not None and e.status is JoinStatus.JOINED


def is_powered(state: CHFState) -> bool:
    return state.power is CHFPower.ON


def local_join_window_open(state: CHFState, device_type: DeviceType, now: float,
                           preregistered: bool = False) -> bool:
    """True if the join-window policy would admit a local join of ``device_type`` at ``now``."""
    return state.power is CHFPower.ON and state.config.join_policy.local_join_permitted(
        device_type, now, state.powered_on_at, state.button_pressed_at, preregistered)


# --------------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddDevice:
    """CCS01: add a device to the CHF device log. ``join_timeout_s`` in seconds (RTDS sends 90,
    unit uncertain - read as minutes by the codec, DOMAIN.md open question 4)."""

    eui: EUI64
    device_type: DeviceType
    install_code: bytes
    join_timeout_s: float


@dataclass(frozen=True, slots=True)
class RemoveDevice:
    """CCS02: remove a device from the CHF device log."""

    eui: EUI64


@dataclass(frozen=True, slots=True)
class RestoreDeviceLog:
    """CCS03: replace the device log; ``entries`` are (EUI, hashed TC link key or None)."""

    extended_pan_id: EUI64
    entries: tuple[tuple[EUI64, bytes | None], ...]


@dataclass(frozen=True, slots=True)
class ReadDeviceLogs:
    """CCS07: read the device log and the historic log."""


@dataclass(frozen=True, slots=True)
class PreauthoriseDevice:
    """``firmware_preauth``: while the WAN is up the supplier pre-registers a spare PPMID's EUI and
    install code, so it may later join locally without the WAN (no join timeout)."""

    eui: EUI64
    install_code: bytes


@dataclass(frozen=True, slots=True)
class JoinRequest:
    """A logged device joins (install-code key) or re-joins (its TC link key), presenting ``link_key``."""

    eui: EUI64
    link_key: bytes


@dataclass(frozen=True, slots=True)
class LocalJoinRequest:
    """A join not prepared by the DCC: inter-PAN CBKE with the hub, then the joiner hands over its
    EUI and install code. ``cbke_certificate_valid`` is whether its ZigBee CBKE certificate chains
    to the trusted CA (an attacker may or may not hold one)."""

    eui: EUI64
    device_type: DeviceType
    install_code: bytes
    cbke_certificate_valid: bool = True


@dataclass(frozen=True, slots=True)
class PowerOff:
    pass


@dataclass(frozen=True, slots=True)
class PowerOn:
    pass


@dataclass(frozen=True, slots=True)
class PowerCycle:
    """Off and straight back on (the consumer pulls the plug): reopens the power-on window."""


@dataclass(frozen=True, slots=True)
class PressHubButton:
    """The ``hub_button`` option's button (ignored by the policy unless that option is in force)."""


CHFInput = (AddDevice | RemoveDevice | RestoreDeviceLog | ReadDeviceLogs | PreauthoriseDevice | JoinRequest
            | LocalJoinRequest | PowerOff | PowerOn | PowerCycle | PressHubButton)


# --------------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceAdded:
    eui: EUI64
    device_type: DeviceType
    added_by: AddedBy
    historic_key_pending: bool  # the old TC link key is accepted for the first half of the timeout


@dataclass(frozen=True, slots=True)
class DeviceAlreadyLogged:
    """CCS01 for a logged device: success, key parameter ignored, nothing changed."""

    eui: EUI64


@dataclass(frozen=True, slots=True)
class DeviceAddRefused:
    eui: EUI64
    reason: JoinRefusal


@dataclass(frozen=True, slots=True)
class DevicePreauthorised:
    eui: EUI64


@dataclass(frozen=True, slots=True)
class DeviceRemoved:
    eui: EUI64
    saved_to_historic_log: bool


@dataclass(frozen=True, slots=True)
class DeviceRemoveRefused:
    eui: EUI64
    reason: JoinRefusal


@dataclass(frozen=True, slots=True)
class DeviceLogRestored:
    extended_pan_id: EUI64
    entries: int


@dataclass(frozen=True, slots=True)
class DeviceLogRestoreRefused:
    entries: int
    capacity: int


@dataclass(frozen=True, slots=True)
class DeviceLogsRead:
    """CCS07 response: both logs as (EUI, hashed TC link key or None)."""

    extended_pan_id: EUI64
    device_log: tuple[tuple[EUI64, bytes | None], ...]
    historic_log: tuple[tuple[EUI64, bytes], ...]


@dataclass(frozen=True, slots=True)
class DeviceLogChanged:
    """CS14 "Device Addition To / Removal From HAN Whitelist" alert (0x8F12) content."""

    extended_pan_id: EUI64
    entries: tuple[tuple[EUI64, bytes | None], ...]
    alert_code: int = 0x8F12


@dataclass(frozen=True, slots=True)
class DeviceJoined:
    eui: EUI64
    device_type: DeviceType | None
    via: str  # INSTALL_CODE, HISTORIC_KEY, REJOIN, LOCAL
    tc_link_key: bytes | None  # handed to the device (None when re-using a key it already holds)


@dataclass(frozen=True, slots=True)
class JoinRefused:
    eui: EUI64
    reason: JoinRefusal


@dataclass(frozen=True, slots=True)
class LocalJoinRefused:
    eui: EUI64
    device_type: DeviceType
    reason: JoinRefusal


@dataclass(frozen=True, slots=True)
class PoweredOff:
    pass


@dataclass(frozen=True, slots=True)
class PoweredOn:
    powered_on_at: float


@dataclass(frozen=True, slots=True)
class HubButtonPressed:
    pass


@dataclass(frozen=True, slots=True)
class InputIgnored:
    input: str
    power: CHFPower


CHFEvent = Any  # any of the event classes above


# --------------------------------------------------------------------------------------------------
# Handlers
# --------------------------------------------------------------------------------------------------


def _cs14(state: CHFState) -> DeviceLogChanged:
    return DeviceLogChanged(state.extended_pan_id, tuple((e.eui, e.tc_link_key_hash) for e in state.device_log))


def _valid_install_code(code: bytes) -> bool:
    return len(code) in _INSTALL_CODE_LENGTHS


def _add(state: CHFState, cmd: AddDevice, now: float) -> tuple[CHFState, list[CHFEvent]]:
    if state.entry(cmd.eui) is not None:
        return state, [DeviceAlreadyLogged(cmd.eui)]
    if not _valid_install_code(cmd.install_code):
        return state, [DeviceAddRefused(cmd.eui, JoinRefusal.INVALID_INSTALL_CODE)]
    if len(state.device_log) >= state.config.device_log_capacity:
        return state, [DeviceAddRefused(cmd.eui, JoinRefusal.DEVICE_LOG_FULL)]
    hist = state.historic(cmd.eui)
    entry = DeviceLogEntry(cmd.eui, cmd.device_type, bytes(cmd.install_code), float(cmd.join_timeout_s),
                           now, AddedBy.DCC, historic_key_hash=None if hist is None else hist.tc_link_key_hash)
    state = replace(state, device_log=state.device_log + (entry,), joining_enabled=True)
    return state, [DeviceAdded(cmd.eui, cmd.device_type, AddedBy.DCC, hist is not None), _cs14(state)]


def _remove(state: CHFState, cmd: RemoveDevice, now: float) -> tuple[CHFState, list[CHFEvent]]:
    entry = state.entry(cmd.eui)
    if entry is None:
        return state, [DeviceRemoveRefused(cmd.eui, JoinRefusal.NOT_IN_DEVICE_LOG)]
    log = tuple(e for e in state.device_log if e.eui != cmd.eui)
    historic = state.historic_log
    # Not for HHTs (DOMAIN.md §3.1); a GPF never has a TC link key.
    save = entry.tc_link_key_hash is not None and entry.device_type not in (DeviceType.HHT, DeviceType.GPF)
    if save and state.config.historic_log_capacity > 0:
        assert entry.tc_link_key_hash is not None
        historic = tuple(h for h in historic if h.eui != cmd.eui) + (HistoricEntry(cmd.eui, entry.tc_link_key_hash),)
        historic = historic[-state.config.historic_log_capacity:]  # oldest overwritten
    else:
        save = False
    state = replace(state, device_log=log, historic_log=historic)
    return state, [DeviceRemoved(cmd.eui, save), _cs14(state)]


def _restore(state: CHFState, cmd: RestoreDeviceLog, now: float) -> tuple[CHFState, list[CHFEvent]]:
    euis = [eui for eui, _ in cmd.entries]
    if len(set(euis)) != len(euis) or len(euis) > state.config.device_log_capacity:
        return state, [DeviceLogRestoreRefused(len(euis), state.config.device_log_capacity)]
    log = tuple(
        DeviceLogEntry(eui, None, None, 0.0, now, AddedBy.RESTORE,
                       JoinStatus.JOINED if key else JoinStatus.AWAITING_JOIN, key or None)
        for eui, key in cmd.entries)
    state = replace(state, device_log=log, extended_pan_id=cmd.extended_pan_id)
    return state, [DeviceLogRestored(cmd.extended_pan_id, len(log)), _cs14(state)]


def _read(state: CHFState, cmd: ReadDeviceLogs, now: float) -> tuple[CHFState, list[CHFEvent]]:
    return state, [DeviceLogsRead(state.extended_pan_id,
                                  tuple((e.eui, e.tc_link_key_hash) for e in state.device_log),
                                  tuple((h.eui, h.tc_link_key_hash) for h in state.historic_log))]


def _with_entry(state: CHFState, entry: DeviceLogEntry) -> CHFState:
    return replace(state, device_log=tuple(entry if e.eui == entry.eui else e for e in state.device_log))


def _join(state: CHFState, cmd: JoinRequest, now: float) -> tuple[CHFState, list[CHFEvent]]:
    entry = state.entry(cmd.eui)
    if entry is None:
        return state, [JoinRefused(cmd.eui, JoinRefusal.NOT_IN_DEVICE_LOG)]
    presented = tc_link_key_hash(cmd.link_key)
    if entry.tc_link_key_hash is not None and presented == entry.tc_link_key_hash:
        return state, [DeviceJoined(cmd.eui, entry.device_type, "REJOIN", None)]
    if entry.status is JoinStatus.JOINED:
        return state, [JoinRefused(cmd.eui, JoinRefusal.BAD_LINK_KEY)]  # install code is spent once joined
    if now >= entry.added_at + entry.join_timeout_s:
        return state, [JoinRefused(cmd.eui, JoinRefusal.JOIN_TIMEOUT_EXPIRED)]
    if entry.historic_key_hash is not None and now < entry.added_at + entry.join_timeout_s / 2:
        # First half of the timeout: only the old TC link key (DOMAIN.md §3.1).
        if presented != entry.historic_key_hash:
            return state, [JoinRefused(cmd.eui, JoinRefusal.BAD_LINK_KEY)]
        entry = replace(entry, status=JoinStatus.JOINED, tc_link_key_hash=presented, historic_key_hash=None)
        state = replace(_with_entry(state, entry), joins=state.joins + 1,
                        historic_log=tuple(h for h in state.historic_log if h.eui != cmd.eui))
        return state, [DeviceJoined(cmd.eui, entry.device_type, "HISTORIC_KEY", None), _cs14(state)]
    if entry.install_code is None or cmd.link_key != install_code_link_key(entry.install_code):
        return state, [JoinRefused(cmd.eui, JoinRefusal.BAD_LINK_KEY)]
    tc_key = _derive_tc_link_key(cmd.link_key, cmd.eui, state.joins + 1)
    entry = replace(entry, status=JoinStatus.JOINED, tc_link_key_hash=tc_link_key_hash(tc_key),
                    historic_key_hash=None)
    state = replace(_with_entry(state, entry), joins=state.joins + 1)
    return state, [DeviceJoined(cmd.eui, entry.device_type, "INSTALL_CODE", tc_key), _cs14(state)]


def _local_join(state: CHFState, cmd: LocalJoinRequest, now: float) -> tuple[CHFState, list[CHFEvent]]:
    def refuse(reason: JoinRefusal) -> tuple[CHFState, list[CHFEvent]]:
        return state, [LocalJoinRefused(cmd.eui, cmd.device_type, reason)]

    preregistered = (cmd.eui, bytes(cmd.install_code)) in state.preauthorised
    if not local_join_window_open(state, cmd.device_type, now, preregistered):
        return refuse(JoinRefusal.WINDOW_CLOSED)
    if not cmd.cbke_certificate_valid:
        return refuse(JoinRefusal.CBKE_FAILED)
    if state.entry(cmd.eui) is not None:
        return refuse(JoinRefusal.ALREADY_LOGGED)
    if not _valid_install_code(cmd.install_code):
        return refuse(JoinRefusal.INVALID_INSTALL_CODE)
    if len(state.device_log) >= state.config.device_log_capacity:
        return refuse(JoinRefusal.DEVICE_LOG_FULL)
    link_key = install_code_link_key(cmd.install_code)
    tc_key = _derive_tc_link_key(link_key, cmd.eui, state.joins + 1)
    entry = DeviceLogEntry(cmd.eui, cmd.device_type, bytes(cmd.install_code), 0.0, now, AddedBy.LOCAL,
                           JoinStatus.JOINED, tc_link_key_hash(tc_key))
    state = replace(state, device_log=state.device_log + (entry,), joins=state.joins + 1,
                    preauthorised=tuple(p for p in state.preauthorised if p[0] != cmd.eui))
    return state, [DeviceAdded(cmd.eui, cmd.device_type, AddedBy.LOCAL, False),
                   DeviceJoined(cmd.eui, cmd.device_type, "LOCAL", tc_key), _cs14(state)]


def _preauthorise(state: CHFState, cmd: PreauthoriseDevice, now: float) -> tuple[CHFState, list[CHFEvent]]:
    if not _valid_install_code(cmd.install_code):
        return state, [DeviceAddRefused(cmd.eui, JoinRefusal.INVALID_INSTALL_CODE)]
    kept = tuple(p for p in state.preauthorised if p[0] != cmd.eui)
    return replace(state, preauthorised=kept + ((cmd.eui, bytes(cmd.install_code)),)), [DevicePreauthorised(cmd.eui)]


def _power_off(state: CHFState, cmd: PowerOff, now: float) -> tuple[CHFState, list[CHFEvent]]:
    return replace(state, power=CHFPower.OFF), [PoweredOff()]


def _power_on(state: CHFState, cmd: PowerOn | PowerCycle, now: float) -> tuple[CHFState, list[CHFEvent]]:
    return replace(state, power=CHFPower.ON, powered_on_at=float(now)), [PoweredOn(float(now))]


def _power_cycle(state: CHFState, cmd: PowerCycle, now: float) -> tuple[CHFState, list[CHFEvent]]:
    state, off = _power_off(state, PowerOff(), now)
    state, on = _power_on(state, cmd, now)
    return state, off + on


def _button(state: CHFState, cmd: PressHubButton, now: float) -> tuple[CHFState, list[CHFEvent]]:
    return replace(state, button_pressed_at=float(now)), [HubButtonPressed()]


_Handler = Callable[[CHFState, Any, float], tuple[CHFState, list[CHFEvent]]]

TRANSITIONS: dict[tuple[CHFPower, type], _Handler] = {
    (CHFPower.ON, AddDevice): _add,
    (CHFPower.ON, RemoveDevice): _remove,
    (CHFPower.ON, RestoreDeviceLog): _restore,
    (CHFPower.ON, ReadDeviceLogs): _read,
    (CHFPower.ON, PreauthoriseDevice): _preauthorise,
    (CHFPower.ON, JoinRequest): _join,
    (CHFPower.ON, LocalJoinRequest): _local_join,
    (CHFPower.ON, PressHubButton): _button,
    (CHFPower.ON, PowerOff): _power_off,
    (CHFPower.ON, PowerCycle): _power_cycle,
    (CHFPower.OFF, PowerOn): _power_on,
    (CHFPower.OFF, PowerCycle): _power_on,  # already off: the cycle's "on" half
}
"""(power state, input type) -> handler. Missing pairs are ignored (``InputIgnored``)."""

_INPUT_TYPES = frozenset({AddDevice, RemoveDevice, RestoreDeviceLog, ReadDeviceLogs, PreauthoriseDevice, JoinRequest,
                          LocalJoinRequest, PowerOff, PowerOn, PowerCycle, PressHubButton})


def step(state: CHFState, value: CHFInput | Any, now: SimTime) -> tuple[CHFState, Sequence[CHFEvent]]:
    """One CHF transition."""
    if type(value) not in _INPUT_TYPES:
        raise TypeError(f"CHF has no input {type(value).__name__}")
    handler = TRANSITIONS.get((state.power, type(value)))
    if handler is None:
        return state, [InputIgnored(type(value).__name__, state.power)]
    return handler(state, value, float(now))
