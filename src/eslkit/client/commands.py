"""Commands and subscriptions: :class:`CommandConnection` is the
:class:`~eslkit.client.core.ConnectionCore` (socket, frame routing, events, one request in
flight) plus what a client sends: ``send``, ``command``, ``api``, ``bgapi``, and the
declarative subscription (``subscribe``, ``filter``, ``filter_delete``, ``apply``), including
the events the client subscribes for itself to track jobs and executions.
"""

from __future__ import annotations

import asyncio
import uuid as uuidlib
from collections.abc import Iterable

from eslkit.client.core import ConnectionCore, _checked, reply_text
from eslkit.client.errors import CommandError, ESLError, Timeout
from eslkit.client.subscription import FORMATS, Subscription
from eslkit.protocol.command import build_command, check_value
from eslkit.protocol.event import Event, EventFormat
from eslkit.protocol.frames import Frame

__all__ = ["CommandConnection"]


class CommandConnection(ConnectionCore):
    """The connection core plus commands and subscriptions (see the module)."""

    def _gate(self, command: str) -> None:
        """Refuse commands this kind of connection cannot run (outbound non-full)."""

    def _update_suppress(self) -> None:
        subscription = self.subscription
        if "ALL" in subscription.events:
            self._suppress = frozenset()
        else:
            self._suppress = frozenset(self._tracking.difference(subscription.events))

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
        protocol = self.protocol
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(timeout):
                await self._ensure_events(("BACKGROUND_JOB",), timeout)
                protocol.add_job(job, future)
                frame = await self._request(
                    build_command(f"bgapi {command}", [("Job-UUID", job)]), timeout
                )
                text = _checked(name, frame)
                granted = frame.get("Job-UUID") or text.rpartition(" ")[2]
                if granted and granted != job:
                    # A server that ignores our Job-UUID: follow the one it chose.
                    protocol.drop_job(job)
                    job = granted
                    protocol.add_job(job, future)
                event = await future
        except TimeoutError as exc:
            if isinstance(exc, ESLError):
                raise
            raise Timeout(f"{name}: no result within {timeout} s") from None
        finally:
            protocol.drop_job(job)
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
