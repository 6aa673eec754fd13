"""1,000 concurrent calls through the event socket: every call is set up, seen, and torn down."""

from __future__ import annotations

import asyncio
import uuid as uuid_module

from eslkit.protocol.event import Event
from tests.esl_wire import connect
from tests.server_support import start_test_server

CALLS = 1000


async def test_thousand_concurrent_calls() -> None:
    running = await start_test_server()
    try:
        host, port = "127.0.0.1", running.port
        watcher = await connect(host, port)
        assert (
            await watcher.reply("event plain CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB")
            == "+OK event listener enabled plain"
        )
        control = await connect(host, port)
        uuids = [str(uuid_module.uuid4()) for _ in range(CALLS)]
        commands = "".join(
            f"bgapi originate {{origination_uuid={u}}}null/1234 &park()\nJob-UUID: job-{i}\n\n"
            for i, u in enumerate(uuids)
        )
        await control.send(commands)
        for i in range(CALLS):
            frame = await control.frame(timeout=60)
            assert frame.get("Job-UUID") == f"job-{i}"

        answered: set[str] = set()
        jobs: dict[str, str] = {}
        hung_up: dict[str, str] = {}

        def note(event: Event) -> None:
            name = event.get("Event-Name")
            if name == "CHANNEL_ANSWER":
                answered.add(event.get("Unique-ID") or "")
            elif name == "BACKGROUND_JOB":
                jobs[event.get("Job-UUID") or ""] = event.body or ""
            elif name == "CHANNEL_HANGUP_COMPLETE":
                hung_up[event.get("Unique-ID") or ""] = event.get("Hangup-Cause") or ""

        while len(answered) < CALLS or len(jobs) < CALLS:
            note(await watcher.event(timeout=60))
        assert answered == set(uuids)
        assert jobs == {f"job-{i}": f"+OK {u}\n" for i, u in enumerate(uuids)}
        assert await control.api("show channels count") == f"\n{CALLS} total.\n"

        assert await control.api("hupall NORMAL_CLEARING") == (
            "+OK hangup all channels with cause NORMAL_CLEARING\n"
        )
        while len(hung_up) < CALLS:
            note(await watcher.event(timeout=60))
        assert hung_up == dict.fromkeys(uuids, "NORMAL_CLEARING")
        for _ in range(100):
            if await control.api("show channels count") == "\n0 total.\n":
                break
            await asyncio.sleep(0.05)
        assert await control.api("show channels count") == "\n0 total.\n"
    finally:
        await running.stop()
