"""``switch_ivr_broadcast``: queue an application (``playback <path>`` unless the path is
``app::args``) on a channel and/or its partner as event-locked private messages;
``app!cause::args`` also queues ``hangup <cause>`` on the channel after it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eslkit.protocol.event import Event

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel

__all__ = ["broadcast"]


def _execute(channel: Channel, app: str, arg: str, *, hold_bleg: bool) -> bool:
    message = Event(
        [
            ("call-command", "execute"),
            ("execute-app-name", app),
            ("execute-app-arg", arg),
            ("event-lock", "true"),
            ("lead-frames", "5"),
        ]
    )
    if hold_bleg:
        message.add_header("hold-bleg", "true")
    return channel.queue_private_message(message)


def broadcast(channel: Channel, path: str, *, aleg: bool, bleg: bool, hold_bleg: bool) -> None:
    """Queue ``path`` on ``channel`` (``aleg``) and its bridge partner (``bleg``)."""
    app = "playback"
    # Only the first ':' counts: 'app::args' when it is doubled (a URL's '://' is not).
    sep = path.find(":")
    if sep >= 0 and path[sep + 1 : sep + 2] == ":":
        app, path = path[:sep], path[sep + 2 :]
    # 'app!cause': after the app the channel is hung up with that cause (empty:
    # normal_clearing), whichever legs the app went to.
    app, bang, cause = app.partition("!")
    if bang and not cause:
        cause = "normal_clearing"
    if bleg:
        other = channel.other if channel.get_variable("bridge_to") else None
        if other is not None:
            _execute(other, app, path, hold_bleg=hold_bleg)
    if aleg:
        _execute(channel, app, path, hold_bleg=hold_bleg)
    if bang:
        channel.queue_private_message(
            Event([("call-command", "execute"), ("execute-app-name", "hangup"), ("execute-app-arg", cause), ("event-lock", "true")])
        )
