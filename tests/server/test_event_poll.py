"""The listener's poll (FreeSWITCH's read loop polls its socket for 20 ms when it has nothing
to do): what is queued during a poll goes out when it ends, input ends it first, and ``exit``
leaves what is pending unsent. Recorded from FreeSWITCH: tests/conformance/recorded/poll/.

Most tests use a long poll (500 ms) so that "within the poll" holds on a loaded machine; the
behaviour does not depend on the period.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator

import pytest

from eslkit.bootstrap import Running
from eslkit.cli.serve import add_parser
from eslkit.protocol import builders
from eslkit.protocol.frames import Frame
from eslkit.server.socket_server import DEFAULT_EVENT_POLL_MS, ServerOptions
from eslkit.testing import Switch
from tests.esl_wire import RawConnection, connect
from tests.server_support import start_test_server

LONG_POLL = 500.0
SUBCLASS = "poll::test"


def _event(n: int) -> str:
    """The sendevent command of CUSTOM poll::test number ``n`` (without its blank line)."""
    return f"sendevent CUSTOM\nEvent-Subclass: {SUBCLASS}\nPoll-Seq: {n}"


async def _fire(c: RawConnection, n: int) -> None:
    assert (await c.reply(_event(n))).startswith("+OK ")


def _seq(frame: Frame) -> str | None:
    assert frame.content_type == "text/event-plain", frame.content_type
    for line in (frame.body or b"").decode().splitlines():
        if line.startswith("Poll-Seq: "):
            return line[10:]
    return None


async def _server(poll_ms: float) -> Running:
    return await start_test_server(event_poll_ms=poll_ms)


@pytest.fixture
async def long_poll() -> AsyncIterator[Running]:
    running = await _server(LONG_POLL)
    try:
        yield running
    finally:
        await running.stop()


async def _watcher_and_firer(running: Running) -> tuple[RawConnection, RawConnection]:
    """``a`` subscribed to CUSTOM poll::test and just given event 1 (its poll begins right
    after), ``c`` logged in to fire more."""
    a = await connect("127.0.0.1", running.port)
    assert await a.reply(f"event plain CUSTOM {SUBCLASS}") == "+OK event listener enabled plain"
    c = await connect("127.0.0.1", running.port)
    await _fire(c, 1)
    assert _seq(await a.frame()) == "1"
    return a, c


async def test_a_command_during_the_poll_is_answered_before_the_queued_event(
    long_poll: Running,
) -> None:
    a, c = await _watcher_and_firer(long_poll)
    await _fire(c, 2)
    await a.send("api echo during\n\n")
    reply = await a.frame()
    assert reply.content_type == "api/response" and reply.body == b"during"
    assert _seq(await a.frame()) == "2"


async def test_pipelined_commands_all_answered_before_the_queued_event(long_poll: Running) -> None:
    a, c = await _watcher_and_firer(long_poll)
    await _fire(c, 2)
    await a.send("api echo one\n\napi echo two\n\n")
    assert (await a.frame()).body == b"one"
    assert (await a.frame()).body == b"two"
    assert _seq(await a.frame()) == "2"


async def test_an_incomplete_command_holds_the_queued_event(long_poll: Running) -> None:
    a, c = await _watcher_and_firer(long_poll)
    await _fire(c, 2)
    await a.send("api echo three\n\napi ec")
    assert (await a.frame()).body == b"three"
    # The poll has long ended (500 ms), yet half a command is buffered: nothing goes out.
    with pytest.raises(TimeoutError):
        await a.frame(timeout=0.8)
    await a.send("ho four\n\n")
    assert (await a.frame()).body == b"four"
    assert _seq(await a.frame()) == "2"


async def test_exit_leaves_the_queued_event_unsent(long_poll: Running) -> None:
    a, c = await _watcher_and_firer(long_poll)
    await _fire(c, 2)
    assert await a.reply("exit") == "+OK bye"
    frames = await a.closed()
    assert [f.content_type for f in frames] == ["text/disconnect-notice"]
    assert frames[0].body == builders.GOODBYE.encode()


async def test_an_idle_listener_gets_the_event_when_its_poll_ends(long_poll: Running) -> None:
    a, c = await _watcher_and_firer(long_poll)
    await _fire(c, 2)
    await _fire(c, 3)
    # Both arrive together at the end of the poll, in order, without a command from a.
    assert _seq(await a.frame()) == "2"
    assert _seq(await a.frame()) == "3"


async def test_log_lines_wait_for_the_poll_like_events(long_poll: Running) -> None:
    a = await connect("127.0.0.1", long_poll.port)
    assert (await a.reply("log 4")).startswith("+OK")
    c = await connect("127.0.0.1", long_poll.port)
    await c.api("log ERR poll-one")
    first = await a.frame()
    assert first.content_type == "log/data" and (first.body or b"").endswith(b" poll-one\n")
    await c.api("log ERR poll-two")
    await a.send("api echo during\n\n")
    assert (await a.frame()).body == b"during"
    second = await a.frame()
    assert second.content_type == "log/data" and (second.body or b"").endswith(b" poll-two\n")


async def test_the_default_poll_delivers_to_an_idle_listener() -> None:
    running = await _server(DEFAULT_EVENT_POLL_MS)
    try:
        a, c = await _watcher_and_firer(running)
        for n in range(2, 6):
            await _fire(c, n)
        assert [_seq(await a.frame()) for _ in range(4)] == ["2", "3", "4", "5"]
    finally:
        await running.stop()


async def test_no_poll_writes_at_once() -> None:
    running = await _server(0)
    try:
        a, c = await _watcher_and_firer(running)
        await _fire(c, 2)
        await a.send("api echo after\n\n")
        # Written as soon as it was queued: before a's command even arrived.
        assert _seq(await a.frame()) == "2"
        assert (await a.frame()).body == b"after"
    finally:
        await running.stop()


def test_the_poll_period_is_bounded() -> None:
    assert ServerOptions().event_poll_ms == DEFAULT_EVENT_POLL_MS == 20.0
    for bad in (-1.0, 1000.5, float("nan")):
        with pytest.raises(ValueError):
            ServerOptions(event_poll_ms=bad)


def test_serve_takes_event_poll_ms() -> None:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    assert parser.parse_args(["serve"]).event_poll_ms == 20.0
    assert parser.parse_args(["serve", "--event-poll-ms", "0"]).event_poll_ms == 0.0
    for bad in ("-5", "1e9", "soon"):
        with pytest.raises(SystemExit):
            parser.parse_args(["serve", "--event-poll-ms", bad])


async def test_testing_switch_passes_event_poll_ms() -> None:
    async with Switch(event_poll_ms=0) as sw:
        a = await connect(sw.host, sw.port)
        assert await a.reply(f"event plain CUSTOM {SUBCLASS}") == "+OK event listener enabled plain"
        c = await connect(sw.host, sw.port)
        await _fire(c, 7)
        await a.send("api echo after\n\n")
        assert _seq(await a.frame()) == "7"
        await asyncio.gather(a.close(), c.close())
