"""Discrete-event premises emulator: virtual clock, deterministic event queue, event log, HAN, WAN
(``engine``); a whole premises with its DCC, supplier, consumer and attackers (``site``); the meters'
and hub's GBCS layer (``nodes``).
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
from smetslab.premises.site import COUNTER_NAMES, Site, SiteConfig

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
    "Site",
    "SiteConfig",
    "COUNTER_NAMES",
]
