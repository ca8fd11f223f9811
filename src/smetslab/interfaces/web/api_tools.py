"""GBCS and UTRN tools over HTTP: parse and verify messages, issue / decode / verify UTRNs.

The keystore is chosen on the server: ``generated`` (a test PKI drawn when the server starts, always
offered) and, when ``smetslab serve --keystore DIR`` names one, ``configured`` (e.g. the RTDS keystore).
A client names one of these; it never sends a path or a key, and no response carries a private key.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from smetslab.errors import AuthenticationError, CodecError, InputError, SmetslabError
from smetslab.gbcs import frames, security
from smetslab.gbcs import utrn as utrn_core
from smetslab.gbcs.keygen import PKIEntities, generate_pki
from smetslab.gbcs.keystore import Keystore
from smetslab.interfaces.commands.gbcs import describe
from smetslab.interfaces.hexinput import parse_hex
from smetslab.interfaces.web.runs import ERRORS
from smetslab.units import parse_eui

__all__ = ["router", "Tools", "parse_hex"]

router = APIRouter(prefix="/api", tags=["gbcs and utrn tools"], responses=ERRORS)

MAX_MESSAGES = 2000

EUIText = Annotated[str, Field(min_length=16, max_length=23, pattern=r"^[0-9A-Fa-f][0-9A-Fa-f \-:]*$",
                               description="EUI-64: 16 hex digits ('-', ':' or spaces allowed)")]
KeystoreName = Annotated[str, Field(default="generated", pattern=r"^(generated|configured)$",
                                    description="generated (the server's test PKI) or configured (--keystore)")]




class Tools:
    """The keystores the tools use (built once per server)."""

    def __init__(self, settings: Any) -> None:
        self.entities = PKIEntities()
        pki = generate_pki(self.entities, seed=settings.keystore_seed)
        self.keystores: dict[str, Keystore] = {"generated": pki.keystore()}
        self.keystores["generated"].source = "generated test PKI (in memory, drawn when the server started)"
        if settings.keystore_dir is not None:
            self.keystores["configured"] = Keystore.from_directory(settings.keystore_dir)

    def get(self, name: str) -> Keystore:
        ks = self.keystores.get(name)
        if ks is None:
            raise InputError(f"keystore {name!r}: not offered by this server; allowed: {', '.join(self.keystores)}"
                             + ("" if "configured" in self.keystores else
                                " (start smetslab serve with --keystore DIR to offer 'configured')"))
        return ks


def _tools(request: Request) -> Tools:
    tools: Tools = request.app.state.tools
    return tools


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParseRequest(_Body):
    hex: Annotated[str, Field(min_length=1, max_length=200_000, description="the message as hex digits")]
    keystore: KeystoreName = "generated"
    acb: EUIText = str(security.RTDS_ACB)


class Message(_Body):
    name: Annotated[str, Field(max_length=300)] = ""
    hex: Annotated[str, Field(min_length=1, max_length=200_000)]


class VerifyRequest(_Body):
    messages: Annotated[list[Message], Field(min_length=1, max_length=MAX_MESSAGES)]
    keystore: KeystoreName = "generated"
    acb: EUIText = str(security.RTDS_ACB)


class UTRNIssueRequest(_Body):
    keystore: KeystoreName = "generated"
    supplier: EUIText
    meter: EUIText
    counter: Annotated[int, Field(ge=0, lt=1 << 64, description="full 64-bit UTRN counter")]
    value: Annotated[int, Field(ge=0, le=utrn_core.MAX_VALUE, description="in the unit of value_class")]
    value_class: Literal["pennies", "pounds"] = "pennies"


class UTRNDecodeRequest(_Body):
    utrn: Annotated[str, Field(min_length=1, max_length=64)]


class UTRNVerifyRequest(_Body):
    keystore: KeystoreName = "generated"
    utrn: Annotated[str, Field(min_length=1, max_length=64)]
    supplier: EUIText
    meter: EUIText
    counter: Annotated[int | None, Field(ge=0, lt=1 << 64)] = None


def _decoded(d: utrn_core.DecodedUTRN) -> dict[str, Any]:
    return {"utrn": d.utrn, "grouped": " ".join(d.utrn[i:i + 4] for i in range(0, 20, 4)), "pptd": str(d.pptd),
            "check_digit": d.check_digit, "ptut": f"0x{d.ptut:016X}", "ctr10": d.ctr10,
            "value_class": d.value_class.label, "value": d.value, "value_pence": d.value_pence,
            "mac32": f"{d.mac32:08X}"}


def parse_message(data: bytes, ks: Keystore | None, acb: Any) -> dict[str, Any]:
    """The decode tree (``commands.gbcs.describe``) with a readable MAC/signature verdict line."""
    frame = frames.decode(data)
    d = describe(frame, ks, acb, data)
    if ks is not None:
        d["verdict"] = f"MAC {d['mac_status']}, signature {d['signature_status']}"
    return d


@router.get("/keystores")
def keystores(request: Request) -> dict[str, Any]:
    """The keystores this server offers, with their public key identifiers (never a private key)."""
    tools = _tools(request)
    return {"keystores": [{"name": n, "source": ks.source, "keys": [str(k) for k in ks.key_ids()]}
                          for n, ks in tools.keystores.items()],
            "generated_entities": {n: str(getattr(tools.entities, n)) for n in tools.entities.names()}}


@router.post("/gbcs/parse")
def gbcs_parse(body: ParseRequest, request: Request) -> dict[str, Any]:
    """Decode one GBCS message into its tree and check its MAC and signature with the chosen keystore."""
    ks = _tools(request).get(body.keystore)
    data = parse_hex(body.hex, "hex")
    return parse_message(data, ks, parse_eui(body.acb, "acb"))


@router.post("/gbcs/verify")
def gbcs_verify(body: VerifyRequest, request: Request) -> dict[str, Any]:
    """MAC and signature verdicts for many messages (e.g. uploaded files); undecodable ones say why."""
    ks = _tools(request).get(body.keystore)
    acb = parse_eui(body.acb, "acb")
    results = []
    counts: dict[str, dict[str, int]] = {"mac": {}, "signature": {}}
    undecodable = 0
    for i, m in enumerate(body.messages):
        rec: dict[str, Any] = {"name": m.name or f"messages[{i}]", "decoded": False, "mac": None,
                               "signature": None, "error": None}
        try:
            r = security.check(parse_hex(m.hex, f"messages[{i}].hex"), ks, acb=acb)
        except (CodecError, InputError) as exc:
            rec["error"] = str(exc)
            undecodable += 1
        else:
            apdu = frames.apdu_of(r.frame)
            rec.update(decoded=True, mac=r.mac, signature=r.signature, message_code=f"0x{apdu.message_code:04X}",
                       originator=str(apdu.originator), recipient=str(apdu.recipient))
            counts["mac"][r.mac] = counts["mac"].get(r.mac, 0) + 1
            counts["signature"][r.signature] = counts["signature"].get(r.signature, 0) + 1
        results.append(rec)
    ok = undecodable == 0 and not counts["mac"].get("invalid") and not counts["signature"].get("invalid")
    return {"results": results, "summary": {"messages": len(results), "undecodable": undecodable, **counts,
                                            "ok": ok}}


@router.post("/utrn/issue")
def utrn_issue(body: UTRNIssueRequest, request: Request) -> dict[str, Any]:
    """Issue a UTRN with the supplier's prepayment key-agreement key held by the chosen keystore."""
    ks = _tools(request).get(body.keystore)
    s, m = parse_eui(body.supplier, "supplier"), parse_eui(body.meter, "meter")
    code = utrn_core.issue(ks, supplier=s, meter=m, counter=body.counter, value=body.value,
                           value_class=body.value_class)
    return {**_decoded(utrn_core.decode(code)), "supplier": str(s), "meter": str(m), "counter": str(body.counter)}


@router.post("/utrn/decode")
def utrn_decode(body: UTRNDecodeRequest) -> dict[str, Any]:
    """What a UTRN says without any key (check digit, counter bits, value)."""
    return _decoded(utrn_core.decode(body.utrn))


@router.post("/utrn/verify")
def utrn_verify(body: UTRNVerifyRequest, request: Request) -> dict[str, Any]:
    """Check a UTRN's MAC as the meter would; ``valid`` false (not an error) when it does not verify."""
    ks = _tools(request).get(body.keystore)
    s, m = parse_eui(body.supplier, "supplier"), parse_eui(body.meter, "meter")
    decoded = utrn_core.decode(body.utrn)  # a malformed code is bad input (422), not a verdict
    try:
        v = utrn_core.verify(ks, body.utrn, supplier=s, meter=m, counter=body.counter)
    except AuthenticationError:
        return {"valid": False, "verdict": "not authentic for this supplier and meter", **_decoded(decoded)}
    except SmetslabError:
        raise
    return {"valid": True, "verdict": "MAC valid", "counter": f"0x{v.counter:016X}", **_decoded(v.decoded)}
