"""Install code -> link key (DOMAIN.md §3.2; tests/vectors/install_codes.json)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from smetslab.errors import InputError
from smetslab.zigbee import aes_mmo_hash, crc_x25, link_key, parse_install_code

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "install_codes.json").read_text())


@pytest.mark.parametrize("vec", VECTORS["crc_x25"], ids=lambda v: v["source"][:30])
def test_crc_x25_vectors(vec: dict) -> None:
    data = vec["data_ascii"].encode() if "data_ascii" in vec else bytes.fromhex(vec["data"])
    assert crc_x25(data) == int(vec["crc"], 16)


def _bitwise_crc_x25(data: bytes) -> int:
    # Independent reference: the textbook bit-at-a-time reflected CRC (no table).
    crc = 0xFFFF
    for byte in data:
        for i in range(8):
            bit = (byte >> i) & 1
            crc = (crc >> 1) ^ 0x8408 if (crc ^ bit) & 1 else crc >> 1
    return crc ^ 0xFFFF


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40))
def test_crc_x25_matches_the_bitwise_definition(data: bytes) -> None:
    assert crc_x25(data) == _bitwise_crc_x25(data)


@pytest.mark.parametrize("vec", VECTORS["link_keys"], ids=lambda v: v["install_code"])
def test_link_key_vectors(vec: dict) -> None:
    code = parse_install_code(vec["install_code"])
    assert code.with_crc.hex().upper() == vec["install_code"] + vec["crc_bytes"]
    assert link_key(vec["install_code"]).hex().upper() == vec["link_key"]
    assert link_key(bytes.fromhex(vec["install_code"])).hex().upper() == vec["link_key"]


@pytest.mark.parametrize("vec", VECTORS["written_forms"], ids=lambda v: v["text"])
def test_written_forms(vec: dict) -> None:
    assert link_key(vec["text"]).hex().upper() == vec["link_key"]


@pytest.mark.parametrize("vec", VECTORS["rejected"], ids=lambda v: v["text"])
def test_rejected_codes(vec: dict) -> None:
    with pytest.raises(InputError, match=re.escape(vec["error"])):
        link_key(vec["text"])


def test_crc_error_says_what_to_check() -> None:
    with pytest.raises(InputError, match="CRC is C3B6, expected C3B5.*check for a mistyped digit"):
        link_key("83FED3407A939723A5C639B26916D505C3B6")


@pytest.mark.parametrize("n", [6, 8, 12, 16])
def test_every_code_length_with_and_without_crc_gives_the_same_key(n: int) -> None:
    code = bytes(range(0x41, 0x41 + n))
    with_crc = code + _bitwise_crc_x25(code).to_bytes(2, "little")
    assert link_key(with_crc, with_crc=True) == link_key(code, with_crc=False)
    assert link_key(with_crc.hex()) == link_key(code.hex(), with_crc=False)


def test_eight_bytes_are_a_six_byte_code_only_if_the_crc_matches() -> None:
    six = bytes.fromhex("0102030405A6")
    as_six_plus_crc = six + _bitwise_crc_x25(six).to_bytes(2, "little")
    assert parse_install_code(as_six_plus_crc).code == six
    eight = bytes.fromhex("0102030405A60000")
    assert parse_install_code(eight).code == eight  # CRC does not match: an 8-byte code
    with pytest.raises(InputError, match="expected"):
        parse_install_code(eight, with_crc=True)


def test_wrong_length_with_crc_flag() -> None:
    with pytest.raises(InputError, match="with CRC"):
        parse_install_code("83FED3407A939723A5C639B26916D505", with_crc=True)  # 14 + 2 is not a code length


def _reference_mmo(message: bytes) -> bytes:
    # Independent reference: pad per ZigBee Annex B.6 (0x80, k zero bytes, 16-bit bit length) with the
    # smallest k that fills whole blocks, then Matyas-Meyer-Oseas with the library's AES directly.
    k = 0
    while (len(message) + 1 + k + 2) % 16:
        k += 1
    padded = message + b"\x80" + bytes(k) + (8 * len(message)).to_bytes(2, "big")
    h = bytes(16)
    for i in range(0, len(padded), 16):
        block = padded[i : i + 16]
        enc = Cipher(algorithms.AES(h), modes.ECB()).encryptor()
        h = bytes(x ^ y for x, y in zip(enc.update(block) + enc.finalize(), block, strict=True))
    return h


@pytest.mark.parametrize("n", range(0, 40))
def test_aes_mmo_matches_the_reference_at_every_padding_boundary(n: int) -> None:
    message = bytes((7 * i + 3) & 0xFF for i in range(n))
    assert aes_mmo_hash(message) == _reference_mmo(message)


def test_aes_mmo_refuses_inputs_too_long_for_the_16_bit_length() -> None:
    with pytest.raises(InputError, match="8191 bytes"):
        aes_mmo_hash(bytes(8192))
