"""Stateful property tests: random sequences of top-ups, mistyped codes, forgeries, replays on every
route, emergency credit, re-enable requests and the passage of time, on an ESME and on a GSME.

Invariants (the test keeps its own books; the meter's own totals are only cross-checked):
- conservation, in integer pence: balance + consumed + debt recovered == initial + accepted top-ups,
  where "accepted top-ups" is the sum of the values the *test* issued for each accepted UTRN;
- each UTRN credits at most once, whatever the route (including the same UTRN on two routes);
- no forged, foreign or mistyped code ever credits;
- the balance never goes below the EC floor; the supply is off whenever the balance is at the floor;
- nothing is consumed beyond what the profile would have spent with the supply always on.
"""

from __future__ import annotations

from collections import Counter

from _meterkit import ESME_EUI, GSME_EUI, SUPPLIER, keys, tamper
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from smetslab.devices import TopUpAcceptance, TopUpRoute, esme, gsme
from smetslab.devices import prepayment as pp
from smetslab.devices.prepayment import SupplyState
from smetslab.policy.topup import CounterCachePolicy

K = keys()
ROUTES = st.sampled_from(list(TopUpRoute))
N_GOOD = 12


def _issued(meter) -> dict[str, int]:
    """Valid UTRNs for ``meter``: code -> value in pence (values vary, some in pounds)."""
    out = {}
    for k in range(1, N_GOOD + 1):
        if k % 4 == 0:
            out[K.issue(meter, k, k, "pounds")] = 100 * k
        else:
            out[K.issue(meter, k, 37 * k + 5)] = 37 * k + 5
    return out


ISSUED = {ESME_EUI: _issued(ESME_EUI), GSME_EUI: _issued(GSME_EUI)}
BAD = {
    ESME_EUI: [K.issue(GSME_EUI, 1, 500), K.issue(ESME_EUI, 3, 500, supplier="other"),
               tamper(next(iter(ISSUED[ESME_EUI])))],
    GSME_EUI: [K.issue(ESME_EUI, 1, 500), K.issue(GSME_EUI, 3, 500, supplier="other"),
               tamper(next(iter(ISSUED[GSME_EUI])))],
}


class MeterMachine(RuleBasedStateMachine):
    kind = "esme"

    @initialize(balance=st.integers(-0, 3000), rate=st.integers(0, 2000), debt=st.integers(0, 2000),
                recover=st.integers(0, 300), ec_limit=st.integers(0, 800), ec_threshold=st.integers(0, 500),
                arm=st.booleans(), cache=st.integers(2, 100))
    def setup(self, balance, rate, debt, recover, ec_limit, ec_threshold, arm, cache):
        self.machine = esme if self.kind == "esme" else gsme
        eui = ESME_EUI if self.kind == "esme" else GSME_EUI
        self.issued = ISSUED[eui]
        self.codes = list(self.issued)
        self.bad = BAD[eui]
        self.profile = pp.FlatRate(rate)
        config = pp.PrepaymentConfig(emergency_credit_limit_pence=ec_limit,
                                     emergency_credit_threshold_pence=ec_threshold,
                                     debt_recovery_per_day_pence=recover, arm_before_enable=arm)
        new = esme.new_esme if self.kind == "esme" else gsme.new_gsme
        self.state = new(meter=eui, supplier=SUPPLIER, keystore=K.esme if self.kind == "esme" else K.gsme,
                         profile=self.profile, balance_pence=balance, debt_pence=debt, config=config,
                         rules=TopUpAcceptance(cache=CounterCachePolicy(size=cache)))
        self.initial = balance
        self.now = 0.0
        self.credited: Counter[str] = Counter()
        self.credited_counters: Counter[int] = Counter()
        self.accepted_total = 0
        self._step(pp.Tick())  # switch on: a meter commissioned without credit disables here

    def _step(self, value) -> list[object]:
        self.state, events = self.machine.step(self.state, value, self.now)
        for e in events:
            if isinstance(e, pp.TopUpAccepted):
                assert e.utrn in self.issued, f"credited a code nobody issued: {e.utrn}"
                assert e.value_pence == self.issued[e.utrn]
                self.credited[e.utrn] += 1
                self.credited_counters[e.counter] += 1
                self.accepted_total += self.issued[e.utrn]
        return list(events)

    @rule(dt=st.floats(0, 3 * 86_400, allow_nan=False))
    def wait(self, dt):
        self.now += dt
        self._step(pp.Tick())

    @rule(i=st.integers(0, N_GOOD - 1), route=ROUTES)
    def enter_issued(self, i, route):
        code = self.codes[i]
        counter = (i + 1) << 32 if route is TopUpRoute.REMOTE else None
        self._step(pp.ApplyTopUp(code, route, counter))

    @precondition(lambda self: self.credited)
    @rule(data=st.data(), routes=st.lists(ROUTES, min_size=2, max_size=3))
    def replay_on_other_routes(self, data, routes):
        code = data.draw(st.sampled_from(sorted(self.credited)))
        for route in routes:
            events = self._step(pp.ApplyTopUp(code, route))
            assert not any(isinstance(e, pp.TopUpAccepted) for e in events)

    @rule(i=st.integers(0, 2), route=ROUTES)
    def enter_forgery(self, i, route):
        events = self._step(pp.ApplyTopUp(self.bad[i], route))
        assert not any(isinstance(e, pp.TopUpAccepted) for e in events)

    @rule(text=st.text(alphabet="0123456789 x", max_size=22), route=ROUTES)
    def enter_garbage(self, text, route):
        self._step(pp.ApplyTopUp(text, route))

    @rule(route=ROUTES)
    def emergency_credit(self, route):
        self._step(pp.ActivateEmergencyCredit(route))

    @rule(route=ROUTES)
    def enable(self, route):
        self._step(pp.EnableSupply(route))

    @invariant()
    def conservation(self):
        s = self.state
        assert s.balance_pence + s.consumed_pence + s.debt_recovered_pence == self.initial + self.accepted_total
        assert s.topped_up_pence == self.accepted_total

    @invariant()
    def at_most_once(self):
        assert all(n == 1 for n in self.credited.values())
        assert all(n == 1 for n in self.credited_counters.values())

    @invariant()
    def balance_respects_floor(self):
        s = self.state
        assert s.balance_pence >= min(self.initial, 0) - s.config.emergency_credit_limit_pence
        if s.supply is not SupplyState.DISABLED:
            assert s.balance_pence > s.floor_pence

    @invariant()
    def consumption_bounded_by_profile(self):
        assert 0 <= self.state.consumed_pence <= self.profile.cumulative_pence(self.now)


class GSMEMachine(MeterMachine):
    kind = "gsme"


_settings = settings(max_examples=60, stateful_step_count=30, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])
TestESMEProperties = MeterMachine.TestCase
TestESMEProperties.settings = _settings
TestGSMEProperties = GSMEMachine.TestCase
TestGSMEProperties.settings = _settings
