"""Discrete-event premises emulator: virtual clock, deterministic event queue, event log, HAN, WAN.

Stories, the DCC and supplier actors, consumers and attackers build on ``engine`` (later increments).
"""

from smetslab.premises.engine import (
    AvailabilitySchedule,
    DeviceActor,
    Engine,
    EventLog,
    HANMedium,
    LogRecord,
    Priority,
    WANLink,
    event_fields,
)

__all__ = [
    "AvailabilitySchedule",
    "DeviceActor",
    "Engine",
    "EventLog",
    "HANMedium",
    "LogRecord",
    "Priority",
    "WANLink",
    "event_fields",
]
