"""The connection core shared by inbound connections and outbound sessions: the socket,
frame routing, event delivery (streams, handlers, ``wait_for``), one request in flight, and
the end of the connection. Commands and subscriptions are added on top by
:class:`~eslkit.client.commands.CommandConnection`, call control by
:class:`~eslkit.client.connection.Connection`.

The socket's protocol (:class:`~eslkit.client.transport.Receiver`, no ``StreamReader`` in
between) turns each read into frames (``FrameReader``; plain events straight into lazy
:class:`Event` objects) and routes them, in order:

- ``command/reply`` and ``api/response`` go to the oldest waiting command, first, before and
  independently of event delivery. Exactly one command is in flight: callers queue on a FIFO
  lock held until the reply arrives. Who gets which reply, job result, execution result or
  awaited event is decided by the connection's I/O-free
  :class:`~eslkit.client.protocol.ClientProtocol`.
- events first resolve the client's own waiters (``bgapi`` jobs by ``Job-UUID``, ``execute``
  by ``Application-UUID`` or hang-up, ``wait_for``), then go to the bounded event streams and
  to the handler dispatcher. Coroutine handlers never run in the reader (they run on the
  dispatcher's lanes, so an ``await`` in one never delays reading); a plain-function handler
  is called by the reader itself when nothing of its channel is queued on the lanes, which
  keeps per-``Unique-ID`` order (see :class:`~eslkit.client.dispatch.Dispatcher`).
- a ``text/disconnect-notice`` with a body and no ``Content-Disposition: linger`` (or EOF)
  ends the connection: every pending call fails at once with :class:`Disconnected`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from eslkit.client.dispatch import Dispatcher, EventStream, Handler, InlineRoute, Overflow
from eslkit.client.errors import (
    AuthenticationError,
    CommandError,
    Disconnected,
    ESLError,
    EventOverflow,
    PermissionDenied,
    Timeout,
)
from eslkit.client.protocol import ClientProtocol
from eslkit.client.subscription import Subscription
from eslkit.client.transport import Receiver
from eslkit.protocol.command import describe
from eslkit.protocol.errors import EventFormatError, ProtocolError
from eslkit.protocol.event import Event
from eslkit.protocol.frames import Frame, FrameReader

logger = logging.getLogger("eslkit.client")


@dataclass(slots=True)
class Defaults:
    """Default timeouts (seconds) of a connection's calls."""

    #: ``api``, ``send`` and other commands: queueing plus the reply.
    command: float = 30.0
    #: ``bgapi``: until the BACKGROUND_JOB arrives.
    job: float = 120.0
    #: ``execute(wait=True)``: until CHANNEL_EXECUTE_COMPLETE.
    execute: float = 3600.0


class ConnectionCore:
    """What inbound connections and outbound sessions share: socket, events, requests.

    Not created directly: use :func:`eslkit.connect` or :func:`eslkit.serve_outbound`.
    """

    def __init__(
        self,
        *,
        defaults: Defaults | None = None,
        handler_lanes: int = 16,
        max_pending_handlers: int = 100_000,
    ) -> None:
        self.defaults = defaults or Defaults()
        self.dispatcher = Dispatcher(lanes=handler_lanes, max_pending=max_pending_handlers)
        #: The declarative subscription, re-applied after a reconnect.
        self.subscription = Subscription()
        #: Events received (all of them, before suppression and stream policies).
        self.events_received = 0
        #: Frames that could not be parsed as events (dropped and logged).
        self.bad_events = 0
        #: Who gets which reply, job, execution and awaited event (I/O-free).
        self.protocol = ClientProtocol()
        self._writer: Receiver | None = None
        #: Resolved when the current socket's reading ends (EOF, disconnect, error, close).
        self._reader_done: asyncio.Future[None] | None = None
        self._lock = asyncio.Lock()
        self._track_lock = asyncio.Lock()
        self._tracking: set[str] = set()
        self._suppress: frozenset[str] = frozenset()
        self._streams: list[EventStream] = []
        self._inline: InlineRoute = (b"", None, -1)
        self._log_handlers: list[Callable[[Frame], object]] = []
        self._greeting: asyncio.Future[Frame] | None = None
        self._user_closed = False
        self._finished = False
        self._error: ESLError | None = None
        #: Monotonic time of the last bytes received.
        self.last_received = 0.0
        self._done = asyncio.Event()

    @property
    def session_uuid(self) -> str | None:
        """The controlled channel's UUID on an outbound socket (``None`` inbound)."""
        return self.protocol.session_uuid

    @session_uuid.setter
    def session_uuid(self, value: str | None) -> None:
        self.protocol.session_uuid = value

    @property
    def late_replies(self) -> int:
        """Replies that arrived after their caller had timed out (dropped)."""
        return self.protocol.late_replies

    # ----------------------------------------------------------------- transport
    def _attach(self, socket: Receiver) -> None:
        """Start using a freshly opened socket (called by its protocol's ``connection_made``).

        The bytes go straight from the transport to the frame reader (:class:`Receiver` is
        the socket's protocol, no ``StreamReader`` in between: that would copy every byte
        twice and wake a task per read).
        """
        self._writer = socket
        self.protocol.new_socket()
        self._reader_done = asyncio.get_running_loop().create_future()

    def _protocol(self, on_made: Callable[[], None] | None = None) -> asyncio.Protocol:
        """A protocol for ``loop.create_connection`` or a server's protocol factory: once
        connected, the socket is this connection's, then ``on_made()`` is called."""
        return Receiver(self, asyncio.get_running_loop(), on_made)

    @property
    def connected(self) -> bool:
        """Whether the socket is open (and not being closed)."""
        return self._writer is not None

    @property
    def closed(self) -> bool:
        """Whether the connection has ended for good (no reconnect will follow)."""
        return self._finished

    def _received(self, socket: Receiver, frames: FrameReader, data: bytes) -> None:
        """Route every complete frame of ``data`` (called by the transport, never blocks)."""
        try:
            frames.feed(data)
            items = frames.frames_or_event_bodies()
        except ProtocolError as exc:
            logger.warning("closing the connection: the server broke the framing: %s", exc)
            self._connection_lost(exc)
            return
        from_plain = Event.from_plain
        protocol = self.protocol
        dispatcher = self.dispatcher
        streams = self._streams
        # The handlers of the last event name seen (see Dispatcher.inline_route).
        prefix, handlers, version = self._inline
        for item in items:
            if type(item) is not bytes:
                assert isinstance(item, Frame)
                if self._on_frame(item, item.content_type) or self._writer is not socket:
                    return
                continue
            # _on_event, inlined for the events that matter most: keep the two the same.
            event = from_plain(item)
            self.events_received += 1
            if protocol.tracking_active:
                self._track(event)
            suppress = self._suppress
            if not suppress or event.get("Event-Name") not in suppress:
                if streams:
                    for stream in streams:
                        if not stream.push(event):
                            self._overflow(stream)
                if dispatcher.active:
                    if version != dispatcher.version or not item.startswith(prefix):
                        prefix, handlers, version = self._inline = dispatcher.inline_route(
                            item, event
                        )
                    if handlers is None or dispatcher.inflight:
                        dispatcher.dispatch(event)
                    elif handlers:
                        dispatcher.call(handlers, event)
            if self._writer is not socket:
                return  # an overflow policy or a handler dropped the connection

    def _on_frame(self, frame: Frame, content_type: str | None) -> bool:
        """Route a frame other than a plain event. Returns ``True`` when it ends the stream."""
        if content_type == "command/reply" or content_type == "api/response":
            self.protocol.reply(frame)
            return False
        if content_type == "text/event-json" or content_type == "text/event-xml":
            body = frame.body or b""
            try:
                if content_type == "text/event-json":
                    event = Event.from_json(body)
                else:
                    event = Event.from_xml(body)
            except EventFormatError as exc:
                self.bad_events += 1
                logger.warning("dropping an event that cannot be parsed: %s", exc)
                return False
            self._on_event(event)
            return False
        if content_type == "text/disconnect-notice":
            if (frame.get("Content-Disposition") or "").lower() == "linger":
                self._on_linger(frame)
                return False
            if frame.body:
                text = frame.body.decode("utf-8", "replace").strip()
                self._connection_lost(Disconnected(f"the server disconnected: {text}"))
                return True
            return False
        if content_type == "auth/request":
            greeting = self._greeting
            if greeting is not None and not greeting.done():
                greeting.set_result(frame)
            return False
        if content_type == "text/rude-rejection":
            error = AuthenticationError("access denied by the server's ACL (text/rude-rejection)")
            greeting = self._greeting
            if greeting is not None and not greeting.done():
                greeting.set_exception(error)
            self._connection_lost(Disconnected(str(error)))
            return True
        if content_type == "log/data":
            handlers = tuple(self._log_handlers)
            if handlers:
                self.dispatcher.submit(handlers, frame)
            return False
        logger.debug("ignoring a frame of type %r", content_type)
        return False

    def _on_linger(self, frame: Frame) -> None:
        """The controlled channel hung up and the socket lingers (not fatal)."""
        channel = frame.get("Controlled-Session-UUID") or self.session_uuid
        if channel:
            self.protocol.lingering(channel)

    # ----------------------------------------------------------------- events
    def _on_event(self, event: Event) -> None:
        # (Inlined in _received for plain events: keep the two the same.)
        self.events_received += 1
        if self.protocol.tracking_active:
            self._track(event)
        suppress = self._suppress
        if suppress and event.get("Event-Name") in suppress:
            return
        for stream in self._streams:
            if not stream.push(event):
                self._overflow(stream)
        if self.dispatcher.active:
            self.dispatcher.dispatch(event)

    def _track(self, event: Event) -> None:
        """Resolve the waiters ``event`` answers (only while the protocol tracks)."""
        self.protocol.track(event)

    def _overflow(self, stream: EventStream) -> None:
        logger.warning("an event stream overflowed with overflow='disconnect': disconnecting")
        self._remove_stream(stream)
        error = EventOverflow("event stream overflow (overflow='disconnect')")
        stream.finish(error)
        self._connection_lost(error)

    def events(
        self, *, maxsize: int = 10_000, overflow: str | Overflow = "drop_oldest"
    ) -> EventStream:
        """A new bounded stream of every event this connection receives from now on.

        ``overflow`` is ``"drop_oldest"``, ``"drop_newest"`` or ``"disconnect"`` (drop the
        connection, like FreeSWITCH does to a slow listener). Close it (or leave its
        ``async with``) to stop receiving. Counters: ``received``, ``dropped``.
        """
        stream = EventStream(maxsize, Overflow(overflow), self._remove_stream)
        if self._finished:
            stream.finish(self._error)
        else:
            self._streams.append(stream)
        return stream

    def _remove_stream(self, stream: EventStream) -> None:
        if stream in self._streams:
            self._streams.remove(stream)

    def on(self, name: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler(event)`` (sync or async) for each event called ``name``.

        ``name`` is an event name (``"CHANNEL_ANSWER"``), a CUSTOM subclass (``"my::sub"`` or
        ``"CUSTOM my::sub"``) or ``"*"``. Handlers see events in order per channel
        (``Unique-ID``): an ``async def`` handler runs on a worker lane, so an ``await`` in it
        never delays reading; a plain function is called as soon as the event is read unless
        earlier events of its channel are still queued. Exceptions are logged. Returns a
        function that removes the handler.
        """
        return self.dispatcher.add(name, handler)

    def off(self, name: str, handler: Handler) -> None:
        """Remove a handler added with :meth:`on`."""
        self.dispatcher.remove(name, handler)

    def on_log(self, handler: Callable[[Frame], object]) -> None:
        """Call ``handler(frame)`` for each ``log/data`` frame (after ``log <level>``)."""
        self._log_handlers.append(handler)

    async def wait_for(
        self,
        name: str | None = None,
        predicate: Callable[[Event], bool] | None = None,
        *,
        timeout: float,
    ) -> Event:
        """The next event called ``name`` (any if ``None``) for which ``predicate`` holds.

        Resolved by the reader, so it is safe to call from a handler. The event must be
        subscribed.
        """
        self._ensure_open()
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        waiter = self.protocol.add_waiter(future, name, predicate)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise Timeout(f"no {name or 'event'} within {timeout} s") from None
        finally:
            self.protocol.drop_waiter(waiter)

    # ----------------------------------------------------------------- requests
    def _ensure_open(self) -> Receiver:
        writer = self._writer
        if writer is None:
            error = self._error
            if isinstance(error, AuthenticationError):
                raise AuthenticationError(str(error))
            raise Disconnected(f"not connected ({error})" if error else "not connected")
        return writer

    async def _request(self, data: bytes, timeout: float | None) -> Frame:
        """Send one command packet and return its reply frame (one command in flight)."""
        if timeout is None:
            timeout = self.defaults.command
        try:
            async with asyncio.timeout(timeout):
                async with self._lock:
                    writer = self._ensure_open()
                    future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
                    self.protocol.expect_reply(future)
                    try:
                        writer.write(data)
                        await writer.drain()
                        return await future
                    finally:
                        # An abandoned slot stays (its late reply is dropped), settled so
                        # that failing it later leaves no unretrieved exception behind.
                        if not future.done():
                            future.cancel()
                        elif not future.cancelled():
                            future.exception()
        except TimeoutError as exc:
            if isinstance(exc, ESLError):
                raise
            raise Timeout(f"no reply to {describe(data)!r} within {timeout} s") from None
        except (ConnectionError, OSError) as exc:
            if isinstance(exc, ESLError):
                raise
            raise Disconnected(f"connection lost: {exc}") from None

    # ----------------------------------------------------------------- shutdown
    def _connection_lost(self, error: BaseException | None) -> None:
        """The socket is gone: fail everything pending, then finish or reconnect."""
        writer = self._writer
        if writer is None:
            return
        self._writer = None
        writer.transport.abort()
        done = self._reader_done
        if done is not None and not done.done():
            done.set_result(None)
        if isinstance(error, Disconnected):
            exc = error
        elif self._user_closed:
            exc = Disconnected("the connection was closed")
        elif error is None:
            exc = Disconnected("the server closed the connection")
        else:
            exc = Disconnected(f"connection lost: {error}")
        self._fail_pending(exc)
        self._after_lost(exc)

    def _fail_pending(self, exc: Disconnected) -> None:
        self.protocol.fail_all(exc)
        greeting = self._greeting
        if greeting is not None and not greeting.done():
            greeting.set_exception(exc)

    def _after_lost(self, exc: Disconnected) -> None:
        """Called once the socket is gone; the inbound connection may reconnect instead."""
        self._finish(exc)

    @property
    def error(self) -> ESLError | None:
        """Why the connection ended (``None`` while it is alive)."""
        return self._error if self._finished else None

    def _finish(self, exc: ESLError | None) -> None:
        if self._finished:
            return
        self._finished = True
        self._error = exc if exc is not None else Disconnected("the connection was closed")
        stream_error = None if self._user_closed else exc
        for stream in list(self._streams):
            stream.finish(stream_error)
        self._streams.clear()
        self.dispatcher.shutdown()
        self._done.set()

    async def wait_closed(self, timeout: float | None = None) -> None:
        """Wait until the connection has ended for good; :class:`Timeout` after ``timeout``
        seconds (``None``: no limit)."""
        try:
            async with asyncio.timeout(timeout):
                await self._done.wait()
        except TimeoutError:
            raise Timeout(f"the connection is still open after {timeout} s") from None

    async def close(self, timeout: float = 2.0) -> None:
        """Send ``exit`` (when connected), wait briefly for the goodbye, then close."""
        if self._user_closed and self._finished:
            return
        self._user_closed = True
        await self._before_close()
        writer = self._writer
        if writer is not None and self._may_exit():
            try:
                await self._request(b"exit\n\n", timeout)
                done = self._reader_done
                if done is not None:
                    await asyncio.wait_for(asyncio.shield(done), timeout)
            except (ESLError, TimeoutError, OSError):
                pass
        self._connection_lost(None)
        self._finish(None)

    async def _before_close(self) -> None:
        """Hook run by :meth:`close` before ``exit`` (the inbound client stops reconnecting)."""

    def _may_exit(self) -> bool:
        return True

    async def __aenter__(self) -> ConnectionCore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def reply_text(frame: Frame) -> str:
    """The ``Reply-Text`` of a command reply (or the body of an ``api/response``)."""
    if frame.content_type == "api/response":
        return (frame.body or b"").decode("utf-8", "surrogateescape")
    return frame.get("Reply-Text") or ""


def _checked(command: str, frame: Frame) -> str:
    """The reply text; raises for ``-ERR …``."""
    text = reply_text(frame)
    if text.startswith("-ERR"):
        if "permission denied" in text:
            raise PermissionDenied(command, text)
        raise CommandError(command, text)
    return text
