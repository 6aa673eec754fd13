"""Inbound mode: connect to the event socket, authenticate, and optionally reconnect."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from eslkit.client.connection import Connection, Defaults, reply_text
from eslkit.client.errors import AuthenticationError, Disconnected, ESLError, Timeout
from eslkit.client.subscription import Subscription
from eslkit.protocol.command import build_command, check_value
from eslkit.protocol.event import Event

logger = logging.getLogger("eslkit.client")

#: ``Event-Subclass`` of the gap event delivered after each reconnect.
GAP_SUBCLASS = "eslkit::gap"


@dataclass(slots=True, frozen=True)
class Reconnect:
    """Reconnect policy: exponential backoff with jitter, capped at ``maximum`` seconds."""

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    #: Each delay is multiplied by a random factor in ``[1 - jitter, 1 + jitter]``.
    jitter: float = 0.1
    #: Give up after this many failed attempts in a row (``None``: never).
    max_attempts: int | None = None


def is_gap(event: Event) -> bool:
    """Whether ``event`` is the client's gap notification (events may have been missed)."""
    return event.get("Event-Subclass") == GAP_SUBCLASS and event.get("Event-Name") == "CUSTOM"


class _Secret:
    """Holds the password so that no repr (of the connection or its ``__dict__``) shows it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "'***'"


class InboundConnection(Connection):
    """An authenticated inbound event socket connection. Create it with :func:`connect`."""

    def __init__(
        self,
        host: str,
        port: int,
        password: str,
        *,
        user: str | None = None,
        timeout: float = 10.0,
        defaults: Defaults | None = None,
        subscription: Subscription | None = None,
        reconnect: Reconnect | bool = False,
        liveness_timeout: float | None = None,
        handler_lanes: int = 16,
        max_pending_handlers: int = 100_000,
    ) -> None:
        super().__init__(
            defaults=defaults,
            handler_lanes=handler_lanes,
            max_pending_handlers=max_pending_handlers,
        )
        check_value(password, "password", secret=True)
        if user is not None:
            check_value(user, "user")
        self.host = host
        self.port = port
        self.user = user
        self._secret = _Secret(password)
        self.timeout = timeout
        self.reconnect: Reconnect | None = (
            Reconnect() if reconnect is True else reconnect if reconnect else None
        )
        self.liveness_timeout = liveness_timeout
        #: For ``userauth``: the ``Allowed-Events``, ``Allowed-API``, ``Allowed-LOG`` headers.
        self.permissions: dict[str, str] = {}
        #: Successful reconnects so far (each one emitted a gap event).
        self.reconnects = 0
        self._initial = subscription.copy() if subscription is not None else None
        self._opening = False
        self._reconnect_task: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        state = "closed" if self.closed else "connected" if self.connected else "reconnecting"
        who = f" user={self.user}" if self.user else ""
        return f"<InboundConnection {self.host}:{self.port}{who} {state}>"

    async def _open(self) -> None:
        """Open the socket, authenticate and (re)apply the subscription."""
        loop = asyncio.get_running_loop()
        self._opening = True
        try:
            async with asyncio.timeout(self.timeout):
                # Before connecting: the greeting may arrive as soon as the socket is open.
                self._greeting = loop.create_future()
                await loop.create_connection(self._protocol, self.host, self.port)
                await self._greeting
                if self.user is not None:
                    line = f"userauth {self.user}:{self._secret.value}"
                else:
                    line = f"auth {self._secret.value}"
                frame = await self._request(build_command(line, secret=True), self.timeout)
                text = reply_text(frame)
                if text.lower() != "+ok accepted":
                    who = f"user {self.user!r}" if self.user else "password"
                    raise AuthenticationError(f"the server refused the {who}: {text}")
                self.permissions = {
                    name: value
                    for name, value in frame.headers
                    if name in ("Allowed-Events", "Allowed-API", "Allowed-LOG")
                }
                if self._initial is not None:
                    await self.apply(self._initial)
                    self._initial = None
                elif not self.subscription.empty or self._tracking:
                    await self.apply(self.subscription)
                if self._writer is None:
                    raise Disconnected("the connection was lost during the handshake")
        except BaseException as exc:
            self._opening = False
            self._abort_transport()
            greeting = self._greeting
            if greeting is not None and not greeting.done():
                greeting.cancel()  # the socket never opened
            if isinstance(exc, TimeoutError) and not isinstance(exc, ESLError):
                raise Timeout(
                    f"could not connect to {self.host}:{self.port} within {self.timeout} s"
                ) from None
            raise
        self._opening = False
        if self.liveness_timeout is not None and self._watchdog is None:
            self._watchdog = loop.create_task(self._watch(self.liveness_timeout))

    def _abort_transport(self) -> None:
        writer = self._writer
        if writer is not None:
            self._writer = None
            writer.transport.abort()
            self._fail_pending(Disconnected("connection attempt failed"))

    def _after_lost(self, exc: Disconnected) -> None:
        if self._opening:
            return  # _open() reports the failure itself
        if self.reconnect is None or self._user_closed:
            self._finish(exc)
            return
        logger.warning("connection to %s:%s lost (%s); reconnecting", self.host, self.port, exc)
        self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect_loop(exc))

    async def _reconnect_loop(self, reason: Disconnected) -> None:
        policy = self.reconnect
        assert policy is not None
        lost_at = time.time()
        delay = policy.initial
        failures = 0
        while not self._user_closed:
            await asyncio.sleep(delay * (1 + random.uniform(-policy.jitter, policy.jitter)))
            if self._user_closed:
                return
            try:
                await self._open()
            except AuthenticationError as exc:
                logger.error("reconnect stopped: authentication failed (%s)", exc)
                self._finish(exc)
                return
            except (OSError, ESLError) as exc:
                failures += 1
                logger.info("reconnect attempt %d failed: %s", failures, exc)
                if policy.max_attempts is not None and failures >= policy.max_attempts:
                    self._finish(Disconnected(f"gave up reconnecting after {failures} attempts"))
                    return
                delay = min(delay * policy.factor, policy.maximum)
                continue
            self.reconnects += 1
            self._emit_gap(reason, lost_at)
            return

    def _emit_gap(self, reason: Disconnected, lost_at: float) -> None:
        gap = Event(
            [
                ("Event-Subclass", GAP_SUBCLASS),
                ("Event-Name", "CUSTOM"),
                ("Gap-Reconnects", str(self.reconnects)),
                ("Gap-Lost-At", f"{lost_at:.6f}"),
                ("Gap-Restored-At", f"{time.time():.6f}"),
                ("Gap-Reason", str(reason)),
            ]
        )
        for stream in list(self._streams):
            if not stream.push(gap):
                self._overflow(stream)
        if self.dispatcher.active:
            self.dispatcher.dispatch(gap)

    async def _watch(self, limit: float) -> None:
        """Drop the socket when nothing (not even a HEARTBEAT) arrived for ``limit`` s.

        A socket still in its handshake (a reconnect) is left to the handshake's own
        timeout: ``last_received`` still dates from the socket that was lost, so measuring
        it would cut every reconnect whose greeting takes longer than one tick.
        """
        loop = asyncio.get_running_loop()
        while not self._finished:
            await asyncio.sleep(limit / 4)
            if self._writer is None or self._opening:
                continue
            quiet = loop.time() - self.last_received
            if quiet > limit:
                logger.warning("nothing received for %.1f s: dropping the connection", quiet)
                # Dropped here rather than by aborting the transport, so that pending calls
                # and the gap event give the real reason (not "the server closed ...").
                self._connection_lost(
                    Disconnected(f"nothing received for {quiet:.1f} s (liveness_timeout {limit} s)")
                )

    async def _before_close(self) -> None:
        task = self._reconnect_task
        if task is not None and not task.done():
            task.cancel()
        watchdog = self._watchdog
        if watchdog is not None and not watchdog.done():
            watchdog.cancel()

    def _finish(self, exc: ESLError | None) -> None:
        super()._finish(exc)
        watchdog = self._watchdog
        if watchdog is not None and not watchdog.done() and watchdog is not _current_task():
            watchdog.cancel()

    async def __aenter__(self) -> InboundConnection:
        return self


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


class _Connecting:
    """What :func:`connect` returns: await it, or use it with ``async with``."""

    def __init__(self, connection: InboundConnection) -> None:
        self._connection = connection

    async def _start(self) -> InboundConnection:
        connection = self._connection
        try:
            await connection._open()
        except BaseException as exc:
            connection._finish(exc if isinstance(exc, ESLError) else Disconnected(str(exc)))
            raise
        return connection

    def __await__(self) -> Generator[Any, None, InboundConnection]:
        return self._start().__await__()

    async def __aenter__(self) -> InboundConnection:
        return await self._start()

    async def __aexit__(self, *exc: object) -> None:
        await self._connection.close()


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
) -> _Connecting:
    """Connect to an event socket and authenticate (``auth``, or ``userauth`` with ``user``).

    ``async with eslkit.connect(password="ClueCon") as conn: ...`` or
    ``conn = await eslkit.connect(...)``. ``timeout`` covers TCP connect, greeting and auth.
    ``subscription`` is applied at once and after every reconnect. ``reconnect`` (``True``
    or a :class:`Reconnect`) re-connects with backoff after a loss, re-authenticates,
    re-applies the subscription and delivers a gap event (:func:`is_gap`); it stops on an
    authentication failure. ``liveness_timeout`` drops a connection that received nothing
    for that long (subscribe to HEARTBEAT, sent every 20 s, to use it).
    """
    connection = InboundConnection(
        host,
        port,
        password,
        user=user,
        timeout=timeout,
        defaults=Defaults(command=command_timeout, job=job_timeout, execute=execute_timeout),
        subscription=subscription,
        reconnect=reconnect,
        liveness_timeout=liveness_timeout,
        handler_lanes=handler_lanes,
        max_pending_handlers=max_pending_handlers,
    )
    return _Connecting(connection)
