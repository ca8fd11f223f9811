"""Malformed input: random bytes, truncations and byte changes of RTDS payloads raise only CodecError;
whatever is accepted re-encodes byte for byte."""

from __future__ import annotations

import contextlib
import json
import random
from pathlib import Path

import pytest
from _rtds_content import RTDSContent, load_rtds
from hypothesis import given, settings
from hypothesis import strategies as st

from smetslab.errors import CodecError
from smetslab.gbcs.codes import MESSAGES
from smetslab.gbcs.payloads import decode_payload, encode_payload, parse_payload
from smetslab.gbcs.payloads.axdr import decode_data, encode_data
from smetslab.gbcs.payloads.der import decode_der, encode_der
from smetslab.gbcs.payloads.dlms import decode_dlms, encode_dlms
from smetslab.gbcs.payloads.gbz import decode_gbz, decode_gbz_alert, encode_gbz

PREFIXES = [b"", b"\xd9", b"\xda", b"\x0f", b"\x01\x09", b"\x01\x09\x01", b"\x30", b"\x02", b"\x04", b"\x05",
            b"\x0f\x20\x00\x00\x00\x00\x02\x03\x12"]
CODES = sorted(MESSAGES) + [0x0000, 0x7777, 0xFFFF]


def _accepts_exactly(code: int, data: bytes, cra: int) -> bool:
    """True if decoded (then it must re-encode exactly and print as JSON); False on CodecError."""
    try:
        p = parse_payload(code, data, cra=cra)
        tree = decode_payload(code, data, cra=cra)
    except CodecError as e:
        assert e.offset is not None and 0 <= e.offset <= len(data), (e, data.hex())
        return False
    assert encode_payload(p) == data, data.hex()
    json.dumps(tree, allow_nan=False)
    return True


@settings(max_examples=3000, deadline=None)
@given(prefix=st.sampled_from(PREFIXES), tail=st.binary(max_size=80), code=st.sampled_from(CODES),
       cra=st.sampled_from([1, 2, 3]))
def test_random_payloads_raise_only_codec_error(prefix: bytes, tail: bytes, code: int, cra: int) -> None:
    _accepts_exactly(code, prefix + tail, cra)


@settings(max_examples=1500, deadline=None)
@given(data=st.binary(max_size=60), code=st.sampled_from([None, 0x00CD, 0x00CF, 0x00F2]))
def test_each_decoder_on_random_bytes(data: bytes, code: int | None) -> None:
    """The codecs called directly: CodecError or an exact round trip, nothing else."""
    for decode, encode in ((decode_data, encode_data), (decode_dlms, encode_dlms), (decode_der, encode_der)):
        try:
            value = decode(data)
        except CodecError:
            continue
        assert encode(value) == data     # type: ignore[arg-type]
    for prefixed in (data, b"\x01\x09" + data):
        for gbz in (decode_gbz, lambda b: decode_gbz_alert(b, message_code=code)):
            with contextlib.suppress(CodecError):
                assert encode_gbz(gbz(prefixed)) == prefixed


@pytest.fixture(scope="module")
def distinct_payloads(rtds_dir: Path) -> list[RTDSContent]:
    seen: dict[tuple[int, int, bytes], RTDSContent] = {}
    for item in load_rtds(rtds_dir):
        seen.setdefault((item.message_code, item.cra, item.content), item)
    assert len(seen) == 1001
    return list(seen.values())


def _cuts(n: int) -> range | list[int]:
    """Every cut of a short payload; for long ones the first/last 16 and 48 spread in between."""
    if n <= 96:
        return range(n)
    return sorted(set(range(16)) | set(range(n - 16, n)) | {n * k // 49 for k in range(1, 49)})


def test_every_rtds_truncation_is_a_codec_error(distinct_payloads: list[RTDSContent]) -> None:
    cases = 0
    for item in distinct_payloads:
        for k in _cuts(len(item.content)):
            cases += 1
            assert not _accepts_exactly(item.message_code, item.content[:k], item.cra), (item.file, k)
    assert cases > 30_000


@pytest.mark.slow
def test_every_rtds_truncation_is_a_codec_error_all_cuts(distinct_payloads: list[RTDSContent]) -> None:
    for item in distinct_payloads:
        for k in range(len(item.content)):
            assert not _accepts_exactly(item.message_code, item.content[:k], item.cra), (item.file, k)


def test_changed_bytes_in_rtds_payloads(distinct_payloads: list[RTDSContent]) -> None:
    """One byte changed anywhere: CodecError, or a different payload that still round-trips exactly."""
    rng = random.Random(20240521)
    accepted = rejected = 0
    for item in distinct_payloads:
        for _ in range(8):
            b = bytearray(item.content)
            i = rng.randrange(len(b))
            b[i] = (b[i] + rng.randrange(1, 256)) % 256
            if _accepts_exactly(item.message_code, bytes(b), item.cra):
                accepted += 1
            else:
                rejected += 1
    assert accepted + rejected == 8008 and rejected > 1000 and accepted > 1000
