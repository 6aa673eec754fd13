"""A conference moderator bot: mutes members who join late and announces the head count.

It follows one conference through its ``conference::maintenance`` events (an ESL inbound
connection), and acts with ``conference`` API commands:

- a member who joins more than ``late_after`` seconds after the conference started is muted
  (``conference <room> mute <id>``);
- after every join and leave the bot plays one short beep per member
  (``conference <room> play tone_stream://%(150,100,880);loops=<n>``) and remembers the count;
- it keeps a set of who is talking (start-talking / stop-talking).

python -m examples.conference_moderator.moderator ROOM   # against 127.0.0.1:8021, ClueCon
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, field

import eslkit
from eslkit.client import InboundConnection


@dataclass
class Moderator:
    """State and rules of the bot for one conference room."""

    room: str
    late_after: float = 30.0
    #: A clock in the switch's seconds (tests pass the embedded switch's scaled clock).
    clock: object = time.monotonic
    started: float | None = None
    counts: list[int] = field(default_factory=list)
    muted: list[int] = field(default_factory=list)
    talking: set[int] = field(default_factory=set)
    log: list[str] = field(default_factory=list)

    def _now(self) -> float:
        return float(self.clock())  # type: ignore[operator]

    async def handle(self, conn: InboundConnection, event: eslkit.Event) -> None:
        """React to one maintenance event of this room."""
        if (event.get("Conference-Name") or "").lower() != self.room.lower():
            return
        action = event.get("Action")
        member = int(event.get("Member-ID") or 0)
        if action == "conference-create":
            self.started = self._now()
        elif action == "add-member":
            if self.started is None:
                self.started = self._now()
            if self._now() - self.started > self.late_after and member:
                await conn.api(f"conference {self.room} mute {member}")
                self.muted.append(member)
                self.log.append(f"muted late joiner {member}")
            await self._announce(conn, event)
        elif action == "del-member":
            self.talking.discard(member)
            await self._announce(conn, event)
        elif action == "start-talking":
            self.talking.add(member)
        elif action == "stop-talking":
            self.talking.discard(member)
        elif action == "conference-destroy":
            self.started = None

    async def _announce(self, conn: InboundConnection, event: eslkit.Event) -> None:
        count = int(event.get("Conference-Size") or 0)
        self.counts.append(count)
        self.log.append(f"{count} member{'s' if count != 1 else ''}")
        if count:
            await conn.api(
                f"conference {self.room} play tone_stream://%(150,100,880);loops={count}",
                check=False,
            )

    async def run(self, conn: InboundConnection, *, until: asyncio.Event | None = None) -> None:
        """Subscribe and handle events until ``until`` is set or the connection ends."""
        await conn.subscribe("CUSTOM conference::maintenance", format="json")
        stop = until or asyncio.Event()
        async with conn.events(maxsize=10_000) as stream:
            waiter = asyncio.create_task(stop.wait())
            try:
                while not stop.is_set():
                    nxt = asyncio.create_task(anext(stream))
                    done, _ = await asyncio.wait({nxt, waiter}, return_when=asyncio.FIRST_COMPLETED)
                    if nxt not in done:
                        nxt.cancel()
                        break
                    await self.handle(conn, nxt.result())
            except (eslkit.Disconnected, StopAsyncIteration):
                pass
            finally:
                waiter.cancel()


async def main(room: str) -> None:
    async with eslkit.connect("127.0.0.1", 8021, password="ClueCon") as conn:
        bot = Moderator(room)
        await bot.run(conn)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "room1"))
