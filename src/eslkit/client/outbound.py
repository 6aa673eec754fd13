"""Outbound mode: FreeSWITCH's ``socket`` application connects to us, one call per socket.

For each connection the server sends ``connect`` (never anything before it, and never
``exit`` before it), parses the channel data from the bare reply, optionally sends
``myevents`` and ``linger``, then runs the application's handler with an
:class:`OutboundSession`, the same call-control API as an inbound connection with the
channel's UUID implied.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from eslkit.client.connection import Connection, Defaults, reply_text
from eslkit.client.errors import CommandError, ESLError, NotFullSocket, Timeout
from eslkit.protocol.command import check_value
from eslkit.protocol.event import Event, EventFormat
from eslkit.protocol.frames import Frame

logger = logging.getLogger("eslkit.client")

#: The events ``myevents`` enables (spec §4.1).
MYEVENTS = frozenset(
    (
        "CHANNEL_ANSWER CHANNEL_APPLICATION CHANNEL_BRIDGE CHANNEL_CREATE CHANNEL_DATA "
        "CHANNEL_DESTROY CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP "
        "CHANNEL_HANGUP_COMPLETE CHANNEL_ORIGINATE CHANNEL_UUID CHANNEL_OUTGOING CHANNEL_PARK "
        "CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_STATE CHANNEL_UNBRIDGE CHANNEL_UNPARK "
        "DETECTED_SPEECH DTMF NOTALK TALK"
    ).split()
)

#: Command prefixes FreeSWITCH refuses on a socket without ``full`` (spec §6.2).
_NEEDS_FULL = (
    "sendevent",
    "api ",
    "bgapi ",
    "log",
    "linger",
    "nolinger",
    "nolog",
    "event",
    "nixevent",
    "noevents",
)

SessionHandler = Callable[["OutboundSession"], Awaitable[None]]


class OutboundSession(Connection):
    """One outbound socket, controlling one channel.

    Attributes set by the ``connect`` reply: ``channel_data`` (the CHANNEL_DATA event, values
    URL-decoded), ``uuid``, ``socket_mode`` (``"async"`` or ``"static"``), ``control``
    (``"full"`` or ``"single-channel"``) and ``full``. In a non-full socket, ``api``,
    ``bgapi``, ``subscribe``, ``linger`` and the other gated commands raise
    :class:`NotFullSocket` before sending.
    """

    def __init__(self, *, defaults: Defaults | None = None, handler_lanes: int = 16) -> None:
        super().__init__(defaults=defaults, handler_lanes=handler_lanes)
        self.channel_data = Event()
        self.uuid = ""
        self.socket_mode = ""
        self.control = ""
        self.full = True
        self.myevents_enabled = False
        #: Set when the server announced linger after the channel hung up.
        self.linger_notice: Frame | None = None
        self.peer: tuple[str, int] | None = None
        self._connected = False
        self.protocol.track_always()
        self._hangup_seen = asyncio.Event()

    def __repr__(self) -> str:
        return f"<OutboundSession {self.uuid or '(connecting)'} {self.socket_mode} {self.control}>"

    def _on_connect_reply(self, frame: Frame) -> None:
        data = Event.from_plain(frame.head)
        self.channel_data = data
        self.uuid = data.get("Unique-ID") or data.get("Channel-Unique-ID") or ""
        self.session_uuid = self.uuid or None
        self.socket_mode = data.get("Socket-Mode") or ""
        self.control = data.get("Control") or ""
        self.full = self.control != "single-channel"
        self._connected = True

    @property
    def hung_up(self) -> bool:
        """Whether the channel is known to have hung up (hang-up event or linger notice)."""
        return self.uuid in self.protocol.hung_up

    @property
    def hangup_event(self) -> Event | None:
        """The CHANNEL_HANGUP(_COMPLETE) event of this channel, once seen."""
        return self.protocol.hung_up.get(self.uuid)

    def _gate(self, command: str) -> None:
        if not self.full:
            lowered = command.lower()
            for word in _NEEDS_FULL:
                if lowered.startswith(word):
                    raise NotFullSocket(word.strip())

    def _target(self, uuid: str | None) -> str:
        if uuid is None or uuid == self.uuid:
            return ""
        return check_value(uuid, "uuid")

    def _may_exit(self) -> bool:
        return self._connected

    def _on_linger(self, frame: Frame) -> None:
        self.linger_notice = frame
        super()._on_linger(frame)
        self._hangup_seen.set()

    async def _subscribe_tracking(self, names: list[str], timeout: float | None) -> None:
        if set(names) <= MYEVENTS:
            if not self.myevents_enabled:
                await self.myevents(timeout=timeout)
                self._tracking.update(MYEVENTS)
            return
        await super()._subscribe_tracking(names, timeout)

    async def myevents(
        self, format: EventFormat | None = None, *, timeout: float | None = None
    ) -> None:
        """Receive this channel's events (``myevents``; works in non-full sockets too)."""
        fmt = format or self.subscription.format
        line = "myevents" if fmt == "plain" else f"myevents {fmt}"
        await self.command(line, timeout=timeout)
        self.subscription.format = fmt
        self.myevents_enabled = True
        self._update_suppress()

    def _update_suppress(self) -> None:
        super()._update_suppress()
        if self.myevents_enabled and self._suppress:
            self._suppress = self._suppress - MYEVENTS

    async def linger(self, seconds: int | None = None, *, timeout: float | None = None) -> str:
        """Keep the socket open after hang-up (forever, or ``seconds``); needs ``full``."""
        line = "linger" if seconds is None else f"linger {int(seconds)}"
        return await self.command(line, timeout=timeout)

    async def nolinger(self, *, timeout: float | None = None) -> str:
        """Turn linger off; needs ``full``."""
        return await self.command("nolinger", timeout=timeout)

    async def getvar(self, name: str, *, timeout: float | None = None) -> str | None:
        """A channel variable (``getvar``), ``None`` when unset."""
        check_value(name, "variable name")
        frame = await self.send(f"getvar {name}", timeout=timeout)
        text = reply_text(frame)
        return None if text in ("", "_undef_") else text

    async def resume(self, *, timeout: float | None = None) -> str:
        """Ask FreeSWITCH to continue the dialplan when this socket closes."""
        return await self.command("resume", timeout=timeout)

    async def wait_hangup(self, timeout: float) -> Event | None:
        """Wait until the channel hangs up (seen through myevents or the linger notice) or
        the socket closes; returns the hang-up event when one was seen."""
        try:
            async with asyncio.timeout(timeout):
                await self._hangup_seen.wait()
        except TimeoutError:
            raise Timeout(f"channel {self.uuid} still up after {timeout} s") from None
        return self.hangup_event

    def _track(self, event: Event) -> None:
        super()._track(event)
        if self.uuid in self.protocol.hung_up:
            self._hangup_seen.set()

    def _finish(self, exc: ESLError | None) -> None:
        super()._finish(exc)
        self._hangup_seen.set()


class OutboundServer:
    """The listening server returned by :func:`serve_outbound`.

    ``port`` is the bound port; ``handshake_failures`` counts calls that ended (hang-up,
    disconnect, timeout) before the handler could start; ``sessions`` are the live ones.
    """

    def __init__(self, handler: SessionHandler, options: _Options) -> None:
        self._handler = handler
        self._options = options
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.sessions: set[OutboundSession] = set()
        self.handshake_failures = 0
        self.handled = 0

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def host(self) -> str:
        """The address the server listens on."""
        assert self._server is not None
        host: str = self._server.sockets[0].getsockname()[0]
        return host

    async def _start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._new_socket, host, port)

    def _new_socket(self) -> asyncio.Protocol:
        """The protocol of an accepted socket: a new session, run once it is connected."""
        session = OutboundSession(defaults=self._options.defaults)
        return session._protocol(lambda: self._start_session(session))

    def _start_session(self, session: OutboundSession) -> None:
        socket = session._writer
        assert socket is not None
        peer = socket.transport.get_extra_info("peername")
        session.peer = (peer[0], peer[1]) if peer else None
        self.sessions.add(session)
        task = asyncio.get_running_loop().create_task(self._serve(session))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, session: OutboundSession) -> None:
        options = self._options
        try:
            try:
                async with asyncio.timeout(options.connect_timeout):
                    frame = await session._request(b"connect\n\n", options.connect_timeout)
                    if frame.content_type != "command/reply" or frame.get("Event-Name") is None:
                        raise CommandError("connect", reply_text(frame) or "unexpected reply")
                    session._on_connect_reply(frame)
                    if options.myevents:
                        await session.myevents(options.format)
                    elif options.format != "plain" and session.full:
                        session.subscription.format = options.format
                    if options.linger is not False and session.full:
                        await session.linger(None if options.linger is True else options.linger)
            except (ESLError, TimeoutError, OSError) as exc:
                self.handshake_failures += 1
                reason = exc if isinstance(exc, ESLError) else Timeout("handshake timed out")
                logger.info("outbound call ended before its handler started: %s", reason)
                return
            self.handled += 1
            try:
                await self._handler(session)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("outbound handler failed for %s", session.uuid)
        finally:
            self.sessions.discard(session)
            await session.close()

    def close(self) -> None:
        """Stop accepting calls (live sessions continue)."""
        if self._server is not None:
            self._server.close()

    async def aclose(self, timeout: float = 5.0) -> None:
        """Stop accepting, close every live session, and wait for the handlers."""
        self.close()
        # All at once: each may wait for its goodbye, and the total must stay near timeout.
        closing = [session.close(timeout=min(timeout, 2.0)) for session in list(self.sessions)]
        await asyncio.gather(*closing, return_exceptions=True)
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> OutboundServer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class _Options:
    __slots__ = ("connect_timeout", "defaults", "format", "linger", "myevents")

    def __init__(
        self,
        *,
        myevents: bool,
        linger: bool | int,
        format: EventFormat,
        connect_timeout: float,
        defaults: Defaults,
    ) -> None:
        self.myevents = myevents
        self.linger = linger
        self.format = format
        self.connect_timeout = connect_timeout
        self.defaults = defaults


async def serve_outbound(
    handler: SessionHandler,
    host: str = "127.0.0.1",
    port: int = 8084,
    *,
    myevents: bool = True,
    linger: bool | int = True,
    format: Literal["plain", "json", "xml"] = "plain",
    connect_timeout: float = 10.0,
    command_timeout: float = 30.0,
    job_timeout: float = 120.0,
    execute_timeout: float = 3600.0,
) -> OutboundServer:
    """Listen for FreeSWITCH's ``socket`` application and run ``handler(session)`` per call.

    Per connection: ``connect``; then ``myevents`` (if ``myevents``); then ``linger`` (if
    ``linger`` is ``True`` (forever) or a number of seconds, and only when the socket is
    ``full``: FreeSWITCH refuses it otherwise). A call that hangs up, disconnects or times
    out before that is counted in ``handshake_failures`` and the handler is not called.
    When the handler returns the session is closed (``exit``).
    """
    options = _Options(
        myevents=myevents,
        linger=linger,
        format=format,
        connect_timeout=connect_timeout,
        defaults=Defaults(command=command_timeout, job=job_timeout, execute=execute_timeout),
    )
    server = OutboundServer(handler, options)
    await server._start(host, port)
    return server
