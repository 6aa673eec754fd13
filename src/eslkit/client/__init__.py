"""The eslkit client: asyncio inbound connections, an outbound server, typed errors.

```python
async with eslkit.connect("127.0.0.1", 8021, "ClueCon") as conn:
    print(await conn.api("status"))
```

The blocking facade is :mod:`eslkit.sync`.
"""

from __future__ import annotations

from eslkit.client.connection import Connection, Defaults, reply_text
from eslkit.client.dispatch import EventStream, Overflow
from eslkit.client.errors import (
    AuthenticationError,
    ChannelHangup,
    CommandError,
    Disconnected,
    ESLError,
    EventOverflow,
    NotFullSocket,
    PermissionDenied,
    Timeout,
    UnsafeValue,
)
from eslkit.client.inbound import GAP_SUBCLASS, InboundConnection, Reconnect, connect, is_gap
from eslkit.client.outbound import OutboundServer, OutboundSession, serve_outbound
from eslkit.client.subscription import Subscription

__all__ = [
    "GAP_SUBCLASS",
    "AuthenticationError",
    "ChannelHangup",
    "CommandError",
    "Connection",
    "Defaults",
    "Disconnected",
    "ESLError",
    "EventOverflow",
    "EventStream",
    "InboundConnection",
    "NotFullSocket",
    "OutboundServer",
    "OutboundSession",
    "Overflow",
    "PermissionDenied",
    "Reconnect",
    "Subscription",
    "Timeout",
    "UnsafeValue",
    "connect",
    "is_gap",
    "reply_text",
    "serve_outbound",
]
