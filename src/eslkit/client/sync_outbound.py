"""The blocking outbound server: FreeSWITCH's ``socket`` application connects, and each call's
handler runs in a thread of its own.

:func:`serve_outbound` runs the asyncio outbound server on the shared portal's loop and each
call's handler in a thread of its own (bounded by ``max_sessions``), with a
:class:`SyncOutboundSession`: the methods of :class:`~eslkit.client.sync.SyncConnection`
for that channel, plus the outbound ones (generated from
:class:`~eslkit.client.outbound.OutboundSession` like the others).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

from eslkit.client.errors import Disconnected, Timeout
from eslkit.client.outbound import OutboundServer, OutboundSession
from eslkit.client.outbound import serve_outbound as async_serve_outbound
from eslkit.client.portal import MARGIN, Portal, blocking
from eslkit.client.sync import SyncCalls, command_timeout
from eslkit.protocol.event import Event

logger = logging.getLogger("eslkit.client")

SyncSessionHandler = Callable[["SyncOutboundSession"], object]

#: Default bound on concurrent outbound handler threads.
MAX_SESSIONS = 100


class SyncOutboundSession(SyncCalls[OutboundSession]):
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

    myevents = blocking(OutboundSession.myevents, default=command_timeout)
    linger = blocking(OutboundSession.linger, default=command_timeout)
    nolinger = blocking(OutboundSession.nolinger, default=command_timeout)
    getvar = blocking(OutboundSession.getvar, default=command_timeout)
    resume = blocking(OutboundSession.resume, default=command_timeout)
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
    "SyncOutboundServer",
    "SyncOutboundSession",
    "SyncSessionHandler",
    "serve_outbound",
]
