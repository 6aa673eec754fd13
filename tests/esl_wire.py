"""A minimal raw ESL client for server tests: bytes on a socket, frames out.

It deliberately uses only the protocol core's frame reader, not the eslkit client, so server
tests do not depend on the client library.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from eslkit.protocol.event import Event
from eslkit.protocol.frames import Frame, FrameReader


class Closed(Exception):
    """The server closed the connection."""


@dataclass
class RawConnection:
    """One client socket with frame-level helpers."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    frames: FrameReader

    @classmethod
    async def open(cls, host: str, port: int) -> RawConnection:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
        return cls(reader, writer, FrameReader())

    async def send(self, data: str | bytes) -> None:
        self.writer.write(data.encode() if isinstance(data, str) else data)
        await self.writer.drain()

    async def frame(self, timeout: float = 10.0) -> Frame:
        """The next frame; raises Closed on EOF and TimeoutError when none arrives."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = self.frames.next_frame()
            if frame is not None:
                return frame
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError("no frame")
            data = await asyncio.wait_for(self.reader.read(65536), remaining)
            if not data:
                raise Closed()
            self.frames.feed(data)

    async def command(self, text: str, timeout: float = 10.0) -> Frame:
        """Send a command (``\\n\\n`` appended) and return the next frame."""
        await self.send(text + "\n\n")
        return await self.frame(timeout)

    async def reply(self, text: str, timeout: float = 10.0) -> str:
        """Send a command and return its Reply-Text (skipping events)."""
        await self.send(text + "\n\n")
        while True:
            frame = await self.frame(timeout)
            if frame.content_type == "command/reply":
                return frame.get("Reply-Text") or ""
            if frame.content_type == "api/response":
                return (frame.body or b"").decode()

    async def api(self, text: str, timeout: float = 10.0) -> str:
        return await self.reply("api " + text, timeout)

    async def event(self, timeout: float = 10.0) -> Event:
        """The next event frame's event (other frames are skipped)."""
        while True:
            frame = await self.frame(timeout)
            content_type = frame.content_type or ""
            if content_type.startswith("text/event-"):
                return Event.parse(frame.body or b"", content_type[11:])  # type: ignore[arg-type]

    async def closed(self, timeout: float = 10.0) -> list[Frame]:
        """Read until EOF; returns the frames that came before it."""
        frames: list[Frame] = []
        while True:
            try:
                frames.append(await self.frame(timeout))
            except Closed:
                return frames

    async def login(self, password: str = "ClueCon") -> None:
        greeting = await self.frame()
        assert greeting.content_type == "auth/request"
        assert await self.reply(f"auth {password}") == "+OK accepted"

    async def close(self) -> None:
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 5)
        except (OSError, TimeoutError):
            pass


async def connect(host: str, port: int, *, login: bool = True) -> RawConnection:
    conn = await RawConnection.open(host, port)
    if login:
        await conn.login()
    return conn
