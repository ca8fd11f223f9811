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
