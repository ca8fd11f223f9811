"""The installer's HHT: local join through the hub's window, commands for local delivery carried as-is."""

from __future__ import annotations

import pytest

from smetslab.devices import GBCSFrame, GBCSOut, HANFrameOut, HANJoined, Via
from smetslab.devices import hht as H
from smetslab.units import EUI64

EUI = EUI64("00DB1234567890C1")
HUB, ESME = EUI64("00DB1234567890A2"), EUI64("00DB1234567890A0")
CODE = bytes(range(16))


def run(state: H.HHTState, *inputs: object) -> tuple[H.HHTState, list[object]]:
    events: list[object] = []
    for value in inputs:
        state, ev = H.step(state, value, 10.0)
        events += ev
    return state, events


def test_start_asks_the_hub_for_a_local_join_with_its_own_credentials():
    s, ev = run(H.new_hht(EUI, CODE, cbke_certificate_valid=False), H.StartLocalJoin())
    assert ev == [H.LocalJoinRequested(EUI, CODE, False)] and s.status is H.HHTStatus.JOINING


def test_a_refused_join_leaves_it_idle_so_it_can_try_again():
    s, ev = run(H.new_hht(EUI, CODE), H.StartLocalJoin(), H.LocalJoinFailed("WINDOW_CLOSED"))
    assert s.status is H.HHTStatus.IDLE and isinstance(ev[-1], H.HHTJoinFailed)
    s, ev = run(s, H.StartLocalJoin())
    assert isinstance(ev[0], H.LocalJoinRequested)


def test_loaded_commands_wait_until_joined_then_go_out_unchanged_and_in_order():
    wires = [(HUB, b"\xdd first"), (ESME, b"\xdd second")]
    s, ev = run(H.new_hht(EUI, CODE), H.LoadCommands(tuple(wires)), H.DeliverCommands())
    assert not [e for e in ev if isinstance(e, HANFrameOut)] and len(s.held) == 2  # not joined: kept
    s, ev = run(s, H.StartLocalJoin(), HANJoined(None), H.DeliverCommands())
    out = [e for e in ev if isinstance(e, HANFrameOut)]
    assert [(o.to, o.frame.wire, o.frame.via) for o in out] == [(HUB, b"\xdd first", Via.LOCAL),
                                                               (ESME, b"\xdd second", Via.LOCAL)]
    assert s.held == () and s.delivered == 2


def test_replies_are_handed_on_and_leaving_drops_what_is_held():
    s, _ = run(H.new_hht(EUI, CODE), H.StartLocalJoin(), HANJoined(None))
    s, ev = run(s, GBCSFrame(b"not gbcs", Via.LOCAL))
    assert not [e for e in ev if isinstance(e, GBCSOut)]  # undecodable reply: nothing to hand on
    s, _ = run(s, H.LoadCommands(((HUB, b"x"),)), H.Leave())
    assert s.status is H.HHTStatus.LEFT and s.held == ()
    s2, ev = run(s, H.DeliverCommands())
    assert s2 == s and [type(e) for e in ev] == [H.InputIgnored]
    with pytest.raises(TypeError):
        H.step(s, 42, 0.0)
