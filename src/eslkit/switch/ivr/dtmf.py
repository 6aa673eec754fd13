"""Sending DTMF out of a channel (``switch_core_session_send_dtmf_string``): digits reach
the far end's queue (a loopback leg's peer)."""

from __future__ import annotations

from eslkit.fsutil import c_atoi
from eslkit.protocol.records import CallingSite
from eslkit.switch import calllog
from eslkit.switch.channel import Channel
from eslkit.switch.ivr.dmachine import feed_sent
from eslkit.switch.ivr.sources import RATE

__all__ = ["channel_far_end", "parse_dtmf_string", "send_dtmf_string", "set_last_dtmf_duration"]


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


MAX_DTMF_STRING = 99
"""A longer DTMF string is ignored (``Attempt to send very large dtmf string ignored!``)."""


def set_last_dtmf_duration(channel: Channel, sent: list[tuple[str, int]]) -> None:
    """``last_dtmf_duration``: the ms the sent digits take, each with a 250 ms pause
    (``w``/``W`` count as digits of the group's duration too)."""
    total = sum(duration + 250 * (RATE // 1000) for _, duration in sent)
    if total:
        channel.set_variable("last_dtmf_duration", str(total // (RATE // 1000)))


def send_dtmf_string(channel: Channel, text: str, *, fallback_self: bool = False) -> bool:
    """Send DTMF out of ``channel``: it reaches the far end's queue (a DTMF event there,
    ``DTMF-Source: UNKNOWN``). With ``fallback_self`` and no far-end channel, the digits are
    queued on ``channel`` itself, as if its simulated remote party had pressed them."""
    target = channel_far_end(channel)
    if target is None and fallback_self:
        target = channel
    if not text or len(text) > MAX_DTMF_STRING or not channel.ready:
        return False
    logging = channel.switch.logs.listen >= 7
    # The digits skip digit machines (DTMF_FLAG_SKIP_PROCESS) unless the string starts with '~'.
    process = text.startswith("~")
    sent = parse_dtmf_string(channel, text)
    for digit, duration in sent:
        if digit in "wW":
            continue
        if process and channel.dmachines is not None and feed_sent(channel, digit):
            continue
        if target is not None and target.ready:
            target.queue_dtmf(digit, duration, source="UNKNOWN", process=process)
        if logging:
            calllog.session_line(
                channel, 7, _SEND_SITE,
                f"{channel.name} send dtmf\ndigit={digit} ms={_ms_of(text, digit, duration)} samples={duration}\n",
            )  # fmt: skip
    set_last_dtmf_duration(channel, sent)
    return True


_SEND_SITE = CallingSite("switch_core_io.c", "switch_core_session_send_dtmf_string", 1201)


def _ms_of(text: str, digit: str, duration: int) -> int:
    """The ``ms`` of the send line: the group's ``@ms`` as written, else the default."""
    for group in text.split("+")[:128]:
        digits, sep, ms = group.partition("@")
        if digit in digits:
            return c_atoi(ms) if sep else 2000 // (RATE // 1000)
    return duration // (RATE // 1000)
