"""Pure device state machines ``step(state, input, now) -> (state, events)``.

``chf`` (device log, historic log, joins and the local-join window), ``esme`` and ``gsme``
(prepayment meters, sharing ``prepayment``). Time is injected; refusals are events.
"""

from smetslab.devices import chf, esme, gsme, prepayment
from smetslab.devices._common import CS03_DEVICE_TYPE, Alert, DeviceType, TopUpRoute
from smetslab.devices._rules import CountedFailure, JoinWindowPolicy, TopUpAcceptance
from smetslab.devices._topup import Rejection, ZCLTopUpResult

__all__ = [
    "chf",
    "esme",
    "gsme",
    "prepayment",
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
