"""Generated test PKI: RTDS layout, SMKI-shaped certificates (DOMAIN.md §5.2), working keys."""

from __future__ import annotations

import datetime
import json
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from smetslab.errors import AuthenticationError, InputError
from smetslab.gbcs import keygen, utrn
from smetslab.gbcs.keystore import Keystore, KeyUsage
from smetslab.units import EUI64

# Independent expectations: the RTDS EUIs and roles of DOMAIN.md §5.2, and the RTDS file names.
RTDS_ORGANISATIONS = {  # EUI -> (OU, files)
    "90b3d51f30010000": ("02", ["ds", "ka", "pp-ka"]),
    "90b3d51f30030000": ("02", ["ds", "ka", "pp-ka"]),
    "90b3d51f30020000": ("03", ["ds", "ka"]),
    "90b3d51f30000002": ("04", ["ds", "ka"]),
}
RTDS_DEVICES = [f"00db1234567890a{i}" for i in range(6)]  # ESME, GSME, CHF, GPF, PPMID, HCALCS
OID_HW_MODULE_NAME = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.4")
OID_X500_UNIQUE_ID = x509.ObjectIdentifier("2.5.4.45")


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pki")
    keygen.write_pki(folder, keygen.generate_pki(seed=1))
    return folder


def _cert(folder: Path, stem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((folder / f"{stem}.pem").read_bytes())


def test_files_are_in_the_rtds_layout(pki_dir: Path) -> None:
    expected = set()
    for eui, (_, kinds) in RTDS_ORGANISATIONS.items():
        expected |= {f"{eui}-{k}.{ext}" for k in kinds for ext in ("pem", "key")}
    for eui in RTDS_DEVICES:
        expected |= {f"{eui}-{k}.{ext}" for k in ("ds", "ka") for ext in ("pem", "key")}
    names = {p.name for p in pki_dir.iterdir()}
    assert names == expected | {"root-ca.pem", "issuing-ca.pem", keygen.MANIFEST_NAME}


@pytest.mark.parametrize("eui", sorted(RTDS_ORGANISATIONS))
def test_organisation_certificates(pki_dir: Path, eui: str) -> None:
    ou, kinds = RTDS_ORGANISATIONS[eui]
    for kind in kinds:
        cert = _cert(pki_dir, f"{eui}-{kind}")
        assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == ou
        uid = cert.subject.get_attributes_for_oid(OID_X500_UNIQUE_ID)[0]
        assert uid.value == b"\x00" + bytes.fromhex(eui)  # BIT STRING: 0 unused bits, then the EUI
        _check_key(cert, kind)


@pytest.mark.parametrize("eui", RTDS_DEVICES)
def test_device_certificates(pki_dir: Path, eui: str) -> None:
    for kind in ("ds", "ka"):
        cert = _cert(pki_dir, f"{eui}-{kind}")
        assert len(cert.subject) == 0
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        assert san.critical
        (other,) = san.value.get_values_for_type(x509.OtherName)
        assert other.type_id == OID_HW_MODULE_NAME
        assert other.value.endswith(b"\x04\x08" + bytes.fromhex(eui))  # hwSerialNum OCTET STRING
        _check_key(cert, kind)


def _check_key(cert: x509.Certificate, kind: str) -> None:
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical
    assert (ku.value.digital_signature, ku.value.key_agreement) == ((True, False) if kind == "ds" else (False, True))


def test_chain_verifies_to_the_root(pki_dir: Path) -> None:
    root = x509.load_pem_x509_certificate((pki_dir / "root-ca.pem").read_bytes())
    ca = x509.load_pem_x509_certificate((pki_dir / "issuing-ca.pem").read_bytes())
    ca.verify_directly_issued_by(root)
    root.verify_directly_issued_by(root)
    pems = sorted(pki_dir.glob("????????????????-*.pem"))  # every key certificate, not the CAs
    # Not vacuous: the glob finds every certificate the PKI issues - a DS and a KA certificate for each RTDS
    # device, and the supplier's and the ACB's (counted from the fixture's own inventory, not the glob).
    assert len(pems) == len([p for p in pki_dir.iterdir() if p.suffix == ".pem"]) - 2  # less root and issuing CA
    assert {f"{eui}-{kind}.pem" for eui in RTDS_DEVICES for kind in ("ds", "ka")} <= {p.name for p in pems}
    for pem in pems:
        x509.load_pem_x509_certificate(pem.read_bytes()).verify_directly_issued_by(ca)


def test_private_keys_match_certificates_and_are_owner_only(pki_dir: Path) -> None:
    ks = Keystore.from_directory(pki_dir)
    for kid in ks.key_ids():
        assert ks.has_private(kid)
        assert ks.public(kid.eui, kid.usage, kid.prepayment).public_numbers() == \
            ks.private(kid.eui, kid.usage, kid.prepayment).public_key().public_numbers()
        mode = (pki_dir / f"{kid.file_stem()}.key").stat().st_mode
        assert stat.S_IMODE(mode) == 0o600


def test_generated_folder_issues_and_verifies_utrns(pki_dir: Path) -> None:
    ks = Keystore.from_directory(pki_dir)
    code = utrn.issue(ks, supplier="90B3D51F30010000", meter="00DB1234567890A1", counter=9 << 32, value=2025)
    v = utrn.verify(ks, code, supplier="90B3D51F30010000", meter="00DB1234567890A1")
    assert (v.counter, v.value_pence) == (9 << 32, 2025)
    # a fresh PKI is not the RTDS one: DOMAIN.md §1.6 vector #1 must not verify with it
    with pytest.raises(AuthenticationError):
        utrn.verify(ks, "73943333457189043313", supplier="90B3D51F30010000", meter="00DB1234567890A0")


def test_manifest_names_the_entities(pki_dir: Path) -> None:
    manifest = json.loads((pki_dir / keygen.MANIFEST_NAME).read_text())
    assert manifest["entities"]["esme"] == "00DB1234567890A0"
    assert manifest["entities"]["acb"] == "90B3D51F30000002"


def test_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    keygen.write_pki(tmp_path, keygen.generate_pki(seed=2))
    before = (tmp_path / "90b3d51f30010000-pp-ka.key").read_bytes()
    with pytest.raises(InputError, match="--force"):
        keygen.write_pki(tmp_path, keygen.generate_pki(seed=3))
    assert (tmp_path / "90b3d51f30010000-pp-ka.key").read_bytes() == before  # nothing written
    (tmp_path / "90b3d51f30010000-pp-ka.key").chmod(0o644)
    keygen.write_pki(tmp_path, keygen.generate_pki(seed=3), force=True)
    assert (tmp_path / "90b3d51f30010000-pp-ka.key").read_bytes() != before
    # an overwritten private key file is made owner-only again
    assert stat.S_IMODE((tmp_path / "90b3d51f30010000-pp-ka.key").stat().st_mode) == 0o600


def test_seed_makes_keys_reproducible_and_different_seeds_differ() -> None:
    a, b, c = (keygen.generate_pki(seed=s) for s in (5, 5, 6))
    na = [k.private.private_numbers().private_value for k in a.keys]
    assert na == [k.private.private_numbers().private_value for k in b.keys]
    assert set(na).isdisjoint(k.private.private_numbers().private_value for k in c.keys)
    assert len(set(na)) == len(na)  # every key pair distinct


def test_unseeded_keys_are_fresh() -> None:
    a, b = keygen.generate_pki(), keygen.generate_pki()
    assert a.keys[0].private.private_numbers() != b.keys[0].private.private_numbers()


def test_in_memory_keystore_holds_every_pair() -> None:
    ks = keygen.generate_keystore(seed=7)
    assert ks.has_private(next(k for k in ks.key_ids() if k.prepayment))
    kinds = {(str(k.eui), k.usage, k.prepayment) for k in ks.key_ids()}
    assert ("90B3D51F30030000", KeyUsage.KA, True) in kinds
    assert ("00DB1234567890A5", KeyUsage.DS, False) in kinds
    assert len(kinds) == 2 * 3 + 2 * 2 + 6 * 2
    assert ks.certificate("00DB1234567890A4", KeyUsage.KA) is not None


def test_entities_are_configurable() -> None:
    ents = keygen.PKIEntities().with_overrides({"esme": "00-DB-00-00-00-00-00-01", "supplier": "AABBCCDDEEFF0011"})
    pki = keygen.generate_pki(ents, seed=8)
    assert {str(k.kid.eui) for k in pki.keys if k.entity == "esme"} == {"00DB000000000001"}
    code = utrn.issue(pki.keystore(), supplier="AABBCCDDEEFF0011", meter="00DB000000000001", counter=1 << 32, value=5)
    assert utrn.verify(pki.keystore(), code, supplier="AABBCCDDEEFF0011", meter="00DB000000000001").value == 5


@pytest.mark.parametrize(("overrides", "message"), [
    ({"meter": "00DB000000000001"}, "unknown; allowed are supplier"),
    ({"esme": "00DB0000000001"}, "16 hex digits"),
    ({"gsme": "00DB1234567890A0"}, "both esme and gsme"),
])
def test_bad_entity_overrides(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        keygen.PKIEntities().with_overrides(overrides)


def test_validity_starts_at_the_injected_time() -> None:
    start = datetime.datetime(2030, 5, 6, 7, 8, 9, tzinfo=datetime.UTC)
    pki = keygen.generate_pki(seed=9, not_before=start)
    assert all(k.certificate.not_valid_before_utc == start for k in pki.keys)
    assert pki.keys[0].certificate.not_valid_after_utc.year == 9999
    with pytest.raises(InputError, match="timezone-aware"):
        keygen.generate_pki(not_before=datetime.datetime(2030, 1, 1))


def test_default_entities_are_the_rtds_euis() -> None:
    ents = keygen.PKIEntities()
    assert (ents.esme, ents.gsme, ents.ppmid) == (EUI64("00DB1234567890A0"), EUI64("00DB1234567890A1"),
                                                   EUI64("00DB1234567890A4"))
