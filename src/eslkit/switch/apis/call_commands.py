"""Call-control odds and ends of mod_commands: uuid_pre_answer, uuid_flush_dtmf,
uuid_deflect, uuid_displace, uuid_audio, uuid_simplify, uuid_phone_event, with FreeSWITCH's
reply texts (transcripts calls3_uuid_misc_live, calls3_uuid_preanswer_answer and
recorded/hold/uuid_misc_usage).

The messages some of them send to the channel (deflect, simplify, phone event) are SIP
indications a simulated channel has no use for; what a loopback channel answers to them is
what the simulated channels answer (docs/deviations.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eslkit.switch.api import ApiCall
from eslkit.switch.expand import separate_string
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel

__all__ = ["module"]

module = Module("mod_commands")

DISPLACE_SYNTAX = "<uuid> [start|stop] <path> [<limit>] [mux]"
AUDIO_SYNTAX = "<uuid> [start [read|write] [mute|level <level>]|stop]"


def _find(call: ApiCall, uuid: str | None) -> Channel | None:
    return call.switch.sessions.find_session(uuid) if uuid else None


@module.command("uuid_pre_answer", "pre_answer", "<uuid>")
def uuid_pre_answer(call: ApiCall) -> None:
    """``switch_channel_pre_answer``: ``+OK`` or ``-ERROR`` (also for a missing channel)."""
    channel = _find(call, call.arg)
    call.write("+OK\n" if channel is not None and channel.pre_answer() else "-ERROR\n")


@module.command("uuid_flush_dtmf", "Flush dtmf on a given uuid", "<uuid>")
def uuid_flush_dtmf(call: ApiCall) -> None:
    """Drop the queued digits: ``+OK``, else ``-ERR No such session``."""
    channel = _find(call, call.arg)
    if channel is None:
        call.write("-ERR No such session\n")
        return
    channel.flush_dtmf()
    call.write("+OK\n")


@module.command("uuid_deflect", "Send a deflect", "<uuid> <uri>")
def uuid_deflect(call: ApiCall) -> None:
    """``+OK:<reply>``: the simulated channels, like loopback, give no reply text."""
    uuid, _, uri = (call.arg or "").partition(" ")
    if not uuid or not uri:
        call.write("-USAGE: <uuid> <uri>\n")
        return
    if _find(call, uuid) is None:
        call.write(f"-ERR No such channel {uuid}!\n")
        return
    call.write("+OK:\n")


@module.command("uuid_displace", "Displace audio", DISPLACE_SYNTAX)
def uuid_displace(call: ApiCall) -> None:
    """Start/stop displacing a channel's audio with a file: a file that cannot be opened
    gives ``-ERR Cannot displace session!``; the audio itself is not simulated."""
    from eslkit.switch.ivr.sources import open_source

    argv = separate_string(call.arg, " ", 5) if call.arg else []
    if len(argv) < 3 or not all(argv[:3]):
        call.write(f"-USAGE: {DISPLACE_SYNTAX}\n")
        return
    uuid, action, path = argv[0], argv[1].lower(), argv[2]
    channel = _find(call, uuid)
    if channel is None:
        call.write("-ERR Cannot locate session!\n")
        return
    displacing = channel.flags
    if action == "start":
        if "displace:" + path in displacing or not channel.ready or open_source(channel, path) is None:
            call.write("-ERR Cannot displace session!\n")
            return
        displacing.add("displace:" + path)
        call.write("+OK Success\n")
    elif action == "stop":
        if "displace:" + path not in displacing:
            call.write("-ERR Cannot stop displace session!\n")
            return
        displacing.discard("displace:" + path)
        call.write("+OK Success\n")
    else:
        call.write(f"-USAGE: {DISPLACE_SYNTAX}\n")


@module.command("uuid_audio", "uuid_audio", AUDIO_SYNTAX)
def uuid_audio(call: ApiCall) -> None:
    """Mute or set the level of a channel's read/write audio (``+OK``; the audio itself is
    not simulated), ``stop``, or the usage."""
    argv = (call.arg or "").split(" ") if call.arg else []
    argv = [a for a in argv if a][:5]
    if len(argv) < 2:
        call.write(f"-USAGE: {AUDIO_SYNTAX}\n")
        return
    if _find(call, argv[0]) is None:
        call.write("-ERR No such channel!\n")
        return
    action = argv[1].lower()
    if action == "stop":
        call.write("+OK\n")
        return
    if (
        action != "start"
        or len(argv) < 5
        or argv[2].lower() not in ("read", "write")
        or argv[3].lower() not in ("mute", "level")
    ):
        call.write(f"-USAGE: {AUDIO_SYNTAX}\n")
        return
    call.write("+OK\n")


@module.command("uuid_simplify", "Try to cut out of a call path / attended xfer", "<uuid>")
def uuid_simplify(call: ApiCall) -> None:
    """``+OK Success`` / ``-ERR Operation failed`` (the channel's answer to the message)."""
    argv = separate_string(call.arg, " ", 2) if call.arg else []
    if not argv or not argv[0]:
        call.write("-USAGE: <uuid>\n")
        return
    channel = _find(call, argv[0])
    call.write("+OK Success\n" if channel is not None else "-ERR Operation failed\n")


@module.command("uuid_phone_event", "Send an event to the phone", "<uuid>")
def uuid_phone_event(call: ApiCall) -> None:
    """``+OK Success`` / ``-ERR Operation failed`` (the channel's answer to the message)."""
    argv = separate_string(call.arg, " ", 2) if call.arg else []
    if not argv:
        call.write("-USAGE: <uuid>\n")
        call.write("-ERR Operation failed\n")
        return
    channel = _find(call, argv[0])
    call.write("+OK Success\n" if channel is not None else "-ERR Operation failed\n")
