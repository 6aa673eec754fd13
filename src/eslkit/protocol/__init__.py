"""Sans-IO protocol core: frames, events and their three formats, FreeSWITCH's URL encoding.

Nothing here touches a socket, a thread or an event loop: bytes in, frames and events out,
and back.
"""

from __future__ import annotations

from eslkit.protocol.builders import (
    GOODBYE,
    GREETING,
    LOST_EVENTS,
    LOST_LOG_LINES,
    RUDE_REJECTION,
    SHUTTING_DOWN,
    api_response,
    command_reply,
    connect_reply,
    disconnect_notice,
    event_frame,
    event_frame_for,
    linger_notice,
    log_frame,
)
from eslkit.protocol.command import Command, strip_cr
from eslkit.protocol.errors import (
    BadContentLength,
    EventFormatError,
    HeaderBlockTooLarge,
    ProtocolError,
)
from eslkit.protocol.event import Event, EventFormat
from eslkit.protocol.frames import MAX_BODY, MAX_HEADER_BLOCK, Frame, FrameReader
from eslkit.protocol.names import (
    ChannelState,
    EventType,
    HangupCause,
    LogLevel,
    event_type_by_name,
    hangup_cause_from_string,
    hangup_cause_name,
)
from eslkit.protocol.urlcode import url_decode, url_encode

__all__ = [
    "GOODBYE",
    "GREETING",
    "LOST_EVENTS",
    "LOST_LOG_LINES",
    "MAX_BODY",
    "MAX_HEADER_BLOCK",
    "RUDE_REJECTION",
    "SHUTTING_DOWN",
    "BadContentLength",
    "ChannelState",
    "Command",
    "Event",
    "EventFormat",
    "EventFormatError",
    "EventType",
    "Frame",
    "FrameReader",
    "HangupCause",
    "HeaderBlockTooLarge",
    "LogLevel",
    "ProtocolError",
    "api_response",
    "command_reply",
    "connect_reply",
    "disconnect_notice",
    "event_frame",
    "event_frame_for",
    "event_type_by_name",
    "hangup_cause_from_string",
    "hangup_cause_name",
    "linger_notice",
    "log_frame",
    "strip_cr",
    "url_decode",
    "url_encode",
]
