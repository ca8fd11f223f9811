"""Sans-I/O GBCS: UTRNs, frames, KDF/MAC/signatures, payload codecs, code tables and the keystore.

No clock, file, socket or random number generator is used here except the keystore's file
loading (``Keystore.from_directory``) and key generation (``keygen``).
"""

from smetslab.gbcs.keystore import KeyId, Keystore, KeyUsage

__all__ = ["Keystore", "KeyUsage", "KeyId"]
