"""``null/<anything>``: a remote party that answers by itself.

``null_auto_answer_delay`` (milliseconds, default 0) delays the answer; ``null_reject``
(a hangup cause name) refuses the call instead, after the same delay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eslkit.fsutil import c_atoi
from eslkit.protocol.names import HangupCause, hangup_cause_from_string
from eslkit.switch.endpoints import Endpoint, OutgoingRequest, make_outbound
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel
    from eslkit.switch.sessions import SessionManager

__all__ = ["ENDPOINT", "NullEndpoint", "module"]


class NullEndpoint(Endpoint):
    """The ``null`` endpoint."""

    name = "null"

    def outgoing(self, manager: SessionManager, request: OutgoingRequest) -> Channel | HangupCause:
        """A channel named ``null/<target>``."""
        return make_outbound(manager, self, f"null/{request.target}", request)

    def on_created(self, channel: Channel) -> None:
        """Answer (or reject) after ``null_auto_answer_delay`` ms."""
        delay = max(0, c_atoi(channel.get_variable("null_auto_answer_delay") or "0")) / 1000.0
        reject = channel.get_variable("null_reject")
        channel.switch.spawn(_answer_later(channel, delay, reject))


async def _answer_later(channel: Channel, delay: float, reject: str | None) -> None:
    if delay > 0:
        await channel.wait_for(lambda ch: not ch.ready, delay)
    if not channel.ready:
        return
    if reject:
        channel.hangup(hangup_cause_from_string(reject))
    else:
        channel.answer()


ENDPOINT = NullEndpoint()
module = Module("mod_loopback")
module.add_endpoint(ENDPOINT)
