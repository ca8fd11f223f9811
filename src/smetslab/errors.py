"""Every exception smetslab raises on purpose, grouped by who has to act.

- ``InputError``: the user gave bad config, a bad CLI value or a bad file; the message names the
  field, the value and what is allowed.
- ``CodecError``: bytes on the wire are malformed; carries the byte offset.
- ``AuthenticationError``: a MAC, signature or UTRN failed to verify. One terse message for every
  cause, so it reveals nothing to an attacker.
- ``ProtocolViolation``: a peer broke the rules of its current state.

Anything else escaping is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "SmetslabError",
    "InputError",
    "KeyNotFoundError",
    "CodecError",
    "AuthenticationError",
    "ProtocolViolation",
]


class SmetslabError(Exception):
    """Base class of every error smetslab raises on purpose."""

    exit_code = 2


class InputError(SmetslabError):
    """Bad user input (config, CLI, file): the message names the field, the value and what is allowed."""


class KeyNotFoundError(InputError):
    """A key the operation needs is not in the keystore (or its file is missing)."""


class CodecError(SmetslabError):
    """Malformed bytes. ``offset`` is where decoding stopped (bytes from the start of the message)."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        self.offset = offset
        super().__init__(message if offset is None else f"{message} (at byte offset {offset})")


class AuthenticationError(SmetslabError):
    """A MAC, signature or UTRN did not verify. Deliberately terse: the reason is never disclosed."""

    def __init__(self, what: str = "message") -> None:
        self.what = what
        super().__init__(f"{what} failed authentication")


class ProtocolViolation(SmetslabError):
    """A peer broke the rules of its current state (e.g. a response to no command)."""

    exit_code = 1
