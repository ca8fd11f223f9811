"""Helpers shared by the CLI command modules: output, JSON lines, file reading with clear errors."""

from __future__ import annotations

import json
import sys
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
