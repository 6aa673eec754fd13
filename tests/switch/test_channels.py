"""Channels through the API: uuid_* commands, variables, DTMF from sim/, break, park."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from eslkit.protocol.event import Event
from eslkit.protocol.names import ChannelState
from eslkit.switch.channel import Channel
from eslkit.switch.core import Switch
from tests.switch_support import api, running_switch

UUID = "c0ffee00-0000-4000-8000-0000000000bb"


@pytest.fixture
async def switch() -> AsyncIterator[Switch]:
    async with running_switch(20.0) as sw:
        yield sw


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


def _executions(switch: Switch, uuid: str) -> list[str]:
    """A live list of "EXECUTE app" / "COMPLETE app" entries for one channel."""
    seen: list[str] = []

    def on_event(event: Event) -> None:
        if event.get("Unique-ID") != uuid:
            return
        name = event.get("Event-Name")
        if name == "CHANNEL_EXECUTE":
            seen.append(f"EXECUTE {event.get('Application')}")
        elif name == "CHANNEL_EXECUTE_COMPLETE":
            seen.append(f"COMPLETE {event.get('Application')}")
        elif name == "PRIVATE_COMMAND":
            seen.append(f"PRIVATE_COMMAND {event.get('execute-app-arg')}")

    switch.subscribe_events(on_event)
    return seen


def _execute(app: str, arg: str, *extra: tuple[str, str]) -> Event:
    return Event([("call-command", "execute"), ("execute-app-name", app), ("execute-app-arg", arg), *extra])


async def _answered_park(switch: Switch) -> Channel:
    assert await api(switch, "originate", f"{{origination_uuid={UUID}}}loopback/1000/default &park") == f"+OK {UUID}\n"
    channel = switch.sessions.find_session(UUID)
    assert channel is not None
    assert await channel.wait_for(lambda ch: "CF_PARK" in ch.flags, 10)
    return channel


async def test_uuid_break_before_a_wait_is_kept_until_checked(switch: Switch) -> None:
    channel = await _answered_park(switch)
    runner = switch.sessions.runner
    # Nothing waits on the break (the channel is parked): it stays pending, like CF_BREAK.
    assert await api(switch, "uuid_break", UUID) == "+OK\n"
    assert await asyncio.wait_for(runner.sleep(channel, 600, False), 10) is False
    # Checked once: the next wait runs its course.
    assert await asyncio.wait_for(runner.sleep(channel, 0.01, False), 10) is True
    # Starting an application clears a pending break (switch_core_session_exec).
    channel.interrupt()
    channel.clear_break()
    assert await asyncio.wait_for(runner.sleep(channel, 0.01, True), 10) is True
    assert await api(switch, "uuid_kill", UUID) == "+OK\n"
    assert await channel.wait_destroyed(10)


@pytest.mark.parametrize("locked", [True, False])
async def test_event_lock_holds_queued_messages_until_the_command_is_done(switch: Switch, locked: bool) -> None:
    channel = await _answered_park(switch)
    seen = _executions(switch, UUID)
    lock = [("event-lock", "true")] if locked else []
    # Both arrive in the same frame: the sleep handles private messages while it runs
    # unless the first message holds the queue with event-lock.
    assert channel.queue_private_message(_execute("sleep", "200", *lock))
    assert channel.queue_private_message(_execute("set", "lk=1"))
    assert await channel.wait_for(lambda ch: len([s for s in seen if s.startswith("PRIVATE")]) == 2, 10)
    if locked:
        assert seen == [
            "EXECUTE sleep", "COMPLETE sleep", "PRIVATE_COMMAND 200",
            "EXECUTE set", "COMPLETE set", "PRIVATE_COMMAND lk=1",
        ]  # fmt: skip
    else:
        assert seen == [
            "EXECUTE sleep", "EXECUTE set", "COMPLETE set", "PRIVATE_COMMAND lk=1",
            "COMPLETE sleep", "PRIVATE_COMMAND 200",
        ]  # fmt: skip
    assert "CF_EVENT_LOCK" not in channel.flags
    assert await api(switch, "uuid_kill", UUID) == "+OK\n"
    assert await channel.wait_destroyed(10)


async def test_unanswered_park_parses_one_message_per_frame_silently(switch: Switch) -> None:
    """switch_ivr_park without media: after its 20 ms yield it parses one private message
    directly (no PRIVATE_COMMAND, Finding 1); switch_ivr_parse_all_events then takes the
    rest, each with its PRIVATE_COMMAND."""
    originate = asyncio.ensure_future(switch.execute_api("originate", "loopback/1001/default &park"))
    try:
        assert await asyncio.wait_for(_wait_named(switch, "loopback/1001-b"), 10)
        b_leg = next(ch for ch in switch.sessions.channels.values() if ch.name == "loopback/1001-b")
        assert await b_leg.wait_for(lambda ch: "CF_PARK" in ch.flags, 10)
        assert not b_leg.answered
        seen = _executions(switch, b_leg.uuid)
        assert b_leg.queue_private_message(_execute("set", "one=1"))
        assert b_leg.queue_private_message(_execute("set", "two=2"))
        assert await b_leg.wait_for(lambda ch: ch.get_variable("two") == "2", 10)
        assert seen == [
            "EXECUTE set", "COMPLETE set",
            "EXECUTE set", "COMPLETE set", "PRIVATE_COMMAND two=2",
        ]  # fmt: skip
        b_leg.hangup()
        assert await b_leg.wait_destroyed(10)
    finally:
        await asyncio.wait_for(originate, 10)


async def _wait_named(switch: Switch, name: str) -> bool:
    while not any(ch.name == name for ch in switch.sessions.channels.values()):
        await asyncio.sleep(0.005)
    return True


async def test_cs_reset_resets_call_uuid_and_still_parses_messages(switch: Switch) -> None:
    channel = await _answered_park(switch)
    seen = _executions(switch, UUID)
    channel.set_variable("call_uuid", "someone-else")
    channel.set_variable("after", "x")
    channel.set_state(ChannelState.CS_RESET)
    assert await channel.wait_for_state(ChannelState.CS_RESET, 10)
    # switch_core_standard_on_reset: call_uuid is set again, so it moves to the end.
    assert channel.get_variable("call_uuid") == UUID
    assert list(channel.variables)[-1] == "call_uuid"
    # The sleeping session thread still runs switch_ivr_parse_all_events when woken.
    assert channel.queue_private_message(_execute("set", "in_reset=1"))
    assert await channel.wait_for(lambda ch: ch.get_variable("in_reset") == "1", 10)
    assert await channel.wait_for(lambda ch: "PRIVATE_COMMAND in_reset=1" in seen, 10)
    assert channel.running_state == ChannelState.CS_RESET
    assert await api(switch, "uuid_kill", UUID) == "+OK\n"
    assert await channel.wait_destroyed(10)


async def test_finished_calls_leave_nothing_behind(switch: Switch) -> None:
    for _ in range(200):
        assert (await api(switch, "originate", "null/1234 &hangup()")).startswith("+OK ")
    manager = switch.sessions
    for _ in range(100):
        if not manager.channels:
            break
        await asyncio.sleep(0.01)
    assert manager.channels == {}
    assert manager._endpoints == {}
    assert manager._tasks == {}
    assert len(manager._created_times) <= 200


NOBODY = "00000000-0000-0000-0000-000000000000"


@pytest.mark.parametrize(
    ("command", "argument", "output"),
    [
        ("uuid_kill", "", "-USAGE: <uuid> [cause]\n"),
        ("uuid_kill", NOBODY, "-ERR No such channel!\n"),
        ("uuid_dump", "", "-USAGE: <uuid> [format]\n"),
        ("uuid_dump", f"{NOBODY} json", "-ERR No such channel!\n"),
        ("uuid_break", "", "-USAGE: <uuid> [all]\n"),
        ("uuid_break", f"{NOBODY} all", "-ERR No such channel!\n"),
        ("uuid_setvar", NOBODY, "-USAGE: <uuid> <var> [value]\n"),
        ("uuid_setvar", f"{NOBODY} x 1", "-ERR No such channel!\n"),
        ("uuid_transfer", NOBODY, "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"),
        ("uuid_transfer", f"{NOBODY} 1000", "-ERR No such channel!\n"),
        ("uuid_getvar", NOBODY, "-USAGE: <uuid> <var>\n"),
        ("uuid_getvar", f"{NOBODY} x", "-ERR No such channel!\n"),
    ],
)
async def test_channel_command_errors(
    switch: Switch, command: str, argument: str, output: str
) -> None:
    assert await api(switch, command, argument) == output
