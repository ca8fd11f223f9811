"""Story schema: the time syntax (values worked out by hand), validation, and one-line errors that name
the field path, the value and what is allowed."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from smetslab.errors import InputError
from smetslab.interfaces.config import load_story
from smetslab.premises.story import (
    STEP_KINDS,
    CounterExpectation,
    EventsExpectation,
    NeverExpectation,
    format_time,
    parse_time,
    validate_story,
)

BASE: dict[str, Any] = {
    "name": "t",
    "seed": 4,
    "options": "secmp0037",
    "horizon": "10d",
    "premises": {"fuel": "dual", "initial_credit_pence": 500},
    "timeline": [
        {"at": 0, "do": "install"},
        {"at": "1d", "do": "wan_lost"},
        {"at": "+2h", "do": "utrn_issued", "value_pence": 1000, "route": "ppmid", "label": "a"},
        {"at": "day 2 09:30", "do": "utrn_entered", "label": "a", "on": "meter_keypad"},
    ],
    "expect": ["topups_accepted == 1", {"never": {"event": "TopUpAccepted", "twice_with_same": "utrn"}}],
}


def _with(mutate: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    mutate(data)
    return data


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(InputError) as info:
        validate_story(data, "'s.yaml'")
    msg = str(info.value)
    assert "\n" not in msg
    return msg


# -- time syntax -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "seconds"), [
    (0, 0.0), (3600, 3600.0), (90.5, 90.5), ("3600", 3600.0),
    ("90m", 5_400.0), ("2d 3h", 2 * 86_400 + 3 * 3_600), ("3h2d", 2 * 86_400 + 3 * 3_600), ("1.5h", 5_400.0),
    ("30s", 30.0), ("1w", 604_800.0), ("1d 1h 1m 1s", 90_061.0),
    ("P2DT3H", 183_600.0), ("PT90M", 5_400.0), ("P1W", 604_800.0), ("PT0.5S", 0.5), ("P1DT1H1M1S", 90_061.0),
    ("day 0", 0.0), ("day 2 09:30", 2 * 86_400 + 9 * 3_600 + 30 * 60), ("day 1 23:59:59", 86_400 + 86_399),
])
def test_time_syntax(text: object, seconds: float) -> None:
    spec = parse_time(text)
    assert spec.seconds == seconds and not spec.relative


_NOT_A_TIME = "not a time; expected"
_NOT_FINITE = "must be a finite number of seconds >= 0"
_NOT_RELATIVE = "a relative time ('+...') is allowed only for a timeline step's 'at'"
_WRONG_TYPE = "expected a time:"


@pytest.mark.parametrize(("text", "reason"), [
    ("", _NOT_A_TIME), ("2x", _NOT_A_TIME), ("-5", _NOT_A_TIME), (-1, _NOT_FINITE), ("day 2 25:00", _NOT_A_TIME),
    ("day 2 09:60", _NOT_A_TIME), ("P", _NOT_A_TIME), ("PT", _NOT_A_TIME), ("P2DT", _NOT_A_TIME),
    ("5 d h", _NOT_A_TIME), ("+1h", _NOT_RELATIVE), (True, _WRONG_TYPE), (None, _WRONG_TYPE), ([1], _WRONG_TYPE),
    (float("inf"), _NOT_FINITE), ("1h -", _NOT_A_TIME), ("nan", _NOT_A_TIME)])
def test_time_syntax_refusals(text: object, reason: str) -> None:
    # Not any ValueError (an int() or a regex failing inside would pass that): the refusal says what is wrong
    # and lists every form a time may take (docs/stories.md "Times").
    with pytest.raises(ValueError) as exc:
        parse_time(text)
    message = str(exc.value)
    assert message.startswith(reason), message
    for form in ("seconds (e.g. 3600)", "units (e.g. '2d 3h', '90m', '1.5h')",
                 "an ISO 8601 duration (e.g. 'P2DT3H', 'PT90M')", "a day and clock (e.g. 'day 2 09:30')"):
        assert form in message


def test_relative_times_add_up_from_the_step_before() -> None:
    story = validate_story(_with(lambda d: d["timeline"].extend([
        {"at": "+10m", "do": "button_pressed"}, {"at": "+PT1H", "do": "hub_power_cycled"}])))
    times = [t for t, _ in story.steps()]
    assert times == [0.0, 86_400.0, 93_600.0, 207_000.0, 207_600.0, 211_200.0]


def test_format_time_reads_back() -> None:
    assert format_time(207_000.0) == "d2 09:30:00"
    assert format_time(0.5) == "d0 00:00:00.500"
    assert parse_time("day 2 09:30").seconds == 207_000.0


# -- a valid story ---------------------------------------------------------------------------------------

def test_valid_story_fields_and_expectations() -> None:
    story = validate_story(BASE)
    assert story.options == "secmp0037" and story.seed == 4 and story.horizon.seconds == 864_000.0
    assert story.premises.initial_credit_pence == 500 and story.premises.daily_spend_pence == 300  # default
    counter, never = story.expect
    assert isinstance(counter, CounterExpectation)
    assert (counter.counter, counter.op, counter.value) == ("topups_accepted", "==", 1.0)
    assert isinstance(never, NeverExpectation) and never.never.twice_with_same == ["utrn"]
    assert story.expectation_texts() == ["topups_accepted == 1", "never TopUpAccepted twice with the same utrn"]
    assert story.issued_fuel("a") == "electricity"


def test_expectation_shapes() -> None:
    story = validate_story(_with(lambda d: d.__setitem__("expect", [
        "self_disconnected_hours <= 0.5",
        {"counter": "rogue_joins", "op": "==", "value": 0, "name": "no rogue device joins"},
        {"events": {"event": "TopUpAccepted", "device": "ESME", "where": {"route": "PPMID"}, "after": "1d",
                    "before": "2d"}, "count": ">= 1"},
        {"events": {"event": "JoinRefused"}, "count": 0},
        {"never": {"event": "DeviceJoined", "where": {"via": "LOCAL"}}},
    ])))
    a, b, c, d, e = story.expect
    assert isinstance(a, CounterExpectation) and a.value == 0.5 and a.op == "<="
    assert isinstance(b, CounterExpectation) and b.text() == "no rogue device joins"
    assert isinstance(c, EventsExpectation) and c.count == (">=", 1) and c.events.after is not None
    assert c.events.after.seconds == 86_400 and c.events.before is not None and c.events.before.seconds == 172_800
    assert isinstance(d, EventsExpectation) and d.count == ("==", 0)
    assert isinstance(e, NeverExpectation) and e.never.twice_with_same is None


def test_yaml_bare_on_key_means_the_field_on(tmp_path: Path) -> None:
    # YAML 1.1 reads `on:` as the boolean true; the story still means the keypad.
    path = tmp_path / "s.yaml"
    path.write_text("horizon: 1d\ntimeline:\n  - {at: 0, do: utrn_issued, value_pence: 5, route: wan, label: a}\n"
                    "  - at: 1h\n    do: utrn_entered\n    label: a\n    on: ppmid\n")
    story = load_story(path)
    assert story.timeline[1].on == "ppmid"  # type: ignore[union-attr]
    assert story.name == "s"  # from the file name when the story does not say


# -- one-line errors naming the field ----------------------------------------------------------------------

def test_bad_time_names_the_step_field() -> None:
    msg = _error(_with(lambda d: d["timeline"][3].__setitem__("at", "2x")))
    assert msg.startswith("story 's.yaml': timeline[3].at = '2x': not a time")
    assert "'2d 3h'" in msg and "P2DT3H" in msg and "day 2 09:30" in msg


def test_step_after_the_horizon() -> None:
    msg = _error(_with(lambda d: d["timeline"][3].__setitem__("at", "40d")))
    assert "timeline[3].at = '40d'" in msg and "after the horizon" in msg


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda d: d["timeline"][2].__setitem__("value_pence", "ten"), "timeline[2].value_pence = 'ten': wrong type"),
    (lambda d: d["timeline"][2].__setitem__("value_pence", -1), "timeline[2].value_pence = -1"),
    (lambda d: d["timeline"][2].__setitem__("valeu", 3), "unknown field 'timeline[2].valeu'; allowed: at, note, do, "
                                                         "value_pence, fuel, route, label"),
    (lambda d: d["timeline"][2].__setitem__("route", "pigeon"),
     "timeline[2].route = 'pigeon': allowed: 'wan', 'relay', 'phone_app', 'ppmid', 'meter_keypad' or 'sms'"),
    (lambda d: d["timeline"][1].__setitem__("do", "wan_lsot"), "timeline[1].do = 'wan_lsot': missing or unknown"),
    (lambda d: d["timeline"][1].pop("do"), "missing field 'timeline[1].do'"),
    (lambda d: d["timeline"][1].pop("at"), "missing field 'timeline[1].at'"),
    (lambda d: d["timeline"][3].__setitem__("label", "b"), "timeline[3].label = 'b': no earlier utrn_issued"),
    (lambda d: d["timeline"][3].__setitem__("on", "phone"), "timeline[3].on = 'phone': allowed: 'ppmid' or "
                                                            "'meter_keypad'"),
    (lambda d: d.__setitem__("options", "secmp0037+nope"), "options = 'secmp0037+nope': unknown option 'nope'"),
    (lambda d: d.__setitem__("horizn", "1d"), "unknown field 'horizn'; allowed: name, description, seed"),
    (lambda d: d.pop("horizon"), "missing field 'horizon'"),
    (lambda d: d.__setitem__("horizon", 0), "horizon = 0"),
    (lambda d: d.__setitem__("seed", "x"), "seed = 'x': wrong type"),
    (lambda d: d.__setitem__("timeline", []), "timeline: list should have at least 1 item"),
    (lambda d: d["premises"].__setitem__("initial_credit_pence", 10.5),
     "premises.initial_credit_pence = 10.5: wrong type (float)"),
    (lambda d: d["premises"].__setitem__("intial_credit_pence", 10),
     "unknown field 'premises.intial_credit_pence'; allowed: fuel, initial_credit_pence"),
    (lambda d: d["premises"].__setitem__("fuel", "electricity") or d["timeline"][2].__setitem__("fuel", "gas"),
     "timeline[2].fuel = 'gas': the premises has no gas meter"),
    (lambda d: d["timeline"].append({"at": "1d", "do": "install"}), "timeline[4].do = 'install': the premises is "
                                                                    "installed once"),
    (lambda d: d["timeline"].append({"at": "1d", "do": "attacker_arrives", "kind": "rogue_join", "duration": "ever"}),
     "timeline[4].duration = 'ever': not a time"),
    (lambda d: d["timeline"].append({"at": "1d", "do": "attacker_arrives", "kind": "burglar"}),
     "timeline[4].kind = 'burglar': allowed: 'rogue_join'"),
    (lambda d: d["timeline"].append({"at": "1d", "do": "utrn_issued", "value_pence": 1, "route": "wan",
                                     "label": "a"}), "timeline[4].label = 'a': already used by timeline[2]"),
    (lambda d: d["expect"].__setitem__(0, "topups_accepted = 1"), "expect[0] = 'topups_accepted = 1': expected "
                                                                 "'<counter> <op> <number>'"),
    (lambda d: d["expect"].__setitem__(1, {"never": {"evnt": "X"}}), "unknown field 'expect[1].never.evnt'; allowed: "
                                                                     "event, device, where, after, before, "
                                                                     "twice_with_same"),
    (lambda d: d["expect"].__setitem__(1, {"nevr": {"event": "X"}}), "expect[1]: expected 'counter op number'"),
    (lambda d: d["expect"].append({"events": {"event": "X"}, "count": "lots"}), "expect[2].count = 'lots'"),
    (lambda d: d["expect"].append({"events": {"event": "X", "after": "2d", "before": "1d"}, "count": 1}),
     "before (1d) must be later than after (2d)"),
    (lambda d: d["expect"].append({"never": {"event": "X", "twice_with_same": []}}),
     "expect[2].never.twice_with_same"),
])
def test_malformed_story_errors_name_the_field(mutate: Any, expected: str) -> None:
    assert expected in _error(_with(mutate))


def test_every_step_kind_of_the_contract_is_in_the_schema() -> None:
    assert set(STEP_KINDS) == {"install", "wan_lost", "wan_restored", "ppmid_lost", "replacement_ppmid_arrives",
                               "button_pressed", "hub_power_cycled", "utrn_issued", "utrn_entered",
                               "attacker_arrives", "emergency_credit_requested", "supply_enable_requested",
                               "engineer_arrives"}


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_story(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("horizon: 1d\ntimeline: [\n")
    with pytest.raises(InputError, match=r"not valid YAML at line \d+, column \d+"):
        load_story(bad)
    top = tmp_path / "list.yaml"
    top.write_text("- 1\n")
    with pytest.raises(InputError, match="expected a mapping of fields at the top level"):
        load_story(top)


def test_a_storys_premises_and_the_sites_config_are_one_declaration() -> None:
    # One declaration (issue 10 point 3): a story's premises schema and SiteConfig are both PremisesSettings,
    # so neither restates a field, a bound or a default (display_interval_s once drifted: 21,600 in one,
    # 86,400 in the others).
    from smetslab.premises.config import PremisesSettings
    from smetslab.premises.site import SiteConfig
    from smetslab.premises.story import Premises
    assert issubclass(Premises, PremisesSettings) and issubclass(SiteConfig, PremisesSettings)
    assert set(Premises.model_fields) == set(PremisesSettings.model_fields)
    assert set(SiteConfig.model_fields) - set(Premises.model_fields) == {"seed", "options", "keystore"}
    for cls in (Premises, SiteConfig):  # neither redeclares a setting (its own annotations)
        assert not set(vars(cls).get("__annotations__", {})) & set(PremisesSettings.model_fields), cls
    assert Premises().display_interval_s == SiteConfig().display_interval_s == 86_400.0  # docs/stories.md
