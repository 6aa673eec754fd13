"""The inbound liveness watchdog (``connect(..., liveness_timeout=...)``).

Against a raw peer that greets, accepts the password and then goes silent (socket left
open), and against a real eslkit switch sending HEARTBEAT often. Only the waits are bounded
(generously); how fast a drop happens is not asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import pytest

import eslkit
import eslkit.sync
from eslkit.protocol import GREETING, command_reply
from eslkit.switch.core import SwitchConfig
from tests.client_support import Peer
from tests.server_support import start_test_server

WAIT = 20.0
LIMIT = 0.5


class SilentPeer:
    """A raw ESL server on 127.0.0.1: greeting (after ``greeting_delay`` s), ``+OK
    accepted`` for the first packet, then nothing at all; it keeps reading and keeps the
    socket open until the test ends."""

    def __init__(self, greeting_delay: float = 0.0) -> None:
        self.greeting_delay = greeting_delay
        self.connections = 0
        #: Packets received after auth (never answered).
        self.unanswered: list[str] = []
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = asyncio.Event()

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        peer = Peer(reader, writer)
        with contextlib.suppress(ConnectionError, EOFError):
            if self.greeting_delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), self.greeting_delay)
            if self._closing.is_set():
                return
            writer.write(GREETING)
            auth = await peer.read_command(timeout=WAIT)
            assert auth.line.startswith("auth "), auth.line
            writer.write(command_reply("+OK accepted"))
            while True:
                self.unanswered.append((await peer.read_command(timeout=3600)).line)

    async def __aenter__(self) -> SilentPeer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        self._closing.set()
        for writer in self._writers:
            writer.close()  # the reads end with EOF
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=WAIT)


async def wait_until(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    """Poll ``condition`` until it holds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def test_a_silent_peer_is_dropped_and_pending_calls_fail() -> None:
    async with SilentPeer() as peer:
        conn = await eslkit.connect(port=peer.port, liveness_timeout=LIMIT)
        try:
            pending = asyncio.ensure_future(conn.api("status", timeout=60))
            with pytest.raises(eslkit.Disconnected) as info:
                await asyncio.wait_for(pending, WAIT)
            assert "nothing received" in str(info.value)
            await conn.wait_closed(WAIT)
            assert conn.closed and isinstance(conn.error, eslkit.Disconnected)
            assert [p.startswith("api status") for p in peer.unanswered] == [True]
            assert peer.connections == 1
            with pytest.raises(eslkit.Disconnected):
                await conn.api("status", timeout=5)
        finally:
            await conn.close(timeout=0.5)


async def test_no_drop_without_a_liveness_timeout() -> None:
    async with SilentPeer() as peer:
        conn = await eslkit.connect(port=peer.port)
        try:
            with pytest.raises(eslkit.Timeout):
                await conn.api("status", timeout=4 * LIMIT)
            assert conn.connected and not conn.closed
        finally:
            await conn.close(timeout=0.5)  # the peer never answers exit


@pytest.mark.parametrize("greeting_delay", [0.0, 0.3])
async def test_a_dropped_connection_reconnects_with_a_gap(greeting_delay: float) -> None:
    # With a greeting slower than the watchdog's tick, the watchdog must leave the new
    # socket's handshake alone (it once cut every reconnect attempt there).
    policy = eslkit.Reconnect(initial=0.05, maximum=0.2, jitter=0.0)
    async with SilentPeer(greeting_delay) as peer:
        conn = await eslkit.connect(port=peer.port, liveness_timeout=LIMIT, reconnect=policy)
        try:
            stream = conn.events()
            pending = asyncio.ensure_future(conn.api("status", timeout=60))
            with pytest.raises(eslkit.Disconnected):
                await asyncio.wait_for(pending, WAIT)
            await wait_until(lambda: conn.reconnects >= 1)
            gap = await stream.get(WAIT)
            assert eslkit.is_gap(gap) and "nothing received" in (gap.get("Gap-Reason") or "")
            assert peer.connections >= 2 and not conn.closed
        finally:
            await asyncio.wait_for(conn.close(timeout=0.5), WAIT)
        assert conn.closed


async def test_heartbeats_keep_a_subscribed_connection_alive() -> None:
    # HEARTBEAT every 0.1 s (1 switch second at time scale 10), liveness timeout 1.5 s.
    running = await start_test_server(switch=SwitchConfig(heartbeat_interval=1, time_scale=10))
    limit = 1.5
    try:
        async with eslkit.connect(port=running.port, liveness_timeout=limit) as alive:
            stream = alive.events()
            await alive.subscribe("HEARTBEAT")
            quiet = await eslkit.connect(port=running.port, liveness_timeout=limit)
            try:
                # Control: the same server, nothing subscribed, is dropped.
                await quiet.wait_closed(WAIT)
                assert isinstance(quiet.error, eslkit.Disconnected)
            finally:
                await quiet.close()
            await asyncio.sleep(3 * limit)
            assert alive.connected and not alive.closed
            assert (await alive.api("echo still here")).strip() == "still here"
            assert stream.received >= 3
            assert (await stream.get(5)).name == "HEARTBEAT"
    finally:
        await running.stop()


async def test_the_blocking_facade_passes_the_liveness_timeout() -> None:
    async with SilentPeer() as peer:
        conn = await asyncio.to_thread(eslkit.sync.connect, port=peer.port, liveness_timeout=LIMIT)
        try:
            with pytest.raises(eslkit.Disconnected, match="nothing received"):
                await asyncio.to_thread(conn.api, "status", timeout=60)
            assert conn.closed
        finally:
            await asyncio.to_thread(conn.close, 0.5)
