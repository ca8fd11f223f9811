"""A premises' settings, declared once: ``PremisesSettings`` holds every field a story's ``premises`` mapping may
write, each with its type, its bound, its default and a one-line description; ``SiteConfig`` (what ``Site``
takes) adds the seed, the options and an optional keystore. ``premises.story.Premises`` is ``PremisesSettings``
as a story's schema, so a story and the Site cannot disagree on a default or a bound, and docs/stories.md's
tables are checked against these declarations (tests/premises/test_settings_docs.py). Money in integer pence,
times in seconds (a duration may be written in any story time form, e.g. ``"30m"``).

A bad value, in a story or in ``SiteConfig(...)`` built in code, is one ``InputError`` line naming the field,
the value and what is allowed (``smetslab.validation.one_line``). Pure data: no I/O.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from smetslab.devices.han import Fuel
from smetslab.errors import InputError
from smetslab.gbcs.keystore import Keystore
from smetslab.policy import options as policy_options
from smetslab.policy import windows as policy_windows
from smetslab.premises.times import Seconds
from smetslab.units import EUI64
from smetslab.validation import one_line

__all__ = ["PremisesSettings", "SiteConfig", "Seed", "Options", "install_code", "METER_NAME", "IHD_EUI"]

METER_NAME = {Fuel.ELECTRICITY: "ESME", Fuel.GAS: "GSME"}
"""Engine device names of the meters."""
IHD_EUI = EUI64("00DB1234567890B0")
"""The premises' in-home display."""


def _known_options(value: str) -> str:
    try:
        return policy_options.combine(value, "options").option
    except InputError as exc:
        # drop the "options 'x': " prefix: the formatter names the field and the value
        raise ValueError(str(exc).split(": ", 1)[-1]) from None


Seed = Annotated[StrictInt, Field(default=0, description="seeds the emulator's one RNG and the test PKI")]
"""The run's seed (a story's top-level ``seed``, ``SiteConfig.seed``)."""
Options = Annotated[str, AfterValidator(_known_options),
                    Field(default="baseline", description="an option id of the catalogue or a combination 'a+b'")]
"""The options in force (a story's top-level ``options``, ``SiteConfig.options``), checked by
``policy.options.combine``."""

Pence = StrictInt
NonNegativePence = Annotated[StrictInt, Field(ge=0)]
PositiveSeconds = Annotated[Seconds, Field(gt=0)]


class PremisesSettings(BaseModel):
    """Every setting of a premises a story may write (docs/stories.md, ``premises``): the one declaration.

    The contract's fields first (``fuel`` ... ``device_log_capacity``), then the Site's further ones."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # -- the contract -------------------------------------------------------------------------------
    fuel: Literal["dual", "electricity", "gas"] = Field(
        default="dual", description="which meters the premises has (ESME, GSME or both)")
    initial_credit_pence: Pence = Field(default=1000, description="each meter's balance at install, pence")
    daily_spend_pence: NonNegativePence = Field(
        default=300, description="what each meter's consumption costs per day, pence")
    meter_keypad_reachable: StrictBool = Field(
        default=True, description="false: the meter is in a locked or outside cupboard the consumer cannot open")
    broadband: StrictBool = Field(default=True, description="the home has broadband (SECMP0038's Wi-Fi relay needs it)")
    phone: StrictBool = Field(
        default=True, description="the consumer has a mobile phone (SMS UTRNs; the meter_bluetooth/meter_nfc app)")
    consumer_tops_up_below_pence: Pence | None = Field(
        default=None, description="the consumer tops up by whatever route they have when credit falls below this; "
                          "null: only when the timeline says")
    device_log_capacity: Annotated[StrictInt, Field(ge=4)] = Field(
        default=16, description="entries in the hub's device log (an assumption, see docs/devices.md; the meters, IHD "
                        "and PPMID need 4)")
    # -- beyond the contract ------------------------------------------------------------------------
    top_up_pence: NonNegativePence = Field(
        default=2000, description="what the consumer buys each time they top up on their own")
    hub_reachable: StrictBool | None = Field(
        default=None, description="the consumer can reach the hub (to press its button or power-cycle it); null: same "
                          "as meter_keypad_reachable (the hub sits on the meter)")
    smartphone: StrictBool = Field(default=True, description="for the meter_bluetooth / meter_nfc phone app")
    wifi_ppmid: StrictBool = Field(default=True, description="the PPMID has the Wi-Fi module SECMP0038 needs")
    new_hub: StrictBool = Field(default=True, description="the hub is new enough to have the hub_button")
    new_meters: StrictBool = Field(
        default=True, description="the meters carry the radio meter_bluetooth / meter_nfc need")
    firmware_ok: StrictBool = Field(
        default=True, description="the hub runs the option's firmware (secmp0037, power_cycle_window, "
                          "alternating_windows, firmware_preauth); without it the hub keeps the baseline's join "
                          "rules (and its button) and the consumer does not try the others. It describes the "
                          "installed hub, at a no-WAN install too")
    mesh_neighbour: Literal["none", "same_supplier", "other_supplier"] = Field(
        default="none", description="a neighbouring mesh hub (mesh_hub)")
    mesh_broker_days: Annotated[float, Field(gt=0)] = Field(
        default=7.0, description="days the DCC takes to broker another supplier's mesh hub")
    replay_rule: Literal["strictly_greater", "unseen", "off"] = Field(
        default="strictly_greater", description="the meters' anti-replay rule for GBCS command counters")
    emergency_credit_pence: NonNegativePence = Field(default=500, description="the meters' emergency credit limit")
    debt_pence: NonNegativePence = Field(default=0, description="debt at install, pence")
    debt_recovery_per_day_pence: NonNegativePence = Field(
        default=0, description="debt recovered each simulated midnight, pence")
    gsme_wake_interval_s: PositiveSeconds = Field(
        default=1800.0, description="how often the sleepy gas meter polls the hub")
    tick_s: PositiveSeconds = Field(
        default=3600.0, description="the grid on which the meters are brought up to date when something is due "
                            "(docs/emulator.md: a tick that would change nothing is not run)")
    display_interval_s: PositiveSeconds = Field(
        default=86_400.0, description="how often the meters publish to the PPMID/IHD")
    join_timeout_min: Annotated[StrictInt, Field(ge=1, le=0xFFFF)] = Field(
        default=90, description="CCS01 join timeout (JoinTimePeriod, read as minutes; RTDS 90)")
    join_delay_s: PositiveSeconds = Field(default=10.0, description="a logged device joins this long after its CCS01")
    cbke_s: PositiveSeconds = Field(
        default=5.0, description="key establishment keeps the hub busy this long per local join attempt (a joiner "
                         "turned away meanwhile retries this long later, once)")
    join_retry_s: PositiveSeconds = Field(default=600.0, description="a joiner turned away retries after this long")
    max_join_retries: Annotated[StrictInt, Field(ge=0)] = Field(
        default=50, description="retries of a joiner turned away")
    pending_s: PositiveSeconds = Field(
        default=21_600.0, description="the consumer waits this long for a top-up before trying again")
    engineer_after_no_route_days: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="send an engineer after this many days without a top-up route (null: never on "
                          "their own)")
    wan_latency_s: Seconds = Field(default=0.0, description="WAN delivery delay")
    epoch: str = Field(
        default="2025-01-01T00:00:00+00:00", description="the date of t = 0, only for the time stamps inside GBCS "
                                                 "responses (ISO 8601 with a UTC offset)")
    # -- the hub's join windows (a fleet scenario's `windows` group; defaults: ``policy.windows``) -----
    hht_window_s: PositiveSeconds = Field(
        default=policy_windows.HHT_WINDOW_S, description="the hub's local-join window after power-on (HHTs; PPMIDs "
                                                 "too under power_cycle_window); windows.hht_window_minutes")
    hub_button_window_s: PositiveSeconds = Field(
        default=policy_windows.HUB_BUTTON_WINDOW_S, description="the hub's local-join window after a hub-button press "
                                                        "(hub_button); windows.hub_button_window_minutes")
    alternating_windows_per_day: Annotated[StrictInt, Field(ge=1, le=144)] = Field(
        default=1, description="the alternating_windows schedule: this many windows a day "
                       "(windows.alternating_windows_per_day)")
    alternating_window_s: PositiveSeconds = Field(
        default=policy_windows.ALTERNATING_WINDOW_S, description="each alternating window this long, at most half the "
                                                         "spacing (windows.alternating_window_minutes)")

    @field_validator("epoch")
    @classmethod
    def _iso_with_offset(cls, v: str) -> str:
        try:
            when = datetime.datetime.fromisoformat(v)
        except ValueError:
            raise ValueError("expected an ISO 8601 date-time with a UTC offset, e.g. 2025-01-01T00:00:00+00:00") \
                from None
        if when.tzinfo is None:
            raise ValueError("needs a UTC offset, e.g. 2025-01-01T00:00:00+00:00")
        return v

    @model_validator(mode="after")
    def _alternating_windows_fit(self) -> PremisesSettings:
        n = self.alternating_windows_per_day
        if self.alternating_window_s > policy_windows.DAY_S / n / 2:
            raise ValueError(f"alternating_window_s = {self.alternating_window_s!r}: must be at most half the "
                             f"spacing of {n} windows a day ({policy_windows.DAY_S / n / 2:g} s)")
        return self


class SiteConfig(PremisesSettings):
    """What ``Site`` takes: a premises' settings plus the seed, the options and an optional keystore (None: a
    test PKI generated from the seed). Frozen; built with a bad value it raises ``InputError`` (one line)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)  # the rest is inherited

    seed: Seed
    options: Options
    keystore: Keystore | None = Field(default=None, repr=False, exclude=True)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise one_line(exc, "", "", allowed_fields=lambda loc: list(SiteConfig.model_fields)) from None

    @property
    def fuels(self) -> tuple[Fuel, ...]:
        return {"dual": (Fuel.ELECTRICITY, Fuel.GAS), "electricity": (Fuel.ELECTRICITY,),
                "gas": (Fuel.GAS,)}[self.fuel]

    @property
    def hub_in_reach(self) -> bool:
        return self.meter_keypad_reachable if self.hub_reachable is None else self.hub_reachable

    @property
    def epoch_datetime(self) -> datetime.datetime:
        return datetime.datetime.fromisoformat(self.epoch)


def install_code(seed: int, eui: EUI64) -> bytes:
    # Deterministic per premises and device: a story replays with the same codes.
    return hashlib.sha256(b"smetslab install code|%d|" % seed + bytes(eui)).digest()[:16]
