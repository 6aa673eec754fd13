"""A client connection's socket: the asyncio protocol that feeds it and the writer it sends
with (no ``StreamReader`` in between: that would copy every byte twice and wake a task per
read)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from eslkit.protocol.frames import FrameReader

if TYPE_CHECKING:
    from eslkit.client.core import ConnectionCore


class Receiver(asyncio.Protocol):
    """A connection's socket: its protocol (received bytes go to the connection's frame
    reader) and its writer (``write``, ``drain`` with the transport's flow control)."""

    __slots__ = (
        "_connection",
        "_drain_waiters",
        "_frames",
        "_loop",
        "_lost",
        "_on_made",
        "_paused",
        "transport",
    )

    transport: asyncio.Transport

    def __init__(
        self,
        connection: ConnectionCore,
        loop: asyncio.AbstractEventLoop,
        on_made: Callable[[], None] | None = None,
    ) -> None:
        self._connection = connection
        self._loop = loop
        self._on_made = on_made
        self._frames = FrameReader()
        self._paused = False
        self._lost = False
        self._drain_waiters: deque[asyncio.Future[None]] = deque()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """The socket is open: it becomes the connection's."""
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self.transport = cast(asyncio.Transport, transport)
        self._connection._attach(self)
        on_made = self._on_made
        if on_made is not None:
            self._on_made = None
            on_made()

    def data_received(self, data: bytes) -> None:
        """Frame and route ``data``."""
        connection = self._connection
        if connection._writer is self:
            connection.last_received = self._loop.time()
            connection._received(self, self._frames, data)

    def eof_received(self) -> bool:
        """The server closed its side: the connection ends."""
        connection = self._connection
        if connection._writer is self:
            connection._connection_lost(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        """The socket is gone: ``drain()`` fails from now on."""
        self._lost = True
        self._wake(exc or ConnectionResetError("connection lost"))
        connection = self._connection
        if connection._writer is self:
            connection._connection_lost(exc)

    def pause_writing(self) -> None:
        """The socket's send buffer is full: ``drain()`` waits."""
        self._paused = True

    def resume_writing(self) -> None:
        """The send buffer drained."""
        self._paused = False
        self._wake(None)

    def _wake(self, exc: Exception | None) -> None:
        waiters = self._drain_waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                if exc is None:
                    waiter.set_result(None)
                else:
                    waiter.set_exception(exc)

    def write(self, data: bytes) -> None:
        """Send ``data`` (buffered by the transport)."""
        self.transport.write(data)

    async def drain(self) -> None:
        """Wait until the send buffer is below its high-water mark; raises
        ``ConnectionResetError`` once the socket is gone."""
        if self._lost:
            raise ConnectionResetError("connection lost")
        if not self._paused:
            return
        waiter = self._loop.create_future()
        self._drain_waiters.append(waiter)
        await waiter
