"""The connection core shared by inbound connections and outbound sessions.

The socket's protocol (:class:`_Receiver`, no ``StreamReader`` in between) turns each read
into frames (``FrameReader``; plain events straight into lazy :class:`Event` objects) and
routes them, in order:

- ``command/reply`` and ``api/response`` go to the oldest waiting command, first, before and
  independently of event delivery. Exactly one command is in flight: callers queue on a FIFO
  lock held until the reply arrives. A caller that times out leaves its reply slot behind, so
  the late reply is consumed and dropped instead of being given to the next caller.
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
import uuid as uuidlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from eslkit.client.dispatch import Dispatcher, EventStream, Handler, InlineRoute, Overflow
from eslkit.client.errors import (
    AuthenticationError,
    ChannelHangup,
    CommandError,
    Disconnected,
    ESLError,
    EventOverflow,
    PermissionDenied,
    Timeout,
)
from eslkit.client.subscription import FORMATS, Subscription
from eslkit.client.wire import build_command, check_value, describe
from eslkit.protocol.errors import EventFormatError, ProtocolError
from eslkit.protocol.event import Event, EventFormat
from eslkit.protocol.frames import Frame, FrameReader

logger = logging.getLogger("eslkit.client")

READ_SIZE = 256 * 1024
#: Events the client needs to track ``execute`` (completion, and hang-up to fail early).
EXECUTE_EVENTS = ("CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE")
_HANGUP_EVENTS = ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE")
#: An ``execute-app-arg`` longer than this (in bytes) is sent as a ``text/plain`` body.
LONG_ARG = 1024


@dataclass(slots=True)
class Defaults:
    """Default timeouts (seconds) of a connection's calls."""

    #: ``api``, ``send`` and other commands: queueing plus the reply.
    command: float = 30.0
    #: ``bgapi``: until the BACKGROUND_JOB arrives.
    job: float = 120.0
    #: ``execute(wait=True)``: until CHANNEL_EXECUTE_COMPLETE.
    execute: float = 3600.0


@dataclass(slots=True)
class _Execution:
    future: asyncio.Future[Event]
    channel: str


@dataclass(slots=True)
class _Waiter:
    future: asyncio.Future[Event]
    name: str | None
    predicate: Callable[[Event], bool] | None


class Connection:
    """What inbound connections and outbound sessions share: commands, events, call control.

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
        #: Replies that arrived after their caller had timed out (dropped).
        self.late_replies = 0
        #: Frames that could not be parsed as events (dropped and logged).
        self.bad_events = 0
        self.session_uuid: str | None = None
        self._writer: _Receiver | None = None
        #: Resolved when the current socket's reading ends (EOF, disconnect, error, close).
        self._reader_done: asyncio.Future[None] | None = None
        self._slots: deque[asyncio.Future[Frame]] = deque()
        self._lock = asyncio.Lock()
        self._track_lock = asyncio.Lock()
        self._jobs: dict[str, asyncio.Future[Event]] = {}
        self._executions: dict[str, _Execution] = {}
        self._by_channel: dict[str, set[str]] = {}
        self._waiters: list[_Waiter] = []
        self._tracking_active = False
        #: Outbound sessions watch their channel's hang-up even with nothing pending.
        self._always_track = False
        self._tracking: set[str] = set()
        self._suppress: frozenset[str] = frozenset()
        self._streams: list[EventStream] = []
        self._inline: InlineRoute = (b"", None, -1)
        self._log_handlers: list[Callable[[Frame], object]] = []
        self._greeting: asyncio.Future[Frame] | None = None
        self._hung_up: dict[str, Event | None] = {}
        self._user_closed = False
        self._finished = False
        self._error: ESLError | None = None
        #: Monotonic time of the last bytes received.
        self.last_received = 0.0
        self._done = asyncio.Event()

    # ----------------------------------------------------------------- transport
    def _attach(self, socket: _Receiver) -> None:
        """Start using a freshly opened socket (called by its protocol's ``connection_made``).

        The bytes go straight from the transport to the frame reader (:class:`_Receiver` is
        the socket's protocol, no ``StreamReader`` in between: that would copy every byte
        twice and wake a task per read).
        """
        self._writer = socket
        self._slots = deque()
        self._reader_done = asyncio.get_running_loop().create_future()

    def _protocol(self, on_made: Callable[[], None] | None = None) -> asyncio.Protocol:
        """A protocol for ``loop.create_connection`` or a server's protocol factory: once
        connected, the socket is this connection's, then ``on_made()`` is called."""
        return _Receiver(self, asyncio.get_running_loop(), on_made)

    @property
    def connected(self) -> bool:
        """Whether the socket is open (and not being closed)."""
        return self._writer is not None

    @property
    def closed(self) -> bool:
        """Whether the connection has ended for good (no reconnect will follow)."""
        return self._finished

    def _received(self, socket: _Receiver, frames: FrameReader, data: bytes) -> None:
        """Route every complete frame of ``data`` (called by the transport, never blocks)."""
        try:
            frames.feed(data)
            items = frames.frames_or_event_bodies()
        except ProtocolError as exc:
            logger.warning("closing the connection: the server broke the framing: %s", exc)
            self._connection_lost(exc)
            return
        from_plain = Event.from_plain
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
            if self._tracking_active:
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
            slots = self._slots
            if slots:
                future = slots.popleft()
                if future.done():
                    self.late_replies += 1
                else:
                    future.set_result(frame)
            else:
                logger.debug("dropping a reply nobody waits for: %r", frame)
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
            self._hung_up.setdefault(channel, None)
            self._fail_channel(channel, None)

    # ----------------------------------------------------------------- events
    def _on_event(self, event: Event) -> None:
        # (Inlined in _received for plain events: keep the two the same.)
        self.events_received += 1
        if self._tracking_active:
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
        name = event.get("Event-Name")
        if name == "BACKGROUND_JOB":
            if self._jobs:
                job = event.get("Job-UUID")
                owner = event.get("Job-Owner-UUID")
                if job is not None and (
                    owner is None or self.session_uuid is None or owner == self.session_uuid
                ):
                    future = self._jobs.pop(job, None)
                    if future is not None and not future.done():
                        future.set_result(event)
        elif name == "CHANNEL_EXECUTE_COMPLETE":
            if self._executions:
                app = event.get("Application-UUID")
                execution = self._executions.pop(app, None) if app else None
                if execution is not None and not execution.future.done():
                    execution.future.set_result(event)
        elif name in _HANGUP_EVENTS:
            channel = event.get("Unique-ID")
            if channel is not None:
                if channel == self.session_uuid:
                    self._hung_up[channel] = event
                if channel in self._by_channel:
                    self._fail_channel(channel, event)
        if self._waiters:
            for waiter in list(self._waiters):
                if (waiter.name is None or waiter.name == name) and (
                    waiter.predicate is None or waiter.predicate(event)
                ):
                    self._waiters.remove(waiter)
                    if not waiter.future.done():
                        waiter.future.set_result(event)
        self._update_tracking()

    def _fail_channel(self, channel: str, event: Event | None) -> None:
        for app in self._by_channel.pop(channel, ()):
            execution = self._executions.pop(app, None)
            if execution is not None and not execution.future.done():
                execution.future.set_exception(ChannelHangup(channel, event))
        self._update_tracking()

    def _update_tracking(self) -> None:
        self._tracking_active = bool(
            self._jobs or self._executions or self._waiters or self._always_track
        )

    def _update_suppress(self) -> None:
        subscription = self.subscription
        if "ALL" in subscription.events:
            self._suppress = frozenset()
        else:
            self._suppress = frozenset(self._tracking.difference(subscription.events))

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
        waiter = _Waiter(future, name, predicate)
        self._waiters.append(waiter)
        self._update_tracking()
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise Timeout(f"no {name or 'event'} within {timeout} s") from None
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            self._update_tracking()

    # ----------------------------------------------------------------- commands
    def _ensure_open(self) -> _Receiver:
        writer = self._writer
        if writer is None:
            error = self._error
            if isinstance(error, AuthenticationError):
                raise AuthenticationError(str(error))
            raise Disconnected(f"not connected ({error})" if error else "not connected")
        return writer

    def _gate(self, command: str) -> None:
        """Refuse commands this kind of connection cannot run (outbound non-full)."""

    async def _request(self, data: bytes, timeout: float | None) -> Frame:
        """Send one command packet and return its reply frame (one command in flight)."""
        if timeout is None:
            timeout = self.defaults.command
        try:
            async with asyncio.timeout(timeout):
                async with self._lock:
                    writer = self._ensure_open()
                    future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
                    self._slots.append(future)
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

    async def send(
        self,
        command: str,
        headers: Iterable[tuple[str, str]] = (),
        body: str | bytes | None = None,
        *,
        timeout: float | None = None,
    ) -> Frame:
        """Send any command (one line, optional headers and body) and return the reply frame.

        The reply is not checked; see :func:`reply_text`. CR/LF/NUL in the line or a header
        raise :class:`~eslkit.client.errors.UnsafeValue` before anything is sent.
        """
        check_value(command, "command")
        self._gate(command)
        return await self._request(build_command(command, headers, body), timeout)

    async def command(
        self,
        command: str,
        headers: Iterable[tuple[str, str]] = (),
        body: str | bytes | None = None,
        *,
        timeout: float | None = None,
    ) -> str:
        """Send a command whose reply is ``+OK …`` and return the reply text.

        Raises :class:`PermissionDenied` or :class:`CommandError` for ``-ERR …``.
        """
        frame = await self.send(command, headers, body, timeout=timeout)
        return _checked(command, frame)

    async def api(self, command: str, *, timeout: float | None = None, check: bool = True) -> str:
        """Run ``api <command>`` and return the response body (as sent, newline included).

        With ``check=True`` (the default) a body starting with ``-ERR`` or ``-USAGE`` raises
        :class:`CommandError` (its ``reply`` is the body); with ``check=False`` it is
        returned. A refusal outside the body (``-ERR permission denied``, non-full outbound)
        always raises.
        """
        check_value(command, "api command")
        self._gate(f"api {command}")
        frame = await self._request(build_command(f"api {command}"), timeout)
        name = "api " + command.split(" ", 1)[0]
        if frame.content_type != "api/response":
            _checked(name, frame)
            return reply_text(frame)
        body = (frame.body or b"").decode("utf-8", "surrogateescape")
        if check and (body.startswith("-ERR") or body.startswith("-USAGE")):
            raise CommandError(name, body)
        return body

    async def bgapi(self, command: str, *, timeout: float | None = None, check: bool = True) -> str:
        """Run ``bgapi <command>`` and return the job's result (the BACKGROUND_JOB body).

        The client generates the ``Job-UUID`` and registers it before sending, and makes sure
        BACKGROUND_JOB is subscribed (see :meth:`_ensure_events`). ``timeout`` (default
        ``defaults.job``) covers the whole job. ``check`` is as for :meth:`api`.
        BACKGROUND_JOB means the command returned, not that its side effects are visible.
        """
        check_value(command, "bgapi command")
        self._gate(f"bgapi {command}")
        if timeout is None:
            timeout = self.defaults.job
        name = "bgapi " + command.split(" ", 1)[0]
        job = str(uuidlib.uuid4())
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Event] = loop.create_future()
        try:
            async with asyncio.timeout(timeout):
                await self._ensure_events(("BACKGROUND_JOB",), timeout)
                self._jobs[job] = future
                self._update_tracking()
                frame = await self._request(
                    build_command(f"bgapi {command}", [("Job-UUID", job)]), timeout
                )
                text = _checked(name, frame)
                granted = frame.get("Job-UUID") or text.rpartition(" ")[2]
                if granted and granted != job:
                    # A server that ignores our Job-UUID: follow the one it chose.
                    self._jobs.pop(job, None)
                    job = granted
                    self._jobs[job] = future
                event = await future
        except TimeoutError as exc:
            if isinstance(exc, ESLError):
                raise
            raise Timeout(f"{name}: no result within {timeout} s") from None
        finally:
            self._jobs.pop(job, None)
            self._update_tracking()
        body = event.body or ""
        if check and (body.startswith("-ERR") or body.startswith("-USAGE")):
            raise CommandError(name, body)
        return body

    # ----------------------------------------------------------------- subscriptions
    async def subscribe(
        self,
        *names: str,
        format: EventFormat | None = None,
        timeout: float | None = None,
    ) -> None:
        """Subscribe to events (they accumulate): ``subscribe("CHANNEL_ANSWER",
        "CUSTOM my::sub")``. ``format`` (plain, json, xml) applies to the whole connection."""
        self._gate("event")
        subscription = self.subscription.copy()
        subscription.add(*names)
        if format is not None:
            if format not in FORMATS:
                raise ValueError(f"format must be one of {FORMATS}")
            subscription.format = format
        line = subscription.event_command(sorted(self._tracking))
        if line is None:
            raise ValueError("nothing to subscribe to")
        await self.command(line, timeout=timeout)
        subscription.filters = self.subscription.filters
        self.subscription = subscription
        self._update_suppress()

    async def filter(self, header: str, value: str, *, timeout: float | None = None) -> None:
        """Add a server-side filter (``filter <header> <value>``); kept in the subscription."""
        check_value(header, "filter header")
        check_value(value, "filter value")
        if not header or " " in header:
            raise ValueError(f"invalid filter header {header!r}")
        await self.command(f"filter {header} {value}", timeout=timeout)
        self.subscription.filters.append((header, value))

    async def filter_delete(
        self, header: str, value: str | None = None, *, timeout: float | None = None
    ) -> None:
        """Delete filters on ``header`` (with ``value``, or all of them); ``"all"`` clears."""
        line = f"filter delete {header}" + ("" if value is None else f" {value}")
        await self.command(line, timeout=timeout)
        filters = self.subscription.filters
        if header.lower() == "all" and value is None:
            filters.clear()
        else:
            filters[:] = [
                (h, v)
                for h, v in filters
                if not (h.lower() == header.lower() and (value is None or v == value))
            ]

    async def apply(self, subscription: Subscription, *, timeout: float | None = None) -> None:
        """Send ``subscription`` (events, format, filters) and make it this connection's."""
        for line in subscription.commands(sorted(self._tracking)):
            await self.command(line, timeout=timeout)
        self.subscription = subscription.copy()
        self._update_suppress()

    async def _ensure_events(self, names: Iterable[str], timeout: float | None) -> None:
        """Make sure the events the client itself needs are subscribed.

        Missing ones are added with an extra ``event`` command in the connection's current
        format and remembered as *tracking* events: they are part of every re-applied
        subscription, and when the user did not subscribe them they are used internally only
        (not delivered to handlers or streams).
        """
        missing = [n for n in names if n not in self._tracking and not self.subscription.covers(n)]
        if not missing:
            return
        async with self._track_lock:
            missing = [
                n for n in names if n not in self._tracking and not self.subscription.covers(n)
            ]
            if missing:
                await self._subscribe_tracking(missing, timeout)
                self._tracking.update(missing)
                self._update_suppress()

    async def _subscribe_tracking(self, names: list[str], timeout: float | None) -> None:
        line = f"event {self.subscription.format} " + " ".join(names)
        await self.command(line, timeout=timeout)

    # ----------------------------------------------------------------- call control
    def _target(self, uuid: str | None) -> str:
        if uuid is None:
            raise ValueError("uuid is required on an inbound connection")
        return check_value(uuid, "uuid")

    async def sendmsg(
        self,
        headers: Iterable[tuple[str, str]],
        body: str | bytes | None = None,
        *,
        uuid: str | None = None,
        timeout: float | None = None,
    ) -> str:
        """Send ``sendmsg <uuid>`` with ``headers`` (and a body); returns the ``+OK`` text."""
        target = self._target(uuid)
        line = f"sendmsg {target}" if target else "sendmsg"
        return await self.command(line, headers, body, timeout=timeout)

    async def execute(
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
        """Execute a dialplan application on a channel.

        Sends ``sendmsg`` with ``call-command: execute`` and a fresh ``Event-UUID``. A
        multi-line or long ``arg`` goes as a ``text/plain`` body with a byte-accurate
        ``content-length``. With ``wait=True`` it returns the CHANNEL_EXECUTE_COMPLETE event
        whose ``Application-UUID`` matches, and raises :class:`ChannelHangup` if the channel
        hangs up first, :class:`Disconnected` or :class:`Timeout` (default
        ``defaults.execute``; some apps, such as ``conference``, never complete).
        """
        check_value(app, "application name")
        if not app or " " in app:
            raise ValueError(f"invalid application name {app!r}")
        target = self._target(uuid)
        channel = target or self.session_uuid or ""
        if timeout is None:
            timeout = self.defaults.execute if wait else self.defaults.command
        app_uuid = str(uuidlib.uuid4())
        headers = [("call-command", "execute"), ("execute-app-name", app)]
        body: str | None = None
        if arg:
            if "\n" in arg or "\r" in arg or len(arg.encode("utf-8", "surrogateescape")) > LONG_ARG:
                body = arg
            else:
                headers.append(("execute-app-arg", arg))
        if loops is not None:
            headers.append(("loops", str(int(loops))))
        if event_lock:
            headers.append(("event-lock", "true"))
        if async_:
            headers.append(("async", "true"))
        headers.append(("Event-UUID", app_uuid))
        if body is not None:
            headers.append(("content-type", "text/plain"))
        line = f"sendmsg {target}" if target else "sendmsg"
        data = build_command(line, headers, body)
        if not wait:
            _checked(f"execute {app}", await self._request(data, timeout))
            return None
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(timeout):
                await self._ensure_events(EXECUTE_EVENTS, timeout)
                if channel in self._hung_up:
                    raise ChannelHangup(channel, self._hung_up[channel])
                self._executions[app_uuid] = _Execution(future, channel)
                self._by_channel.setdefault(channel, set()).add(app_uuid)
                self._update_tracking()
                _checked(f"execute {app}", await self._request(data, timeout))
                return await future
        except TimeoutError as exc:
            if isinstance(exc, ESLError):
                raise
            raise Timeout(f"execute {app}: not complete within {timeout} s") from None
        finally:
            self._executions.pop(app_uuid, None)
            apps = self._by_channel.get(channel)
            if apps is not None:
                apps.discard(app_uuid)
                if not apps:
                    del self._by_channel[channel]
            self._update_tracking()

    async def answer(self, *, uuid: str | None = None, timeout: float | None = None) -> Event:
        """Execute ``answer`` and wait for it to complete."""
        return await self._run("answer", None, uuid, timeout)

    async def hangup(
        self,
        cause: str = "NORMAL_CLEARING",
        *,
        uuid: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """Hang the channel up (``call-command: hangup``); returns once the server accepted."""
        check_value(cause, "hangup cause")
        await self.sendmsg(
            [("call-command", "hangup"), ("hangup-cause", cause)], uuid=uuid, timeout=timeout
        )

    async def playback(
        self, path: str, *, uuid: str | None = None, timeout: float | None = None
    ) -> Event:
        """Execute ``playback <path>`` and wait for it to complete."""
        return await self._run("playback", path, uuid, timeout)

    async def bridge(
        self, dialstring: str, *, uuid: str | None = None, timeout: float | None = None
    ) -> Event:
        """Execute ``bridge <dialstring>`` and wait until the bridge ends."""
        return await self._run("bridge", dialstring, uuid, timeout)

    async def set(
        self, name: str, value: str, *, uuid: str | None = None, timeout: float | None = None
    ) -> Event:
        """Execute ``set <name>=<value>`` (a channel variable)."""
        return await self._run("set", f"{name}={value}", uuid, timeout)

    async def play_and_get_digits(
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
        """Execute ``play_and_get_digits`` and return the digits (``None`` if none).

        The digits are read from ``variable_<var_name>`` of the CHANNEL_EXECUTE_COMPLETE
        event, which carries the channel's variables.
        """
        parts = [
            str(min_digits),
            str(max_digits),
            str(tries),
            str(timeout_ms),
            terminators,
            file,
            invalid_file,
            var_name,
            regexp,
        ]
        if digit_timeout_ms is not None:
            parts.append(str(digit_timeout_ms))
        event = await self._run("play_and_get_digits", " ".join(parts), uuid, timeout)
        return event.get(f"variable_{var_name}") or None

    async def _run(
        self, app: str, arg: str | None, uuid: str | None, timeout: float | None
    ) -> Event:
        event = await self.execute(app, arg, uuid=uuid, timeout=timeout)
        assert event is not None
        return event

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
        slots, self._slots = self._slots, deque()
        for future in slots:
            if not future.done():
                future.set_exception(exc)
        greeting = self._greeting
        if greeting is not None and not greeting.done():
            greeting.set_exception(exc)
        jobs, self._jobs = self._jobs, {}
        for job in jobs.values():
            if not job.done():
                job.set_exception(exc)
        executions, self._executions = self._executions, {}
        self._by_channel = {}
        for execution in executions.values():
            if not execution.future.done():
                execution.future.set_exception(exc)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.future.done():
                waiter.future.set_exception(exc)
        self._update_tracking()

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

    async def __aenter__(self) -> Connection:
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


class _Receiver(asyncio.Protocol):
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
        connection: Connection,
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
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
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
