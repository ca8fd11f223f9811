"""ZigBee HAN helpers: install-code CRC-16/X-25 and AES-MMO link keys (DOMAIN.md §3.2)."""

from smetslab.zigbee.install_code import InstallCode, aes_mmo_hash, crc_x25, link_key, parse_install_code

__all__ = ["InstallCode", "aes_mmo_hash", "crc_x25", "link_key", "parse_install_code"]
