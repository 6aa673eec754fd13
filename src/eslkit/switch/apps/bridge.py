"""mod_dptools' ``bridge`` application (``audio_bridge_function``): originate the dial
string and bridge the answered peer to the calling channel; the machinery is
:mod:`eslkit.switch.ivr.bridge`."""

from __future__ import annotations

from eslkit.protocol.names import HangupCause
from eslkit.switch.apps import AppContext
from eslkit.switch.expand import separate_string
from eslkit.switch.ivr.bridge import (
    bridge_channels,
    bridge_originate,
    end_of_bridge,
    handle_cause,
    intercept_session,
)
from eslkit.switch.modules import Module

__all__: list[str] = []

module = Module("mod_dptools")



@module.application("bridge", "Bridge Audio", "<channel_url>")
async def bridge(ctx: AppContext, data: str) -> None:
    """Originate ``data`` and bridge the answered peer to this channel."""
    caller = ctx.channel
    if not data:
        return
    peer, cause = await bridge_originate(caller, data)
    if peer is None:
        caller.set_variable("originate_failed_cause", cause.name)
        ctx.switch.log(
            6, f"Originate Failed.  Cause: {cause.name}\n", file="mod_dptools.c", function="audio_bridge_function",
            line=3631, session_uuid=caller.uuid,
        )  # fmt: skip
        handle_cause(caller, cause)
        return
    if not caller.ready:
        peer.hangup(HangupCause.ORIGINATOR_CANCEL)
        return
    state = caller.state
    await bridge_channels(caller, peer)
    end_of_bridge(caller, peer, resume=False, caller_state=state)


@module.application("intercept", "intercept", "[-bleg] <uuid>")
async def intercept(ctx: AppContext, data: str) -> None:
    """``intercept [-bleg] <uuid>``: take over a channel (ringing or not) and bridge it here."""
    argv = separate_string(data, " ", 4) if data else []
    if not argv or not argv[0]:
        return
    if argv[0].lower() == "-bleg":
        if len(argv) < 2:
            return
        intercept_session(ctx.channel, argv[1], bleg=True)
    else:
        intercept_session(ctx.channel, argv[0])
