"""``evolve(state, **changes)``: ``dataclasses.replace`` for the devices' own frozen states, without its
generic machinery. A device steps once per input, and on a long run the generic ``replace`` was the
largest single cost of a display update. Only for dataclasses without ``__post_init__`` (checked once per
class): there is nothing to re-validate, so skipping ``__init__`` changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from operator import attrgetter
from typing import Any, TypeVar

__all__ = ["evolve"]

T = TypeVar("T")

_FIELDS: dict[type, tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]] = {}


def _layout(cls: type) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]:
    got = _FIELDS.get(cls)
    if got is None:
        if hasattr(cls, "__post_init__"):
            raise TypeError(f"{cls.__name__} has a __post_init__: use dataclasses.replace")
        names = tuple(f.name for f in fields(cls))
        if len(names) < 2:
            raise TypeError(f"{cls.__name__}: evolve needs at least two fields")
        got = _FIELDS[cls] = (names, attrgetter(*names))
    return got


def evolve(state: T, **changes: Any) -> T:
    """A copy of the frozen dataclass ``state`` with ``changes`` applied (field names are not checked:
    callers are this package's own state machines)."""
    cls = type(state)
    names, values = _layout(cls)
    new = object.__new__(cls)
    setattr_ = object.__setattr__
    for name, value in zip(names, values(state), strict=True):
        setattr_(new, name, value)
    for name, value in changes.items():
        setattr_(new, name, value)
    return new
