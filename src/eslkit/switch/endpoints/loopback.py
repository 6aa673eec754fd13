"""``loopback/<exten>[/<context>[/<dialplan>]]``: two legs joined back to back (mod_loopback).

The A leg (``loopback/<exten>-a``, outbound) is what ``originate`` gets; its init creates
the B leg (``loopback/<exten>-b``, inbound), which runs the dialplan. Answer and early media
on B reach A first; a hang-up of either leg hangs up the other with the same cause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eslkit.protocol.names import ChannelState, HangupCause
from eslkit.switch.channel import Channel, Direction
from eslkit.switch.endpoints import Endpoint, OutgoingRequest, make_outbound
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    from eslkit.switch.sessions import SessionManager

__all__ = ["ENDPOINT", "LoopbackEndpoint", "module"]


class LoopbackEndpoint(Endpoint):
    """The ``loopback`` endpoint."""

    name = "loopback"

    def outgoing(self, manager: SessionManager, request: OutgoingRequest) -> Channel | HangupCause:
        """The A leg; the B leg is created when A initialises."""
        parts = request.target.split("/")
        exten = parts[0]
        if not exten:
            return HangupCause.CHAN_NOT_IMPLEMENTED
        context = parts[1] if len(parts) > 1 and parts[1] else "default"
        dialplan = parts[2] if len(parts) > 2 and parts[2] else "xml"
        channel = make_outbound(
            manager,
            self,
            f"loopback/{exten}-a",
            request,
            destination=exten,
            context=context,
            callee_number=context,
            initial_name=f"loopback/{request.target}-a",
        )
        channel.endpoint_state = _LegInfo(manager, None, dialplan)
        return channel

    def on_init(self, channel: Channel) -> None:
        """A leg: create and start the B leg."""
        info = channel.endpoint_state
        if not isinstance(info, _LegInfo) or info.peer is not None or channel.direction is Direction.INBOUND:
            return
        manager = info.manager
        profile = channel.profile()
        b_name = f"loopback/{profile.destination_number}-b"
        b = manager.new_channel(name=b_name, direction=Direction.INBOUND, endpoint=self)
        b_profile = profile.clone()
        b_profile.direction = Direction.INBOUND
        b_profile.logical_direction = Direction.INBOUND
        b_profile.uuid = b.uuid
        b_profile.chan_name = b_name
        b_profile.dialplan = info.dialplan
        now = channel.switch.clock.wall_us()
        b_profile.times.profile_created = profile.times.profile_created or now
        b_profile.times.created = profile.times.created or now
        b.caller_profile = b_profile
        b.created_us = channel.created_us
        origination = channel.get_variable("origination_uuid")
        if origination:
            b.set_variable("origination_uuid", origination)
        b.set_variable("other_loopback_leg_uuid", channel.uuid)
        b.set_variable("loopback_leg", "B")
        channel.set_variable("other_loopback_leg_uuid", b.uuid)
        channel.set_variable("loopback_leg", "A")
        info.peer = b
        b.endpoint_state = _LegInfo(manager, channel, info.dialplan)
        b.before_answer = _signal_peer
        b.state = ChannelState.CS_INIT
        manager.start(b)

    def on_hangup(self, channel: Channel) -> None:
        """Hang up the peer with this leg's cause."""
        info = channel.endpoint_state
        if isinstance(info, _LegInfo) and info.peer is not None and info.peer.ready:
            info.peer.hangup(channel.hangup_cause or HangupCause.NORMAL_CLEARING)

    def on_reporting(self, channel: Channel) -> None:
        """``is_loopback`` on both legs' CDR."""
        channel.set_variable("is_loopback", "1")


class _LegInfo:
    __slots__ = ("dialplan", "manager", "peer")

    def __init__(self, manager: SessionManager, peer: Channel | None, dialplan: str) -> None:
        self.manager = manager
        self.peer = peer
        self.dialplan = dialplan


def _signal_peer(channel: Channel, what: str) -> None:
    info = channel.endpoint_state
    if not isinstance(info, _LegInfo) or info.peer is None:
        return
    if what == "answer":
        info.peer.answer()
    else:
        info.peer.pre_answer()


ENDPOINT = LoopbackEndpoint()
module = Module("mod_loopback")
module.add_endpoint(ENDPOINT)
