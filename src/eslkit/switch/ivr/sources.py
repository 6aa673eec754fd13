"""Audio sources (``switch_core_file_open`` for reading): how long a playback lasts.

No audio flows on the simulated switch: a source is its length on the scaled clock. A WAV
file's length comes from its RIFF header, ``tone_stream://`` from its teletone segments and
``loops=``, ``silence_stream://<ms>`` from its argument, ``file_string://a!b`` is the sum of
its parts; ``local_stream://`` and negative silence are endless. Recordings write real WAV
files of silence (:func:`write_silence_wav`)."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field

from eslkit.fsutil import c_atoi
from eslkit.switch.channel import Channel
from eslkit.switch.expand import separate_string

__all__ = [
    "MAX_FILES",
    "MAX_RECORD_SECONDS",
    "RATE",
    "Part",
    "Source",
    "WavInfo",
    "open_source",
    "tone_stream_samples",
    "wav_info",
    "write_silence_wav",
]

MAX_RECORD_SECONDS = 4 * 3600
"""Cap on the audio written by one recording (its reported length is not capped)."""
RATE = 8000
"""The simulated channels' sample rate (L16 at 8 kHz)."""
MAX_FILES = 128
"""Most files one ``file_string://`` or delimited playback list holds."""
_MAX_TONE_LOOPS = 10_000


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
        for name in separate_string(path[14:], "!", MAX_FILES):
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
