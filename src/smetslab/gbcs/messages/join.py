"""HAN join use cases (DOMAIN.md §3.5): CS03A1 / CS03A2 / CS03C join, CS04AC unjoin, CS07 read
device join details, and their responses. Payloads are DER.

Two variants share each join/unjoin message code:

- critical (SR 8.7.1 / 8.8.1): the supplier originates and signs; MAC'd via the ACB; no
  supplementary remote party (e.g. CS03A1 to the ESME, CS03C to the GSME, CS03A2 to an HCALCS);
- DCC "non-critical" (SR 8.7.2 / 8.8.2, to a PPMID): the ACB originates and signs it, naming the
  requesting supplier and its counter as the supplementary remote party; MAC'd via the ACB.

Either way the device signs its reply with its DS key (bare general-signing, no MAC wrapper),
repeating the supplementary remote party when there was one. Method C (CS03C) carries the other
device's KA certificate (DER) at the end of the join payload; it may be missing (RTDS has such a
command, answered with 11 "invalid or missing certificate"), so ``certificate`` is optional here
and checking it against ``other_device`` is the joining device's job (``certificate_eui`` helps).

CS07 is non-critical both ways: the supplier may send it directly, or the ACB on its behalf; the
reply is MAC'd between the device's KA key and the requester's.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, ClassVar

from smetslab.errors import CodecError, InputError
from smetslab.gbcs import crypto
from smetslab.gbcs.codes import DeviceType, JoinMethodRole
from smetslab.gbcs.frames import CRA, GeneralSigning
from smetslab.gbcs.keystore import Keystore, KeyUsage
from smetslab.gbcs.messages._base import Echo, Message, MessageSpec, Protection, Supplementary, registered
from smetslab.gbcs.messages._payload import check_range
from smetslab.gbcs.payloads.der import (
    JoinCommand,
    JoinedDevice,
    JoinResponse,
    ReadJoinDetailsCommand,
    ReadJoinDetailsResponse,
    UnjoinCommand,
    UnjoinResponse,
    decode_der,
    decode_join_command,
    decode_join_response,
    decode_read_join_details_command,
    decode_read_join_details_response,
    decode_unjoin_command,
    decode_unjoin_response,
    encode_typed_der,
)
from smetslab.units import EUI64, parse_eui

__all__ = [
    "CS03A1Command",
    "CS03A1Response",
    "CS03A2Command",
    "CS03A2Response",
    "CS03CCommand",
    "CS03CResponse",
    "CS04ACCommand",
    "CS04ACResponse",
    "CS07Command",
    "CS07Response",
    "JoinedDevice",
    "ka_certificate_der",
    "certificate_eui",
]

_OPTIONAL = Supplementary.OPTIONAL
_INT32 = (-(1 << 31), (1 << 31) - 1)


def ka_certificate_der(keystore: Keystore, eui: EUI64 | str) -> bytes:
    """The DER of ``eui``'s KA certificate, as CS03C carries it. Raises KeyNotFoundError when the
    keystore has no certificate for it (a bare public key is not enough: Method C sends a certificate).
    """
    who = parse_eui(eui, "eui")
    cert = keystore.certificate(who, KeyUsage.KA)
    if cert is None:
        raise InputError(f"{who}: the keystore holds a bare KA public key, not a certificate; Method C needs "
                         f"the device's KA certificate")
    pem = crypto.certificate_pem(cert).decode("ascii")
    body = "".join(line for line in pem.splitlines() if line and not line.startswith("-----"))
    return base64.b64decode(body)


def certificate_eui(der: bytes) -> EUI64 | None:
    """The EUI a device certificate names (SubjectAltName hardwareModuleName), or None when ``der`` is
    not a certificate or names none. For a joining device comparing it with ``other_device``."""
    try:
        _public, cert = crypto.load_public_der(der, "certificate")
    except InputError:
        return None
    if cert is None:
        return None
    facts = crypto.certificate_facts(cert)
    return None if facts.eui is None else EUI64(facts.eui)


# -- DER bodies shared by the join and unjoin use cases ---------------------------------------------------
# Each use case's class declares its fields (with its defaults) beside its spec; these bases give the
# payload, its checks and its strict reader.


class _JoinCommandBody(Message):
    """CS03 join command (DER): join method and role, the other device's EUI and device type and,
    for Method C, its KA certificate (one DER SEQUENCE) at the end."""

    __slots__ = ()
    other_device: EUI64
    device_type: int
    method_role: int
    certificate: bytes | None

    def _check(self) -> None:
        object.__setattr__(self, "other_device", parse_eui(self.other_device, "other_device"))
        check_range(self.method_role, *_INT32, "method_role")
        check_range(self.device_type, *_INT32, "device_type")
        if self.certificate is not None:
            if not isinstance(self.certificate, bytes):
                raise InputError("certificate: expected DER bytes or None")
            try:
                node = decode_der(self.certificate)
            except CodecError as exc:
                raise InputError(f"certificate: not one DER element ({exc})") from None
            if node.tag != b"\x30":
                raise InputError("certificate: expected a DER SEQUENCE (an X.509 certificate)")

    def _payload(self, echo: Echo) -> bytes:
        return encode_typed_der(JoinCommand(int(self.method_role), bytes(self.other_device), int(self.device_type),
                                            self.certificate))

    @classmethod
    def _parse(cls, content: bytes, base: int, header: GeneralSigning) -> tuple[dict[str, Any], Echo]:
        j = decode_join_command(content, base=base)
        return ({"method_role": j.method_role, "other_device": j.other_device, "device_type": j.device_type,
                 "certificate": j.certificate}, Echo())


class _ResponseCodeBody(Message):
    """A device's join (CS03) or, with ``_UNJOIN``, unjoin (CS04) response: one DER INTEGER ``code``."""

    __slots__ = ()
    code: int
    _UNJOIN: ClassVar[bool] = False

    def _check(self) -> None:
        check_range(self.code, *_INT32, "code")

    def _payload(self, echo: Echo) -> bytes:
        return encode_typed_der(UnjoinResponse(self.code) if self._UNJOIN else JoinResponse(self.code))

    @classmethod
    def _parse(cls, content: bytes, base: int, header: GeneralSigning) -> tuple[dict[str, Any], Echo]:
        decode = decode_unjoin_response if cls._UNJOIN else decode_join_response
        return {"code": decode(content, base=base).code}, Echo()


# -- CS03 join ----------------------------------------------------------------------------------------


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class CS03A1Command(_JoinCommandBody):
    """CS03A1 Method A Join (Meter): the meter (default role 0, Method A initiator) joins with
    ``other_device`` of ``device_type`` (e.g. 5 PPMID, 4 HCALCS). Critical, supplier-signed."""

    SPECS = (MessageSpec("CS03A1", 0x000D, CRA.COMMAND, Protection.SIGNED_MAC),)
    other_device: EUI64
    device_type: int
    method_role: int = JoinMethodRole.METHOD_A_INITIATOR
    certificate: bytes | None = None


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class CS03A1Response(_ResponseCodeBody):
    """The meter's join response code (``codes.JoinResponse``; 0 success), device-signed."""

    SPECS = (MessageSpec("CS03A1", 0x000D, CRA.RESPONSE, Protection.SIGNED),)
    code: int = 0


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class CS03A2Command(_JoinCommandBody):
    """CS03A2 Method A Join (non Meter): a PPMID or HCALCS (default role 1, Method A responder)
    joins with the meter ``other_device`` (device type 1 ESME). Critical (supplier-signed, e.g. to
    an HCALCS) or, with a supplementary remote party, the ACB-signed DCC variant (to a PPMID)."""

    SPECS = (MessageSpec("CS03A2", 0x00AB, CRA.COMMAND, Protection.SIGNED_MAC, _OPTIONAL),)
    other_device: EUI64
    device_type: int = DeviceType.ESME
    method_role: int = JoinMethodRole.METHOD_A_RESPONDER
    certificate: bytes | None = None


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class CS03A2Response(_ResponseCodeBody):
    """The PPMID's/HCALCS's join response code, device-signed."""

    SPECS = (MessageSpec("CS03A2", 0x00AB, CRA.RESPONSE, Protection.SIGNED, _OPTIONAL),)
    code: int = 0


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class CS03CCommand(_JoinCommandBody):
    """CS03C Method C Join (role 3) with ``other_device`` and its KA ``certificate`` (DER; see
    ``ka_certificate_der``). Critical to the GSME (supplier-signed, other = PPMID, type 5); the
    ACB-signed DCC variant to the PPMID (other = GSME, type 0) carries a supplementary remote party."""

    SPECS = (MessageSpec("CS03C", 0x00AF, CRA.COMMAND, Protection.SIGNED_MAC, _OPTIONAL),)
    other_device: EUI64
    device_type: int
    certificate: bytes | None
    method_role: int = JoinMethodRole.METHOD_C


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class CS03CResponse(_ResponseCodeBody):
    """The GSME's/PPMID's join response code (11 = invalid or missing certificate), device-signed."""

    SPECS = (MessageSpec("CS03C", 0x00AF, CRA.RESPONSE, Protection.SIGNED, _OPTIONAL),)
    code: int = 0


# -- CS04AC unjoin -------------------------------------------------------------------------------------


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class CS04ACCommand(Message):
    """CS04AC Method A or C Unjoin ``other_device``: critical to a meter (supplier-signed) or the
    ACB-signed DCC variant to a PPMID (with a supplementary remote party)."""

    SPECS = (MessageSpec("CS04AC", 0x000F, CRA.COMMAND, Protection.SIGNED_MAC, _OPTIONAL),)
    other_device: EUI64

    def _check(self) -> None:
        object.__setattr__(self, "other_device", parse_eui(self.other_device, "other_device"))

    def _payload(self, echo: Echo) -> bytes:
        return encode_typed_der(UnjoinCommand(bytes(self.other_device)))

    @classmethod
    def _parse(cls, content: bytes, base: int, header: GeneralSigning) -> tuple[dict[str, Any], Echo]:
        return {"other_device": decode_unjoin_command(content, base=base).other_device}, Echo()


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class CS04ACResponse(_ResponseCodeBody):
    """The unjoin response code (``codes.UnjoinResponse``: 0 success, 1 not in device log), device-signed."""

    SPECS = (MessageSpec("CS04AC", 0x000F, CRA.RESPONSE, Protection.SIGNED, _OPTIONAL),)
    _UNJOIN = True
    code: int = 0


# -- CS07 read device join details ---------------------------------------------------------------------


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class CS07Command(Message):
    """CS07 Read Device Join Details (payload DER NULL). Non-critical; from the supplier directly or
    from the ACB with a supplementary remote party."""

    SPECS = (MessageSpec("CS07", 0x0013, CRA.COMMAND, Protection.MAC, _OPTIONAL),)

    def _payload(self, echo: Echo) -> bytes:
        return encode_typed_der(ReadJoinDetailsCommand())

    @classmethod
    def _parse(cls, content: bytes, base: int, header: GeneralSigning) -> tuple[dict[str, Any], Echo]:
        decode_read_join_details_command(content, base=base)
        return {}, Echo()


@registered
@dataclass(frozen=True, slots=True, kw_only=True)
class CS07Response(Message):
    """The device's join details: ``code`` 0 ok / 1 read failure, and the joined devices (EUI,
    device type), None when absent (RTDS error reply)."""

    SPECS = (MessageSpec("CS07", 0x0013, CRA.RESPONSE, Protection.MAC, _OPTIONAL),)
    code: int = 0
    devices: tuple[JoinedDevice, ...] | None = ()

    def _check(self) -> None:
        check_range(self.code, *_INT32, "code")
        if self.devices is not None:
            if not isinstance(self.devices, tuple) or not all(isinstance(d, JoinedDevice) for d in self.devices):
                raise InputError("devices: expected a tuple of JoinedDevice or None")
            for d in self.devices:
                if len(d.eui) != 8:
                    raise InputError(f"devices: EUI {d.eui.hex()!r} is not 8 bytes")
                check_range(d.device_type, *_INT32, "devices.device_type")

    def _payload(self, echo: Echo) -> bytes:
        return encode_typed_der(ReadJoinDetailsResponse(self.code, self.devices))

    @classmethod
    def _parse(cls, content: bytes, base: int, header: GeneralSigning) -> tuple[dict[str, Any], Echo]:
        r = decode_read_join_details_response(content, base=base)
        return {"code": r.code, "devices": r.devices}, Echo()
