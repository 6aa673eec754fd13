"""Every frame the server writes, byte for byte (spec §3.2, §2.4)."""

from __future__ import annotations

import pytest

from eslkit.protocol import (
    GOODBYE,
    GREETING,
    LOST_EVENTS,
    LOST_LOG_LINES,
    RUDE_REJECTION,
    SHUTTING_DOWN,
    Event,
    FrameReader,
    api_response,
    command_reply,
    connect_reply,
    disconnect_notice,
    event_frame,
    event_frame_for,
    linger_notice,
    log_frame,
)

UUID = "c0ffee00-0000-4000-8000-000000000001"


def test_greeting() -> None:
    assert GREETING == b"Content-Type: auth/request\n\n"


def test_command_reply() -> None:
    assert command_reply("+OK accepted") == (
        b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n"
    )
    # Written raw, never URL-encoded.
    assert (
        command_reply("-ERR a b:c%") == b"Content-Type: command/reply\nReply-Text: -ERR a b:c%\n\n"
    )


def test_command_reply_raw_tilde_form() -> None:
    assert command_reply("~Reply-Text: +OK\nJob-UUID: x\n\n") == (
        b"Content-Type: command/reply\nReply-Text: +OK\nJob-UUID: x\n\n"
    )


def test_command_reply_511_byte_cap() -> None:
    long = "+OK " + "v" * 600
    frame = command_reply(long)
    assert frame == b"Content-Type: command/reply\nReply-Text: " + long.encode()[:511] + b"\n\n"
    assert command_reply("+OK " + "v" * 507) == command_reply("+OK " + "v" * 508)  # 511 vs 512
    assert command_reply("+OK " + "v" * 506) != command_reply("+OK " + "v" * 507)
    # The cap counts bytes, not characters.
    frame = command_reply("é" * 300)
    assert (
        frame[len(b"Content-Type: command/reply\nReply-Text: ") : -2] == ("é" * 300).encode()[:511]
    )


def test_command_reply_tilde_truncated_loses_its_blank_line() -> None:
    text = "~Reply-Text: +OK Job-UUID: " + "u" * 600 + "\n\n"
    frame = command_reply(text)
    assert frame == b"Content-Type: command/reply\n" + text.encode()[1:511]
    assert not frame.endswith(b"\n\n")


def test_api_response() -> None:
    assert api_response("+OK\n") == b"Content-Type: api/response\nContent-Length: 4\n\n+OK\n"
    assert api_response("é") == b"Content-Type: api/response\nContent-Length: 2\n\n\xc3\xa9"
    assert api_response(b"") == b"Content-Type: api/response\nContent-Length: 0\n\n"


@pytest.mark.parametrize(
    ("fmt", "ctype"),
    [("plain", b"text/event-plain"), ("json", b"text/event-json"), ("xml", b"text/event-xml")],
)
def test_event_frames_put_content_length_first(fmt: str, ctype: bytes) -> None:
    event = Event([("Event-Name", "HEARTBEAT"), ("X", "a b")], "body")
    payload = event.serialize(fmt)  # type: ignore[arg-type]
    frame = event_frame_for(event, fmt)  # type: ignore[arg-type]
    assert frame == b"Content-Length: %d\nContent-Type: %s\n\n" % (len(payload), ctype) + payload
    assert event_frame(payload, fmt) == frame  # type: ignore[arg-type]
    reader = FrameReader()
    reader.feed(frame)
    (parsed,) = reader.frames()
    assert parsed.content_type == ctype.decode() and parsed.body == payload


def test_log_frame_with_empty_user_data_has_trailing_space() -> None:
    frame = log_frame(
        "hello\n", level=7, channel=1, file="mod_commands.c", func="log_function", line=7247
    )
    assert frame == (
        b"Content-Type: log/data\nContent-Length: 6\nLog-Level: 7\nText-Channel: 1\n"
        b"Log-File: mod_commands.c\nLog-Func: log_function\nLog-Line: 7247\nUser-Data: \n\nhello\n"
    )


def test_log_frame_with_session_and_1024_byte_head() -> None:
    frame = log_frame(b"x", level=3, channel=3, file="f.c", func="fn", line=1, user_data=UUID)
    assert frame.endswith(f"User-Data: {UUID}\n\nx".encode())
    long = log_frame("x", level=3, channel=0, file="f" * 2000, func="fn", line=1)
    assert long == long[:1023] + b"x" and len(long) == 1024


@pytest.mark.parametrize(
    ("message", "length"),
    [(GOODBYE, 67), (LOST_EVENTS, 39), (LOST_LOG_LINES, 42), (SHUTTING_DOWN, 31), ("", 14)],
)
def test_disconnect_notice_both_forms(message: str, length: int) -> None:
    body = (message or "Disconnected.\n").encode()
    assert len(body) == length
    assert disconnect_notice(message) == (
        b"Content-Type: text/disconnect-notice\nContent-Length: %d\n\n" % length + body
    )
    assert disconnect_notice(message, session_uuid=UUID) == (
        b"Content-Type: text/disconnect-notice\nControlled-Session-UUID: "
        + UUID.encode()
        + b"\nContent-Disposition: disconnect\nContent-Length: %d\n\n" % length
        + body
    )


def test_goodbye_text() -> None:
    assert GOODBYE == "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
    assert disconnect_notice() == disconnect_notice(GOODBYE)


def test_linger_notice() -> None:
    assert linger_notice(UUID, "sofia/internal/1000@x y", -1) == (
        b"Content-Type: text/disconnect-notice\nControlled-Session-UUID: "
        + UUID.encode()
        + b"\nContent-Disposition: linger\nChannel-Name: sofia/internal/1000@x y\n"
        b"Linger-Time: -1\nContent-Length: 0\n\n"
    )


def test_rude_rejection() -> None:
    assert RUDE_REJECTION == (
        b"Content-Type: text/rude-rejection\nContent-Length: 24\n\nAccess Denied, go away.\n"
    )
    assert len(b"Access Denied, go away.\n") == 24


def test_connect_reply_is_the_bare_plain_event() -> None:
    event = Event(
        [("Event-Name", "CHANNEL_DATA"), ("Reply-Text", "+OK\n"), ("Socket-Mode", "async")]
    )
    assert (
        connect_reply(event)
        == b"Event-Name: CHANNEL_DATA\nReply-Text: %2BOK%0A\nSocket-Mode: async\n\n"
    )
