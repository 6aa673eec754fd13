"""The reader's fast path for plain events (sync handlers called inline, cached by the
``Event-Name`` line) and the connection's own socket protocol (no StreamReader/Writer).

Events are written in one write, so that the client reads several per ``data_received``:
the per-read state of the fast path (the cached route) is what these tests exercise.
"""

from __future__ import annotations

import asyncio

import eslkit
from eslkit.client import OutboundSession
from eslkit.protocol import event_frame_for
from tests.client_support import (
    FakeESL,
    Peer,
    dial,
    handshake,
    make_event,
    run,
    switch_side_connect,
)


def _frames(*events: eslkit.Event) -> bytes:
    return b"".join(event_frame_for(event, "plain") for event in events)


def _burst(data: bytes) -> FakeESL:
    """A fake server that, once the client sent ``event ...`` and then ``api go``, writes
    ``data`` and the api response in one piece."""

    async def script(peer: Peer) -> None:
        await handshake(peer)
        await peer.read_command()
        peer.reply("+OK event listener enabled plain")
        await peer.read_command()  # api go
        peer.write(data + b"Content-Type: api/response\nContent-Length: 4\n\nsent")
        await peer.expect_eof()

    return FakeESL(script)


@run()
async def test_handlers_added_and_removed_by_a_handler_apply_from_the_next_event() -> None:
    data = _frames(*(make_event("CHANNEL_ANSWER", Unique_ID="u", Seq=str(i)) for i in range(6)))
    first: list[str] = []
    second: list[str] = []

    def later(event: eslkit.Event) -> None:
        second.append(event["Seq"])

    def early(event: eslkit.Event) -> None:
        seq = event["Seq"]
        first.append(seq)
        if seq == "1":
            conn.on("CHANNEL_ANSWER", later)
        elif seq == "3":
            conn.off("CHANNEL_ANSWER", early)

    async with _burst(data) as fake, eslkit.connect(port=fake.port) as conn:
        conn.on("CHANNEL_ANSWER", early)
        await conn.subscribe("CHANNEL_ANSWER")
        assert await conn.api("go") == "sent"
    # The handlers of an event are fixed when it arrives: both see event 3.
    assert first == ["0", "1", "2", "3"]
    assert second == ["2", "3", "4", "5"]


@run()
async def test_custom_events_route_by_subclass_and_star_sees_everything() -> None:
    data = _frames(
        make_event("CUSTOM", Event_Subclass="a::x", Seq="0"),
        make_event("CUSTOM", Event_Subclass="b::y", Seq="1"),
        make_event("CHANNEL_ANSWER", Seq="2"),
        make_event("CUSTOM", Event_Subclass="a::x", Seq="3"),
        make_event("CHANNEL_ANSWER", Seq="4"),
    )
    seen: list[str] = []

    async with _burst(data) as fake, eslkit.connect(port=fake.port) as conn:
        conn.on("a::x", lambda event: seen.append("a" + event["Seq"]))
        conn.on("CUSTOM b::y", lambda event: seen.append("b" + event["Seq"]))
        conn.on("CHANNEL_ANSWER", lambda event: seen.append("n" + event["Seq"]))
        conn.on("*", lambda event: seen.append("*" + event["Seq"]))
        await conn.subscribe("ALL")
        assert await conn.api("go") == "sent"
    assert seen == ["a0", "*0", "b1", "*1", "n2", "*2", "a3", "*3", "n4", "*4"]


@run()
async def test_inline_handler_waits_behind_queued_async_work_of_its_channel() -> None:
    data = _frames(
        make_event("CHANNEL_ANSWER", Unique_ID="u-1", Seq="0"),
        make_event("DTMF", Unique_ID="u-1", Seq="1"),
        make_event("DTMF", Unique_ID="u-2", Seq="2"),
        make_event("DTMF", Unique_ID="u-1", Seq="3"),
        make_event("DTMF", Unique_ID="u-2", Seq="4"),
    )
    log: list[tuple[str, str]] = []
    done = asyncio.Event()

    async def slow(event: eslkit.Event) -> None:
        await asyncio.sleep(0.05)
        log.append((event["Unique-ID"], event["Seq"]))

    def dtmf(event: eslkit.Event) -> None:
        log.append((event["Unique-ID"], event["Seq"]))
        if len(log) == 5:
            done.set()

    async with _burst(data) as fake, eslkit.connect(port=fake.port) as conn:
        conn.on("CHANNEL_ANSWER", slow)
        conn.on("DTMF", dtmf)
        await conn.subscribe("CHANNEL_ANSWER DTMF")
        assert await conn.api("go") == "sent"
        await asyncio.wait_for(done.wait(), 5)
    assert [seq for uuid, seq in log if uuid == "u-1"] == ["0", "1", "3"]
    assert [seq for uuid, seq in log if uuid == "u-2"] == ["2", "4"]


@run()
async def test_plain_function_returning_a_coroutine_moves_to_the_lanes_in_order() -> None:
    data = _frames(*(make_event("DTMF", Unique_ID="u-1", Seq=str(i)) for i in range(5)))
    seen: list[str] = []
    done = asyncio.Event()

    async def record(seq: str) -> None:
        await asyncio.sleep(0.02 if seq == "0" else 0)
        seen.append(seq)
        if len(seen) == 5:
            done.set()

    async with _burst(data) as fake, eslkit.connect(port=fake.port) as conn:
        conn.on("DTMF", lambda event: record(event["Seq"]))
        await conn.subscribe("DTMF")
        assert await conn.api("go") == "sent"
        await asyncio.wait_for(done.wait(), 5)
        assert conn.dispatcher.inflight == 0
    assert seen == ["0", "1", "2", "3", "4"]


@run()
async def test_streams_and_handlers_see_every_event_and_disconnect_overflow_stops_both() -> None:
    data = _frames(*(make_event("DTMF", Unique_ID="u", Seq=str(i)) for i in range(10)))
    seen: list[str] = []

    async with _burst(data) as fake, eslkit.connect(port=fake.port) as conn:
        roomy = conn.events(maxsize=100)
        tight = conn.events(maxsize=4, overflow="disconnect")
        conn.on("DTMF", lambda event: seen.append(event["Seq"]))
        await conn.subscribe("DTMF")
        try:
            await conn.api("go", timeout=5)
        except eslkit.Disconnected:
            pass
        await conn.wait_closed(5)
    # The fifth event overflows ``tight``: the connection drops before handlers see it.
    assert seen == ["0", "1", "2", "3"]
    assert roomy.received == 5 and tight.dropped == 1
    assert isinstance(conn.error, eslkit.EventOverflow)


@run()
async def test_a_command_larger_than_the_send_buffer_waits_for_the_peer_to_read() -> None:
    body = "x" * (8 * 1024 * 1024)
    reading = asyncio.Event()

    async def script(peer: Peer) -> None:
        await handshake(peer)
        await reading.wait()  # the client's write backs up meanwhile
        command = await peer.read_command(timeout=20)
        peer.reply(f"+OK {len(command.body or b'')}")
        await peer.expect_eof()

    async with FakeESL(script) as fake, eslkit.connect(port=fake.port) as conn:
        call = asyncio.ensure_future(conn.command("sendevent CUSTOM", body=body, timeout=20))
        await asyncio.sleep(0.05)
        assert not call.done()
        reading.set()
        assert await call == f"+OK {len(body)}"


@run()
async def test_a_peer_that_vanishes_during_a_blocked_write_fails_the_call() -> None:
    body = "x" * (8 * 1024 * 1024)
    stop = asyncio.Event()

    async def script(peer: Peer) -> None:
        await handshake(peer)
        await stop.wait()
        peer.writer.transport.abort()

    async with FakeESL(script) as fake, eslkit.connect(port=fake.port) as conn:
        call = asyncio.ensure_future(conn.command("sendevent CUSTOM", body=body, timeout=20))
        await asyncio.sleep(0.05)
        stop.set()
        try:
            await call
        except eslkit.Disconnected:
            pass
        else:
            raise AssertionError("the call succeeded without a reply")
        await conn.wait_closed(5)
        assert not conn.connected


@run()
async def test_outbound_session_knows_its_peer_and_reads_events() -> None:
    uuid = "b1a75c17-0000-4000-8000-00000000f00d"
    seen: list[str] = []
    done = asyncio.Event()

    sessions: list[OutboundSession] = []
    ready = asyncio.Event()

    async def handler(session: OutboundSession) -> None:
        sessions.append(session)
        session.on("DTMF", lambda event: seen.append(event["Seq"]))
        ready.set()
        await session.wait_hangup(10)
        done.set()

    async with await eslkit.serve_outbound(handler, port=0, linger=False) as server:
        peer = await dial(server.port)
        await switch_side_connect(peer, uuid)
        assert (await peer.read_command()).line == "myevents"
        peer.reply("+OK Events Enabled")
        await asyncio.wait_for(ready.wait(), 10)
        peer.write(
            _frames(
                *(make_event("DTMF", Unique_ID=uuid, Seq=str(i)) for i in range(3)),
                make_event("CHANNEL_HANGUP", Unique_ID=uuid),
            )
        )
        await asyncio.wait_for(done.wait(), 10)
        local = peer.writer.get_extra_info("sockname")
        assert [s.peer for s in sessions] == [(local[0], local[1])]
        peer.close()
    assert seen == ["0", "1", "2"]
