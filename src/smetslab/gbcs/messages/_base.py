"""The machinery every use-case message shares: header fields, protection profiles, build/read.

Theory of operation. A use-case message is a frozen dataclass of typed fields (``Message``
subclass). Its class carries one or more ``MessageSpec``: the GBCS message code, the CRA flag,
the protection profile, whether the other-information field carries a supplementary remote
party (the DCC Access Control Broker's variants) and whether the grouping header carries a
date-time. From these, ``build`` writes the general-signing APDU (``frames``), signs it with the
originator's DS key when the profile says so and MAC-wraps it (``security``: the key pair is
chosen by CRA and message code there). ``read`` does the reverse, strictly:

1. decode the frame (``CodecError`` for malformed bytes);
2. check it is the expected message: message code and CRA (``CodecError``), the protection
   layout of the profile (a missing MAC or signature is ``AuthenticationError``, an extra one a
   ``CodecError``), the other-information variant and the date-time presence (``CodecError``);
3. verify every protection it carries (``AuthenticationError``; ``KeyNotFoundError`` when a
   needed key is not in the keystore);
4. parse the content into fields and re-encode them: the payload must come back byte for byte
   (else ``CodecError``), so the typed fields describe the whole payload. Only the DLMS
   long-invoke-id and the ZCL sequence number are taken from the message as sent rather than
   from the fields: builders write ``invoke_id_for(counter)`` and sequence 0 (as RTDS does);
   readers accept any value, which the MAC or signature covers anyway.

``peek`` runs steps 1, 2 (without the protection check) and 4 but authenticates nothing: it is
for pre-commands, which carry no protection by design, and for display. Never act on it.

Authentication is not authorisation: ``read`` proves who sent a message (the originator's DS
key signed it; the ACB or the peer device MAC'd it). Whether that sender may give the command
(e.g. is it this meter's supplier?) is the device's decision.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass
from typing import Any, ClassVar, Self, TypeVar

from smetslab.errors import AuthenticationError, CodecError, InputError
from smetslab.gbcs import frames, security
from smetslab.gbcs.codes import message_name
from smetslab.gbcs.frames import CRA, GeneralCiphering, GeneralSigning, OtherInformation
from smetslab.gbcs.keystore import Keystore
from smetslab.gbcs.payloads.dlms import invoke_id_for
from smetslab.units import EUI64, parse_eui

__all__ = [
    "Protection",
    "Supplementary",
    "MessageSpec",
    "Message",
    "Echo",
    "Envelope",
    "DlmsDateTime",
    "zigbee_time",
    "from_zigbee_time",
    "build",
    "read",
    "peek",
    "envelope",
    "precommand",
    "complete_precommand",
    "registered",
]

_U64 = 1 << 64
_ZIGBEE_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


class Protection(enum.Enum):
    """How a message is protected on the wire (DOMAIN.md §2.2)."""

    MAC = "MAC"
    """general-ciphering wrapper with a 12-byte MAC; signature field ``00``."""
    SIGNED_MAC = "signed+MAC"
    """signed by the originator (DS key), then MAC-wrapped: critical commands."""
    SIGNED = "signed"
    """bare general-signing APDU signed by the originator: replies to critical commands, critical alerts."""


class Supplementary(enum.Enum):
    """Whether the other-information field names a supplementary remote party and its counter."""

    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


@dataclass(frozen=True, slots=True)
class MessageSpec:
    """What GBCS fixes for one use-case message (one message code and CRA flag)."""

    use_case: str
    message_code: int
    cra: CRA
    protection: Protection
    supplementary: Supplementary = Supplementary.NONE
    header_date_time: bool = False

    @property
    def name(self) -> str:
        """e.g. ``CS01a command (0x0007)``."""
        return f"{self.use_case} {self.cra.name.lower()} (0x{self.message_code:04X})"


@dataclass(frozen=True, slots=True)
class Echo:
    """Payload bytes a reader takes as sent rather than from the typed fields (see module docstring)."""

    invoke_id: int | None = None
    zcl_sequence: int = 0


# -- time stamps -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DlmsDateTime:
    """A 12-byte DLMS date-time, field by field, exactly as on the wire (lossless).

    ``day_of_week``/``clock_status`` 0xFF and ``deviation`` -0x8000 (wire ``8000``) mean "not
    specified", which is what RTDS writes; ``from_datetime`` uses those by default.
    """

    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    hundredths: int = 0
    day_of_week: int = 0xFF
    deviation: int = -0x8000
    clock_status: int = 0xFF

    NOT_SPECIFIED: ClassVar[int] = 0xFF
    DEVIATION_NOT_SPECIFIED: ClassVar[int] = -0x8000

    def __post_init__(self) -> None:
        if not isinstance(self.year, int) or not 0 <= self.year <= 0xFFFF:
            raise InputError(f"date-time year {self.year!r}: allowed 0..65535 (0xFFFF = not specified)")
        for name in ("month", "day", "hour", "minute", "second", "hundredths", "day_of_week", "clock_status"):
            v = getattr(self, name)
            if not isinstance(v, int) or not 0 <= v <= 0xFF:
                raise InputError(f"date-time {name} {v!r}: allowed 0..255 (0xFF = not specified)")
        if not isinstance(self.deviation, int) or not -0x8000 <= self.deviation <= 0x7FFF:
            raise InputError(f"date-time deviation {self.deviation!r}: allowed -32768..32767 minutes "
                             f"(-32768 = not specified)")

    def encode(self) -> bytes:
        return (self.year.to_bytes(2, "big")
                + bytes((self.month, self.day, self.day_of_week, self.hour, self.minute, self.second,
                         self.hundredths))
                + self.deviation.to_bytes(2, "big", signed=True) + bytes((self.clock_status,)))

    @classmethod
    def decode(cls, data: bytes) -> DlmsDateTime:
        """Any 12 bytes decode (fields are kept, not interpreted); CodecError for another length."""
        if len(data) != 12:
            raise CodecError(f"DLMS date-time of {len(data)} bytes: expected 12")
        return cls(int.from_bytes(data[0:2], "big"), data[2], data[3], data[5], data[6], data[7], data[8],
                   data[4], int.from_bytes(data[9:11], "big", signed=True), data[11])

    @classmethod
    def from_datetime(cls, when: datetime.datetime) -> DlmsDateTime:
        """A UTC instant, with day of week, deviation and clock status "not specified" (as RTDS writes).

        Raises InputError for a naive datetime (GBCS clocks run in UTC; a naive time is ambiguous).
        """
        if when.tzinfo is None:
            raise InputError(f"date-time {when.isoformat()}: expected a timezone-aware datetime (UTC)")
        u = when.astimezone(datetime.UTC)
        return cls(u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond // 10_000)

    def to_datetime(self) -> datetime.datetime:
        """The UTC instant. Raises InputError when a date or time field is "not specified"."""
        try:
            return datetime.datetime(self.year, self.month, self.day, self.hour, self.minute, self.second,
                                     self.hundredths * 10_000, tzinfo=datetime.UTC)
        except ValueError as exc:
            raise InputError(f"date-time {self.encode().hex().upper()}: not a fully specified instant "
                             f"({exc})") from None


def zigbee_time(when: datetime.datetime) -> int:
    """ZigBee UTC time: whole seconds since 2000-01-01T00:00Z (GBZ alerts, Select Emergency Credit)."""
    if when.tzinfo is None:
        raise InputError(f"time {when.isoformat()}: expected a timezone-aware datetime (UTC)")
    seconds = (when - _ZIGBEE_EPOCH) // datetime.timedelta(seconds=1)
    if not 0 <= seconds <= 0xFFFFFFFF:
        raise InputError(f"time {when.isoformat()}: outside the ZigBee UTC time range 2000..2136")
    return seconds


def from_zigbee_time(seconds: int) -> datetime.datetime:
    """The UTC instant of a ZigBee UTC time."""
    return _ZIGBEE_EPOCH + datetime.timedelta(seconds=seconds)


# -- the message base class -------------------------------------------------------------------------


def _check_u64(value: object, field: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < _U64:
        raise InputError(f"{field} {value!r}: expected an integer 0..2^64-1")


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """Header fields shared by every use-case message.

    ``originator``/``recipient`` are the grouping header's system titles; ``counter`` the
    originator counter (a response repeats its command's). ``supplementary_remote_party`` and
    its counter are set on messages the DCC's Access Control Broker sends for a user (the ACB is
    then the originator) and on the replies to them; which classes allow them is in the spec.
    """

    originator: EUI64
    recipient: EUI64
    counter: int
    supplementary_remote_party: EUI64 | None = None
    supplementary_remote_party_counter: int | None = None

    SPECS: ClassVar[tuple[MessageSpec, ...]] = ()

    def __post_init__(self) -> None:
        for name in ("originator", "recipient"):
            object.__setattr__(self, name, parse_eui(getattr(self, name), name))
        _check_u64(self.counter, "counter")
        party, party_counter = self.supplementary_remote_party, self.supplementary_remote_party_counter
        if (party is None) != (party_counter is None):
            raise InputError("supplementary_remote_party and supplementary_remote_party_counter: give both or "
                             "neither")
        if party is not None:
            object.__setattr__(self, "supplementary_remote_party", parse_eui(party, "supplementary_remote_party"))
            _check_u64(party_counter, "supplementary_remote_party_counter")
        spec = self.spec
        if spec.supplementary is Supplementary.REQUIRED and party is None:
            raise InputError(f"{spec.name}: needs supplementary_remote_party and its counter (the ACB sends it "
                             f"on a user's behalf)")
        if spec.supplementary is Supplementary.NONE and party is not None:
            raise InputError(f"{spec.name}: takes no supplementary remote party")
        self._check()

    # -- what subclasses provide ----------------------------------------------------------------
    @property
    def spec(self) -> MessageSpec:
        """The spec this instance is built to (a class may have several, e.g. critical or not)."""
        return self.SPECS[0]

    def _check(self) -> None:
        """Validate the use-case fields; raise InputError naming the field."""

    def _payload(self, echo: Echo) -> bytes:
        raise NotImplementedError

    @classmethod
    def _parse(cls, content: bytes, base: int, header: GeneralSigning) -> tuple[dict[str, Any], Echo]:
        """Fields (and echoed bytes) from a content; CodecError when it is not this use case's shape."""
        raise NotImplementedError

    def _header_date_time(self) -> DlmsDateTime | None:
        return None

    # -- helpers for subclasses ------------------------------------------------------------------
    def _invoke_id(self, echo: Echo) -> int:
        return invoke_id_for(self.counter) if echo.invoke_id is None else echo.invoke_id

    # -- public conveniences ----------------------------------------------------------------------
    def build(self, keystore: Keystore, *, acb: EUI64 | str | bytes = security.RTDS_ACB) -> bytes:
        """This message on the wire (see ``build``)."""
        return build(self, keystore, acb=acb)

    @classmethod
    def read(cls, wire: bytes, keystore: Keystore, *, acb: EUI64 | str | bytes = security.RTDS_ACB) -> Self:
        """Verify and decode ``wire`` as this use case (see ``read``)."""
        msg = read(wire, keystore, cls, acb=acb)
        assert isinstance(msg, cls)
        return msg

    @classmethod
    def replying_to(cls, command: Message, **fields: Any) -> Self:
        """This response to ``command``: titles swapped, same counter and supplementary remote party.

        Raises InputError when ``cls`` is not the response of ``command``'s use case.
        """
        mine = cls.SPECS[0]
        if mine.cra is not CRA.RESPONSE or command.spec.cra is not CRA.COMMAND \
                or mine.message_code != command.spec.message_code:
            raise InputError(f"{cls.__name__}: is not the response to a {command.spec.name}")
        return cls(originator=command.recipient, recipient=command.originator, counter=command.counter,
                   supplementary_remote_party=command.supplementary_remote_party,
                   supplementary_remote_party_counter=command.supplementary_remote_party_counter, **fields)


M = TypeVar("M", bound=Message)

_REGISTRY: dict[tuple[int, CRA], type[Message]] = {}


def registered(cls: type[M]) -> type[M]:
    """Class decorator: make ``read``/``peek`` without an expected class find this use case."""
    for spec in cls.SPECS:
        key = (spec.message_code, spec.cra)
        if key in _REGISTRY and _REGISTRY[key] is not cls:
            raise RuntimeError(f"{spec.name} registered twice")  # a programming error, not input
        _REGISTRY[key] = cls
    return cls


# -- building ------------------------------------------------------------------------------------------


def _apdu(message: Message, *, signature_field: bool = True) -> GeneralSigning:
    spec = message.spec
    when = message._header_date_time()
    oi = OtherInformation(spec.message_code, message.supplementary_remote_party,
                          message.supplementary_remote_party_counter)
    return GeneralSigning(spec.cra, message.counter, message.originator, message.recipient, oi,
                          message._payload(Echo()), None if when is None else when.encode(),
                          signature_field=signature_field)


def build(message: Message, keystore: Keystore, *, acb: EUI64 | str | bytes = security.RTDS_ACB) -> bytes:
    """The message on the wire: grouping header, payload, signature (when the profile says so: the
    originator's DS key) and MAC (general-ciphering: commands via the ACB's KA key, other messages
    between originator and recipient KA keys).

    Raises KeyNotFoundError when a needed private key is not in the keystore.
    """
    apdu = _apdu(message)
    protection = message.spec.protection
    if protection is not Protection.MAC:
        apdu = security.sign(apdu, keystore)
    if protection is Protection.SIGNED:
        return frames.encode(apdu)
    return security.mac_wrap_encoded(apdu, keystore, acb)


def precommand(message: Message) -> bytes:
    """The unsigned pre-command the DCC hands back for a critical command: the general-signing APDU
    with no signature field (as in RTDS). Sign it with ``complete_precommand`` (or
    ``security.sign_precommand``). Raises InputError for a message that is not signed+MAC'd.
    """
    if message.spec.protection is not Protection.SIGNED_MAC:
        raise InputError(f"{message.spec.name}: is not a critical command, so it has no pre-command")
    return frames.encode(_apdu(message, signature_field=False))


def complete_precommand(pre: bytes, keystore: Keystore, *, acb: EUI64 | str | bytes = security.RTDS_ACB) -> bytes:
    """Sign a pre-command with its originator's DS key (the user's step) and MAC-wrap it via the ACB
    (the DCC's step): the critical command on the wire. The pre-command must be one of the use cases
    here (checked as ``peek`` does). Raises CodecError, InputError or KeyNotFoundError.
    """
    message = peek(pre)
    if message.spec.protection is not Protection.SIGNED_MAC:
        raise InputError(f"pre-command: {message.spec.name} is not a critical command")
    signed = frames.decode(security.sign_precommand(pre, keystore))
    assert isinstance(signed, GeneralSigning)
    return frames.encode(security.mac_wrap(signed, keystore, acb))


# -- reading -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Envelope:
    """The unauthenticated header of a message, for routing (e.g. a hub forwarding by recipient)."""

    message_code: int
    name: str
    cra: CRA
    originator: EUI64
    recipient: EUI64
    counter: int
    supplementary_remote_party: EUI64 | None
    supplementary_remote_party_counter: int | None
    mac: bool
    signed: bool


def envelope(wire: bytes) -> Envelope:
    """Decode the header only, authenticating nothing. Raises CodecError for malformed bytes."""
    frame = frames.decode(wire)
    apdu = frames.apdu_of(frame)
    oi = apdu.other_information
    return Envelope(oi.message_code, message_name(oi.message_code), apdu.cra, apdu.originator, apdu.recipient,
                    apdu.originator_counter, oi.supplementary_remote_party_id, oi.supplementary_remote_party_counter,
                    isinstance(frame, GeneralCiphering), apdu.signature is not None)


Expect = type[Message] | tuple[type[Message], ...] | None


def _identify(frame: frames.Frame, expect: Expect) -> tuple[type[Message], MessageSpec]:
    apdu = frames.apdu_of(frame)
    code, cra = apdu.other_information.message_code, apdu.cra
    cls = _REGISTRY.get((code, cra))
    expected = (expect,) if isinstance(expect, type) else expect
    if expected is not None and (cls is None or not issubclass(cls, expected)):
        wanted = ", ".join(s.name for c in expected for s in c.SPECS)
        raise CodecError(f"message {message_name(code)} ({cra.name.lower()}): expected {wanted}")
    if cls is None:
        raise CodecError(f"message {message_name(code)} ({cra.name.lower()}): not a use case this module "
                         f"reads (see smetslab.gbcs.messages)")
    spec = next(s for s in cls.SPECS if s.message_code == code and s.cra is cra)
    return cls, spec


def _check_shape(frame: frames.Frame, spec: MessageSpec, *, authenticate: bool) -> None:
    apdu = frames.apdu_of(frame)
    wrapped, signed = isinstance(frame, GeneralCiphering), apdu.signature is not None
    p = spec.protection
    if authenticate:
        if p in (Protection.MAC, Protection.SIGNED_MAC) and not wrapped:
            raise AuthenticationError("message")       # a MAC GBCS requires is missing
        if p in (Protection.SIGNED, Protection.SIGNED_MAC) and not signed:
            raise AuthenticationError("message")       # a signature GBCS requires is missing
    if p is Protection.MAC and signed:
        raise CodecError(f"{spec.name}: carries a signature; GBCS sends it unsigned (signature field 00)")
    if p is Protection.SIGNED and wrapped:
        raise CodecError(f"{spec.name}: is MAC-wrapped; GBCS sends it as a bare signed general-signing APDU", 0)
    oi = apdu.other_information
    if oi.supplementary_originator_counter is not None or oi.ka_certificate is not None:
        raise CodecError(f"{spec.name}: other-information carries a supplementary originator counter or a "
                         f"certificate; this use case has neither")
    party = oi.supplementary_remote_party_id
    if party is not None and oi.supplementary_remote_party_counter is None:
        raise CodecError(f"{spec.name}: other-information names a supplementary remote party without its counter")
    if spec.supplementary is Supplementary.REQUIRED and party is None:
        raise CodecError(f"{spec.name}: other-information lacks the supplementary remote party (ACB variant)")
    if spec.supplementary is Supplementary.NONE and party is not None:
        raise CodecError(f"{spec.name}: other-information names a supplementary remote party; this use case "
                         f"takes none")
    if spec.header_date_time and apdu.date_time is None:
        raise CodecError(f"{spec.name}: grouping header lacks the date-time GBCS puts on this message")
    if not spec.header_date_time and apdu.date_time is not None:
        raise CodecError(f"{spec.name}: grouping header carries a date-time this message does not have")


def _decode_fields(cls: type[Message], spec: MessageSpec, apdu: GeneralSigning, base: int) -> Message:
    fields, echo = cls._parse(apdu.content, base, apdu)
    header: dict[str, Any] = {
        "originator": apdu.originator, "recipient": apdu.recipient, "counter": apdu.originator_counter,
        "supplementary_remote_party": apdu.other_information.supplementary_remote_party_id,
        "supplementary_remote_party_counter": apdu.other_information.supplementary_remote_party_counter,
    }
    if spec.header_date_time:
        assert apdu.date_time is not None
        header["date_time"] = DlmsDateTime.decode(apdu.date_time)
    try:
        message = cls(**header, **fields)
    except (InputError, ValueError, TypeError) as exc:
        raise CodecError(f"{spec.name}: payload holds a value the use case does not allow ({exc})", base) from None
    if message.spec != spec:
        raise CodecError(f"{spec.name}: payload does not match the message code", base)
    again = message._payload(echo)
    if again != apdu.content:
        at = next((i for i, (x, y) in enumerate(zip(again, apdu.content, strict=False)) if x != y),
                  min(len(again), len(apdu.content)))
        raise CodecError(f"{spec.name}: payload is not in the form this use case has", base + at)
    return message


def _content_offset(wire: bytes) -> tuple[frames.Frame, int]:
    frame, _apdu_start, content_end, _apdu_end = frames._decode(wire)
    return frame, content_end - len(frames.apdu_of(frame).content)


def _decoded(wire: bytes) -> tuple[tuple[frames.Frame, int, int, int], int]:
    """``frames._decode(wire)`` and the offset of the APDU's content (for error offsets)."""
    decoded = frames._decode(wire)
    frame, _apdu_start, content_end, _apdu_end = decoded
    return decoded, content_end - len(frames.apdu_of(frame).content)


def read(wire: bytes, keystore: Keystore, expect: Expect = None, *,
         acb: EUI64 | str | bytes = security.RTDS_ACB) -> Message:
    """Verify ``wire`` and decode it into the typed message of its use case.

    ``expect``: a Message class (or tuple of them) the message must be; None accepts any use case
    of this module. Raises CodecError (malformed, another use case, or not the layout GBCS gives
    this one), AuthenticationError (a MAC or signature missing or wrong) or KeyNotFoundError.
    """
    decoded, base = _decoded(wire)
    frame = decoded[0]
    cls, spec = _identify(frame, expect)
    _check_shape(frame, spec, authenticate=True)
    security.verify_decoded(wire, decoded, keystore, acb=acb)
    return _decode_fields(cls, spec, frames.apdu_of(frame), base)


def peek(wire: bytes, expect: Expect = None) -> Message:
    """Decode ``wire`` into its typed message WITHOUT authenticating it (pre-commands, display).

    Same checks as ``read`` except the MAC and signature. Never act on what it returns.
    """
    frame, base = _content_offset(wire)
    cls, spec = _identify(frame, expect)
    _check_shape(frame, spec, authenticate=False)
    return _decode_fields(cls, spec, frames.apdu_of(frame), base)
