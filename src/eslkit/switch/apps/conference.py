"""The ``conference`` dialplan application (mod_conference's ``conference_function``):
``conference NAME[@PROFILE][+PIN][+flags{mute|deaf|moderator|ghost|...}]``.

The channel joins (creating the conference if it is new), then stays in the member loop,
handling queued messages and session events, until it is hung up, ``hup``/``kick``ed by the
API, or transferred. The ``bridge:``/``dial:`` forms are not simulated (logged, nothing done).
"""

from __future__ import annotations

import time

from eslkit.fsutil import c_atoi, switch_false, switch_true
from eslkit.protocol.names import ChannelState, EventType, HangupCause, LogLevel
from eslkit.protocol.records import CallingSite
from eslkit.switch.apps import AppContext
from eslkit.switch.channel import Channel, Dtmf
from eslkit.switch.channel_events import basic_data
from eslkit.switch.conference import FRAME, Conference, ConferenceManager, Member, events
from eslkit.switch.conference.profiles import DEFAULT_PROFILE, max_members_value
from eslkit.switch.expand import separate_string
from eslkit.switch.ivr.digits import DigitBuffer, collect_digits
from eslkit.switch.ivr.play import play_file
from eslkit.switch.ivr.wait import MediaStatus, Wake, media_wait
from eslkit.switch.modules import Module

__all__ = ["conference", "conference_set_auto_outcall", "manager", "module"]

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
    "mintwo": ("mintwo", True),
    "nomoh": ("nomoh", True),
}


_AUTO_OUTCALL_SITE = CallingSite("conference_loop.c", "conference_loop_output", 1376)
_JOIN_ONLY_SITE = CallingSite("mod_conference.c", "conference_function", 2129)


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


@module.application(
    "conference",
    "conference",
    "<confname>[@<profile>][+<pin>][+flags{<flags>}]",
    needs_media=True,
)
async def conference(ctx: AppContext, data: str) -> None:
    channel = ctx.channel
    switch = ctx.switch
    if not data:
        switch.log(int(LogLevel.ERR), "Invalid arguments\n", file="mod_conference.c",
                   function="conference_function", line=1958, session_uuid=channel.uuid)
        return
    name, profile_name, pin, flag_words = _parse(data)
    flag_words += _flag_var(channel, "conference_member_flags")
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
    enforce = channel.direction.name.lower() == "inbound"
    override = channel.variables.get("conference_enforce_security")
    if override is not None:
        enforce = switch_true(override)
    conf = conferences.find(name)
    if conf is None and "join-only" in flag_words:
        _reject_join_only(ctx, name, profile_name or DEFAULT_PROFILE)
        return
    if conf is None:
        conf = conferences.create(name, conferences.profile(profile_name), channel)
        channel.set_variable("conference_name", conf.name)
        channel.set_variable("app_session_uuid", conf.uuid)
        limit = channel.variables.get("conference_max_members")
        if limit:
            value = max_members_value(limit)
            if value is not None:
                conf.max_members = value
        grace = channel.variables.get("conference_endconference_grace_time")
        if grace and c_atoi(grace) >= 0:
            conf.endconference_grace_time = c_atoi(grace)
    else:
        channel.set_variable("conference_name", conf.name)
        channel.set_variable("app_session_uuid", conf.uuid)
    dpin = pin or conf.pin
    mdpin = channel.variables.get("conference_moderator_pin") or conf.mpin
    channel.answer()
    moderator_pin = False
    if enforce and (dpin or mdpin):
        allowed, moderator_pin = await _ask_pin(ctx, conf, dpin, mdpin)
        if not allowed:
            return
    if conf.locked and enforce:
        switch.log(int(LogLevel.NOTICE), f"Conference {name} is locked.\n",
                   file="mod_conference.c", function="conference_function", line=2240,
                   session_uuid=channel.uuid)
        return
    if conf.max_members > 0 and conf.count >= conf.max_members:
        switch.log(int(LogLevel.NOTICE), f"Conference {name} is full.\n",
                   file="mod_conference.c", function="conference_function", line=2356,
                   session_uuid=channel.uuid)
        return
    member_id = conferences.member_id_for(channel)
    channel.set_variable("conference_member_id", str(member_id))
    # The conference installs its own read codec (and puts the channel's back at the end,
    # unless a transfer did so already).
    _reset_read_codec(channel)
    channel.flags.add("CF_TEMP_READ_CODEC")
    flags = dict(_MEMBER_FLAGS[w] for w in flag_words if w in _MEMBER_FLAGS)
    if moderator_pin:
        flags["moderator"] = True
    member = conferences.add_member(conf, channel, member_id, flags)
    try:
        await _auto_outcalls(ctx, member)
        await _member_loop(ctx, member)
    finally:
        conferences.del_member(member)
        channel.restore_read_codec()
        channel.set_variable("last_transfered_conference", None)


@module.application("conference_set_auto_outcall", "conference_set_auto_outcall", needs_media=True)
async def conference_set_auto_outcall(ctx: AppContext, data: str) -> None:
    """Add a dial string the conference this channel creates or joins calls when it joins
    (an empty one clears the list)."""
    calls = manager(ctx).autocalls
    if not data:
        calls.pop(ctx.channel, None)
        return
    # (mod_conference keeps them as a list with the newest first.)
    calls[ctx.channel] = [data, *calls.get(ctx.channel, [])]


async def _auto_outcalls(ctx: AppContext, member: Member) -> None:
    """The member loop's start with auto outcalls: each target is called in the background
    (``conference_auto_outcall_*`` variables), the member waits (up to
    ``conference_auto_outcall_maxwait`` s, 2 by default) while they are being set up, then
    hears a short beep."""
    from eslkit.switch.conference.media import play_member
    from eslkit.switch.conference.outcall import outcall_bg

    channel = ctx.channel
    conf = member.conference
    calls = manager(ctx).autocalls.pop(channel, None)
    if not calls:
        return
    v = channel.get_variable
    cid_name = v("conference_auto_outcall_caller_id_name") or conf.caller_id_name
    cid_num = v("conference_auto_outcall_caller_id_number") or conf.caller_id_number
    # (mod_conference reads the flags from this misnamed variable.)
    flags = v("conference_utils_auto_outcall_flags") or ""
    profile = v("conference_auto_outcall_profile")
    prefix = v("conference_auto_outcall_prefix") or ""
    delimiter = v("conference_auto_outcall_delimiter") or ""
    separator = delimiter if len(delimiter) == 1 else ","
    # The calls' variables: a CHANNEL_DATA event's headers (mod_conference's var_event),
    # then the conference_auto_outcall_export_vars.
    base = ctx.switch.new_event(EventType.CHANNEL_DATA, _AUTO_OUTCALL_SITE)
    var_event = [(k, v) for k, v in base.headers]
    for name in separate_string(v("conference_auto_outcall_export_vars") or "", ",", 512):
        value = v(name) if name else None
        if value is not None:
            var_event.append((name, value))
    # mod_conference starts one thread per target, newest first; as recorded, the calls
    # still join in the order the targets were added.
    for entry in reversed(calls):
        for target in separate_string(entry, separator, 512):
            outcall_bg(ctx.switch, conf.name, prefix + target, cid_num, cid_name,
                       flags=flags, profile=profile, var_event=var_event)
    wait = c_atoi(v("conference_auto_outcall_maxwait") or "0")
    loops = (wait if wait > 0 else 2) * 10
    member.awaiting_outcalls = True
    try:
        while True:
            await ctx.switch.clock.sleep(0.1)
            loops -= 1
            if channel.state >= ChannelState.CS_HANGUP or not conf.originating or not loops:
                break
    finally:
        member.awaiting_outcalls = False
    ctx.switch.conferences.schedule_tick(conf)
    if not channel.ready:
        return
    if not switch_true(v("conference_auto_outcall_skip_member_beep")):
        play_member(member, "tone_stream://%(500,0,640)")


def _reject_join_only(ctx: AppContext, name: str, profile_name: str) -> None:
    """A ``join-only`` member and no such conference: rejected-join-only, the profile's
    join-only-sound, and the call ends (unless ``hangup_after_conference`` is false)."""
    channel = ctx.channel
    event = ctx.switch.new_event(EventType.CUSTOM, _JOIN_ONLY_SITE, events.MAINTENANCE)
    pairs: list[tuple[str, str]] = []
    basic_data(channel, pairs)
    pairs += [
        ("Conference-Name", name),
        ("Conference-Profile-Name", profile_name),
        ("Action", "rejected-join-only"),
    ]
    event.extend_headers(pairs)
    ctx.switch.fire(event)
    ctx.switch.log(int(LogLevel.NOTICE), "Cannot create a conference since join-only flag is set\n",
                   file="mod_conference.c", function="conference_function", line=2133)
    if not switch_false(channel.get_variable("hangup_after_conference")):
        channel.hangup(HangupCause.NORMAL_CLEARING)


def _flag_var(channel: Channel, name: str) -> list[str]:
    """``conference_utils_combine_flag_var``: the flags of the variable ``name`` and of every
    true ``name_<flag>`` variable."""
    out: list[str] = []
    prefix = name + "_"
    for key, value in channel.variables.items():
        if key.lower() == name:
            out += [w for w in value.replace(",", "|").split("|") if w]
        elif key.lower().startswith(prefix) and len(key) > len(prefix) and switch_true(value):
            out.append(key[len(prefix):])
    return out


async def _ask_pin(ctx: AppContext, conf: Conference, dpin: str, mdpin: str) -> tuple[bool, bool]:
    """mod_conference's pin prompt for a caller it does not trust: ``supplied_pin``, else up
    to ``pin-retries`` rounds of pin-sound (a digit stops it), digits up to the longer pin
    (``#`` ends them, 10 s), bad-pin-sound and a flush after a wrong one. Returns (valid,
    moderator pin matched)."""
    channel = ctx.channel

    def check(buf: str) -> tuple[bool, bool]:
        if dpin and buf == dpin:
            return True, False
        if mdpin and buf == mdpin:
            return True, True
        return False, False

    supplied = channel.variables.get("supplied_pin")
    if supplied:
        marker = supplied.lower().find("x-confpin=")
        if marker >= 0:
            supplied = supplied[marker + len("x-confpin="):]
        valid, moderator = check(supplied.split(";", 1)[0])
        if valid:
            return True, moderator
    pin_sound = conf.pin_sound or "conference/conf-pin.wav"
    bad_pin_sound = conf.bad_pin_sound or "conference/conf-bad-pin.wav"
    maxpin = max(len(dpin), len(mdpin))
    retries = conf.pin_retries
    ok = True
    while retries and ok:
        buf = DigitBuffer()
        played = await _local_play(ctx, conf, pin_sound, buf)
        if played not in (MediaStatus.SUCCESS, MediaStatus.BREAK):
            ctx.switch.log(int(LogLevel.WARNING), "Cannot ask the user for a pin, ending call\n",
                           file="mod_conference.c", function="conference_function", line=2295,
                           session_uuid=channel.uuid)
            channel.hangup(HangupCause.DESTINATION_OUT_OF_ORDER)
        status = MediaStatus.SUCCESS
        if len(buf.digits) < maxpin:
            status, _term = await collect_digits(channel, buf, maxpin, "#", 10000, 0)
            if status is MediaStatus.TIMEOUT:
                status = MediaStatus.SUCCESS
        ok = status is MediaStatus.SUCCESS
        if ok:
            valid, moderator = check(buf.digits)
            if valid:
                return True, moderator
        await _local_play(ctx, conf, bad_pin_sound, None)
        channel.flush_dtmf()
        retries -= 1
    return False, False


async def _local_play(ctx: AppContext, conf: Conference, path: str, buf: DigitBuffer | None) -> MediaStatus:
    """``conference_file_local_play``: 20 frames of lead-in, then the file (relative paths
    under the conference's sound prefix); with ``buf`` the first digit stops it and is kept."""
    channel = ctx.channel
    wake, _ = await media_wait(channel, 20 * FRAME)
    if wake is Wake.HANGUP or not channel.ready:
        return MediaStatus.FALSE
    path = channel.expand(path)
    if "://" not in path and not path.startswith("/") and conf.sound_prefix:
        path = f"{conf.sound_prefix}/{path}"

    def first_digit(dtmf: Dtmf) -> bool:
        if buf is not None and not buf.digits:
            buf.digits = dtmf.digit
            return True
        return False

    return await play_file(channel, path, first_digit if buf is not None else None)


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
