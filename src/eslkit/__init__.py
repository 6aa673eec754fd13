"""eslkit: FreeSWITCH's event socket (mod_event_socket) in Python.

A byte-compatible event socket server with a simulated switch behind it, and a fast asyncio
client (inbound and outbound modes) that works against eslkit and a real FreeSWITCH alike.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
