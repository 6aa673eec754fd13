"""The Backend: everything the event socket server needs from what is behind it.

``eslkit.server`` is written against these protocols only. The simulated switch implements
them through a small adapter (:class:`eslkit.switch.backend.SwitchBackend`); a real
FreeSWITCH reached through eslkit's client could implement them too (a proxy), without a
line of the server changing. The server never sees a channel's fields: a channel is a
:class:`SessionHandle`, and what a controlling socket does to it goes through the
:class:`SessionControl` the backend hands out.

The records that cross this line (:class:`CallingSite`, :class:`LogRecord`,
:class:`ApiResult`) live in :mod:`eslkit.protocol.records`, so a backend needs nothing
from the server to build them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from eslkit.protocol.event import Event
from eslkit.protocol.names import EventType
from eslkit.protocol.records import ApiResult, CallingSite, LogRecord

__all__ = [
    "ApiResult",
    "Backend",
    "CallingSite",
    "EventSink",
    "LogRecord",
    "LogSink",
    "OutboundConnector",
    "SessionControl",
    "SessionHandle",
]

#: Receives every fired event, with the type and subclass it is routed by when the firer
#: gave them (an event fired by type may carry no ``Event-Name``), else ``None, None``:
#: the server then routes it by its own ``Event-Name``/``Event-Subclass`` headers.
EventSink = Callable[[Event, "int | None", "str | None"], None]
#: Receives every log line generated.
LogSink = Callable[[LogRecord], None]


class SessionHandle(Protocol):
    """A live channel as the event socket sees it: a name, a UUID, variables."""

    @property
    def uuid(self) -> str: ...

    @property
    def name(self) -> str: ...

    def get_variable(self, name: str) -> str | None: ...

    def set_variable(self, name: str, value: str | None) -> None: ...

    def is_hungup(self) -> bool:
        """True once the channel reached CS_HANGUP or later."""
        ...


class SessionControl(Protocol):
    """One channel controlled by one event socket listener (spec §4.1, §5.4, §5.5, §6).

    FreeSWITCH's listener holds its session's read lock and flags; here the backend hands
    the listener this object instead (:meth:`Backend.take_control`, or the ``socket``
    application through :data:`OutboundConnector`), and the listener gives it back with
    :meth:`release` when it ends.
    """

    @property
    def session(self) -> SessionHandle:
        """The controlled channel."""
        ...

    def watch(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` whenever the channel hangs up, is destroyed or changes state (the
        listener's read loop then re-checks hang-up and linger)."""
        ...

    def destroyed(self) -> bool:
        """True once the channel is being destroyed (CS_DESTROY): its events no longer
        reach the controlling listener."""
        ...

    def connect(self) -> list[tuple[str, str]]:
        """The outbound ``connect`` command: the channel's data as the headers of a
        CHANNEL_DATA event (caller profile, then channel data). Tells the session that its
        socket connected."""
        ...

    def get_variable(self, name: str) -> str | None:
        """``getvar``: ``switch_channel_get_variable`` (a variable, a caller-profile field,
        then a global variable)."""
        ...

    def set_divert(self, deliver: Callable[[Event], bool] | None) -> None:
        """``divert_events on`` (a callable) or ``off`` (None): while on, a session event
        the session dequeues goes to ``deliver`` instead of being fired; ``deliver`` returns
        False when it cannot take it (the event is fired as usual then)."""
        ...

    def pull_diverted(self, into: deque[Event], limit: int) -> None:
        """Move the session's waiting session events into ``into`` while it holds fewer
        than ``limit`` (only while events are diverted and the channel is up)."""
        ...

    def queue_message(self, message: Event) -> bool:
        """Queue a ``sendmsg`` as a private event for the session to run; False when the
        session cannot take it (hung up, queue full)."""
        ...

    def run_message(self, message: Event) -> Awaitable[object]:
        """Run a ``sendmsg`` inline, now (a sync outbound socket is the session's thread)."""
        ...

    def release(self, resume: bool) -> None:
        """The listener ended: stop diverting, send the channel on (``resume``: back to
        the dialplan unless it is being transferred or hibernating) and end a park that
        waits for the socket (spec §6.6)."""
        ...


#: How the ``socket`` application reaches a server: connect to ``host:port`` and run an
#: outbound listener controlling ``control`` (``async_mode``, ``full`` from the app's
#: arguments). Returns once connected; raises :class:`OSError` or :class:`TimeoutError`
#: when the host does not accept.
OutboundConnector = Callable[["SessionControl", str, int, bool, bool], Awaitable[None]]


class Backend(Protocol):
    """What the event socket server serves: a switch, simulated or real."""

    @property
    def core_uuid(self) -> str: ...

    # ---------------------------------------------------------------- event and log streams
    def subscribe_events(self, sink: EventSink) -> Callable[[], None]:
        """Call ``sink`` synchronously for every fired event; returns an unsubscriber."""
        ...

    def subscribe_logs(self, sink: LogSink) -> Callable[[], None]:
        """Call ``sink`` for every log line generated; returns an unsubscriber."""
        ...

    def new_event(
        self, event_type: EventType, calling: CallingSite, subclass: str | None = None
    ) -> Event:
        """A new event with the standard headers of §5.8 stamped (and Event-Sequence taken)."""
        ...

    def stamp_standard_headers(
        self, event: Event, calling: CallingSite, event_type: EventType | None = None
    ) -> None:
        """Append the standard headers to an existing event (``sendevent``), with
        ``Event-Name`` from ``event_type``."""
        ...

    def fire(
        self, event: Event, event_type: int | None = None, subclass: str | None = None
    ) -> None:
        """Deliver ``event`` to every subscriber, in firing order; with ``event_type``,
        routed by that type and ``subclass`` rather than by its headers."""
        ...

    def custom_subclasses(self) -> Iterable[str]:
        """Every CUSTOM subclass registered (``event ALL`` subscribes to them)."""
        ...

    def log(
        self,
        level: int,
        text: str,
        *,
        file: str,
        function: str,
        line: int,
        session_uuid: str = "",
    ) -> None:
        """Generate a log line (subject to the core's global log level)."""
        ...

    # ---------------------------------------------------------------- API
    def execute_api(
        self,
        command: str,
        argument: str,
        *,
        session_uuid: str | None = None,
    ) -> Awaitable[ApiResult]:
        """Run an API command (``switch_api_execute``) and fire its API event afterwards."""
        ...

    def execute_api_nowait(
        self,
        command: str,
        argument: str,
        *,
        session_uuid: str | None = None,
    ) -> ApiResult | Awaitable[ApiResult]:
        """:meth:`execute_api`, finished on the spot (an :class:`ApiResult`) when the command
        never waits, else an awaitable of the result."""
        ...

    def execute_console(self, line: str) -> Awaitable[ApiResult]:
        """Run a console line (``console_execute: true``): ``;;`` chains, aliases."""
        ...

    # ---------------------------------------------------------------- channels
    def find_session(self, uuid: str) -> SessionHandle | None:
        """A live channel by UUID, or None."""
        ...

    def take_control(self, session: SessionHandle) -> SessionControl | None:
        """Control ``session`` from a listener (inbound ``myevents <uuid>``); None when this
        backend cannot (the listener then behaves as if it held no channel)."""
        ...

    def queue_message(self, uuid: str, message: Event) -> bool | None:
        """``sendmsg <uuid>`` to a channel the listener does not control: queue ``message``
        as its private event. None: no such channel; False: it cannot take it."""
        ...

    def queue_session_event(
        self, uuid: str, event: Event, event_type: int, subclass: str | None
    ) -> bool:
        """``sendevent`` carrying a live channel's ``Unique-ID``: queue ``event`` on that
        session (fired or diverted when the session dequeues it). False: not queued."""
        ...

    def serve_outbound(self, connector: OutboundConnector) -> None:
        """Make the switch's ``socket`` application connect through ``connector`` (the
        server calls this when it starts)."""
        ...
