"""Transfers and scheduled channel actions on the switch itself (no socket): what the recorded
transcripts of tests/conformance/recorded/transfer and .../sched pin down on the wire, checked
here where the wire cannot show it (the switch clock, the task table, profile history)."""

from __future__ import annotations

import asyncio

from eslkit.switch.core import Switch
from tests.switch_support import api, running_switch

UUID = "c0ffee00-0000-4000-8000-00000000a001"


async def _parked(switch: Switch, uuid: str = UUID) -> None:
    out = await api(switch, "originate", f"{{origination_uuid={uuid}}}loopback/1000/default &park")
    assert out == f"+OK {uuid}\n"


async def _wait_gone(switch: Switch, uuid: str, real_seconds: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + real_seconds
    while switch.sessions.find_session(uuid) is not None:
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def test_sched_hangup_runs_on_the_switch_clock() -> None:
    # 60 switch seconds at a scale of 200 is 0.3 s: only the switch clock gets it there.
    async with running_switch(200.0) as switch:
        await _parked(switch)
        assert await api(switch, "sched_hangup", f"+60 {UUID} USER_BUSY") == "+OK\n"
        channel = switch.sessions.find_session(UUID)
        assert channel is not None
        tasks = [t for t in switch.scheduler.tasks if t.group == UUID]
        assert [t.desc for t in tasks] == ["switch_ivr_schedule_hangup"]
        assert await _wait_gone(switch, UUID, 5.0)
        assert channel.hangup_cause is not None and channel.hangup_cause.name == "USER_BUSY"


async def test_destroyed_channel_takes_its_tasks_along() -> None:
    async with running_switch(1.0) as switch:
        await _parked(switch)
        await api(switch, "sched_transfer", f"4102444800 {UUID} 2002")
        await api(switch, "sched_api", f"+1000 {UUID} status")
        assert len([t for t in switch.scheduler.tasks if t.group == UUID]) == 2
        await api(switch, "uuid_kill", UUID)
        assert await _wait_gone(switch, UUID, 5.0)
        await asyncio.sleep(0.05)
        assert [t for t in switch.scheduler.tasks if t.group == UUID and not t.destroyed] == []


async def test_first_user_task_id_is_four_as_on_a_fresh_freeswitch() -> None:
    async with running_switch(1.0) as switch:
        assert await api(switch, "sched_api", "+100 grp status") == "+OK Added: 4\n"


async def test_transfer_builds_a_profile_chain() -> None:
    async with running_switch(1.0) as switch:
        await _parked(switch)
        channel = switch.sessions.find_session(UUID)
        assert channel is not None
        first = channel.caller_profile
        assert await api(switch, "uuid_transfer", f"{UUID} 4003 XML transfer") == "+OK\n"
        second = channel.caller_profile
        assert second is not first and second is not None and first is not None
        assert (second.profile_index, second.rdnis, second.destination_number) == ("2", "1000", "4003")
        assert first.times.transferred == second.times.profile_created
        assert second.transfer_source.endswith(":bl_xfer:4003/transfer/XML")
        assert channel.get_variable("max_forwards") == "70"
        # The inline dialplan is not reused by a transfer without one: XML, context kept.
        assert await api(switch, "uuid_transfer", f"{UUID} set:a=1,park inline") == "+OK\n"
        assert await api(switch, "uuid_transfer", f"{UUID} 4003") == "+OK\n"
        third = channel.caller_profile
        assert third is not None
        assert (third.profile_index, third.dialplan, third.context) == ("4", "XML", "transfer")
        history = channel.get_variable("transfer_history") or ""
        assert history.startswith("ARRAY::") and history.count("|:") == 2
        assert channel.get_variable("max_forwards") == "68"


async def test_max_forwards_exhausted_refuses_and_hangs_up() -> None:
    async with running_switch(1.0) as switch:
        await _parked(switch)
        await api(switch, "uuid_setvar", f"{UUID} max_forwards 1")
        assert await api(switch, "uuid_transfer", f"{UUID} 4003 XML transfer") == "-ERR\n"
        assert await _wait_gone(switch, UUID, 5.0)
