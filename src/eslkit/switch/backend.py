"""The simulated switch as the event socket server's Backend.

:class:`SwitchBackend` adapts a :class:`~eslkit.switch.core.Switch` to the protocol of
:mod:`eslkit.server.backend` (structurally: nothing here imports the server), and
:class:`ChannelControl` is what a controlling listener holds on one channel: everything
mod_event_socket does to a session (the ``connect`` data, ``divert_events``, ``sendmsg``
run inline or queued, the channel's fate when the socket closes) happens here, on the
switch's side of the line.

``eslkit.bootstrap`` wires one switch and one server together through it::

    server = EventSocketServer(SwitchBackend(switch), settings)
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from eslkit.fsutil import switch_true
from eslkit.protocol.event import Event
from eslkit.protocol.names import ChannelState, EventType
from eslkit.switch import channel_events as ce
from eslkit.switch.channel import Channel, ChannelChange

if TYPE_CHECKING:
    from eslkit.protocol.records import LogRecord
    from eslkit.switch.core import Switch

__all__ = ["ChannelControl", "OutboundConnector", "SwitchBackend", "resume_wanted"]

#: How the ``socket`` application reaches an event socket server (the server's
#: ``OutboundConnector``): connect to host:port and run an outbound listener controlling
#: the channel; raises OSError/TimeoutError when the host does not accept.
OutboundConnector = Callable[["ChannelControl", str, int, bool, bool], Awaitable[None]]

_DESTROYED = int(ChannelState.CS_DESTROY)
_WAKING_CHANGES = (ChannelChange.HANGUP, ChannelChange.DESTROY, ChannelChange.STATE)


class ChannelControl:
    """A channel controlled by one event socket listener (the server's SessionControl)."""

    def __init__(self, switch: Switch, channel: Channel) -> None:
        self.switch = switch
        self.channel = channel
        #: The outbound ``connect`` command was seen.
        self.connected = False
        #: The listener ended (:meth:`release`), and whether it asked to resume.
        self.finished = False
        self.resume = False
        #: Set on a hang-up, destroy or state change, on ``connect`` and at the end: the
        #: ``socket`` application waits on it.
        self.changed = asyncio.Event()
        self._wake: Callable[[], None] | None = None
        self._unsubscribe: Callable[[], None] | None = channel.add_listener(self._on_change)

    def _on_change(self, channel: Channel, change: ChannelChange) -> None:
        if change in _WAKING_CHANGES:
            self.changed.set()
            wake = self._wake
            if wake is not None:
                wake()

    @property
    def session(self) -> Channel:
        """The controlled channel."""
        return self.channel

    def watch(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` on a hang-up, destroy or state change."""
        self._wake = wake

    def destroyed(self) -> bool:
        """True once the channel reached CS_DESTROY (the listener's session lock keeps
        FreeSWITCH from destroying it while the socket is open, so CHANNEL_DESTROY never
        reaches the controlling listener: Finding 5)."""
        return int(self.channel.state) >= _DESTROYED

    def connect(self) -> list[tuple[str, str]]:
        """The ``connect`` data: caller-profile headers, then the channel data."""
        channel = self.channel
        pairs: list[tuple[str, str]] = []
        if channel.caller_profile is not None:
            ce.profile_headers(channel.caller_profile, "Channel", pairs)
        data = Event([], None)
        ce.event_set_data(channel, data, "CHANNEL_DATA")
        pairs.extend(data.headers)
        self.connected = True
        self.changed.set()
        return pairs

    def get_variable(self, name: str) -> str | None:
        """A channel variable, else a caller-profile field, else a global variable."""
        if not name:
            return None
        found = self.channel.lookup(name)
        return found if found is not None else self.switch.get_global(name)

    def set_divert(self, deliver: Callable[[Event], bool] | None) -> None:
        """The channel's CF_DIVERT_EVENTS flag and the diverter its session task calls."""
        channel = self.channel
        if deliver is None:
            channel.flags.discard("CF_DIVERT_EVENTS")
            channel.event_diverter = None
            return
        channel.flags.add("CF_DIVERT_EVENTS")

        def divert(event: Event) -> bool:
            if channel.state >= ChannelState.CS_HANGUP:
                return False
            return deliver(event)

        channel.event_diverter = divert

    def pull_diverted(self, into: deque[Event], limit: int) -> None:
        """Move waiting session events into ``into`` (the listener's read loop, §5.5)."""
        channel = self.channel
        if channel.state >= ChannelState.CS_HANGUP or "CF_DIVERT_EVENTS" not in channel.flags:
            return
        while len(into) < limit:
            event = channel.pop_session_event()
            if event is None:
                break
            into.append(event)

    def queue_message(self, message: Event) -> bool:
        """Queue a private event (``sendmsg`` on an async socket, or ``async: true``)."""
        return _queue_private(self.channel, message)

    def run_message(self, message: Event) -> Awaitable[bool]:
        """Run a ``sendmsg`` now (``switch_ivr_parse_event`` in the socket's thread)."""
        return self.switch.sessions.runner.parse_event(self.channel, message)

    def release(self, resume: bool) -> None:
        """After the listener: resume (CS_RESET), end a park, wake the socket app (§6.6)."""
        channel = self.channel
        self.detach()
        if channel.event_diverter is not None and "CF_DIVERT_EVENTS" in channel.flags:
            channel.event_diverter = None
        if resume_wanted(resume, channel):
            channel.set_state(ChannelState.CS_RESET)
        # Clearing CF_CONTROLLED ends a park the channel is in (switch_ivr_park's loop).
        if "CF_PARK" in channel.flags:
            channel.flags.discard("CF_PARK")
            channel.interrupt()
        self.resume = resume
        self.finished = True
        self.changed.set()

    def detach(self) -> None:
        """Stop watching the channel (no listener took it, or the listener ended)."""
        unsubscribe = self._unsubscribe
        if unsubscribe is not None:
            self._unsubscribe = None
            unsubscribe()
        self._wake = None


def _queue_private(channel: Channel, message: Event) -> bool:
    """``switch_core_session_queue_private_event``: FreeSWITCH takes private events until
    the session is destroyed (a controlling listener keeps it from being destroyed), even
    after a hang-up, when nothing will ever run them: accepted then, and dropped."""
    if channel.state >= ChannelState.CS_HANGUP:
        return True
    return channel.queue_private_message(message)


def resume_wanted(resume: bool, channel: Channel) -> bool:
    """The resume condition of listener_run/socket_function: asked for (command or
    ``socket_resume``) and the channel is not hibernating, redirecting, transferring or
    resetting."""
    if channel.state == ChannelState.CS_HIBERNATE:
        return False
    if channel.flags & {"CF_REDIRECT", "CF_TRANSFER", "CF_RESET"}:
        return False
    return resume or switch_true(channel.get_variable("socket_resume"))


class SwitchBackend:
    """The simulated switch behind an event socket server (a ``Backend``)."""

    def __init__(self, switch: Switch) -> None:
        self.switch = switch
        # The hot paths call the switch's own bound methods: no extra frame per command.
        self.new_event = switch.new_event
        self.stamp_standard_headers = switch.stamp_standard_headers
        self.execute_api = switch.execute_api
        self.execute_api_nowait = switch.execute_api_nowait
        self.execute_console = switch.execute_console
        self.find_session = switch.find_session
        self.log = switch.log
        #: The event socket server tells the switch which log levels its connections take
        #: (``log N``/``nolog``), so no line is built while none of them logs.
        self.set_log_interest = switch.set_log_interest

    def subscribe_logs(self, sink: Callable[[LogRecord], None]) -> Callable[[], None]:
        """Call ``sink`` for every log line a connection asked for (:attr:`set_log_interest`)."""
        return self.switch.subscribe_logs(sink, managed=True)

    @property
    def core_uuid(self) -> str:
        """The switch's ``Core-UUID``."""
        return self.switch.core_uuid

    def subscribe_events(
        self, sink: Callable[[Event, int | None, str | None], None]
    ) -> Callable[[], None]:
        """Every event the switch fires, with its routing type when fired by type."""
        switch = self.switch

        def deliver(event: Event) -> None:
            route = switch.typed_route
            if route is not None and route[0] == id(event):
                sink(event, route[1], route[2])
            else:
                sink(event, None, None)

        return switch.subscribe_events(deliver)

    def fire(
        self, event: Event, event_type: int | None = None, subclass: str | None = None
    ) -> None:
        """Fire on the switch's bus (by type when ``event_type`` is given)."""
        if event_type is None:
            self.switch.fire(event)
        else:
            self.switch.fire_typed(event, event_type, subclass)

    def custom_subclasses(self) -> Iterable[str]:
        """The simulated switch registers no CUSTOM subclasses."""
        return ()

    def take_control(self, session: object) -> ChannelControl | None:
        """Control a live channel from an inbound listener (``myevents <uuid>``)."""
        channel = self._channel(session)
        return ChannelControl(self.switch, channel) if channel is not None else None

    def _channel(self, session: object) -> Channel | None:
        if isinstance(session, Channel):
            return session
        uuid = getattr(session, "uuid", None)
        return self.switch.sessions.find_session(uuid) if isinstance(uuid, str) else None

    def queue_message(self, uuid: str, message: Event) -> bool | None:
        """``sendmsg <uuid>``: the channel's private event queue (None: no such channel)."""
        channel = self.switch.sessions.find_session(uuid)
        if channel is None:
            return None
        return _queue_private(channel, message)

    def queue_session_event(
        self, uuid: str, event: Event, event_type: int, subclass: str | None
    ) -> bool:
        """``sendevent`` with the ``Unique-ID`` of a live session: queue it there (§5.9)."""
        channel = self.switch.sessions.find_session(uuid)
        if channel is None:
            return False
        try:
            typed = EventType(event_type)
        except ValueError:
            typed = EventType.CUSTOM
        return channel.queue_session_event(event, typed, subclass)

    def serve_outbound(self, connector: OutboundConnector) -> None:
        """Route the switch's ``socket`` application to ``connector`` (and load the
        application into the switch, as loading mod_event_socket does)."""
        from eslkit.switch.apps.event_socket import module

        self.switch.outbound_connector = connector
        if module not in self.switch.modules.loaded:
            self.switch.load_module(module)
