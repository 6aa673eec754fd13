"""Media API commands (mod_commands): uuid_bridge, uuid_broadcast, uuid_record,
uuid_send_dtmf, with FreeSWITCH's outputs; the work is done by :mod:`eslkit.switch.ivr`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eslkit.fsutil import c_atoi
from eslkit.protocol.urlcode import url_decode
from eslkit.switch.api import ApiCall
from eslkit.switch.expand import separate_string
from eslkit.switch.ivr.bridge import uuid_bridge as ivr_uuid_bridge
from eslkit.switch.ivr.broadcast import broadcast
from eslkit.switch.ivr.dtmf import send_dtmf_string
from eslkit.switch.ivr.record import RECORDINGS, start_session_recording, stop_session_recording
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel

__all__ = ["module"]

module = Module("mod_commands")


def _find(call: ApiCall, uuid: str) -> Channel | None:
    return call.switch.sessions.find_session(uuid)


# ------------------------------------------------------------------------- uuid_bridge
@module.command("uuid_bridge", "Bridge call legs", "<uuid> <other_uuid>")
def uuid_bridge(call: ApiCall) -> None:
    """``+OK <other>`` (or the fallback uuid), ``-ERR Invalid uuid``, usage."""
    argv = separate_string(call.arg, " ", 4) if call.arg else []
    if len(argv) < 2:
        call.write("-USAGE: <uuid> <other_uuid>\n")
        return
    who = None
    if ivr_uuid_bridge(call.switch, argv[0], argv[1]):
        who = argv[1]
    elif len(argv) > 2 and ivr_uuid_bridge(call.switch, argv[0], argv[2]):
        who = argv[2]
    call.write(f"+OK {who}\n" if who else "-ERR Invalid uuid\n")


# ------------------------------------------------------------------------- uuid_broadcast
@module.command("uuid_broadcast", "Execute dialplan application", "<uuid> <path> [aleg|bleg|holdb|both]")
def uuid_broadcast(call: ApiCall) -> None:
    """``switch_ivr_broadcast``: queue ``playback <path>`` (or ``app::args``) on the leg(s);
    ``app!cause::args`` queues a ``hangup <cause>`` on the channel after it."""
    argv = separate_string(call.arg, " ", 4) if call.arg else []
    if len(argv) < 2:
        call.write("-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n")
        return
    channel = _find(call, argv[0])
    if channel is None:
        call.write("-ERR invalid uuid\n")
        return
    legs = argv[2].lower() if len(argv) > 2 else None
    echo_a = legs is None or "aleg" in legs or "both" in legs
    echo_b = legs is not None and ("both" in legs or ("bleg" in legs and "holdb" not in legs))
    hold_b = legs is None or "holdb" in legs
    broadcast(channel, argv[1], aleg=echo_a, bleg=echo_b, hold_bleg=hold_b)
    call.write("+OK Message sent\n")


# ------------------------------------------------------------------------- uuid_record
def _parse_vars(text: str) -> list[tuple[str, str]]:
    text = url_decode(text).strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    out: list[tuple[str, str]] = []
    for item in separate_string(text, ",", 256):
        name, sep, value = item.partition("=")
        if sep and name:
            out.append((name, value))
    return out


@module.command("uuid_record", "Record session audio", "<uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]")
def uuid_record(call: ApiCall) -> None:
    """Session recording: ``+OK Success`` / ``-ERR Cannot locate session!`` / the per-action
    errors / usage. ``stop all`` stops every recording of the channel."""
    usage = "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n"
    argv = separate_string(call.arg, " ", 5) if call.arg else []
    if len(argv) < 3 or not argv[0] or not argv[1] or not argv[2]:
        call.write(usage)
        return
    channel = _find(call, argv[0])
    if channel is None:
        call.write("-ERR Cannot locate session!\n")
        return
    action, path = argv[1].lower(), argv[2]
    if action == "start":
        variables = _parse_vars(argv[4]) if len(argv) > 4 else []
        ok = start_session_recording(channel, path, c_atoi(argv[3]) if len(argv) > 3 else 0, variables)
        call.write("+OK Success\n" if ok else "-ERR Cannot record session!\n")
    elif action == "stop":
        found = [r for (uuid, p), r in list(RECORDINGS.items()) if uuid == channel.uuid and (p == path or path == "all")]
        for rec in found:
            stop_session_recording(rec)
        call.write("+OK Success\n" if found else "-ERR Cannot stop record session!\n")
    elif action in ("pause", "resume", "mask", "unmask"):
        known = (channel.uuid, path) in RECORDINGS
        label = {"pause": "pause recording", "resume": "resume recording", "mask": "mask recording", "unmask": "unmask recording"}[action]
        call.write("+OK Success\n" if known else f"-ERR Cannot {label} session!\n")
    else:
        call.write(usage)


# ------------------------------------------------------------------------- uuid_send_dtmf
@module.command("uuid_send_dtmf", "Send dtmf digits", "<uuid> <dtmf_data>")
def uuid_send_dtmf(call: ApiCall) -> None:
    """``+OK <uuid> sent DTMF <digits>.`` / ``-ERR Cannot locate session!`` / usage.

    The digits leave the channel towards its far end: a loopback leg's peer receives them;
    a channel without a far-end channel (sim, null) gets them queued on itself, standing in
    for its simulated remote party."""
    argv = separate_string(call.arg, " ", 2) if call.arg else []
    if len(argv) < 2 or not argv[0] or not argv[1]:
        call.write("-USAGE: <uuid> <dtmf_data>\n")
        return
    channel = _find(call, argv[0])
    if channel is None:
        call.write("-ERR Cannot locate session!\n")
        return
    if channel.ready and send_dtmf_string(channel, argv[1], fallback_self=True):
        call.write(f"+OK {argv[0]} sent DTMF {argv[1]}.\n")
    else:
        call.write("-ERR Operation failed\n")
