"""The blocking facade: the inbound client and the outbound server for scripts and threads.

```python
with eslkit.sync.connect(password="ClueCon") as conn:
    print(conn.api("status"))
```

All connections share one background thread running an asyncio loop (the shared
:class:`~eslkit.client.portal.Portal`); each blocking method is generated from the asyncio
one (same signature), submits the coroutine there and waits for its result (never longer
than the call's own timeout plus a margin). Handlers registered with :meth:`SyncConnection.on` run in a
per-connection handler thread, not in the loop thread, so a handler may itself call
``conn.api(...)`` without deadlocking. A blocking call made from the loop thread raises
``RuntimeError`` instead of deadlocking.

The blocking outbound server is :mod:`eslkit.client.sync_outbound`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, Self, TypeVar

from eslkit.client.connection import Connection, Defaults
from eslkit.client.core import ConnectionCore
from eslkit.client.dispatch import EventStream, Overflow
from eslkit.client.errors import ESLError
from eslkit.client.inbound import InboundConnection, Reconnect
from eslkit.client.inbound import connect as async_connect
from eslkit.client.portal import MARGIN, Facade, Portal, blocking
from eslkit.client.subscription import Subscription
from eslkit.protocol.event import Event
from eslkit.protocol.frames import Frame

logger = logging.getLogger("eslkit.client")

T = TypeVar("T")
C = TypeVar("C", bound=Connection)


def command_timeout(connection: ConnectionCore) -> float:
    """The bound of a command's blocking call when it gives no ``timeout``."""
    return connection.defaults.command


def job_timeout(connection: ConnectionCore) -> float:
    """The bound of a blocking ``bgapi`` when it gives no ``timeout``."""
    return connection.defaults.job


def execute_timeout(connection: ConnectionCore) -> float:
    """The bound of a blocking ``execute`` (and its helpers) when it gives no ``timeout``."""
    return connection.defaults.execute


class _HandlerThread:
    """Runs sync handlers in order, off the loop thread, from a bounded queue."""

    def __init__(self, maxsize: int) -> None:
        self.queue: queue.Queue[tuple[Callable[[Any], object], object] | None] = queue.Queue(
            maxsize
        )
        self.dropped = 0
        self.thread = threading.Thread(target=self._main, name="eslkit-handlers", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            handler, argument = item
            try:
                handler(argument)
            except Exception:
                logger.exception("handler %r failed", handler)

    def submit(self, handler: Callable[[Any], object], argument: object) -> None:
        try:
            self.queue.put_nowait((handler, argument))
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 10_000 == 0:
                logger.warning("sync handlers too slow: %d events dropped", self.dropped)

    def stop(self, timeout: float) -> None:
        try:
            self.queue.put(None, timeout=timeout)
        except queue.Full:
            return
        if threading.current_thread() is not self.thread:
            self.thread.join(timeout)


class SyncEventStream:
    """A blocking iterator over a bounded event stream (see :meth:`SyncConnection.events`)."""

    def __init__(self, stream: EventStream, portal: Portal) -> None:
        self._stream = stream
        self._portal = portal

    @property
    def received(self) -> int:
        """Events offered to this stream."""
        return self._stream.received

    @property
    def dropped(self) -> int:
        """Events lost to overflow."""
        return self._stream.dropped

    @property
    def pending(self) -> int:
        """Events waiting to be read."""
        return self._stream.pending

    @property
    def maxsize(self) -> int:
        """The bound on waiting events."""
        return self._stream.maxsize

    @property
    def overflow(self) -> Overflow:
        """What happens when the stream is full."""
        return self._stream.overflow

    def get(self, timeout: float | None = None) -> Event:
        """The next event (see :meth:`EventStream.get`): :class:`Timeout` after ``timeout``
        s (``None``: wait as long as it takes); ``StopIteration`` at the end."""
        bound = None if timeout is None else timeout + MARGIN
        try:
            return self._portal.run(self._stream.get(timeout), bound)
        except StopAsyncIteration:
            raise StopIteration from None

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        return self.get(24 * 3600.0)

    def close(self) -> None:
        """Stop receiving."""
        self._portal.call_soon(self._stream.close)

    def __enter__(self) -> SyncEventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SyncCalls(Facade[C]):
    """The blocking methods an inbound connection and an outbound session share.

    ``connection`` is the asyncio object underneath. Each coroutine method of
    :class:`~eslkit.client.connection.Connection` has a blocking counterpart generated from
    it (:class:`~eslkit.client.portal.blocking`: same signature, same behaviour) that waits
    at most for the call's own timeout plus a margin; handlers, streams and ``close`` are
    written here because they cross threads.
    """

    def __init__(self, connection: C, portal: Portal) -> None:
        super().__init__(connection, portal)
        self._handlers: _HandlerThread | None = None
        self._handler_queue = 10_000
        self._forwards: dict[tuple[str, Callable[[Event], object]], list[Callable[[Event], None]]]
        self._forwards = {}
        self._guard = threading.Lock()

    def __repr__(self) -> str:
        return f"<Sync{self._aio!r}>"

    @property
    def connection(self) -> C:
        """The asyncio connection underneath (its methods must run on the loop thread)."""
        return self._aio

    @property
    def connected(self) -> bool:
        """Whether the socket is open."""
        return self._aio.connected

    @property
    def closed(self) -> bool:
        """Whether the connection ended for good."""
        return self._aio.closed

    @property
    def error(self) -> ESLError | None:
        """Why the connection ended (``None`` while it is alive)."""
        return self._aio.error

    @property
    def subscription(self) -> Subscription:
        """The connection's declarative subscription."""
        return self._aio.subscription

    @property
    def defaults(self) -> Defaults:
        """The default timeouts of the connection's calls."""
        return self._aio.defaults

    @property
    def session_uuid(self) -> str | None:
        """The controlled channel's UUID on an outbound socket (``None`` inbound)."""
        return self._aio.session_uuid

    @property
    def late_replies(self) -> int:
        """Replies that arrived after their caller had timed out (dropped)."""
        return self._aio.late_replies

    # Commands and subscriptions.
    send = blocking(Connection.send, default=command_timeout)
    command = blocking(Connection.command, default=command_timeout)
    api = blocking(Connection.api, default=command_timeout)
    bgapi = blocking(Connection.bgapi, default=job_timeout)
    subscribe = blocking(Connection.subscribe, default=command_timeout)
    filter = blocking(Connection.filter, default=command_timeout)
    filter_delete = blocking(Connection.filter_delete, default=command_timeout)
    #: One command per event line and filter, each bounded by ``timeout``.
    apply = blocking(Connection.apply)
    wait_for = blocking(Connection.wait_for)
    wait_closed = blocking(Connection.wait_closed)
    # Call control.
    sendmsg = blocking(Connection.sendmsg, default=command_timeout)
    execute = blocking(Connection.execute, default=execute_timeout)
    answer = blocking(Connection.answer, default=execute_timeout)
    hangup = blocking(Connection.hangup, default=command_timeout)
    playback = blocking(Connection.playback, default=execute_timeout)
    bridge = blocking(Connection.bridge, default=execute_timeout)
    set = blocking(Connection.set, default=execute_timeout)
    play_and_get_digits = blocking(Connection.play_and_get_digits, default=execute_timeout)

    def call(self, method: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kwargs: Any) -> T:
        """Run any coroutine method of the async connection (``conn.call(Connection.answer,
        uuid=...)``), bounded by its ``timeout`` keyword or the execute default."""
        timeout = kwargs.get("timeout")
        coro = method(self._aio, *args, **kwargs)
        bound = self._aio.defaults.execute if timeout is None else timeout
        return self._portal.run(coro, bound + MARGIN)

    # Handlers and streams.
    def _handler_thread(self) -> _HandlerThread:
        with self._guard:
            if self._handlers is None:
                self._handlers = _HandlerThread(self._handler_queue)
            return self._handlers

    def on(self, name: str, handler: Callable[[Event], object]) -> Callable[[], None]:
        """Call ``handler(event)`` in this connection's handler thread, in arrival order
        (see :meth:`Connection.on`); returns a function that removes it."""
        handlers = self._handler_thread()

        def forward(event: Event) -> None:
            handlers.submit(handler, event)

        remove = self._portal.call(self._aio.on, name, forward)
        key = (name, handler)
        with self._guard:
            self._forwards.setdefault(key, []).append(forward)

        def unregister() -> None:
            self._forget(key, forward)
            self._portal.call_soon(remove)

        return unregister

    def off(self, name: str, handler: Callable[[Event], object]) -> None:
        """Remove a handler added with :meth:`on` (see :meth:`Connection.off`)."""
        with self._guard:
            forwards = self._forwards.get((name, handler))
            forward = forwards[0] if forwards else None
        if forward is not None:
            self._forget((name, handler), forward)
            self._portal.call(self._aio.off, name, forward)

    def _forget(
        self, key: tuple[str, Callable[[Event], object]], forward: Callable[[Event], None]
    ) -> None:
        with self._guard:
            forwards = self._forwards.get(key)
            if forwards and forward in forwards:
                forwards.remove(forward)
                if not forwards:
                    del self._forwards[key]

    def on_log(self, handler: Callable[[Frame], object]) -> None:
        """Call ``handler(frame)`` for each ``log/data`` frame, in the handler thread (see
        :meth:`Connection.on_log`)."""
        handlers = self._handler_thread()

        def forward(frame: Frame) -> None:
            handlers.submit(handler, frame)

        self._portal.call(self._aio.on_log, forward)

    def events(
        self, *, maxsize: int = 10_000, overflow: str | Overflow = "drop_oldest"
    ) -> SyncEventStream:
        """A blocking bounded event stream (see :meth:`Connection.events`)."""
        stream = self._portal.call(self._aio.events, maxsize=maxsize, overflow=overflow)
        return SyncEventStream(stream, self._portal)

    # Lifecycle.
    def close(self, timeout: float = 2.0) -> None:
        """Send ``exit`` and close (see :meth:`Connection.close`); then stop the handler
        thread once the queued handlers ran."""
        try:
            self._portal.run(self._aio.close(timeout=timeout), timeout * 2 + MARGIN)
        finally:
            if self._handlers is not None:
                self._handlers.stop(timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SyncConnection(SyncCalls[InboundConnection]):
    """A blocking inbound connection: the methods of
    :class:`~eslkit.client.inbound.InboundConnection` without ``await``."""

    @property
    def permissions(self) -> dict[str, str]:
        """For ``userauth``: the ``Allowed-Events``, ``Allowed-API``, ``Allowed-LOG`` headers."""
        return self._aio.permissions

    @property
    def reconnects(self) -> int:
        """Successful reconnects so far."""
        return self._aio.reconnects


def connect(
    host: str = "127.0.0.1",
    port: int = 8021,
    password: str = "ClueCon",
    *,
    user: str | None = None,
    timeout: float = 10.0,
    command_timeout: float = 30.0,
    job_timeout: float = 120.0,
    execute_timeout: float = 3600.0,
    subscription: Subscription | None = None,
    reconnect: Reconnect | bool = False,
    liveness_timeout: float | None = None,
    handler_lanes: int = 16,
    max_pending_handlers: int = 100_000,
) -> SyncConnection:
    """Blocking :func:`eslkit.connect` (the same parameters): returns a connected
    :class:`SyncConnection`."""
    portal = Portal.shared()

    async def open_connection() -> InboundConnection:
        return await async_connect(
            host,
            port,
            password,
            user=user,
            timeout=timeout,
            command_timeout=command_timeout,
            job_timeout=job_timeout,
            execute_timeout=execute_timeout,
            subscription=subscription,
            reconnect=reconnect,
            liveness_timeout=liveness_timeout,
            handler_lanes=handler_lanes,
            max_pending_handlers=max_pending_handlers,
        )

    return SyncConnection(portal.run(open_connection(), timeout + MARGIN), portal)


__all__ = [
    "SyncConnection",
    "SyncEventStream",
    "connect",
]
