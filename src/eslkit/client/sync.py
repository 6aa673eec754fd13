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

:func:`serve_outbound` runs the asyncio outbound server on that loop and each call's
handler in a thread of its own (bounded by ``max_sessions``), with a
:class:`SyncOutboundSession`: the methods of :class:`SyncConnection` for that channel.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, Literal, Self, TypeVar

from eslkit.client.connection import Connection, Defaults
from eslkit.client.core import ConnectionCore
from eslkit.client.dispatch import EventStream, Overflow
from eslkit.client.errors import Disconnected, ESLError, Timeout
from eslkit.client.inbound import InboundConnection, Reconnect
from eslkit.client.inbound import connect as async_connect
from eslkit.client.outbound import OutboundServer, OutboundSession
from eslkit.client.outbound import serve_outbound as async_serve_outbound
from eslkit.client.portal import MARGIN, Facade, Portal, blocking
from eslkit.client.subscription import Subscription
from eslkit.protocol.event import Event
from eslkit.protocol.frames import Frame

logger = logging.getLogger("eslkit.client")

T = TypeVar("T")
C = TypeVar("C", bound=Connection)


def _command(connection: ConnectionCore) -> float:
    return connection.defaults.command


def _job(connection: ConnectionCore) -> float:
    return connection.defaults.job


def _execute(connection: ConnectionCore) -> float:
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

    def get(self, timeout: float) -> Event:
        """The next event; :class:`Timeout` after ``timeout`` s; ``StopIteration`` at the end."""
        try:
            return self._portal.run(self._stream.get(timeout), timeout + MARGIN)
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


class _SyncCalls(Facade[C]):
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
    send = blocking(Connection.send, default=_command)
    command = blocking(Connection.command, default=_command)
    api = blocking(Connection.api, default=_command)
    bgapi = blocking(Connection.bgapi, default=_job)
    subscribe = blocking(Connection.subscribe, default=_command)
    filter = blocking(Connection.filter, default=_command)
    filter_delete = blocking(Connection.filter_delete, default=_command)
    #: One command per event line and filter, each bounded by ``timeout``.
    apply = blocking(Connection.apply)
    wait_for = blocking(Connection.wait_for)
    wait_closed = blocking(Connection.wait_closed)
    # Call control.
    sendmsg = blocking(Connection.sendmsg, default=_command)
    execute = blocking(Connection.execute, default=_execute)
    answer = blocking(Connection.answer, default=_execute)
    hangup = blocking(Connection.hangup, default=_command)
    playback = blocking(Connection.playback, default=_execute)
    bridge = blocking(Connection.bridge, default=_execute)
    set = blocking(Connection.set, default=_execute)
    play_and_get_digits = blocking(Connection.play_and_get_digits, default=_execute)

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


class SyncConnection(_SyncCalls[InboundConnection]):
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


# ---------------------------------------------------------------------- outbound
SyncSessionHandler = Callable[["SyncOutboundSession"], object]

#: Default bound on concurrent outbound handler threads.
MAX_SESSIONS = 100


class SyncOutboundSession(_SyncCalls[OutboundSession]):
    """One outbound call, blocking: the methods of :class:`SyncConnection` (the channel's
    UUID implied) plus the outbound ones. See :class:`~eslkit.client.outbound.OutboundSession`.
    """

    @property
    def uuid(self) -> str:
        """The controlled channel's UUID."""
        return self._aio.uuid

    @property
    def channel_data(self) -> Event:
        """The CHANNEL_DATA of the ``connect`` reply (values URL-decoded)."""
        return self._aio.channel_data

    @property
    def socket_mode(self) -> str:
        """``"async"`` or ``"static"``."""
        return self._aio.socket_mode

    @property
    def control(self) -> str:
        """``"full"`` or ``"single-channel"``."""
        return self._aio.control

    @property
    def full(self) -> bool:
        """Whether the socket is ``full`` (``api``, ``bgapi``, ``linger``... allowed)."""
        return self._aio.full

    @property
    def hung_up(self) -> bool:
        """Whether the channel is known to have hung up."""
        return self._aio.hung_up

    @property
    def hangup_event(self) -> Event | None:
        """The channel's CHANNEL_HANGUP(_COMPLETE) event, once seen."""
        return self._aio.hangup_event

    @property
    def peer(self) -> tuple[str, int] | None:
        """The switch's address."""
        return self._aio.peer

    myevents = blocking(OutboundSession.myevents, default=_command)
    linger = blocking(OutboundSession.linger, default=_command)
    nolinger = blocking(OutboundSession.nolinger, default=_command)
    getvar = blocking(OutboundSession.getvar, default=_command)
    resume = blocking(OutboundSession.resume, default=_command)
    wait_hangup = blocking(OutboundSession.wait_hangup)


class SyncOutboundServer:
    """The blocking outbound server returned by :func:`serve_outbound`.

    Each call's handler runs in its own daemon thread, at most ``max_sessions`` at a time.
    Counters: ``handled`` (handlers started), ``failed`` (handlers that raised, except with
    :class:`Disconnected`: the call went away), ``refused`` (calls turned away at the limit
    or while closing); ``active`` is the number of handler threads still running.
    """

    def __init__(self, handler: SyncSessionHandler, max_sessions: int, portal: Portal) -> None:
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        self._handler = handler
        self._max_sessions = max_sessions
        self._portal = portal
        self._server: OutboundServer | None = None
        self._address: tuple[str, int] = ("", 0)
        self._guard = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._closing = False
        self._closed = threading.Event()
        self.handled = 0
        self.failed = 0
        self.refused = 0

    def __repr__(self) -> str:
        host, port = self._address
        return f"<SyncOutboundServer {host}:{port} active={self.active}>"

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` the server listens on."""
        return self._address

    @property
    def port(self) -> int:
        """The bound TCP port (useful with ``port=0``)."""
        return self._address[1]

    @property
    def active(self) -> int:
        """Handler threads still running."""
        with self._guard:
            return len(self._threads)

    @property
    def handshake_failures(self) -> int:
        """Calls that ended before their handler could start."""
        return self._server.handshake_failures if self._server is not None else 0

    def _bind(self, server: OutboundServer) -> None:
        self._server = server
        self._address = (server.host, server.port)

    async def _handle(self, session: OutboundSession) -> None:
        """Runs on the loop thread per call: start the handler's thread, wait for it."""
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        done.set_running_or_notify_cancel()  # so that cancelling our await cannot cancel it
        sync_session = SyncOutboundSession(session, self._portal)
        name = f"eslkit-outbound-{session.uuid[:8]}"
        thread = threading.Thread(
            target=self._work, args=(sync_session, done), name=name, daemon=True
        )
        with self._guard:
            closing = self._closing
            full = len(self._threads) >= self._max_sessions
            accepted = not (closing or full)
            if accepted:
                self._threads.add(thread)
                self.handled += 1
            else:
                self.refused += 1
        if not accepted:
            if full and not closing:
                logger.warning(
                    "outbound call %s refused: %d handlers already running (max_sessions)",
                    session.uuid,
                    self._max_sessions,
                )
            return  # the OutboundServer closes the socket
        try:
            thread.start()
        except RuntimeError:
            logger.exception("could not start a handler thread for %s", session.uuid)
            with self._guard:
                self._threads.discard(thread)
            return
        await asyncio.wrap_future(done)

    def _work(self, session: SyncOutboundSession, done: concurrent.futures.Future[None]) -> None:
        """A handler thread: run the handler, log its failure, close the session."""
        try:
            self._handler(session)
        except Disconnected as exc:
            logger.info("outbound handler for %s ended: %s", session.uuid, exc)
        except Exception:
            with self._guard:
                self.failed += 1
            logger.exception("outbound handler failed for %s", session.uuid)
        finally:
            try:
                session.close()
            except Exception as exc:  # the session is gone either way
                logger.debug("closing outbound session %s: %s", session.uuid, exc)
            with self._guard:
                self._threads.discard(threading.current_thread())
            done.set_result(None)

    async def _aclose(self, timeout: float) -> None:
        server = self._server
        if server is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        server.close()
        # All at once: each close waits for the goodbye of its own socket.
        closing = [
            loop.create_task(session.close(timeout=min(timeout / 2, 2.0)))
            for session in list(server.sessions)
        ]
        if closing:
            await asyncio.wait(closing, timeout=timeout)
        await server.aclose(max(deadline - loop.time(), 0.01))

    def serve_forever(self) -> None:
        """Block until :meth:`close` is called (from a handler, another thread or a signal
        handler); calls are served in the background meanwhile."""
        while not self._closed.wait(1.0):
            pass

    def close(self, timeout: float = 5.0) -> None:
        """Stop accepting calls, end every live session (its handler's pending and next
        calls fail with :class:`Disconnected`) and wait up to ``timeout`` s for the handler
        threads. Called from a handler thread (or the loop thread) it only starts the
        shutdown; a second call waits for the first one."""
        current = threading.current_thread()
        with self._guard:
            again = self._closing
            self._closing = True
            in_handler = current in self._threads or current is self._portal.thread
        if again:
            if not in_handler:
                self._closed.wait(timeout)  # the first call is shutting down
            return
        try:
            if in_handler:
                self._portal.submit(self._aclose(timeout))
                return
            deadline = time.monotonic() + timeout
            try:
                self._portal.run(self._aclose(timeout), timeout + MARGIN)
            except Timeout:
                logger.warning("outbound server: shutdown not complete within %s s", timeout)
            with self._guard:
                threads = list(self._threads)
            for thread in threads:
                thread.join(max(deadline - time.monotonic(), 0.0))
            stuck = [t.name for t in threads if t.is_alive()]
            if stuck:
                logger.warning("outbound handlers still running after close: %s", stuck)
        finally:
            self._closed.set()

    def __enter__(self) -> SyncOutboundServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve_outbound(
    handler: SyncSessionHandler,
    host: str = "127.0.0.1",
    port: int = 8084,
    *,
    max_sessions: int = MAX_SESSIONS,
    myevents: bool = True,
    linger: bool | int = True,
    format: Literal["plain", "json", "xml"] = "plain",
    connect_timeout: float = 10.0,
    command_timeout: float = 30.0,
    job_timeout: float = 120.0,
    execute_timeout: float = 3600.0,
) -> SyncOutboundServer:
    """Blocking :func:`eslkit.serve_outbound`: ``handler(session)`` runs per call in its
    own thread with a :class:`SyncOutboundSession`; returns once listening.

    The options are those of the asyncio server (``connect``, ``myevents``, ``linger``
    happen before the handler). At most ``max_sessions`` handlers run at once: a call
    beyond that is refused (``exit`` right after the handshake, ``refused`` counts it;
    FreeSWITCH then goes on as for any outbound socket that closes) rather than kept
    waiting in silence. An exception in a handler is logged and its call's socket closed; the session
    is also closed when the handler returns.
    """
    portal = Portal.shared()
    server = SyncOutboundServer(handler, max_sessions, portal)

    async def start() -> OutboundServer:
        return await async_serve_outbound(
            server._handle,
            host,
            port,
            myevents=myevents,
            linger=linger,
            format=format,
            connect_timeout=connect_timeout,
            command_timeout=command_timeout,
            job_timeout=job_timeout,
            execute_timeout=execute_timeout,
        )

    server._bind(portal.run(start(), connect_timeout + MARGIN))
    return server


__all__ = [
    "MAX_SESSIONS",
    "Connection",
    "SyncConnection",
    "SyncEventStream",
    "SyncOutboundServer",
    "SyncOutboundSession",
    "connect",
    "serve_outbound",
]
