"""Top-up acceptance rules (DOMAIN.md §1.8 and §5.3): counter cache, lockout, value limits."""

from __future__ import annotations

import numpy as np
import pytest

from smetslab.errors import InputError
from smetslab.policy import topup as t


def test_defaults_and_sources():
    p = t.TopUpAcceptancePolicy()
    assert p.cache.size == 100  # Silicon Labs comment, DOMAIN.md §1.8
    assert (p.lockout.max_failures, p.lockout.failure_window_s, p.lockout.lockout_s) == (5, 600.0, 3600.0)
    for part in (p.cache, p.lockout, p.limits):
        assert "DOMAIN.md" in part.source
    assert "assumption" in p.limits.source  # the values are ours


def test_counter_cache_fifo_of_100():
    pol = t.CounterCachePolicy()
    cache: tuple[int, ...] = ()
    for c in range(101):
        assert not t.counter_in_cache(cache, c << 32)
        cache = t.cache_after_accept(cache, c << 32, pol)
    assert len(cache) == 100
    assert not t.counter_in_cache(cache, 0)        # the oldest fell out (FIFO)
    assert t.counter_in_cache(cache, 1 << 32)      # the next oldest is still a duplicate
    assert t.counter_in_cache(cache, 100 << 32)


def test_lockout_five_failures_in_ten_minutes_lock_for_an_hour():
    pol = t.LockoutPolicy()
    s = t.LockoutState()
    for i in range(4):
        s = t.register_failure(s, 100.0 + i * 60, pol)
        assert t.entry_permitted(s.locked_until_s, 100.0 + i * 60 + 1)
    s = t.register_failure(s, 400.0, pol)  # 5th failure within 10 minutes
    assert not t.entry_permitted(s.locked_until_s, 400.0 + 3599.0)
    assert t.entry_permitted(s.locked_until_s, 400.0 + 3600.0)


def test_failures_spread_beyond_the_window_do_not_lock():
    pol = t.LockoutPolicy()
    s = t.LockoutState()
    for i in range(10):
        s = t.register_failure(s, i * 200.0, pol)  # 3 in any 600 s window (t, t+200, t+400)
        assert t.entry_permitted(s.locked_until_s, i * 200.0)


def test_entry_permitted_arrays():
    got = t.entry_permitted(np.array([10.0, 20.0]), np.array([15.0, 15.0]))
    assert list(got) == [True, False]


def test_value_limits():
    lim = t.CreditLimits(max_credit_per_top_up_pence=5000, max_meter_balance_pence=20000)
    assert t.limit_refusal(5001, 0, lim) is t.TopUpRefusal.EXCEEDS_MAX_CREDIT_PER_TOP_UP
    assert t.limit_refusal(5000, 15001, lim) is t.TopUpRefusal.EXCEEDS_MAX_METER_BALANCE
    assert t.limit_refusal(5000, 15000, lim) is None
    got = t.within_credit_limits(np.array([5001, 5000, 5000]), np.array([0, 15001, 15000]), lim)
    assert list(got) == [False, False, True]
    assert t.within_credit_limits(100, 100, lim) is True


def test_check_order_lockout_then_duplicate_then_limits():
    pol = t.TopUpAcceptancePolicy(limits=t.CreditLimits(1000, 2000))
    locked = t.LockoutState((), 500.0)
    kw = dict(counter=7, value_pence=5000, balance_pence=0, cache=(7,), policy=pol)
    assert t.check_top_up(lockout=locked, now_s=100.0, manual_entry=True, **kw) is t.TopUpRefusal.LOCKED_OUT
    # the keypad lockout does not stop a WAN (remote) top-up
    assert t.check_top_up(lockout=locked, now_s=100.0, manual_entry=False, **kw) is t.TopUpRefusal.DUPLICATE
    kw["cache"] = ()
    assert t.check_top_up(lockout=locked, now_s=600.0, manual_entry=True, **kw) is \
        t.TopUpRefusal.EXCEEDS_MAX_CREDIT_PER_TOP_UP
    kw["value_pence"] = 500
    assert t.check_top_up(lockout=locked, now_s=600.0, manual_entry=True, **kw) is None


@pytest.mark.parametrize("make", [
    lambda: t.CounterCachePolicy(size=0),
    lambda: t.LockoutPolicy(max_failures=0),
    lambda: t.LockoutPolicy(lockout_s=-1.0),
    lambda: t.CreditLimits(max_credit_per_top_up_pence=-5),
    lambda: t.CreditLimits(max_meter_balance_pence=1.5),  # type: ignore[arg-type]
])
def test_bad_configuration_is_input_error(make):
    with pytest.raises(InputError):
        make()


def test_out_of_order_counter_never_credits_twice_once_evicted():
    # Found by the meter's stateful test: with a plain FIFO of 2, accepting 2, 1, 3 evicts 2 and 2 then
    # credits again. The stale rule refuses it instead (policy default).
    pol = t.CounterCachePolicy(size=2)
    cache: tuple[int, ...] = ()
    for c in (2, 1, 3):
        assert not t.counter_in_cache(cache, c) and not t.counter_is_stale(cache, c, pol)
        cache = t.cache_after_accept(cache, c, pol)
    assert t.counter_in_cache(cache, 2) or t.counter_is_stale(cache, 2, pol)
    assert t.counter_is_stale(cache, 1, pol)
    fifo = t.CounterCachePolicy(size=2, refuse_stale=False)
    cache = ()
    for c in (2, 1, 3):
        cache = t.cache_after_accept(cache, c, fifo)
    assert not t.counter_in_cache(cache, 2) and not t.counter_is_stale(cache, 2, fifo)  # the FIFO forgets


def test_check_top_up_refuses_stale_counter():
    pol = t.TopUpAcceptancePolicy(cache=t.CounterCachePolicy(size=2))
    kw = dict(value_pence=100, balance_pence=0, lockout=t.LockoutState(), now_s=0.0, manual_entry=False, policy=pol)
    assert t.check_top_up(counter=1, cache=(2, 3), **kw) is t.TopUpRefusal.STALE_COUNTER
    assert t.check_top_up(counter=4, cache=(2, 3), **kw) is None
