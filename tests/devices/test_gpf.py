"""The GPF: the GSME's mirror for the displays, and the queue that holds frames for the sleepy GSME."""

from __future__ import annotations

import pytest

from smetslab.devices import Fuel, HANFrameOut, MeterReport
from smetslab.devices import gpf as G
from smetslab.units import EUI64

GPF, GSME = EUI64("00DB1234567890A3"), EUI64("00DB1234567890A1")
PPMID, IHD = EUI64("00DB1234567890A4"), EUI64("00DB1234567890B0")
R1 = MeterReport(Fuel.GAS, 900, 900, 500, False, 0, "ENABLED")
R2 = MeterReport(Fuel.GAS, 0, 0, 500, False, 0, "DISABLED")


def test_nothing_to_publish_before_the_gsme_reports():
    s, ev = G.step(G.new_gpf(GPF, GSME), G.PublishMirror((PPMID,)), 5.0)
    assert [type(e) for e in ev] == [G.InputIgnored]


def test_the_mirror_serves_the_latest_gsme_report_and_says_how_old_it_is():
    s, _ = G.step(G.new_gpf(GPF, GSME), G.GSMEReported(R1), 100.0)
    s, _ = G.step(s, G.GSMEReported(R2), 1900.0)
    s, ev = G.step(s, G.PublishMirror((PPMID, IHD)), 2500.0)
    assert ev[0] == G.MirrorPublished((PPMID, IHD), 600.0)
    assert [(e.to, e.frame) for e in ev[1:]] == [(PPMID, R2), (IHD, R2)]


def test_frames_wait_for_the_gsme_to_wake_and_go_over_oldest_first():
    s = G.new_gpf(GPF, GSME)
    for frame in ("first", "second"):
        s, ev = G.step(s, G.ForwardToGSME(frame), 1.0)
    assert ev == [G.FrameQueued("str", 2)]
    s, ev = G.step(s, G.GSMEWoke(), 1800.0)
    assert ev == [G.QueueHandedOver(2), HANFrameOut(GSME, "first"), HANFrameOut(GSME, "second")]
    s2, ev = G.step(s, G.GSMEWoke(), 3600.0)
    assert s2 == s and ev == []  # an empty poll changes nothing


def test_the_queue_is_bounded_and_lost_with_the_hubs_power():
    s = G.new_gpf(GPF, GSME, capacity=2)
    for frame in ("a", "b", "c"):
        s, ev = G.step(s, G.ForwardToGSME(frame), 1.0)
    assert ev == [G.FrameDropped("str", "QUEUE_FULL")] and s.queue == ("a", "b")
    s, ev = G.step(s, G.HubPoweredOff(), 2.0)
    assert ev == [G.FramesLost(2, "HUB_POWER_LOST")] and s.queue == ()
    s, ev = G.step(s, G.GSMEWoke(), 1800.0)
    assert ev == []
    with pytest.raises(TypeError):
        G.step(s, None, 3.0)
