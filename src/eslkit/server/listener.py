"""One event socket connection: mod_event_socket's ``listener_run`` on asyncio.

A :class:`Listener` reads command packets with the server-side frame reader, runs them one
at a time through the command table (:mod:`eslkit.server.commands`), writes the replies, and
delivers queued events and log lines whenever it is idle, exactly when FreeSWITCH would: no
partial packet buffered, no command running (spec §3.4).

Like FreeSWITCH's listener thread, an idle listener polls: once an iteration of its read loop
found nothing to do, it polls the socket for ``event_poll_ms`` (20 ms), and what was queued
meanwhile goes out when that poll ends. Input ends the poll first: the command is read and
run, and what is pending goes out right after its reply (or never, if it was ``exit``). The
poll costs nothing while nothing is queued: it is one timer, armed by the first event queued
during the poll (:meth:`Listener._poll_later`). ``event_poll_ms=0`` writes at once instead.

The command loop is all here (:meth:`Listener.serve`): commands already buffered run back to
back, and while the loop sleeps for input, commands that arrive run right in
:meth:`Listener.data_received` (one event-loop pass less per command); one that has to
wait is handed over to the loop task.

A listener that controls a channel (outbound mode, or inbound ``myevents <uuid>``) holds
the backend's :class:`~eslkit.server.backend.SessionControl` for it and does everything to
the channel through that: ``connect``, ``divert_events``, ``sendmsg``, the hang-up and
linger checks of the read loop (spec §6.5), and the release when it ends.

Nothing here can stall another connection: events go into a bounded per-connection queue
(100,000, FreeSWITCH's kill-after-500-lost rule), and bytes only move from that queue to the
socket while the socket's write buffer is below its high-water mark.
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, cast

from eslkit.protocol import builders
from eslkit.protocol.command import Command
from eslkit.protocol.errors import ProtocolError
from eslkit.protocol.event import Event, EventFormat
from eslkit.protocol.frames import (
    MAX_BODY,
    MAX_HEADER_BLOCK,
    Frame,
    FrameReader,
    split_command_block_in_slices,
)
from eslkit.server.backend import LogRecord, SessionControl, SessionHandle
from eslkit.server.commands import Reply, match
from eslkit.server.subscription import Subscription

if TYPE_CHECKING:
    from eslkit.fsconfig.directory import UserPermissions
    from eslkit.server.socket_server import EventSocketServer

log = logging.getLogger("eslkit.server")

#: FreeSWITCH's per-listener queue sizes and kill threshold (spec §5.6).
MAX_QUEUE_LEN = 100_000
MAX_MISSED = 500
#: Seconds allowed for the first packet (FreeSWITCH: 25, whole epoch seconds).
AUTH_TIMEOUT = 25
#: Buffered commands run back to back at most this many at a time before the loop yields.
YIELD_EVERY = 128

#: Stop reading from a client whose unprocessed input passes this (one max packet + slack).
READ_BUFFER_LIMIT = MAX_HEADER_BLOCK + MAX_BODY + 65536
#: Before authentication a connection may buffer at most this much (FreeSWITCH: a whole
#: 10 MiB + 16 MiB packet; a deviation, see docs/security.md).
PRE_AUTH_BUFFER_LIMIT = 64 * 1024
#: Socket write buffer high/low water marks; events wait in the queue above it.
WRITE_HIGH_WATER = 1 << 20
WRITE_LOW_WATER = 1 << 18
#: How long a closing connection may take to drain its last bytes to a slow reader.
CLOSE_GRACE = 60.0
#: Bytes of frames written per flush before yielding to the event loop.
FLUSH_BATCH = 1 << 18

_EVENT_CONTENT_TYPE: dict[str, bytes] = {
    "plain": b"\nContent-Type: text/event-plain\n\n",
    "json": b"\nContent-Type: text/event-json\n\n",
    "xml": b"\nContent-Type: text/event-xml\n\n",
}


class Listener(asyncio.Protocol):
    """One inbound (or outbound-mode) event socket connection.

    An outbound listener is made with the ``control`` of the channel whose ``socket``
    application connected it (and that application's ``full`` and ``async`` words)."""

    def __init__(
        self,
        server: EventSocketServer,
        *,
        control: SessionControl | None = None,
        full: bool = False,
        async_mode: bool = False,
    ) -> None:
        outbound = control is not None
        self.server = server
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.reader = FrameReader(server_side=True)
        self.peer_ip = ""
        self.peer_port = 0
        # Flags of FreeSWITCH's listener.
        self.running = False
        self.authed = outbound
        self._events_enabled = False
        self.format: EventFormat = "plain"
        self.subscription = Subscription()
        self.log_enabled = False
        self.log_level = 7
        self.allow_log = True
        self.permissions: UserPermissions | None = None
        self.outbound = outbound
        self.full = full
        self.async_mode = async_mode
        self.session: SessionHandle | None = None
        #: The controlled channel's operations (None: the listener controls no channel).
        self.control: SessionControl | None = None
        self.session_flag = False
        self.linger = False
        self.linger_timeout: float = -1
        self.resume = False
        self.connected = False
        # LFLAG_HANDLE_DISCO (the hang-up was noticed, once) and the whole epoch second
        # after which a lingering listener closes (None: never).
        self._handled_disco = False
        self._linger_until: int | None = None
        # Queues and their loss counters.
        self.events: deque[Event] = deque()
        self.logs: deque[LogRecord] = deque()
        self.lost_events = 0
        self.lost_logs = 0
        self.jobs: set[asyncio.Task[None]] = set()
        # I/O state. The read loop sleeps on a bare future; ``_woken`` remembers a wake-up
        # that came while it was not sleeping (what asyncio.Event's flag did).
        self._waiter: asyncio.Future[None] | None = None
        self._woken = False
        self._eof = False
        self._closed = False
        self._writable = True
        self._reading_paused = False
        self._idle = False
        self._flush_pending = False
        # FreeSWITCH's 20 ms poll (0: none): when the current poll began, the timer that
        # ends it once something is queued, and whether its end must also wake the loop
        # task (the controlled channel changed: its checks run at the next iteration).
        self._poll_period = server.options.event_poll_ms / 1000.0
        self._poll_from = 0.0
        self._poll_end: asyncio.TimerHandle | None = None
        self._poll_wakes = False
        self._task: asyncio.Task[None] | None = None
        self._killed = False
        # Replies to pipelined commands are gathered and written in one go.
        self._pending_out: list[bytes] = []
        # Set while the command loop sleeps in read_packet: commands received then run in
        # data_received (_run_received). One that has to wait is handed to the loop task
        # as ``_handoff``.
        self._lane_open = False
        self._handoff: Awaitable[Reply] | None = None
        # Bounds: the address counted against the connection caps, the pre-auth deadline,
        # the timer that aborts a closing socket whose peer does not read.
        self._counted: str | None = None
        # A large command block taken from the reader whose header lines are split in
        # slices by read_packet before it runs.
        self._deferred: Frame | None = None
        self._rejected = False
        self._auth_timer: asyncio.TimerHandle | None = None
        self._abort_timer: asyncio.TimerHandle | None = None
        if control is not None:
            self.take_control(control)

    @property
    def events_enabled(self) -> bool:
        """``LFLAG_EVENTS``: whether queued events are delivered."""
        return self._events_enabled

    @events_enabled.setter
    def events_enabled(self, value: bool) -> None:
        if value != self._events_enabled:
            self._events_enabled = value
            self.server.events_toggled(self)

    # ------------------------------------------------------------------ asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self.transport = cast(asyncio.Transport, transport)
        if not self.outbound:
            peer = transport.get_extra_info("peername")
            address = str(peer[0]) if isinstance(peer, tuple) and peer else ""
            if not self.server.admit(self, address):
                log.warning("IP %s Rejected: too many connections", address)
                self._rejected = True
                # As the ACL rejects: the rude rejection, then the goodbye.
                self.transport.write(builders.RUDE_REJECTION)
                self.transport.write(self.disconnect_bytes(builders.GOODBYE))
                self.transport.close()
                return
            self._counted = address
            # The whole unauthenticated life is bounded, whatever the first packet was
            # (FreeSWITCH only times the first packet).
            self._auth_timer = self.loop.call_later(self.server.auth_timeout, self._auth_expired)
        self.transport.set_write_buffer_limits(high=WRITE_HIGH_WATER, low=WRITE_LOW_WATER)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # FreeSWITCH sets TCP_NODELAY too; without it a reply and the event right after
            # it wait for the peer's delayed ACK (~40 ms).
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self.peer_ip, self.peer_port = str(peer[0]), int(peer[1])
        self._task = self.loop.create_task(self._main())

    def data_received(self, data: bytes) -> None:
        if self._rejected:
            return
        self.reader.feed(data)
        if not self.authed and self.reader.buffered > PRE_AUTH_BUFFER_LIMIT:
            log.warning(
                "closing unauthenticated connection from %s: more than %d bytes buffered",
                self.peer_ip,
                PRE_AUTH_BUFFER_LIMIT,
            )
            self.drop()
            return
        if self.reader.buffered > READ_BUFFER_LIMIT and not self._reading_paused:
            assert self.transport is not None
            self.transport.pause_reading()
            self._reading_paused = True
        if (
            self._lane_open
            and self._waiter is not None
            and self.session is None
            and self.running
            and self.quiet_input()
        ):
            # The loop sleeps in read_packet: run what came in right here, then do what
            # read_packet does before it sleeps again (replies out, then queued events).
            self._idle = False
            try:
                wake = self._run_received()
            except Exception:  # as in _main: a bug ends this connection only
                log.exception("listener from %s failed", self.peer_ip)
                self.running = False
                wake = True
            if not wake:
                self.flush_replies()
                if self.reader.buffered == 0:
                    self._idle = True
                    self._flush()
                    self._poll_begins()
                return
        self.wake()

    def quiet_input(self) -> bool:
        """Whether reading needs no attention (the socket is writable, reading not paused)."""
        return self._writable and not self._reading_paused

    def eof_received(self) -> bool | None:
        self._eof = True
        self.wake()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._eof = True
        if self._abort_timer is not None:
            self._abort_timer.cancel()
            self._abort_timer = None
        if self._auth_timer is not None:
            self._auth_timer.cancel()
            self._auth_timer = None
        if self._counted is not None:
            self.server.release(self._counted)
            self._counted = None
        # Nothing can reach the peer any more: stop queueing now, not when a command that
        # is still running (a long blocking api) returns and the loop tears down.
        self.server.listener_gone(self)
        self._cancel_poll()
        self.events.clear()
        self.logs.clear()
        self.wake()

    @property
    def gone(self) -> bool:
        """Whether the socket is closed (nothing queued for it can be delivered)."""
        return self._closed

    def drop(self) -> None:
        """Close the connection at once, unread input and unsent output discarded."""
        self.running = False
        self._rejected = True
        if self.transport is not None:
            self.transport.abort()
        self.wake()

    def _auth_expired(self) -> None:
        self._auth_timer = None
        if not self.authed and not self._closed:
            log.info("closing connection from %s: not authenticated in time", self.peer_ip)
            self.running = False
            self.wake()
            # A peer that sends nothing may not even have a loop waiting on it yet.
            if self._task is None or self._task.done():
                self._close()

    def pause_writing(self) -> None:
        self._writable = False

    def resume_writing(self) -> None:
        self._writable = True
        self.wake()
        self._schedule_flush()

    # ------------------------------------------------------------------ output
    def write(self, data: bytes) -> None:
        """Write bytes unless the socket is gone (after any gathered replies)."""
        if self._pending_out:
            self.flush_replies()
        transport = self.transport
        if transport is not None and not self._closed and not transport.is_closing():
            transport.write(data)

    def write_reply(self, data: bytes) -> None:
        """Queue a reply frame; it goes out before the connection waits or blocks."""
        self._pending_out.append(data)
        if len(self._pending_out) >= 256:
            self.flush_replies()

    def flush_replies(self) -> None:
        """Write the gathered replies now."""
        pending = self._pending_out
        if pending:
            self._pending_out = []
            transport = self.transport
            if transport is not None and not self._closed and not transport.is_closing():
                transport.write(b"".join(pending))

    def send_reply_text(self, text: str) -> None:
        """Write ``Reply-Text: <text>`` even when the text starts with ``~``."""
        data = builders.cap_reply(text)
        self.write_reply(b"Content-Type: command/reply\nReply-Text: " + data + b"\n\n")

    def send_reply(self, reply: str) -> None:
        """Write a command reply (the ``~`` raw form when it starts with ``~``)."""
        self.write_reply(builders.command_reply(reply))

    @property
    def session_uuid(self) -> str | None:
        return self.session.uuid if self.session is not None else None

    def disconnect_bytes(self, message: str) -> bytes:
        return builders.disconnect_notice(message, session_uuid=self.session_uuid)

    # ------------------------------------------------------------------ queues
    def enqueue_event(self, event: Event) -> None:
        """Push a delivered event (fan-out side; never blocks)."""
        if len(self.events) >= self.server.options.max_queue:
            self.lost_events += 1
            if self.lost_events > MAX_MISSED:
                log.critical(
                    "Killing listener because of too many lost events. Lost [%d]",
                    self.lost_events,
                )
                self.kill(builders.LOST_EVENTS)
            return
        if self.lost_events:
            log.critical(
                "Lost [%d] events! Event Queue size: [%d]", self.lost_events, len(self.events)
            )
            self.lost_events = 0
        self.events.append(event)
        if self._idle and self._poll_end is None and not self._flush_pending:
            self._deliver_soon()

    def enqueue_log(self, record: LogRecord) -> None:
        """Push a log line (log fan-out side; never blocks)."""
        if len(self.logs) >= self.server.options.max_queue:
            self.lost_logs += 1
            if self.lost_logs > MAX_MISSED:
                self.kill(builders.LOST_LOG_LINES)
            return
        self.lost_logs = 0
        self.logs.append(record)
        if self._idle and self._poll_end is None and not self._flush_pending:
            self._deliver_soon()

    def _deliver_soon(self) -> None:
        """Something was queued for an idle listener: it goes out when the current poll
        ends (at once without a poll)."""
        if self._poll_period:
            self._poll_later()
        else:
            self._schedule_flush()

    def _poll_begins(self) -> None:
        """An iteration found nothing more to do: a poll starts now (one already armed
        belongs to an earlier poll, whose queue that iteration just emptied)."""
        if self._poll_period:
            self._poll_from = self.loop.time()
            if self._poll_end is not None:
                self._cancel_poll()

    def _cancel_poll(self) -> None:
        timer = self._poll_end
        if timer is not None:
            self._poll_end = None
            timer.cancel()

    def _poll_later(self) -> None:
        """Arm the end of the current poll. Polls follow each other every period while
        nothing happens, so it is the first period boundary after now."""
        if self._poll_end is None:
            period = self._poll_period
            start = self._poll_from
            periods = math.floor((self.loop.time() - start) / period) + 1
            self._poll_end = self.loop.call_at(start + periods * period, self._poll_ended)

    def _poll_ended(self) -> None:
        """The poll timed out with no input: the next iteration delivers what is queued,
        then the next poll begins."""
        self._poll_end = None
        if not self._idle:
            return  # input ended the poll first; the command's end delivers
        self._flush()
        self._poll_from = self.loop.time()
        if self._poll_wakes:
            self._poll_wakes = False
            self.wake()

    def end_poll(self) -> None:
        """End the current poll now: an idle listener delivers what is queued."""
        if self._poll_end is not None:
            self._cancel_poll()
            self._poll_ended()

    def _channel_changed(self) -> None:
        """The controlled channel changed (hang-up, state): FreeSWITCH's read loop checks it
        at its next iteration, after delivering what was queued before."""
        if self._poll_period and self._idle:
            self._poll_wakes = True
            self._poll_later()
        else:
            self.wake()

    def _schedule_flush(self) -> None:
        if not self._flush_pending:
            self._flush_pending = True
            self.loop.call_soon(self._flush)

    def _flush(self) -> None:
        """Write queued log lines and events, as the top of FreeSWITCH's read loop does."""
        self._flush_pending = False
        if not self._idle or not self._writable or self._closed or not self.running:
            return
        out: list[bytes] = []
        size = 0
        events = self.events
        logs = self.logs
        fmt = self.format
        content_type = _EVENT_CONTENT_TYPE[fmt]
        while size < FLUSH_BATCH:
            progressed = False
            if self.log_enabled and logs:
                record = logs.popleft()
                frame = builders.log_frame(
                    record.text,
                    level=record.level,
                    channel=record.channel,
                    file=record.file,
                    func=record.function,
                    line=record.line,
                    user_data=record.user_data,
                )
                out.append(frame)
                size += len(frame)
                progressed = True
            self.pull_diverted()
            if self.events_enabled and events:
                while events and size < FLUSH_BATCH:
                    payload = events.popleft().serialize(fmt)
                    out.append(b"Content-Length: %d" % len(payload) + content_type)
                    out.append(payload)
                    size += len(payload) + 48
                progressed = True
            if not progressed:
                break
        if out:
            self.write(b"".join(out))
        if (events and self.events_enabled) or (logs and self.log_enabled):
            self._schedule_flush()

    def pull_diverted(self) -> None:
        """Move the controlled channel's diverted session events into the event queue."""
        control = self.control
        if control is not None:
            control.pull_diverted(self.events, self.server.options.max_queue)

    # ------------------------------------------------------------------ reading
    def ready_frame(self) -> Frame | None:
        """The next command packet if one is buffered and nothing needs waiting for (the
        fast path of :meth:`read_packet`); None otherwise."""
        if (
            not self._writable
            or self._reading_paused
            or self._handoff is not None
            or self._deferred is not None
        ):
            return None
        try:
            frame = self.reader.next_frame()
        except ProtocolError as exc:
            log.warning("closing connection from %s: %s", self.peer_ip, exc)
            self.running = False
            return None
        if frame is not None:
            self._idle = False
            if frame.deferred:
                # A large block: read_packet splits it in slices, yielding between them.
                self._deferred = frame
                self.wake()
                return None
        return frame

    async def _split_deferred(self, frame: Frame) -> None:
        """Split a large command block's header lines a slice at a time, letting the other
        connections run between slices (one 10 MiB block would hold the loop ~0.7 s)."""
        headers: list[tuple[str, str]] = []
        for part in split_command_block_in_slices(frame.head):
            headers += part
            await asyncio.sleep(0)
        frame.set_headers(headers)

    async def read_packet(self, timeout: float | None = None) -> Frame | None:
        """The next command packet; None on EOF, timeout, or when the listener stops.

        ``timeout`` follows FreeSWITCH's whole-epoch-second accounting: it fires once
        ``int(now) - int(start) >= timeout``.
        """
        clock = self.server.clock
        start = 0 if timeout is None else math.floor(clock())
        while True:
            if self._handoff is not None:
                return None
            frame = self._deferred
            if frame is None:
                try:
                    frame = self.reader.next_frame()
                except ProtocolError as exc:
                    log.warning("closing connection from %s: %s", self.peer_ip, exc)
                    self.running = False
                    return None
            if frame is not None:
                self._idle = False
                if frame.deferred:
                    # Held in _deferred meanwhile, so that no later command runs first.
                    self._deferred = frame
                    try:
                        await self._split_deferred(frame)
                    finally:
                        self._deferred = None
                if self._reading_paused and self.reader.buffered < READ_BUFFER_LIMIT // 2:
                    assert self.transport is not None
                    self.transport.resume_reading()
                    self._reading_paused = False
                if not self._writable:
                    await self._wait_writable()
                return frame
            self.flush_replies()
            if self._eof or not self.running:
                return None
            if self.reader.buffered == 0:
                self._idle = True
                self._flush()
                self._poll_begins()
            self._woken = False
            wait: float | None = None
            if timeout is not None:
                remaining = start + timeout - clock()
                if remaining <= 0:
                    self.running = False
                    return None
                wait = remaining + 0.01
            session_wait = self.session_check()
            if session_wait is not None:
                if session_wait <= 0:
                    return None
                wait = session_wait if wait is None else min(wait, session_wait)
            try:
                await self._sleep(wait)
            finally:
                self._idle = False

    async def _sleep(self, timeout: float | None) -> None:
        """Wait for :meth:`wake` (or one that came since ``_woken`` was cleared), at most
        ``timeout`` seconds."""
        if self._woken:
            return
        waiter = self._waiter = self.loop.create_future()
        timer = None if timeout is None else self.loop.call_later(timeout, self.wake)
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()

    async def _wait_writable(self) -> None:
        while not self._writable and not self._closed:
            self._woken = False
            await self._sleep(1.0)

    def wake(self) -> None:
        """Wake the read loop (a channel state change, a linger timer, shutdown)."""
        self._woken = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # ------------------------------------------------------------------ the controlled channel
    def take_control(self, control: SessionControl | None) -> None:
        """Control a channel (outbound start, inbound ``myevents <uuid>``); None: the
        backend cannot, and the listener behaves as if it held no channel."""
        if control is None or self.control is not None:
            return
        self.control = control
        self.session = control.session
        control.watch(self._channel_changed)

    def set_divert(self, on: bool) -> None:
        """``divert_events on|off``: the channel's session events come to this listener."""
        control = self.control
        if control is None:
            return
        control.set_divert(self._take_diverted if on else None)

    def _take_diverted(self, event: Event) -> bool:
        if not self.running or len(self.events) >= self.server.options.max_queue:
            return False
        self.enqueue_event(event)
        return True

    def blocks(self, event: Event) -> bool:
        """True for the controlled channel's events once it is being destroyed: the
        listener's session lock keeps FreeSWITCH from destroying it while the socket is
        open, so CHANNEL_DESTROY never reaches the controlling listener (Finding 5)."""
        control = self.control
        if control is None or not control.destroyed():
            return False
        session = self.session
        return session is not None and event.get("Unique-ID") == session.uuid

    def session_check(self) -> float | None:
        """Linger and hang-up handling for a controlled channel (spec §6.5).

        Returns None when nothing is pending, a delay in seconds to wait at most before
        checking again, or 0 when the listener must end now.
        """
        control = self.control
        if control is None:
            return None
        now = self.server.clock()
        if self._handled_disco:
            if self._linger_until is None:
                return None
            if math.floor(now) > self._linger_until:
                log.debug("linger timeout, closing socket")
                return 0
            return self._linger_until + 1 - now
        session = control.session
        if not session.is_hungup():
            return None
        self._handled_disco = True
        if not self.linger:
            return 0
        seconds = int(self.linger_timeout)
        self.write(builders.linger_notice(session.uuid, session.name, seconds))
        if seconds == -1:
            return None
        self._linger_until = math.floor(now) + seconds
        return self._linger_until + 1 - now

    # ------------------------------------------------------------------ the command loop
    async def serve(self) -> None:
        """The connection's life after the ACL check: greeting and auth packet (inbound) or
        the first packet (outbound), then commands until the listener stops."""
        server = self.server
        if self.outbound:
            frame = await self.read_packet(timeout=server.auth_timeout)
            if frame is None:
                server.backend.log(
                    2, "Socket Error!\n", file="mod_event_socket.c", function="listener_run",
                    line=2692, session_uuid=self.session_uuid or "",
                )  # fmt: skip
                self.running = False
                return
            # Only ``connect`` answers the first packet (it writes its own reply).
            pending = self._step(Command.from_frame(frame), answer=False)
            if pending is not None:
                await pending
        else:
            self.write(builders.GREETING)
            frame = await self.read_packet(timeout=server.auth_timeout)
            if frame is None:
                return
            pending = self._step(Command.from_frame(frame))
            if pending is not None:
                await self._finish(pending)
        await self._command_loop()

    async def _command_loop(self) -> None:
        """Read and run commands until the listener stops.

        Commands already buffered run back to back, most of them without a coroutine;
        every :data:`YIELD_EVERY` of them the loop yields, so a client that pipelines a
        lot cannot hold up the other connections. While the loop sleeps for input, commands
        that arrive are run right where they are received (:meth:`_run_received`).
        """
        streak = 0
        while self.running:
            pending = self._handoff
            if pending is not None:
                self._handoff = None
                await self._finish(pending)
                continue
            frame = self.ready_frame()
            if frame is None:
                if not self.running:
                    return
                self._lane_open = True
                try:
                    frame = await self.read_packet()
                finally:
                    self._lane_open = False
                if frame is None:
                    if self._handoff is not None:
                        continue
                    return
                if not self.running:
                    return
                streak = 0
            elif streak >= YIELD_EVERY:
                self.flush_replies()
                await asyncio.sleep(0)
                streak = 0
            streak += 1
            pending = self._step(Command.from_frame(frame))
            if pending is not None:
                await self._finish(pending)

    def _run_received(self) -> bool:
        """Run the commands just received while the loop sleeps in ``read_packet``, from
        the socket's read callback: a reply goes out without waking the loop task (one
        event-loop pass less per command). Returns True when the loop must wake: a command
        has to wait (handed to it), the listener stopped, or more is buffered than one
        pass should take."""
        for _ in range(YIELD_EVERY):
            frame = self.ready_frame()
            if frame is None:
                return not self.running or not self.quiet_input()
            pending = self._step(Command.from_frame(frame))
            if pending is not None:
                self._handoff = pending
                return True
            if not self.running or self.session is not None:
                return True
        return True

    def _step(self, command: Command, *, answer: bool = True) -> Awaitable[Reply] | None:
        """Run one command and queue its reply (none when not ``answer``); returns an
        awaitable instead when the command has to wait (see :meth:`_finish`)."""
        rule, command = match(self, command)
        if rule is None:
            if answer:
                self.send_reply("-ERR command not found")
            return None
        reply = rule.handler(self, command)
        if reply is None:
            return None
        if type(reply) is str:
            if answer:
                self.send_reply(reply or "-ERR command not found")
            return None
        return cast("Awaitable[Reply]", reply)

    async def _finish(self, pending: Awaitable[Reply]) -> None:
        # Replies gathered so far must not wait behind a command that waits.
        self.flush_replies()
        reply = await pending
        if reply is not None:
            self.send_reply(reply or "-ERR command not found")

    # ------------------------------------------------------------------ lifecycle
    async def _main(self) -> None:
        try:
            if not self.outbound:
                acl = self.server.acl
                if acl is not None and self.peer_ip and not acl.allows(self.peer_ip):
                    log.warning("IP %s Rejected by acl", self.peer_ip)
                    self.write(builders.RUDE_REJECTION)
                    self.write(self.disconnect_bytes(builders.GOODBYE))
                    self._close()
                    return
            self.running = True
            self.server.add_listener(self)
            if self.server.settings.debug > 0:
                log.debug("Connection Open from %s:%d", self.peer_ip, self.peer_port)
            await self.serve()
        except Exception:  # a bug must not take down the server or other connections
            log.exception("listener from %s failed", self.peer_ip)
        finally:
            await self._teardown()

    async def _teardown(self) -> None:
        self.flush_replies()
        self.running = False
        self._idle = False
        self._cancel_poll()
        self.server.remove_listener(self)
        if self.jobs:
            # ``exit`` waits for this connection's bgapi jobs before the goodbye (spec §7.3).
            _done, pending = await asyncio.wait(self.jobs, timeout=self.server.max_job_wait)
            for task in pending:
                task.cancel()
        self.events.clear()
        self.logs.clear()
        control = self.control
        if control is not None:
            # After the read loop: resume (CS_RESET), release the channel (spec §6.6).
            self.control = None
            control.release(self.resume)
        if not self._closed and not self._killed:
            self.write(self.disconnect_bytes(builders.GOODBYE))
        self._close()
        if self.server.settings.debug > 0:
            log.debug("Connection Closed")

    def _close(self) -> None:
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.close()
            # A peer that never reads must not keep the socket (and its buffer) alive.
            # (Cancelled when the connection is lost: aborting a transport that is already
            # gone raised AttributeError inside asyncio.)
            if not self._closed:
                self._abort_timer = self.loop.call_later(CLOSE_GRACE, self._abort)

    def _abort(self) -> None:
        self._abort_timer = None
        transport = self.transport
        if transport is not None and not self._closed:
            transport.abort()

    def kill(self, message: str) -> None:
        """Write a disconnect notice and close now (queue overflow, shutdown)."""
        if self._killed:
            return
        self._killed = True
        self.running = False
        self.write(self.disconnect_bytes(message))
        self._close()
        self.wake()

    def track_job(self, coro: Awaitable[None]) -> None:
        """Run a bgapi job tied to this listener's lifetime."""
        task: asyncio.Task[None] = self.loop.create_task(_as_coroutine(coro))
        self.jobs.add(task)
        task.add_done_callback(self.jobs.discard)

    def __repr__(self) -> str:
        return f"<Listener {self.peer_ip}:{self.peer_port} authed={self.authed}>"


async def _as_coroutine(awaitable: Awaitable[None]) -> None:
    await awaitable


Clock = Callable[[], float]


def wall_clock() -> float:
    return time.time()
