"""mod_dptools applications call-control programs reach for first: break, queue_dtmf,
flush_dtmf, wait_for_answer, set_global, multiunset, set_name.

Each does what its mod_dptools function does, as recorded from FreeSWITCH
(``tests/conformance/recorded/apps/``).
"""

from __future__ import annotations

from eslkit.protocol.records import CallingSite
from eslkit.switch import calllog
from eslkit.switch.apps import AppContext
from eslkit.switch.ivr.dtmf import parse_dtmf_string
from eslkit.switch.modules import Module

__all__: list[str] = []

module = Module("mod_dptools")

_WAIT_ANSWER_SITE = CallingSite("mod_dptools.c", "wait_for_answer_function", 1412)
_SET_GLOBAL_SITE = CallingSite("mod_dptools.c", "set_global_function", 1742)
_SET_GLOBAL_ERROR_SITE = CallingSite("mod_dptools.c", "set_global_function", 1729)

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
