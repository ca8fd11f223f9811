"""Helpers shared by the CLI command modules: output, JSON lines, file reading with clear errors."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console

from smetslab.errors import InputError

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def emit_json(obj: Any) -> None:
    """One JSON object on one line on stdout (JSON-lines output)."""
    sys.stdout.write(json.dumps(obj, separators=(",", ":"), default=str) + "\n")


def read_text_file(path: Path, field: str) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        raise InputError(f"{field} {str(path)!r}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{field} {str(path)!r}: is a directory, expected a file") from None
    except UnicodeDecodeError:
        raise InputError(f"{field} {str(path)!r}: not a text file") from None
    except OSError as exc:
        raise InputError(f"{field} {str(path)!r}: cannot be read ({exc.strerror})") from None


# -- output paths: every filesystem failure is one line naming the flag (issue 7) -------------------------
def os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied" if exc.errno != errno.EROFS else "read-only file system"
    if isinstance(exc, NotADirectoryError):
        return "a part of the path is a file, not a folder"
    return exc.strerror or type(exc).__name__


def _file_in_path(path: Path) -> Path | None:
    """The first existing non-folder on the way to ``path`` (what makes 'README.md/sub' impossible)."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def prepare_out_dir(path: Path, field: str) -> Path:
    """Create (if needed) a folder the command will write into; InputError naming ``field`` if it cannot be."""
    blocker = _file_in_path(path)
    if blocker is not None:
        raise InputError(f"{field} {str(path)!r}: {str(blocker)!r} is a file, not a folder; choose a folder path")
    if path.exists() and not path.is_dir():
        raise InputError(f"{field} {str(path)!r}: is a file, expected a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{field} {str(path)!r}: cannot create the folder ({os_reason(exc)})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise InputError(f"{field} {str(path)!r}: the folder is not writable (permission denied)")
    return path


def prepare_out_file(path: Path, field: str, *, stream_ok: bool = False) -> Path:
    """Check that a file can be written at ``path``, creating its folder if missing (as ``--out`` folders are);
    InputError naming ``field`` if the folder cannot be made, the path is a folder, or it cannot be written.
    ``stream_ok``: a device or pipe (/dev/stdout) is fine, for output written in place rather than renamed
    into place."""
    blocker = _file_in_path(path)
    if blocker is not None:
        raise InputError(f"{field} {str(path)!r}: {str(blocker)!r} is a file, not a folder")
    if path.is_dir():
        raise InputError(f"{field} {str(path)!r}: is a folder, expected a file path")
    if path.exists() and not path.is_file() and not stream_ok:  # a device or a pipe: a write-then-rename would replace it
        raise InputError(f"{field} {str(path)!r}: not a regular file (a device or pipe); give a file path")
    parent = path.parent
    if not parent.exists():
        prepare_out_dir(parent, field)
    writable = os.access(path, os.W_OK) if path.exists() else os.access(parent, os.W_OK | os.X_OK)
    if not writable:
        raise InputError(f"{field} {str(path)!r}: cannot be written (permission denied)")
    return path


@contextmanager
def writing(path: Path, field: str) -> Iterator[None]:
    """Turn a failure while writing ``path`` (OS or DuckDB: disk full, permission, a vanished folder) into one
    InputError line naming ``field``."""
    import duckdb

    try:
        yield
    except OSError as exc:
        raise InputError(f"{field} {str(path)!r}: cannot be written ({os_reason(exc)})") from None
    except duckdb.IOException as exc:
        first = str(exc).splitlines()[0] if str(exc) else "I/O error"
        raise InputError(f"{field} {str(path)!r}: cannot be written ({first[:200]})") from None
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if not any(w in text.lower() for w in _SQLITE_IO_WORDS):
            raise  # an SQL mistake is a bug, not the user's disk
        raise InputError(f"{field} {str(path)!r}: cannot be written ({text[:200]})") from None


_SQLITE_IO_WORDS = ("disk", "full", "readonly", "read-only", "unable to open", "i/o")
