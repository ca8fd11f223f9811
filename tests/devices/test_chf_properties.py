"""Stateful property tests of the CHF: random CCS01/CCS02/CCS03 commands, joins with right and wrong
keys, local joins by HHTs, PPMIDs and other devices, power cycles, button presses and waiting, under
random combinations of the local-join options.

The test keeps its own clock-side facts (last power-on, last button press, power state, when each
EUI was added and with which timeout) and its own reading of each option's window, written out
here from DOMAIN.md §3.6 and DESIGN.md, not taken from the code. Invariants:
- the device log never exceeds its capacity, has no duplicate EUI; the historic log <= 15;
- no local join outside a window the options permit (and none refused while one is open);
- no install-code join after the join timeout, and none with a wrong key.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from smetslab.devices import DeviceType, JoinWindowPolicy
from smetslab.devices import chf as C
from smetslab.units import EUI64

HUB = EUI64("00DB1234567890A2")
EUIS = [EUI64(bytes.fromhex("00DB12345678AB") + bytes([n])) for n in range(8)]
CODES = [bytes([n + 1]) * 16 for n in range(8)]  # one install code per EUI
KINDS = [DeviceType.PPMID, DeviceType.HHT, DeviceType.ESME, DeviceType.GSME, DeviceType.TYPE2]
OPTIONS = ["secmp0037", "power_cycle_window", "hub_button", "alternating_windows", "firmware_preauth",
           "secmp0038", "meter_nfc"]
BUTTON_S = 300.0


def oracle_window(options: frozenset[str], kind: DeviceType, now: float, powered_on_at: float,
                  button_at: float | None, preregistered: bool) -> bool:
    """The local-join rules as the test reads them (DOMAIN.md §3.6; DESIGN.md options; one alternating
    window a day, at 00:00 on even days and 12:00 on odd days)."""
    if kind not in (DeviceType.HHT, DeviceType.PPMID):
        return False
    in_power_hour = powered_on_at <= now < powered_on_at + 3600
    day = int(now // 86_400)
    start = day * 86_400 + (0 if day % 2 == 0 else 12 * 3600)
    in_alternating = start <= now < start + 300
    if "secmp0037" in options:
        return True
    if "firmware_preauth" in options and kind is DeviceType.PPMID and preregistered:
        return True
    if "hub_button" in options and button_at is not None and button_at <= now < button_at + BUTTON_S:
        return True
    if "alternating_windows" in options and in_alternating:
        return True
    if kind is DeviceType.HHT:
        return in_power_hour and "alternating_windows" not in options
    return in_power_hour and "power_cycle_window" in options


class CHFMachine(RuleBasedStateMachine):
    @initialize(options=st.sets(st.sampled_from(OPTIONS), max_size=3), capacity=st.integers(1, 5))
    def setup(self, options, capacity):
        self.options = frozenset(options)
        self.capacity = capacity
        option = "+".join(sorted(options)) or "baseline"
        policy = JoinWindowPolicy(option, button_window_s=BUTTON_S)
        self.preregistered: set[tuple[EUI64, bytes]] = set()
        self.state = C.new_chf(C.CHFConfig(HUB, device_log_capacity=capacity, join_policy=policy), now=0.0)
        self.now = 0.0
        self.on = True
        self.powered_on_at = 0.0
        self.button_at: float | None = None
        self.added: dict[EUI64, tuple[float, float]] = {}  # DCC-added: (added_at, timeout)
        self.tc_keys: dict[EUI64, bytes] = {}

    def _step(self, value) -> list[object]:
        self.state, events = C.step(self.state, value, self.now)
        events = list(events)
        for e in events:
            if isinstance(e, C.DeviceJoined) and e.tc_link_key is not None:
                self.tc_keys[e.eui] = e.tc_link_key
        return events

    @rule(dt=st.sampled_from([1.0, 59.0, 299.0, 300.0, 1800.0, 3599.0, 3600.0, 7200.0, 43_200.0]))
    def wait(self, dt):
        self.now += dt

    @rule()
    def power_cycle(self):
        self._step(C.PowerCycle())
        self.on, self.powered_on_at = True, self.now

    @rule()
    def power_off(self):
        self._step(C.PowerOff())
        self.on = False

    @rule()
    def power_on(self):
        events = self._step(C.PowerOn())
        if not self.on:
            self.on, self.powered_on_at = True, self.now
        else:
            assert any(isinstance(e, C.InputIgnored) for e in events)

    @rule()
    def press_button(self):
        self._step(C.PressHubButton())
        if self.on:
            self.button_at = self.now

    @rule(i=st.integers(0, 7), kind=st.sampled_from(KINDS), timeout=st.sampled_from([600.0, 5400.0]))
    def ccs01(self, i, kind, timeout):
        events = self._step(C.AddDevice(EUIS[i], kind, CODES[i], timeout))
        if any(isinstance(e, C.DeviceAdded) for e in events):
            self.added[EUIS[i]] = (self.now, timeout)

    @rule(i=st.integers(0, 7))
    def ccs02(self, i):
        self._step(C.RemoveDevice(EUIS[i]))
        if self.state.entry(EUIS[i]) is None:
            self.added.pop(EUIS[i], None)

    @rule(subset=st.lists(st.integers(0, 7), unique=True, max_size=6))
    def ccs03(self, subset):
        entries = tuple((EUIS[i], C.tc_link_key_hash(self.tc_keys[EUIS[i]]) if EUIS[i] in self.tc_keys else None)
                        for i in subset)
        events = self._step(C.RestoreDeviceLog(HUB, entries))
        if any(isinstance(e, C.DeviceLogRestored) for e in events):
            self.added = {}

    @rule(i=st.integers(0, 7), good=st.booleans())
    def join(self, i, good):
        key = C.install_code_link_key(CODES[i] if good else CODES[(i + 1) % 8])
        before = self.state.entry(EUIS[i])
        events = self._step(C.JoinRequest(EUIS[i], key))
        for e in events:
            if isinstance(e, C.DeviceJoined) and e.via == "INSTALL_CODE":
                assert good and before is not None
                added_at, timeout = self.added[EUIS[i]]
                assert added_at <= self.now < added_at + timeout

    @rule(i=st.integers(0, 7))
    def rejoin(self, i):
        if EUIS[i] in self.tc_keys:
            self._step(C.JoinRequest(EUIS[i], self.tc_keys[EUIS[i]]))

    @rule(i=st.integers(0, 7))
    def preauthorise(self, i):
        self._step(C.PreauthoriseDevice(EUIS[i], CODES[i]))
        if self.on:
            self.preregistered = {p for p in self.preregistered if p[0] != EUIS[i]} | {(EUIS[i], CODES[i])}

    @rule(i=st.integers(0, 7), kind=st.sampled_from(KINDS), valid=st.booleans(), own_code=st.booleans())
    def local_join(self, i, kind, valid, own_code):
        code = CODES[i] if own_code else CODES[(i + 3) % 8]
        pre = (EUIS[i], code) in self.preregistered
        permitted = self.on and oracle_window(self.options, kind, self.now, self.powered_on_at, self.button_at, pre)
        fits = self.state.entry(EUIS[i]) is None and len(self.state.device_log) < self.capacity
        events = self._step(C.LocalJoinRequest(EUIS[i], kind, code, valid))
        joined = any(isinstance(e, C.DeviceJoined) for e in events)
        assert joined == (permitted and valid and fits), (self.options, kind, self.now, events)
        if joined:
            self.preregistered = {p for p in self.preregistered if p[0] != EUIS[i]}

    @invariant()
    def logs_within_capacity(self):
        euis = [e.eui for e in self.state.device_log]
        assert len(euis) <= self.capacity and len(set(euis)) == len(euis)
        assert len(self.state.historic_log) <= 15

    @invariant()
    def joined_entries_have_keys(self):
        for e in self.state.device_log:
            assert (e.status is C.JoinStatus.JOINED) == (e.tc_link_key_hash is not None)


TestCHFProperties = CHFMachine.TestCase
TestCHFProperties.settings = settings(max_examples=150, stateful_step_count=40, deadline=None,
                                      suppress_health_check=[HealthCheck.too_slow])
