"""Payload helpers shared by the use-case modules: typed decode with the right error, small encoders,
and the body of the DLMS action-result reply that several use cases share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from smetslab.errors import CodecError, InputError
from smetslab.gbcs.frames import GeneralSigning
from smetslab.gbcs.messages._base import Echo, Message, MessageSpec
from smetslab.gbcs.payloads.axdr import Data, null_data
from smetslab.gbcs.payloads.dlms import (
    AccessKind,
    AccessRequest,
    AccessResponse,
    DataNotification,
    ResponseSpec,
    decode_dlms,
    encode_dlms,
)
from smetslab.gbcs.payloads.gbz import GbzComponent, GbzPayload, decode_gbz, encode_gbz

T = TypeVar("T", AccessRequest, AccessResponse, DataNotification)
R = TypeVar("R")


def dlms(content: bytes, base: int, kind: type[T], what: str) -> T:
    """The DLMS payload of ``content``, which must be of ``kind``; CodecError otherwise."""
    p = decode_dlms(content, base=base)
    if not isinstance(p, kind):
        raise CodecError(f"{what}: payload is a {type(p).__name__}, expected a {kind.__name__}", base)
    return p


def recognised_request(content: bytes, base: int, what: str, recognise: Callable[[AccessRequest], R | None],
                       expected: str) -> tuple[R, Echo]:
    """What ``recognise`` finds in the DLMS access-request ``content`` (None: not this use case's
    requests), and its invoke id to echo; CodecError ``{what}: {expected}`` when it finds nothing."""
    req = dlms(content, base, AccessRequest, what)
    found = recognise(req)
    if found is None:
        raise CodecError(f"{what}: {expected}", base)
    return found, Echo(invoke_id=req.invoke_id)


def gbz_component(content: bytes, base: int, what: str) -> GbzComponent:
    """The one GBZ component of ``content``; CodecError when there is not exactly one."""
    p = decode_gbz(content, base=base)
    if len(p.components) != 1:
        raise CodecError(f"{what}: {len(p.components)} GBZ components, expected 1", base)
    return p.components[0]


def gbz_bytes(component: GbzComponent) -> bytes:
    return encode_gbz(GbzPayload((component,)))


def action_response(invoke_id: int, results: Sequence[int], data: Sequence[Data | None] | None = None) -> bytes:
    """A DLMS access-response to ACTIONs: one data item per action (null-data unless given), then the
    results, as GBCS devices answer (request specs not echoed)."""
    items = tuple(null_data() if d is None else d for d in (data or [None] * len(results)))
    return encode_dlms(AccessResponse(invoke_id, items, tuple(ResponseSpec(AccessKind.ACTION, r) for r in results)))


def mixed_response(invoke_id: int, kinds: Sequence[AccessKind], results: Sequence[int]) -> bytes:
    """A DLMS access-response with null data and one result per request of the given kinds."""
    return encode_dlms(AccessResponse(invoke_id, tuple(null_data() for _ in kinds),
                                      tuple(ResponseSpec(k, r) for k, r in zip(kinds, results, strict=True))))


def results_of(resp: AccessResponse, n: int, what: str, base: int) -> tuple[int, ...]:
    if len(resp.results) != n:
        raise CodecError(f"{what}: {len(resp.results)} access results, expected {n}", base)
    return tuple(r.result for r in resp.results)


def check_range(value: object, low: int, high: int, field: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InputError(f"{field} {value!r}: allowed {low}..{high}")


def check_utrn(utrn: object, field: str = "utrn") -> None:
    if not isinstance(utrn, str) or len(utrn) != 20 or not utrn.isascii() or not utrn.isdigit():
        raise InputError(f"{field} {utrn!r}: expected exactly 20 decimal digits")


def label(spec: MessageSpec) -> str:
    """How errors name a use-case message, e.g. ``CS01b command``."""
    return f"{spec.use_case} {spec.cra.name.lower()}"


class ActionResultBody(Message):
    """Body of a reply that is one DLMS action-result (``result``: 0 success, else a DLMS
    Action-Result code, 0..255); the invoke id is echoed as sent. Subclasses declare ``result``
    (with its default) beside their spec."""

    __slots__ = ()
    result: int

    def _check(self) -> None:
        check_range(self.result, 0, 0xFF, "result")

    def _payload(self, echo: Echo) -> bytes:
        return action_response(self._invoke_id(echo), [self.result])

    @classmethod
    def _parse(cls, content: bytes, base: int, header: GeneralSigning) -> tuple[dict[str, Any], Echo]:
        what = label(cls.SPECS[0])
        resp = dlms(content, base, AccessResponse, what)
        (result,) = results_of(resp, 1, what, base)
        return {"result": result}, Echo(invoke_id=resp.invoke_id)
