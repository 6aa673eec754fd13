"""What a conference plays and records (mod_conference's file nodes and recording members),
on the switch clock. No audio is mixed: a played file lasts as long as its source says, a
recording is a WAV of silence as long as it ran.

As recorded from FreeSWITCH: ``play-file`` is fired by the conference thread when the file
starts (one frame after the API reply), ``play-file-done`` when it ends or is stopped, with
``seconds``/``milliseconds``/``samples`` at twice the file's length (FreeSWITCH's file handle
counts the conference's two-byte samples); ``start-recording`` fires on the recorder's first
frame, and ``stop-recording`` when it is stopped or the conference empties, with the elapsed
time.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eslkit.fsutil import c_atoi
from eslkit.switch.conference import events
from eslkit.switch.ivr.sources import tone_stream_samples, wav_info, write_silence_wav

if TYPE_CHECKING:
    from eslkit.switch.conference.model import Conference, Member

__all__ = [
    "FileNode",
    "Recording",
    "close_member_files",
    "file_seconds",
    "play",
    "play_member",
    "record",
    "stop_files",
    "stop_member_files",
    "stop_recordings",
]

FRAME = 0.02


def file_seconds(path: str) -> float | None:
    """How long ``path`` plays: tone_stream://, silence_stream://, a WAV file; None when it
    cannot be opened."""
    if path.startswith("tone_stream://"):
        samples = tone_stream_samples(path[len("tone_stream://") :])
        return None if samples is None else samples / 8000
    if path.startswith("silence_stream://"):
        spec = path[len("silence_stream://") :].split(",", 1)[0]
        ms = c_atoi(spec)
        return ms / 1000 if ms > 0 else None
    if os.path.isfile(path):
        info = wav_info(path)
        if info is not None and info.rate:
            return info.frames / info.rate
    return None


@dataclass(eq=False, slots=True)
class FileNode:
    """One file the conference plays (``conference_file_node_t``)."""

    path: str
    seconds: float
    asynchronous: bool
    started: float = 0.0
    handle: asyncio.TimerHandle | None = None
    done: bool = False


@dataclass(eq=False, slots=True)
class Recording:
    """One recording of the conference (a recording member)."""

    path: str
    started: float = field(default_factory=time.monotonic)
    running: bool = False
    stopped: bool = False


def _fire_done(conference: Conference, node: FileNode, played: float) -> None:
    samples = round(played * 8000) * 2
    ms = samples * 1000 // 8000
    before = [("seconds", str(ms // 1000)), ("milliseconds", str(ms)), ("samples", str(samples))]
    after = [("File", node.path)]
    if node.asynchronous:
        after.append(("Async", "true"))
    events.fire(conference, "play-file-done", before=before, after=after)


def play(conference: Conference, path: str, asynchronous: bool) -> bool:
    """Queue ``path`` (async files play beside the main queue); False if it cannot be opened."""
    seconds = file_seconds(path)
    if seconds is None:
        return False
    node = FileNode(path, seconds, asynchronous)
    queue = conference.async_files if asynchronous else conference.files
    queue.append(node)
    loop = asyncio.get_running_loop()
    clock = conference.switch.clock
    if asynchronous or len(queue) == 1:
        node.handle = loop.call_later(clock.real_delay(FRAME / 2), _start, conference, node)
    return True


def play_member(member: Member, path: str) -> bool:
    """``conference_member_play_file``: queue ``path`` to one member (played in turn, by the
    member's own loop); False if it cannot be opened."""
    seconds = file_seconds(path)
    if seconds is None:
        return False
    node = FileNode(path, seconds, False)
    member.files.append(node)
    if len(member.files) == 1:
        _member_start(member, node)
    return True


def _member_start(member: Member, node: FileNode) -> None:
    node.started = time.monotonic()
    clock = member.conference.switch.clock
    # The member's loop reads the file frame by frame and closes it on the frame after.
    node.handle = asyncio.get_running_loop().call_later(
        clock.real_delay(node.seconds + FRAME), _member_finish, member, node, node.seconds
    )


def _member_finish(member: Member, node: FileNode, played: float) -> None:
    if node not in member.files:
        return
    member.files.remove(node)
    node.done = True
    _fire_member_done(member, node, played)
    if member.files and not member.files[0].started:
        _member_start(member, member.files[0])


def _fire_member_done(member: Member, node: FileNode, played: float) -> None:
    samples = round(played * 8000) * 2
    ms = samples * 1000 // 8000
    before = [("seconds", str(ms // 1000)), ("milliseconds", str(ms)), ("samples", str(samples))]
    after: list[tuple[str, str]] = []
    if not member.gone:
        # (A member that is leaving is no longer found: the event has no member data.)
        events.member_data(member, after)
    after.append(("File", node.path))
    events.fire(member.conference, "play-file-member-done", before=before, after=after)


def _member_played(member: Member, node: FileNode) -> float:
    """What the member's loop has read of ``node``: the whole frames since it started."""
    if not node.started:
        return 0.0
    elapsed = (time.monotonic() - node.started) * member.conference.switch.clock.scale
    return min(node.seconds, int(elapsed / FRAME) * FRAME)


def stop_member_files(member: Member, every: bool) -> int:
    """``conference_member_stop_file``: mark the current file (or all) done; the member's
    loop closes them on its next frame. How many were marked."""
    chosen = list(member.files) if every else member.files[:1]
    loop = asyncio.get_running_loop()
    clock = member.conference.switch.clock
    for node in chosen:
        if node.done:
            continue
        node.done = True
        if node.handle is not None:
            node.handle.cancel()
        played = _member_played(member, node)
        node.handle = loop.call_later(clock.real_delay(FRAME), _member_close, member, node, played)
    return len(chosen)


def _member_close(member: Member, node: FileNode, played: float) -> None:
    if node not in member.files:
        return
    member.files.remove(node)
    _fire_member_done(member, node, played)
    if member.files and not member.files[0].started:
        _member_start(member, member.files[0])


def close_member_files(member: Member) -> None:
    """The member leaves: its files are closed (each fires play-file-member-done, without the
    member's data: it is already out of the list)."""
    for node in list(member.files):
        if node.handle is not None:
            node.handle.cancel()
        member.files.remove(node)
        _fire_member_done(member, node, _member_played(member, node))


def _start(conference: Conference, node: FileNode) -> None:
    if node.done:
        return
    node.started = time.monotonic()
    events.fire(
        conference,
        "play-file",
        after=[("File", node.path), ("Async", "true" if node.asynchronous else "false")],
    )
    clock = conference.switch.clock
    node.handle = asyncio.get_running_loop().call_later(
        clock.real_delay(node.seconds), _finish, conference, node
    )


def _finish(conference: Conference, node: FileNode) -> None:
    if node.done:
        return
    node.done = True
    _fire_done(conference, node, node.seconds)
    queue = conference.async_files if node.asynchronous else conference.files
    if node in queue:
        queue.remove(node)
    if not node.asynchronous and queue:
        nxt = queue[0]
        clock = conference.switch.clock
        nxt.handle = asyncio.get_running_loop().call_later(
            clock.real_delay(FRAME / 2), _start, conference, nxt
        )


def stop_files(conference: Conference, which: str) -> int:
    """``stop current|all|async|last``: how many files were stopped."""
    if which == "async":
        chosen = list(conference.async_files)
    elif which == "all":
        chosen = list(conference.files) + list(conference.async_files)
    elif which == "last":
        chosen = conference.files[-1:]
    else:  # current
        chosen = conference.files[:1]
    clock = conference.switch.clock
    for node in chosen:
        if node.handle is not None:
            node.handle.cancel()
        node.done = True
        (conference.async_files if node.asynchronous else conference.files).remove(node)
        played = (time.monotonic() - node.started) * clock.scale if node.started else 0.0
        if not node.started:
            # Never started: the conference thread still opens and closes it on its frame.
            events.fire(
                conference,
                "play-file",
                after=[("File", node.path), ("Async", "true" if node.asynchronous else "false")],
            )
        _fire_done(conference, node, min(played, node.seconds))
    if which in ("current", "last") and conference.files and not conference.files[0].started:
        _start_later(conference)
    return len(chosen)


def _start_later(conference: Conference) -> None:
    node = conference.files[0]
    clock = conference.switch.clock
    node.handle = asyncio.get_running_loop().call_later(
        clock.real_delay(FRAME / 2), _start, conference, node
    )


def record(conference: Conference, path: str) -> Recording | None:
    """Start recording to ``path`` (the recorder starts on its next frame); None if that
    file is being recorded already."""
    for rec in conference.recordings:
        if rec.path == path:
            return None
    rec = Recording(path)
    conference.recordings.append(rec)
    clock = conference.switch.clock
    asyncio.get_running_loop().call_later(clock.real_delay(FRAME / 2), _record_start, conference, rec)
    return rec


def _record_start(conference: Conference, rec: Recording) -> None:
    if rec.stopped:
        return
    rec.running = True
    rec.started = time.monotonic()
    events.fire(conference, "start-recording", after=[("Path", rec.path)])


def stop_recordings(conference: Conference, path: str | None) -> int:
    """``norecord <path|all>``: how many running recordings were stopped (one that has not
    started yet is not counted, and ends with the conference)."""
    stopped = 0
    for rec in list(conference.recordings):
        if (path is None or rec.path == path) and rec.running:
            _record_stop(conference, rec)
            stopped += 1
    return stopped


def _record_stop(conference: Conference, rec: Recording) -> None:
    if rec.stopped:
        return
    rec.stopped = True
    if rec in conference.recordings:
        conference.recordings.remove(rec)
    if not rec.running:
        return
    elapsed = (time.monotonic() - rec.started) * conference.switch.clock.scale
    samples = int(elapsed * 8000)
    written = write_silence_wav(rec.path, samples)
    size = os.path.getsize(rec.path) if written and os.path.exists(rec.path) else 0
    after = [
        ("Path", rec.path),
        ("Other-Recordings", "true" if conference.recordings else "false"),
        ("Samples-Out", str(samples)),
        ("Samplerate", "8000"),
        ("Milliseconds-Elapsed", str(samples // 8)),
    ]
    if size:
        after.append(("Record-File-Size", str(size)))
    events.fire(conference, "stop-recording", after=after)


def end_recordings(conference: Conference) -> None:
    """The conference emptied: every recording ends (after one more frame)."""
    for rec in list(conference.recordings):
        _record_stop(conference, rec)
