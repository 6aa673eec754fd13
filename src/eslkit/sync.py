"""The blocking client facade: ``with eslkit.sync.connect(...) as conn: conn.api("status")``.

See :mod:`eslkit.client.sync`.
"""

from __future__ import annotations

from eslkit.client.sync import SyncConnection, SyncEventStream, connect

__all__ = ["SyncConnection", "SyncEventStream", "connect"]
