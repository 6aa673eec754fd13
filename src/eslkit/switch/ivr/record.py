"""Recording a file (``switch_ivr_record_file``): RECORD_START / RECORD_STOP, a WAV of
silence as long as the recording lasted (the far end of a simulated call is silent, so a
silence threshold always ends it after ``silence_hits`` seconds), and the ``record_*``
variables."""

from __future__ import annotations

import asyncio
import math
import os
import tempfile
from dataclasses import dataclass

from eslkit.fsutil import c_atoi
from eslkit.protocol.names import ChannelState, EventType
from eslkit.protocol.records import CallingSite
from eslkit.switch import calllog
from eslkit.switch import channel_events as ce
from eslkit.switch.channel import Channel
from eslkit.switch.ivr.play import DigitHandler
from eslkit.switch.ivr.sources import RATE, write_silence_wav
from eslkit.switch.ivr.wait import MediaStatus, Wake, media_wait

__all__ = [
    "RECORDINGS",
    "SessionRecording",
    "record_file",
    "record_path",
    "start_session_recording",
    "stop_recordings_at_hangup",
    "stop_session_recording",
]

RECORD_START_SITE = CallingSite("switch_ivr_play_say.c", "switch_ivr_record_file_event", 770)
RECORD_STOP_SITE = CallingSite("switch_ivr_play_say.c", "switch_ivr_record_file_event", 1033)
SESSION_RECORD_START_SITE = CallingSite("switch_ivr_async.c", "record_callback", 1482)
SESSION_RECORD_STOP_SITE = CallingSite("switch_ivr_async.c", "send_record_stop_event", 1241)
MAX_SESSION_RECORDINGS = 64


def record_path(channel: Channel, path: str) -> str:
    """Where recording ``path`` goes: as given when absolute or a URL, else under
    ``sound_prefix``, the ``sounds_dir`` global, or a temporary directory."""
    if os.path.isabs(path) or "://" in path:
        return path
    prefix = (
        channel.get_variable("sound_prefix")
        or channel.switch.get_global("sounds_dir")
        or os.path.join(tempfile.gettempdir(), "eslkit-sounds")
    )
    return os.path.join(prefix, path)


async def record_file(
    channel: Channel,
    path: str,
    on_digit: DigitHandler | None,
    limit: int = 0,
    thresh: int = 0,
    silence_hits: int = 0,
    rate: int = RATE,
) -> MediaStatus:
    """``switch_ivr_record_file``: RECORD_START, wait for the limit (whole epoch seconds,
    as FreeSWITCH counts it), the silence detector, a terminator, ``uuid_break`` or the
    hang-up; write the WAV; ``record_seconds``/``record_ms``/``record_samples``;
    RECORD_STOP. GENERR-like FALSE when the file cannot be created."""
    if not channel.pre_answer():
        return MediaStatus.FALSE
    if not path:
        return MediaStatus.FALSE
    full = record_path(channel, path)
    if _wastes_resources(channel):
        calllog.session_line(channel, 7, _WASTE_SITE, "Raw Codec Activated, ready to waste resources!\n")
    if not write_silence_wav(full, 0, rate, header_only=True):
        channel.switch.log(
            3, f"Error opening {full}\n", file="switch_ivr_play_say.c", function="switch_ivr_record_file_event",
            line=728, session_uuid=channel.uuid,
        )  # fmt: skip
        return MediaStatus.FALSE
    channel.set_variable("silence_hits_exhausted", "false")
    calllog.session_line(channel, 7, _RAW_CODEC_SITE, "Raw Codec Activated\n")
    _reset_read_codec(channel)  # the raw codec the recorder reads with
    calllog.session_line(channel, 7, _PUSH_CODEC_SITE, f"{channel.name} Push codec L16:{_L16_IANACODE}\n")
    event = channel.switch.new_event(EventType.RECORD_START, RECORD_START_SITE)
    channel.event_set_data(event)
    event.add_header("Record-File-Path", full)
    channel.switch.fire(event)
    clock = channel.switch.clock
    wait: float | None = None
    if limit:
        start = math.floor(clock.epoch())
        wait = max(0.0, start + limit + 1 - clock.epoch())
    silence_end = False
    if thresh:
        hits = silence_hits or 3
        if wait is None or hits < wait:
            wait, silence_end = float(hits), True
    wake, seconds = await media_wait(channel, wait, on_digit=on_digit)
    status = MediaStatus.SUCCESS
    if wake is Wake.TIMEOUT and silence_end:
        channel.set_variable("silence_hits_exhausted", "true")
    elif wake is Wake.HANGUP:
        status = MediaStatus.FALSE
    elif wake is not Wake.TIMEOUT:
        status = MediaStatus.BREAK
    # What the far end sent: silence for as long as it lasted, or nothing at all from an
    # endpoint that sends no frames (loopback: FreeSWITCH records a header-only file).
    samples = int(seconds * rate) if _sends_frames(channel) else 0
    await asyncio.to_thread(write_silence_wav, full, samples, rate)
    size = str(44 + 2 * samples)
    channel.set_variable("record_record_file_size", size)
    channel.set_variable("record_file_size", size)
    channel.set_variable("record_seconds", str(samples // rate))
    channel.set_variable("record_ms", str(samples // (rate // 1000)))
    channel.set_variable("record_samples", str(samples))
    event = channel.switch.new_event(EventType.RECORD_STOP, RECORD_STOP_SITE)
    channel.event_set_data(event)
    event.add_header("Record-File-Path", full)
    channel.switch.fire(event)
    _reset_read_codec(channel)  # back to the session's own read codec
    codec = channel.read_codec
    calllog.session_line(
        channel, 7, _RESTORE_CODEC_SITE,
        f"{channel.name} Restore previous codec {(codec.name if codec is not None else '') or 'L16'}:{_L16_IANACODE}.\n",
    )  # fmt: skip
    return status


def _wastes_resources(channel: Channel) -> bool:
    """switch_ivr_record_file's waste_resources (1400 unless record_waste_resources says
    otherwise) or record_fill_cng: the write codec it then logs."""
    waste = channel.get_variable("record_waste_resources")
    fill = channel.get_variable("record_fill_cng")
    wasting = waste is None or waste.lower() == "true" or c_atoi(waste) > 0
    filling = fill is not None and (fill.lower() == "true" or c_atoi(fill) > 0)
    return wasting or filling


_WASTE_SITE = CallingSite("switch_ivr_play_say.c", "switch_ivr_record_file_event", 617)
_RAW_CODEC_SITE = CallingSite("switch_ivr_play_say.c", "switch_ivr_record_file_event", 729)
_PUSH_CODEC_SITE = CallingSite("switch_core_codec.c", "switch_core_session_set_read_codec", 250)
_RESTORE_CODEC_SITE = CallingSite("switch_core_codec.c", "switch_core_session_set_read_codec", 275)
#: The L16 codec's ``ianacode`` as FreeSWITCH's set_read_codec lines print it (recorded).
_L16_IANACODE = 100


def _reset_read_codec(channel: Channel) -> None:
    """``switch_core_session_set_read_codec``: sets ``read_codec``/``read_rate`` again."""
    codec = channel.read_codec
    if codec is not None and codec.name:
        channel.set_variable("read_codec", codec.name)
        channel.set_variable("read_rate", str(codec.rate))


def _sends_frames(channel: Channel) -> bool:
    endpoint = channel.switch.sessions.endpoint_of(channel)
    return endpoint is None or endpoint.sends_frames


# ---------------------------------------------------------------------------- session recording
@dataclass(slots=True)
class SessionRecording:
    """One running ``switch_ivr_record_session`` recording."""

    channel: Channel
    path: str
    full: str
    started: float
    limit: int
    variables: list[tuple[str, str]]
    stopped: bool = False


_WAV_HEADER = 44
_STOPPED_CAUSE = "success-maxtime"
_HANGUP_CAUSE = "success-silence"

RECORDINGS: dict[tuple[str, str], SessionRecording] = {}
"""Running session recordings by (channel uuid, path)."""


def stop_session_recording(rec: SessionRecording, cause: str = _STOPPED_CAUSE) -> None:
    """End ``rec``: write its WAV, the ``record_*`` variables, RECORD_STOP with completion
    ``cause``."""
    if rec.stopped:
        return
    rec.stopped = True
    RECORDINGS.pop((rec.channel.uuid, rec.path), None)
    channel = rec.channel
    seconds = max(0.0, channel.switch.clock.elapsed() - rec.started)
    if rec.limit:
        seconds = min(seconds, float(rec.limit))
    samples = int(seconds * RATE)
    write_silence_wav(rec.full, samples, RATE)
    # record_callback's SWITCH_ABC_TYPE_CLOSE: the file's size, then send_record_stop_event.
    # A recording the client stops ends as "success-maxtime" (recorded: recorded/events).
    channel.set_variable("record_file_size", str(_WAV_HEADER + 2 * samples))
    channel.set_variable("record_samples", str(samples))
    channel.set_variable("record_seconds", str(samples // RATE))
    channel.set_variable("record_ms", str(samples // (RATE // 1000)))
    channel.set_variable("record_completion_cause", cause)
    event = channel.switch.new_event(EventType.RECORD_STOP, SESSION_RECORD_STOP_SITE)
    channel.event_set_data(event)
    event.add_header("Record-File-Path", rec.full)
    for name, value in rec.variables:
        event.add_header(f"Recording-Variable-{name}", value)
    event.add_header("Record-Completion-Cause", cause)
    channel.switch.fire(event)
    ce.fire_media_bug(channel, False, "session_record", rec.full)


def stop_recordings_at_hangup(channel: Channel) -> None:
    """The CS_HANGUP state handler's ``switch_core_media_bug_remove_all``: the channel's
    session recordings end (RECORD_STOP in CS_HANGUP, before the call state is HANGUP);
    record_callback's CLOSE counts a hung-up recording without silence detection (speech
    assumed) as "success-silence" (recorded: recorded/uuid)."""
    if not RECORDINGS:
        return
    for (uuid, _), rec in list(RECORDINGS.items()):
        if uuid == channel.uuid:
            stop_session_recording(rec, _HANGUP_CAUSE)


def start_session_recording(channel: Channel, path: str, limit: int, variables: list[tuple[str, str]]) -> bool:
    """``switch_ivr_record_session``: RECORD_START now (``Recording-Variable-*`` headers);
    the recording runs until stopped, ``limit`` seconds pass or the channel hangs up."""
    if not channel.ready or len(RECORDINGS) >= MAX_SESSION_RECORDINGS * 16:
        return False
    full = record_path(channel, path)
    if not write_silence_wav(full, 0, RATE, header_only=True):
        return False
    rec = SessionRecording(channel, path, full, channel.switch.clock.elapsed(), max(0, limit), variables)
    old = RECORDINGS.pop((channel.uuid, path), None)
    if old is not None:
        stop_session_recording(old)
    RECORDINGS[(channel.uuid, path)] = rec
    event = channel.switch.new_event(EventType.RECORD_START, SESSION_RECORD_START_SITE)
    channel.event_set_data(event)
    event.add_header("Record-File-Path", full)
    for name, value in variables:
        event.add_header(f"Recording-Variable-{name}", value)
    channel.switch.fire(event)
    # The recording's media bug: its callback fired RECORD_START while being added.
    ce.fire_media_bug(channel, True, "session_record", full)

    async def watch() -> None:
        await channel.wait_for(lambda ch: rec.stopped or not ch.ready, float(rec.limit) if rec.limit else None)
        if rec.stopped or channel.ready:
            stop_session_recording(rec)
            return
        # Hung up: stop_recordings_at_hangup ends it in the CS_HANGUP state.
        await channel.wait_for_state(ChannelState.CS_HANGUP, None)
        stop_session_recording(rec, _HANGUP_CAUSE)

    channel.switch.spawn(watch())
    return True
