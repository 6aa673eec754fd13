"""A live call monitor: prints each channel's state as it changes, from ``event json``.

python -m examples.monitor.monitor          # against 127.0.0.1:8021, ClueCon
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from typing import TextIO

import eslkit
from eslkit.client import EventStream, InboundConnection

EVENTS = ("CHANNEL_CREATE", "CHANNEL_CALLSTATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE")


@dataclass
class CallState:
    """What the monitor knows about one channel."""

    uuid: str
    name: str
    destination: str
    state: str


class Monitor:
    """Keeps a table of live channels and prints a line per change to ``out``."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.calls: dict[str, CallState] = {}

    def handle(self, event: eslkit.Event) -> None:
        """Update the table from one event."""
        uuid = event.get("Unique-ID")
        if not uuid:
            return
        name = event.name
        call = self.calls.get(uuid)
        if call is None:
            if name == "CHANNEL_HANGUP_COMPLETE":
                return
            call = self.calls[uuid] = CallState(
                uuid,
                event.get("Channel-Name") or "?",
                event.get("Caller-Destination-Number") or "",
                "NEW",
            )
        if name == "CHANNEL_CALLSTATE":
            call.state = event.get("Channel-Call-State") or call.state
        elif name == "CHANNEL_ANSWER":
            call.state = "ACTIVE"
        elif name == "CHANNEL_HANGUP_COMPLETE":
            call.state = f"HANGUP {event.get('Hangup-Cause') or ''}".strip()
            del self.calls[uuid]
        print(f"{uuid[:8]} {call.name} -> {call.destination}: {call.state}", file=self.out)

    async def run(self, conn: InboundConnection, *, until: asyncio.Event | None = None) -> None:
        """Subscribe (JSON) and handle events until ``until`` is set or the connection ends."""
        await conn.subscribe(*EVENTS, format="json")
        stop = until or asyncio.Event()
        async with conn.events(maxsize=10_000) as stream:
            closer = asyncio.create_task(_close_when_set(stop, stream))
            try:
                async for event in stream:
                    self.handle(event)
            except eslkit.Disconnected:
                pass
            finally:
                closer.cancel()


async def _close_when_set(stop: asyncio.Event, stream: EventStream) -> None:
    await stop.wait()
    stream.close()


async def _main() -> None:
    async with eslkit.connect() as conn:
        await Monitor().run(conn)


if __name__ == "__main__":
    asyncio.run(_main())
