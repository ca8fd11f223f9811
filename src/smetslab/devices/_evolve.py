"""``evolve(state, **changes)``: ``dataclasses.replace`` for the devices' own frozen states, without its
generic machinery. A device steps once per input, and on a long run the generic ``replace`` was the
largest single cost of a display update. Only for dataclasses without ``__post_init__`` (checked once per
class): there is nothing to re-validate, so skipping ``__init__`` changes nothing.

Each class gets a straight-line copier, written once (as ``dataclasses`` writes ``__init__``): one
attribute copy per field, then the changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

__all__ = ["evolve"]

T = TypeVar("T")

_COPIERS: dict[type, Callable[[Any], Any]] = {}


def _copier(cls: type) -> Callable[[Any], Any]:
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__: use dataclasses.replace")
    names = [f.name for f in fields(cls)]
    if not all(n.isidentifier() for n in names):
        raise TypeError(f"{cls.__name__}: field names must be identifiers")
    body = "".join(f"    set_(new, {n!r}, state.{n})\n" for n in names)
    source = f"def copy(state):\n    new = new_(cls)\n{body}    return new\n"
    scope: dict[str, Any] = {"new_": object.__new__, "set_": object.__setattr__, "cls": cls}
    exec(source, scope)  # noqa: S102 - our own text, from the dataclass's field names
    copy: Callable[[Any], Any] = scope["copy"]
    return copy


def evolve(state: T, **changes: Any) -> T:
    """A copy of the frozen dataclass ``state`` with ``changes`` applied (field names are not checked:
    callers are this package's own state machines)."""
    cls = type(state)
    copy = _COPIERS.get(cls)
    if copy is None:
        copy = _COPIERS[cls] = _copier(cls)
    new: T = copy(state)
    for name, value in changes.items():
        object.__setattr__(new, name, value)
    return new
