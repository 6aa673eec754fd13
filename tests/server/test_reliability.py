"""Hostile input against ``eslkit serve`` (a real process): no input stalls the server for the
other connections, and none leaves a traceback in its log.

Each test measures the stall from a second connection: the bystander must be answered while
the attack is (or would be) still being processed; the old behaviour held the one event loop
for minutes or forever, so the generous bounds here never depend on the machine's speed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

import eslkit.server.listener as listener_module
from eslkit.bootstrap import Running
from eslkit.server.socket_server import ServerOptions
from tests.esl_wire import Closed, RawConnection, connect
from tests.server_support import free_port, start_test_server

BYSTANDER_TIMEOUT = 10.0


@dataclass
class Served:
    port: int
    proc: subprocess.Popen[str]

    async def connect(self, *, login: bool = True) -> RawConnection:
        return await connect("127.0.0.1", self.port, login=login)

    async def bystander_answers(self) -> None:
        """A fresh connection is greeted, logs in and gets an api reply."""
        conn = await asyncio.wait_for(self.connect(), BYSTANDER_TIMEOUT)
        try:
            assert await conn.api("echo alive", timeout=BYSTANDER_TIMEOUT) == "alive"
        finally:
            await conn.close()

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            raise AssertionError(f"server ignored SIGTERM: {err[-2000:]}") from None
        return err


def _serve(*args: str) -> Served:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "eslkit", "serve", "--listen-port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.communicate()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return Served(port, proc)
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("server did not start")


@pytest.fixture
def served() -> Iterator[Served]:
    server = _serve()
    yield server
    log = server.stop()
    assert "Traceback" not in log, log[-3000:]


@pytest.fixture
async def attacker(served: Served) -> AsyncIterator[RawConnection]:
    conn = await served.connect()
    yield conn
    await conn.close()


async def test_a_catastrophic_filter_regex_stalls_nobody(
    served: Served, attacker: RawConnection
) -> None:
    assert (await attacker.reply("event plain ALL")).startswith("+OK")
    reply = await attacker.reply("filter Core-UUID /^([0-9a-f-]+)+X/")
    assert reply.startswith("+OK")
    # Each event now runs the filter against a 36-character UUID: 2^36 backtracking steps
    # in plain ``re``. The server treats the match as over budget (no match) instead.
    for _ in range(3):
        await attacker.send("sendevent CUSTOM\nEvent-Subclass: reliab::probe\n\n")
    await served.bystander_answers()
    # The attacker's own connection goes on too.
    for _ in range(3):
        frame = await attacker.frame()
        while frame.content_type != "command/reply":
            frame = await attacker.frame()
        assert (frame.get("Reply-Text") or "").startswith("+OK")
    assert await attacker.api("echo still-here") == "still-here"


def _nested_expand(levels: int) -> str:
    text = "x"
    for _ in range(levels):
        text = "${expand(eval " + text + ")}"
    return text


async def test_nested_expansion_yields_to_other_connections(
    served: Served, attacker: RawConnection
) -> None:
    # Each level is an API call whose arguments are expanded again: cubic work, which held
    # the loop for the whole of it (tens of seconds at this size).
    await attacker.send("api eval " + _nested_expand(400) + "\n\n")
    bystander = await served.connect()
    answered_during_attack = 0
    try:
        reply_task = asyncio.ensure_future(attacker.frame(timeout=120))
        while not reply_task.done():
            assert await bystander.api("echo alive", timeout=BYSTANDER_TIMEOUT) == "alive"
            answered_during_attack += not reply_task.done()
        reply = reply_task.result()
        assert reply.content_type == "api/response"
    finally:
        await bystander.close()
    assert answered_during_attack > 0


async def test_a_header_block_of_short_lines_after_a_cr_stalls_nobody(
    served: Served, attacker: RawConnection
) -> None:
    # A CR in the first line and 1M short lines: split quadratically, it held the loop for
    # minutes (4 MB: 179 s). Authenticated, so the 64 KiB pre-auth cap does not apply.
    block = b"api echo big\r\n" + b"a:b\n" * (1 << 20) + b"\n"
    await attacker.send(block)
    await served.bystander_answers()
    assert await attacker.api("echo after", timeout=BYSTANDER_TIMEOUT) in ("big", "after")


async def test_an_unauthenticated_4mib_cr_packet_is_cut_off(served: Served) -> None:
    peer = await served.connect(login=False)
    assert (await peer.frame()).content_type == "auth/request"
    try:
        await peer.send(b"auth x\r\n" + b"a:b\n" * (1 << 20))
    except ConnectionError:
        pass  # closed while we were still sending: that is the point
    await served.bystander_answers()
    with pytest.raises((Closed, ConnectionError)):
        await peer.closed()
        raise Closed


# --- bounded peers (in-process server: its state can be inspected) -------------------------


@pytest.fixture
async def small_server() -> AsyncIterator[Running]:
    running = await start_test_server(
        server=ServerOptions(auth_timeout=1.0, max_connections=6, max_connections_per_address=4)
    )
    yield running
    await running.stop()


async def _bystander(running: Running) -> None:
    conn = await connect("127.0.0.1", running.port)
    try:
        assert await conn.api("echo alive") == "alive"
    finally:
        await conn.close()


async def test_an_unauthenticated_peer_may_buffer_only_64k(small_server: Running) -> None:
    peer = await RawConnection.open("127.0.0.1", small_server.port)
    assert (await peer.frame()).content_type == "auth/request"
    # A partial packet (no terminator) of 1 MiB: closed once it passes 64 KiB.
    with pytest.raises((Closed, ConnectionError)):
        for _ in range(16):
            await peer.send(b"x" * 65536)
        await peer.closed()
        raise Closed
    await _bystander(small_server)


async def test_an_unauthenticated_peer_lives_at_most_the_auth_timeout(
    small_server: Running,
) -> None:
    peer = await RawConnection.open("127.0.0.1", small_server.port)
    assert (await peer.frame()).content_type == "auth/request"
    # A first packet other than auth escapes FreeSWITCH's auth timeout; not here.
    assert await peer.reply("event plain ALL") == "-ERR command not found"
    frames = await peer.closed(timeout=10)
    assert frames and frames[-1].content_type == "text/disconnect-notice"
    assert small_server.server.open_connections == 0 or not any(
        not listener.authed for listener in small_server.server.listeners
    )


async def test_connection_caps_reject_rudely(small_server: Running) -> None:
    held = [await connect("127.0.0.1", small_server.port) for _ in range(4)]
    try:
        extra = await RawConnection.open("127.0.0.1", small_server.port)
        rejection = await extra.frame()
        assert rejection.content_type == "text/rude-rejection"
        assert rejection.body == b"Access Denied, go away.\n"
        await extra.closed()
        await extra.close()
        assert small_server.server.open_connections == 4
    finally:
        for conn in held:
            await conn.close()
    # Released on close: a new connection is welcome again.
    for _ in range(50):
        if small_server.server.open_connections == 0:
            break
        await asyncio.sleep(0.02)
    await _bystander(small_server)


async def test_a_peer_gone_during_a_blocking_api_stops_queueing_at_once(
    small_server: Running,
) -> None:
    peer = await connect("127.0.0.1", small_server.port)
    assert (await peer.reply("event plain ALL")).startswith("+OK")
    await peer.send("api msleep 3000\n\n")
    await asyncio.sleep(0.1)
    (listener,) = [item for item in small_server.server.listeners if item.events_enabled]
    peer.writer.transport.abort()
    for _ in range(100):
        if listener.gone:
            break
        await asyncio.sleep(0.01)
    assert listener.gone
    other = await connect("127.0.0.1", small_server.port)
    for _ in range(200):
        await other.send("sendevent CUSTOM\nEvent-Subclass: reliab::load\n\n")
    for _ in range(200):
        await other.frame()
    # msleep is still running for the gone peer (its listener is not torn down yet), and
    # nothing was queued for it meanwhile.
    assert listener in small_server.server.listeners
    assert len(listener.events) == 0
    await other.close()


async def test_the_close_timer_of_a_drained_socket_logs_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(listener_module, "CLOSE_GRACE", 0.5)
    running = await start_test_server()
    try:
        peer = await connect("127.0.0.1", running.port)
        # Replies pile up in the server's socket buffer while the peer does not read; the
        # close then happens with bytes still to send, and the peer drains them afterwards.
        payload = "y" * 60000
        for _ in range(150):
            peer.writer.write(f"api echo {payload}\n\n".encode())
        peer.writer.write(b"exit\n\n")
        await peer.writer.drain()
        await asyncio.sleep(0.3)
        with caplog.at_level(logging.ERROR):
            frames = await peer.closed(timeout=20)
            assert frames[-1].content_type == "text/disconnect-notice"
            await asyncio.sleep(1.0)  # past the close timer
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    finally:
        await running.stop()


async def test_a_large_header_block_is_split_while_others_are_answered(
    served: Served, attacker: RawConnection
) -> None:
    # An authenticated 8 MiB block of short lines after a CR: its header lines are split in
    # slices with the other connections answered in between (bench/limits.py measures the
    # longest wait: ~40 ms for 4 MiB, 350 ms before), and the attacker's next command still
    # runs after it.
    bystander = await served.connect()
    try:
        block = b"api echo big\r\n" + b"a:b\n" * (2 << 20) + b"\n"
        await attacker.send(block + b"api echo after\n\n")
        reply_task = asyncio.ensure_future(attacker.frame(timeout=120))
        answered_during = 0
        while not reply_task.done():
            assert await bystander.api("echo alive", timeout=BYSTANDER_TIMEOUT) == "alive"
            answered_during += not reply_task.done()
        first = reply_task.result()
        assert first.body == b"big"
        assert (await attacker.frame()).body == b"after"
    finally:
        await bystander.close()
    assert answered_during > 0
