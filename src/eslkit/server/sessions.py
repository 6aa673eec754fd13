"""The event socket's session side: a listener that controls a channel.

A listener gets a session in two ways: outbound mode (the ``socket`` application, see
:mod:`eslkit.server.outbound`) or inbound ``myevents <uuid>``. :class:`SessionSupport`
implements everything that then differs from a channel-free connection (spec §4.1, §5.4,
§5.5, §5.9, §6): the ``connect`` reply, ``divert_events``, ``sendmsg`` (run inline or
queued to the channel), ``sendevent`` to a live session, the hang-up/linger checks of the
read loop with their notices, and the channel's fate when the socket closes.

It works on the simulated switch's :class:`~eslkit.switch.channel.Channel`; the server
only calls it as its :class:`~eslkit.server.channel_layer.ChannelLayer`, which
:func:`install` sets.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eslkit.fsutil import switch_true
from eslkit.protocol import builders
from eslkit.protocol.command import Command, strip_cr
from eslkit.protocol.event import Event
from eslkit.protocol.names import ChannelState, EventType
from eslkit.server.backend import CallingSite, SessionHandle
from eslkit.switch import channel_events as ce
from eslkit.switch.channel import Channel, ChannelChange

if TYPE_CHECKING:
    from eslkit.server.listener import Listener
    from eslkit.server.socket_server import EventSocketServer
    from eslkit.switch.core import Switch
    from eslkit.switch.execution import SessionRunner

__all__ = ["CONNECT_SITE", "ControlState", "SessionSupport", "install", "switch_true"]

log = logging.getLogger("eslkit.server")

#: The outbound ``connect`` reply's calling site (conformance README, rule 5).
CONNECT_SITE = CallingSite("mod_event_socket.c", "parse_command", 2029)
#: How many queued private events the async socket app handles after its park.
MAX_TRAILING_MESSAGES = 1000

_DESTROYED = int(ChannelState.CS_DESTROY)


@dataclass
class ControlState:
    """What a session-holding listener tracks besides the listener's own flags."""

    channel: Channel
    #: ``LFLAG_HANDLE_DISCO``: the hang-up was noticed (once).
    handled_disco: bool = False
    #: Whole epoch second after which a lingering listener closes (None: never).
    linger_until: int | None = None
    #: The async socket app waits on this for ``connect`` or the listener's end.
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    finished: bool = False
    unsubscribe: Callable[[], None] | None = None


class SessionSupport:
    """The channel-layer half of mod_event_socket, installed on one server."""

    def __init__(self, server: EventSocketServer, switch: Switch) -> None:
        self.server = server
        self.switch = switch
        self.states: dict[int, ControlState] = {}

    # ------------------------------------------------------------------ helpers
    def channel_of(self, session: SessionHandle | None) -> Channel | None:
        """The simulated channel behind a session handle (None if it is not one)."""
        if isinstance(session, Channel):
            return session
        if session is None:
            return None
        found = self.switch.sessions.find_session(session.uuid)
        return found

    def state_of(self, listener: Listener) -> ControlState | None:
        """The control state of ``listener`` (None when it holds no channel)."""
        return self.states.get(id(listener))

    @property
    def runner(self) -> SessionRunner:
        """The switch's session runner (executes applications)."""
        return self.switch.sessions.runner

    # ------------------------------------------------------------------ attach
    def attach(self, listener: Listener, session: SessionHandle) -> None:
        """Lock ``session`` to ``listener`` (outbound start, inbound ``myevents <uuid>``)."""
        channel = self.channel_of(session)
        if channel is None or id(listener) in self.states:
            return
        state = ControlState(channel)

        def on_change(ch: Channel, change: ChannelChange) -> None:
            if change in (ChannelChange.HANGUP, ChannelChange.DESTROY, ChannelChange.STATE):
                state.changed.set()
                listener.wake()

        state.unsubscribe = channel.add_listener(on_change)
        self.states[id(listener)] = state

    def blocks(self, listener: Listener, event: Event) -> bool:
        """True for the controlled channel's events once it is being destroyed: the
        listener's session lock keeps FreeSWITCH from destroying it while the socket is
        open, so CHANNEL_DESTROY never reaches the controlling listener (Finding 5)."""
        state = self.states.get(id(listener))
        if state is None:
            return False
        channel = state.channel
        return int(channel.state) >= _DESTROYED and event.get("Unique-ID") == channel.uuid

    def get_variable(self, session: SessionHandle, name: str) -> str | None:
        """``getvar``: a channel variable, else a caller-profile field, else a global."""
        channel = self.channel_of(session)
        if channel is None:
            return session.get_variable(name)
        if not name:
            return None
        found = channel.lookup(name)
        return found if found is not None else self.switch.get_global(name)

    # ------------------------------------------------------------------ connect
    def connect_reply(self, listener: Listener) -> bytes:
        """The outbound ``connect`` reply: a bare CHANNEL_DATA serialization (spec §6.3)."""
        state = self.state_of(listener)
        if state is None:
            return b""
        channel = state.channel
        event = self.switch.new_event(EventType.CHANNEL_DATA, CONNECT_SITE)
        pairs: list[tuple[str, str]] = []
        if channel.caller_profile is not None:
            ce.profile_headers(channel.caller_profile, "Channel", pairs)
        data = Event([], None)
        ce.event_set_data(channel, data, "CHANNEL_DATA")
        pairs.extend(data.headers)
        pairs.extend(
            (
                ("Content-Type", "command/reply"),
                ("Reply-Text", "+OK\n"),
                ("Socket-Mode", "async" if listener.async_mode else "static"),
                ("Control", "full" if listener.full else "single-channel"),
            )
        )
        for name, value in pairs:
            # CHANNEL_DATA keeps header names unique: a repeated name moves to the end.
            event.set_header(name, value)
        state.changed.set()
        return event.to_plain()

    # ------------------------------------------------------------------ divert
    def set_divert(self, listener: Listener, on: bool) -> None:
        """``divert_events on|off``: the channel's CF_DIVERT_EVENTS flag."""
        state = self.state_of(listener)
        if state is None:
            return
        channel = state.channel
        if on:
            channel.flags.add("CF_DIVERT_EVENTS")

            def divert(event: Event) -> bool:
                if not listener.running or channel.state >= ChannelState.CS_HANGUP:
                    return False
                if len(listener.events) >= self.server.options.max_queue:
                    return False
                listener.enqueue_event(event)
                return True

            channel.event_diverter = divert
        else:
            channel.flags.discard("CF_DIVERT_EVENTS")
            channel.event_diverter = None

    def pull_diverted(self, listener: Listener) -> None:
        """Move waiting session events into the listener queue (read loop, spec §5.5)."""
        state = self.state_of(listener)
        if state is None:
            return
        channel = state.channel
        if channel.state >= ChannelState.CS_HANGUP or "CF_DIVERT_EVENTS" not in channel.flags:
            return
        limit = self.server.options.max_queue
        while len(listener.events) < limit:
            event = channel.pop_session_event()
            if event is None:
                break
            listener.events.append(event)

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

    def fire_session_event(self, event: Event, event_type: EventType, subclass: str | None) -> None:
        """Fire a session event the park loop dequeued, delivered by its own type and
        subclass: it has no ``Event-Name`` to route it by (Finding 10)."""
        self.server.fire_typed(event, int(event_type), subclass)

    # ------------------------------------------------------------------ sendmsg
    async def sendmsg(
        self, listener: Listener, session: SessionHandle | None, command: Command
    ) -> str | None:
        """``sendmsg``: run inline (sync, own session) or queue as a private event."""
        message = sendmsg_event(command)
        if session is None:
            state = self.state_of(listener)
            if state is None:
                return "+OK"
            channel = state.channel
            if listener.async_mode or switch_true(command.header("async")):
                return self._queue(listener, channel, message)
            await self.runner.parse_event(channel, message)
            return "+OK"
        target = self.channel_of(session)
        if target is None:
            return f"-ERR invalid session id [{session.uuid}]"
        return self._queue(listener, target, message)

    @staticmethod
    def _queue(listener: Listener, channel: Channel, message: Event) -> str | None:
        if channel.queue_private_message(message):
            return "+OK"
        # "-ERR memory error" is never sent: FreeSWITCH stops the listener instead.
        listener.running = False
        return None

    # ------------------------------------------------------------------ hang-up / linger
    def check(self, listener: Listener) -> float | None:
        """The read loop's hang-up and linger checks (spec §6.5): None when nothing is
        pending, else the longest wait before checking again (0: end the listener now)."""
        state = self.state_of(listener)
        if state is None:
            return None
        channel = state.channel
        now = self.server.clock()
        if state.handled_disco:
            if state.linger_until is None:
                return None
            if math.floor(now) > state.linger_until:
                log.debug("linger timeout, closing socket")
                return 0
            return state.linger_until + 1 - now
        if not channel.is_hungup():
            return None
        state.handled_disco = True
        if not listener.linger:
            return 0
        seconds = int(listener.linger_timeout)
        listener.write(builders.linger_notice(channel.uuid, channel.name, seconds))
        if seconds == -1:
            return None
        state.linger_until = math.floor(now) + seconds
        return state.linger_until + 1 - now

    # ------------------------------------------------------------------ teardown
    def run_outbound(self, listener: Listener) -> Awaitable[None]:
        """An outbound listener's life (see :func:`eslkit.server.outbound.run_outbound`)."""
        from eslkit.server.outbound import run_outbound

        return run_outbound(listener)

    def teardown(self, listener: Listener) -> None:
        """After the read loop: resume (CS_RESET), release the channel (spec §6.6)."""
        state = self.states.pop(id(listener), None)
        if state is None:
            return
        channel = state.channel
        if state.unsubscribe is not None:
            state.unsubscribe()
        if channel.event_diverter is not None and "CF_DIVERT_EVENTS" in channel.flags:
            channel.event_diverter = None
        if resume_wanted(listener.resume, channel):
            channel.set_state(ChannelState.CS_RESET)
        # Clearing CF_CONTROLLED ends a park the channel is in (switch_ivr_park's loop).
        if "CF_PARK" in channel.flags:
            channel.flags.discard("CF_PARK")
            channel.interrupt()
        state.finished = True
        state.changed.set()


def resume_wanted(resume: bool, channel: Channel) -> bool:
    """The resume condition of listener_run/socket_function: asked for (command or
    ``socket_resume``) and the channel is not hibernating, redirecting, transferring or
    resetting."""
    if channel.state == ChannelState.CS_HIBERNATE:
        return False
    if channel.flags & {"CF_REDIRECT", "CF_TRANSFER", "CF_RESET"}:
        return False
    return resume or switch_true(channel.get_variable("socket_resume"))


def sendmsg_event(command: Command) -> Event:
    """The event a ``sendmsg`` packet becomes (its ``Command`` header as FreeSWITCH leaves
    it: cut at the line end when a target follows, else the whole raw block)."""
    raw = command.raw
    rest = raw[7:].lstrip(" ")
    line = raw if rest[:1] in ("\r", "\n") else strip_cr(raw)
    headers = [("Command", line)]
    headers.extend((name, value) for name, value in command.headers if value)
    return Event(headers, command.body_text)


def install(server: EventSocketServer) -> SessionSupport | None:
    """Give ``server`` its session side when its switch has channels; registers the
    ``socket`` application for it too. Returns the installed support (None: no channels)."""
    from eslkit.switch.core import Switch

    switch = server.switch
    if not isinstance(switch, Switch):
        return None
    from eslkit.server import outbound

    support = SessionSupport(server, switch)
    server.channel_layer = support
    switch.sessions.runner.fire_session_event = support.fire_session_event
    outbound.register(server, support)
    return support
