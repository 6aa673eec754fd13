"""Delivering events to the application: handlers (ordered per channel) and bounded streams.

The connection's reader never runs application code. It hands each event to:

- every open :class:`EventStream` (a bounded queue with an overflow policy), and
- the :class:`Dispatcher`, which queues it to one of a fixed set of worker lanes chosen by
  the event's ``Unique-ID``. A lane runs its handlers one event at a time, so events of one
  channel are handled in order, while a slow handler delays only the channels of its lane.
  No task is spawned per event.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from eslkit.client.errors import EventOverflow, Timeout
from eslkit.protocol.event import Event

logger = logging.getLogger("eslkit.client")

Handler = Callable[[Event], Awaitable[None] | None]
T = TypeVar("T")


class Overflow(enum.Enum):
    """What an :class:`EventStream` does when an event arrives and it is full."""

    DROP_OLDEST = "drop_oldest"
    DROP_NEWEST = "drop_newest"
    DISCONNECT = "disconnect"


class EventStream:
    """A bounded queue of events for one consumer; iterate it with ``async for``.

    ``received`` counts events offered to it, ``dropped`` those lost to overflow. The stream
    ends (``StopAsyncIteration``) when it or the connection is closed, and raises the
    connection's error (for example :class:`~eslkit.client.errors.Disconnected`) when the
    connection was lost.
    """

    __slots__ = (
        "_detach",
        "_error",
        "_finished",
        "_queue",
        "_waiter",
        "dropped",
        "maxsize",
        "overflow",
        "received",
    )

    def __init__(
        self,
        maxsize: int,
        overflow: Overflow,
        detach: Callable[[EventStream], None],
    ) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self.overflow = overflow
        self.received = 0
        self.dropped = 0
        self._queue: deque[Event] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._finished = False
        self._error: BaseException | None = None
        self._detach = detach

    def push(self, event: Event) -> bool:
        """Offer an event (reader side). Returns ``False`` when the policy is to disconnect."""
        self.received += 1
        queue = self._queue
        if len(queue) >= self.maxsize:
            self.dropped += 1
            if self.overflow is Overflow.DROP_NEWEST:
                return True
            if self.overflow is Overflow.DISCONNECT:
                return False
            queue.popleft()
        queue.append(event)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        return True

    def finish(self, error: BaseException | None = None) -> None:
        """End the stream; ``error`` is raised to the consumer once the queue is drained
        (immediately for an overflow error)."""
        if self._finished:
            return
        self._finished = True
        self._error = error
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    @property
    def pending(self) -> int:
        """Events queued and not yet consumed."""
        return len(self._queue)

    async def get(self, timeout: float | None = None) -> Event:
        """The next event; raises :class:`Timeout` after ``timeout`` seconds, and
        ``StopAsyncIteration`` or the connection's error when the stream has ended."""
        queue = self._queue
        if queue and self._error is None:
            return queue.popleft()
        return await self._get_slow(timeout)

    async def _get_slow(self, timeout: float | None) -> Event:
        while True:
            if self._queue and not isinstance(self._error, EventOverflow):
                return self._queue.popleft()
            if self._finished:
                if self._error is not None:
                    raise self._error
                raise StopAsyncIteration
            waiter = self._waiter
            if waiter is None:
                waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(timeout):
                    # Shielded: a timed-out get() must not cancel the shared waiter, or the
                    # next get() would find it cancelled.
                    await asyncio.shield(waiter)
            except TimeoutError:
                raise Timeout(f"no event within {timeout} s") from None

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        queue = self._queue
        if queue and self._error is None:
            return queue.popleft()
        return await self._get_slow(None)

    def close(self) -> None:
        """Stop receiving events; the consumer's iteration ends."""
        self._detach(self)
        self.finish()

    async def aclose(self) -> None:
        """Same as :meth:`close` (for ``contextlib.aclosing``)."""
        self.close()

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<EventStream pending={len(self._queue)} received={self.received} "
            f"dropped={self.dropped} overflow={self.overflow.value}>"
        )


class _Lane(Generic[T]):
    __slots__ = ("queue", "task", "waiter")

    def __init__(self) -> None:
        self.queue: deque[tuple[tuple[Callable[[T], Any], ...], T]] = deque()
        self.task: asyncio.Task[None] | None = None
        self.waiter: asyncio.Future[None] | None = None


def handler_key(name: str) -> str:
    """Normalize what ``on()`` accepts: ``"*"``, an event name, ``"CUSTOM sub"`` or ``"sub::x"``."""
    name = name.strip()
    if name == "*":
        return "*"
    word, _, rest = name.partition(" ")
    if word.upper() == "CUSTOM" and rest.strip():
        return "CUSTOM " + rest.strip()
    if "::" in name:
        return "CUSTOM " + name
    return name.upper()


class Dispatcher:
    """Runs handlers off the reader, serialized per ``Unique-ID`` on ``lanes`` workers.

    At most ``max_pending`` events wait for handlers; beyond that events are dropped for the
    handlers (counted in ``dropped``) so a stuck handler cannot exhaust memory.
    """

    def __init__(self, *, lanes: int = 16, max_pending: int = 100_000) -> None:
        self._handlers: dict[str, list[Callable[[Event], Any]]] = {}
        self._lanes: list[_Lane[Any]] = [_Lane() for _ in range(max(1, lanes))]
        self.max_pending = max_pending
        self.pending = 0
        self.dropped = 0
        self.active = False
        self._closed = False

    def add(self, name: str, handler: Handler) -> Callable[[], None]:
        """Register ``handler`` for ``name``; returns a function that unregisters it."""
        key = handler_key(name)
        self._handlers.setdefault(key, []).append(handler)
        self.active = True

        def remove() -> None:
            self.remove(key, handler)

        return remove

    def remove(self, name: str, handler: Handler) -> None:
        """Unregister ``handler`` (no error if it was not registered)."""
        key = handler_key(name)
        handlers = self._handlers.get(key)
        if handlers and handler in handlers:
            handlers.remove(handler)
            if not handlers:
                del self._handlers[key]
        self.active = bool(self._handlers)

    def match(self, event: Event) -> tuple[Callable[[Event], Any], ...]:
        """The handlers for ``event``, in registration order per key."""
        table = self._handlers
        name = event.get("Event-Name")
        found: tuple[Callable[[Event], Any], ...] = ()
        if name is not None:
            named = table.get(name)
            if named:
                found = tuple(named)
            if name == "CUSTOM":
                subclass = event.get("Event-Subclass")
                if subclass is not None:
                    custom = table.get("CUSTOM " + subclass)
                    if custom:
                        found += tuple(custom)
        star = table.get("*")
        if star:
            found += tuple(star)
        return found

    def dispatch(self, event: Event) -> None:
        """Queue ``event`` to its lane if any handler wants it (reader side, never blocks)."""
        handlers = self.match(event)
        if handlers:
            uuid = event.get("Unique-ID")
            self.submit(handlers, event, hash(uuid) if uuid else 0)

    def submit(self, handlers: tuple[Callable[[T], Any], ...], item: T, key: int = 0) -> None:
        """Queue ``item`` for ``handlers`` on the lane of ``key``."""
        if self._closed:
            return
        if self.pending >= self.max_pending:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 10_000 == 0:
                logger.warning(
                    "event handlers are too slow: %d events dropped for handlers", self.dropped
                )
            return
        lane = self._lanes[key % len(self._lanes)]
        lane.queue.append((handlers, item))
        self.pending += 1
        if lane.task is None:
            lane.task = asyncio.get_running_loop().create_task(self._run(lane))
        waiter = lane.waiter
        if waiter is not None:
            lane.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def _run(self, lane: _Lane[Any]) -> None:
        queue = lane.queue
        loop = asyncio.get_running_loop()
        while True:
            while queue:
                handlers, item = queue.popleft()
                self.pending -= 1
                for handler in handlers:
                    try:
                        result = handler(item)
                        if inspect.isawaitable(result):
                            await result
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        logger.exception("event handler %r failed", handler)
            if self._closed:
                lane.task = None
                return
            lane.waiter = loop.create_future()
            await lane.waiter

    async def join(self, timeout: float) -> None:
        """Wait until every queued event has been handled (or ``timeout`` passes)."""
        async with asyncio.timeout(timeout):
            while self.pending or any(lane.waiter is None and lane.task for lane in self._lanes):
                await asyncio.sleep(0.005)

    def shutdown(self) -> None:
        """Accept no more events; workers finish what is queued, then exit."""
        self._closed = True
        for lane in self._lanes:
            waiter = lane.waiter
            if waiter is not None:
                lane.waiter = None
                if not waiter.done():
                    waiter.set_result(None)

    def close(self) -> None:
        """Stop the workers; events still queued are discarded."""
        self._closed = True
        for lane in self._lanes:
            if lane.task is not None:
                lane.task.cancel()
                lane.task = None
            lane.queue.clear()
        self.pending = 0
