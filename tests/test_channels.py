"""Channels through the API: uuid_* commands, variables, DTMF from sim/, break, park."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from eslkit.protocol.event import Event
from eslkit.protocol.names import ChannelState
from eslkit.switch.core import Switch, SwitchConfig

UUID = "c0ffee00-0000-4000-8000-0000000000bb"


@pytest.fixture
async def switch() -> AsyncIterator[Switch]:
    sw = Switch(SwitchConfig.recording())
    sw.clock = type(sw.clock)(20.0)
    await sw.start()
    try:
        yield sw
    finally:
        await sw.stop()
    assert sw.errors == []


async def api(sw: Switch, cmd: str, arg: str = "") -> str:
    return (await asyncio.wait_for(sw.execute_api(cmd, arg), 10)).output


async def test_uuid_commands(switch: Switch) -> None:
    assert await api(switch, "originate", f"{{origination_uuid={UUID}}}loopback/1000/default &park") == f"+OK {UUID}\n"
    assert await api(switch, "uuid_exists", UUID) == "true"
    assert await api(switch, "uuid_getvar", f"{UUID} destination_number") == "1000"
    assert await api(switch, "uuid_getvar", f"{UUID} nope") == "_undef_"
    assert await api(switch, "uuid_setvar", f"{UUID} a b") == "+OK\n"
    assert await api(switch, "uuid_setvar_multi", f"{UUID} x=1;y=2") == "+OK\n"
    assert await api(switch, "uuid_getvar", f"{UUID} y") == "2"
    assert await api(switch, "uuid_setvar_multi", "nope x=1") == (
        "-ERR No such channel!\n-USAGE: <uuid> <var>=<value>;<var>=<value>...\n"
    )
    dump = await api(switch, "uuid_dump", UUID)
    assert dump.startswith("Event-Name: CHANNEL_DATA\n") and "variable_a: b\n" in dump
    assert await api(switch, "uuid_hold", UUID) == "+OK Success\n"
    assert await api(switch, "uuid_break", UUID) == "+OK\n"
    rows = await api(switch, "show", "channels")
    assert UUID in rows and rows.endswith("\n2 total.\n")
    assert await api(switch, "uuid_kill", "00000000-0000-0000-0000-000000000000") == "-ERR No such channel!\n"
    assert await api(switch, "uuid_kill", UUID) == "+OK\n"
    channel = switch.sessions.find_session(UUID)
    assert channel is None or await channel.wait_destroyed(30)
    assert await api(switch, "uuid_exists", UUID) == "false"


async def test_sim_dtmf_reaches_queue_and_events(switch: Switch) -> None:
    digits: list[str] = []
    switch.subscribe_events(lambda e: digits.append(e.get("DTMF-Digit") or "") if e.get("Event-Name") == "DTMF" else None)
    out = await api(switch, "originate", f"{{origination_uuid={UUID}}}sim/answer;dtmf:12#@0.5;talk:1;wait:1;hangup:USER_BUSY &park")
    assert out == f"+OK {UUID}\n"
    channel = switch.sessions.find_session(UUID)
    assert channel is not None
    got = [await channel.get_dtmf(10) for _ in range(3)]
    assert [d.digit for d in got if d is not None] == ["1", "2", "#"]
    assert digits == ["1", "2", "#"]
    assert await channel.wait_destroyed(30)
    assert channel.hangup_cause is not None and channel.hangup_cause.name == "USER_BUSY"


async def test_private_message_execute_in_park(switch: Switch) -> None:
    events: list[Event] = []
    switch.subscribe_events(events.append)
    await api(switch, "originate", f"{{origination_uuid={UUID}}}null/1 &park")
    channel = switch.sessions.find_session(UUID)
    assert channel is not None
    assert await channel.wait_for(lambda ch: "CF_PARK" in ch.flags, 10)
    msg = Event([("call-command", "execute"), ("execute-app-name", "set"), ("execute-app-arg", "k=${uuid}"), ("Event-UUID", "b0b0")])
    assert channel.queue_private_message(msg)
    assert await channel.wait_for(lambda ch: ch.get_variable("k") == UUID, 10)
    done = [e for e in events if e.get("Event-Name") == "CHANNEL_EXECUTE_COMPLETE" and e.get("Application") == "set"]
    assert done and done[0].get("Application-UUID") == "b0b0" and done[0].get("Application-Data") == f"k={UUID}"
    assert channel.queue_private_message(Event([("call-command", "hangup"), ("hangup-cause", "CALL_REJECTED")]))
    assert await channel.wait_destroyed(10)
    assert channel.hangup_cause is not None and channel.hangup_cause.name == "CALL_REJECTED"
    assert channel.running_state == ChannelState.CS_DESTROY


async def test_uuid_break_interrupts_sleep(switch: Switch) -> None:
    await api(switch, "originate", f"{{origination_uuid={UUID}}}null/1 &sleep(100000)")
    channel = switch.sessions.find_session(UUID)
    assert channel is not None
    assert await channel.wait_for(lambda ch: ch.current_application == "sleep", 10)
    assert await api(switch, "uuid_break", UUID) == "+OK\n"
    # sleep returns early; the plan then ends and the channel hangs up NORMAL_CLEARING.
    assert await channel.wait_destroyed(10)
    assert channel.hangup_cause is not None and channel.hangup_cause.name == "NORMAL_CLEARING"
