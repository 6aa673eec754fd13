"""mod_dptools' media applications on the simulated switch: playback, endless_playback,
record, read, play_and_get_digits, send_dtmf.

Each parses its arguments as mod_dptools does and calls the shared media layer,
:mod:`eslkit.switch.ivr` (what FreeSWITCH calls ``switch_ivr_*``): no audio flows; what a
media operation *takes* is time on the switch's scaled clock, and what it *shows* is
FreeSWITCH's events and variables. While media runs, queued private messages (sendmsg,
uuid_broadcast) are executed; ``uuid_break`` ends the current file (``all``: the whole
list); DTMF is consumed by the application's digit handler.
"""

from __future__ import annotations

import asyncio

from eslkit.fsutil import c_atoi
from eslkit.protocol.names import HangupCause
from eslkit.switch.apps import AppContext
from eslkit.switch.channel import Channel, Dtmf
from eslkit.switch.expand import separate_string
from eslkit.switch.ivr.digits import ivr_read, play_and_get_digits
from eslkit.switch.ivr.dmachine import (
    bind_digit_action,
    clear_digit_action,
    digit_action_set_realm,
    feed_sent,
)
from eslkit.switch.ivr.dtmf import (
    MAX_DTMF_STRING,
    channel_far_end,
    parse_dtmf_string,
    set_last_dtmf_duration,
)
from eslkit.switch.ivr.play import DigitHandler, play_file
from eslkit.switch.ivr.record import record_file
from eslkit.switch.ivr.sources import RATE
from eslkit.switch.ivr.wait import MediaStatus, media_wait
from eslkit.switch.modules import Module

__all__ = ["terminator_handler"]

module = Module("mod_dptools")


def terminator_handler(channel: Channel) -> DigitHandler:
    """mod_dptools' ``on_dtmf``: a digit in ``playback_terminators`` (default ``*``;
    ``any``; ``none``) stops the media and is stored in ``playback_terminator_used``."""

    def handle(dtmf: Dtmf) -> bool:
        terminators = channel.get_variable("playback_terminators")
        if terminators is None:
            terminators = "*"
        if terminators.lower() == "any":
            terminators = "1234567890*#"
        elif terminators.lower() == "none":
            terminators = ""
        if dtmf.digit in terminators:
            channel.set_variable("playback_terminator_used", dtmf.digit)
            return True
        return False

    return handle


@module.application("playback", "Playback File", "<path>")
async def playback(ctx: AppContext, data: str) -> None:
    """Play a file; ``path@@<sample>`` starts at that sample."""
    channel = ctx.channel
    start = 0
    path = data
    at = path.find("@@")
    if at >= 0:
        path, start = path[:at], c_atoi(path[at + 2 :])
    channel.set_variable("playback_terminator_used", "")
    status = await play_file(channel, path, terminator_handler(channel), start_sample=start)
    if status in (MediaStatus.SUCCESS, MediaStatus.BREAK):
        ctx.set_response("FILE PLAYED")
    elif status is MediaStatus.NOTFOUND:
        ctx.set_response("FILE NOT FOUND")
    else:
        ctx.set_response("PLAYBACK ERROR")


@module.application("endless_playback", "Playback File Endlessly", "<path>")
async def endless_playback(ctx: AppContext, data: str) -> None:
    """Play a file over and over until hang-up (a failure ends it)."""
    channel = ctx.channel
    status = MediaStatus.SUCCESS
    for _ in range(1_000_000):
        if not channel.ready:
            break
        status = await play_file(channel, data, None)
        if status not in (MediaStatus.SUCCESS, MediaStatus.BREAK):
            break
        await asyncio.sleep(0)
    if status in (MediaStatus.SUCCESS, MediaStatus.BREAK):
        ctx.set_response("FILE PLAYED")
    elif status is MediaStatus.NOTFOUND:
        ctx.set_response("FILE NOT FOUND")
    else:
        ctx.set_response("PLAYBACK ERROR")


@module.application("record", "Record File", "<path> [<time_limit_secs>] [<silence_thresh>] [<silence_hits>]")
async def record(ctx: AppContext, data: str) -> None:
    """Record to a WAV file; a failure (not a break) hangs up DESTINATION_OUT_OF_ORDER."""
    channel = ctx.channel
    argv = separate_string(data, " ", 4) if data else []
    if not argv:
        ctx.switch.log(3, "No file specified.\n", file="mod_dptools.c", function="record_function", line=3248, session_uuid=channel.uuid)
        return
    limit_text = argv[1] if len(argv) > 1 else ""
    limit = max(0, c_atoi(limit_text[1:] if limit_text.startswith("+") else limit_text))
    thresh = max(0, c_atoi(argv[2])) if len(argv) > 2 else 0
    hits = max(0, c_atoi(argv[3])) if len(argv) > 3 else 0
    rate = c_atoi(channel.get_variable("record_rate") or "0")
    channel.set_variable("playback_terminator_used", "")
    status = await record_file(channel, argv[0], terminator_handler(channel), limit, thresh, hits, rate if rate >= 1000 else RATE)
    if not channel.ready or status not in (MediaStatus.SUCCESS, MediaStatus.BREAK):
        channel.hangup(HangupCause.DESTINATION_OUT_OF_ORDER)


@module.application(
    "read",
    "Read Digits",
    "<min> <max> <file> <var_name> <timeout> <terminators> <digit_timeout>",
)
async def read(ctx: AppContext, data: str) -> None:
    """Read digits into a variable (mod_dptools' argument defaults and clamps)."""
    argv = separate_string(data, " ", 7) if data else []
    if not argv:
        ctx.switch.log(3, "No arguments specified.\n", file="mod_dptools.c", function="read_function", line=2772, session_uuid=ctx.channel.uuid)
        return
    min_digits = max(1, c_atoi(argv[0]))
    max_digits = max(min_digits, c_atoi(argv[1]) if len(argv) > 1 else 0)
    timeout = max(1000, c_atoi(argv[4]) if len(argv) > 4 else 1000)
    terminators = argv[5] if len(argv) > 5 and argv[5] else "#"
    digit_timeout = max(0, c_atoi(argv[6])) if len(argv) > 6 else 0
    await ivr_read(
        ctx.channel,
        min_digits,
        max_digits,
        argv[2] if len(argv) > 2 else None,
        argv[3] if len(argv) > 3 else None,
        timeout,
        terminators,
        digit_timeout,
    )


@module.application(
    "play_and_get_digits",
    "Play and get Digits",
    "<min> <max> <tries> <timeout> <terminators> <file> <invalid_file> <var_name> <regexp> "
    "[<digit_timeout>] ['<failure_ext> [failure_dp [failure_context]]']",
)
async def play_and_get_digits_app(ctx: AppContext, data: str) -> None:
    """Prompt, collect, validate and retry."""
    argv = separate_string(data, " ", 11) if data else []
    if not argv:
        ctx.switch.log(3, "No arguments specified.\n", file="mod_dptools.c", function="play_and_get_digits_function", line=2843, session_uuid=ctx.channel.uuid)
        return

    def arg(index: int) -> str | None:
        return argv[index] if len(argv) > index and argv[index] else None

    min_digits = max(0, c_atoi(argv[0]))
    max_digits = max(min_digits, c_atoi(argv[1]) if len(argv) > 1 else 0)
    tries = c_atoi(argv[2]) if len(argv) > 2 else 0
    timeout = max(1000, c_atoi(argv[3]) if len(argv) > 3 else 1000)
    await play_and_get_digits(
        ctx.channel,
        min_digits,
        max_digits,
        tries,
        timeout,
        arg(4) or "#",
        arg(5),
        arg(6),
        arg(7),
        arg(8),
        max(0, c_atoi(argv[9])) if len(argv) > 9 else 0,
        arg(10),
    )


@module.application("send_dtmf", "Send dtmf to be sent", "<dtmf_data>")
async def send_dtmf(ctx: AppContext, data: str) -> None:
    """Send digits to the far end; ``w`` pauses 0.5 s and ``W`` 1 s."""
    channel = ctx.channel
    target = channel_far_end(channel)
    process = data.startswith("~")
    if not data or len(data) > MAX_DTMF_STRING:
        return
    sent = parse_dtmf_string(channel, data)
    for digit, duration in sent:
        if not channel.ready:
            return
        if digit in "wW":
            await media_wait(channel, 0.5 if digit == "w" else 1.0)
            continue
        if process and channel.dmachines is not None and feed_sent(channel, digit):
            continue
        if target is not None and target.ready:
            target.queue_dtmf(digit, duration, source="UNKNOWN", process=process)
    set_last_dtmf_duration(channel, sent)


@module.application("displace_session", "Displace File", "<path> [<flags>] [+time_limit_ms]")
async def displace_session(ctx: AppContext, data: str) -> None:
    """``switch_ivr_displace_session``: the file runs as a media bug (no events; the audio
    is not simulated); one of the same file per channel. Shares ``uuid_displace``'s state."""
    from eslkit.switch.ivr.sources import open_source

    argv = separate_string(data, " ", 6) if data else []
    if not argv or not argv[0]:
        return
    channel = ctx.channel
    key = "displace:" + argv[0]
    if key in channel.flags or not channel.ready or open_source(channel, argv[0]) is None:
        return
    channel.flags.add(key)


@module.application("stop_displace_session", "Stop Displace File", "<path>")
async def stop_displace_session(ctx: AppContext, data: str) -> None:
    """``switch_ivr_stop_displace_session``: stop displacing ``path`` (nothing if it is not)."""
    ctx.channel.flags.discard("displace:" + (data or ""))


@module.application(
    "bind_digit_action",
    "bind a key sequence or regex to an action",
    "<realm>,<digits|~regex>,<string>[,<value>][,<dtmf target leg>][,<event target leg>]",
)
async def bind_digit_action_app(ctx: AppContext, data: str) -> None:
    """Bind digits the channel receives (or sends) to an action (:mod:`eslkit.switch.ivr.dmachine`)."""
    if not bind_digit_action(ctx.channel, data):
        ctx.switch.log(4, f"Syntax Error, USAGE {_BDA_USAGE}\n", file="mod_dptools.c", function="bind_digit_action_function", line=421, session_uuid=ctx.channel.uuid)


_BDA_USAGE = "<realm>,<digits|~regex>,<string>[,<value>][,<dtmf target leg>][,<event target leg>]"


@module.application("clear_digit_action", "clear all digit bindings", "<realm>|all[,target]")
async def clear_digit_action_app(ctx: AppContext, data: str) -> None:
    """Clear a realm's bindings, or all of them (``all``)."""
    if data:
        clear_digit_action(ctx.channel, data)


@module.application("digit_action_set_realm", "change binding realm", "<realm>[,<target>]")
async def digit_action_set_realm_app(ctx: AppContext, data: str) -> None:
    """Make another realm of bindings the current one."""
    digit_action_set_realm(ctx.channel, data)
