"""``smetslab.validation.one_line``: the one formatter of validation errors. Small models declared here, and
the expected lines written out by hand from the rule (path as the file writes it, the value, what is
allowed), never produced by the formatter itself."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictInt,
    Tag,
    ValidationError,
    model_validator,
)

from smetslab.errors import InputError
from smetslab.validation import loc_text, one_line

_STRICT = ConfigDict(extra="forbid")


class Walk(BaseModel):
    model_config = _STRICT
    do: Literal["walk"]
    metres: StrictInt = Field(ge=0)


class Run(BaseModel):
    model_config = _STRICT
    do: Literal["run"]
    pace: Literal["slow", "fast"] = "slow"


def _tag(v: Any) -> str | None:
    tag = v.get("do") if isinstance(v, dict) else None
    return tag if tag in ("walk", "run") else None


Step = Annotated[Annotated[Walk, Tag("walk")] | Annotated[Run, Tag("run")],
                 Discriminator(_tag, custom_error_type="step_kind", custom_error_message="missing or unknown 'do'")]


class Plan(BaseModel):
    model_config = _STRICT
    name: str
    count: int = 1
    steps: list[Step] = []
    tags: list[str] = []

    @model_validator(mode="after")
    def _names_its_field(self) -> Plan:
        if self.count == 13:
            raise ValueError("count = 13: unlucky; any other count")
        return self


def _line(data: dict[str, Any], **kw: Any) -> str:
    with pytest.raises(ValidationError) as info:
        Plan.model_validate(data)
    err = one_line(info.value, "plan", "'p.yaml'", **kw)
    assert isinstance(err, InputError) and "\n" not in str(err)
    return str(err)


def test_loc_text_writes_the_path_as_a_file_does() -> None:
    assert loc_text(("steps", 3, "metres")) == "steps[3].metres"
    assert loc_text(("a", "b", 0, 1)) == "a.b[0][1]"
    assert loc_text(()) == "(top level)"


def test_an_unknown_field_comes_first_with_the_allowed_names_and_a_count_of_the_rest() -> None:
    # a misspelt "name" is both unknown ('nme') and missing ('name'): the unknown one is the useful one
    line = _line({"nme": "x"}, allowed_fields=lambda loc: ["name", "count", "steps", "tags"] if loc == ("nme",)
                 else None)
    assert line == ("plan 'p.yaml': unknown field 'nme'; allowed: name, count, steps, tags; did you mean 'name'? "
                    "(and 1 more problem)")


def test_an_unknown_field_like_no_allowed_one_gets_no_guess() -> None:
    line = _line({"zzzz": "x", "name": "n"}, allowed_fields=lambda loc: ["name", "count", "steps", "tags"])
    assert line.startswith("plan 'p.yaml': unknown field 'zzzz'; allowed: name, count, steps, tags")
    assert "did you mean" not in line


def test_a_missing_field() -> None:
    assert _line({}) == "plan 'p.yaml': missing field 'name' (required)"


def test_a_value_error_gives_path_value_and_message() -> None:
    assert _line({"name": "x", "count": "many"}) == \
        "plan 'p.yaml': count = 'many': wrong type (str); input should be a valid integer, unable to parse " \
        "string as an integer"


def test_union_tags_after_a_list_index_are_dropped_from_the_path() -> None:
    data = {"name": "x", "steps": [{"do": "run"}, {"do": "walk", "metres": -1}]}
    assert _line(data, union_tags={"steps": ("walk", "run")}) == \
        "plan 'p.yaml': steps[1].metres = -1: input should be greater than or equal to 0"
    # without the data saying which parts are tags, pydantic's tag shows in the path
    assert "steps[1].walk.metres" in _line(data)


def test_a_discriminator_error_names_the_tag_field() -> None:
    kinds = {"step_kind": ("do", ("walk", "run"))}
    assert _line({"name": "x", "steps": [{"metres": 1}]}, discriminators=kinds) == \
        "plan 'p.yaml': missing field 'steps[0].do' (required); allowed: walk, run"
    assert _line({"name": "x", "steps": [{"do": "swim"}]}, discriminators=kinds) == \
        "plan 'p.yaml': steps[0].do = 'swim': missing or unknown 'do'"


def test_literal_wording_is_pydantics_unless_told() -> None:
    data = {"name": "x", "steps": [{"do": "run", "pace": "jog"}]}
    tags = {"steps": ("walk", "run")}
    assert _line(data, union_tags=tags) == "plan 'p.yaml': steps[0].pace = 'jog': input should be 'slow' or 'fast'"
    assert _line(data, union_tags=tags, literal_intro="allowed:") == \
        "plan 'p.yaml': steps[0].pace = 'jog': allowed: 'slow' or 'fast'"


def test_a_cross_field_message_that_names_its_field_is_not_prefixed_again() -> None:
    assert _line({"name": "x", "count": 13}) == "plan 'p.yaml': count = 13: unlucky; any other count"


def test_a_mapping_or_list_value_is_not_repeated() -> None:
    assert _line({"name": "x", "tags": "a"}) == \
        "plan 'p.yaml': tags = 'a': wrong type (str); input should be a valid list"
    assert _line({"name": {"first": "x"}}) == "plan 'p.yaml': name: wrong type (dict); input should be a valid string"
    assert _line({"name": "x", "tags": [1]}) == "plan 'p.yaml': tags[0] = 1: wrong type (int); input should be a " \
                                                "valid string"


def test_no_what_and_no_where_gives_a_bare_line() -> None:
    with pytest.raises(ValidationError) as info:
        Plan.model_validate({"name": "x", "count": -1, "steps": [{"do": "walk", "metres": -1}]})
    assert str(one_line(info.value, "", "", union_tags={"steps": ("walk",)})) == \
        "steps[0].metres = -1: input should be greater than or equal to 0"


def test_problems_lists_every_field_for_a_form() -> None:
    from smetslab.validation import problems

    with pytest.raises(ValidationError) as info:
        Plan.model_validate({"name": "p", "count": 13, "tags": ["a", 5]})
    got = problems(info.value)
    assert {"field": "tags[1]", "value": 5, "message": "Input should be a valid string"} in got
    with pytest.raises(ValidationError) as info:
        Plan.model_validate({"name": "p", "count": 13})
    assert problems(info.value) == [{"field": "", "value": None, "message": "count = 13: unlucky; any other count"}]
