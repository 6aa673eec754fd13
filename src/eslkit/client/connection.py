"""Call control: :class:`Connection`, the API inbound connections and outbound sessions
share, is the :class:`~eslkit.client.commands.CommandConnection` (socket, events,
commands, subscriptions) plus the channel operations: ``sendmsg``, ``execute`` and its helpers
(``answer``, ``playback``, ``bridge``, ``set``, ``play_and_get_digits``) and ``hangup``.
"""

from __future__ import annotations

import asyncio
import uuid as uuidlib
from collections.abc import Iterable

from eslkit.client.commands import CommandConnection
from eslkit.client.core import Defaults, _checked, reply_text
from eslkit.client.errors import ChannelHangup, ESLError, Timeout
from eslkit.protocol.command import build_command, check_value
from eslkit.protocol.event import Event

__all__ = ["EXECUTE_EVENTS", "LONG_ARG", "Connection", "Defaults", "reply_text"]

#: Events the client needs to track ``execute`` (completion, and hang-up to fail early).
EXECUTE_EVENTS = ("CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE")
#: An ``execute-app-arg`` longer than this (in bytes) is sent as a ``text/plain`` body.
LONG_ARG = 1024


class Connection(CommandConnection):
    """What inbound connections and outbound sessions share: commands, events, call control.

    Not created directly: use :func:`eslkit.connect` or :func:`eslkit.serve_outbound`.
    """

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
        protocol = self.protocol
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(timeout):
                await self._ensure_events(EXECUTE_EVENTS, timeout)
                if channel in protocol.hung_up:
                    raise ChannelHangup(channel, protocol.hung_up[channel])
                protocol.add_execution(app_uuid, channel, future)
                _checked(f"execute {app}", await self._request(data, timeout))
                return await future
        except TimeoutError as exc:
            if isinstance(exc, ESLError):
                raise
            raise Timeout(f"execute {app}: not complete within {timeout} s") from None
        finally:
            protocol.drop_execution(app_uuid, channel)

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

    async def __aenter__(self) -> Connection:
        return self
