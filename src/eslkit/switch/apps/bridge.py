"""mod_dptools' ``bridge`` application (``audio_bridge_function``): originate the dial
string and bridge the answered peer to the calling channel; the machinery is
:mod:`eslkit.switch.ivr.bridge`."""

from __future__ import annotations

from eslkit.protocol.names import HangupCause
from eslkit.switch.apps import AppContext
from eslkit.switch.ivr.bridge import bridge_channels, bridge_originate, end_of_bridge, handle_cause
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
