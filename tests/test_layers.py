"""The layer picture of README.md ("Architecture") is the code's: every import of a smetslab module flows down
the layers, and no package imports another package's private module (issue 10). Read from the source with
``ast``, so lazily imported modules (inside functions) count too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "smetslab"

# README.md's picture, bottom to top; a package may import its own layer's modules only if listed together.
LAYERS: list[set[str]] = [
    {"units", "errors", "validation"},
    {"gbcs", "zigbee", "policy"},
    {"devices", "fleet"},  # fleet sits beside devices and premises: it imports policy only (checked below)
    {"premises"},
    {"risk"},
    {"report"},
    {"interfaces"},
]
ALLOWED_SAME_LAYER = {("zigbee", "gbcs"), ("fleet", "policy")}
RANK = {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}


def _package(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.suffix == ".py" else rel.parts[0]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("smetslab."):
            out.append(node.module)
            out.extend(f"{node.module}.{a.name}" for a in node.names)  # `from smetslab.x import _y`
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names if a.name.startswith("smetslab."))
    return out


MODULES = sorted(p for p in SRC.rglob("*.py") if len(p.relative_to(SRC).parts) > 1)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_flow_down_the_layers(path: Path) -> None:
    me = _package(path)
    for module in _imports(path):
        parts = module.split(".")
        them = parts[1]
        if them == me or them not in RANK:
            continue
        assert RANK[them] < RANK[me] or (me, them) in ALLOWED_SAME_LAYER, f"{me} imports {module} (upward)"
        if me == "fleet":
            assert them in ("policy", "units", "errors", "validation"), f"fleet imports {module}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_package_imports_another_packages_private_module(path: Path) -> None:
    me = _package(path)
    for module in _imports(path):
        parts = module.split(".")
        if parts[1] == me or len(parts) < 3:
            continue
        private = [p for p in parts[2:] if p.startswith("_") and not p.startswith("__")]
        if private:
            pytest.fail(f"{path.relative_to(SRC)} imports {module}: private to {parts[1]}")


def test_the_test_can_see_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("from smetslab.gbcs import _crypto\nfrom smetslab.premises.site import Site\n")
    assert "smetslab.gbcs._crypto" in _imports(bad) and "smetslab.premises.site" in _imports(bad)
