"""The client against eslkit's own server (a real switch + event socket on loopback)."""

from __future__ import annotations

import asyncio

import pytest

import eslkit
from eslkit.client import OutboundSession
from tests import server_support
from tests.client_support import run


@run(60)
async def test_api_bgapi_errors_and_events_against_the_server() -> None:
    running = await server_support.start_test_server()
    try:
        async with eslkit.connect(port=running.port) as conn:
            assert (await conn.api("echo hello")).strip() == "hello"
            assert "FreeSWITCH" in await conn.api("status")
            with pytest.raises(eslkit.CommandError, match="Command not found"):
                await conn.api("nosuchcommand")
            assert (await conn.bgapi("echo job")).strip() == "job"
            results = await asyncio.gather(*(conn.api(f"echo {i}") for i in range(500)))
            assert [r.strip() for r in results] == [str(i) for i in range(500)]
            stream = conn.events()
            await conn.subscribe("CUSTOM eslkit::test", format="json")
            await conn.command(
                "sendevent CUSTOM", [("Event-Subclass", "eslkit::test"), ("X-N", "1")]
            )
            event = await stream.get(5)
            assert event.subclass == "eslkit::test" and event.get("X-N") == "1"
        with pytest.raises(eslkit.AuthenticationError):
            await eslkit.connect(port=running.port, password="wrong")
    finally:
        await running.stop()


@run(60)
async def test_outbound_call_from_the_server_to_serve_outbound() -> None:
    running = await server_support.start_test_server()
    seen: dict[str, object] = {}

    async def handler(session: OutboundSession) -> None:
        seen["uuid"] = session.uuid
        seen["control"] = session.control
        seen["answer"] = await session.answer(timeout=10)
        await session.hangup()
        seen["hangup"] = await session.wait_hangup(10)

    try:
        async with await eslkit.serve_outbound(handler, port=0) as server:
            async with eslkit.connect(port=running.port) as conn:
                uuid = "c0ffee00-0000-4000-8000-0000000000aa"
                reply = await conn.bgapi(
                    f"originate {{origination_uuid={uuid}}}loopback/sock_{server.port}/default "
                    "&park",
                    timeout=20,
                )
                assert reply.startswith("+OK"), reply
                for _ in range(500):
                    if "hangup" in seen:
                        break
                    await asyncio.sleep(0.02)
        assert seen.get("control") == "full"
        assert isinstance(seen.get("answer"), eslkit.Event)
        assert server.handled == 1
    finally:
        await running.stop()


@run(60)
async def test_execute_and_hangup_on_a_simulated_channel() -> None:
    running = await server_support.start_test_server()
    uuid = "c0ffee00-0000-4000-8000-0000000000bb"
    try:
        async with eslkit.connect(port=running.port) as conn:
            reply = await conn.api(
                f"originate {{origination_uuid={uuid}}}loopback/1000/default &park"
            )
            assert reply.startswith("+OK"), reply
            event = await conn.execute("set", "eslkit_var=42", uuid=uuid, timeout=10)
            assert event is not None and event.get("Application") == "set"
            assert (await conn.api(f"uuid_getvar {uuid} eslkit_var")).strip() == "42"
            pending = asyncio.ensure_future(conn.execute("park", uuid=uuid, timeout=10))
            await asyncio.sleep(0.2)
            await conn.api(f"uuid_kill {uuid}")
            with pytest.raises(eslkit.ChannelHangup):
                await pending
    finally:
        await running.stop()
