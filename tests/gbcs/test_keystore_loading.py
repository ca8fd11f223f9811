"""The keystore reads its folder up front (issue 10 point 5): once opened, looking a key up does no I/O, so
a device step that needs a key cannot touch the disk - shown by emptying the folder after opening it."""

from __future__ import annotations

from pathlib import Path

from smetslab.gbcs import keygen
from smetslab.gbcs.keystore import Keystore, KeyUsage

ESME = "00db1234567890a0"


def test_keys_are_read_at_open_not_on_first_use(tmp_path: Path) -> None:
    keygen.write_pki(tmp_path, keygen.generate_pki(seed=3))
    expected = Keystore.from_directory(tmp_path).public(ESME, KeyUsage.KA).public_numbers()
    ks = Keystore.from_directory(tmp_path)
    for f in tmp_path.iterdir():  # the folder is gone before any key is used
        f.unlink()
    assert ks.public(ESME, KeyUsage.KA).public_numbers() == expected
    assert ks.private(ESME, KeyUsage.KA).public_key().public_numbers() == expected


def test_a_replaced_key_agrees_a_new_secret() -> None:
    """``agree_ka`` remembers secrets by EUI; replacing a key must forget them (else a MAC would use the old
    key's secret). Expected values from ``cryptography``'s ECDH directly, not from the keystore."""
    from smetslab.gbcs import crypto

    a, b = "00db1234567890a0", "00db1234567890b0"
    ka, kb, kb2 = (crypto.private_key_from_seed(bytes([i]) * 32) for i in (1, 2, 3))
    ks = Keystore()
    ks.add(a, KeyUsage.KA, private=ka)
    ks.add(b, KeyUsage.KA, public=kb.public_key())
    ea, eb = ks.key_ids()[0].eui, ks.key_ids()[1].eui
    assert ks.agree_ka(ea, eb) == crypto.ecdh(ka, kb.public_key())
    ks.add(b, KeyUsage.KA, public=kb2.public_key())
    assert ks.agree_ka(ea, eb) == crypto.ecdh(ka, kb2.public_key()) != crypto.ecdh(ka, kb.public_key())
