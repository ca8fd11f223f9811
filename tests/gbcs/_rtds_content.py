"""Test scaffolding: slice the payload (content) bytes out of an RTDS frame (DOMAIN.md §2.1).

Deliberately minimal and independent of smetslab.gbcs.frames (the payload tests must not depend on the
frame codec under development): DD wrapper -> DF APDU -> transaction id, titles, date-time,
other-information (message code first), BER content length, content. No MAC or signature checks.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RTDSContent:
    file: str          # path relative to the RTDS root, as in index.csv
    use_case: str      # index.csv use_case column
    kind: str          # COMMAND / RESPONSE / PRECOMMAND / ALERT
    message_code: int
    cra: int           # 1 command, 2 response, 3 alert
    counter: int       # originator counter from the transaction id
    content: bytes


def _ber_length(b: bytes, i: int) -> tuple[int, int]:
    first = b[i]
    if first < 0x80:
        return first, i + 1
    n = first & 0x7F
    return int.from_bytes(b[i + 1 : i + 1 + n], "big"), i + 1 + n


def slice_content(frame: bytes) -> tuple[int, int, int, bytes]:
    """(message code, CRA flag, originator counter, content) of one GBCS message."""
    i = 0
    if frame[0] == 0xDD:
        i = 7                                   # tag + six empty fields
        _, i = _ber_length(frame, i)            # ciphered-content length
        i += 5                                  # security header 11 00000000
    assert frame[i] == 0xDF, f"no general-signing APDU at {i}"
    cra = frame[i + 2]
    counter = int.from_bytes(frame[i + 3 : i + 11], "big")
    i += 1 + 10 + 9 + 9                         # DF, transaction id, two system titles
    i += 1 if frame[i] == 0 else 13             # date-time absent or 0C + 12 bytes
    other_len, i = _ber_length(frame, i)
    code = int.from_bytes(frame[i : i + 2], "big")
    i += other_len
    content_len, i = _ber_length(frame, i)
    return code, cra, counter, frame[i : i + content_len]


def iter_rtds(rtds_dir: Path) -> Iterator[RTDSContent]:
    """Every message listed in index.csv with its content bytes."""
    with (rtds_dir / "index.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            frame = bytes.fromhex((rtds_dir / row["file"]).read_text().strip())
            code, cra, counter, content = slice_content(frame)
            assert code == int(row["message_code"], 16), row["file"]
            assert counter == int(row["originator_counter"], 16), row["file"]
            yield RTDSContent(row["file"], row["use_case"], row["kind"], code, cra, counter, content)


@functools.cache
def load_rtds(rtds_dir: Path) -> tuple[RTDSContent, ...]:
    """All RTDS messages, read once per test session."""
    return tuple(iter_rtds(rtds_dir))


def one(items: tuple[RTDSContent, ...], filename_part: str) -> RTDSContent:
    """The single RTDS message whose path contains ``filename_part``."""
    hits = [i for i in items if filename_part in i.file]
    assert len(hits) == 1, f"{filename_part!r} matches {len(hits)} RTDS files"
    return hits[0]
