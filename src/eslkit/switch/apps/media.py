"""mod_dptools' media applications on the simulated switch: playback, record, read,
play_and_get_digits, send_dtmf.

No audio flows: what a media operation *takes* is time on the switch's scaled clock, and
what it *shows* is FreeSWITCH's events and variables (``switch_ivr_play_file``,
``switch_ivr_record_file``, ``switch_ivr_read``, ``switch_play_and_get_digits``).

- A playback lasts as long as its source: a WAV file's length from its RIFF header,
  ``tone_stream://`` from its teletone segments and ``loops=``, ``silence_stream://<ms>``,
  ``file_string://a!b`` the sum of its parts; ``local_stream://`` and negative silence are
  endless. PLAYBACK_START / PLAYBACK_STOP carry ``Playback-File-Path`` (and
  ``Playback-File-Type`` for streams, ``Playback-Status`` done/break on STOP); the
  ``playback_*`` variables are set before STOP.
- While media runs, queued private messages (sendmsg, uuid_broadcast) are executed, as
  ``switch_ivr_parse_all_events`` does; ``uuid_break`` ends the current file (``all``: the
  whole list); DTMF is consumed by the application's digit handler.
- ``record`` writes a real WAV of silence as long as the recording lasted (the far end of a
  simulated call is silent, so a silence threshold always ends it after ``silence_hits``
  seconds).
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import struct
import tempfile
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from eslkit.protocol.names import EventType, HangupCause
from eslkit.protocol.records import CallingSite
from eslkit.switch.apps import AppContext, application
from eslkit.switch.channel import Channel, Dtmf
from eslkit.switch.dialplan import switch_true
from eslkit.switch.expand import c_atoi, separate_string

if TYPE_CHECKING:
    from eslkit.switch.execution import SessionRunner

__all__ = [
    "MAX_RECORD_SECONDS",
    "MAX_STACKS",
    "MediaStatus",
    "Source",
    "Wake",
    "channel_far_end",
    "collect_digits",
    "ivr_read",
    "media_wait",
    "open_source",
    "play_and_get_digits",
    "play_file",
    "record_file",
    "send_dtmf_string",
    "tone_stream_samples",
    "wav_info",
    "write_silence_wav",
]

MAX_STACKS = 16
"""``SWITCH_MAX_STACKS``: how deep queued messages may nest applications."""
MAX_RECORD_SECONDS = 4 * 3600
"""Cap on the audio written by one recording (its reported length is not capped)."""
RATE = 8000
"""The simulated channels' sample rate (L16 at 8 kHz)."""
DIGIT_BUFFER = 128
"""mod_dptools' digit buffer size for read / play_and_get_digits."""
_MAX_FILES = 128
_MAX_TONE_LOOPS = 10_000

PLAYBACK_START_SITE = CallingSite("switch_ivr_play_say.c", "switch_ivr_play_file", 1649)
PLAYBACK_STOP_SITE = CallingSite("switch_ivr_play_say.c", "switch_ivr_play_file", 2023)
RECORD_START_SITE = CallingSite("switch_ivr_play_say.c", "switch_ivr_record_file_event", 770)
RECORD_STOP_SITE = CallingSite("switch_ivr_play_say.c", "switch_ivr_record_file_event", 1033)
FILE_STRING_SITE = CallingSite("mod_dptools.c", "next_file", 4975)

_depth: weakref.WeakKeyDictionary[Channel, int] = weakref.WeakKeyDictionary()


class MediaStatus(Enum):
    """``switch_status_t`` values a media operation ends with."""

    SUCCESS = "success"
    BREAK = "break"
    FALSE = "false"
    NOTFOUND = "notfound"
    TIMEOUT = "timeout"
    TOO_SMALL = "too_small"
    RESTART = "restart"


class Wake(Enum):
    """Why :func:`media_wait` returned."""

    TIMEOUT = "timeout"
    BREAK = "break"
    BREAK_ALL = "break_all"
    DIGIT = "digit"
    HANGUP = "hangup"
    STOP = "stop"


# ---------------------------------------------------------------------------- waiting
def _runner(channel: Channel) -> SessionRunner:
    return channel.switch.sessions.runner


async def _process_queues(channel: Channel) -> None:
    depth = _depth.get(channel, 0)
    _depth[channel] = depth + 1
    try:
        await _runner(channel).process_queues(channel)
    finally:
        _depth[channel] = depth


async def media_wait(
    channel: Channel,
    seconds: float | None,
    *,
    on_digit: Callable[[Dtmf], bool] | None = None,
    stop: Callable[[Channel], bool] | None = None,
) -> tuple[Wake, float]:
    """Let ``seconds`` of switch time pass (``None``: until something happens) the way a
    media loop does: queued private messages and session events are handled meanwhile,
    each queued digit is given to ``on_digit`` (left queued without one; True ends the
    wait), ``uuid_break`` ends it, as do a hang-up and ``stop(channel)``.

    Returns why it ended and how many switch seconds passed."""
    loop = asyncio.get_running_loop()
    clock = channel.switch.clock
    started = loop.time()
    deadline = None if seconds is None else started + clock.real_delay(seconds)

    def elapsed() -> float:
        return (loop.time() - started) * clock.scale

    while True:
        if not channel.ready:
            return Wake.HANGUP, elapsed()
        if stop is not None and stop(channel):
            return Wake.STOP, elapsed()
        brk = channel.break_event()
        if on_digit is not None:
            while channel.has_dtmf():
                digit = channel.dequeue_dtmf()
                if digit is not None and on_digit(digit):
                    return Wake.DIGIT, elapsed()
        can_process = _depth.get(channel, 0) < MAX_STACKS
        if can_process and (channel.has_private_messages or channel.has_session_events):
            await _process_queues(channel)
            if brk.is_set() and channel.ready:
                brk = channel.break_event()
            continue
        remaining = None if deadline is None else deadline - loop.time()
        if remaining is not None and remaining <= 0:
            return Wake.TIMEOUT, elapsed()

        def woken(ch: Channel, brk: asyncio.Event = brk, can_process: bool = can_process) -> bool:
            return (
                brk.is_set()
                or not ch.ready
                or (on_digit is not None and ch.has_dtmf())
                or (can_process and (ch.has_private_messages or ch.has_session_events))
                or (stop is not None and stop(ch))
            )

        await channel.wait_for(woken, None if remaining is None else remaining * clock.scale)
        if brk.is_set() and channel.ready:
            if "CF_BREAK_ALL" in channel.flags:
                channel.flags.discard("CF_BREAK_ALL")
                return Wake.BREAK_ALL, elapsed()
            return Wake.BREAK, elapsed()


# ---------------------------------------------------------------------------- sources
@dataclass(slots=True)
class WavInfo:
    """What a RIFF/WAVE header says."""

    rate: int
    channels: int
    block_align: int
    frames: int


def wav_info(path: str) -> WavInfo | None:
    """Parse a RIFF/WAVE file's ``fmt`` and ``data`` chunks; None if it is not one."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            rate = channels = block_align = 0
            for _ in range(64):
                chunk = fh.read(8)
                if len(chunk) < 8:
                    return None
                cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if cid == b"fmt ":
                    fmt = fh.read(size)
                    if len(fmt) < 16:
                        return None
                    _tag, channels, rate, _bps, block_align = struct.unpack("<HHIIH", fmt[:14])
                    if size % 2:
                        fh.seek(1, os.SEEK_CUR)
                elif cid == b"data":
                    if not rate or not block_align:
                        return None
                    available = os.fstat(fh.fileno()).st_size - fh.tell()
                    size = min(size, max(0, available))
                    return WavInfo(rate, channels, block_align, size // block_align)
                else:
                    fh.seek(size + (size % 2), os.SEEK_CUR)
    except (OSError, struct.error):
        return None
    return None


def write_silence_wav(path: str, samples: int, rate: int = RATE, *, header_only: bool = False) -> bool:
    """Write a 16-bit mono PCM WAV of ``samples`` samples of silence; False on failure."""
    samples = max(0, min(samples, MAX_RECORD_SECONDS * rate))
    data_len = 0 if header_only else samples * 2
    header = b"RIFF" + struct.pack("<I", 36 + data_len) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    header += b"data" + struct.pack("<I", data_len)
    try:
        with open(path, "wb") as fh:
            fh.write(header)
            block = bytes(65536)
            left = data_len
            while left > 0:
                fh.write(block[: min(left, len(block))])
                left -= len(block)
    except OSError:
        return False
    return True


_TONE_KEYS = frozenset("0123456789*#ABCD")


def tone_stream_samples(spec: str, params: dict[str, str] | None = None, rate: int = RATE) -> int | None:
    """How many samples ``tone_stream://<spec>`` plays (None: forever), as libteletone
    generates them: ``%(on,off,f1[,f2...])`` and ``<key>(on,off)`` tones, the ``d=``/``w=``
    defaults (2000/500 samples until set), ``l=`` (repeat the next tone), ``L=`` (repeat
    the script), then ``;loops=N`` / the ``loops`` param (``-1``: endless)."""
    loops = 0
    low = spec.lower()
    cut = low.find(";loops=")
    if cut >= 0:
        if spec[cut + 7 :]:
            loops = c_atoi(spec[cut + 7 :])
        spec = spec[:cut]
    if params and "loops" in params:
        loops = c_atoi(params["loops"])
    per_ms = rate // 1000
    duration, wait, tone_loops, big_loops, looping = 2000, 500, 0, 0, False
    total = 0
    passes = 0
    while True:
        passes += 1
        stop_script = False
        for item in spec.split(";"):
            item = item.strip(" \r\n")
            if not item:
                continue
            if len(item) > 1 and item[1] == "=":
                key, value = item[0], item[2:]
                if key == "d":
                    duration = c_atoi(value) * per_ms
                elif key == "w":
                    wait = c_atoi(value) * per_ms
                elif key == "l":
                    tone_loops = c_atoi(value)
                elif key == "L" and not looping and c_atoi(value) > 0:
                    big_loops, looping = c_atoi(value), True
                continue
            pos = 0
            while pos < len(item):
                ch = item[pos]
                if ch in " \r\n":
                    pos += 1
                    continue
                on, off, mapped = duration, wait, False
                nxt = pos + 1
                if pos + 1 < len(item) and item[pos + 1] == "(":
                    end = item.find(")", pos + 2)
                    inner = item[pos + 2 : end if end >= 0 else len(item)]
                    nxt = end + 1 if end >= 0 else len(item)
                    parts = inner.split(",")
                    on = c_atoi(parts[0]) * per_ms
                    if len(parts) > 1:
                        off = c_atoi(parts[1]) * per_ms
                    freqs = parts[2:]
                    if len(parts) > 2 and ch == "%":
                        mapped = _float(freqs[0]) != 0.0
                    elif len(parts) != 2 or ch == "%":
                        stop_script = True
                        break
                if ch != "%":
                    mapped = ch in _TONE_KEYS
                if mapped:
                    count = max(1, tone_loops) if tone_loops > 0 else 1
                    if tone_loops < 0:
                        return None
                    total += count * (max(0, on) + max(0, off))
                    tone_loops = 0
                pos = nxt
            if stop_script:
                break
        if big_loops > 0:
            big_loops -= 1
        if not big_loops or passes >= _MAX_TONE_LOOPS:
            break
    if loops < 0:
        return None if total else 0
    return total * max(1, loops)


def _float(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        return 0.0


@dataclass(slots=True)
class Part:
    """One file of a ``file_string://``: its length (None: endless) and whether it opened."""

    name: str
    samples: int | None
    ok: bool = True


@dataclass(slots=True)
class Source:
    """An opened playback source."""

    path: str
    #: Length at the channel rate (None: endless).
    samples: int | None
    #: Native rate (``playback_samples`` counts at it).
    native_rate: int = RATE
    file_type: str | None = None
    params: list[tuple[str, str]] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)


def _split_params(spec: str) -> tuple[list[tuple[str, str]], str]:
    params: list[tuple[str, str]] = []
    while spec.startswith("{"):
        end = spec.find("}")
        if end < 0:
            break
        for item in separate_string(spec[1:end], ",", 256):
            name, sep, value = item.partition("=")
            if sep and name:
                params.append((name, value))
        spec = spec[end + 1 :].lstrip(" ")
    return params, spec


def _sound_prefix(channel: Channel) -> str | None:
    switch = channel.switch
    return (
        channel.get_variable("sound_prefix")
        or switch.get_global("sound_prefix")
        or switch.get_global("sounds_dir")
        or switch.get_global("base_dir")
    )


def _open_plain(channel: Channel, path: str, prefix: str | None) -> tuple[str, WavInfo] | None:
    if not os.path.isabs(path) and prefix:
        path = os.path.join(prefix, path)
    candidates = [path]
    if "." not in os.path.basename(path):
        codec = channel.read_codec.name if channel.read_codec else "L16"
        backup = channel.get_variable("native_backup_extension") or "wav"
        candidates = [f"{path}.{codec}", f"{path}.{backup}"]
    for candidate in candidates:
        info = wav_info(candidate)
        if info is not None:
            return candidate, info
    return None


def open_source(channel: Channel, spec: str, *, prefix: str | None = None, depth: int = 0) -> Source | None:
    """``switch_core_file_open`` for reading: the source ``spec`` names, or None when it
    cannot be opened (FreeSWITCH's NOTFOUND)."""
    params, path = _split_params(spec)
    if prefix is None:
        prefix = _sound_prefix(channel)
    low = path.lower()
    if low.startswith("tone_stream://"):
        pmap = dict(params)
        return Source(path, tone_stream_samples(path[14:], pmap), RATE, "tone_stream", params)
    if low.startswith("silence_stream://"):
        ms = c_atoi(path[17:])
        if ms == 0:
            return None
        return Source(path, ms * (RATE // 1000) if ms > 0 else None, RATE, None, params)
    if low.startswith("local_stream://"):
        return Source(path, None, RATE, "local_stream", params)
    if low.startswith("file_string://"):
        if depth > 4:
            return None
        parts: list[Part] = []
        total: int | None = 0
        for name in separate_string(path[14:], "!", _MAX_FILES):
            sub = open_source(channel, name, prefix=prefix, depth=depth + 1)
            parts.append(Part(name, None if sub is None else sub.samples, sub is not None))
            if sub is not None:
                total = None if sub.samples is None or total is None else total + sub.samples
        if not any(part.ok for part in parts):
            return None
        return Source(path, total, RATE, None, params, parts)
    if "://" in path:
        return None
    found = _open_plain(channel, path, prefix)
    if found is None:
        return None
    full, info = found
    samples = info.frames * RATE // info.rate if info.rate else 0
    source = Source(full, samples, info.rate, None, params)
    return source


# ---------------------------------------------------------------------------- playback
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
    files = separate_string(spec, delimiter, _MAX_FILES) if delimiter else [spec]
    status = MediaStatus.SUCCESS
    done = False
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
        status, done, timeout_samples = await _play_source(
            channel, source, on_digit, start_sample, timeout_samples, timeout_ok
        )
    return status


async def _play_source(
    channel: Channel,
    source: Source,
    on_digit: DigitHandler | None,
    start_sample: int,
    timeout_samples: int,
    timeout_ok: bool,
) -> tuple[MediaStatus, bool, int]:
    parts = source.parts or [Part(source.path, source.samples)]
    is_string = bool(source.parts)
    first_ok = next((i for i, p in enumerate(parts) if p.ok), 0)
    if is_string:
        for part in parts[:first_ok]:
            _fire_file_string(channel, "fail", part.name)
        _fire_file_string(channel, "open", parts[first_ok].name)
    _fire_playback(channel, False, source, None)
    played = 0
    status = MediaStatus.SUCCESS
    done = False
    skip = max(0, start_sample) * RATE // source.native_rate if source.native_rate else 0
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
        wake, seconds = await media_wait(channel, None if limit is None else limit / RATE, on_digit=on_digit)
        got = round(seconds * RATE) if wake is not Wake.TIMEOUT else (limit or 0)
        if limit is not None:
            got = min(got, limit)
        played += got
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
    native = played * source.native_rate // RATE if source.native_rate else played
    channel.set_variable("playback_last_offset_pos", str(played))
    channel.set_variable("playback_seconds", str(native // source.native_rate))
    channel.set_variable("playback_ms", str(native // (source.native_rate // 1000)))
    channel.set_variable("playback_samples", str(native))
    _fire_playback(channel, True, source, "break" if status is MediaStatus.BREAK else "done")
    return status, done, timeout_samples


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


@application("playback", "Playback File", "<path>")
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


@application("endless_playback", "Playback File Endlessly", "<path>")
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


# ---------------------------------------------------------------------------- record
def _record_path(channel: Channel, path: str) -> str:
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
    full = _record_path(channel, path)
    if not write_silence_wav(full, 0, rate, header_only=True):
        channel.switch.log(
            3, f"Error opening {full}\n", file="switch_ivr_play_say.c", function="switch_ivr_record_file_event",
            line=728, session_uuid=channel.uuid,
        )  # fmt: skip
        return MediaStatus.FALSE
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
    samples = int(seconds * rate)
    await asyncio.to_thread(write_silence_wav, full, samples, rate)
    channel.set_variable("record_seconds", str(samples // rate))
    channel.set_variable("record_ms", str(samples // (rate // 1000)))
    channel.set_variable("record_samples", str(samples))
    event = channel.switch.new_event(EventType.RECORD_STOP, RECORD_STOP_SITE)
    channel.event_set_data(event)
    event.add_header("Record-File-Path", full)
    channel.switch.fire(event)
    return status


@application("record", "Record File", "<path> [<time_limit_secs>] [<silence_thresh>] [<silence_hits>]")
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


# ---------------------------------------------------------------------------- digits
@dataclass(slots=True)
class DigitBuffer:
    """The digit buffer shared by the prompt and the collector."""

    digits: str = ""


async def collect_digits(
    channel: Channel,
    buf: DigitBuffer,
    maxdigits: int,
    terminators: str,
    first_timeout_ms: int,
    digit_timeout_ms: int,
) -> tuple[MediaStatus, str]:
    """``switch_ivr_collect_digits_count``: (status, terminator used or ``""``)."""
    if len(buf.digits) >= DIGIT_BUFFER or len(buf.digits) >= maxdigits:
        return MediaStatus.FALSE, ""
    if terminators:
        for index, ch in enumerate(buf.digits):
            if ch in terminators:
                buf.digits = buf.digits[:index]
                return MediaStatus.SUCCESS, ch
    if digit_timeout_ms and first_timeout_ms:
        eff = first_timeout_ms
    elif digit_timeout_ms:
        eff = digit_timeout_ms
    else:
        eff = digit_timeout_ms = first_timeout_ms
    entry_state = channel.state
    found: list[str] = []

    def take(dtmf: Dtmf) -> bool:
        found.append(dtmf.digit)
        return True

    def moved(ch: Channel) -> bool:
        return ch.state != entry_state

    loop = asyncio.get_running_loop()
    scale = channel.switch.clock.scale
    started = loop.time()
    while True:
        remaining = None if not eff else eff / 1000.0 - (loop.time() - started) * scale
        if remaining is not None and remaining <= 0:
            return MediaStatus.TIMEOUT, ""
        wake, _ = await media_wait(channel, remaining, on_digit=take, stop=moved)
        if wake in (Wake.HANGUP, Wake.STOP):
            return MediaStatus.FALSE, ""
        if wake is Wake.TIMEOUT:
            return MediaStatus.TIMEOUT, ""
        if wake is not Wake.DIGIT:
            continue
        if eff:
            eff = digit_timeout_ms
            started = loop.time()
        for _ in range(maxdigits + 1):
            digit = found.pop() if found else None
            if digit is None:
                nxt = channel.dequeue_dtmf()
                if nxt is None:
                    break
                digit = nxt.digit
            if terminators and digit in terminators:
                return MediaStatus.SUCCESS, digit
            buf.digits += digit
            if len(buf.digits) >= DIGIT_BUFFER or len(buf.digits) >= maxdigits:
                return MediaStatus.SUCCESS, ""


async def ivr_read(
    channel: Channel,
    min_digits: int,
    max_digits: int,
    prompt: str | None,
    var_name: str | None,
    timeout_ms: int,
    terminators: str,
    digit_timeout_ms: int,
) -> tuple[MediaStatus, str]:
    """``switch_ivr_read``: prompt (the first digit stops it), collect, set ``read_result``
    (success/timeout/failure), ``read_terminator_used`` and ``var_name``. Returns the status
    and the digits."""
    term_required = terminators.startswith("=")
    if not digit_timeout_ms:
        digit_timeout_ms = timeout_ms
    max_digits = max(max_digits, min_digits)
    channel.set_variable("read_result", None)
    if var_name:
        channel.set_variable(var_name, None)
    if max_digits > DIGIT_BUFFER:
        return MediaStatus.FALSE, ""
    if not channel.pre_answer():
        return MediaStatus.FALSE, ""
    buf = DigitBuffer()
    status = MediaStatus.SUCCESS

    def first_digit(dtmf: Dtmf) -> bool:
        buf.digits = dtmf.digit
        return True

    if prompt and prompt.lower() != "silence":
        status = await play_file(channel, prompt, first_digit)
        if status is MediaStatus.BREAK:
            status = MediaStatus.SUCCESS
    terminator = ""
    if status is MediaStatus.SUCCESS:
        if (min_digits and len(buf.digits) < min_digits) or len(buf.digits) < max_digits:
            first = digit_timeout_ms if buf.digits else timeout_ms
            status, terminator = await collect_digits(channel, buf, max_digits, terminators, first, digit_timeout_ms)
        if terminator:
            channel.set_variable("read_terminator_used", terminator)
            pos = terminators.find(terminator)
            if pos >= 1 and terminators[pos - 1] in "+x":
                buf.digits += terminator
                if terminators[pos - 1] == "x":
                    status = MediaStatus.RESTART
        elif term_required:
            status = MediaStatus.TOO_SMALL
        if min_digits and len(buf.digits) < min_digits:
            status = MediaStatus.TOO_SMALL
        result = {MediaStatus.SUCCESS: "success", MediaStatus.TIMEOUT: "timeout"}.get(status, "failure")
        channel.set_variable("read_result", result)
    if status is not MediaStatus.RESTART and max_digits == 1 and len(buf.digits) == 1 and buf.digits in terminators:
        buf.digits = ""
    if var_name and buf.digits:
        channel.set_variable(var_name, buf.digits)
    return status, buf.digits


def _regex_match(text: str, pattern: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


async def play_and_get_digits(
    ctx: AppContext,
    min_digits: int,
    max_digits: int,
    max_tries: int,
    timeout_ms: int,
    terminators: str,
    prompt: str | None,
    bad_input: str | None,
    var_name: str | None,
    regex: str | None,
    digit_timeout_ms: int,
    transfer_on_failure: str | None,
) -> MediaStatus:
    """``switch_play_and_get_digits``: read up to ``max_tries`` times, validating with
    ``regex`` (``<var>_invalid`` keeps a rejected entry), playing ``bad_input`` between
    tries; on failure optionally transfer to ``ext [dialplan [context]]``."""
    channel = ctx.channel
    if regex and var_name:
        channel.set_variable(f"{var_name}_invalid", None)
    tries = max_tries
    while channel.ready and tries > 0:
        status, digits = await ivr_read(
            channel, min_digits, max_digits, prompt, var_name, timeout_ms, terminators, digit_timeout_ms
        )
        if status is MediaStatus.RESTART:
            return status
        if status is MediaStatus.TIMEOUT and len(digits) >= min_digits:
            status = MediaStatus.SUCCESS
        if min_digits == 0 and not digits and channel.get_variable("read_terminator_used") is not None:
            return MediaStatus.SUCCESS
        if not (status is MediaStatus.TOO_SMALL and not digits) and status is MediaStatus.SUCCESS and digits:
            if not regex or _regex_match(digits, regex):
                return MediaStatus.SUCCESS
            if var_name:
                channel.set_variable(var_name, None)
                channel.set_variable(f"{var_name}_invalid", digits)
        if not channel.ready:
            break
        if bad_input:
            await play_file(channel, bad_input, None)
        tries -= 1
    if transfer_on_failure:
        target = separate_string(transfer_on_failure, " ", 4)
        if target and channel.ready:
            ctx.transfer(target[0], target[1] if len(target) > 1 else "XML", target[2] if len(target) > 2 else "default")
    return MediaStatus.FALSE


@application(
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


@application(
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
        ctx,
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


# ---------------------------------------------------------------------------- DTMF out
def channel_far_end(channel: Channel) -> Channel | None:
    """Where DTMF sent out of ``channel`` arrives: a loopback leg's peer, else None (the
    remote party of a simulated endpoint is not a channel)."""
    peer = getattr(channel.endpoint_state, "peer", None)
    return peer if isinstance(peer, Channel) else None


def parse_dtmf_string(channel: Channel, text: str) -> list[tuple[str, int]]:
    """``switch_core_session_send_dtmf_string``'s parsing: ``+``-separated groups of
    ``digits[@ms]``; durations clamped to the core's min/max. ``w``/``W`` are kept."""
    durations = channel.switch.dtmf_durations
    default, low, high = durations["default"], durations["min"], durations["max"]
    out: list[tuple[str, int]] = []
    for group in text.split("+")[:128]:
        digits, _, ms = group.partition("@")
        duration = default
        if ms and c_atoi(ms) > low // (RATE // 1000):
            duration = c_atoi(ms) * (RATE // 1000)
        duration = max(low, min(high, duration))
        for ch in digits:
            if ch in "0123456789*#ABCDabcdwW":
                out.append((ch, duration))
            if len(out) >= 1024:
                return out
    return out


def send_dtmf_string(channel: Channel, text: str, *, fallback_self: bool = False) -> bool:
    """Send DTMF out of ``channel``: it reaches the far end's queue (a DTMF event there,
    ``DTMF-Source: UNKNOWN``). With ``fallback_self`` and no far-end channel, the digits are
    queued on ``channel`` itself, as if its simulated remote party had pressed them."""
    target = channel_far_end(channel)
    if target is None and fallback_self:
        target = channel
    for digit, duration in parse_dtmf_string(channel, text):
        if digit in "wW":
            continue
        if target is not None and target.ready:
            target.queue_dtmf(digit, duration, source="UNKNOWN")
    return True


@application("send_dtmf", "Send dtmf to be sent", "<dtmf_data>")
async def send_dtmf(ctx: AppContext, data: str) -> None:
    """Send digits to the far end; ``w`` pauses 0.5 s and ``W`` 1 s."""
    channel = ctx.channel
    target = channel_far_end(channel)
    for digit, duration in parse_dtmf_string(channel, data):
        if not channel.ready:
            return
        if digit in "wW":
            await media_wait(channel, 0.5 if digit == "w" else 1.0)
            continue
        if target is not None and target.ready:
            target.queue_dtmf(digit, duration, source="UNKNOWN")
