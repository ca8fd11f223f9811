"""Pure device state machines ``step(state, input, now) -> (state, events)``.

``chf`` (device log, historic log, joins and the local-join window), ``esme`` and ``gsme``
(prepayment meters, sharing ``prepayment``), ``ppmid``, ``ihd``, ``hht`` and ``gpf``, with the HAN
frames they exchange. Time is injected; refusals are events.
"""

from smetslab.devices import chf, esme, gpf, gsme, hht, ihd, ppmid, prepayment
from smetslab.devices._rules import CountedFailure, JoinWindowPolicy, TopUpAcceptance
from smetslab.devices._topup import Rejection, ZCLTopUpResult
from smetslab.devices.han import (
    CS03_DEVICE_TYPE,
    Alert,
    CommandRefusal,
    DeviceType,
    Fuel,
    GBCSFrame,
    GBCSOut,
    HANFrameOut,
    HANJoined,
    LocalPairing,
    MeterReport,
    ReplayRule,
    TopUpRoute,
    Via,
)

__all__ = [
    "chf",
    "esme",
    "gsme",
    "prepayment",
    "ppmid",
    "ihd",
    "hht",
    "gpf",
    "Fuel",
    "Via",
    "GBCSFrame",
    "GBCSOut",
    "HANFrameOut",
    "HANJoined",
    "LocalPairing",
    "MeterReport",
    "CommandRefusal",
    "ReplayRule",
    "Alert",
    "CS03_DEVICE_TYPE",
    "DeviceType",
    "TopUpRoute",
    "JoinWindowPolicy",
    "CountedFailure",
    "TopUpAcceptance",
    "Rejection",
    "ZCLTopUpResult",
]
