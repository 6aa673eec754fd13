"""mod_dptools applications call-control programs reach for first: break, queue_dtmf,
flush_dtmf, wait_for_answer, set_global, multiunset, set_name, gentones, loop_playback,
record_session, stop_record_session, strftime, say, speak, redirect, respond, start_dtmf,
stop_dtmf.

Each does what its mod_dptools function does, as recorded from FreeSWITCH
(``tests/conformance/recorded/apps/``).
"""

from __future__ import annotations

import time

from eslkit.fsutil import c_atoi, switch_true
from eslkit.protocol.names import HangupCause
from eslkit.protocol.records import CallingSite
from eslkit.protocol.urlcode import url_decode
from eslkit.switch import calllog
from eslkit.switch import channel_events as ce
from eslkit.switch.apps import AppContext
from eslkit.switch.apps.media import terminator_handler
from eslkit.switch.expand import separate_string
from eslkit.switch.ivr.dtmf import parse_dtmf_string
from eslkit.switch.ivr.play import play_file
from eslkit.switch.ivr.record import RECORDINGS, start_session_recording, stop_session_recording
from eslkit.switch.ivr.sources import RATE, tone_stream_samples
from eslkit.switch.ivr.wait import MediaStatus, media_wait
from eslkit.switch.modules import Module

__all__: list[str] = []

module = Module("mod_dptools")

_WAIT_ANSWER_SITE = CallingSite("mod_dptools.c", "wait_for_answer_function", 1412)
_SET_GLOBAL_SITE = CallingSite("mod_dptools.c", "set_global_function", 1742)
_SET_GLOBAL_ERROR_SITE = CallingSite("mod_dptools.c", "set_global_function", 1729)
_GENTONES_SITE = CallingSite("mod_dptools.c", "gentones_function", 3162)
_LOOP_PLAYBACK_SITE = CallingSite("mod_dptools.c", "loop_playback_function", 3116)
_STRFTIME_SITE = CallingSite("mod_dptools.c", "strftime_function", 1991)
_SAY_SITE = CallingSite("mod_dptools.c", "say_function", 2934)
_SAY_INTERFACE_SITE = CallingSite("switch_ivr_play_say.c", "switch_ivr_say", 304)
_SPEAK_SITE = CallingSite("mod_dptools.c", "speak_function", 2468)
_SPEAK_EMPTY_SITE = CallingSite("mod_dptools.c", "speak_function", 2430)
_SAY_SYNTAX = "<module_name>[:<lang>] <say_type> <say_method> [<say_gender>] <text>"
#: A ``gentones`` script played for ever (``|-1``) lasts until a digit, a break or the hang-up.
_ENDLESS = None

#: ``wait_for_answer`` polls every 100 ms (``switch_ivr_sleep(session, 100, ...)``).
_ANSWER_POLL = 0.1


@module.application("break", "Breaks", "[all]")
async def break_(ctx: AppContext, data: str) -> None:
    """Set ``CF_BREAK``: the media operation or sleep this runs inside (a sendmsg taken
    during it) stops. An argument other than ``all`` also drops the queued private
    messages (mod_dptools tests ``data && strcasecmp(data, "all")``)."""
    channel = ctx.channel
    if data and data.lower() != "all":
        channel.flush_private_messages()
    channel.interrupt()


@module.application("queue_dtmf", "Queue dtmf to be sent", "<dtmf_data>")
async def queue_dtmf(ctx: AppContext, data: str) -> None:
    """``switch_channel_queue_dtmf_string``: queue ``digits[@ms]`` groups (``+``-separated)
    on this channel, as if its caller pressed them (DTMF-Source APP, fired when read)."""
    channel = ctx.channel
    text = data[1:] if data.startswith("~") else data
    for digit, duration in parse_dtmf_string(channel, text):
        if digit not in "wW":
            channel.queue_dtmf(digit, duration, source="APP")


@module.application("flush_dtmf", "Flush any queued dtmf")
async def flush_dtmf(ctx: AppContext, data: str) -> None:
    """Drop the digits queued on the channel (no DTMF event for them)."""
    ctx.channel.flush_dtmf()


@module.application("wait_for_answer", "Wait for call to be answered")
async def wait_for_answer(ctx: AppContext, data: str) -> None:
    """Poll every 100 ms (an interruptible sleep) until the channel is answered or hung up."""
    channel = ctx.channel
    calllog.session_line(channel, 7, _WAIT_ANSWER_SITE, "Waiting for answer\n")
    while channel.ready and not channel.answered:
        await ctx.sleep(_ANSWER_POLL)


@module.application("set_global", "Set a global variable", "<varname>=<value>", zombie_exec=True)
async def set_global(ctx: AppContext, data: str) -> None:
    """``switch_core_set_variable``: ``name=value``; no ``=`` or an empty value unsets."""
    channel = ctx.channel
    if not data:
        calllog.session_line(channel, 3, _SET_GLOBAL_ERROR_SITE, "No variable name specified.\n")
        return
    name, _, value = data.partition("=")
    calllog.session_line(channel, 7, _SET_GLOBAL_SITE, f"SET GLOBAL [{name}]=[{value or 'UNDEF'}]\n")
    ctx.switch.set_global(name, value or None)


@module.application("multiunset", "Unset many channel variables", "[^^<delim>]<varname> <var2> <var3>", zombie_exec=True)
async def multiunset(ctx: AppContext, data: str) -> None:
    """Unset the variables named in ``data`` (space-separated, or ``^^<delim>``)."""
    delim = " "
    text = data
    if text.startswith("^^") and len(text) > 2:
        delim, text = text[2], text[3:]
    for name in text.split(delim)[:256]:
        if name:
            ctx.channel.set_variable(name, None)


@module.application("set_name", "Name the channel", "<name>")
async def set_name(ctx: AppContext, data: str) -> None:
    """``switch_channel_set_name``: the channel's name and ``channel_name`` (the caller
    profile keeps the name it was created with)."""
    if not data:
        return
    channel = ctx.channel
    old = channel.name
    channel.name = data
    channel.set_variable("channel_name", data)
    calllog.rename_channel(channel, old, data)


def _response(ctx: AppContext, status: MediaStatus) -> None:
    if status in (MediaStatus.SUCCESS, MediaStatus.BREAK):
        ctx.set_response("FILE PLAYED")
    elif status is MediaStatus.NOTFOUND:
        ctx.set_response("FILE NOT FOUND")
    else:
        ctx.set_response("PLAYBACK ERROR")


@module.application("gentones", "Generate Tones", "<tone_script>[|<loops>]")
async def gentones(ctx: AppContext, data: str) -> None:
    """``switch_ivr_gentones``: the teletone script's time passes on the frame grid (no
    PLAYBACK events); a digit in ``playback_terminators`` or a break ends it."""
    channel = ctx.channel
    if not data:
        calllog.session_line(channel, 3, _GENTONES_SITE, "Invalid Params!\n")
        return
    script, sep, loops_text = data.partition("|")
    loops = c_atoi(loops_text) if sep else 0
    channel.set_variable("playback_terminator_used", "")
    if not channel.pre_answer():
        return
    samples = tone_stream_samples(f"{script};loops={loops}" if loops else script)
    seconds = _ENDLESS if samples is None or loops < 0 else samples / RATE
    await media_wait(channel, seconds, on_digit=terminator_handler(channel), frames=True)


@module.application("loop_playback", "Playback File looply", "[+loops] <path>")
async def loop_playback(ctx: AppContext, data: str) -> None:
    """Play a file ``+N`` times (1 by default; negative: until hang-up), without a digit
    handler; a missing count or file hangs up DESTINATION_OUT_OF_ORDER."""
    channel = ctx.channel
    path = data
    loops = 1
    if path.startswith("+"):
        count, _, path = path[1:].partition(" ")
        if not count and not path:
            _loop_playback_error(ctx, f"Missing loop in data [{data}]\n")
            return
        loops = c_atoi(count)
    if not path:
        _loop_playback_error(ctx, f"Missing file arg in data [{data}]\n")
        return
    status = MediaStatus.SUCCESS
    for _ in range(1_000_000):
        if not channel.ready or loops == 0:
            break
        loops -= 1 if loops > 0 else 0
        status = await play_file(channel, path, None)
        if status not in (MediaStatus.SUCCESS, MediaStatus.BREAK):
            break
    _response(ctx, status)


def _loop_playback_error(ctx: AppContext, text: str) -> None:
    ctx.switch.log(3, text, file=_LOOP_PLAYBACK_SITE.file, function=_LOOP_PLAYBACK_SITE.function, line=_LOOP_PLAYBACK_SITE.line)
    ctx.channel.hangup(HangupCause.DESTINATION_OUT_OF_ORDER)


def _recording_vars(text: str) -> list[tuple[str, str]]:
    """``switch_event_create_brackets`` on ``{a=1,b=2}`` (URL-decoded first)."""
    text = url_decode(text).strip()
    if not text.startswith("{"):
        return []
    text = text[1:-1] if text.endswith("}") else text[1:]
    out: list[tuple[str, str]] = []
    for item in separate_string(text, ",", 256):
        name, sep, value = item.partition("=")
        if sep and name:
            out.append((name, value))
    return out


@module.application("record_session", "Starts a background recording of the entire session", "<path> [+<timeout>] [{var1=x,var2=y}]")
async def record_session(ctx: AppContext, data: str) -> None:
    """``switch_ivr_record_session_event``: RECORD_START now, RECORD_STOP when stopped,
    after ``+<timeout>`` seconds or at hang-up; ``{...}`` become ``Recording-Variable-*``."""
    if not data:
        return
    argv = [a for a in data.split(" ") if a][:5]
    if not argv:
        return
    limit = 0
    variables: list[tuple[str, str]] = []
    if len(argv) > 1:
        if argv[1].startswith("+"):
            limit = c_atoi(argv[1][1:])
            if len(argv) > 2:
                variables = _recording_vars(argv[2])
        else:
            variables = _recording_vars(argv[1])
    start_session_recording(ctx.channel, argv[0], limit, variables)


@module.application("stop_record_session", "Stops a background recording of the entire session", "<path>")
async def stop_record_session(ctx: AppContext, data: str) -> None:
    """``switch_ivr_stop_record_session``: the recording of ``data`` (``all``: every one)."""
    uuid = ctx.channel.uuid
    for (owner, path), rec in list(RECORDINGS.items()):
        if owner == uuid and (path == data or data == "all"):
            stop_session_recording(rec)


@module.application("strftime", "strftime", "[<epoch>|]<format string>")
async def strftime(ctx: AppContext, data: str) -> None:
    """``name=format``: the local time formatted into the variable ``name``."""
    argv = separate_string(data, "=", 2) if data else []
    if len(argv) < 2:
        return
    try:
        date = time.strftime(argv[1], time.localtime(ctx.switch.clock.wall_us() / 1_000_000))[:79]
    except ValueError:
        date = ""
    calllog.session_line(ctx.channel, 7, _STRFTIME_SITE, f"SET [{argv[0]}]=[{date}]\n")
    ctx.channel.set_variable(argv[0], date)


@module.application("say", "say", _SAY_SYNTAX)
async def say(ctx: AppContext, data: str) -> None:
    """``switch_ivr_say`` with 4 or 5 arguments (else the usage): the language ``en`` of
    the vanilla phrases configuration sets ``sound_prefix`` to its prefix (the global
    ``sound_prefix``), then, no say module (``mod_say_*``) being loaded, logs ``Invalid SAY
    Interface`` and says nothing, as the reference build (also without one) does."""
    channel = ctx.channel
    argv = separate_string(data, " ", 5) if data else []
    if len(argv) not in (4, 5):
        calllog.session_line(channel, 3, _SAY_SITE, f"Usage: {_SAY_SYNTAX}\n")
        return
    channel.set_variable("playback_terminator_used", None)
    module_name, _, lang = argv[0].partition(":")
    language = lang or module_name
    if language != "en":
        return  # switch_xml_locate_language finds no other language: nothing is said or logged
    # The vanilla lang/en/en.xml: <language name="en" say-module="en"
    # sound-prefix="$${sound_prefix}">; the prefix stays on the channel afterwards.
    prefix = ctx.switch.get_global("sound_prefix")
    if prefix and not switch_true(channel.get_variable("sound_prefix_enforced")):
        channel.set_variable("sound_prefix", prefix)
    calllog.session_line(channel, 3, _SAY_INTERFACE_SITE, "Invalid SAY Interface [en]!\n")


@module.application("speak", "Speak text", "<engine>|<voice>|<text>")
async def speak(ctx: AppContext, data: str) -> None:
    """Text to speech: without an engine and a voice (``tts_engine``/``tts_voice``) the
    channel is hung up DESTINATION_OUT_OF_ORDER; with them nothing is spoken (the
    simulated switch has no TTS module, like the reference build)."""
    channel = ctx.channel
    if not data:
        calllog.session_line(channel, 3, _SPEAK_EMPTY_SITE, "Invalid Params!\n")
        return
    argv = separate_string(data, "|", 3)
    engine = argv[0] if len(argv) > 2 else None
    voice = argv[-2] if len(argv) > 1 else None
    text = data if len(argv) == 1 else argv[-1]
    engine = engine or channel.get_variable("tts_engine")
    voice = voice or channel.get_variable("tts_voice")
    if not (engine and voice and text):
        calllog.session_line(
            channel, 3, _SPEAK_SITE, f"Invalid Params! [{engine or 'NULL'}][{voice or 'NULL'}][{text or 'NULL'}]\n"
        )
        channel.hangup(HangupCause.DESTINATION_OUT_OF_ORDER)


@module.application("redirect", "Send session redirect", "<redirect_data>")
async def redirect(ctx: AppContext, data: str) -> None:
    """SWITCH_MESSAGE_INDICATE_REDIRECT to the endpoint: a SIP 302 on sofia; the simulated
    endpoints (like loopback) ignore it."""


@module.application("respond", "Send session respond", "<respond_data>")
async def respond(ctx: AppContext, data: str) -> None:
    """SWITCH_MESSAGE_INDICATE_RESPOND to the endpoint: a SIP response on sofia; the
    simulated endpoints (like loopback) ignore it."""


_INBAND_DTMF = "inband_dtmf"


@module.application("start_dtmf", "Detect dtmf")
async def start_dtmf(ctx: AppContext, data: str) -> None:
    """Inband DTMF detection (``switch_ivr_inband_dtmf_session``): pre-answers, adds the
    ``inband_dtmf`` media bug (MEDIA_BUG_START; one at a time). There is no audio to
    detect tones in, so no digit ever comes of it (docs/deviations.md)."""
    channel = ctx.channel
    if _INBAND_DTMF in channel.media_bugs:
        return
    if not channel.answered and not channel.early_media:
        channel.pre_answer()
    if not channel.ready:
        return
    channel.media_bugs.add(_INBAND_DTMF)
    ce.fire_media_bug(channel, True, _INBAND_DTMF)

    async def watch() -> None:
        # The bug goes when the channel hangs up (switch_core_media_bug_remove_all).
        await channel.wait_for(lambda ch: _INBAND_DTMF not in ch.media_bugs or not ch.ready, None)
        if _INBAND_DTMF in channel.media_bugs:
            channel.media_bugs.discard(_INBAND_DTMF)
            ce.fire_media_bug(channel, False, _INBAND_DTMF)

    channel.switch.spawn(watch())


@module.application("stop_dtmf", "stop inband dtmf")
async def stop_dtmf(ctx: AppContext, data: str) -> None:
    """Stop inband DTMF detection: the ``inband_dtmf`` media bug goes (MEDIA_BUG_STOP)."""
    channel = ctx.channel
    if _INBAND_DTMF in channel.media_bugs:
        channel.media_bugs.discard(_INBAND_DTMF)
        ce.fire_media_bug(channel, False, _INBAND_DTMF)
        channel.notify_waiters()
