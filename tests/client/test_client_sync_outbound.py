"""The blocking outbound server (``eslkit.sync.serve_outbound``) against a real eslkit switch.

The switch (and its event socket server) runs on the test's event loop; the blocking server
runs on the facade's own loop thread and each handler in its own thread. Every blocking
call made from the test goes through ``asyncio.to_thread`` so the test loop keeps serving
the switch meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import eslkit
import eslkit.sync
from eslkit.client import EventStream, InboundConnection
from eslkit.sync import SyncOutboundServer, SyncOutboundSession
from tests.server_support import EslServer

WAIT = 20.0


@contextlib.asynccontextmanager
async def sync_outbound(
    handler: Callable[[SyncOutboundSession], None], **options: Any
) -> AsyncIterator[SyncOutboundServer]:
    """A blocking outbound server on a free port, closed at the end (bounded)."""
    server = await asyncio.to_thread(eslkit.sync.serve_outbound, handler, port=0, **options)
    try:
        yield server
    finally:
        await asyncio.wait_for(asyncio.to_thread(server.close, 5.0), 30)


@contextlib.asynccontextmanager
async def control(esl: EslServer) -> AsyncIterator[tuple[InboundConnection, EventStream]]:
    """An inbound connection watching the channel events, to place calls and observe them."""
    async with eslkit.connect(port=esl.port) as conn:
        stream = conn.events()
        await conn.subscribe(
            "CHANNEL_EXECUTE", "CHANNEL_ANSWER", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"
        )
        yield conn, stream


async def place_call(conn: InboundConnection, server: SyncOutboundServer) -> None:
    """Originate a loopback call whose b-leg runs ``socket 127.0.0.1:<port> async full``
    (the default dialplan's ``sock_<port>``); returns without waiting for the answer."""
    reply = await conn.command(f"bgapi originate loopback/sock_{server.port}/default &park")
    assert reply.startswith("+OK Job-UUID"), reply


async def wait_event(
    stream: EventStream, predicate: Callable[[eslkit.Event], bool], timeout: float = WAIT
) -> eslkit.Event:
    """The next event of ``stream`` that matches."""
    async with asyncio.timeout(timeout):
        while True:
            event = await stream.get(timeout)
            if predicate(event):
                return event


async def wait_until(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    """Poll ``condition`` until it holds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def is_app(event: eslkit.Event, app: str, uuid: str | None) -> bool:
    """``CHANNEL_EXECUTE`` of ``app`` on channel ``uuid``."""
    return (
        uuid is not None
        and event.name == "CHANNEL_EXECUTE"
        and event.get("Application") == app
        and event.uuid == uuid
    )


async def test_blocking_handler_answers_plays_and_hangs_up(esl_server: EslServer) -> None:
    seen: dict[str, Any] = {}
    done = threading.Event()

    def handler(call: SyncOutboundSession) -> None:
        seen["uuid"] = call.uuid
        seen["control"] = call.control
        seen["thread"] = threading.current_thread().name
        stream = call.events()
        seen["answer"] = call.answer(timeout=10)
        call.set("eslkit_sync", "yes", timeout=10)
        seen["var"] = call.getvar("eslkit_sync")
        seen["playback"] = call.playback("tone_stream://%(100,0,800)", timeout=10)
        call.hangup("USER_BUSY")
        seen["hangup"] = call.wait_hangup(10)
        names: list[str | None] = []
        with contextlib.suppress(eslkit.Timeout, StopIteration):
            while "CHANNEL_HANGUP" not in names:
                names.append(stream.get(5).name)
        seen["names"] = names
        done.set()

    async with sync_outbound(handler) as server, control(esl_server) as (conn, stream):
        await place_call(conn, server)
        assert await asyncio.to_thread(done.wait, WAIT)
        uuid = seen["uuid"]
        hangup = await wait_event(
            stream, lambda e: e.name == "CHANNEL_HANGUP_COMPLETE" and e.uuid == uuid
        )
        assert hangup.get("Hangup-Cause") == "USER_BUSY"
        await wait_until(lambda: server.active == 0)
        assert server.handled == 1 and server.failed == 0
    assert seen["control"] == "full" and seen["thread"].startswith("eslkit-outbound-")
    assert isinstance(seen["answer"], eslkit.Event)
    assert seen["answer"].get("Application") == "answer"
    assert seen["var"] == "yes"
    assert seen["playback"].get("Application") == "playback"
    assert seen["hangup"] is not None and seen["hangup"].uuid == uuid
    names = seen["names"]
    assert "CHANNEL_ANSWER" in names and "CHANNEL_EXECUTE_COMPLETE" in names
    assert names[-1] == "CHANNEL_HANGUP"


async def test_a_failing_handler_does_not_stop_the_next_call(
    esl_server: EslServer, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []
    answered = threading.Event()

    def handler(call: SyncOutboundSession) -> None:
        calls.append(call.uuid)
        if len(calls) == 1:
            raise RuntimeError("handler bug")
        call.answer(timeout=10)
        answered.set()
        call.hangup()

    caplog.set_level(logging.ERROR, logger="eslkit.client")
    async with sync_outbound(handler) as server, control(esl_server) as (conn, stream):
        await place_call(conn, server)
        await wait_until(lambda: server.failed == 1 and server.active == 0)
        # The failed call's socket was closed: the switch ends that channel.
        first = calls[0]
        await wait_event(stream, lambda e: e.name == "CHANNEL_HANGUP_COMPLETE" and e.uuid == first)
        await place_call(conn, server)
        assert await asyncio.to_thread(answered.wait, WAIT)
        await wait_until(lambda: server.active == 0)
        assert server.handled == 2 and server.failed == 1
    assert len(calls) == 2 and calls[0] != calls[1]
    failures = [r for r in caplog.records if "outbound handler failed" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is not None
    assert isinstance(failures[0].exc_info[1], RuntimeError)


async def test_hangup_during_execute_fails_the_blocking_wait(esl_server: EslServer) -> None:
    info: dict[str, Any] = {}
    finished = threading.Event()

    def handler(call: SyncOutboundSession) -> None:
        info["uuid"] = call.uuid
        call.answer(timeout=10)
        try:
            call.execute("park", timeout=60)
        except Exception as exc:
            info["error"] = exc
        finished.set()

    async with sync_outbound(handler) as server, control(esl_server) as (conn, stream):
        await place_call(conn, server)
        await wait_event(stream, lambda e: is_app(e, "park", info.get("uuid")))
        await conn.api(f"uuid_kill {info['uuid']} CALL_REJECTED")
        assert await asyncio.to_thread(finished.wait, WAIT)
        await wait_until(lambda: server.active == 0)
    error = info["error"]
    assert isinstance(error, eslkit.ChannelHangup)
    assert error.uuid == info["uuid"] and error.cause == "CALL_REJECTED"


async def test_close_ends_a_live_session_and_its_thread(esl_server: EslServer) -> None:
    info: dict[str, Any] = {}

    def handler(call: SyncOutboundSession) -> None:
        info["uuid"] = call.uuid
        info["thread"] = threading.current_thread()
        call.answer(timeout=10)
        try:
            call.execute("park", timeout=60)
        except Exception as exc:
            info["error"] = exc
        try:
            call.api("status")
        except Exception as exc:
            info["after"] = exc

    async with control(esl_server) as (conn, stream):
        server = await asyncio.to_thread(eslkit.sync.serve_outbound, handler, port=0)
        try:
            await place_call(conn, server)
            await wait_event(stream, lambda e: is_app(e, "park", info.get("uuid")))
            assert server.active == 1
        finally:
            # Bounded by close's own timeout (5 s) plus its margin; generous here.
            await asyncio.wait_for(asyncio.to_thread(server.close, 5.0), 30)
        thread = info["thread"]
        assert not thread.is_alive()
        assert server.active == 0
        assert isinstance(info["error"], eslkit.Disconnected)
        assert isinstance(info["after"], eslkit.Disconnected)
        # Nothing listens any more: the next call cannot reach a handler.
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", server.port)
        await asyncio.wait_for(asyncio.to_thread(server.serve_forever), 5)


async def test_calls_beyond_max_sessions_are_refused(esl_server: EslServer) -> None:
    uuids: list[str] = []
    release = threading.Event()

    def handler(call: SyncOutboundSession) -> None:
        uuids.append(call.uuid)
        call.answer(timeout=10)
        release.wait(WAIT)

    async with sync_outbound(handler, max_sessions=1) as server, control(esl_server) as (conn, _):
        await place_call(conn, server)
        await wait_until(lambda: len(uuids) == 1)
        await place_call(conn, server)
        await wait_until(lambda: server.refused == 1)
        assert server.handled == 1 and len(uuids) == 1
        release.set()
        await wait_until(lambda: server.active == 0)
        # A slot is free again: the next call is served.
        await place_call(conn, server)
        await wait_until(lambda: len(uuids) == 2)
        assert server.refused == 1
        release.set()


def test_serve_outbound_validates_max_sessions() -> None:
    with pytest.raises(ValueError):
        eslkit.sync.serve_outbound(lambda call: None, port=0, max_sessions=0)
