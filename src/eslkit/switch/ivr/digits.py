"""Collecting digits (``switch_ivr_collect_digits_count``, ``switch_ivr_read``,
``switch_play_and_get_digits``): a prompt the first digit stops, terminators, first and
inter-digit timeouts, validation and retries."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from eslkit import pcre
from eslkit.switch.channel import Channel, Dtmf
from eslkit.switch.expand import separate_string
from eslkit.switch.ivr.play import play_file
from eslkit.switch.ivr.wait import MediaStatus, Wake, media_wait

__all__ = ["DIGIT_BUFFER", "DigitBuffer", "collect_digits", "ivr_read", "play_and_get_digits"]

DIGIT_BUFFER = 128
"""mod_dptools' digit buffer size for read / play_and_get_digits."""


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
    # PCRE syntax, bounded like PCRE's match limit (the digits come from the caller).
    compiled = pcre.compile(pattern)
    return compiled is not None and compiled.search(text) is not None


async def play_and_get_digits(
    channel: Channel,
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
            channel.switch.sessions.runner.transfer(channel, target[0], target[1] if len(target) > 1 else None, target[2] if len(target) > 2 else None)
    return MediaStatus.FALSE
