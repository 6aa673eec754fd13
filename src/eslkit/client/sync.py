"""The blocking facade: the inbound client and the outbound server for scripts and threads.

```python
with eslkit.sync.connect(password="ClueCon") as conn:
    print(conn.api("status"))
```

All connections share one background thread running an asyncio loop; each blocking call
submits the coroutine there and waits for its result (never longer than the call's own
timeout plus a margin). Handlers registered with :meth:`SyncConnection.on` run in a
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
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any, Generic, Literal, Self, TypeVar

from eslkit.client.connection import Connection
from eslkit.client.dispatch import EventStream, Overflow
from eslkit.client.errors import Disconnected, Timeout
from eslkit.client.inbound import InboundConnection, Reconnect
from eslkit.client.inbound import connect as async_connect
from eslkit.client.outbound import OutboundServer, OutboundSession
from eslkit.client.outbound import serve_outbound as async_serve_outbound
from eslkit.client.subscription import Subscription
from eslkit.protocol.event import Event, EventFormat
from eslkit.protocol.frames import Frame

logger = logging.getLogger("eslkit.client")

T = TypeVar("T")
C = TypeVar("C", bound=Connection)
_MARGIN = 5.0


class _LoopThread:
    """One daemon thread running an event loop for every blocking connection."""

    _instance: _LoopThread | None = None
    _guard = threading.Lock()

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="eslkit-loop", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @classmethod
    def get(cls) -> _LoopThread:
        with cls._guard:
            if cls._instance is None or not cls._instance.thread.is_alive():
                cls._instance = cls()
            return cls._instance

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run ``coro`` on the loop and wait at most ``timeout`` seconds for its result."""
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError(
                "a blocking eslkit.sync call was made from the event loop thread, which would "
                "deadlock; use the asyncio API there"
            )
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise Timeout(f"no result within {timeout} s") from None


class _HandlerThread:
    """Runs sync handlers in order, off the loop thread, from a bounded queue."""

    def __init__(self, maxsize: int) -> None:
        self.queue: queue.Queue[tuple[Callable[[Event], object], Event] | None] = queue.Queue(
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
            handler, event = item
            try:
                handler(event)
            except Exception:
                logger.exception("event handler %r failed", handler)

    def submit(self, handler: Callable[[Event], object], event: Event) -> None:
        try:
            self.queue.put_nowait((handler, event))
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

    def __init__(self, stream: EventStream, runner: _LoopThread) -> None:
        self._stream = stream
        self._runner = runner

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
            return self._runner.run(self._stream.get(timeout), timeout + _MARGIN)
        except StopAsyncIteration:
            raise StopIteration from None

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        return self.get(24 * 3600.0)

    def close(self) -> None:
        """Stop receiving."""
        self._runner.loop.call_soon_threadsafe(self._stream.close)

    def __enter__(self) -> SyncEventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _SyncCalls(Generic[C]):
    """The blocking methods an inbound connection and an outbound session share.

    ``connection`` is the asyncio object underneath; every method runs its coroutine on the
    loop thread and waits at most for the call's own timeout plus a margin.
    """

    def __init__(self, connection: C, runner: _LoopThread) -> None:
        self.connection = connection
        self._runner = runner
        self._handlers: _HandlerThread | None = None
        self._handler_queue = 10_000

    def __repr__(self) -> str:
        return f"<Sync{self.connection!r}>"

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None, default: float) -> T:
        return self._runner.run(coro, (default if timeout is None else timeout) + _MARGIN)

    @property
    def closed(self) -> bool:
        """Whether the connection ended for good."""
        return self.connection.closed

    @property
    def subscription(self) -> Subscription:
        """The connection's declarative subscription."""
        return self.connection.subscription

    def api(self, command: str, *, timeout: float | None = None, check: bool = True) -> str:
        """See :meth:`Connection.api`."""
        conn = self.connection
        return self._run(
            conn.api(command, timeout=timeout, check=check), timeout, conn.defaults.command
        )

    def bgapi(self, command: str, *, timeout: float | None = None, check: bool = True) -> str:
        """See :meth:`Connection.bgapi`."""
        conn = self.connection
        return self._run(
            conn.bgapi(command, timeout=timeout, check=check), timeout, conn.defaults.job
        )

    def send(
        self,
        command: str,
        headers: Iterable[tuple[str, str]] = (),
        body: str | bytes | None = None,
        *,
        timeout: float | None = None,
    ) -> Frame:
        """See :meth:`Connection.send`."""
        conn = self.connection
        return self._run(
            conn.send(command, list(headers), body, timeout=timeout), timeout, conn.defaults.command
        )

    def command(
        self,
        command: str,
        headers: Iterable[tuple[str, str]] = (),
        body: str | bytes | None = None,
        *,
        timeout: float | None = None,
    ) -> str:
        """See :meth:`Connection.command`."""
        conn = self.connection
        return self._run(
            conn.command(command, list(headers), body, timeout=timeout),
            timeout,
            conn.defaults.command,
        )

    def subscribe(
        self, *names: str, format: EventFormat | None = None, timeout: float | None = None
    ) -> None:
        """See :meth:`Connection.subscribe`."""
        conn = self.connection
        self._run(
            conn.subscribe(*names, format=format, timeout=timeout), timeout, conn.defaults.command
        )

    def filter(self, header: str, value: str, *, timeout: float | None = None) -> None:
        """See :meth:`Connection.filter`."""
        conn = self.connection
        self._run(conn.filter(header, value, timeout=timeout), timeout, conn.defaults.command)

    def sendmsg(
        self,
        headers: Iterable[tuple[str, str]],
        body: str | bytes | None = None,
        *,
        uuid: str | None = None,
        timeout: float | None = None,
    ) -> str:
        """See :meth:`Connection.sendmsg`."""
        conn = self.connection
        return self._run(
            conn.sendmsg(list(headers), body, uuid=uuid, timeout=timeout),
            timeout,
            conn.defaults.command,
        )

    def execute(
        self,
        app: str,
        arg: str | None = None,
        *,
        uuid: str | None = None,
        event_lock: bool = False,
        loops: int | None = None,
        async_: bool = False,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Event | None:
        """See :meth:`Connection.execute`."""
        conn = self.connection
        default = conn.defaults.execute if wait else conn.defaults.command
        coro = conn.execute(
            app,
            arg,
            uuid=uuid,
            event_lock=event_lock,
            loops=loops,
            async_=async_,
            wait=wait,
            timeout=timeout,
        )
        return self._run(coro, timeout, default)

    def _app(self, app: str, arg: str | None, uuid: str | None, timeout: float | None) -> Event:
        event = self.execute(app, arg, uuid=uuid, timeout=timeout)
        assert event is not None
        return event

    def answer(self, *, uuid: str | None = None, timeout: float | None = None) -> Event:
        """See :meth:`Connection.answer`."""
        return self._app("answer", None, uuid, timeout)

    def playback(
        self, path: str, *, uuid: str | None = None, timeout: float | None = None
    ) -> Event:
        """See :meth:`Connection.playback`."""
        return self._app("playback", path, uuid, timeout)

    def bridge(
        self, dialstring: str, *, uuid: str | None = None, timeout: float | None = None
    ) -> Event:
        """See :meth:`Connection.bridge`."""
        return self._app("bridge", dialstring, uuid, timeout)

    def set(
        self, name: str, value: str, *, uuid: str | None = None, timeout: float | None = None
    ) -> Event:
        """See :meth:`Connection.set`."""
        return self._app("set", f"{name}={value}", uuid, timeout)

    def play_and_get_digits(
        self,
        file: str,
        *,
        min_digits: int = 1,
        max_digits: int = 1,
        tries: int = 3,
        timeout_ms: int = 5000,
        terminators: str = "#",
        invalid_file: str = "silence_stream://250",
        var_name: str = "eslkit_digits",
        regexp: str = "\\d+",
        digit_timeout_ms: int | None = None,
        uuid: str | None = None,
        timeout: float | None = None,
    ) -> str | None:
        """See :meth:`Connection.play_and_get_digits`."""
        conn = self.connection
        coro = conn.play_and_get_digits(
            file,
            min_digits=min_digits,
            max_digits=max_digits,
            tries=tries,
            timeout_ms=timeout_ms,
            terminators=terminators,
            invalid_file=invalid_file,
            var_name=var_name,
            regexp=regexp,
            digit_timeout_ms=digit_timeout_ms,
            uuid=uuid,
            timeout=timeout,
        )
        return self._run(coro, timeout, conn.defaults.execute)

    def hangup(
        self,
        cause: str = "NORMAL_CLEARING",
        *,
        uuid: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """See :meth:`Connection.hangup`."""
        conn = self.connection
        self._run(conn.hangup(cause, uuid=uuid, timeout=timeout), timeout, conn.defaults.command)

    def call(self, method: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kwargs: Any) -> T:
        """Run any coroutine method of the async connection (``conn.call(Connection.answer,
        uuid=...)``), bounded by its ``timeout`` keyword or the execute default."""
        timeout = kwargs.get("timeout")
        coro = method(self.connection, *args, **kwargs)
        return self._run(coro, timeout, self.connection.defaults.execute)

    def wait_for(
        self,
        name: str | None = None,
        predicate: Callable[[Event], bool] | None = None,
        *,
        timeout: float,
    ) -> Event:
        """See :meth:`Connection.wait_for` (the predicate runs in the loop thread)."""
        return self._run(self.connection.wait_for(name, predicate, timeout=timeout), timeout, 0)

    def on(self, name: str, handler: Callable[[Event], object]) -> Callable[[], None]:
        """Call ``handler(event)`` in this connection's handler thread, in arrival order."""
        if self._handlers is None:
            self._handlers = _HandlerThread(self._handler_queue)
        handlers = self._handlers

        def forward(event: Event) -> None:
            handlers.submit(handler, event)

        def add() -> Callable[[], None]:
            return self.connection.on(name, forward)

        remove = self._runner.run(_call(add), _MARGIN)

        def unregister() -> None:
            self._runner.loop.call_soon_threadsafe(remove)

        return unregister

    def events(
        self, *, maxsize: int = 10_000, overflow: str | Overflow = "drop_oldest"
    ) -> SyncEventStream:
        """A blocking bounded event stream (see :meth:`Connection.events`)."""

        def make() -> EventStream:
            return self.connection.events(maxsize=maxsize, overflow=overflow)

        return SyncEventStream(self._runner.run(_call(make), _MARGIN), self._runner)

    def close(self, timeout: float = 2.0) -> None:
        """Send ``exit`` and close; stops the handler thread once queued handlers ran."""
        try:
            self._runner.run(self.connection.close(timeout=timeout), timeout * 2 + _MARGIN)
        finally:
            if self._handlers is not None:
                self._handlers.stop(timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SyncConnection(_SyncCalls[InboundConnection]):
    """A blocking inbound connection; the methods mirror the asyncio ones."""


async def _call(fn: Callable[[], T]) -> T:
    return fn()


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
) -> SyncConnection:
    """Blocking :func:`eslkit.connect`: returns a connected :class:`SyncConnection`."""
    runner = _LoopThread.get()

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
        )

    return SyncConnection(runner.run(open_connection(), timeout + _MARGIN), runner)


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
        return self.connection.uuid

    @property
    def channel_data(self) -> Event:
        """The CHANNEL_DATA of the ``connect`` reply (values URL-decoded)."""
        return self.connection.channel_data

    @property
    def socket_mode(self) -> str:
        """``"async"`` or ``"static"``."""
        return self.connection.socket_mode

    @property
    def control(self) -> str:
        """``"full"`` or ``"single-channel"``."""
        return self.connection.control

    @property
    def full(self) -> bool:
        """Whether the socket is ``full`` (``api``, ``bgapi``, ``linger``... allowed)."""
        return self.connection.full

    @property
    def hung_up(self) -> bool:
        """Whether the channel is known to have hung up."""
        return self.connection.hung_up

    @property
    def hangup_event(self) -> Event | None:
        """The channel's CHANNEL_HANGUP(_COMPLETE) event, once seen."""
        return self.connection.hangup_event

    @property
    def peer(self) -> tuple[str, int] | None:
        """The switch's address."""
        return self.connection.peer

    def myevents(self, format: EventFormat | None = None, *, timeout: float | None = None) -> None:
        """See :meth:`OutboundSession.myevents`."""
        conn = self.connection
        self._run(conn.myevents(format, timeout=timeout), timeout, conn.defaults.command)

    def linger(self, seconds: int | None = None, *, timeout: float | None = None) -> str:
        """See :meth:`OutboundSession.linger`."""
        conn = self.connection
        return self._run(conn.linger(seconds, timeout=timeout), timeout, conn.defaults.command)

    def nolinger(self, *, timeout: float | None = None) -> str:
        """See :meth:`OutboundSession.nolinger`."""
        conn = self.connection
        return self._run(conn.nolinger(timeout=timeout), timeout, conn.defaults.command)

    def getvar(self, name: str, *, timeout: float | None = None) -> str | None:
        """See :meth:`OutboundSession.getvar`."""
        conn = self.connection
        return self._run(conn.getvar(name, timeout=timeout), timeout, conn.defaults.command)

    def resume(self, *, timeout: float | None = None) -> str:
        """See :meth:`OutboundSession.resume`."""
        conn = self.connection
        return self._run(conn.resume(timeout=timeout), timeout, conn.defaults.command)

    def wait_hangup(self, timeout: float) -> Event | None:
        """See :meth:`OutboundSession.wait_hangup`."""
        return self._run(self.connection.wait_hangup(timeout), timeout, 0)


class SyncOutboundServer:
    """The blocking outbound server returned by :func:`serve_outbound`.

    Each call's handler runs in its own daemon thread, at most ``max_sessions`` at a time.
    Counters: ``handled`` (handlers started), ``failed`` (handlers that raised, except with
    :class:`Disconnected`: the call went away), ``refused`` (calls turned away at the limit
    or while closing); ``active`` is the number of handler threads still running.
    """

    def __init__(self, handler: SyncSessionHandler, max_sessions: int, runner: _LoopThread) -> None:
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        self._handler = handler
        self._max_sessions = max_sessions
        self._runner = runner
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
        sync_session = SyncOutboundSession(session, self._runner)
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
            in_handler = current in self._threads or current is self._runner.thread
        if again:
            if not in_handler:
                self._closed.wait(timeout)  # the first call is shutting down
            return
        try:
            if in_handler:
                asyncio.run_coroutine_threadsafe(self._aclose(timeout), self._runner.loop)
                return
            deadline = time.monotonic() + timeout
            try:
                self._runner.run(self._aclose(timeout), timeout + _MARGIN)
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
    runner = _LoopThread.get()
    server = SyncOutboundServer(handler, max_sessions, runner)

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

    server._bind(runner.run(start(), connect_timeout + _MARGIN))
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
