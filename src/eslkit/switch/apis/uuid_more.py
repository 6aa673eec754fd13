"""More uuid_* commands of mod_commands ESL applications run on live calls, and the
``enable_heartbeat`` application of mod_dptools: uuid_buglist, uuid_media, uuid_early_ok,
uuid_dual_transfer, uuid_session_heartbeat (SESSION_HEARTBEAT events on the switch clock),
as recorded from FreeSWITCH (``tests/conformance/recorded/uuid/``).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eslkit.fsutil import c_atoi, switch_is_number, switch_true
from eslkit.protocol.names import EventType
from eslkit.protocol.records import CallingSite
from eslkit.switch.api import ApiCall
from eslkit.switch.apps import AppContext
from eslkit.switch.expand import separate_string
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel
    from eslkit.switch.core import Switch

__all__ = ["commands", "disable_heartbeat", "dptools", "enable_heartbeat"]

commands = Module("mod_commands")
dptools = Module("mod_dptools")

BUGLIST_SYNTAX = "<uuid>"
MEDIA_SYNTAX = "[off] <uuid>"
DUAL_TRANSFER_SYNTAX = (
    "<uuid> <A-dest-exten>[/<A-dialplan>][/<A-context>] <B-dest-exten>[/<B-dialplan>][/<B-context>]"
)
HEARTBEAT_SYNTAX = "<uuid> [sched] [0|<seconds>]"
_HEARTBEAT_SITE = CallingSite("switch_core_io.c", "switch_core_session_read_frame", 157)
_SCHED_HEARTBEAT_SITE = CallingSite("switch_core_session.c", "sch_heartbeat_callback", 1636)
#: One 20 ms frame: a heartbeat set to fire at once fires at the next frame.
_FRAME = 0.02


# ---------------------------------------------------------------------------- uuid_buglist
@commands.command("uuid_buglist", "List media bugs on a session", BUGLIST_SYNTAX)
def uuid_buglist(call: ApiCall) -> None:
    """``switch_core_media_bug_enumerate``: the channel's media bugs (session recordings,
    inband DTMF detection) in the order they were added; nothing for an unknown uuid."""
    from eslkit.switch.ivr.record import RECORDINGS

    argv = separate_string(call.arg, " ", 2) if call.arg else []
    if not argv or not argv[0]:
        call.write(f"-USAGE: {BUGLIST_SYNTAX}\n")
        return
    channel = call.switch.sessions.find_session(argv[0])
    if channel is None:
        return
    bugs = [("session_record", rec.full) for (uuid, _), rec in RECORDINGS.items() if uuid == channel.uuid]
    bugs += [(name, "N/A") for name in sorted(channel.media_bugs)]
    out = ["<media-bugs>\n"]
    for function, target in bugs:
        out.append(
            f" <media-bug>\n  <function>{function}</function>\n  <target>{target}</target>\n"
            "  <thread-locked>0</thread-locked>\n </media-bug>\n"
        )
    out.append("</media-bugs>\n")
    call.write("".join(out))


# ---------------------------------------------------------------------------- uuid_media
@commands.command("uuid_media", "Reinvite FS in or out of media path", MEDIA_SYNTAX)
def uuid_media(call: ApiCall) -> None:
    """``switch_ivr_media`` / ``switch_ivr_nomedia``. Taking a channel out of the media
    path succeeds on any channel (the simulated endpoints, like loopback, ignore the
    request); bringing it back in fails unless it is in proxy mode, which no simulated
    channel is."""
    argv = separate_string(call.arg, " ", 4) if call.arg else []
    ok = False
    if not argv or not argv[0]:
        call.write(f"-USAGE: {MEDIA_SYNTAX}\n")
    elif argv[0].lower() == "off":
        ok = len(argv) > 1 and call.switch.sessions.find_session(argv[1]) is not None
    else:
        channel = call.switch.sessions.find_session(argv[0])
        ok = channel is not None and "CF_PROXY_MODE" in channel.flags
    call.write("+OK Success\n" if ok else "-ERR Operation failed\n")


@commands.command("uuid_early_ok", "stop ignoring early media", "<uuid>")
def uuid_early_ok(call: ApiCall) -> None:
    """Set ``CF_EARLY_OK``: nothing written (the reply is ``-ERR no reply``), ``-ERROR``
    for an unknown channel."""
    channel = call.switch.sessions.find_session(call.arg) if call.arg else None
    if channel is None:
        call.write("-ERROR\n")
        return
    channel.flags.add("CF_EARLY_OK")


# ---------------------------------------------------------------------------- uuid_dual_transfer
def _destination(text: str) -> tuple[str, str | None, str | None]:
    """``exten[/dialplan[/context]]``; ``exten/inline`` keeps any ``/`` of the exten."""
    if text.endswith("/inline"):
        return text[: -len("/inline")], "inline", None
    exten, _, rest = text.partition("/")
    if not _:
        return exten, None, None
    dialplan, _, context = rest.partition("/")
    return exten, dialplan, context if _ else None


@commands.command("uuid_dual_transfer", "Transfer a session and its partner", DUAL_TRANSFER_SYNTAX)
def uuid_dual_transfer(call: ApiCall) -> None:
    """Transfer the channel's partner (bridged or signal-bonded) to the second
    destination, then the channel to the first: ``+OK``."""
    from eslkit.switch.ivr.transfer import session_transfer

    argv = separate_string(call.arg, " ", 4) if call.arg else []
    if len(argv) != 3:
        call.write(f"-USAGE: {DUAL_TRANSFER_SYNTAX}\n")
        return
    channel = call.switch.sessions.find_session(argv[0]) if argv[0] else None
    if channel is None:
        call.write("-ERR No such channel!\n")
        return
    partner = channel.partner()
    if partner is not None:
        session_transfer(partner, *_destination(argv[2]))
    session_transfer(channel, *_destination(argv[1]))
    call.write("+OK\n")


# ---------------------------------------------------------------------------- heartbeat
@dataclass(slots=True)
class _Heartbeat:
    duration: int = 0
    generation: int = 0


_HEARTBEATS: weakref.WeakKeyDictionary[Switch, dict[str, _Heartbeat]] = weakref.WeakKeyDictionary()


def _heartbeat(channel: Channel) -> _Heartbeat:
    table = _HEARTBEATS.get(channel.switch)
    if table is None:
        table = _HEARTBEATS[channel.switch] = {}
    found = table.get(channel.uuid)
    if found is None:
        found = table[channel.uuid] = _Heartbeat()
    return found


def _restart(channel: Channel, hb: _Heartbeat, first: float, scheduled: bool) -> None:
    hb.generation += 1
    channel.notify_waiters()
    channel.switch.spawn(_beat(channel, hb, hb.generation, first, scheduled))


async def _beat(channel: Channel, hb: _Heartbeat, generation: int, first: float, scheduled: bool) -> None:
    delay = first
    try:
        while True:
            changed = await channel.wait_for(lambda ch: hb.generation != generation or ch.is_hungup(), delay)
            if changed:
                return
            event = channel.switch.new_event(
                EventType.SESSION_HEARTBEAT, _SCHED_HEARTBEAT_SITE if scheduled else _HEARTBEAT_SITE
            )
            channel.event_set_data(event)
            channel.switch.fire(event)
            # The scheduler runs its tasks once a second at most.
            delay = max(float(hb.duration), 1.0) if scheduled else float(hb.duration)
    finally:
        if hb.generation == generation:
            table = _HEARTBEATS.get(channel.switch)
            if table is not None and channel.is_hungup():
                table.pop(channel.uuid, None)


def enable_heartbeat(channel: Channel, seconds: int) -> None:
    """``switch_core_session_enable_heartbeat``: SESSION_HEARTBEAT every ``seconds`` (0:
    60) of media; at the next frame first with ``heartbeat_fire_on_set``. Without media,
    or with ``heartbeat_use_scheduler``/``bypass_media``, the scheduler sends them."""
    hb = _heartbeat(channel)
    hb.duration = seconds or 60
    media = channel.answered or channel.early_media
    variables = channel.variables
    if (
        not media
        or switch_true(variables.get("heartbeat_use_scheduler"))
        or switch_true(variables.get("bypass_media"))
        or switch_true(variables.get("bypass_media_after_bridge"))
    ):
        sched_heartbeat(channel)
        return
    fire_now = switch_true(variables.get("heartbeat_fire_on_set"))
    _restart(channel, hb, _FRAME if fire_now else float(hb.duration), False)


def sched_heartbeat(channel: Channel) -> None:
    """``switch_core_session_sched_heartbeat``: the scheduler sends SESSION_HEARTBEAT every
    heartbeat period the channel has (set by an earlier enable), the first now with
    ``heartbeat_fire_on_set``."""
    hb = _heartbeat(channel)
    fire_now = switch_true(channel.variables.get("heartbeat_fire_on_set"))
    first = _FRAME if fire_now else max(float(hb.duration), 1.0)
    _restart(channel, hb, first, True)


def disable_heartbeat(channel: Channel) -> None:
    """``switch_core_session_disable_heartbeat``: no more SESSION_HEARTBEAT."""
    hb = _heartbeat(channel)
    hb.duration = 0
    hb.generation += 1
    channel.notify_waiters()


@commands.command("uuid_session_heartbeat", "uuid_session_heartbeat", HEARTBEAT_SYNTAX)
def uuid_session_heartbeat(call: ApiCall) -> None:
    """A number > 0 sets the period, ``0`` or another number the default 60 s; a false
    word (``off``, ``false``, nothing) disables; ``sched`` uses the scheduler."""
    argv = separate_string(call.arg, " ", 3) if call.arg else []
    if len(argv) < 2 or not argv[0]:
        call.write(f"-USAGE: uuid_session_heartbeat {HEARTBEAT_SYNTAX}\n")
        return
    channel = call.switch.sessions.find_session(argv[0])
    if channel is None:
        call.write(f"-ERR Cannot locate session. USAGE: uuid_session_heartbeat {HEARTBEAT_SYNTAX}\n")
        return
    sched = argv[1].lower() == "sched"
    value = argv[2] if sched and len(argv) > 2 else (None if sched else argv[1])
    seconds = 60
    if value is not None and switch_is_number(value):
        if c_atoi(value) > 0:
            seconds = c_atoi(value)
    elif not switch_true(value):
        seconds = 0
    if not seconds:
        disable_heartbeat(channel)
    elif sched:
        sched_heartbeat(channel)
    else:
        enable_heartbeat(channel, seconds)
    call.write("+OK\n")


@dptools.application("enable_heartbeat", "Enable Media Heartbeat", "[0|<seconds>]")
async def enable_heartbeat_app(ctx: AppContext, data: str) -> None:
    """``heartbeat_function``: SESSION_HEARTBEAT every ``data`` seconds (0: 60); without
    an argument only the usage is logged."""
    if not data:
        return
    seconds = c_atoi(data)
    if seconds >= 0:
        enable_heartbeat(ctx.channel, seconds)
