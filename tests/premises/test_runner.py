"""The runner: expectations judged against hand-made counters and logs (answers worked out by hand),
the timeline turned into the contract's Site calls, and whole runs on the test stand-in Site."""

from __future__ import annotations

from typing import Any

import pytest
from _storykit import FakeSite, fake_factory

from smetslab.errors import InputError
from smetslab.premises.engine import LogRecord
from smetslab.premises.runner import evaluate, run_story, schedule_timeline, summary
from smetslab.premises.story import validate_story

DAY = 86_400.0


def story(expect: list[Any], timeline: list[Any] | None = None, **top: Any) -> Any:
    return validate_story({"horizon": "5d", "timeline": timeline or [{"at": 0, "do": "install"}],
                           "expect": expect, **top})


def rec(t: float, device: str, event: str, **fields: Any) -> LogRecord:
    return LogRecord(t, device, event, fields)


LOG = [
    rec(0, "CHF", "DeviceJoined", eui="00DB1234567890A0", via="INSTALL_CODE"),
    rec(DAY, "ESME", "TopUpAccepted", utrn="111", value_pence=500, route="PPMID"),
    rec(DAY + 60, "ESME", "TopUpRejected", utrn="111", reason="DUPLICATE", route="KEYPAD"),
    rec(2 * DAY, "GSME", "TopUpAccepted", utrn="222", value_pence=700, route="KEYPAD"),
    rec(3 * DAY, "ESME", "TopUpAccepted", utrn="333", value_pence=100, route="REMOTE"),
]
COUNTERS = {"topups_accepted": 3.0, "self_disconnected_hours": 1.0 / 3.0, "rogue_joins": 0.0}


def verdicts(expect: list[Any], log: list[LogRecord] = LOG, counters: dict[str, float] = COUNTERS) -> list[bool]:
    return [v.passed for v in evaluate(story(expect), counters, log, devices=["CHF", "ESME", "GSME"])]


def test_counter_comparisons() -> None:
    assert verdicts(["topups_accepted == 3", "topups_accepted != 3", "topups_accepted >= 3", "topups_accepted > 3",
                     "topups_accepted <= 2", "topups_accepted < 4", "rogue_joins == 0"]) == [
        True, False, True, False, False, True, True]


def test_float_counters_compare_within_rounding() -> None:
    # 1/3 h summed from seconds is not exactly 0.333333; equality allows 1e-9 either way.
    assert verdicts(["self_disconnected_hours == 0.333333333333", "self_disconnected_hours <= 0"]) == [True, False]


def test_event_counts_with_device_fields_and_time_span() -> None:
    assert verdicts([
        {"events": {"event": "TopUpAccepted"}, "count": 3},
        {"events": {"event": "TopUpAccepted", "device": "ESME"}, "count": 2},
        {"events": {"event": "TopUpAccepted", "where": {"route": "KEYPAD"}}, "count": 1},
        {"events": {"event": "TopUpAccepted", "after": "1d", "before": "3d"}, "count": 2},  # [1d, 3d)
        {"events": {"event": "TopUpAccepted", "where": {"value_pence": 500}}, "count": ">= 2"},
        {"events": {"event": "TopUpRejected"}, "count": "< 1"},
    ]) == [True, True, True, True, False, False]


def test_never_any_and_never_twice_with_the_same_field() -> None:
    dup = [*LOG, rec(4 * DAY, "ESME", "TopUpAccepted", utrn="111", value_pence=500, route="KEYPAD")]
    assert verdicts([{"never": {"event": "TopUpAccepted", "twice_with_same": "utrn"}},
                     {"never": {"event": "TopUpRejected", "where": {"reason": "NOT_AUTHENTIC"}}},
                     {"never": {"event": "TopUpRejected"}},
                     {"never": {"event": "TopUpAccepted", "twice_with_same": "device"}}]) == [True, True, False, False]
    (v,) = evaluate(story([{"never": {"event": "TopUpAccepted", "twice_with_same": "utrn"}}]), COUNTERS, dup)
    assert not v.passed and v.observed == "utrn=111 at d1 00:00:00 and d4 00:00:00"
    assert v.expectation == "never TopUpAccepted twice with the same utrn"


@pytest.mark.parametrize(("expect", "message"), [
    ("topup_accepted == 3", "expect[0].counter = 'topup_accepted': not a counter of this premises; did you mean "
                            "'topups_accepted'?"),
    ({"never": {"event": "TopUpAcepted"}}, "expect[0].never.event = 'TopUpAcepted': no device or actor logs this "
                                            "event; did you mean 'TopUpAccepted'?"),
    ({"events": {"event": "TopUpAccepted", "device": "EMSE"}, "count": 0}, "expect[0].events.device = 'EMSE': not a "
                                                                            "device of this premises"),
    ({"events": {"event": "TopUpAcepted"}, "count": "<= 3"}, "expect[0].events.event = 'TopUpAcepted'"),
    ({"events": {"event": "TopUpAccepted", "where": {"rout": "PPMID"}}, "count": 1},
     "expect[0].events: TopUpAccepted has no field 'rout'"),
    ({"never": {"event": "TopUpAccepted", "twice_with_same": "utrm"}}, "TopUpAccepted has no field 'utrm'"),
])
def test_typos_are_input_errors_not_vacuous_passes(expect: Any, message: str) -> None:
    with pytest.raises(InputError) as info:
        evaluate(story([expect]), COUNTERS, LOG, devices=["CHF", "ESME", "GSME"])
    assert message in str(info.value)


def test_an_unknown_event_that_cannot_pass_vacuously_is_a_failure_with_a_hint() -> None:
    # Actors log events by name, so "nothing logged X" may be a typo or a thing that did not happen:
    # with a count that 0 does not satisfy, it is a failed expectation, not an input error.
    (v,) = evaluate(story([{"events": {"event": "TopUpAcepted"}, "count": 1}]), COUNTERS, LOG)
    assert not v.passed and v.observed == "0 matching records; nothing logged 'TopUpAcepted'; did you mean " \
                                          "'TopUpAccepted'?"


# -- timeline -> Site calls ---------------------------------------------------------------------------------

class CallRecorder:
    """Records every Site call the runner makes, with its keyword arguments."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        def call(at: float, **kw: Any) -> None:
            self.calls.append((name, at, kw))
        return call


def test_each_step_becomes_the_contract_call_at_its_absolute_time() -> None:
    s = story([], timeline=[
        {"at": 0, "do": "install", "wan": False},
        {"at": "1h", "do": "wan_lost"}, {"at": "2h", "do": "wan_restored"}, {"at": "3h", "do": "ppmid_lost"},
        {"at": "4h", "do": "replacement_ppmid_arrives"}, {"at": "5h", "do": "button_pressed"},
        {"at": "6h", "do": "hub_power_cycled"},
        {"at": "7h", "do": "utrn_issued", "value_pence": 250, "fuel": "gas", "route": "sms", "label": "g"},
        {"at": "+30m", "do": "utrn_entered", "label": "g", "on": "meter_keypad"},
        {"at": "8h", "do": "attacker_arrives", "kind": "join_flood", "duration": "2h", "rate_per_hour": 600},
        {"at": "9h", "do": "emergency_credit_requested", "fuel": "gas", "on": "wan"},
        {"at": "10h", "do": "supply_enable_requested", "on": "meter"},
        {"at": "11h", "do": "engineer_arrives", "duration": "3h"},
    ])
    site = CallRecorder()
    assert schedule_timeline(site, s) == 13  # type: ignore[arg-type]
    H = 3600.0
    assert site.calls == [
        ("install", 0.0, {"wan": False, "ppmid": True}),
        ("wan_lost", H, {}), ("wan_restored", 2 * H, {}), ("ppmid_lost", 3 * H, {}),
        ("replacement_ppmid_arrives", 4 * H, {}), ("press_hub_button", 5 * H, {}), ("power_cycle_hub", 6 * H, {}),
        ("issue_utrn", 7 * H, {"value_pence": 250, "fuel": "gas", "route": "sms", "label": "g"}),
        ("enter_utrn", 7.5 * H, {"label": "g", "on": "meter_keypad", "fuel": "gas"}),  # the issued fuel
        ("attacker", 8 * H, {"kind": "join_flood", "credentials": False, "duration_s": 2 * H,
                             "rate_per_hour": 600.0, "delay_s": H}),
        ("emergency_credit", 9 * H, {"fuel": "gas", "on": "wan"}),
        ("enable_supply", 10 * H, {"fuel": "electricity", "on": "meter"}),
        ("engineer_visit", 11 * H, {"duration_s": 3 * H}),
    ]
    later = CallRecorder()
    assert schedule_timeline(later, s, after=5 * H) == 7  # type: ignore[arg-type]  # a resumed run
    assert [c[0] for c in later.calls] == ["power_cycle_hub", "issue_utrn", "enter_utrn", "attacker",
                                           "emergency_credit", "enable_supply", "engineer_visit"]


def test_a_step_the_site_refuses_names_the_timeline_entry() -> None:
    class Refusing(CallRecorder):
        def wan_lost(self, at: float) -> None:
            raise InputError("route 'wan': this premises has no WAN")

    with pytest.raises(InputError, match=r"timeline\[1\] \(wan_lost at 1h\): route 'wan'"):
        schedule_timeline(Refusing(), story([], timeline=[{"at": 0, "do": "install"},  # type: ignore[arg-type]
                                                          {"at": "1h", "do": "wan_lost"}]))


# -- whole runs on the stand-in Site (real meters, real UTRN crypto) ---------------------------------------

KEYPAD_STORY = {
    "name": "keypad", "seed": 3, "horizon": "5d",
    "premises": {"initial_credit_pence": 500, "daily_spend_pence": 300},
    "timeline": [
        {"at": 0, "do": "install"},
        {"at": "1d", "do": "wan_lost"},
        {"at": "+2h", "do": "utrn_issued", "value_pence": 1000, "route": "ppmid", "label": "a"},
        {"at": "+1h", "do": "utrn_entered", "label": "a", "on": "meter_keypad"},
        {"at": "2d", "do": "utrn_issued", "value_pence": 700, "fuel": "gas", "route": "meter_keypad"},
    ],
    "expect": ["topups_accepted == 2", "duplicate_utrns_rejected == 1", "topups_credited_pence == 1700",
               {"never": {"event": "TopUpAccepted", "twice_with_same": "utrn"}},
               {"events": {"event": "TopUpAccepted", "device": "ESME", "where": {"route": "PPMID"}}, "count": 1}],
}


def test_run_story_on_the_stand_in_site_passes_and_summarises() -> None:
    run = run_story(validate_story(KEYPAD_STORY), site_factory=fake_factory)
    assert run.passed, run.failed
    s = summary(run)
    assert s["passed"] is True and s["failed"] == [] and s["options"] == "baseline" and s["seed"] == 3
    assert s["counters"]["topups_credited_pence"] == 1700.0
    assert [e["expectation"] for e in s["expectations"]][:3] == ["topups_accepted == 2",
                                                                 "duplicate_utrns_rejected == 1",
                                                                 "topups_credited_pence == 1700"]
    assert s["events"] == len(run.records) > 0


def test_a_wrong_expectation_fails_and_is_named() -> None:
    data = {**KEYPAD_STORY, "expect": ["topups_accepted == 3", "rogue_joins == 0"]}
    run = run_story(validate_story(data), site_factory=fake_factory)
    assert not run.passed
    (failed,) = run.failed
    assert (failed.index, failed.expectation, failed.observed) == (0, "topups_accepted == 3", "topups_accepted = 2")


def test_unknown_counter_is_refused_before_running() -> None:
    ran: list[bool] = []

    def factory(s: Any) -> FakeSite:
        site = fake_factory(s)
        site.run = lambda until: ran.append(True)  # type: ignore[method-assign]
        return site

    with pytest.raises(InputError, match=r"expect\[0\]\.counter = 'topups'"):
        run_story(story(["topups == 1"]), site_factory=factory)
    assert ran == []


def test_same_seed_same_log() -> None:
    a = run_story(validate_story(KEYPAD_STORY), site_factory=fake_factory)
    b = run_story(validate_story(KEYPAD_STORY), site_factory=fake_factory)
    assert a.records == b.records and a.counters == b.counters


def test_only_the_premises_fields_a_story_writes_reach_the_site_config() -> None:
    from smetslab.premises.runner import site_config_fields
    s = story([], premises={"fuel": "gas", "tick_s": "30m", "hub_reachable": False, "join_timeout_min": 30},
              seed=9, options="hub_button")
    assert site_config_fields(s) == {"seed": 9, "options": "hub_button", "fuel": "gas", "tick_s": 1800.0,
                                     "hub_reachable": False, "join_timeout_min": 30}


def test_a_configuration_the_site_refuses_is_reported_against_the_premises() -> None:
    def refusing(s: Any) -> FakeSite:
        raise InputError("device_log_capacity 2: must be an integer >= 4")

    with pytest.raises(InputError, match=r"^story 'x': premises: device_log_capacity 2: must be"):
        run_story(story([]), site_factory=refusing, where="'x'")
