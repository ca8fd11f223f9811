"""The IHD (a Type 2 display: joins, shows reports, nothing else) next to the PPMID it sits beside."""

from __future__ import annotations

import pytest

from smetslab.devices import Fuel, HANJoined, MeterReport
from smetslab.devices import ihd as I
from smetslab.units import EUI64

EUI = EUI64("00DB1234567890B0")
GAS = MeterReport(Fuel.GAS, 250, 250, 500, False, 0, "ENABLED")
ELEC = MeterReport(Fuel.ELECTRICITY, -120, 0, 380, True, 40, "ARMED")


def test_an_unjoined_ihd_shows_nothing():
    s, ev = I.step(I.new_ihd(EUI, b"c" * 16), GAS, 0.0)
    assert s.shown(Fuel.GAS) is None and [type(e) for e in ev] == [I.InputIgnored]


def test_a_joined_ihd_shows_the_latest_report_per_fuel():
    s, _ = I.step(I.new_ihd(EUI, b"c" * 16), HANJoined(None), 0.0)
    s, _ = I.step(s, GAS, 1.0)
    s, ev = I.step(s, ELEC, 2.0)
    assert s.shown(Fuel.GAS) == GAS and s.shown(Fuel.ELECTRICITY) == ELEC
    (shown,) = ev
    assert (shown.credit_pence, shown.emergency_credit_pence, shown.debt_pence, shown.supply) == (0, 380, 40, "ARMED")


def test_a_broken_ihd_ignores_reports_and_unknown_inputs_raise():
    s, _ = I.step(I.new_ihd(EUI, b"c" * 16), HANJoined(None), 0.0)
    s, _ = I.step(s, I.Break(), 1.0)
    s2, ev = I.step(s, GAS, 2.0)
    assert s2 == s and [type(e) for e in ev] == [I.InputIgnored]
    with pytest.raises(TypeError):
        I.step(s, "report", 3.0)
