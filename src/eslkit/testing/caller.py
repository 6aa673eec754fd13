"""Placing an inbound call into the dialplan, with a scripted caller at the far end.

The channel is created as an endpoint module creates an incoming call (direction inbound,
a caller profile with the destination, context and caller id), then routed through the
dialplan by its session task like any other. The caller follows a script in the syntax of
the ``sim/`` endpoint (docs/sim.md), read from the caller's side:

- ``answer``: wait until the switch answers the call (an application such as ``answer``);
- ``ring[:s]`` / ``early[:s]`` / ``wait:s``: wait ``s`` seconds;
- ``dtmf:<digits>[@gap]``: press digits (DTMF events with ``DTMF-Source: ENDPOINT``);
- ``talk:s``: TALK, ``s`` seconds of speech, NOTALK;
- ``hangup[:CAUSE]`` / ``reject:CAUSE``: the caller hangs up.

All delays run on the switch's scaled clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from eslkit.switch.channel import CallerProfile, Channel, Direction
from eslkit.switch.endpoints import Endpoint
from eslkit.switch.endpoints.sim import CALLER_ANSWER_WAIT, SimStep, parse_script, run_script

if TYPE_CHECKING:
    from eslkit.switch.sessions import SessionManager

__all__ = ["ANSWER_WAIT", "CallerEndpoint", "ScriptError", "parse_caller_script", "place_call"]

#: Switch seconds a caller's ``answer`` step waits for the switch to answer.
ANSWER_WAIT = CALLER_ANSWER_WAIT


class ScriptError(ValueError):
    """A caller script that is not in the ``sim/`` syntax."""


def parse_caller_script(script: str | None) -> list[SimStep]:
    """The steps of a caller script (a leading ``sim/`` is allowed); [] for None or ""."""
    if not script:
        return []
    text = script[4:] if script.startswith("sim/") else script
    steps = parse_script(text)
    if steps is None:
        raise ScriptError(f"not a sim/ script: {script!r} (see docs/sim.md)")
    return steps


class CallerEndpoint(Endpoint):
    """The far end of calls placed by the testing toolkit: plays the caller's script."""

    name = "sim"

    def __init__(self, steps: list[SimStep]) -> None:
        self.steps = steps

    def on_created(self, channel: Channel) -> None:
        """Start the script once CHANNEL_CREATE has fired."""
        if self.steps:
            channel.switch.spawn(run_caller_script(channel, self.steps))


async def run_caller_script(channel: Channel, steps: list[SimStep]) -> None:
    """Play ``steps`` as the caller of inbound ``channel`` until done or hung up."""
    await run_script(channel, steps, caller=True)

def place_call(
    manager: SessionManager,
    *,
    dest: str,
    caller_id: str,
    caller_name: str,
    script: str | None,
    context: str,
    variables: Mapping[str, str],
) -> Channel:
    """Create and start an inbound channel routed to ``dest`` in ``context``.

    Raises :class:`ScriptError` for a bad script and :class:`RuntimeError` when the switch
    accepts no new calls."""
    steps = parse_caller_script(script)
    switch = manager.switch
    if not switch.running or switch.no_new_sessions or switch.no_new_inbound:
        raise RuntimeError("the switch is not accepting calls")
    if len(manager.channels) >= switch.max_sessions:
        raise RuntimeError("the switch is at max-sessions")
    endpoint = CallerEndpoint(steps)
    name = f"sim/{caller_id or 'caller'}"
    channel = manager.new_channel(name=name, direction=Direction.INBOUND, endpoint=endpoint)
    now = switch.clock.wall_us()
    profile = CallerProfile(
        direction=Direction.INBOUND,
        logical_direction=Direction.INBOUND,
        username=caller_id,
        dialplan="XML",
        caller_id_name=caller_name,
        caller_id_number=caller_id,
        orig_caller_id_name=caller_name,
        orig_caller_id_number=caller_id,
        network_addr="127.0.0.1",
        ani=caller_id,
        destination_number=dest,
        uuid=channel.uuid,
        source="mod_sim",
        context=context,
        chan_name=name,
    )
    profile.times.profile_created = now
    profile.times.created = now
    channel.caller_profile = profile
    channel.created_us = now
    for var, value in variables.items():
        channel.set_variable(var, value)
    manager.start(channel)
    return channel
