"""High-level, sans-I/O GBCS messages: one typed class per use-case message, built to and read from
wire bytes with the right CRA flag, counters, other-information, MAC and signature.

    wire = build(CS01aCommand(originator=supplier, recipient=esme, counter=c, utrn=code), keystore)
    cmd = read(wire, keystore, CS01aCommand)          # verified typed fields, or an exception
    reply = CS01aResponse.replying_to(cmd, date_time=DlmsDateTime.from_datetime(now), result=0)

``read`` raises CodecError (malformed, or not the expected use case), AuthenticationError (a MAC
or signature missing or wrong) or KeyNotFoundError. ``peek`` decodes without authenticating (pre-
commands, display); ``envelope`` gives the header for routing. See docs/messages.md for the
counters, who signs and who MACs with which key pair.
"""

from smetslab.gbcs.messages._base import (
    DlmsDateTime,
    Envelope,
    Message,
    MessageSpec,
    Protection,
    Supplementary,
    build,
    complete_precommand,
    envelope,
    from_zigbee_time,
    peek,
    precommand,
    read,
    zigbee_time,
)
from smetslab.gbcs.messages.alerts import (
    CREDIT_ADDED_LOCALLY,
    GENERIC_CRITICAL_ALERT,
    GENERIC_NON_CRITICAL_ALERT,
    PREPAYMENT_ALERT_CODES,
    DeviceAlert,
    alert_is_critical,
)
from smetslab.gbcs.messages.devicelog import (
    DEVICE_LOG_CHANGED,
    CCS01Command,
    CCS01Response,
    CCS02Command,
    CCS02Response,
    CCS03Command,
    CCS03Response,
    CCS07Command,
    CCS07Response,
    CS14Alert,
    DeviceLogBackup,
    DeviceLogEntry,
)
from smetslab.gbcs.messages.join import (
    CS03A1Command,
    CS03A1Response,
    CS03A2Command,
    CS03A2Response,
    CS03CCommand,
    CS03CResponse,
    CS04ACCommand,
    CS04ACResponse,
    CS07Command,
    CS07Response,
    JoinedDevice,
    certificate_eui,
    ka_certificate_der,
)
from smetslab.gbcs.messages.prepayment import (
    GSME_MONEY_SCALE,
    CS01aCommand,
    CS01aResponse,
    CS01bCommand,
    CS01bResponse,
    ECS09Command,
    ECS09Response,
    GCS06Command,
    GCS06Response,
    PCS01Command,
    PCS01Response,
    PCS02Command,
    PCS02Response,
)

__all__ = [
    # machinery
    "Message", "MessageSpec", "Protection", "Supplementary", "Envelope", "DlmsDateTime",
    "build", "read", "peek", "envelope", "precommand", "complete_precommand", "zigbee_time", "from_zigbee_time",
    # prepayment
    "CS01aCommand", "CS01aResponse", "CS01bCommand", "CS01bResponse", "PCS01Command", "PCS01Response",
    "PCS02Command", "PCS02Response", "ECS09Command", "ECS09Response", "GCS06Command", "GCS06Response",
    "GSME_MONEY_SCALE",
    # device log
    "CCS01Command", "CCS01Response", "CCS02Command", "CCS02Response", "CCS03Command", "CCS03Response",
    "CCS07Command", "CCS07Response", "CS14Alert", "DeviceLogEntry", "DeviceLogBackup", "DEVICE_LOG_CHANGED",
    # join
    "CS03A1Command", "CS03A1Response", "CS03A2Command", "CS03A2Response", "CS03CCommand", "CS03CResponse",
    "CS04ACCommand", "CS04ACResponse", "CS07Command", "CS07Response", "JoinedDevice", "ka_certificate_der",
    "certificate_eui",
    # alerts
    "DeviceAlert", "alert_is_critical", "CREDIT_ADDED_LOCALLY", "PREPAYMENT_ALERT_CODES",
    "GENERIC_CRITICAL_ALERT", "GENERIC_NON_CRITICAL_ALERT",
]
