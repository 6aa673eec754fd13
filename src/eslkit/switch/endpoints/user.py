"""``user/<id>[@domain]``: a directory user. The simulated switch has no SIP users, so
every lookup ends as FreeSWITCH's does for a user without registrations:
SUBSCRIBER_ABSENT."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eslkit.protocol.names import HangupCause
from eslkit.switch.endpoints import Endpoint, OutgoingRequest

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel
    from eslkit.switch.sessions import SessionManager

__all__ = ["ENDPOINT", "UserEndpoint"]


class UserEndpoint(Endpoint):
    """The ``user`` endpoint."""

    name = "user"

    def outgoing(self, manager: SessionManager, request: OutgoingRequest) -> Channel | HangupCause:
        """SUBSCRIBER_ABSENT (no user is registered)."""
        return HangupCause.SUBSCRIBER_ABSENT


ENDPOINT = UserEndpoint()
