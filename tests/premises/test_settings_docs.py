"""docs/stories.md's table of a premises' settings is the declaration's (``premises.config.PremisesSettings``):
each field's type, bound, default and meaning are rendered from the model, so the doc cannot drift from the
code (``display_interval_s`` once said 21,600 in one place and 86,400 in two others).

To refresh the table after changing a declaration: ``PYTHONPATH=src python tests/premises/test_settings_docs.py``.
"""

from __future__ import annotations

import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

from annotated_types import Ge, Gt, Le
from pydantic.fields import FieldInfo
from pydantic.functional_validators import BeforeValidator

from smetslab.premises.config import PremisesSettings, SiteConfig

DOC = Path(__file__).resolve().parents[2] / "docs" / "stories.md"
BEGIN = "<!-- premises settings: generated from premises/config.py (tests/premises/test_settings_docs.py) -->"
END = "<!-- end of the premises settings -->"


def _base_text(ann: Any, metadata: list[Any]) -> str:
    if typing.get_origin(ann) is typing.Annotated:
        base, *more = typing.get_args(ann)
        return _base_text(base, [*more, *metadata])
    flat: list[Any] = []
    for m in metadata:  # a nested Field(ge=...) carries its bounds in its own metadata
        flat.extend(m.metadata if isinstance(m, FieldInfo) else [m])
    if typing.get_origin(ann) is typing.Literal:
        return r" \| ".join(f"`{v}`" for v in typing.get_args(ann))
    if any(isinstance(m, BeforeValidator) for m in flat):
        name = "time"
    else:
        name = {bool: "boolean", int: "integer", float: "number", str: "text"}[ann]
    lo = next((f"≥ {m.ge}" for m in flat if isinstance(m, Ge)), None) or \
        next((f"> {m.gt}" for m in flat if isinstance(m, Gt)), None)
    hi = next((m.le for m in flat if isinstance(m, Le)), None)
    if lo is not None and hi is not None and lo.startswith("≥"):
        return f"{name} {lo[2:]}..{hi}"
    return f"{name} {lo}" if lo else name


def type_text(field: FieldInfo) -> str:
    """``integer ≥ 4``, ``time > 0``, ``boolean or `null` ``, ``\\`dual\\` \\| ...``: from the annotation and
    its bounds."""
    ann = field.annotation
    if typing.get_origin(ann) in (typing.Union, types.UnionType) and type(None) in typing.get_args(ann):
        (inner,) = [a for a in typing.get_args(ann) if a is not type(None)]
        return f"{_base_text(inner, list(field.metadata))} or `null`"
    return _base_text(ann, list(field.metadata))


def default_text(value: Any) -> str:
    if value is None:
        return "`null`"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, float):
        return f"`{value:g}`"
    return f"`{value}`"


def table() -> str:
    rows = ["| field | type | default | meaning |", "|---|---|---|---|"]
    for name, field in PremisesSettings.model_fields.items():
        rows.append(f"| `{name}` | {type_text(field)} | {default_text(field.default)} | {field.description} |")
    return "\n".join(rows)


def _documented() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"docs/stories.md lacks the markers {BEGIN!r} ... {END!r}"
    return text[text.index(BEGIN) + len(BEGIN):text.index(END)].strip()


def test_the_docs_table_of_premises_settings_is_the_declarations() -> None:
    assert _documented() == table(), "refresh it: PYTHONPATH=src python tests/premises/test_settings_docs.py"


def test_every_setting_has_a_description_and_the_table_a_row_for_each() -> None:
    rows = re.findall(r"^\| `([a-z_]+)` \|", _documented(), flags=re.MULTILINE)
    assert rows == list(PremisesSettings.model_fields)
    assert all(f.description for f in PremisesSettings.model_fields.values())


def test_the_rendering_of_types_and_defaults() -> None:
    # worked by hand from the declarations' words (not from the renderer)
    f = PremisesSettings.model_fields
    assert type_text(f["device_log_capacity"]) == "integer ≥ 4"
    assert type_text(f["join_timeout_min"]) == "integer 1..65535"
    assert type_text(f["tick_s"]) == "time > 0"
    assert type_text(f["engineer_after_no_route_days"]) == "number ≥ 0 or `null`"
    assert type_text(f["hub_reachable"]) == "boolean or `null`"
    assert type_text(f["fuel"]) == r"`dual` \| `electricity` \| `gas`"
    assert [default_text(v) for v in (None, True, 86_400.0, 7.0, "dual")] == \
        ["`null`", "`true`", "`86400`", "`7`", "`dual`"]


def test_the_top_level_seed_and_options_defaults_are_the_site_configs() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in ("seed", "options"):
        row = re.search(rf"^\| `{name}` \| [^|]+ \| `([^`]+)` \|", text, flags=re.MULTILINE)
        assert row is not None, name
        assert row.group(1) == str(SiteConfig.model_fields[name].default), name


if __name__ == "__main__":  # rewrite the table in docs/stories.md from the declarations
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{table()}\n{END}{tail}", encoding="utf-8")
    sys.stdout.write(f"wrote the premises settings table into {DOC}\n")
