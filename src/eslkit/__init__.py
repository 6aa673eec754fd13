"""eslkit: FreeSWITCH's event socket (mod_event_socket) in Python.

A byte-compatible event socket server with a simulated switch behind it, and a fast asyncio
client (inbound and outbound modes) that works against eslkit and a real FreeSWITCH alike.
"""

from __future__ import annotations

from eslkit.client import (
    AuthenticationError,
    ChannelHangup,
    CommandError,
    Disconnected,
    ESLError,
    EventOverflow,
    NotFullSocket,
    PermissionDenied,
    Reconnect,
    Subscription,
    Timeout,
    UnsafeValue,
    connect,
    is_gap,
    serve_outbound,
)
from eslkit.protocol.event import Event

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "ChannelHangup",
    "CommandError",
    "Disconnected",
    "ESLError",
    "Event",
    "EventOverflow",
    "NotFullSocket",
    "PermissionDenied",
    "Reconnect",
    "Subscription",
    "Timeout",
    "UnsafeValue",
    "__version__",
    "connect",
    "is_gap",
    "serve_outbound",
]
