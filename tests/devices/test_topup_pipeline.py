"""The UTRN acceptance pipeline (DOMAIN.md §1.8, §5.3) as the ESME and GSME state machines run it.

Expected values come from the test's own issuing parameters (value, class, counter), DOMAIN.md's
alert codes and ZCL result numbers, and the RTDS vectors of DOMAIN.md §1.6 - never from the meter.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from _meterkit import ESME_EUI, GSME_EUI, SUPPLIER, keys, tamper, with_check_digit

from smetslab.devices import Rejection, TopUpAcceptance, TopUpRoute, esme, gsme
from smetslab.devices import prepayment as pp
from smetslab.gbcs import utrn
from smetslab.gbcs.keystore import Keystore
from smetslab.policy.topup import CounterCachePolicy, CreditLimits
from smetslab.units import EUI64

K = keys()
REMOTE, PPMID, KEYPAD = TopUpRoute.REMOTE, TopUpRoute.PPMID, TopUpRoute.KEYPAD


def new_esme(balance: int = 1000, rules: TopUpAcceptance | None = None, **cfg: int) -> pp.MeterState:
    config = pp.PrepaymentConfig(**cfg) if cfg else None
    return esme.new_esme(meter=ESME_EUI, supplier=SUPPLIER, keystore=K.esme, profile=pp.FlatRate(0),
                         balance_pence=balance, config=config, rules=rules)


def enter(state: pp.MeterState, code: str, route: TopUpRoute = KEYPAD, now: float = 0.0,
          counter: int | None = None) -> tuple[pp.MeterState, list[object]]:
    state, events = esme.step(state, pp.ApplyTopUp(code, route, counter), now)
    return state, list(events)


def of(events: list[object], cls: type) -> list[object]:
    return [e for e in events if isinstance(e, cls)]


def alert_codes(events: list[object]) -> list[int]:
    return [e.code for e in events if isinstance(e, pp.AlertRaised)]


def rejection(events: list[object]) -> Rejection:
    (r,) = of(events, pp.TopUpRejected)
    return r.reason


# -- accepted ------------------------------------------------------------------------------------


def test_valid_utrn_credits_its_value_in_pence():
    s, ev = enter(new_esme(1000), K.issue(ESME_EUI, 1, 1234))
    (acc,) = of(ev, pp.TopUpAccepted)
    assert (acc.value_pence, acc.counter, s.balance_pence) == (1234, 1 << 32, 2234)
    assert 0x810E in alert_codes(ev)  # Credit Added Locally: typed on the meter


def test_pounds_class_credits_100_pence_per_unit():
    s, _ = enter(new_esme(0), K.issue(ESME_EUI, 1, 12, "pounds"), REMOTE)
    assert s.balance_pence == 1200


def test_remote_top_up_raises_no_credit_added_locally_alert():
    _, ev = enter(new_esme(), K.issue(ESME_EUI, 2, 100), REMOTE, counter=2 << 32)
    assert of(ev, pp.TopUpAccepted) and 0x810E not in alert_codes(ev)
    assert of(ev, pp.TopUpAccepted)[0].use_case == "CS01a"


def test_gsme_accepts_its_own_utrn_and_names_pcs01_for_ppmid_route():
    g = gsme.new_gsme(meter=GSME_EUI, supplier=SUPPLIER, keystore=K.gsme, profile=pp.FlatRate(0),
                      balance_pence=0)
    g, ev = gsme.step(g, pp.ApplyTopUp(K.issue(GSME_EUI, 3, 2025), PPMID), 0.0)
    (acc,) = of(ev, pp.TopUpAccepted)
    assert (g.balance_pence, acc.use_case) == (2025, "PCS01")


# -- format, check digit, offset, fields ---------------------------------------------------------


@pytest.mark.parametrize("code", ["7394614433204021731", "739461443320402173155", "7394614433204021731X",
                                  "7394 6144 3320 4021 7315", ""])
def test_not_twenty_digits_is_malformed(code):
    s, ev = enter(new_esme(1000), code)
    assert rejection(ev) is Rejection.MALFORMED
    assert s.balance_pence == 1000 and alert_codes(ev) == []


def test_wrong_check_digit_is_refused_before_the_mac():
    good = K.issue(ESME_EUI, 1, 500)
    bad = good[:19] + str((int(good[19]) + 1) % 10)
    _, ev = enter(new_esme(), bad)
    assert rejection(ev) is Rejection.BAD_CHECK_DIGIT


def test_rtds_cs01b_error_utrn_is_refused():
    # RTDS CS01b ERROR sends 12345678910121314156: bad check digit (DOMAIN.md §1.6 #9).
    _, ev = enter(new_esme(), "12345678910121314156", REMOTE)
    assert rejection(ev) is Rejection.BAD_CHECK_DIGIT


def test_pptd_below_offset_is_refused():
    code = with_check_digit("1" * 19)  # valid check digit, PPTD far below 7394156990786306048
    _, ev = enter(new_esme(), code)
    assert rejection(ev) is Rejection.BELOW_OFFSET


def test_undefined_value_class_is_refused():
    ptut = ((2 << 13) | 5) << 32  # class bits 10: not defined by any source
    _, ev = enter(new_esme(), with_check_digit(str(utrn.PPTD_OFFSET + ptut)))
    assert rejection(ev) is Rejection.UNDEFINED_FIELDS


# -- authenticity ---------------------------------------------------------------------------------


def test_utrn_for_another_meter_is_not_authentic():
    s, ev = enter(new_esme(1000), K.issue(GSME_EUI, 1, 500))
    assert rejection(ev) is Rejection.NOT_AUTHENTIC
    assert 0x8F63 in alert_codes(ev) and s.balance_pence == 1000


def test_utrn_made_with_another_suppliers_key_is_not_authentic():
    _, ev = enter(new_esme(), K.issue(ESME_EUI, 1, 500, supplier="other"))
    assert rejection(ev) is Rejection.NOT_AUTHENTIC


def test_changed_digit_with_fixed_check_digit_is_not_authentic():
    _, ev = enter(new_esme(), tamper(K.issue(ESME_EUI, 1, 500)))
    assert rejection(ev) is Rejection.NOT_AUTHENTIC


def test_remote_header_counter_must_match_the_utrn():
    code = K.issue(ESME_EUI, 4, 500)
    _, ev = enter(new_esme(), code, REMOTE, counter=5 << 32)
    assert rejection(ev) is Rejection.NOT_AUTHENTIC


def test_mac_check_can_be_switched_off_to_model_a_broken_meter():
    forged = tamper(K.issue(ESME_EUI, 1, 500))
    s, ev = enter(new_esme(0, TopUpAcceptance(verify_mac=False)), forged)
    assert of(ev, pp.TopUpAccepted) and s.balance_pence == utrn.decode(forged).value_pence


# -- duplicates and the counter cache -------------------------------------------------------------


def test_same_utrn_on_three_routes_credits_once():
    code = K.issue(ESME_EUI, 7, 700)
    s = new_esme(0)
    s, ev1 = enter(s, code, REMOTE, counter=7 << 32)
    s, ev2 = enter(s, code, PPMID, now=60)
    s, ev3 = enter(s, code, KEYPAD, now=120)
    assert s.balance_pence == 700
    assert rejection(ev2) is Rejection.DUPLICATE and rejection(ev3) is Rejection.DUPLICATE
    assert 0x8F51 in alert_codes(ev2) and 0x8F51 in alert_codes(ev3)
    assert of(ev2, pp.TopUpRejected)[0].zcl_result == 0x02  # ZCL Rejected-Duplicate Top Up


def test_evicted_counter_is_refused_as_stale_by_default():
    rules = TopUpAcceptance(cache=CounterCachePolicy(size=3))
    s = new_esme(0, rules)
    codes = [K.issue(ESME_EUI, k, 10) for k in (1, 2, 3, 4)]
    for c in codes:
        s, _ = enter(s, c, REMOTE)
    s, ev = enter(s, codes[0])  # counter 1 was evicted from the 3-entry cache
    assert rejection(ev) is Rejection.STALE_COUNTER
    s, ev = enter(s, K.issue(ESME_EUI, 1, 99, counter=(1 << 32)))  # an unseen UTRN below the cache
    assert rejection(ev) is Rejection.STALE_COUNTER
    assert s.balance_pence == 40


def test_without_the_stale_rule_an_evicted_utrn_credits_again():
    # Shows why refuse_stale defaults to True: a FIFO cache alone forgets.
    s = new_esme(0, TopUpAcceptance(cache=CounterCachePolicy(size=3, refuse_stale=False)))
    codes = [K.issue(ESME_EUI, k, 10) for k in (1, 2, 3, 4)]
    for c in codes:
        s, _ = enter(s, c, REMOTE)
    s, ev = enter(s, codes[0])
    assert of(ev, pp.TopUpAccepted) and s.balance_pence == 50


def test_out_of_order_utrn_within_cache_is_accepted():
    s = new_esme(0)
    s, _ = enter(s, K.issue(ESME_EUI, 9, 100))
    s, ev = enter(s, K.issue(ESME_EUI, 8, 100))  # issued earlier, typed later: cache not full
    assert of(ev, pp.TopUpAccepted) and s.balance_pence == 200


def test_out_of_order_utrn_cannot_credit_twice_after_the_cache_overflows():
    # Found by the stateful test: a circular buffer forgets counter 2 here and credits it again.
    s = new_esme(0, TopUpAcceptance(cache=CounterCachePolicy(size=2)))
    for k in (2, 1, 3):
        s, _ = enter(s, K.issue(ESME_EUI, k, 10), REMOTE)
    s, ev = enter(s, K.issue(ESME_EUI, 2, 10))
    assert rejection(ev) is Rejection.DUPLICATE
    s, ev = enter(s, K.issue(ESME_EUI, 1, 10))
    assert rejection(ev) is Rejection.STALE_COUNTER
    assert s.balance_pence == 30


def test_track_high_bits_policy_accepts_epoch_counters():
    epoch = 1 << 42
    first = K.issue(ESME_EUI, 0, 100, counter=epoch | (5 << 32))
    second = K.issue(ESME_EUI, 0, 100, counter=epoch | (6 << 32))
    for policy, expected in (("track_high_bits", 200), ("low32_zero", 100)):
        s = new_esme(0, TopUpAcceptance(counter_policy=policy))
        s, _ = enter(s, first, REMOTE, counter=epoch | (5 << 32))  # the header gives the full counter
        s, ev = enter(s, second, KEYPAD, now=10)  # typed: the meter must rebuild bits 42..63
        assert s.balance_pence == expected, policy
        if policy == "low32_zero":
            assert rejection(ev) is Rejection.NOT_AUTHENTIC


# -- value and balance limits ---------------------------------------------------------------------


def test_default_limits_come_from_the_policy_package():
    limits = CreditLimits()  # smetslab.policy's assumption: £250 per top-up, £1,000 balance
    s, ev = enter(new_esme(0), K.issue(ESME_EUI, 1, limits.max_credit_per_top_up_pence // 100 + 1, "pounds"))
    assert rejection(ev) is Rejection.EXCEEDS_MAX_CREDIT


def test_value_above_max_credit_per_top_up_is_refused():
    s = new_esme(0, TopUpAcceptance(limits=CreditLimits(max_credit_per_top_up_pence=1000)))
    s, ev = enter(s, K.issue(ESME_EUI, 1, 1001))
    assert rejection(ev) is Rejection.EXCEEDS_MAX_CREDIT and 0x8F5B in alert_codes(ev)
    assert of(ev, pp.TopUpRejected)[0].zcl_result == 0x06
    s, ev = enter(s, K.issue(ESME_EUI, 2, 1000))
    assert s.balance_pence == 1000


def test_balance_ceiling_refuses_and_does_not_burn_the_utrn():
    rules = TopUpAcceptance(limits=CreditLimits(max_meter_balance_pence=1000))
    s = esme.new_esme(meter=ESME_EUI, supplier=SUPPLIER, keystore=K.esme, profile=pp.FlatRate(288),
                      balance_pence=500, rules=rules)
    code = K.issue(ESME_EUI, 1, 600)
    s, ev = enter(s, code)
    assert rejection(ev) is Rejection.EXCEEDS_MAX_BALANCE and 0x8F47 in alert_codes(ev)
    assert of(ev, pp.TopUpRejected)[0].zcl_result == 0x04
    # 288 p/day = 1 p per 300 s: after 30 000 s the balance is 400 and the same UTRN now fits.
    s, ev = enter(s, code, now=30_000)
    assert of(ev, pp.TopUpAccepted) and s.balance_pence == 1000


# -- manual-entry lockout -------------------------------------------------------------------------


def _fail(s: pp.MeterState, now: float, route: TopUpRoute = KEYPAD) -> tuple[pp.MeterState, list[object]]:
    return enter(s, "0" * 20, route, now)  # a mistyped code: refused before any key is used


def test_five_failures_in_ten_minutes_lock_the_keypad_for_an_hour():
    s = new_esme(0)
    for i in range(4):
        s, ev = _fail(s, 60.0 * i)
        assert 0x81C4 not in alert_codes(ev)
    s, ev = _fail(s, 240.0)
    assert 0x81C4 in alert_codes(ev)  # UTRN Manual Entry Suspended
    good = K.issue(ESME_EUI, 1, 500)
    s, ev = enter(s, good, KEYPAD, now=300)
    assert rejection(ev) is Rejection.LOCKED_OUT and 0x81C5 in alert_codes(ev)
    assert of(ev, pp.TopUpRejected)[0].zcl_result == 0x05
    s, ev = enter(s, good, PPMID, now=301)  # the PPMID keypad is a manual route too
    assert rejection(ev) is Rejection.LOCKED_OUT
    s, ev = enter(s, good, KEYPAD, now=240 + 3600)  # lockout over
    assert of(ev, pp.TopUpAccepted) and s.balance_pence == 500


def test_locked_keypad_reveals_nothing_about_the_code():
    # Default gate: a forged and a genuine code get the same answer while locked (no MAC oracle).
    s = new_esme(0)
    for i in range(5):
        s, _ = _fail(s, float(i))
    s, ev_forged = enter(s, tamper(K.issue(ESME_EUI, 1, 500)), KEYPAD, now=10)
    s, ev_good = enter(s, K.issue(ESME_EUI, 2, 500), KEYPAD, now=11)
    s, ev_typo = enter(s, "0" * 20, KEYPAD, now=12)
    assert rejection(ev_forged) is rejection(ev_good) is rejection(ev_typo) is Rejection.LOCKED_OUT
    assert 0x8F63 not in alert_codes(ev_forged)


def test_remote_top_up_is_not_locked_out():
    s = new_esme(0)
    for i in range(5):
        s, _ = _fail(s, float(i))
    s, ev = enter(s, K.issue(ESME_EUI, 1, 500), REMOTE, now=10)
    assert of(ev, pp.TopUpAccepted)


def test_failures_spread_beyond_the_window_do_not_lock():
    s = new_esme(0)
    for t in (0, 100, 200, 300, 601):  # the first failure left the 600 s window before the fifth
        s, ev = _fail(s, float(t))
    assert 0x81C4 not in alert_codes(ev)
    s, ev = enter(s, K.issue(ESME_EUI, 1, 500), KEYPAD, now=602)
    assert of(ev, pp.TopUpAccepted)


def test_a_good_entry_does_not_clear_the_failure_tally():
    # smetslab.policy.topup's assumption: only time forgets failures.
    s = new_esme(0)
    for t in range(4):
        s, _ = _fail(s, float(t))
    s, ev = enter(s, K.issue(ESME_EUI, 1, 500), KEYPAD, now=5)
    assert of(ev, pp.TopUpAccepted)
    s, ev = _fail(s, 6.0)
    assert 0x81C4 in alert_codes(ev)


def test_lockout_can_be_disabled():
    s = new_esme(0, TopUpAcceptance(lockout_enabled=False))
    for t in range(10):
        s, _ = _fail(s, float(t))
    s, ev = enter(s, K.issue(ESME_EUI, 1, 500), KEYPAD, now=20)
    assert of(ev, pp.TopUpAccepted)


def test_lockout_gate_after_mac_still_reports_the_specific_failure():
    s = new_esme(0, TopUpAcceptance(lockout_gate="after_mac"))
    for t in range(5):
        s, _ = _fail(s, float(t))
    s, ev = enter(s, tamper(K.issue(ESME_EUI, 1, 500)), KEYPAD, now=10)
    assert rejection(ev) is Rejection.NOT_AUTHENTIC
    s, ev = enter(s, K.issue(ESME_EUI, 2, 500), KEYPAD, now=11)
    assert rejection(ev) is Rejection.LOCKED_OUT


# -- the RTDS vectors (DOMAIN.md §1.6), with the DCC's reference keys ------------------------------


@pytest.mark.rtds
def test_rtds_utrn_vectors_credit_the_documented_values(rtds_dir):
    ks = Keystore.from_directory(rtds_dir / "keystore")
    # The keystore has no meter private keys; ECDH is symmetric, so the supplier's PP-KA private
    # key gives the meter the same shared secret. Vectors #4 (ESME, £10) and #6 (GSME, £12.50).
    e = esme.new_esme(meter=EUI64("00DB1234567890A0"), supplier=SUPPLIER, keystore=ks,
                      profile=pp.FlatRate(0), balance_pence=0)
    e, ev = esme.step(e, pp.ApplyTopUp("73946144332040217315", REMOTE, 0x3_0000_0000), 0.0)
    assert e.balance_pence == 1000, ev
    e, ev = esme.step(e, pp.ApplyTopUp("73943333457189043313", KEYPAD), 1.0)  # vector #1: £100, ctr 1
    assert e.balance_pence == 11000, ev
    g = gsme.new_gsme(meter=EUI64("00DB1234567890A1"), supplier=SUPPLIER, keystore=ks,
                      profile=pp.FlatRate(0), balance_pence=0)
    g, ev = gsme.step(g, pp.ApplyTopUp("73950067887105178605", REMOTE, 0x6_0000_0000), 0.0)
    assert g.balance_pence == 1250, ev
    # Vector #8: the PCS01 example's MAC field is a dummy - check digit fine, MAC not.
    g, ev = gsme.step(g, pp.ApplyTopUp("73941656880950804485", PPMID), 1.0)
    assert rejection(list(ev)) is Rejection.NOT_AUTHENTIC and g.balance_pence == 1250


def test_meter_without_the_supplier_key_is_a_configuration_bug_not_a_rejection():
    from smetslab.errors import KeyNotFoundError

    s = replace(new_esme(), keystore=Keystore())
    with pytest.raises(KeyNotFoundError):
        enter(s, K.issue(ESME_EUI, 1, 500))
