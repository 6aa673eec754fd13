"""Transfers and dialplan hunts: ``switch_ivr_session_transfer``, the routing of CS_ROUTING
(``switch_core_standard_on_routing``) with its dialplan interfaces (``XML``, ``inline``), and
``switch_core_session_execute_exten`` (the ``execute_extension`` application).

Every transfer gives the channel a new caller profile, as FreeSWITCH does: a copy of the
current one with the new destination, dialplan and context, ``rdnis`` set to the old
destination, the next ``profile_index``, the channel's logical direction and a
``transfer_source`` of ``<epoch>:<profile uuid>:bl_xfer:<exten>/<context>/<dialplan>``; the
channel variables ``max_forwards`` (counted down from 70), ``transfer_history`` (a pushed
array) and ``transfer_source`` follow it. Every event after the transfer carries the new
profile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eslkit.fsutil import c_atoi, new_uuid
from eslkit.protocol.event import ARRAY_PREFIX
from eslkit.protocol.names import ChannelState, HangupCause
from eslkit.protocol.records import CallingSite
from eslkit.switch import calllog
from eslkit.switch.channel import CallerProfile, Channel, Direction, ProfileTimes
from eslkit.switch.expand import separate_string
from eslkit.switch.logging import TextChannel

if TYPE_CHECKING:
    from eslkit.switch.apps import AppRunner
    from eslkit.switch.dialplan import Dialplan

__all__ = [
    "DEFAULT_MAX_FORWARDS",
    "MAX_STACKS",
    "Plan",
    "execute_extension",
    "hunt",
    "inline_hunt",
    "push_variable",
    "route",
    "session_transfer",
]

#: ``max_forwards`` when the channel has none (``switch_ivr_session_transfer``).
DEFAULT_MAX_FORWARDS = 70
#: ``SWITCH_MAX_STACKS``: nested ``execute_extension`` calls allowed.
MAX_STACKS = 32
#: Bound on the applications of one inline dialplan (FreeSWITCH splits at most 128).
MAX_INLINE_APPS = 128
#: Bound on the dialplans of one ``dialplan`` string (FreeSWITCH reads at most 25).
MAX_DIALPLANS = 25
#: Bound on the elements kept in a pushed array variable (``transfer_history``).
MAX_ARRAY_ITEMS = 1000

Plan = list[tuple[str, str]]
"""What a hunt returns: (application, data) pairs, run in order."""


def push_variable(channel: Channel, name: str, value: str) -> None:
    """``switch_channel_add_variable_var_check(..., SWITCH_STACK_PUSH)``: the first value is
    set as is; later ones turn the variable into ``ARRAY::a|:b`` in place (it keeps its
    position among the channel's variables)."""
    variables = channel.variables
    old = variables.get(name)
    if not old:
        channel.set_variable(name, value)
        return
    items = old[len(ARRAY_PREFIX):].split("|:") if old.startswith(ARRAY_PREFIX) else [old]
    if len(items) >= MAX_ARRAY_ITEMS:
        return
    items.append(value)
    variables[name] = ARRAY_PREFIX + "|:".join(items)


def logical_direction(channel: Channel) -> Direction:
    """``channel->logical_direction``: inbound once the channel hit the dialplan
    (``CF_DIALPLAN``; always for inbound channels), else its direction."""
    return Direction.INBOUND if channel.hit_dialplan else channel.direction


def set_caller_profile(channel: Channel, profile: CallerProfile) -> None:
    """``switch_channel_set_caller_profile`` for a profile made from the current one: the
    channel's directions, uuid and name, a new timetable that keeps the call's times, the
    next profile index; the old profile's transfer time is the new one's creation."""
    old = channel.caller_profile
    now = channel.switch.clock.wall_us()
    profile.direction = channel.direction
    profile.logical_direction = logical_direction(channel)
    profile.uuid = channel.uuid
    profile.chan_name = channel.name
    times = ProfileTimes(profile_created=now)
    if old is not None:
        old.times.transferred = now
        times.answered = old.times.answered
        times.progress = old.times.progress
        times.progress_media = old.times.progress_media
        times.created = old.times.created
        times.hungup = old.times.hungup
        profile.profile_index = str(c_atoi(old.profile_index) + 1)
    else:
        times.created = now
    profile.times = times
    channel.caller_profile = profile


def session_transfer(channel: Channel, extension: str | None, dialplan: str | None, context: str | None) -> bool:
    """``switch_ivr_session_transfer``: a new caller profile for ``extension`` in ``context``
    of ``dialplan`` (empty: ``force_transfer_*`` variables, then the profile's, except an
    ``inline`` dialplan; then XML / default; extension ``service``), and back to CS_ROUTING.

    False (and the channel hung up EXCHANGE_ROUTING_ERROR) when ``max_session_transfers``
    or ``max_forwards`` is used up."""
    name = "max_session_transfers"
    forward = channel.variables.get(name)
    if not forward:
        name = "max_forwards"
        forward = channel.variables.get(name)
    count = c_atoi(forward) - 1 if forward else DEFAULT_MAX_FORWARDS
    if count <= 0:
        channel.hangup(HangupCause.EXCHANGE_ROUTING_ERROR)
        return False
    channel.set_variable(name, str(count))
    # switch_core_session_reset: a temporary read codec (a conference's) is taken away.
    channel.restore_read_codec()
    channel.flush_dtmf()
    channel.clear_break()
    channel.flags.discard("CF_ORIGINATING")
    channel.set_variable("temp_hold_music", None)
    profile = channel.caller_profile
    if profile is None:
        return False
    use_dialplan = dialplan or ""
    use_context = context or ""
    if not use_dialplan:
        use_dialplan = channel.variables.get("force_transfer_dialplan") or ""
    if not use_context:
        use_context = channel.variables.get("force_transfer_context") or ""
    if not use_dialplan:
        use_dialplan = profile.dialplan if profile.dialplan.lower() != "inline" else ""
    if not use_context:
        use_context = profile.context
    use_dialplan = use_dialplan or "XML"
    use_context = use_context or "default"
    extension = extension or "service"
    new = profile.clone()
    new.transfer_source = ""
    new.dialplan = use_dialplan
    new.context = use_context
    new.destination_number = extension
    new.rdnis = profile.destination_number
    channel.set_variable("signal_bond", None)
    channel.flags.add("CF_TRANSFER")
    _leave_signal_bridge(channel)
    set_caller_profile(channel, new)
    # The new profile has no originator/originatee profile: no Other-Leg-* from now on.
    channel.other_type = ""
    channel.flags.discard("CF_PARK")
    channel.plan = []
    old_state = channel.state
    channel.set_state(ChannelState.CS_ROUTING)
    if channel.switch.logs.listen >= 5:
        calllog.state_change(channel, old_state, ChannelState.CS_ROUTING, _TRANSFER_STATE_SITE)
        calllog.session_line(
            channel, 5, _TRANSFER_SITE, f"Transfer {channel.name} to {use_dialplan}[{extension}@{use_context}]\n"
        )
    source = (
        f"{int(channel.switch.clock.epoch())}:{new_uuid()}:bl_xfer:{extension}/{use_context}/{use_dialplan}"
    )
    new.transfer_source = source
    push_variable(channel, "transfer_history", source)
    channel.set_variable("transfer_source", source)
    channel.interrupt()
    if channel.other is not None:
        # A bridge the channel is in ends: its other side re-checks at once.
        channel.other.notify_waiters()
    return True


def _leave_signal_bridge(channel: Channel) -> None:
    """The bond and signal bridge variables go on both sides; a signal-bridged partner (not
    a media bridge) is hung up BLIND_TRANSFER."""
    variables = channel.variables
    uuid = variables.get("signal_bridge_to") or variables.get("bridge_to")
    sessions = channel.switch.sessions
    other = sessions.find_session(uuid) if uuid else None
    if other is not None:
        other.set_variable("signal_bond", None)
    uuid = variables.get("signal_bridge_to")
    other = sessions.find_session(uuid) if uuid else None
    if other is not None:
        channel.set_variable("signal_bridge_to", None)
        other.set_variable("signal_bridge_to", None)
        channel.set_variable("bridge_to", None)
        other.set_variable("bridge_to", None)
        channel.set_variable("hangup_after_bridge", "false")
        other.hangup(HangupCause.BLIND_TRANSFER)


# ---------------------------------------------------------------------------- hunting
def inline_hunt(profile: CallerProfile, arg: str | None) -> Plan | None:
    """mod_dptools' ``inline`` dialplan: ``app:data,app:data`` (``m:<d>:`` picks another
    delimiter) from ``arg`` or the destination; the destination then becomes the RDNIS and
    the RDNIS is cleared. None when there is nothing to run."""
    target = arg or profile.destination_number
    if not target:
        return None
    delim = ","
    if len(target) >= 4 and target[0] == "m" and target[1] == ":" and target[3] == ":":
        delim = target[2]
        target = target[4:]
    plan: Plan = []
    for item in separate_string(target, delim, MAX_INLINE_APPS):
        app, sep, data = item.partition(":")
        plan.append((app.lstrip(" "), data if sep else ""))
    profile.destination_number = profile.rdnis
    profile.rdnis = ""
    return plan


def hunt(
    channel: Channel,
    profile: CallerProfile,
    dialplans: str,
    dialplan: Dialplan,
) -> tuple[Plan | None, int]:
    """Hunt ``profile`` through the comma-separated ``dialplans`` (each ``name[:arg]``),
    as on_routing and execute_exten do: the first that gives an extension wins. Returns the
    plan (None when none matched) and how many dialplans exist.

    ``XML`` hunts ``profile.context`` of ``dialplan`` (its inline actions run during the
    hunt); ``inline`` is :func:`inline_hunt`; other names are not loaded (skipped)."""
    found = 0
    plain = "," not in dialplans and "\\" not in dialplans and "'" not in dialplans and "^" not in dialplans
    items = [dialplans.strip()] if plain else separate_string(dialplans, ",", MAX_DIALPLANS)
    for item in items:
        name, sep, arg = item.partition(":")
        kind = name.lower()
        if kind == "xml":
            found += 1
            actions = dialplan.hunt(
                profile.context, channel, run_inline=_inline_runner(channel), **_dialplan_trace(channel, profile)
            )
            if actions is not None:
                return [(a.application, a.data) for a in actions], found
        elif kind == "inline":
            found += 1
            plan = inline_hunt(profile, arg if sep else None)
            if plan is not None:
                return plan, found
        else:
            channel.switch.log(
                3, f"Dialplan [{name}] not found, skipping\n", file="switch_core_state_machine.c",
                function="switch_core_standard_on_routing", line=243, session_uuid=channel.uuid,
            )  # fmt: skip
    return None, found


_TRANSFER_STATE_SITE = CallingSite("switch_ivr.c", "switch_ivr_session_transfer", 2296)
_TRANSFER_SITE = CallingSite("switch_ivr.c", "switch_ivr_session_transfer", 2303)
_ROUTING_EXECUTE_SITE = CallingSite("switch_core_state_machine.c", "switch_core_standard_on_routing", 281)
_PROCESSING_SITE = CallingSite("mod_dialplan_xml.c", "dialplan_hunt", 648)


def _dialplan_trace(channel: Channel, profile: CallerProfile) -> dict[str, Any]:
    """mod_dialplan_xml's log lines for one hunt: the ``Processing`` line now, and the
    ``Dialplan:`` lines through the hunt's trace (only when someone listens at DEBUG)."""
    switch = channel.switch
    if switch.logs.listen < 6:
        return {}
    calllog.session_line(
        channel, 6, _PROCESSING_SITE,
        f"Processing {profile.caller_id_name} <{profile.caller_id_number}>->"
        f"{profile.destination_number} in context {profile.context}\n",
    )  # fmt: skip
    if not switch.logs.wants(7, channel.loglevel):
        return {}

    def trace(function: str, line: int, text: str) -> None:
        switch.log(
            7, text, file="mod_dialplan_xml.c", function=function, line=line,
            session_uuid=channel.uuid, channel=TextChannel.LOG_CLEAN,
        )  # fmt: skip

    return {"trace": trace, "trace_name": channel.name}


def _inline_runner(channel: Channel) -> Callable[[str, str], None]:
    def run_inline(app: str, data: str) -> None:
        # Inline actions are set/unset-like: run the synchronous subset now.
        if app == "set":
            name, _, value = channel.expand(data).partition("=")
            channel.set_variable(name, value or None)
        elif app == "unset":
            channel.set_variable(channel.expand(data), None)

    return run_inline


def route(channel: Channel, dialplan: Dialplan) -> None:
    """``switch_core_standard_on_routing``: hunt the profile's dialplans; CS_EXECUTE with the
    plan, or NO_ROUTE_DESTINATION (an outbound channel without any dialplan instead waits
    in CS_CONSUME_MEDIA, or hangs up if answered)."""
    profile = channel.profile()
    if not profile.dialplan:
        profile.dialplan = "XML"
    if not profile.context:
        profile.context = "default"
    dialplans = channel.expand(profile.dialplan) if profile.dialplan else ""
    plan, found = hunt(channel, profile, dialplans, dialplan) if dialplans else (None, 0)
    if plan is not None:
        if not channel.hit_dialplan:
            # switch_channel_sort_cid: an outbound leg's first extension flips its caller id.
            from eslkit.switch.originate import flip_cid

            flip_cid(channel)
        channel.plan = plan
        channel.set_state(ChannelState.CS_EXECUTE)
        calllog.state_change(channel, ChannelState.CS_ROUTING, ChannelState.CS_EXECUTE, _ROUTING_EXECUTE_SITE)
        return
    if not found and channel.direction is Direction.OUTBOUND:
        if channel.answered:
            channel.hangup(HangupCause.NO_ROUTE_DESTINATION)
        else:
            channel.set_state(ChannelState.CS_CONSUME_MEDIA)
        return
    channel.hangup(HangupCause.NO_ROUTE_DESTINATION)


async def execute_extension(
    runner: AppRunner, channel: Channel, extension: str, dialplan: str | None, context: str | None
) -> bool:
    """``switch_core_session_execute_exten``: hunt ``extension`` with a copy of the profile
    (the hunt profile: ``${destination_number}`` and conditions read it, events do not) and
    run what it finds now, inside the running application. False when nothing matched or
    too many are nested."""
    profile = channel.caller_profile
    if profile is None:
        return False
    depth = _STACKS.get(channel.uuid, 0)
    if depth >= MAX_STACKS:
        channel.switch.log(
            3, f"Error {channel.name} too many stacked extensions [depth={depth}]\n",
            file="switch_core_session.c", function="switch_core_session_execute_exten", line=2807,
            session_uuid=channel.uuid,
        )  # fmt: skip
        return False
    new = profile.clone()
    new.destination_number = extension
    if dialplan:
        new.dialplan = dialplan
    if context:
        new.context = context
    outer = channel.hunt_profile
    _STACKS[channel.uuid] = depth + 1
    try:
        new.direction = channel.direction
        new.logical_direction = logical_direction(channel)
        channel.hunt_profile = new
        plan, _ = hunt(channel, new, new.dialplan, channel.switch.sessions.dialplan)
        if plan is None:
            return False
        for app, data in plan:
            if not channel.ready:
                break
            if not await runner.execute(channel, app, data, event_uuid=None):
                break
        return True
    finally:
        channel.hunt_profile = outer
        if depth:
            _STACKS[channel.uuid] = depth
        else:
            _STACKS.pop(channel.uuid, None)


#: Nesting depth of execute_extension per channel uuid (only while one runs).
_STACKS: dict[str, int] = {}
