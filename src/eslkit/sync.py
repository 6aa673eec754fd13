"""The blocking client facade: ``with eslkit.sync.connect(...) as conn: conn.api("status")``,
and the blocking outbound server: ``eslkit.sync.serve_outbound(handler, port=8084)``.

See :mod:`eslkit.client.sync` and :mod:`eslkit.client.sync_outbound`.
"""

from __future__ import annotations

from eslkit.client.sync import SyncConnection, SyncEventStream, connect
from eslkit.client.sync_outbound import (
    MAX_SESSIONS,
    SyncOutboundServer,
    SyncOutboundSession,
    serve_outbound,
)

__all__ = [
    "MAX_SESSIONS",
    "SyncConnection",
    "SyncEventStream",
    "SyncOutboundServer",
    "SyncOutboundSession",
    "connect",
    "serve_outbound",
]
