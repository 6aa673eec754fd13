"""``error/<CAUSE>``: fails at once with the named hangup cause (mod_dptools)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eslkit.protocol.names import HangupCause, hangup_cause_from_string
from eslkit.switch.endpoints import Endpoint, OutgoingRequest
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel
    from eslkit.switch.sessions import SessionManager

__all__ = ["ENDPOINT", "ErrorEndpoint", "module"]


class ErrorEndpoint(Endpoint):
    """The ``error`` endpoint: never creates a channel."""

    name = "error"

    def outgoing(self, manager: SessionManager, request: OutgoingRequest) -> Channel | HangupCause:
        """The cause named by the target (NORMAL_CLEARING when unknown)."""
        cause = hangup_cause_from_string(request.target or "")
        return HangupCause.NORMAL_CLEARING if cause == HangupCause.NONE else cause


ENDPOINT = ErrorEndpoint()
module = Module("mod_dptools")
module.add_endpoint(ENDPOINT)
