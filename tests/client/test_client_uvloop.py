"""The client and the server on uvloop (the ``uvloop`` extra), whose transports are not
``asyncio.Transport`` subclasses."""

from __future__ import annotations

import asyncio

import uvloop

import eslkit
from tests import server_support


async def _session() -> tuple[str, str, str]:
    running = await server_support.start_test_server()
    try:
        async with eslkit.connect(port=running.port) as conn:
            echo = (await conn.api("echo hello")).strip()
            job = (await conn.bgapi("echo job")).strip()
            stream = conn.events()
            await conn.subscribe("CUSTOM eslkit::uv", format="json")
            await conn.command("sendevent CUSTOM", [("Event-Subclass", "eslkit::uv")])
            event = await stream.get(5)
            return echo, job, event.subclass or ""
    finally:
        await running.stop()


def test_client_and_server_run_on_uvloop() -> None:
    loop_types: list[str] = []

    async def main() -> tuple[str, str, str]:
        loop_types.append(type(asyncio.get_running_loop()).__module__)
        return await asyncio.wait_for(_session(), 60)

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        result = runner.run(main())
    assert loop_types == ["uvloop"]
    assert result == ("hello", "job", "eslkit::uv")
