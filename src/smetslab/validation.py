"""One formatter for every validation error: a pydantic ``ValidationError`` becomes one ``InputError`` line
naming the field path as the file writes it (``timeline[3].at``, ``incidents.wan_lost_per_year.value``), the
value and what is allowed.

Stories (``premises.story``), scenarios (``fleet.scenario``), a premises' settings (``premises.config``) and
the risk catalogue (``risk.catalogue``) all use ``one_line``; what differs between them is data, passed in: which field names are allowed where an
unknown one was found (``allowed_fields``), which union tags pydantic puts in a path after a list index
(``union_tags``) and which custom discriminator errors mean "the tag field is missing or unknown"
(``discriminators``). A bottom-layer module (beside ``errors``): it knows no domain.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from smetslab.errors import InputError

__all__ = ["one_line", "problems", "loc_text", "Loc"]

Loc = tuple[int | str, ...]

_PREFIXES = ("Value error, ", "Assertion failed, ")
_WRONG_TYPE = ("bool_parsing", "int_parsing", "float_parsing")


def loc_text(loc: Loc) -> str:
    """``('timeline', 3, 'at')`` -> ``timeline[3].at``; the empty path is ``(top level)``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _clean(loc: Loc, union_tags: Mapping[str, Collection[str]]) -> Loc:
    """Drop pydantic's validator names and union tags, so the path reads as the file does."""
    out: list[int | str] = []
    for i, part in enumerate(loc):
        if isinstance(part, str) and (part.startswith("function-") or part.startswith("tagged-union")):
            continue
        # ('timeline', 3, 'utrn_issued', 'value_pence'): the part after a list index is the union's tag
        if (i >= 2 and isinstance(loc[i - 1], int) and isinstance(loc[i - 2], str)
                and part in union_tags.get(str(loc[i - 2]), ()) and (not out or out[-1] == loc[i - 1])):
            continue
        out.append(part)
    return tuple(out)


def _names_a_field(msg: str, path: str) -> bool:
    """A cross-field check's message that starts with the path it is about (``sensitivity[0].low = ...``)."""
    return msg.startswith(path) and (len(msg) == len(path) or msg[len(path)] in " [.=")


def _shown(value: Any) -> str:
    # a mapping or a list is not repeated in the message (a whole timeline would be); its path is enough
    return "" if isinstance(value, dict | list) else f" = {value!r}"


def one_line(exc: ValidationError, what: str, where: str = "", *,
             allowed_fields: Callable[[Loc], Sequence[str] | None] | None = None,
             union_tags: Mapping[str, Collection[str]] | None = None,
             discriminators: Mapping[str, tuple[str, Sequence[str]]] | None = None,
             literal_intro: str | None = None,
             path_text: Callable[[Loc], str] | None = None) -> InputError:
    """One line for the first problem of ``exc`` (an unknown field first: a misspelt key also shows up as
    the "missing" real one), prefixed ``"{what} {where}: "`` (either may be empty) and counting the rest.

    ``allowed_fields(loc)``: the field names allowed beside the unknown field at ``loc``, or None.
    ``union_tags``: list field -> the tags pydantic inserts after an index into it (dropped from the path).
    ``discriminators``: custom discriminator error type -> (the tag field, its allowed values).
    ``literal_intro``: the words that replace pydantic's "input should be" before a list of allowed values
    (stories say "allowed:"; None keeps pydantic's).
    ``path_text(loc)``: how a path is written (default ``loc_text``; the risk catalogue adds threat ids)."""
    errs = sorted(exc.errors(include_url=False), key=lambda x: x["type"] != "extra_forbidden")
    e = errs[0]
    loc = _clean(tuple(e["loc"]), union_tags or {})
    path = (path_text or loc_text)(loc)
    kind = e["type"]
    head = " ".join(x for x in (what, where) if x)
    head = f"{head}: " if head else ""
    more = f" (and {len(errs) - 1} more problem{'s' if len(errs) > 2 else ''})" if len(errs) > 1 else ""
    if kind == "extra_forbidden":
        allowed = allowed_fields(loc) if allowed_fields is not None else None
        allowed_txt = f"; allowed: {', '.join(allowed)}" if allowed else ""
        near = difflib.get_close_matches(str(loc[-1]), allowed, n=1) if allowed and loc else []
        hint = f"; did you mean {near[0]!r}?" if near else ""
        return InputError(f"{head}unknown field {path!r}{allowed_txt}{hint}{more}")
    if kind == "missing":
        return InputError(f"{head}missing field {path!r} (required){more}")
    msg = str(e["msg"])
    for prefix in _PREFIXES:
        msg = msg.removeprefix(prefix)
    value = e.get("input")
    if discriminators and kind in discriminators and isinstance(value, dict):
        tag, allowed_tags = discriminators[kind]
        if tag not in value:
            return InputError(f"{head}missing field '{path}.{tag}' (required); allowed: "
                              f"{', '.join(allowed_tags)}{more}")
        return InputError(f"{head}{path}.{tag} = {value[tag]!r}: {msg}{more}")
    msg = msg[:1].lower() + msg[1:]
    if kind.endswith("_type") or kind in _WRONG_TYPE:
        msg = f"wrong type ({type(value).__name__}); {msg}"
    if kind == "literal_error" and literal_intro is not None:
        msg = re.sub(r"^input should be", literal_intro, msg)
    if loc == () or _names_a_field(msg, path):
        return InputError(f"{head}{msg}{more}")  # a cross-field check already names the field
    return InputError(f"{head}{path}{_shown(value)}: {msg}{more}")


def problems(exc: ValidationError) -> list[dict[str, Any]]:
    """Every problem of ``exc``, one per field, for a form that marks each box: ``{field, value, message}``
    (``field`` as ``loc_text`` writes it, ``value`` None for a mapping or a list, the message without
    pydantic's "Value error, " prefix). ``one_line`` is the same wording for one line."""
    out: list[dict[str, Any]] = []
    for e in exc.errors(include_url=False):
        msg = str(e["msg"])
        for prefix in _PREFIXES:
            msg = msg.removeprefix(prefix)
        value = e.get("input")
        loc = _clean(tuple(e["loc"]), {})
        out.append({"field": loc_text(loc) if loc else "", "value": None if isinstance(value, dict | list) else value,
                    "message": msg})
    return out
