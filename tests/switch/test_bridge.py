"""bridge and uuid_bridge on real simulated calls (scaled clock)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from eslkit.protocol.event import Event
from eslkit.switch.core import Switch
from tests.switch_support import api, running_switch

A = "c0ffee00-0000-4000-8000-0000000000b1"
B = "c0ffee00-0000-4000-8000-0000000000b2"


@pytest.fixture
async def switch() -> AsyncIterator[Switch]:
    async with running_switch(50.0) as sw:
        yield sw


def collect(sw: Switch) -> list[Event]:
    events: list[Event] = []
    sw.subscribe_events(events.append)
    return events


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


def of(events: list[Event], name: str, uuid: str | None = None) -> list[Event]:
    return [e for e in events if e.get("Event-Name") == name and (uuid is None or e.get("Unique-ID") == uuid)]


async def test_bridge_success_events_and_hangup_after_bridge(switch: Switch) -> None:
    events = collect(switch)
    dial = f"{{origination_uuid={A},hangup_after_bridge=true}}null/1 &bridge(sim/answer;wait:1;hangup:USER_BUSY)"
    assert await api(switch, "originate", dial) == f"+OK {A}\n"
    await until(lambda: bool(of(events, "CHANNEL_DESTROY", A)))
    bridge = of(events, "CHANNEL_BRIDGE")[0]
    peer = bridge.get("Bridge-B-Unique-ID") or ""
    names = [h for h, _ in bridge.headers]
    at = names.index("Bridge-A-Unique-ID")
    assert names[at : at + 3] == ["Bridge-A-Unique-ID", "Bridge-B-Unique-ID", "Channel-State"]
    assert bridge.get("Bridge-A-Unique-ID") == A == bridge.get("Unique-ID")
    assert bridge.get("Other-Type") == "originatee" and bridge.get("Other-Leg-Unique-ID") == peer
    unbridge = of(events, "CHANNEL_UNBRIDGE")[0]
    assert unbridge.get("Bridge-B-Unique-ID") == peer
    assert events.index(bridge) < events.index(unbridge)
    complete = of(events, "CHANNEL_HANGUP_COMPLETE", A)[0]
    assert complete.get("Hangup-Cause") == "USER_BUSY"
    assert complete.get("variable_last_bridge_hangup_cause") == "USER_BUSY"
    assert complete.get("variable_last_bridge_to") == peer
    assert complete.get("variable_DIALSTATUS") == "SUCCESS"
    peer_data = of(events, "CHANNEL_HANGUP_COMPLETE", peer)[0]
    assert peer_data.get("variable_originating_leg_uuid") == A
    assert peer_data.get("Other-Type") == "originator"


async def test_bridge_continues_without_hangup_after_bridge(switch: Switch) -> None:
    events = collect(switch)
    dial = f"{{origination_uuid={A}}}null/1 &bridge(sim/answer;wait:0.5;hangup:USER_BUSY)"
    await api(switch, "originate", dial)
    await until(lambda: bool(of(events, "CHANNEL_DESTROY", A)))
    assert of(events, "CHANNEL_HANGUP_COMPLETE", A)[0].get("Hangup-Cause") == "NORMAL_CLEARING"


async def test_bridge_failures_and_continue_on_fail(switch: Switch) -> None:
    events = collect(switch)
    await api(switch, "originate", f"{{origination_uuid={A}}}null/1 &bridge(error/USER_BUSY)")
    await until(lambda: bool(of(events, "CHANNEL_DESTROY", A)))
    done = of(events, "CHANNEL_HANGUP_COMPLETE", A)[0]
    assert done.get("Hangup-Cause") == "USER_BUSY"
    assert done.get("variable_originate_failed_cause") == "USER_BUSY" and done.get("variable_DIALSTATUS") == "BUSY"
    assert not of(events, "CHANNEL_BRIDGE")

    events.clear()
    await api(switch, "originate", f"{{origination_uuid={A},continue_on_fail=true}}null/1 &bridge(error/USER_BUSY)")
    await until(lambda: bool(of(events, "CHANNEL_DESTROY", A)))
    assert of(events, "CHANNEL_HANGUP_COMPLETE", A)[0].get("Hangup-Cause") == "NORMAL_CLEARING"

    events.clear()
    await api(switch, "originate", f"{{origination_uuid={A},call_timeout=2}}null/1 &bridge(sim/ring)")
    await until(lambda: bool(of(events, "CHANNEL_DESTROY", A)))
    done = of(events, "CHANNEL_HANGUP_COMPLETE", A)[0]
    assert done.get("variable_originate_failed_cause") == "NO_ANSWER" and done.get("variable_DIALSTATUS") == "NOANSWER"
    assert done.get("Hangup-Cause") == "NORMAL_CLEARING"  # NO_ANSWER always continues


async def test_caller_hangup_cancels_peer(switch: Switch) -> None:
    events = collect(switch)
    await api(switch, "originate", f"{{origination_uuid={A}}}null/1 &bridge(sim/ring)")
    await until(lambda: any(e.get("variable_originating_leg_uuid") == A for e in of(events, "CHANNEL_PROGRESS")))
    assert await api(switch, "uuid_kill", A) == "+OK\n"
    await until(lambda: any(e.get("variable_originating_leg_uuid") == A for e in of(events, "CHANNEL_DESTROY")))
    peer_done = next(e for e in of(events, "CHANNEL_HANGUP_COMPLETE") if e.get("variable_originating_leg_uuid") == A)
    assert peer_done.get("Hangup-Cause") == "ORIGINATOR_CANCEL"


async def test_uuid_bridge(switch: Switch) -> None:
    events = collect(switch)
    await api(switch, "originate", f"{{origination_uuid={A}}}null/1 &park")
    await api(switch, "originate", f"{{origination_uuid={B}}}null/2 &park")
    assert await api(switch, "uuid_bridge", f"{A} {B}") == f"+OK {B}\n"
    await until(lambda: bool(of(events, "CHANNEL_BRIDGE")))
    execs = [e for e in of(events, "CHANNEL_EXECUTE") if e.get("Application") == "uuid_bridge"]
    assert [(e.get("Unique-ID"), e.get("Application-Data")) for e in execs] == [(A, B), (B, A)]
    assert await api(switch, "uuid_getvar", f"{A} bridge_to") == B
    assert await api(switch, "uuid_kill", B) == "+OK\n"
    await until(lambda: bool(of(events, "CHANNEL_DESTROY", A)))
    assert of(events, "CHANNEL_UNBRIDGE")[0].get("Bridge-A-Unique-ID") == A
    assert of(events, "CHANNEL_HANGUP_COMPLETE", A)[0].get("Hangup-Cause") == "NORMAL_CLEARING"
    assert await api(switch, "uuid_bridge", f"{A} {B}") == "-ERR Invalid uuid\n"
    assert await api(switch, "uuid_bridge", A) == "-USAGE: <uuid> <other_uuid>\n"


async def test_uuid_bridge_fallback_and_park_after_bridge(switch: Switch) -> None:
    events = collect(switch)
    await api(switch, "originate", f"{{origination_uuid={A},park_after_bridge=true}}null/1 &park")
    await api(switch, "originate", f"{{origination_uuid={B}}}null/2 &park")
    assert await api(switch, "uuid_bridge", f"{A} nope {B}") == f"+OK {B}\n"
    await until(lambda: bool(of(events, "CHANNEL_BRIDGE")))
    await api(switch, "uuid_kill", B)
    await until(lambda: bool(of(events, "CHANNEL_UNBRIDGE")))
    await until(lambda: len(of(events, "CHANNEL_PARK", A)) >= 2)
    assert await api(switch, "uuid_exists", A) == "true"
    await api(switch, "uuid_kill", A)
    await until(lambda: bool(of(events, "CHANNEL_DESTROY", A)))


def _dtmf_on(events: list[Event], channel_name: str) -> list[tuple[str | None, str | None]]:
    return [
        (e.get("DTMF-Digit"), e.get("DTMF-Source"))
        for e in of(events, "DTMF")
        if e.get("Channel-Name") == channel_name
    ]


async def test_dtmf_crosses_a_bridge_both_ways(switch: Switch) -> None:
    # A loopback leg on each side makes the far end observable: digits sent out of
    # loopback/park-a arrive (with a DTMF event) on loopback/park-b.
    events = collect(switch)
    peer_presses = f"{{origination_uuid={A}}}loopback/park/default &bridge(sim/answer;wait:0.5;dtmf:5;wait:1;hangup)"
    assert await api(switch, "originate", peer_presses) == f"+OK {A}\n"
    await until(lambda: bool(of(events, "CHANNEL_UNBRIDGE")))
    assert ("5", "ENDPOINT") in _dtmf_on(events, "loopback/park-b")
    await api(switch, "hupall", "")
    await until(lambda: not switch.sessions.channels)

    events.clear()
    caller_presses = f"{{origination_uuid={B}}}sim/answer;wait:0.5;dtmf:7;wait:1;hangup &bridge(loopback/park/default)"
    assert await api(switch, "originate", caller_presses) == f"+OK {B}\n"
    await until(lambda: bool(of(events, "CHANNEL_UNBRIDGE")))
    assert [d for d, _ in of_dtmf(events, B)] == ["7"]  # received on the caller
    assert ("7", "ENDPOINT") in _dtmf_on(events, "loopback/park-b")  # and passed on


def of_dtmf(events: list[Event], uuid: str) -> list[tuple[str | None, str | None]]:
    return [(e.get("DTMF-Digit"), e.get("DTMF-Source")) for e in of(events, "DTMF", uuid)]


async def test_bridge_filter_dtmf_keeps_digits_on_their_side(switch: Switch) -> None:
    events = collect(switch)
    dial = (
        f"{{origination_uuid={B},bridge_filter_dtmf=true}}sim/answer;wait:0.5;dtmf:7;wait:1;hangup"
        " &bridge(loopback/park/default)"
    )
    assert await api(switch, "originate", dial) == f"+OK {B}\n"
    await until(lambda: bool(of(events, "CHANNEL_UNBRIDGE")))
    assert [d for d, _ in of_dtmf(events, B)] == ["7"]
    assert _dtmf_on(events, "loopback/park-b") == []


RING_THROUGH = """
<document type="freeswitch/xml"><section name="dialplan"><context name="default">
  <extension name="ignore" continue="true">
    <condition field="destination_number" expression="^ignore$">
      <action application="set" data="ignore_early_media=true"/>
    </condition>
  </extension>
  <extension name="through">
    <condition field="destination_number" expression="^(plain|ignore)$">
      <action application="bridge" data="sim/ring:2;early:20;answer;wait:1;hangup"/>
    </condition>
  </extension>
</context></section></document>
"""


async def _ring_through(switch: Switch, dest: str) -> tuple[list[str], str]:
    from eslkit.testing.caller import place_call
    from eslkit.testing.switch import load_dialplan

    switch.sessions.dialplan = load_dialplan(RING_THROUGH)
    events = collect(switch)
    caller = place_call(
        switch.sessions, dest=dest, caller_id="5551234", caller_name="x", script=None,
        context="default", variables={},
    )  # fmt: skip
    await until(lambda: bool(of(events, "CHANNEL_UNBRIDGE")))
    peer = of(events, "CHANNEL_BRIDGE")[0].get("Bridge-B-Unique-ID") or ""
    wanted = {"CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER", "CHANNEL_BRIDGE"}
    seen = [
        f"{'caller' if e.get('Unique-ID') == caller.uuid else 'peer'} {e.get('Event-Name')}"
        for e in events
        if e.get("Event-Name") in wanted and e.get("Unique-ID") in (caller.uuid, peer)
    ]
    return seen, peer


async def test_bridge_passes_ringing_and_early_media_to_the_caller(switch: Switch) -> None:
    # FreeSWITCH's default: the peer's ringing rings the caller, its early media completes
    # the originate (the caller is pre-answered, then bridged), its answer answers the caller.
    seen, _ = await _ring_through(switch, "plain")
    assert seen == [
        "peer CHANNEL_PROGRESS",
        "caller CHANNEL_PROGRESS",
        "peer CHANNEL_PROGRESS_MEDIA",
        "caller CHANNEL_PROGRESS_MEDIA",
        "caller CHANNEL_BRIDGE",
        "peer CHANNEL_ANSWER",
        "caller CHANNEL_ANSWER",
    ]


async def test_ignore_early_media_bridges_on_answer(switch: Switch) -> None:
    seen, _ = await _ring_through(switch, "ignore")
    assert seen == [
        "peer CHANNEL_PROGRESS",
        "caller CHANNEL_PROGRESS",
        "peer CHANNEL_PROGRESS_MEDIA",
        "peer CHANNEL_ANSWER",
        "caller CHANNEL_ANSWER",
        "caller CHANNEL_BRIDGE",
    ]


async def test_api_originate_completes_on_early_media_unless_ignored(switch: Switch) -> None:
    events = collect(switch)
    assert await api(switch, "originate", f"{{origination_uuid={A}}}sim/early:20;answer;wait:1;hangup &park") == f"+OK {A}\n"
    assert of(events, "CHANNEL_PROGRESS_MEDIA", A) and not of(events, "CHANNEL_ANSWER", A)
    dial = f"{{origination_uuid={B},ignore_early_media=true}}sim/early:1;answer;wait:1;hangup &park"
    assert await api(switch, "originate", dial) == f"+OK {B}\n"
    assert of(events, "CHANNEL_ANSWER", B)


async def test_the_caller_takes_the_peers_callee_id(switch: Switch) -> None:
    # switch_channel_pass_callee_id when the originate succeeds: the caller's events from
    # then on name the peer's callee.
    events = collect(switch)
    dial = f"{{origination_uuid={A}}}null/1 &bridge(sim/answer;wait:1;hangup)"
    assert await api(switch, "originate", dial) == f"+OK {A}\n"
    await until(lambda: bool(of(events, "CHANNEL_UNBRIDGE")))
    peer_uuid = of(events, "CHANNEL_BRIDGE")[0].get("Bridge-B-Unique-ID")
    peer = of(events, "CHANNEL_ANSWER", peer_uuid)[0]
    name, number = peer.get("Caller-Callee-ID-Name"), peer.get("Caller-Callee-ID-Number")
    assert name and number
    bridge = of(events, "CHANNEL_BRIDGE", A)[0]
    assert (bridge.get("Caller-Callee-ID-Name"), bridge.get("Caller-Callee-ID-Number")) == (name, number)
    execute = next(e for e in of(events, "CHANNEL_EXECUTE", A) if e.get("Application") == "bridge")
    assert execute.get("Caller-Callee-ID-Number") != number  # before: its own
