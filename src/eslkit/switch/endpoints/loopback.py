"""``loopback/<exten>[/<context>[/<dialplan>]]``: two legs joined back to back (mod_loopback).

The A leg (``loopback/<exten>-a``, outbound) is what ``originate`` gets; its init creates
the B leg (``loopback/<exten>-b``, inbound), which runs the dialplan. Answer and early media
on B reach A first; a hang-up of either leg hangs up the other with the same cause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eslkit.protocol.names import ChannelState, HangupCause
from eslkit.protocol.records import CallingSite
from eslkit.switch import calllog
from eslkit.switch.channel import Channel, Direction
from eslkit.switch.endpoints import Endpoint, OutgoingRequest, make_outbound
from eslkit.switch.ivr.wait import FRAME
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    from eslkit.switch.sessions import SessionManager

__all__ = ["ENDPOINT", "LoopbackEndpoint", "module"]


class LoopbackEndpoint(Endpoint):
    """The ``loopback`` endpoint."""

    name = "loopback"
    init_site = CallingSite("mod_loopback.c", "channel_on_init", 380)
    sends_frames = False
    outgoing_site = CallingSite("mod_loopback.c", "channel_outgoing_channel", 1262)

    def log_new(self, channel: Channel) -> None:
        """tech_init's codec line."""
        codec = channel.read_codec
        name, rate = (codec.name, codec.rate) if codec is not None else ("L16", 8000)
        calllog.session_line(channel, 7, _TECH_INIT_SITE, f"{channel.name} setup codec {name or 'L16'}/{rate or 8000}/20\n")

    def log_state(self, channel: Channel, state: ChannelState) -> None:
        """mod_loopback's ``CHANNEL <STATE>`` lines."""
        if state == ChannelState.CS_ROUTING:
            calllog.session_line(channel, 7, _ROUTING_SITE, f"{channel.name} CHANNEL ROUTING\n")
        elif state == ChannelState.CS_EXECUTE:
            calllog.session_line(channel, 7, _EXECUTE_SITE, f"{channel.name} CHANNEL EXECUTE\n")
        elif state == ChannelState.CS_EXCHANGE_MEDIA:
            calllog.session_line(channel, 7, _LOOPBACK_SITE, "CHANNEL LOOPBACK\n")
        elif state == ChannelState.CS_CONSUME_MEDIA:
            calllog.session_line(channel, 7, _CONSUME_SITE, "CHANNEL CONSUME_MEDIA\n")
        elif state == ChannelState.CS_HANGUP:
            calllog.session_line(channel, 7, _HANGUP_SITE, f"{channel.name} CHANNEL HANGUP\n")

    def log_kill(self, channel: Channel) -> None:
        """channel_kill_channel's line."""
        calllog.session_line(channel, 7, _KILL_SITE, f"{channel.name} CHANNEL KILL\n")

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
            callee_number=sanitize_number(request.target),
            initial_name=f"loopback/{request.target}-a",
            # mod_loopback puts the dial string's dialplan on the A leg's profile too.
            dialplan=dialplan,
        )
        channel.endpoint_state = _LegInfo(manager, None, dialplan, dict(request.variables))
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
        if channel.switch.logs.listen >= 0:
            calllog.state_change(b, ChannelState.CS_NEW, ChannelState.CS_INIT, _B_INIT_SITE)
            calllog.session_line(
                b, 7, _B_FROM_UUID_SITE,
                f"setting other_loopback_from_uuid on b leg to {channel.get_variable('loopback_from_uuid') or '(null)'}\n",
            )  # fmt: skip
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
        # mod_loopback hands the B leg every variable of the A leg's originate (its
        # var_event, "__loopback_vars__"), in order (recorded: recorded/sleep).
        for name, value in info.variables.items():
            if name not in _NOT_IN_VAR_EVENT:
                b.set_variable(name, value)
        b.set_variable("other_loopback_leg_uuid", channel.uuid)
        b.set_variable("loopback_leg", "B")
        channel.set_variable("other_loopback_leg_uuid", b.uuid)
        channel.set_variable("loopback_leg", "A")
        info.peer = b
        b.endpoint_state = _LegInfo(manager, channel, info.dialplan)
        b.before_answer = _signal_peer
        b.state = ChannelState.CS_INIT
        manager.start(b)

    def on_kill(self, channel: Channel) -> None:
        """channel_kill_channel clears both legs' TFLAG_LINKED: the peer's next read fails
        (its read in progress still completes, at the next 20 ms tick), which ends the media
        loop of the application it runs (park returns; its dialplan goes on). The hanging-up
        leg's own thread usually hangs the peer up first (:meth:`on_hangup`); a leg whose
        thread is held longer (a bridge being torn down) loses that race (recorded:
        recorded/log/log_bridge_notice)."""
        info = channel.endpoint_state
        if isinstance(info, _LegInfo) and info.peer is not None and info.peer.ready:
            channel.switch.spawn(_unlink(info.peer))

    def on_hangup(self, channel: Channel) -> None:
        """Hang up the peer with this leg's cause."""
        info = channel.endpoint_state
        if isinstance(info, _LegInfo) and info.peer is not None and info.peer.ready:
            info.peer.hangup(channel.hangup_cause or HangupCause.NORMAL_CLEARING, _PEER_HANGUP_SITE)

    def on_reporting(self, channel: Channel) -> None:
        """``is_loopback`` on both legs' CDR."""
        channel.set_variable("is_loopback", "1")


#: Variables eslkit keeps with the originate's list that FreeSWITCH sets on the A leg itself
#: (so they are not in the var_event the B leg is given).
_NOT_IN_VAR_EVENT = frozenset({"originate_early_media"})


class _LegInfo:
    __slots__ = ("dialplan", "manager", "peer", "variables")

    def __init__(
        self,
        manager: SessionManager,
        peer: Channel | None,
        dialplan: str,
        variables: dict[str, str] | None = None,
    ) -> None:
        self.manager = manager
        self.peer = peer
        self.dialplan = dialplan
        #: The A leg's originate variables (``var_event``), which the B leg gets too.
        self.variables = variables or {}


async def _unlink(peer: Channel) -> None:
    # Its read fails at the next tick, the tick the hanging-up leg's own loop (a park) ends
    # at too, whose hang-up then comes first (recorded: log_conn_info_park_kill); a bridge
    # being torn down takes that leg two ticks, so this one goes first there
    # (log_bridge_notice). Half a frame past the tick orders them so.
    await peer.switch.clock.sleep(1.5 * FRAME)
    if peer.ready:
        peer.flags.add("CF_UNLINKED")
        peer.flags.discard("CF_PARK")
        peer.poke()


def _signal_peer(channel: Channel, what: str) -> None:
    info = channel.endpoint_state
    if not isinstance(info, _LegInfo) or info.peer is None:
        return
    if what == "answer":
        info.peer.answer(_PEER_ANSWER_SITE)
    elif what == "ring_ready":
        info.peer.ring_ready()  # INDICATE_RINGING: mod_loopback marks the other leg ringing
    else:
        info.peer.pre_answer()


_TECH_INIT_SITE = CallingSite("mod_loopback.c", "tech_init", 166)
_B_INIT_SITE = CallingSite("mod_loopback.c", "channel_on_init", 288)
_B_FROM_UUID_SITE = CallingSite("mod_loopback.c", "channel_on_init", 356)
_ROUTING_SITE = CallingSite("mod_loopback.c", "channel_on_routing", 412)
_EXECUTE_SITE = CallingSite("mod_loopback.c", "channel_on_execute", 454)
_HANGUP_SITE = CallingSite("mod_loopback.c", "channel_on_hangup", 569)
_PEER_HANGUP_SITE = CallingSite("mod_loopback.c", "channel_on_hangup", 585)
_KILL_SITE = CallingSite("mod_loopback.c", "channel_kill_channel", 610)
_LOOPBACK_SITE = CallingSite("mod_loopback.c", "channel_on_exchange_media", 643)
_CONSUME_SITE = CallingSite("mod_loopback.c", "channel_on_consume_media", 681)
_PEER_ANSWER_SITE = CallingSite("mod_loopback.c", "channel_receive_message", 1021)

ENDPOINT = LoopbackEndpoint()
module = Module("mod_loopback")
module.add_endpoint(ENDPOINT)


def sanitize_number(number: str) -> str:
    """``switch_sanitize_number``: what ``originate`` makes the callee number of a dial
    string's destination: cut at ``@``, then the part after the last ``/`` and ``:``."""
    if "/" not in number and ":" not in number and "@" not in number:
        return number
    number = number.split("@", 1)[0]
    for separator in "/:":
        number = number.rsplit(separator, 1)[-1]
    return number
