"""ESME / GSME prepayment behaviour: consumption, disablement, emergency credit, debt, supply rules.

Expected numbers are closed forms of the test's own profile: FlatRate(288) spends exactly 1 p per
300 s (288 p / 86 400 s), so a balance of B pence lasts 300 * B seconds.
"""

from __future__ import annotations

import pytest
from _meterkit import ESME_EUI, GSME_EUI, SUPPLIER, keys

from smetslab.devices import TopUpRoute, esme, gsme
from smetslab.devices import prepayment as pp
from smetslab.devices.prepayment import SupplyState, SupplyTrigger

K = keys()
REMOTE, PPMID, KEYPAD = TopUpRoute.REMOTE, TopUpRoute.PPMID, TopUpRoute.KEYPAD
P300 = pp.FlatRate(288)  # 1 p every 300 s


def meter(kind: str = "esme", balance: int = 1000, profile: pp.ConsumptionProfile = P300, debt: int = 0,
          **cfg: object) -> pp.MeterState:
    config = pp.PrepaymentConfig(**cfg)  # type: ignore[arg-type]
    if kind == "esme":
        return esme.new_esme(meter=ESME_EUI, supplier=SUPPLIER, keystore=K.esme, profile=profile,
                             balance_pence=balance, debt_pence=debt, config=config)
    return gsme.new_gsme(meter=GSME_EUI, supplier=SUPPLIER, keystore=K.gsme, profile=profile,
                         balance_pence=balance, debt_pence=debt, config=config)


def run(state: pp.MeterState, value: object, now: float) -> tuple[pp.MeterState, list[object]]:
    machine = esme if state.meter == ESME_EUI else gsme
    state, events = machine.step(state, value, now)
    return state, list(events)


def of(events: list[object], cls: type) -> list[object]:
    return [e for e in events if isinstance(e, cls)]


def codes(events: list[object]) -> list[int]:
    return [e.code for e in events if isinstance(e, pp.AlertRaised)]


def top_up(state: pp.MeterState, k: int, value: int, now: float, route: TopUpRoute = KEYPAD):
    code = K.issue(state.meter, k, value)
    return run(state, pp.ApplyTopUp(code, route), now)


# -- consumption ----------------------------------------------------------------------------------


def test_flat_rate_consumption_in_whole_pence():
    s, _ = run(meter(balance=1000), pp.Tick(), 86_400.0)
    assert (s.balance_pence, s.consumed_pence, s.supply) == (712, 288, SupplyState.ENABLED)


def test_tick_granularity_does_not_change_the_bill():
    coarse, _ = run(meter(balance=5000), pp.Tick(), 100_003.0)
    fine = meter(balance=5000)
    for t in range(7, 100_003, 7):
        fine, _ = run(fine, pp.Tick(), float(t))
    fine, _ = run(fine, pp.Tick(), 100_003.0)
    assert fine.balance_pence == coarse.balance_pence == 5000 - (100_003 * 288) // 86_400


def test_daily_shape_charges_each_hour():
    shape = pp.DailyShape(tuple([0] * 18 + [60] + [0] * 5))  # 60 p between 18:00 and 19:00
    s, _ = run(meter(balance=1000, profile=shape), pp.Tick(), 18 * 3600 + 1800.0)
    assert s.balance_pence == 970
    s, _ = run(s, pp.Tick(), 2 * 86_400.0)
    assert s.balance_pence == 880


def test_supply_disabled_at_the_second_credit_runs_out():
    s, ev = run(meter(balance=100), pp.Tick(), 40_000.0)
    (off,) = of(ev, pp.SupplyDisabled)
    assert off.at == 30_000.0 and not off.emergency_credit_exhausted
    assert 0x8F0F in codes(ev)  # credit below disablement threshold
    assert (s.supply, s.balance_pence, s.consumed_pence) == (SupplyState.DISABLED, 0, 100)
    s, _ = run(s, pp.Tick(), 90_000.0)  # nothing more is consumed while off
    assert s.consumed_pence == 100 and s.off_seconds(90_000.0) == 60_000.0


def test_meter_commissioned_without_credit_disables_at_once():
    s, ev = run(meter(balance=0), pp.Tick(), 0.0)
    assert s.supply is SupplyState.DISABLED and of(ev, pp.SupplyDisabled)


def test_time_cannot_go_backwards():
    s, _ = run(meter(), pp.Tick(), 100.0)
    with pytest.raises(ValueError):
        run(s, pp.Tick(), 99.0)


# -- alerts on falling edges ----------------------------------------------------------------------


def test_low_credit_alert_once_per_crossing():
    s = meter(balance=400, low_credit_threshold_pence=300, emergency_credit_threshold_pence=0)
    s, ev = run(s, pp.Tick(), 300 * 99.0)  # balance 301
    assert 0x810D not in codes(ev)
    s, ev = run(s, pp.Tick(), 300 * 101.0)  # 299
    assert codes(ev).count(0x810D) == 1
    s, ev = run(s, pp.Tick(), 300 * 102.0)
    assert 0x810D not in codes(ev)
    s, ev = top_up(s, 1, 500, 300 * 103.0)  # back above
    s, ev = run(s, pp.Tick(), 300 * 103.0 + 300 * 500)  # 797 - 500 = 297
    assert codes(ev).count(0x810D) == 1


# -- emergency credit -----------------------------------------------------------------------------


def test_emergency_credit_available_below_threshold_and_extends_supply():
    s = meter(balance=150, emergency_credit_threshold_pence=100, emergency_credit_limit_pence=500)
    s, ev = run(s, pp.ActivateEmergencyCredit(KEYPAD), 0.0)
    assert of(ev, pp.EmergencyCreditRefused)[0].reason is pp.ECRefusal.NOT_AVAILABLE
    s, ev = run(s, pp.Tick(), 300 * 51.0)  # 99 p left
    assert 0x8119 in codes(ev)  # emergency credit has become available
    s, ev = run(s, pp.ActivateEmergencyCredit(PPMID), 300 * 51.0)
    assert of(ev, pp.EmergencyCreditActivated)[0].use_case == "PECS02" and 0x81AB in codes(ev)
    s, ev = run(s, pp.ActivateEmergencyCredit(PPMID), 300 * 52.0)
    assert of(ev, pp.EmergencyCreditRefused)[0].reason is pp.ECRefusal.ALREADY_ACTIVE
    # 99 p of credit + 500 p of EC = 599 p more, i.e. off at 300 * (51 + 599) s, balance -500.
    s, ev = run(s, pp.Tick(), 300 * 700.0)
    (off,) = of(ev, pp.SupplyDisabled)
    assert off.at == 300 * 650.0 and off.emergency_credit_exhausted and 0x81AA in codes(ev)
    assert s.balance_pence == -500 and s.consumed_pence == 650


def test_no_emergency_credit_configured():
    s = meter(balance=150, emergency_credit_limit_pence=0, emergency_credit_threshold_pence=100)
    s, ev = run(s, pp.Tick(), 300 * 60.0)  # 90 p: below the threshold, but there is no EC to offer
    assert 0x8119 not in codes(ev)
    s, ev = run(s, pp.ActivateEmergencyCredit(REMOTE), 300 * 60.0)
    assert of(ev, pp.EmergencyCreditRefused)[0].reason is pp.ECRefusal.NO_EMERGENCY_CREDIT


def test_emergency_credit_after_disablement_arms_the_supply():
    s, _ = run(meter(balance=10), pp.Tick(), 10_000.0)
    assert s.supply is SupplyState.DISABLED
    s, ev = run(s, pp.ActivateEmergencyCredit(REMOTE), 10_000.0)
    assert of(ev, pp.EmergencyCreditActivated)[0].use_case == "ECS09"
    assert s.supply is SupplyState.ARMED and 0x8168 in codes(ev)
    s, ev = run(s, pp.EnableSupply(KEYPAD), 10_100.0)
    assert s.supply is SupplyState.ENABLED and of(ev, pp.SupplyEnabled)


def test_exhausted_emergency_credit_must_be_repaid_before_supply_returns():
    s = meter(balance=50)
    s, _ = run(s, pp.ActivateEmergencyCredit(KEYPAD), 0.0)
    s, _ = run(s, pp.Tick(), 300 * 600.0)  # 550 p spent: 50 credit + 500 EC
    assert (s.supply, s.balance_pence) == (SupplyState.DISABLED, -500)
    s, ev = run(s, pp.ActivateEmergencyCredit(KEYPAD), 300 * 600.0)
    assert of(ev, pp.EmergencyCreditRefused)[0].reason is pp.ECRefusal.NOT_AVAILABLE
    s, ev = top_up(s, 1, 300, 300 * 601.0)
    assert s.balance_pence == -200 and s.supply is SupplyState.DISABLED
    assert of(ev, pp.TopUpAccepted)[0].zcl_result == 0x11  # Accepted - Supply Disabled
    s, ev = top_up(s, 2, 500, 300 * 602.0)
    assert s.balance_pence == 300 and s.supply is SupplyState.ARMED
    assert of(ev, pp.EmergencyCreditRepaid) and of(ev, pp.TopUpAccepted)[0].zcl_result == 0x12


def test_top_up_while_on_emergency_credit_repays_it_first():
    s = meter(balance=50)
    s, _ = run(s, pp.ActivateEmergencyCredit(KEYPAD), 0.0)
    s, _ = run(s, pp.Tick(), 300 * 250.0)  # balance -200, still on (floor -500)
    assert (s.supply, s.balance_pence, s.emergency_credit_remaining_pence) == (SupplyState.ENABLED, -200, 300)
    s, ev = top_up(s, 1, 1000, 300 * 250.0)
    assert s.balance_pence == 800 and not s.ec_active and of(ev, pp.EmergencyCreditRepaid)
    assert of(ev, pp.TopUpAccepted)[0].zcl_result == 0x10  # Accepted - Supply Enabled


# -- re-enable rules ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["esme", "gsme"])
def test_top_up_after_disablement_arms_and_waits_for_a_person(kind):
    s, _ = run(meter(kind, balance=100), pp.Tick(), 40_000.0)
    s, ev = top_up(s, 1, 500, 50_000.0)
    assert s.supply is SupplyState.ARMED and 0x8F32 in codes(ev)  # supply armed
    s, _ = run(s, pp.Tick(), 59_000.0)
    assert s.consumed_pence == 100  # nothing consumed while armed
    s, ev = run(s, pp.EnableSupply(KEYPAD), 60_000.0)
    assert s.supply is SupplyState.ENABLED and s.off_seconds(60_000.0) == 30_000.0


def test_esme_may_be_re_enabled_from_the_ppmid():
    s, _ = run(meter("esme", balance=100), pp.Tick(), 40_000.0)
    s, _ = top_up(s, 1, 500, 50_000.0)
    s, ev = run(s, pp.EnableSupply(PPMID), 50_001.0)
    assert s.supply is SupplyState.ENABLED
    assert of(ev, pp.SupplyEnabled)[0].trigger is SupplyTrigger.ENABLE_FROM_PPMID


def test_gsme_refuses_re_enable_from_the_ppmid():
    s, _ = run(meter("gsme", balance=100), pp.Tick(), 40_000.0)
    s, _ = top_up(s, 1, 500, 50_000.0)
    s, ev = run(s, pp.EnableSupply(PPMID), 50_001.0)
    assert s.supply is SupplyState.ARMED
    assert of(ev, pp.SupplyEnableRefused)[0].supply is SupplyState.ARMED


@pytest.mark.parametrize("route", [KEYPAD, PPMID, REMOTE])
def test_enable_request_when_not_armed_is_refused(route):
    s, ev = run(meter(balance=1000), pp.EnableSupply(route), 0.0)
    assert s.supply is SupplyState.ENABLED and of(ev, pp.SupplyEnableRefused)
    s, _ = run(meter(balance=10), pp.Tick(), 10_000.0)
    s, ev = run(s, pp.EnableSupply(route), 10_000.0)
    assert s.supply is SupplyState.DISABLED and of(ev, pp.SupplyEnableRefused)


def test_without_arming_a_top_up_restores_supply_directly():
    s, _ = run(meter(balance=100, arm_before_enable=False), pp.Tick(), 40_000.0)
    s, ev = top_up(s, 1, 500, 50_000.0)
    assert s.supply is SupplyState.ENABLED
    assert [type(e) for e in ev if isinstance(e, pp.SupplyArmed | pp.SupplyEnabled)] == [pp.SupplyArmed,
                                                                                         pp.SupplyEnabled]


def test_both_tables_list_every_condition_for_every_state():
    for table in (esme.TRANSITIONS, gsme.TRANSITIONS):
        for state in SupplyState:
            for trig in pp.CONDITIONS:
                assert (state, trig) in table
    assert (SupplyState.ARMED, SupplyTrigger.ENABLE_FROM_PPMID) in esme.TRANSITIONS
    assert (SupplyState.ARMED, SupplyTrigger.ENABLE_FROM_PPMID) not in gsme.TRANSITIONS


# -- debt recovery --------------------------------------------------------------------------------


def test_debt_recovered_once_per_midnight():
    s = meter(balance=5000, profile=pp.FlatRate(0), debt=1000, debt_recovery_per_day_pence=100)
    s, ev = run(s, pp.Tick(), 3 * 86_400.0 + 5)
    assert [e.amount_pence for e in of(ev, pp.DebtRecovered)] == [100, 100, 100]
    assert (s.balance_pence, s.debt_pence, s.debt_recovered_pence) == (4700, 700, 300)
    s, ev = run(s, pp.Tick(), 3 * 86_400.0 + 10)  # same day: nothing more
    assert not of(ev, pp.DebtRecovered)


def test_debt_recovery_takes_only_positive_credit_and_keeps_the_rest_owed():
    s = meter(balance=30, profile=pp.FlatRate(0), debt=1000, debt_recovery_per_day_pence=100)
    s, _ = run(s, pp.Tick(), 2 * 86_400.0)
    assert (s.balance_pence, s.debt_pence) == (0, 970)
    assert s.supply is SupplyState.DISABLED  # no credit left after recovery


def test_debt_recovery_stops_when_debt_is_cleared():
    s = meter(balance=5000, profile=pp.FlatRate(0), debt=150, debt_recovery_per_day_pence=100)
    s, _ = run(s, pp.Tick(), 5 * 86_400.0)
    assert (s.balance_pence, s.debt_pence) == (4850, 0)
