"""The client's I/O-free core: which reply or event answers which pending call.

:class:`ClientProtocol` holds what a client connection is waiting for and decides, frame by
frame and event by event, who gets what; it never reads, writes, sleeps or imports asyncio
(as websockets' and h11's protocol objects do). A waiter is anything future-like
(:class:`Waiter`: ``done``, ``set_result``, ``set_exception``): the asyncio connection
passes ``asyncio.Future`` objects, a threaded client could pass
``concurrent.futures.Future``.

- **Replies** (``command/reply``, ``api/response``) answer the oldest command sent: the
  connection sends one command at a time and registers its waiter with
  :meth:`~ClientProtocol.expect_reply` before writing. A waiter abandoned by a timeout stays
  in line, so the late reply is counted (``late_replies``) and dropped instead of being given
  to the next caller.
- **Jobs** (``bgapi``) are matched by ``Job-UUID`` on BACKGROUND_JOB (and by
  ``Job-Owner-UUID`` on an outbound socket).
- **Executions** (``execute`` with ``wait``) are matched by ``Application-UUID`` on
  CHANNEL_EXECUTE_COMPLETE; a hang-up of their channel (event or linger notice) fails them
  with :class:`~eslkit.client.errors.ChannelHangup`.
- **Event waiters** (``wait_for``) take the next event with their name and predicate.

``tracking_active`` tells the connection's reader whether events need :meth:`track` at all,
so that a connection waiting for nothing pays nothing per event.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from eslkit.client.errors import ChannelHangup
from eslkit.protocol.event import Event
from eslkit.protocol.frames import Frame

logger = logging.getLogger("eslkit.client")

T_contra = TypeVar("T_contra", contravariant=True)

_HANGUP_EVENTS = ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE")


class Waiter(Protocol[T_contra]):
    """What the protocol resolves: a future (``asyncio.Future``, ``concurrent.futures.Future``)."""

    def done(self) -> bool:
        """Whether it has a result already (or was cancelled)."""
        ...

    def set_result(self, result: T_contra, /) -> None:
        """Resolve it."""
        ...

    def set_exception(self, exception: BaseException, /) -> None:
        """Fail it."""
        ...


@dataclass(slots=True)
class _Execution:
    waiter: Waiter[Event]
    channel: str


@dataclass(slots=True, eq=False)
class EventWaiter:
    """A pending :meth:`ClientProtocol.add_waiter`: the next event called ``name`` (any if
    ``None``) for which ``predicate`` holds."""

    waiter: Waiter[Event]
    name: str | None
    predicate: Callable[[Event], bool] | None


class ClientProtocol:
    """Reply correlation and job, execution and event-waiter tracking of one connection."""

    __slots__ = (
        "_always_track",
        "_by_channel",
        "_executions",
        "_jobs",
        "_replies",
        "_waiters",
        "hung_up",
        "late_replies",
        "session_uuid",
        "tracking_active",
    )

    def __init__(self) -> None:
        #: The controlled channel's UUID on an outbound socket (jobs are checked against it).
        self.session_uuid: str | None = None
        #: Replies that arrived after their caller had timed out (dropped).
        self.late_replies = 0
        #: Whether :meth:`track` has anything to do (the reader skips it otherwise).
        self.tracking_active = False
        #: Channels known to have hung up: the hang-up event, or ``None`` after a linger
        #: notice. Only the session's own channel is recorded from events.
        self.hung_up: dict[str, Event | None] = {}
        self._always_track = False
        self._replies: deque[Waiter[Frame]] = deque()
        self._jobs: dict[str, Waiter[Event]] = {}
        self._executions: dict[str, _Execution] = {}
        self._by_channel: dict[str, set[str]] = {}
        self._waiters: list[EventWaiter] = []

    def track_always(self) -> None:
        """Track every event even with nothing pending (an outbound socket watches its
        channel's hang-up)."""
        self._always_track = True
        self._update()

    def _update(self) -> None:
        self.tracking_active = bool(
            self._jobs or self._executions or self._waiters or self._always_track
        )

    # ----------------------------------------------------------------- replies
    def new_socket(self) -> None:
        """A fresh socket: no reply is owed on it yet."""
        self._replies = deque()

    def expect_reply(self, waiter: Waiter[Frame]) -> None:
        """The next reply not yet claimed goes to ``waiter`` (register it before sending)."""
        self._replies.append(waiter)

    def reply(self, frame: Frame) -> None:
        """A ``command/reply`` or ``api/response`` arrived: it answers the oldest command."""
        replies = self._replies
        if replies:
            waiter = replies.popleft()
            if waiter.done():
                self.late_replies += 1
            else:
                waiter.set_result(frame)
        else:
            logger.debug("dropping a reply nobody waits for: %r", frame)

    # ----------------------------------------------------------------- jobs
    def add_job(self, job: str, waiter: Waiter[Event]) -> None:
        """Resolve ``waiter`` with the BACKGROUND_JOB whose ``Job-UUID`` is ``job``."""
        self._jobs[job] = waiter
        self._update()

    def drop_job(self, job: str) -> None:
        """Forget job ``job`` (done, failed or given up)."""
        self._jobs.pop(job, None)
        self._update()

    # ----------------------------------------------------------------- executions
    def add_execution(self, app_uuid: str, channel: str, waiter: Waiter[Event]) -> None:
        """Resolve ``waiter`` with the CHANNEL_EXECUTE_COMPLETE whose ``Application-UUID`` is
        ``app_uuid``; fail it if ``channel`` hangs up first."""
        self._executions[app_uuid] = _Execution(waiter, channel)
        self._by_channel.setdefault(channel, set()).add(app_uuid)
        self._update()

    def drop_execution(self, app_uuid: str, channel: str) -> None:
        """Forget execution ``app_uuid`` of ``channel``."""
        self._executions.pop(app_uuid, None)
        apps = self._by_channel.get(channel)
        if apps is not None:
            apps.discard(app_uuid)
            if not apps:
                del self._by_channel[channel]
        self._update()

    def channel_gone(self, channel: str, event: Event | None) -> None:
        """``channel`` hung up (``event``, or ``None`` for a linger notice): its pending
        executions fail with :class:`ChannelHangup`."""
        for app in self._by_channel.pop(channel, ()):
            execution = self._executions.pop(app, None)
            if execution is not None and not execution.waiter.done():
                execution.waiter.set_exception(ChannelHangup(channel, event))
        self._update()

    def lingering(self, channel: str) -> None:
        """The linger notice of ``channel``: it hung up, the socket stays."""
        self.hung_up.setdefault(channel, None)
        self.channel_gone(channel, None)

    # ----------------------------------------------------------------- event waiters
    def add_waiter(
        self,
        waiter: Waiter[Event],
        name: str | None,
        predicate: Callable[[Event], bool] | None,
    ) -> EventWaiter:
        """Resolve ``waiter`` with the next event called ``name`` that ``predicate`` accepts."""
        entry = EventWaiter(waiter, name, predicate)
        self._waiters.append(entry)
        self._update()
        return entry

    def drop_waiter(self, entry: EventWaiter) -> None:
        """Forget an event waiter."""
        if entry in self._waiters:
            self._waiters.remove(entry)
        self._update()

    # ----------------------------------------------------------------- events
    def track(self, event: Event) -> None:
        """Resolve what ``event`` answers (called for each event while ``tracking_active``)."""
        name = event.get("Event-Name")
        if name == "BACKGROUND_JOB":
            if self._jobs:
                job = event.get("Job-UUID")
                owner = event.get("Job-Owner-UUID")
                if job is not None and (
                    owner is None or self.session_uuid is None or owner == self.session_uuid
                ):
                    waiter = self._jobs.pop(job, None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(event)
        elif name == "CHANNEL_EXECUTE_COMPLETE":
            if self._executions:
                app = event.get("Application-UUID")
                execution = self._executions.pop(app, None) if app else None
                if execution is not None and not execution.waiter.done():
                    execution.waiter.set_result(event)
        elif name in _HANGUP_EVENTS:
            channel = event.get("Unique-ID")
            if channel is not None:
                if channel == self.session_uuid:
                    self.hung_up[channel] = event
                if channel in self._by_channel:
                    self.channel_gone(channel, event)
        if self._waiters:
            for entry in list(self._waiters):
                if (entry.name is None or entry.name == name) and (
                    entry.predicate is None or entry.predicate(event)
                ):
                    self._waiters.remove(entry)
                    if not entry.waiter.done():
                        entry.waiter.set_result(event)
        self._update()

    # ----------------------------------------------------------------- the end
    def fail_all(self, exc: BaseException) -> None:
        """The socket is gone: every pending reply, job, execution and waiter fails."""
        replies, self._replies = self._replies, deque()
        for reply in replies:
            if not reply.done():
                reply.set_exception(exc)
        jobs, self._jobs = self._jobs, {}
        for job in jobs.values():
            if not job.done():
                job.set_exception(exc)
        executions, self._executions = self._executions, {}
        self._by_channel = {}
        for execution in executions.values():
            if not execution.waiter.done():
                execution.waiter.set_exception(exc)
        waiters, self._waiters = self._waiters, []
        for entry in waiters:
            if not entry.waiter.done():
                entry.waiter.set_exception(exc)
        self._update()
