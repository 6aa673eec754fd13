"""What the event socket server asks of the channel layer.

A connection without a channel needs nothing of it. Once a listener controls a channel
(outbound mode, or inbound ``myevents <uuid>``), the server hands the parts of
mod_event_socket that touch the channel to one :class:`ChannelLayer` object, which
:func:`eslkit.server.sessions.install` provides for the simulated switch. A server without
one (a switch that has no channels) answers those commands as FreeSWITCH does when there is
no session.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Protocol

from eslkit.protocol.event import Event
from eslkit.server.backend import SessionHandle

if TYPE_CHECKING:
    from eslkit.protocol.command import Command
    from eslkit.server.listener import Listener

__all__ = ["ChannelLayer"]


class ChannelLayer(Protocol):
    """The channel side of mod_event_socket (spec §4.1, §5.4, §5.5, §5.9, §6)."""

    def connect_reply(self, listener: Listener) -> bytes:
        """The outbound ``connect`` reply: the channel's data as a command/reply frame."""
        ...

    def attach(self, listener: Listener, session: SessionHandle) -> None:
        """``listener`` now controls ``session`` (inbound ``myevents <uuid>``)."""
        ...

    def set_divert(self, listener: Listener, on: bool) -> None:
        """``divert_events on|off``."""
        ...

    def pull_diverted(self, listener: Listener) -> None:
        """Move the channel's diverted session events into the listener's queue."""
        ...

    def sendmsg(
        self, listener: Listener, session: SessionHandle | None, command: Command
    ) -> Awaitable[str | None]:
        """``sendmsg`` to the listener's own channel (None) or another one."""
        ...

    def queue_session_event(
        self, uuid: str, event: Event, event_type: int, subclass: str | None
    ) -> bool:
        """``sendevent`` with a live channel's ``Unique-ID``: True when queued there."""
        ...

    def get_variable(self, session: SessionHandle, name: str) -> str | None:
        """``switch_channel_get_variable``: variable, caller-profile field, then global."""
        ...

    def blocks(self, listener: Listener, event: Event) -> bool:
        """True when ``event`` must not reach this session-holding listener."""
        ...

    def check(self, listener: Listener) -> float | None:
        """Hang-up and linger handling of the read loop: None (nothing pending), a delay to
        wait at most before checking again, or 0 (the listener ends now)."""
        ...

    def teardown(self, listener: Listener) -> None:
        """The channel's fate when the listener ends."""
        ...

    def run_outbound(self, listener: Listener) -> Awaitable[None]:
        """An outbound listener's life (first packet, then the command loop)."""
        ...
