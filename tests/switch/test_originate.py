"""originate through the switch's API: results, endpoints, dial-string forms, timeouts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from eslkit.protocol.event import Event
from eslkit.switch.core import Switch
from tests.switch_support import api, running_switch

UUID = "c0ffee00-0000-4000-8000-0000000000aa"


@pytest.fixture
async def switch() -> AsyncIterator[Switch]:
    async with running_switch(20.0) as sw:
        yield sw


async def test_null_originate_app_runs_and_hangs_up(switch: Switch) -> None:
    names: list[str] = []
    switch.subscribe_events(lambda e: names.append(e.get("Event-Name") or ""))
    out = await api(switch, "originate", f"{{origination_uuid={UUID}}}null/1234 &hangup()")
    assert out == f"+OK {UUID}\n"
    assert await _drained(switch)
    assert switch.sessions.find_session(UUID) is None
    for name in ("CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_EXECUTE", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY"):
        assert name in names


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("error/USER_BUSY", "-ERR USER_BUSY\n"),
        ("user/1000", "-ERR SUBSCRIBER_ABSENT\n"),
        ("loopback/9199/default", "-ERR USER_BUSY\n"),
        ("nosuch/1", "-ERR CHAN_NOT_IMPLEMENTED\n"),
        ("{sim_reject=CALL_REJECTED}sim/agent", "-ERR CALL_REJECTED\n"),
        ("sim/ring:1;reject:DECLINE", "-ERR DECLINE\n"),
    ],
)
async def test_failures(switch: Switch, url: str, expected: str) -> None:
    assert await api(switch, "originate", f"{url} &park") == expected


async def test_usage(switch: Switch) -> None:
    assert (await api(switch, "originate")).startswith("-USAGE: <call url> <exten>")


async def test_timeout_is_no_answer(switch: Switch) -> None:
    out = await api(switch, "originate", "{originate_timeout=2}loopback/1001/default &park")
    assert out == "-ERR NO_ANSWER\n"
    assert switch.session_stats().count == 0 or await _drained(switch)


async def _drained(sw: Switch) -> bool:
    for _ in range(200):
        if sw.session_stats().count == 0:
            return True
        await asyncio.sleep(0.01)
    return False


async def test_sequential_then_simultaneous(switch: Switch) -> None:
    out = await api(switch, "originate", "error/USER_BUSY|null/a,sim/ring:5;answer &park")
    assert out.startswith("+OK ")
    uuid = out[4:].strip()
    channel = switch.sessions.find_session(uuid)
    assert channel is not None and channel.name == "null/a"
    assert await _drained_except(switch, uuid)
    assert await api(switch, "uuid_kill", uuid) == "+OK\n"
    assert await channel.wait_destroyed(30)


async def _drained_except(sw: Switch, uuid: str) -> bool:
    for _ in range(300):
        if list(sw.sessions.channels) == [uuid]:
            return True
        await asyncio.sleep(0.01)
    return False


async def test_exten_form_runs_dialplan(switch: Switch) -> None:
    events: list[Event] = []
    switch.subscribe_events(events.append)
    out = await api(switch, "originate", f"{{origination_uuid={UUID}}}null/x 9197 XML default")
    assert out == f"+OK {UUID}\n"
    channel = switch.sessions.find_session(UUID)
    assert channel is not None
    assert await channel.wait_destroyed(30)
    apps = [e.get("Application") for e in events if e.get("Event-Name") == "CHANNEL_EXECUTE" and e.get("Unique-ID") == UUID]
    assert apps == ["answer", "sleep", "hangup"]
