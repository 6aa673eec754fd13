"""Delivering events to the application: handlers (ordered per channel) and bounded streams.

The connection's reader never runs coroutine handlers. It hands each event to:

- every open :class:`EventStream` (a bounded queue with an overflow policy), and
- the :class:`Dispatcher`, which queues it to one of a fixed set of worker lanes chosen by
  the event's ``Unique-ID``. A lane runs its handlers one event at a time, so events of one
  channel are handled in order, while a slow handler delays only the channels of its lane.
  No task is spawned per event. Synchronous handlers skip the lane (they are called at once)
  whenever nothing of the event's lane is pending, which keeps that order.
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
from eslkit.protocol.event import Event, name_line

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
    __slots__ = ("inflight", "queue", "task", "waiter")

    def __init__(self) -> None:
        # (handlers, item, an awaitable to finish first or None)
        self.queue: deque[tuple[tuple[Callable[[T], Any], ...], T, Awaitable[Any] | None]] = deque()
        self.task: asyncio.Task[None] | None = None
        self.waiter: asyncio.Future[None] | None = None
        #: Items queued or being handled on this lane.
        self.inflight = 0


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


def is_async_handler(handler: Callable[..., Any]) -> bool:
    """Whether calling ``handler`` gives a coroutine (an ``async def``, a partial of one, or
    an object whose ``__call__`` is one)."""
    if inspect.iscoroutinefunction(handler):
        return True
    call = getattr(handler, "__call__", None)  # noqa: B004 - the method itself is wanted
    return call is not None and inspect.iscoroutinefunction(call)


#: The handlers for one event name, and whether all of them are synchronous.
_Route = tuple[tuple[Callable[[Event], Any], ...], bool]
_NO_ROUTE: _Route = ((), True)
_ROUTE_CACHE_LIMIT = 1024
#: What :meth:`Dispatcher.inline_route` answers: (prefix, handlers or None, version).
InlineRoute = tuple[bytes, tuple[Callable[[Event], Any], ...] | None, int]


class Dispatcher:
    """Runs event handlers in order per ``Unique-ID``, without ever blocking the reader.

    Asynchronous handlers run on ``lanes`` worker tasks, the lane chosen by the event's
    ``Unique-ID``: a lane handles one event at a time, so events of one channel are handled
    in order while a slow handler delays only the channels of its lane. No task is spawned
    per event.

    Synchronous handlers (decided once, at :meth:`add`) are called directly by
    :meth:`dispatch` when that cannot change the order: when no lane has work (or, when some
    has, the event's own lane has none). Otherwise the event queues on its lane behind the
    earlier events of that channel. So for every ``Unique-ID`` (and for events without one)
    handlers see events in arrival order, each event's handlers in registration order, and
    an ``await`` in a handler never holds up the reader (only the channels of its lane). A
    synchronous handler that returns an awaitable anyway is treated as asynchronous from then
    on; the awaitable is finished on its lane before that channel's next event.

    At most ``max_pending`` events wait on the lanes; beyond that events are dropped for the
    handlers (counted in ``dropped``) so a stuck handler cannot exhaust memory.
    """

    def __init__(self, *, lanes: int = 16, max_pending: int = 100_000) -> None:
        # key -> [(handler, is async)], in registration order
        self._handlers: dict[str, list[tuple[Callable[[Event], Any], bool]]] = {}
        # Event-Name -> route; these caches are cleared whenever handlers change.
        self._routes: dict[str | None, _Route] = {}
        # CUSTOM events with an Event-Subclass, by subclass.
        self._custom_routes: dict[str | None, _Route] = {}
        # Non-CUSTOM routes by the raw ``Event-Name`` line (see name_line).
        self._line_routes: dict[bytes, _Route] = {}
        self._lanes: list[_Lane[Any]] = [_Lane() for _ in range(max(1, lanes))]
        self.max_pending = max_pending
        #: Events queued on the lanes, not yet started.
        self.pending = 0
        #: Events queued or being handled on the lanes.
        self.inflight = 0
        self.dropped = 0
        self.active = False
        #: Changes whenever an :meth:`inline_route` answer may no longer hold (handlers
        #: added, removed or found asynchronous; the dispatcher shut down).
        self.version = 0
        self._closed = False

    def add(self, name: str, handler: Handler) -> Callable[[], None]:
        """Register ``handler`` for ``name``; returns a function that unregisters it."""
        key = handler_key(name)
        self._handlers.setdefault(key, []).append((handler, is_async_handler(handler)))
        self._forget_routes()
        self.active = True

        def remove() -> None:
            self.remove(key, handler)

        return remove

    def remove(self, name: str, handler: Handler) -> None:
        """Unregister ``handler`` (no error if it was not registered)."""
        key = handler_key(name)
        entries = self._handlers.get(key)
        if entries:
            for i, (registered, _) in enumerate(entries):
                if registered == handler:
                    del entries[i]
                    break
            if not entries:
                del self._handlers[key]
        self._forget_routes()
        self.active = bool(self._handlers)

    def _mark_async(self, handler: Callable[[Event], Any]) -> None:
        for entries in self._handlers.values():
            for i, (registered, _) in enumerate(entries):
                if registered is handler:
                    entries[i] = (registered, True)
        self._forget_routes()

    def _route(self, event: Event) -> _Route:
        name = event.get("Event-Name")
        routes = self._routes
        cache_key = name
        subclass = event.get("Event-Subclass") if name == "CUSTOM" else None
        if subclass is not None:
            # By subclass in a table of their own: an event *named* "CUSTOM x" is another.
            routes, cache_key = self._custom_routes, subclass
        route = routes.get(cache_key)
        if route is not None:
            return route
        table = self._handlers
        entries: list[tuple[Callable[[Event], Any], bool]] = []
        if name is not None:
            entries += table.get(name, ())
            if subclass is not None:
                entries += table.get("CUSTOM " + subclass, ())
        entries += table.get("*", ())
        route = (
            (tuple(handler for handler, _ in entries), not any(a for _, a in entries))
            if entries
            else _NO_ROUTE
        )
        if len(routes) >= _ROUTE_CACHE_LIMIT:
            routes.clear()
        routes[cache_key] = route
        return route

    def _forget_routes(self) -> None:
        self.version += 1
        self._routes.clear()
        self._custom_routes.clear()
        self._line_routes.clear()

    def match(self, event: Event) -> tuple[Callable[[Event], Any], ...]:
        """The handlers for ``event``, in registration order per key."""
        return self._route(event)[0]

    def inline_route(self, body: bytes, event: Event) -> InlineRoute:
        """The reader's fast path for a plain event: ``(prefix, handlers, version)``.

        ``event`` is ``Event.from_plain(body)``. Every plain event whose body starts with
        ``prefix`` (its ``Event-Name`` line, LF included) has ``handlers``, all synchronous
        (maybe none), for as long as :attr:`version` equals ``version``: the reader may call
        them itself (:meth:`call`) whenever :attr:`inflight` is 0. ``handlers`` is ``None``
        when such events must go through :meth:`dispatch` (asynchronous handlers, CUSTOM
        events, whose handlers depend on the subclass, or a closed dispatcher); with version
        -1 the answer holds for this event only.
        """
        eol = body.find(b"\n") if body.startswith(b"Event-Name: ") else -1
        if eol < 0 or self._closed:
            return b"", None, -1
        handlers, synchronous = self._route(event)
        if not synchronous or event.get("Event-Name") == "CUSTOM":
            return body[: eol + 1], None, self.version
        return body[: eol + 1], handlers, self.version

    def call(
        self, handlers: tuple[Callable[[Event], Any], ...], event: Event, key: int | None = None
    ) -> None:
        """Call synchronous ``handlers`` with ``event`` now (the reader does, when nothing is
        queued on the event's lane; see :meth:`inline_route`). Exceptions are logged; a
        handler that turns out to return an awaitable moves to the lanes (``key``: the
        event's lane, when already known)."""
        done = 0
        for handler in handlers:
            done += 1
            try:
                result = handler(event)
            except (Exception, asyncio.CancelledError):
                logger.exception("event handler %r failed", handler)
                continue
            if result is not None and inspect.isawaitable(result):
                self._became_async(handler, handlers[done:], event, key, result)
                return

    def dispatch(self, event: Event) -> None:
        """Hand ``event`` to the handlers that want it (reader side, never blocks)."""
        line = name_line(event)
        if line is None:
            handlers, synchronous = self._route(event)
        else:
            route = self._line_routes.get(line)
            if route is None:
                route = self._route(event)
                if event.get("Event-Name") != "CUSTOM":
                    if len(self._line_routes) >= _ROUTE_CACHE_LIMIT:
                        self._line_routes.clear()
                    self._line_routes[line] = route
            handlers, synchronous = route
        if not handlers or self._closed:
            return
        if synchronous:
            # Called right here unless this event's lane has work (which must come first).
            key: int | None = None
            if self.inflight:
                uuid = event.get("Unique-ID")
                key = hash(uuid) if uuid else 0
                lanes = self._lanes
                if lanes[key % len(lanes)].inflight:
                    self.submit(handlers, event, key)
                    return
            self.call(handlers, event, key)
            return
        uuid = event.get("Unique-ID")
        self.submit(handlers, event, hash(uuid) if uuid else 0)

    def _became_async(
        self,
        handler: Callable[[Event], Any],
        rest: tuple[Callable[[Event], Any], ...],
        event: Event,
        key: int | None,
        result: Awaitable[Any],
    ) -> None:
        """A handler taken for a plain function returned an awaitable: from now on it runs on
        the lanes; this time its result, then the event's remaining handlers, finish on the
        event's lane (ahead of that channel's next events)."""
        self._mark_async(handler)
        if key is None:
            uuid = event.get("Unique-ID")
            key = hash(uuid) if uuid else 0
        self._enqueue(rest, event, key, result)

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
        self._enqueue(handlers, item, key, None)

    def _enqueue(
        self,
        handlers: tuple[Callable[[T], Any], ...],
        item: T,
        key: int,
        first: Awaitable[Any] | None,
    ) -> None:
        lane = self._lanes[key % len(self._lanes)]
        lane.queue.append((handlers, item, first))
        lane.inflight += 1
        self.inflight += 1
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
                handlers, item, first = queue.popleft()
                self.pending -= 1
                try:
                    if first is not None:
                        try:
                            await first
                        except asyncio.CancelledError:
                            raise
                        except Exception:
                            logger.exception("event handler failed")
                    for handler in handlers:
                        try:
                            result = handler(item)
                            if result is not None and inspect.isawaitable(result):
                                await result
                        except asyncio.CancelledError:
                            raise
                        except Exception:
                            logger.exception("event handler %r failed", handler)
                finally:
                    lane.inflight -= 1
                    self.inflight -= 1
            if self._closed:
                lane.task = None
                return
            lane.waiter = loop.create_future()
            await lane.waiter

    async def join(self, timeout: float) -> None:
        """Wait until every queued event has been handled (or ``timeout`` passes)."""
        async with asyncio.timeout(timeout):
            while self.inflight:
                await asyncio.sleep(0.005)

    def shutdown(self) -> None:
        """Accept no more events; workers finish what is queued, then exit."""
        self._closed = True
        self.version += 1
        for lane in self._lanes:
            waiter = lane.waiter
            if waiter is not None:
                lane.waiter = None
                if not waiter.done():
                    waiter.set_result(None)

    def close(self) -> None:
        """Stop the workers; events still queued are discarded."""
        self._closed = True
        self.version += 1
        for lane in self._lanes:
            if lane.task is not None:
                lane.task.cancel()
                lane.task = None
            queue = lane.queue
            for _, _, first in queue:
                if inspect.iscoroutine(first):
                    first.close()
            # The item being handled, if any, is counted off by its cancelled worker.
            lane.inflight -= len(queue)
            self.inflight -= len(queue)
            queue.clear()
        self.pending = 0
