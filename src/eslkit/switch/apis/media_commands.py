"""Media API commands (mod_commands): uuid_bridge, uuid_broadcast, uuid_record,
uuid_send_dtmf, with FreeSWITCH's outputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from eslkit.protocol.event import Event
from eslkit.protocol.names import ChannelState, EventType
from eslkit.protocol.records import CallingSite
from eslkit.protocol.urlcode import url_decode
from eslkit.switch.api import ApiCall, ApiRegistry
from eslkit.switch.expand import c_atoi, separate_string

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel

__all__ = ["commands"]

commands = ApiRegistry()

UUID_BRIDGE_SITE = CallingSite("switch_ivr_bridge.c", "uuid_bridge_on_soft_execute", 1236)
RECORD_START_SITE = CallingSite("switch_ivr_async.c", "record_callback", 1482)
RECORD_STOP_SITE = CallingSite("switch_ivr_async.c", "send_record_stop_event", 1241)
MAX_SESSION_RECORDINGS = 64


def _find(call: ApiCall, uuid: str) -> Channel | None:
    return call.switch.sessions.find_session(uuid)


# ------------------------------------------------------------------------- uuid_bridge
def _uuid_bridge(call: ApiCall, a_uuid: str, b_uuid: str) -> bool:
    """``switch_ivr_uuid_bridge``: take both channels out of what they run and bridge them
    (the first is the originator)."""
    from eslkit.switch.apps.bridge import bridge_channels, end_of_bridge

    a = _find(call, a_uuid)
    b = _find(call, b_uuid)
    if a is None or b is None or a is b or not a.ready or not b.ready:
        return False
    for channel, other in ((a, b), (b, a)):
        extra = [("Application", "uuid_bridge"), ("Application-Data", other.uuid)]
        event = call.switch.new_event(EventType.CHANNEL_EXECUTE, UUID_BRIDGE_SITE)
        channel.event_set_data(event)
        for name, value in extra:
            event.add_header(name, value)
        call.switch.fire(event)
    for channel in (a, b):
        channel.flags.discard("CF_PARK")
        channel.flags.discard("CF_ORIGINATING")
        channel.plan = []
        channel.set_state(ChannelState.CS_EXCHANGE_MEDIA)
        channel.interrupt()
    if not a.answered and b.answered:
        a.answer()

    async def run() -> None:
        await bridge_channels(a, b)
        end_of_bridge(a, b, resume=True, caller_state=ChannelState.CS_EXCHANGE_MEDIA)

    call.switch.spawn(run())
    return True


@commands.command("uuid_bridge", "Bridge call legs", "<uuid> <other_uuid>")
def uuid_bridge(call: ApiCall) -> None:
    """``+OK <other>`` (or the fallback uuid), ``-ERR Invalid uuid``, usage."""
    argv = separate_string(call.arg, " ", 4) if call.arg else []
    if len(argv) < 2:
        call.write("-USAGE: <uuid> <other_uuid>\n")
        return
    who = None
    if _uuid_bridge(call, argv[0], argv[1]):
        who = argv[1]
    elif len(argv) > 2 and _uuid_bridge(call, argv[0], argv[2]):
        who = argv[2]
    call.write(f"+OK {who}\n" if who else "-ERR Invalid uuid\n")


# ------------------------------------------------------------------------- uuid_broadcast
def _queue_execute(channel: Channel, app: str, path: str, *, hold_bleg: bool) -> bool:
    message = Event(
        [
            ("call-command", "execute"),
            ("execute-app-name", app),
            ("execute-app-arg", path),
            ("event-lock", "true"),
            ("lead-frames", "5"),
        ]
    )
    if hold_bleg:
        message.add_header("hold-bleg", "true")
    return channel.queue_private_message(message)


@commands.command("uuid_broadcast", "Execute dialplan application", "<uuid> <path> [aleg|bleg|holdb|both]")
def uuid_broadcast(call: ApiCall) -> None:
    """``switch_ivr_broadcast``: queue ``playback <path>`` (or ``app::args``) on the leg(s);
    ``app!cause`` is accepted and the cause ignored."""
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
    app, path = "playback", argv[1]
    sep = path.find("::")
    if sep >= 0:
        app, path = path[:sep], path[sep + 2 :]
    app = app.partition("!")[0]
    other = channel.other if channel.get_variable("bridge_to") else None
    if echo_b and other is not None:
        _queue_execute(other, app, path, hold_bleg=hold_b)
    if echo_a:
        _queue_execute(channel, app, path, hold_bleg=hold_b)
    call.write("+OK Message sent\n")


# ------------------------------------------------------------------------- uuid_record
@dataclass(slots=True)
class _Recording:
    channel: Channel
    path: str
    full: str
    started: float
    limit: int
    variables: list[tuple[str, str]]
    stopped: bool = False


_RECORDINGS: dict[tuple[str, str], _Recording] = {}


def _stop_recording(rec: _Recording) -> None:
    from eslkit.switch.apps.media import RATE, write_silence_wav

    if rec.stopped:
        return
    rec.stopped = True
    _RECORDINGS.pop((rec.channel.uuid, rec.path), None)
    channel = rec.channel
    seconds = max(0.0, channel.switch.clock.elapsed() - rec.started)
    if rec.limit:
        seconds = min(seconds, float(rec.limit))
    samples = int(seconds * RATE)
    write_silence_wav(rec.full, samples, RATE)
    channel.set_variable("record_samples", str(samples))
    channel.set_variable("record_seconds", str(samples // RATE))
    channel.set_variable("record_ms", str(samples // (RATE // 1000)))
    event = channel.switch.new_event(EventType.RECORD_STOP, RECORD_STOP_SITE)
    channel.event_set_data(event)
    event.add_header("Record-File-Path", rec.full)
    for name, value in rec.variables:
        event.add_header(f"Recording-Variable-{name}", value)
    channel.switch.fire(event)


def _start_recording(call: ApiCall, channel: Channel, path: str, limit: int, variables: list[tuple[str, str]]) -> bool:
    from eslkit.switch.apps.media import RATE, write_silence_wav
    from eslkit.switch.apps.media import _record_path as record_path

    if not channel.ready or len(_RECORDINGS) >= MAX_SESSION_RECORDINGS * 16:
        return False
    full = record_path(channel, path)
    if not write_silence_wav(full, 0, RATE, header_only=True):
        return False
    rec = _Recording(channel, path, full, channel.switch.clock.elapsed(), max(0, limit), variables)
    old = _RECORDINGS.pop((channel.uuid, path), None)
    if old is not None:
        _stop_recording(old)
    _RECORDINGS[(channel.uuid, path)] = rec
    event = channel.switch.new_event(EventType.RECORD_START, RECORD_START_SITE)
    channel.event_set_data(event)
    event.add_header("Record-File-Path", full)
    for name, value in variables:
        event.add_header(f"Recording-Variable-{name}", value)
    channel.switch.fire(event)

    async def watch() -> None:
        await channel.wait_for(lambda ch: rec.stopped or not ch.ready, float(rec.limit) if rec.limit else None)
        _stop_recording(rec)

    call.switch.spawn(watch())
    return True


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


@commands.command("uuid_record", "Record session audio", "<uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]")
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
        ok = _start_recording(call, channel, path, c_atoi(argv[3]) if len(argv) > 3 else 0, variables)
        call.write("+OK Success\n" if ok else "-ERR Cannot record session!\n")
    elif action == "stop":
        found = [r for (uuid, p), r in list(_RECORDINGS.items()) if uuid == channel.uuid and (p == path or path == "all")]
        for rec in found:
            _stop_recording(rec)
        call.write("+OK Success\n" if found else "-ERR Cannot stop record session!\n")
    elif action in ("pause", "resume", "mask", "unmask"):
        known = (channel.uuid, path) in _RECORDINGS
        label = {"pause": "pause recording", "resume": "resume recording", "mask": "mask recording", "unmask": "unmask recording"}[action]
        call.write("+OK Success\n" if known else f"-ERR Cannot {label} session!\n")
    else:
        call.write(usage)


# ------------------------------------------------------------------------- uuid_send_dtmf
@commands.command("uuid_send_dtmf", "Send dtmf digits", "<uuid> <dtmf_data>")
def uuid_send_dtmf(call: ApiCall) -> None:
    """``+OK <uuid> sent DTMF <digits>.`` / ``-ERR Cannot locate session!`` / usage.

    The digits leave the channel towards its far end: a loopback leg's peer receives them;
    a channel without a far-end channel (sim, null) gets them queued on itself, standing in
    for its simulated remote party."""
    from eslkit.switch.apps.media import send_dtmf_string

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

