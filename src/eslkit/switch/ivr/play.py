"""Playing a file (``switch_ivr_play_file``): PLAYBACK_START / PLAYBACK_STOP with
``Playback-File-Path`` (``Playback-File-Type`` for streams, ``Playback-Status`` done/break on
STOP), ``file_string://``'s ``filestring::`` events, and the ``playback_*`` variables set
before STOP. The playback lasts as long as its source (:mod:`eslkit.switch.ivr.sources`)."""

from __future__ import annotations

from collections.abc import Callable

from eslkit.fsutil import c_atoi, switch_true
from eslkit.protocol.names import EventType
from eslkit.protocol.records import CallingSite
from eslkit.switch import calllog
from eslkit.switch.channel import Channel, Dtmf
from eslkit.switch.expand import separate_string
from eslkit.switch.ivr.sources import MAX_FILES, RATE, Part, Source, open_source
from eslkit.switch.ivr.wait import FRAME, MediaStatus, Wake, media_wait

__all__ = ["DigitHandler", "play_file"]

PLAYBACK_START_SITE = CallingSite("switch_ivr_play_say.c", "switch_ivr_play_file", 1649)
PLAYBACK_STOP_SITE = CallingSite("switch_ivr_play_say.c", "switch_ivr_play_file", 2023)
FILE_STRING_SITE = CallingSite("mod_dptools.c", "next_file", 4975)

DigitHandler = Callable[[Dtmf], bool]


def _fire_playback(channel: Channel, stop: bool, source: Source, status: str | None) -> None:
    event = channel.switch.new_event(
        EventType.PLAYBACK_STOP if stop else EventType.PLAYBACK_START, PLAYBACK_STOP_SITE if stop else PLAYBACK_START_SITE
    )
    channel.event_set_data(event)
    if source.file_type:
        event.add_header("Playback-File-Type", source.file_type)
    event.add_header("Playback-File-Path", source.path)
    if status is not None:
        event.add_header("Playback-Status", status)
    for name, value in source.params:
        event.add_header(name, value)
    channel.switch.fire(event)


def _fire_file_string(channel: Channel, what: str, name: str) -> None:
    event = channel.switch.new_event(EventType.CUSTOM, FILE_STRING_SITE, f"filestring::{what}")
    event.add_header("File", name)
    channel.switch.fire(event)


async def play_file(
    channel: Channel,
    spec: str,
    on_digit: DigitHandler | None,
    *,
    start_sample: int = 0,
) -> MediaStatus:
    """``switch_ivr_play_file``: play ``spec`` (split on ``playback_delimiter`` if set).

    ``on_digit`` is the input callback: each queued digit goes to it and True stops the
    playback (BREAK); without one digits stay queued. Returns SUCCESS, BREAK, NOTFOUND,
    TIMEOUT or FALSE (hang-up / no media)."""
    if not channel.pre_answer():
        return MediaStatus.FALSE
    if not spec:
        return MediaStatus.FALSE
    v = channel.get_variable
    timeout_samples = 0
    for name in ("playback_timeout_sec_cumulative", "playback_timeout_sec"):
        value = v(name)
        if value is not None:
            if c_atoi(value) > 1:
                timeout_samples = RATE * c_atoi(value)
            break
    timeout_ok = switch_true(v("playback_timeout_as_success"))
    delimiter = (v("playback_delimiter") or "")[:1]
    sleep_ms = max(0, c_atoi(v("playback_sleep_val") or "0")) if delimiter else 0
    files = separate_string(spec, delimiter, MAX_FILES) if delimiter else [spec]
    status = MediaStatus.SUCCESS
    done = False
    offset = 0
    for index, name in enumerate(files):
        if done or not channel.ready:
            break
        if index:
            start_sample = 0
            if sleep_ms:
                wake, _ = await media_wait(channel, sleep_ms / 1000.0, on_digit=on_digit)
                if wake is not Wake.TIMEOUT:
                    status = MediaStatus.BREAK if wake is not Wake.HANGUP else MediaStatus.FALSE
                    break
        status = MediaStatus.SUCCESS
        source = open_source(channel, name)
        if source is None:
            status = MediaStatus.NOTFOUND
            continue
        status, done, timeout_samples, played = await _play_source(
            channel, source, on_digit, start_sample, timeout_samples, timeout_ok, offset
        )
        # The files of a delimited list share one handle: its offset keeps counting.
        offset += played
    return status


_CODEC_SITE = CallingSite("switch_ivr_play_say.c", "switch_ivr_play_file", 1564)
_DONE_SITE = CallingSite("switch_ivr_play_say.c", "switch_ivr_play_file", 2013)
#: Samples per 20 ms frame at the channel's rate.
FRAME_SAMPLES = RATE // 50
#: ``FILE_STARTSAMPLES / 2``: what one read from the file asks for (switch_ivr_play_file).
READ_CHUNK = 16384


def frames_read(length: int | None, count: int) -> tuple[int, int]:
    """What ``switch_ivr_play_file`` has done after ``count`` frames of a source of
    ``length`` samples (None: endless): the samples it played (``playback_last_offset_pos``)
    and the samples it read from the file (``playback_samples``: the file is read
    :data:`READ_CHUNK` samples at a time, whenever the buffer holds a frame or less)."""
    buffered = played = read = 0
    remaining = length
    eof = False
    while count > 0:
        if buffered > FRAME_SAMPLES:
            take = min(count, (buffered - 1) // FRAME_SAMPLES)
            buffered -= take * FRAME_SAMPLES
            played += take * FRAME_SAMPLES
            count -= take
            continue
        if eof:
            if not buffered:
                break
            played += buffered
            buffered = 0
            count -= 1
            continue
        chunk = READ_CHUNK if remaining is None else min(READ_CHUNK, remaining)
        if not chunk:
            eof = True
            continue
        read += chunk
        if remaining is not None:
            remaining -= chunk
        buffered += chunk
        taken = min(FRAME_SAMPLES, buffered)
        buffered -= taken
        played += taken
        count -= 1
    return played, read


def _loopback_partner(channel: Channel) -> Channel | None:
    uuid = channel.variables.get("other_loopback_leg_uuid")
    return channel.switch.sessions.find_session(uuid) if uuid else None


async def _play_source(
    channel: Channel,
    source: Source,
    on_digit: DigitHandler | None,
    start_sample: int,
    timeout_samples: int,
    timeout_ok: bool,
    offset: int,
) -> tuple[MediaStatus, bool, int, int]:
    parts = source.parts or [Part(source.path, source.samples)]
    is_string = bool(source.parts)
    first_ok = next((i for i, p in enumerate(parts) if p.ok), 0)
    if is_string:
        for part in parts[:first_ok]:
            _fire_file_string(channel, "fail", part.name)
        _fire_file_string(channel, "open", parts[first_ok].name)
    calllog.session_line(
        channel, 7, _CODEC_SITE, f"Codec Activated L16@{source.native_rate or RATE}hz 1 channels 20ms\n"
    )
    _fire_playback(channel, False, source, None)
    played = 0
    samples_in = 0
    status = MediaStatus.SUCCESS
    done = False
    skip = max(0, start_sample) * RATE // source.native_rate if source.native_rate else 0
    # The file handle's offset_pos counts from the file's start: a start sample is in it.
    start_pos = skip
    for index in range(first_ok, len(parts)):
        part = parts[index]
        if not part.ok:
            _fire_file_string(channel, "fail", part.name)
            continue
        if index > first_ok:
            _fire_file_string(channel, "close", parts[index - 1].name)
            _fire_file_string(channel, "open", part.name)
        length = part.samples
        if length is not None:
            cut = min(skip, length)
            skip -= cut
            length -= cut
        limit = length
        timed = False
        if timeout_samples and (limit is None or limit >= timeout_samples):
            limit, timed = timeout_samples, True
        # What this leg plays is what its loopback partner hears (a conference on that side
        # detects it as the far end talking); silence is not heard.
        partner = None if part.name.startswith("silence_stream://") else _loopback_partner(channel)
        if partner is not None:
            partner.far_end_talking = True
            partner.poke()
        try:
            wake, seconds = await media_wait(
                channel, None if limit is None else limit / RATE, on_digit=on_digit, frames=True
            )
        finally:
            if partner is not None:
                partner.far_end_talking = False
                partner.poke()
        if wake is Wake.TIMEOUT and timed:
            # playback_timeout_sec: what was played is the limit; the file was read in chunks.
            got = limit or 0
            read = frames_read(length, got // FRAME_SAMPLES)[1]
        elif wake is Wake.TIMEOUT:
            got = read = limit or 0
        else:
            # The frames the loop read: one per 20 ms until it noticed; a hang-up is only
            # noticed after the frame of that iteration was read from the file.
            count = round(seconds / FRAME) + (1 if wake is Wake.HANGUP else 0)
            got, read = frames_read(length, count)
            if limit is not None:
                got = min(got, limit)
        played += got
        samples_in += read
        if timeout_samples:
            timeout_samples = max(0, timeout_samples - got)
        if wake is Wake.TIMEOUT and timed:
            status, done = (MediaStatus.SUCCESS if timeout_ok else MediaStatus.TIMEOUT), True
            break
        if wake is Wake.TIMEOUT:
            continue
        if wake is Wake.HANGUP:
            status = MediaStatus.FALSE
        elif wake is Wake.BREAK:
            status = MediaStatus.BREAK
        else:
            status, done = MediaStatus.BREAK, True
        break
    native = samples_in * source.native_rate // RATE if source.native_rate else samples_in
    channel.set_variable("playback_last_offset_pos", str(offset + start_pos + played))
    channel.set_variable("playback_seconds", str(native // source.native_rate))
    channel.set_variable("playback_ms", str(native // (source.native_rate // 1000)))
    channel.set_variable("playback_samples", str(native))
    calllog.session_line(channel, 7, _DONE_SITE, f"done playing file {source.path}\n")
    _fire_playback(channel, True, source, "break" if status is MediaStatus.BREAK else "done")
    return status, done, timeout_samples, played
