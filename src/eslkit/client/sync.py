"""The blocking facade: the inbound client for scripts and threads.

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
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any, TypeVar

from eslkit.client.connection import Connection
from eslkit.client.dispatch import EventStream, Overflow
from eslkit.client.errors import Timeout
from eslkit.client.inbound import InboundConnection, Reconnect
from eslkit.client.inbound import connect as async_connect
from eslkit.client.subscription import Subscription
from eslkit.protocol.event import Event, EventFormat
from eslkit.protocol.frames import Frame

logger = logging.getLogger("eslkit.client")

T = TypeVar("T")
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


class SyncConnection:
    """A blocking inbound connection; the methods mirror the asyncio ones."""

    def __init__(self, connection: InboundConnection, runner: _LoopThread) -> None:
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

    def execute(
        self,
        app: str,
        arg: str | None = None,
        *,
        uuid: str | None = None,
        event_lock: bool = False,
        loops: int | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Event | None:
        """See :meth:`Connection.execute`."""
        conn = self.connection
        default = conn.defaults.execute if wait else conn.defaults.command
        return self._run(
            conn.execute(
                app, arg, uuid=uuid, event_lock=event_lock, loops=loops, wait=wait, timeout=timeout
            ),
            timeout,
            default,
        )

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

    def __enter__(self) -> SyncConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
        )

    return SyncConnection(runner.run(open_connection(), timeout + _MARGIN), runner)


__all__ = ["Connection", "SyncConnection", "SyncEventStream", "connect"]
