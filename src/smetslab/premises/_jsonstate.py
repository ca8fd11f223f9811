"""A JSON-able encoding of device states (frozen dataclasses, enums, EUIs, bytes, tuples) for snapshots.

Every value round-trips exactly: ``decode(encode(x), keystore) == x``. Dataclasses are written with
their class path and rebuilt by calling the class; only classes inside ``smetslab`` are rebuilt (a
snapshot is data, never code). Fields named ``keystore`` are not written: keys never go into a
snapshot, the restoring premises hands its own keystore back in.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import importlib
import json
import math
from typing import Any

from smetslab.errors import InputError
from smetslab.units import EUI64

__all__ = ["encode", "decode"]

_KEYSTORE_FIELD = "keystore"


def _path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _resolve(path: str) -> Any:
    module, _, qual = path.partition(":")
    if not module.startswith("smetslab.") or not qual:
        raise InputError(f"snapshot: class {path!r} is not a smetslab class")
    obj: Any = importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def encode(value: Any) -> Any:
    """A JSON-able form of ``value``."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int) and not isinstance(value, enum.Enum):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"__float__": repr(value)}
    if isinstance(value, EUI64):
        return {"__eui__": str(value)}
    if isinstance(value, bytes | bytearray):
        return {"__bytes__": bytes(value).hex()}
    if isinstance(value, enum.Enum):
        return {"__enum__": _path(type(value)), "v": value.name}
    if isinstance(value, datetime.datetime):
        return {"__dt__": value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__dc__": _path(type(value)),
                "f": {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)
                      if f.name != _KEYSTORE_FIELD and f.init}}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, frozenset):
        # Sorted by their encoded form, so the same set always writes the same JSON.
        return {"__frozenset__": sorted((encode(v) for v in value), key=lambda e: json.dumps(e, sort_keys=True))}
    raise TypeError(f"snapshot: cannot encode {type(value).__name__}")


def decode(data: Any, keystore: Any = None) -> Any:
    """Rebuild a value from ``encode``'s form; ``keystore`` fills every ``keystore`` field."""
    if data is None or isinstance(data, bool | int | float | str):
        return data
    if isinstance(data, list):
        return [decode(v, keystore) for v in data]
    if not isinstance(data, dict):
        raise InputError(f"snapshot: unexpected {type(data).__name__}")
    if "__float__" in data:
        return float(data["__float__"])
    if "__eui__" in data:
        return EUI64(data["__eui__"])
    if "__bytes__" in data:
        return bytes.fromhex(data["__bytes__"])
    if "__enum__" in data:
        return _resolve(data["__enum__"])[data["v"]]
    if "__dt__" in data:
        return datetime.datetime.fromisoformat(data["__dt__"])
    if "__frozenset__" in data:
        return frozenset(decode(v, keystore) for v in data["__frozenset__"])
    if "__tuple__" in data:
        return tuple(decode(v, keystore) for v in data["__tuple__"])
    if "__dict__" in data:
        return {decode(k, keystore): decode(v, keystore) for k, v in data["__dict__"]}
    if "__dc__" in data:
        cls: Any = _resolve(data["__dc__"])
        if not dataclasses.is_dataclass(cls):
            raise InputError(f"snapshot: {data['__dc__']!r} is not a dataclass")
        fields = {k: decode(v, keystore) for k, v in data["f"].items()}
        if any(f.name == _KEYSTORE_FIELD for f in dataclasses.fields(cls)):
            fields[_KEYSTORE_FIELD] = keystore
        factory: Any = cls  # a dataclass type: call it with its fields
        return factory(**fields)
    raise InputError(f"snapshot: unknown object with keys {sorted(data)}")
