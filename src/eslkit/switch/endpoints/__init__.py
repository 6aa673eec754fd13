"""Endpoints (``switch_endpoint_interface_t``): what creates outgoing channels.

An endpoint turns the target of a dial string leg (``null/1234``: endpoint ``null``, target
``1234``) into a new outbound channel, or refuses with a hangup cause. Its hooks run inside
the channel's session task. An endpoint is added to a switch through a
:class:`~eslkit.switch.modules.Module` (``module.add_endpoint(endpoint)``, or
``@module.endpoint(name)`` on a function that is its :meth:`Endpoint.outgoing`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eslkit.protocol.names import ChannelState, HangupCause

if TYPE_CHECKING:
    from eslkit.protocol.records import CallingSite
    from eslkit.switch.channel import Channel
    from eslkit.switch.sessions import SessionManager

__all__ = ["Endpoint", "OutgoingRequest", "make_outbound"]


@dataclass(slots=True)
class OutgoingRequest:
    """One leg to create: its target, variables (in the order the channel gets them: the
    dial string's [] list, then its {} list), caller id, uuid."""

    endpoint: str
    target: str
    variables: dict[str, str] = field(default_factory=dict)
    uuid: str | None = None
    cid_name: str = ""
    cid_num: str = "0000000000"
    #: The originate's context/dialplan hints (loopback uses its own from the target).
    dialplan: str = "XML"
    context: str = "default"


class Endpoint:
    """Base endpoint: override :meth:`outgoing` and the hooks you need."""

    name = ""
    #: Where the endpoint's CS_INIT handler moves a channel on (its ``State Change CS_INIT
    #: -> CS_ROUTING`` log line names it); None logs no line.
    init_site: CallingSite | None = None
    #: Where ``switch_core_session_outgoing_channel``'s endpoint sets CS_INIT (its ``State
    #: Change CS_NEW -> CS_INIT`` line); None logs no line.
    outgoing_site: CallingSite | None = None

    #: Whether the far end sends audio frames a recorder reads (a loopback leg whose peer
    #: plays nothing does not: FreeSWITCH records no samples from it).
    sends_frames = True

    def log_state(self, channel: Channel, state: ChannelState) -> None:
        """Log the endpoint's own lines for entering ``state`` (only called while someone
        listens to log lines)."""

    def log_new(self, channel: Channel) -> None:
        """Log the endpoint's lines for a channel it just created (codec setup)."""

    def log_kill(self, channel: Channel) -> None:
        """Log the endpoint's line for ``kill_channel`` (a hang-up)."""

    def on_kill(self, channel: Channel) -> None:
        """``kill_channel(SWITCH_SIG_KILL)``: the channel was just hung up."""

    def outgoing(self, manager: SessionManager, request: OutgoingRequest) -> Channel | HangupCause:
        """Create the outbound channel (not started yet), or a cause to fail with."""
        return HangupCause.CHAN_NOT_IMPLEMENTED

    def on_init(self, channel: Channel) -> None:
        """CS_INIT, before CHANNEL_CREATE."""

    def on_created(self, channel: Channel) -> None:
        """Right after CHANNEL_CREATE/CHANNEL_ORIGINATE (start remote-party behaviour)."""

    def on_hangup(self, channel: Channel) -> None:
        """CS_HANGUP entered."""

    def on_reporting(self, channel: Channel) -> None:
        """CS_REPORTING, before CHANNEL_HANGUP_COMPLETE."""

    def on_destroy(self, channel: Channel) -> None:
        """After CHANNEL_DESTROY."""


def make_outbound(
    manager: SessionManager,
    endpoint: Endpoint,
    name: str,
    request: OutgoingRequest,
    *,
    destination: str | None = None,
    context: str | None = None,
    callee_number: str | None = None,
    initial_name: str | None = None,
    dialplan: str = "xml",
) -> Channel:
    """A new outbound channel as ``switch_core_session_outgoing_channel`` leaves it:
    CODEC events, the caller profile, CS_INIT, the origination uuid (CHANNEL_UUID), and the
    dial string's variables. The caller fires CHANNEL_OUTGOING and starts it."""
    from eslkit.switch.channel import CallerProfile, Direction

    channel = manager.new_channel(
        name=initial_name or name, direction=Direction.OUTBOUND, endpoint=endpoint, rename_to=name
    )
    now = manager.switch.clock.wall_us()
    profile = CallerProfile(
        direction=Direction.OUTBOUND,
        logical_direction=Direction.OUTBOUND,
        dialplan=dialplan,
        caller_id_name=request.cid_name,
        caller_id_number=request.cid_num,
        orig_caller_id_name=request.cid_name,
        orig_caller_id_number=request.cid_num,
        callee_id_name="Outbound Call",
        callee_id_number=callee_number if callee_number is not None else request.target,
        ani=request.cid_num,
        destination_number=destination if destination is not None else request.target,
        uuid=channel.uuid,
        source=f"mod_{endpoint.name}",
        context=context or request.context or "default",
        chan_name=name,
    )
    profile.times.profile_created = now
    profile.times.created = now
    channel.caller_profile = profile
    channel.created_us = now
    channel.state = ChannelState.CS_INIT
    channel.flags.add("CF_ORIGINATING")
    if endpoint.outgoing_site is not None:
        from eslkit.switch import calllog

        calllog.state_change(channel, ChannelState.CS_NEW, ChannelState.CS_INIT, endpoint.outgoing_site)
    if request.uuid and request.uuid != channel.uuid:
        if manager.change_uuid(channel, request.uuid):
            from eslkit.switch import calllog

            calllog.set_uuid_line(channel)
    for var, value in request.variables.items():
        channel.set_variable(var, value)
    return channel
