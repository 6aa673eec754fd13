"""The ``conference`` dialplan application (mod_conference's ``conference_function``):
``conference NAME[@PROFILE][+PIN][+flags{mute|deaf|moderator|ghost|...}]``.

The channel joins (creating the conference if it is new), then stays in the member loop,
handling queued messages and session events, until it is hung up, ``hup``/``kick``ed by the
API, or transferred. The ``bridge:``/``dial:`` forms are not simulated (logged, nothing done).
"""

from __future__ import annotations

import time

from eslkit.protocol.names import ChannelState, LogLevel
from eslkit.switch.apps import AppContext
from eslkit.switch.channel import Channel
from eslkit.switch.conference import FRAME, ConferenceManager, Member, events
from eslkit.switch.ivr.wait import Wake, media_wait
from eslkit.switch.modules import Module

__all__ = ["conference", "manager", "module"]

#: mod_conference's application (its ``conference`` API command is
#: :mod:`eslkit.switch.apis.conference_commands`, a module of the same name).
module = Module("mod_conference")

_MEMBER_FLAGS = {
    "mute": ("can_speak", False),
    "deaf": ("can_hear", False),
    "moderator": ("moderator", True),
    "ghost": ("ghost", True),
    "endconf": ("end_conference", True),
    "mandatory_member_endconf": ("mandatory_member_end_conference", True),
    "mute-detect": ("mute_detect", True),
}


def manager(ctx: AppContext) -> ConferenceManager:
    """The switch's conferences (made on first use)."""
    return ctx.switch.conferences


def _parse(data: str) -> tuple[str, str | None, str | None, list[str]]:
    """``name[@profile][+pin][+flags{a|b}]`` -> (name, profile, pin, member flags)."""
    flags: list[str] = []
    marker = data.find("+flags{")
    if marker >= 0:
        inner = data[marker + 7 :]
        end = inner.find("}")
        flags = [f for f in (inner[:end] if end >= 0 else inner).split("|") if f]
        data = data[:marker]
    pin = None
    if "+" in data:
        data, _, pin = data.partition("+")
    name, _, profile = data.partition("@")
    return name, profile or None, pin, flags


@module.application("conference", "conference", "<confname>[@<profile>][+<pin>][+flags{<flags>}]")
async def conference(ctx: AppContext, data: str) -> None:
    channel = ctx.channel
    switch = ctx.switch
    if not data:
        switch.log(int(LogLevel.ERR), "Invalid arguments\n", file="mod_conference.c",
                   function="conference_function", line=1958, session_uuid=channel.uuid)
        return
    name, profile_name, _pin, flag_words = _parse(data)
    if ":" in name:
        switch.log(int(LogLevel.WARNING), f"conference {name}: bridge:/dial: forms are not simulated\n",
                   file="mod_conference.c", function="conference_function", line=1988,
                   session_uuid=channel.uuid)
        return
    conferences = manager(ctx)
    channel.pre_answer()
    # (mod_conference re-reads current_application here: it moves to the end of the list.)
    current = channel.variables.get("current_application")
    if current is not None:
        channel.set_variable("current_application", current)
    conf = conferences.find(name)
    if conf is None:
        conf = conferences.create(name, conferences.profile(profile_name))
        channel.answer()
    else:
        channel.answer()
        enforce = channel.direction.name.lower() == "inbound"
        override = channel.variables.get("conference_enforce_security")
        if override is not None:
            enforce = override.lower() in ("true", "yes", "on", "1", "enabled", "allow")
        if conf.locked and enforce:
            switch.log(int(LogLevel.NOTICE), f"Conference {name} is locked.\n",
                       file="mod_conference.c", function="conference_function", line=2240,
                       session_uuid=channel.uuid)
            return
    channel.set_variable("conference_name", conf.name)
    channel.set_variable("app_session_uuid", conf.uuid)
    member_id = conferences.member_id_for(channel)
    channel.set_variable("conference_member_id", str(member_id))
    # The conference installs its own read codec (and puts the channel's back at the end).
    _reset_read_codec(channel)
    flags = dict(_MEMBER_FLAGS[w] for w in flag_words if w in _MEMBER_FLAGS)
    member = conferences.add_member(conf, channel, member_id, flags)
    try:
        await _member_loop(ctx, member)
    finally:
        conferences.del_member(member)
        _reset_read_codec(channel)


def _reset_read_codec(channel: Channel) -> None:
    for name in ("read_codec", "read_rate"):
        value = channel.variables.get(name)
        if value is not None:
            channel.set_variable(name, value)


#: Frames of speech before the conference calls a member talking, and the silence it waits
#: before calling the spell over (as measured on FreeSWITCH: ~40 ms and ~0.8 s).
TALK_ONSET = 2 * FRAME
TALK_HANGOVER = 0.78


async def _member_loop(ctx: AppContext, member: Member) -> None:
    channel = ctx.channel
    clock = ctx.switch.clock
    heard = False  # the far end's state the loop last acted on

    def changed(ch: Channel) -> bool:
        return not member.running or ch.far_end_talking != heard

    while True:
        wake, _ = await media_wait(channel, None, stop=changed)
        if wake is Wake.HANGUP or not channel.ready:
            await clock.sleep(FRAME / 2)
            return
        if not member.running:
            await clock.sleep(member.leave_delay or FRAME / 2)
            return
        if channel.running_state != ChannelState.CS_EXECUTE:
            return  # transferred (back to routing) or parked elsewhere
        if channel.far_end_talking != heard:
            heard = channel.far_end_talking
            await _talk(ctx, member, heard)


async def _talk(ctx: AppContext, member: Member, speaking: bool) -> None:
    """Talk detection: start-talking a little after the far end starts to speak (when the
    member may speak), stop-talking after the hangover of silence."""
    clock = ctx.switch.clock
    if speaking:
        if member.talking or not member.can_speak:
            return
        if not await _quiet_wait(ctx, member, TALK_ONSET, want=True):
            return
        member.talking = True
        member.talking_since = time.monotonic()
        events.fire(member.conference, "start-talking", member=member)
        return
    if not member.talking:
        return
    if not await _quiet_wait(ctx, member, TALK_HANGOVER, want=False):
        return
    member.talking = False
    member.last_talking = time.time()
    spoken = (time.monotonic() - member.talking_since) * clock.scale
    packets = max(1, round(spoken / FRAME))
    stats = [
        ("talking-gate-hits", str(packets)),
        ("talking-total-packets", str(packets)),
        ("talking-duration-ms", str(packets * int(FRAME * 1000))),
        ("talking-average-energy", f"{0.0:f}"),
        ("talking-delta-average", f"{0.0:f}"),
        ("talking-hit-on-percent", f"{100.0:f}"),
        ("talking-non-hit-ratio", f"{0.0:f}"),
        ("talking-hit-off-percent", f"{0.0:f}"),
        ("talking-hit-off-differential", f"{100.0:f}"),
    ]
    events.fire(member.conference, "stop-talking", member=member, before=stats)


async def _quiet_wait(ctx: AppContext, member: Member, seconds: float, *, want: bool) -> bool:
    """Wait ``seconds`` while the far end stays in the ``want`` state; False if it changed,
    the member left or the channel ended."""
    channel = ctx.channel
    ok = await channel.wait_for(
        lambda ch: ch.far_end_talking != want or not member.running or not ch.ready, seconds
    )
    return not ok and member.running and channel.ready
