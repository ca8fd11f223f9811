"""A premises' settings, declared once (``premises.config.PremisesSettings``): ``SiteConfig`` built in code and a
story's ``premises`` mapping get the same bounds and the same one-line errors; the expected lines are written
out by hand (field, value, what is allowed)."""

from __future__ import annotations

import copy
from typing import Any

import pydantic
import pytest

from smetslab.errors import InputError
from smetslab.premises.config import PremisesSettings, SiteConfig
from smetslab.premises.story import validate_story


def _error(**kw: Any) -> str:
    with pytest.raises(InputError) as info:
        SiteConfig(**kw)
    assert "\n" not in str(info.value)
    return str(info.value)


@pytest.mark.parametrize(("kw", "line"), [
    ({"device_log_capacity": 2}, "device_log_capacity = 2: input should be greater than or equal to 4"),
    ({"fuel": "oil"}, "fuel = 'oil': input should be 'dual', 'electricity' or 'gas'"),
    ({"initial_credit_pence": 10.5}, "initial_credit_pence = 10.5: wrong type (float); input should be a valid "
                                     "integer"),
    ({"tick_s": 0}, "tick_s = 0: input should be greater than 0"),
    ({"seed": True}, "seed = True: wrong type (bool); input should be a valid integer"),
    ({"broadband": "yes"}, "broadband = 'yes': wrong type (str); input should be a valid boolean"),
    ({"mesh_broker_days": float("inf")}, "mesh_broker_days = inf: input should be a finite number"),
    ({"join_timeout_min": 65536}, "join_timeout_min = 65536: input should be less than or equal to 65535"),
    ({"epoch": "2025-01-01"}, "epoch = '2025-01-01': needs a UTC offset, e.g. 2025-01-01T00:00:00+00:00"),
    ({"alternating_windows_per_day": 12, "alternating_window_s": 7200},
     "alternating_window_s = 7200.0: must be at most half the spacing of 12 windows a day (3600 s)"),
    ({"options": "secmp0037+teleport"}, "options = 'secmp0037+teleport': unknown option 'teleport'; allowed: "),
])
def test_a_bad_setting_built_in_code_is_one_line_naming_field_value_and_what_is_allowed(kw: dict[str, Any],
                                                                                        line: str) -> None:
    assert _error(**kw).startswith(line)


def test_an_unknown_setting_lists_the_known_ones() -> None:
    msg = _error(colour="red")
    assert msg.startswith("unknown field 'colour'; allowed: fuel, initial_credit_pence, ")
    assert msg.endswith(", seed, options, keystore")


def test_durations_take_any_story_time_form_and_keep_their_defaults_otherwise() -> None:
    c = SiteConfig(tick_s="30m", join_retry_s="PT1H", pending_s=7200)
    assert (c.tick_s, c.join_retry_s, c.pending_s) == (1800.0, 3600.0, 7200.0)
    assert c.display_interval_s == 86_400.0 and c.gsme_wake_interval_s == 1800.0  # docs/stories.md


def test_site_config_is_frozen_and_keeps_the_keystore_out_of_its_data() -> None:
    c = SiteConfig(seed=3)
    with pytest.raises(pydantic.ValidationError):
        c.seed = 4  # type: ignore[misc]
    assert "keystore" not in c.model_dump() and "keystore" not in repr(c)
    assert c.model_copy(update={"seed": 4}).seed == 4


def test_a_story_gets_the_cross_field_check_at_validation_naming_its_premises() -> None:
    data: dict[str, Any] = {"horizon": "1d", "timeline": [{"at": 0, "do": "install"}],
                            "premises": {"alternating_windows_per_day": 4, "alternating_window_s": "4h"}}
    with pytest.raises(InputError) as info:
        validate_story(copy.deepcopy(data), "'s.yaml'")
    assert str(info.value) == ("story 's.yaml': premises: alternating_window_s = 14400.0: must be at most half the "
                               "spacing of 4 windows a day (10800 s)")
    data["premises"]["alternating_window_s"] = "3h"
    assert validate_story(data, "'s.yaml'").premises.alternating_window_s == 10_800.0


def test_the_bounds_are_the_same_for_a_story_and_for_site_config() -> None:
    # one declaration: each bound refuses the same value on both sides
    for field, bad in [("device_log_capacity", 3), ("daily_spend_pence", -1), ("max_join_retries", -1),
                       ("alternating_windows_per_day", 145), ("cbke_s", 0)]:
        assert field in PremisesSettings.model_fields
        with pytest.raises(InputError, match=field):
            SiteConfig(**{field: bad})
        with pytest.raises(InputError, match=rf"premises\.{field} = {bad}"):
            validate_story({"horizon": "1d", "timeline": [{"at": 0, "do": "install"}], "premises": {field: bad}})
