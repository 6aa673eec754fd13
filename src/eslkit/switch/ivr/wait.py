"""Waiting on a channel the way FreeSWITCH's media loops do (``switch_ivr_sleep``,
``switch_ivr_parse_all_events``): switch time passes on the scaled clock while queued
private messages and session events are handled, digits are handed to a callback, and
``uuid_break`` or a hang-up end the wait."""

from __future__ import annotations

import asyncio
import math
import weakref
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

from eslkit.switch.channel import Channel, Dtmf

if TYPE_CHECKING:
    from eslkit.switch.execution import SessionRunner

__all__ = ["FRAME", "MAX_STACKS", "MediaStatus", "Wake", "interruptible_wait", "media_wait"]

MAX_STACKS = 16
"""``SWITCH_MAX_STACKS``: how deep queued messages may nest applications."""
FRAME = 0.02
"""One media frame (switch seconds): a media loop's read/write cadence."""

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
    frames: bool = False,
) -> tuple[Wake, float]:
    """Let ``seconds`` of switch time pass (``None``: until something happens) the way a
    media loop does: queued private messages and session events are handled meanwhile,
    each queued digit is given to ``on_digit`` (left queued without one; True ends the
    wait), ``uuid_break`` ends it, as do a hang-up and ``stop(channel)``.

    With ``frames`` the loop acts on the 20 ms frame grid that starts with the wait, as a
    loop that reads a frame per iteration does: a digit, a break or a hang-up is noticed at
    the next frame, one digit per frame, and the time returned is that frame's.

    Returns why it ended and how many switch seconds passed."""
    loop = asyncio.get_running_loop()
    clock = channel.switch.clock
    started = loop.time()
    deadline = None if seconds is None else started + clock.real_delay(seconds)
    next_frame = 0

    def elapsed() -> float:
        return (loop.time() - started) * clock.scale

    async def frame_time() -> float:
        # The frame at (or after) now, and not one that already took a digit.
        nonlocal next_frame
        if not frames:
            return elapsed()
        now = elapsed()
        index = max(math.ceil(now / FRAME - 1e-6), next_frame)
        at = index * FRAME
        if at > now:
            await asyncio.sleep(clock.real_delay(at - now))
        next_frame = index + 1
        return at

    while True:
        if not channel.ready or "CF_UNLINKED" in channel.flags:
            return Wake.HANGUP, await frame_time()
        if stop is not None and stop(channel):
            return Wake.STOP, await frame_time()
        brk = channel.break_event()
        if on_digit is not None and frames:
            if channel.has_dtmf():
                at = await frame_time()
                digit = channel.dequeue_dtmf()
                if digit is not None and on_digit(digit):
                    return Wake.DIGIT, at
                continue
        elif on_digit is not None:
            while channel.has_dtmf():
                digit = channel.dequeue_dtmf()
                if digit is not None and on_digit(digit):
                    return Wake.DIGIT, elapsed()
        can_process = _depth.get(channel, 0) < MAX_STACKS
        if can_process and (channel.has_private_messages or channel.has_session_events):
            before = loop.time()
            await _process_queues(channel)
            if frames:
                # An application run inside the loop (a playback sent with sendmsg) holds
                # it: no frame of this one is read meanwhile, its deadline moves on.
                held = loop.time() - before
                started += held
                if deadline is not None:
                    deadline += held
            if brk.is_set() and channel.ready:
                # A break an application run meanwhile raised (the break app, sent with
                # sendmsg during a playback: recorded/guesses/guess_break_app_forms).
                break
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
            break
    if "CF_BREAK_ALL" in channel.flags:
        channel.flags.discard("CF_BREAK_ALL")
        return Wake.BREAK_ALL, await frame_time()
    return Wake.BREAK, await frame_time()


async def interruptible_wait(channel: Channel, seconds: float) -> bool:
    """Wait ``seconds`` of switch time unless interrupted or hung up; True if it ran out."""
    if not channel.ready:
        return False
    brk = channel.break_event()
    try:
        await asyncio.wait_for(brk.wait(), channel.switch.clock.real_delay(seconds))
    except TimeoutError:
        return channel.ready
    return False
