"""Builders for every frame the server writes (spec §3.2, §2.4).

Each returns the exact bytes FreeSWITCH puts on the wire. Command replies are capped the way
FreeSWITCH caps them: the reply text is built in a 512-byte buffer, so at most 511 bytes of it
are sent; a reply that starts with ``~`` is sent raw (it carries its own header lines and,
unless truncated, its own blank line).
"""

from __future__ import annotations

from typing import Literal

from eslkit.protocol.event import Event, EventFormat

REPLY_LIMIT = 511

GREETING = b"Content-Type: auth/request\n\n"

GOODBYE = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
LOST_EVENTS = "killed listener because of lost events\n"
LOST_LOG_LINES = "killed listener because of lost log lines\n"
SHUTTING_DOWN = "The system is being shut down.\n"
DISCONNECTED = "Disconnected.\n"

RUDE_REJECTION = (
    b"Content-Type: text/rude-rejection\nContent-Length: 24\n\nAccess Denied, go away.\n"
)

_EVENT_CONTENT_TYPES: dict[str, bytes] = {
    "plain": b"text/event-plain",
    "json": b"text/event-json",
    "xml": b"text/event-xml",
}

_ENC = "utf-8"
_ERR = "surrogateescape"


def cap_reply(text: str) -> bytes:
    """The reply text as FreeSWITCH's 512-byte reply buffer leaves it."""
    return text.encode(_ENC, _ERR)[:REPLY_LIMIT]


def command_reply(text: str) -> bytes:
    """A ``command/reply`` frame; the raw form when ``text`` starts with ``~``."""
    data = cap_reply(text)
    if data.startswith(b"~"):
        return b"Content-Type: command/reply\n" + data[1:]
    return b"Content-Type: command/reply\nReply-Text: " + data + b"\n\n"


def api_response(output: str | bytes) -> bytes:
    """An ``api/response`` frame carrying the command's output."""
    body = output.encode(_ENC, _ERR) if isinstance(output, str) else output
    return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(body) + body


def event_frame(payload: bytes, fmt: EventFormat) -> bytes:
    """An event frame around an already serialized event (Content-Length comes first)."""
    return (
        b"Content-Length: %d\nContent-Type: %s\n\n" % (len(payload), _EVENT_CONTENT_TYPES[fmt])
        + payload
    )


def event_frame_for(event: Event, fmt: EventFormat) -> bytes:
    """Serialize ``event`` in ``fmt`` and frame it."""
    return event_frame(event.serialize(fmt), fmt)


def log_frame(
    text: str | bytes,
    *,
    level: int,
    channel: int,
    file: str,
    func: str,
    line: int,
    user_data: str = "",
) -> bytes:
    """A ``log/data`` frame. The head is built in a 1024-byte buffer, as in FreeSWITCH."""
    body = text.encode(_ENC, _ERR) if isinstance(text, str) else text
    head = (
        f"Content-Type: log/data\nContent-Length: {len(body)}\nLog-Level: {level}\n"
        f"Text-Channel: {channel}\nLog-File: {file}\nLog-Func: {func}\nLog-Line: {line}\n"
        f"User-Data: {user_data}\n\n"
    ).encode(_ENC, _ERR)[:1023]
    return head + body


def disconnect_notice(message: str = GOODBYE, *, session_uuid: str | None = None) -> bytes:
    """The ``text/disconnect-notice`` frame, inbound form or (with a session) session form."""
    if not message:
        message = DISCONNECTED
    body = message.encode(_ENC, _ERR)
    if session_uuid is not None:
        head = (
            "Content-Type: text/disconnect-notice\n"
            f"Controlled-Session-UUID: {session_uuid}\n"
            "Content-Disposition: disconnect\n"
            f"Content-Length: {len(body)}\n\n"
        )
    else:
        head = f"Content-Type: text/disconnect-notice\nContent-Length: {len(body)}\n\n"
    return head.encode(_ENC, _ERR)[:511] + body


def linger_notice(session_uuid: str, channel_name: str, linger_time: int) -> bytes:
    """The linger notice, sent once when the controlled channel hangs up with linger on."""
    return (
        "Content-Type: text/disconnect-notice\n"
        f"Controlled-Session-UUID: {session_uuid}\n"
        "Content-Disposition: linger\n"
        f"Channel-Name: {channel_name}\n"
        f"Linger-Time: {linger_time}\n"
        "Content-Length: 0\n\n"
    ).encode(_ENC, _ERR)[:511]


def connect_reply(channel_data: Event) -> bytes:
    """The outbound ``connect`` reply: the bare plain serialization, no outer frame."""
    return channel_data.to_plain()


DisconnectKind = Literal["goodbye", "lost_events", "lost_log_lines", "shutdown"]

DISCONNECT_MESSAGES: dict[DisconnectKind, str] = {
    "goodbye": GOODBYE,
    "lost_events": LOST_EVENTS,
    "lost_log_lines": LOST_LOG_LINES,
    "shutdown": SHUTTING_DOWN,
}
