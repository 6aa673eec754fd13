"""The session registry: creates, starts, finds and counts channels.

The switch builds one (``switch.sessions``) and asks it for what the core needs of the
channel layer: :meth:`~SessionManager.find_session`, :meth:`~SessionManager.stats`,
:meth:`~SessionManager.show_rows`, :meth:`~SessionManager.hupall`,
:meth:`~SessionManager.channel_data`. The channel API commands (originate, uuid_*) are a
module of their own (:mod:`eslkit.switch.apis.channel_commands`).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

from eslkit.protocol.event import Event
from eslkit.protocol.names import HangupCause
from eslkit.switch import calllog as cl
from eslkit.switch import channel_events as ce
from eslkit.switch.channel import CallerProfile, Channel, Codec, Direction
from eslkit.switch.coredb import CHANNEL_COLUMNS, CoreDB
from eslkit.switch.dialplan import Dialplan

if TYPE_CHECKING:
    from eslkit.switch.core import SessionStats, Switch
    from eslkit.switch.endpoints import Endpoint, OutgoingRequest

__all__ = ["SessionManager"]


class SessionManager:
    """All live channels of one switch, and the factory for new ones."""

    def __init__(self, switch: Switch, dialplan: Dialplan | None = None) -> None:
        from eslkit.switch.execution import SessionRunner

        self.switch = switch
        self.dialplan = dialplan if dialplan is not None else Dialplan.default()
        self.channels: dict[str, Channel] = {}
        self.runner = SessionRunner(self)
        self.since_startup = 0
        self.peak = 0
        self._peak_window: deque[tuple[float, int]] = deque(maxlen=4096)
        self._created_times: deque[float] = deque(maxlen=100_000)
        self._sps_peak = 0
        self._endpoints: dict[str, Endpoint] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        #: The channels/calls tables ``show`` reads, fed by the channel events.
        self.coredb = CoreDB(switch.config.switchname)

    # ------------------------------------------------------------------ lookup
    def find_session(self, uuid: str) -> Channel | None:
        """A live channel by UUID (until CS_DESTROY)."""
        return self.channels.get(uuid)

    def get(self, uuid: str) -> Channel | None:
        """Alias of :meth:`find_session`."""
        return self.channels.get(uuid)

    def endpoint_of(self, channel: Channel) -> Endpoint | None:
        """The endpoint that created ``channel``."""
        return self._endpoints.get(channel.uuid)

    def channel_data(self, session: Channel, event: Event) -> None:
        """``switch_channel_event_set_data``: append the channel's data to ``event``."""
        channel = self.channels.get(session.uuid)
        if channel is not None:
            ce.event_set_data(channel, event)

    # ------------------------------------------------------------------ creation
    def new_channel(
        self,
        *,
        name: str,
        direction: Direction,
        endpoint: Endpoint | None,
        profile: CallerProfile | None = None,
        codec: Codec | None = None,
        rename_to: str | None = None,
    ) -> Channel:
        """A registered channel with FreeSWITCH's first variables and its CODEC events.

        Outbound: direction, is_outbound, uuid, call_uuid, session_id, read/write codec,
        channel_name. Not started: call :meth:`start` (after the endpoint set it up)."""
        channel = Channel(self.switch, name=name, direction=direction, endpoint=endpoint.name if endpoint else "")
        self.since_startup += 1
        channel.session_id = self.since_startup
        channel.set_variable("direction", direction.value)
        if direction is Direction.OUTBOUND:
            channel.set_variable("is_outbound", "true")
            # switch_core_session_request_uuid; an origination uuid (set_uuid) moves them
            # after channel_name later.
            channel.set_variable("uuid", channel.uuid)
            channel.set_variable("call_uuid", channel.uuid)
            channel.set_variable("session_id", str(channel.session_id))
        else:
            channel.set_variable("uuid", channel.uuid)
            channel.set_variable("call_uuid", channel.uuid)
            channel.set_variable("session_id", str(channel.session_id))
            channel.set_variable("channel_name", name)
        if self.switch.logs.listen >= 0:
            cl.new_channel(channel)
            if endpoint is not None:
                endpoint.log_new(channel)
        self.set_codecs(channel, codec or Codec())
        if rename_to:
            if rename_to != channel.name:
                cl.rename_channel(channel, channel.name, rename_to)
            channel.name = rename_to
        if direction is Direction.OUTBOUND:
            channel.set_variable("channel_name", channel.name)
        if profile is not None:
            channel.caller_profile = profile
        self.channels[channel.uuid] = channel
        if endpoint is not None:
            self._endpoints[channel.uuid] = endpoint
        count = len(self.channels)
        if count > self.peak:
            self.peak = count
        now = time.monotonic()
        self._peak_window.append((now, count))
        created = self._created_times
        created.append(now)
        while now - created[0] > 1.0:  # only the last second matters (sessions per second)
            created.popleft()
        return channel

    def set_codecs(self, channel: Channel, codec: Codec) -> None:
        """Set the read then the write codec, each with its variables and CODEC event."""
        channel.read_codec = Codec(codec.name, codec.rate, codec.bit_rate)
        if channel.direction is Direction.OUTBOUND:
            channel.set_variable("read_codec", codec.name)
            channel.set_variable("read_rate", str(codec.rate))
        ce.fire_codec(channel, write=False)
        channel.write_codec = Codec(codec.name, codec.rate, codec.bit_rate)
        if channel.direction is Direction.OUTBOUND:
            channel.set_variable("write_codec", codec.name)
            channel.set_variable("write_rate", str(codec.rate))
        else:
            channel.set_variable("read_codec", codec.name)
            channel.set_variable("read_rate", str(codec.rate))
            channel.set_variable("write_codec", codec.name)
            channel.set_variable("write_rate", str(codec.rate))
        ce.fire_codec(channel, write=True)

    def rename(self, channel: Channel, name: str) -> None:
        """``switch_channel_set_name``: the name and ``channel_name``."""
        channel.name = name
        channel.set_variable("channel_name", name)
        if channel.caller_profile is not None:
            channel.caller_profile.chan_name = name

    def change_uuid(self, channel: Channel, new_uuid: str) -> bool:
        """``switch_core_session_set_uuid``: rekey and fire CHANNEL_UUID. False if taken."""
        if new_uuid in self.channels:
            return False
        old = channel.uuid
        self.channels.pop(old, None)
        endpoint = self._endpoints.pop(old, None)
        channel.uuid = new_uuid
        self.channels[new_uuid] = channel
        if endpoint is not None:
            self._endpoints[new_uuid] = endpoint
        channel.set_variable("uuid", new_uuid)
        channel.set_variable("call_uuid", new_uuid)
        if channel.caller_profile is not None:
            channel.caller_profile.uuid = new_uuid
        ce.fire_channel_uuid(channel, old)
        return True

    def start(self, channel: Channel) -> None:
        """Launch the channel's session task (``switch_core_session_thread_launch``)."""
        task = self.switch.spawn(self.runner.run_session(channel))
        self._tasks[channel.uuid] = task

    def remove(self, channel: Channel) -> None:
        """Forget a destroyed channel."""
        if self.channels.get(channel.uuid) is channel:
            del self.channels[channel.uuid]
            self._endpoints.pop(channel.uuid, None)
        self._tasks.pop(channel.uuid, None)

    def outgoing(self, request: OutgoingRequest) -> Channel | HangupCause:
        """Create an outgoing channel through the request's endpoint."""
        endpoint = self.switch.modules.endpoint(request.endpoint)
        if endpoint is None:
            return HangupCause.CHAN_NOT_IMPLEMENTED
        if self.switch.no_new_sessions or self.switch.no_new_outbound:
            return HangupCause.SYSTEM_SHUTDOWN
        if len(self.channels) >= self.switch.max_sessions:
            return HangupCause.SWITCH_CONGESTION
        return endpoint.outgoing(self, request)

    # ------------------------------------------------------------------ what the core asks
    def stats(self) -> SessionStats:
        """Counters for ``status`` and HEARTBEAT."""
        from eslkit.switch.core import SessionStats

        now = time.monotonic()
        while self._peak_window and now - self._peak_window[0][0] > 300:
            self._peak_window.popleft()
        fivemin = max((c for _, c in self._peak_window), default=len(self.channels))
        last_sec = sum(1 for t in self._created_times if now - t <= 1.0)
        self._sps_peak = max(self._sps_peak, last_sec)
        return SessionStats(
            count=len(self.channels),
            since_startup=self.since_startup,
            peak=self.peak,
            peak_fivemin=max(fivemin, len(self.channels)),
            sps_last=last_sec,
            sps_peak=self._sps_peak,
            sps_peak_fivemin=self._sps_peak,
        )

    def hupall(self, cause: HangupCause, pairs: Sequence[tuple[str, str]]) -> None:
        """Hang up every channel (matching all var/value pairs) with ``cause``."""
        for channel in list(self.channels.values()):
            if all(channel.get_variable(var) == value for var, value in pairs):
                channel.hangup(cause)

    def show_rows(self, table: str) -> tuple[Sequence[str], Sequence[Sequence[str]]]:
        """``show channels`` / ``show calls`` / ... rows, from the core tables."""
        db = self.coredb
        if table == "channels":
            return db.channels()
        if table in ("calls", "bridged_calls", "detailed_calls", "detailed_bridged_calls"):
            return db.calls(detailed=table.startswith("detailed"), bridged_only="bridged" in table)
        return CHANNEL_COLUMNS, []
